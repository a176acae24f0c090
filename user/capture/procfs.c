// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF-free snapshot (capture.h: rs_capture_procfs_run): every thread of
 * the target from /proc, for kernels the BPF capture cannot load on (before
 * 5.18: no sleepable task iterators, no bpf_copy_from_user_task) or nodes
 * without BPF. It makes the records the BPF capture makes, so assembling,
 * unwinding and the reports are the same.
 *
 * Blocked threads are read by procthread.c; the threads that were running
 * are then sampled together, each by its own cpu-clock perf event
 * (perfsample.c), for up to cfg->oncpu_wait_ms; one that did not run in that
 * time is read again from /proc (it may have blocked meanwhile). Nothing is
 * ever stopped, ptraced or signalled.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture/proc_priv.h"
#include "lib/lib.h"
#include "target/target.h"

#define RS_RUNNING_LOOKS 5 /* /proc reads of a running thread perf did not catch */

static int push(struct rs_capture *cap, struct rs_task_rec *rec)
{
	struct rs_task_rec **v = realloc(cap->recs, (cap->n + 1) * sizeof(*v));

	if (!v) {
		free(rec);
		return -ENOMEM;
	}
	cap->recs = v;
	cap->recs[cap->n++] = rec;
	return 0;
}

/* A thread that was running, waiting for its perf sample. */
struct running {
	struct rs_pthread_ref ref;
	struct rs_task_rec *rec; /* the facts from /proc, no registers */
	struct rs_perf_thread ev;
	bool done;
};

/* The record of a running thread from its perf sample (the BPF sample_oncpu's record). */
static int from_sample(struct rs_procfs *ps, struct running *r, const struct rs_perf_sample *smp,
		       struct rs_task_rec **out)
{
	const struct rs_map *m;
	struct rs_task_rec *rec;
	size_t len = smp->regs_valid ? smp->stack_len : 0;

	if (len > RS_USTACK_MAX)
		len = RS_USTACK_MAX;
	rec = malloc(sizeof(*rec) + len);
	if (!rec)
		return -ENOMEM;
	*rec = *r->rec;
	rec->flags =
	    (r->rec->flags & (RS_TF_KTHREAD | RS_TF_EXITING)) | RS_TF_ON_CPU | RS_TF_FROM_PERF;
	rec->state = 0;
	rec->exit_state = 0;
	rec->capture_ktime_ns = smp->time_ns;
	rec->last_arrival_ns = rec->now_ns = 0;
	rec->kstack_len = rec->ustack_len = rec->utop_len = 0;
	rec->utop_addr = 0;
	memset(&rec->regs, 0, sizeof(rec->regs));
	if (smp->user_mode) {
		rec->flags |= RS_TF_USER_MODE;
	} else if (r->ev.kernel) {
		memcpy(rec->kstack, smp->kstack, smp->kstack_len * sizeof(rec->kstack[0]));
		rec->kstack_len = smp->kstack_len;
	}
	if (smp->regs_valid) {
		rec->regs = smp->regs;
		rec->flags |= RS_TF_REGS | RS_TF_PERF_STACK;
		memcpy(rec + 1, smp->stack, len);
		rec->ustack_len = (uint32_t)len;
		m = rs_procfs_mapping(ps, r->ref.tgid, rec->regs.sp);
		if (!m || m->end - rec->regs.sp > len)
			rec->flags |= RS_TF_USTACK_TRUNC;
		if (!len)
			ps->cap->counters[RS_CNT_USTACK_FAIL]++;
	}
	ps->cap->counters[RS_CNT_PERF_SAMPLES]++;
	*out = rec;
	return 0;
}

static void perf_refused(struct rs_procfs *ps, int e)
{
	char *text = NULL;
	size_t len;

	if (ps->perf_said)
		return;
	ps->perf_said = true;
	ps->cap->partial = true;
	if (!rs_read_file("/proc/sys/kernel/perf_event_paranoid", &text, &len))
		text[strcspn(text, "\n")] = '\0';
	rs_procfs_note(
	    ps,
	    "running threads not sampled: perf_event_open: %s (kernel.perf_event_paranoid is %s): rsample needs CAP_PERFMON or CAP_SYS_ADMIN, or perf_event_paranoid <= 1 for other users' threads",
	    strerror(-e), text ? text : "?");
	free(text);
}

/*
 * Samples the running threads, each once by its own perf event, all at
 * once. A thread without a sample within the wait keeps done false.
 */
static int sample_running(struct rs_procfs *ps, struct running *run, size_t n)
{
	size_t cap = sizeof(struct perf_event_header) + 65536 + 8192, pending = 0;
	uint64_t deadline = rs_mono_ns() + (uint64_t)ps->cfg->oncpu_wait_ms * 1000000ull;
	struct pollfd *fds = calloc(n ? n : 1, sizeof(*fds));
	void *buf = malloc(cap);
	int e = 0;

	if (!fds || !buf) {
		e = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		/* As BPF's sample copies the deep pass's window: as much as there is, here all perf
		 * can. */
		int oe = rs_perf_thread_open(run[i].ref.tid, RS_PERF_STACK_MAX, &run[i].ev);

		if (oe)
			run[i].ev.fd = -1;
		if (oe == -EACCES || oe == -EPERM)
			perf_refused(ps, oe);
		pending += !oe;
	}
	while (pending && rs_mono_ns() < deadline) {
		size_t k = 0;
		int ms = (int)((deadline - rs_mono_ns()) / 1000000) + 1;

		for (size_t i = 0; i < n; i++)
			if (run[i].ev.fd >= 0 && !run[i].done)
				fds[k++] = (struct pollfd){ .fd = run[i].ev.fd, .events = POLLIN };
		if (poll(fds, k, ms) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			struct rs_perf_sample smp;
			struct rs_task_rec *rec;
			ssize_t len;

			if (run[i].ev.fd < 0 || run[i].done)
				continue;
			len = rs_perf_thread_take(&run[i].ev, buf, cap);
			if (len <= 0 || rs_perf_parse_sample(buf, (size_t)len, RS_PERF_SAMPLE_TYPE,
							     rs_perf_regs_mask(), &smp))
				continue;
			e = from_sample(ps, &run[i], &smp, &rec);
			if (e)
				goto cleanup;
			free(run[i].rec);
			run[i].rec = rec;
			run[i].done = true;
			rs_perf_thread_close(&run[i].ev);
			pending--;
		}
	}
cleanup:
	for (size_t i = 0; i < n; i++)
		rs_perf_thread_close(&run[i].ev);
	free(fds);
	free(buf);
	return e;
}

/* Runs the perf phase, then keeps each record (or a fresh /proc read of one that blocked). */
static int finish_running(struct rs_procfs *ps, struct running *run, size_t n)
{
	int e = sample_running(ps, run, n);

	for (size_t i = 0; i < n && !e; i++) {
		enum rs_pthread_result res = RS_PT_GONE;
		struct rs_task_rec *rec = NULL;

		if (run[i].done) {
			e = push(ps->cap, run[i].rec);
			run[i].rec = NULL;
			continue;
		}
		/*
		 * Not sampled: it went to sleep meanwhile, or kept waiting for a
		 * CPU. A thread that wakes periodically may be caught running
		 * again: a few more looks, a moment apart.
		 */
		for (int k = 0; k < RS_RUNNING_LOOKS; k++) {
			struct timespec pause = { 0, 2000000 };

			free(rec);
			rec = NULL;
			e = rs_pthread_capture(ps, &run[i].ref, &res, &rec);
			if (e || res != RS_PT_RUNNING)
				break;
			nanosleep(&pause, NULL);
		}
		if (e)
			break;
		if (res == RS_PT_GONE) {
			ps->n_exited++;
			continue;
		}
		if (res == RS_PT_RUNNING) {
			rec->flags |= RS_TF_ON_CPU;
			ps->n_unsampled++;
		}
		e = push(ps->cap, rec);
	}
	for (size_t i = 0; i < n; i++)
		free(run[i].rec);
	return e;
}

/* One line naming what could not be read, why, and the fix; never "run as root" to root. */
static void perm_message(const struct rs_procfs *ps, char *err, size_t errlen)
{
	const char *why = strerror(-ps->perm_err);
	struct rs_kfeatures me;
	char *text = NULL;
	size_t len;
	int scope = -1;

	rs_kfeatures_self(&me);
	if (!rs_read_file("/proc/sys/kernel/yama/ptrace_scope", &text, &len))
		scope = atoi(text);
	free(text);
	if (ps->perm_mem && scope == 3)
		snprintf(
		    err, errlen,
		    "cannot read %s: %s: kernel.yama.ptrace_scope is 3, which lets no process read another's memory until reboot: use --backend bpf",
		    ps->perm_what, why);
	else if (me.root && !rs_kfeatures_cap(&me, RS_CAP_SYS_PTRACE))
		snprintf(
		    err, errlen,
		    "cannot read %s: %s: this process lacks CAP_SYS_PTRACE: its user is root but its capability set is reduced (a container?): grant it CAP_SYS_PTRACE, or use --backend bpf",
		    ps->perm_what, why);
	else if (rs_kfeatures_cap(&me, RS_CAP_SYS_PTRACE))
		snprintf(
		    err, errlen,
		    "cannot read %s: %s: refused even with CAP_SYS_PTRACE (a security module such as AppArmor or SELinux, or another user namespace): use --backend bpf",
		    ps->perm_what, why);
	else if (ps->perm_mem && scope > 0)
		snprintf(
		    err, errlen,
		    "cannot read %s: %s: kernel.yama.ptrace_scope is %d: run rsample as root or grant it CAP_SYS_PTRACE",
		    ps->perm_what, why, scope);
	else
		snprintf(
		    err, errlen,
		    "cannot read %s: %s: run rsample as root or grant it CAP_SYS_PTRACE, or run it as the user the target runs as",
		    ps->perm_what, why);
}

static void say_losses(struct rs_procfs *ps)
{
	ps->cap->exited = ps->n_exited; /* churn: the snapshot counts it with its own */
	if (ps->n_unsampled) {
		rs_procfs_note(
		    ps,
		    "%zu thread%s kept running and no perf sample caught %s within %u ms: %s user stack is missing",
		    ps->n_unsampled, ps->n_unsampled == 1 ? "" : "s",
		    ps->n_unsampled == 1 ? "it" : "them", ps->cfg->oncpu_wait_ms,
		    ps->n_unsampled == 1 ? "its" : "each one's");
		ps->cap->partial = true;
	}
	if (ps->n_moved) {
		rs_procfs_note(
		    ps,
		    "%zu thread%s kept running while %s stack was copied: %s user stack may be inconsistent",
		    ps->n_moved, ps->n_moved == 1 ? "" : "s", ps->n_moved == 1 ? "its" : "their",
		    ps->n_moved == 1 ? "its" : "their");
		ps->cap->partial = true;
	}
}

/* Names for kernel frames; without them kernel stacks are left out, said once. */
static int load_ksyms(struct rs_procfs *ps)
{
	int e = rs_ksyms_load_names("/proc/kallsyms", &ps->ksyms);
	char why[512];

	if (e == -ENOMEM)
		return e;
	if (e) {
		rs_ksyms_explain("/proc/kallsyms", e, why, sizeof(why));
		rs_procfs_note(ps, "%s; kernel stacks left out (/proc shows them by name only)",
			       why);
		ps->kstack_said = true;
		ps->cap->partial = true;
	}
	return 0;
}

int rs_capture_procfs_run(const struct rs_capture_cfg *cfg, struct rs_capture **out, char *err,
			  size_t errlen)
{
	struct rs_procfs ps = { .cfg = cfg };
	struct running *run = NULL;
	struct rs_pthread_refs refs = { 0 };
	size_t n_run = 0;
	struct timespec now;
	struct rs_tmark tm;
	uint64_t t0;
	int e = 0;

	if (errlen)
		err[0] = '\0';
	ps.cap = calloc(1, sizeof(*ps.cap));
	ps.buf = malloc(RS_USTACK_MAX + RS_USTACK_TOP);
	if (!ps.cap || !ps.buf)
		e = -ENOMEM;
	rs_tmark_start(&tm);
	if (!e && cfg->kernel_stacks)
		e = load_ksyms(&ps);
	rs_timings_add(&tm, "capture: kallsyms names (/proc)");
	if (e)
		goto cleanup;
	if (rs_cgroup2_mount("/proc/self/mountinfo", &ps.cg_mount))
		ps.cg_mount = NULL;

	clock_gettime(CLOCK_REALTIME, &now);
	ps.cap->taken_at_unix_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	t0 = rs_mono_ns();
	rs_tmark_start(&tm);
	e = rs_procfs_list(cfg->target, &refs, err, errlen);
	rs_timings_add(&tm, "capture: /proc thread list");
	if (e)
		goto cleanup;
	run = calloc(refs.n ? refs.n : 1, sizeof(*run));
	if (!run) {
		e = -ENOMEM;
		goto cleanup;
	}
	rs_tmark_start(&tm);
	for (size_t i = 0; i < refs.n; i++) {
		enum rs_pthread_result res;
		struct rs_task_rec *rec = NULL;

		ps.cap->counters[RS_CNT_TASKS_SEEN]++;
		e = rs_pthread_capture(&ps, &refs.v[i], &res, &rec);
		if (e)
			goto cleanup;
		if (res == RS_PT_GONE) {
			ps.n_exited++;
		} else if (res == RS_PT_RUNNING) {
			run[n_run].ref = refs.v[i];
			run[n_run].ev.fd = -1;
			run[n_run++].rec = rec;
		} else if ((e = push(ps.cap, rec))) {
			goto cleanup;
		}
	}
	rs_timings_add(&tm, "capture: /proc reads of each thread");
	rs_tmark_start(&tm);
	e = finish_running(&ps, run, n_run);
	rs_timings_add(&tm, "capture: perf samples of running threads");
	n_run = 0;
	if (e)
		goto cleanup;
	ps.cap->wall_ns = rs_mono_ns() - t0;
	say_losses(&ps);
	/* the names it read serve the report too: kallsyms is not read twice */
	ps.cap->ksyms = ps.ksyms;
	ps.ksyms = NULL;
	*out = ps.cap;
	ps.cap = NULL;
cleanup:
	if (e == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else if (e && ps.perm_err)
		perm_message(&ps, err, errlen);
	else if (e && !err[0])
		snprintf(err, errlen, "cannot read the target's threads from /proc: %s",
			 strerror(-e));
	for (size_t i = 0; i < n_run; i++)
		free(run[i].rec);
	free(run);
	free(refs.v);
	rs_capture_free(ps.cap);
	rs_ksyms_free(ps.ksyms);
	rs_maps_clear(&ps.maps);
	rs_sched_clock_clear(&ps.clock);
	free(ps.cg_mount);
	free(ps.cg_path);
	free(ps.buf);
	return e;
}
