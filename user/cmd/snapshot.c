// SPDX-License-Identifier: GPL-2.0
/*
 * 'rsample [snapshot]' (cmd.h): target, capture, records to model, report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "cmd/cmd_priv.h"
#include "lib/lib.h"
#include "report/report.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"
#include "target/target.h"

/*
 * What the capture lost. User stacks that could not be copied are counted
 * in the model, not by the BPF counter: a thread that exited meanwhile lost
 * its stack too, and is churn.
 */
static bool report_losses(const struct rs_capture *cap, const struct rs_snapshot *s)
{
	size_t ustack_lost = 0;
	bool lost = false;

	for (size_t i = 0; i < s->n_procs; i++)
		for (size_t j = 0; j < s->procs[i].n_threads; j++)
			ustack_lost += s->procs[i].threads[j].ustack_lost;

	if (cap->counters[RS_CNT_RINGBUF_FULL]) {
		rs_msg(
		    "%llu threads were not captured: the ring buffer was full (lower --stack-bytes)",
		    (unsigned long long)cap->counters[RS_CNT_RINGBUF_FULL]);
		lost = true;
	}
	if (ustack_lost) {
		rs_msg(
		    "the user stack of %zu thread%s could not be copied: %s user frames are missing",
		    ustack_lost, ustack_lost == 1 ? "" : "s", ustack_lost == 1 ? "its" : "their");
		lost = true;
	}
	if (cap->oncpu_missed)
		rs_msg(
		    "%zu threads kept running and were not caught by a perf sample: their user stacks may be stale",
		    cap->oncpu_missed);
	return lost;
}

#define RS_CAP_SYS_PTRACE_BIT (1ull << 19)
#define PTRACE_FIX                                                                                 \
	"grant rsample CAP_SYS_PTRACE (other users' processes, and processes with capabilities it lacks, need it)"

/* Whether /proc refusals are for want of CAP_SYS_PTRACE (then the fix is to grant it). */
static bool lacks_ptrace(void)
{
	uint64_t eff, prm;

	return !rs_caps_get(&eff, &prm) && !(eff & RS_CAP_SYS_PTRACE_BIT);
}

static void report_process_errors(const struct rs_snapshot *s)
{
	bool fix = lacks_ptrace();

	for (size_t i = 0; i < s->n_procs; i++) {
		const struct rs_process *p = &s->procs[i];
		const char *e = p->error;

		while (e && *e) {
			size_t len = strcspn(e, "\n");

			rs_msg("pid %u: %.*s%s", p->pid, (int)len, e,
			       p->denied && fix ? ": " PTRACE_FIX : "");
			e += len + (e[len] == '\n');
		}
	}
}

/* Every process refused: no user stack at all. One line, fatal. */
static bool all_denied(const struct rs_snapshot *s, const char *target)
{
	for (size_t i = 0; i < s->n_procs; i++)
		if (!s->procs[i].denied)
			return false;
	if (!s->n_procs)
		return false;
	rs_msg("cannot read the mappings of %s ('/proc/%u/maps': Permission denied): %s", target,
	       s->procs[0].pid,
	       lacks_ptrace() ? PTRACE_FIX : "run rsample as the user the target runs as");
	return true;
}

/*
 * Threads and processes that exited during the snapshot: normal churn, one
 * line for all of them, not a partial result.
 */
static void report_churn(const struct rs_snapshot *s)
{
	size_t np = s->exited_procs, nt = s->exited_threads;
	char procs[48] = "", threads[48] = "";

	if (!np && !nt)
		return;
	if (np)
		snprintf(procs, sizeof(procs), "%zu process%s", np, np == 1 ? "" : "es");
	if (nt)
		snprintf(threads, sizeof(threads), "%zu thread%s", nt, nt == 1 ? "" : "s");
	rs_msg("%s%s%s exited during the snapshot: left out of the report", procs,
	       np && nt ? " and " : "", threads);
}

/*
 * Threads without the user stack they should have: one line, the first
 * one's reason (a refused process's line already says why).
 */
static void report_incomplete(const struct rs_snapshot *s)
{
	const struct rs_thread *first = NULL;
	size_t n = 0;

	for (size_t i = 0; i < s->n_procs; i++)
		for (size_t j = 0; !s->procs[i].denied && j < s->procs[i].n_threads; j++)
			if (rs_thread_incomplete(&s->procs[i].threads[j]) && !n++)
				first = &s->procs[i].threads[j];
	if (n)
		rs_msg("%zu thread%s without a user stack (tid %u: %s)%s", n, n == 1 ? "" : "s",
		       first->tid, first->unwind.stop_reason,
		       n > 1 ? "; the report says why for each" : "");
}

/* The capture's own non-fatal notes, one line each. */
static void report_notes(const struct rs_capture *cap)
{
	const char *e = cap->notes;

	while (*e) {
		size_t len = strcspn(e, "\n");

		if (len)
			rs_msg("%.*s", (int)len, e);
		e += len + (e[len] == '\n');
	}
}

static int drop_privs(const struct rs_opts *o, char *err, size_t errlen)
{
	const struct rs_privs_cfg cfg = { .verbose = o->verbose };
	uint64_t kept;

	return rs_privs_drop(&cfg, &kept, err, errlen);
}

/* Builds snapshot s from capture cap (the target's description not set). 0 or -errno. */
static int assemble_one(const struct rs_capture *cap, const struct rs_assemble_cfg *acfg,
			enum rs_backend used, struct rs_snapshot *s)
{
	struct rs_assemble_cfg c = *acfg;

	/* the capture's own names of its kernel frames, else the caller's kallsyms */
	if (cap->ksyms)
		c.ksyms = cap->ksyms;
	s->taken_at_unix_ns = cap->taken_at_unix_ns;
	s->duration_ns = cap->wall_ns;
	s->backend = used == RS_BACKEND_PROC ? "proc" : "bpf";
	memcpy(s->counters, cap->counters, sizeof(s->counters));
	return rs_assemble(cap, &c, s);
}

/*
 * --compare: the earlier captures' snapshots (same cache, same budget), then
 * the verdicts of the last one's threads. 0 or -errno.
 */
static int compare_earlier(struct rs_capture *const *caps, size_t n_earlier,
			   const struct rs_assemble_cfg *acfg, enum rs_backend used,
			   struct rs_snapshot *last)
{
	size_t n = n_earlier + 1;
	struct rs_snapshot *snaps = calloc(n, sizeof(*snaps));
	struct rs_snapshot **v = calloc(n, sizeof(*v));
	int e = snaps && v ? 0 : -ENOMEM;

	for (size_t i = 0; !e && i + 1 < n; i++) {
		e = assemble_one(caps[i], acfg, used, &snaps[i]);
		v[i] = &snaps[i];
	}
	if (!e) {
		v[n - 1] = last;
		e = rs_verdicts_apply(v, n);
	}
	for (size_t i = 0; snaps && i + 1 < n; i++)
		rs_snapshot_clear(&snaps[i]);
	free(snaps);
	free(v);
	return e;
}

/* The snapshot command's middle, shared with watch (cmd_priv.h). */
int rs_snapshot_build(const struct rs_opts *o, const struct rs_capture *cap, enum rs_backend used,
		      const struct rs_ksyms *ksyms, struct rs_symcache *cache,
		      struct rs_proc **warm, size_t n_warm, struct rs_capture *const *earlier,
		      size_t n_earlier, struct rs_capture_session *sess, struct rs_snapshot *s)
{
	struct rs_assemble_cfg acfg = { .proc_root = "/proc", .kernel = !o->no_kernel };
	struct rs_waits_stats wst = { 0 };
	struct rs_tmark t;
	int e;

	acfg.ksyms = ksyms;
	acfg.cache = cache;
	acfg.warm = warm;
	acfg.n_warm = n_warm;
	acfg.max_debug_size = o->max_debug_size;
	acfg.deadline_ns = rs_mono_ns() + o->symbolize_budget_ns;
	rs_tmark_start(&t);
	e = assemble_one(cap, &acfg, used, s);
	rs_timings_add(&t, "assemble, in all (/proc, DWARF, unwinding, symbols)");
	rs_tmark_start(&t);
	if (!e)
		e = rs_waits_analyze(s, acfg.proc_root, sess, &wst);
	rs_timings_add(&t, "/proc reads: what threads wait on (fds)");
	if (!e && n_earlier)
		e = compare_earlier(earlier, n_earlier, &acfg, used, s);
	if (!e && o->verbose)
		rs_msg("what threads wait on: %zu threads in %.1f ms; %zu pipes and sockets' other "
		       "ends searched for in %zu processes, %zu fds%s",
		       wst.waits, (double)wst.ns / 1e6, wst.searched, wst.scanned_procs,
		       wst.scanned_fds, wst.by_iterator ? " (by the kernel's file iterator)" : "");
	s->exited_threads += cap->exited;
	if (e) {
		rs_msg("cannot build the report: %s", strerror(-e));
		return RS_EXIT_FATAL;
	}
	if (!s->n_procs && s->exited_procs && o->target.kind != RS_TARGET_CGROUP) {
		rs_msg("%s exited during the snapshot: nothing left to report", s->target);
		return RS_EXIT_FATAL;
	}
	if (all_denied(s, s->target))
		return RS_EXIT_FATAL;
	if (report_losses(cap, s) || cap->partial || (!o->no_kernel && !ksyms && !cap->ksyms))
		s->partial = true;
	report_process_errors(s);
	report_incomplete(s);
	report_churn(s);
	return 0;
}

int rs_cmd_snapshot(const struct rs_opts *o)
{
	struct rs_capture_cfg cfg = { 0 };
	struct rs_report_opts ropts = { .no_kernel = o->no_kernel,
					.threshold_ns = o->threshold_ns,
					.sort = o->sort };
	struct rs_snapshot snap = { 0 };
	struct rs_resolved tgt = { 0 };
	size_t n_caps = o->compare_ns ? o->captures : 1;
	struct rs_capture **caps = NULL, *cap = NULL;
	struct rs_ksyms *ksyms = NULL;
	bool named = true;
	struct rs_symcache *cache = NULL;
	struct rs_prewarm *warm = NULL;
	struct rs_proc **acfg_warm = NULL;
	size_t n_warm = 0;
	enum rs_backend used = RS_BACKEND_BPF;
	char err[2048] = "", notice[1200] = "";
	struct rs_host_env host = { 0 };
	int ret = RS_EXIT_FATAL, e;
	struct rs_tmark start, t;

	if (o->timings)
		rs_timings_enable();
	rs_tmark_start(&start);
	rs_tmark_start(&t);
	e = rs_host_env_init(&host, o->host_root, err, sizeof(err));
	if (!e)
		e = rs_target_resolve(&o->target, "/proc", &host.env, &tgt, err, sizeof(err));
	rs_timings_add(&t, "target resolution");
	if (e) {
		rs_msg("%s", err);
		goto cleanup;
	}
	/* before the threads and the BPF load: their allocations land on populated pages */
	rs_tmark_start(&t);
	rs_heap_prepare(rs_snapshot_heap_bytes(tgt.expect_threads));
	rs_timings_add(&t, "heap populated");
	if (rs_symcache_new(&cache))
		cache = NULL;
	else
		rs_symcache_set_bytes(cache, (size_t)o->symbol_cache_bytes);
	/*
	 * The modules' DWARF does not depend on the capture: opened while the BPF
	 * object loads. Not for --backend proc: it loads nothing, and its perf
	 * samples of running threads need the CPUs the opens would take.
	 */
	if (tgt.n_tgids && o->backend != RS_BACKEND_PROC &&
	    rs_prewarm_start(tgt.tgids, tgt.n_tgids, cache, o->max_debug_size, &warm))
		warm = NULL;

	cfg.target = &tgt;
	cfg.stack_bytes = o->stack_bytes;
	cfg.kernel_stacks = !o->no_kernel;
	cfg.oncpu_wait_ms = 100;
	cfg.expect_threads = tgt.expect_threads;

	caps = calloc(n_caps, sizeof(*caps));
	if (!caps) {
		rs_msg("cannot take the snapshot: %s", strerror(ENOMEM));
		goto cleanup;
	}
	rs_tmark_start(&t);
	e = rs_capture_select_series(o->backend, &cfg, n_caps, o->compare_ns, caps, &used, notice,
				     sizeof(notice), err, sizeof(err));
	rs_timings_add(&t, "capture, in all (the lines above, and cleanup)");
	acfg_warm = rs_prewarm_join(warm, &n_warm);
	if (e) {
		free(caps);
		caps = NULL;
		rs_msg("%s", err);
		goto cleanup;
	}
	cap = caps[n_caps - 1];
	if (notice[0])
		rs_msg("%s", notice);
	report_notes(cap);
	if (!cap->n && !tgt.cgroup.id) {
		rs_msg(
		    "%s was not captured: it exited, or the kernel hides it from this PID namespace",
		    tgt.desc);
		goto cleanup;
	}
	if (!cap->n)
		rs_msg("%s has no processes right now", tgt.desc);

	/* Each capture names its own kernel frames; kallsyms only when one could not. */
	for (size_t i = 0; i < n_caps; i++)
		named = named && caps[i]->ksyms;
	if (!o->no_kernel && !named) {
		rs_tmark_start(&t);
		e = rs_ksyms_load("/proc/kallsyms", &ksyms);
		if (e && used != RS_BACKEND_PROC) { /* the /proc capture said so in its notes */
			char why[256];

			rs_ksyms_explain("/proc/kallsyms", e, why, sizeof(why));
			rs_msg("%s", why);
		}
		rs_timings_add(&t, "kallsyms: read (frames not named by the kernel)");
	}
	/* No BPF nor perf event from here on: only reading the targets. */
	if (drop_privs(o, err, sizeof(err))) {
		rs_msg("%s", err);
		goto cleanup;
	}
	snap.target = tgt.desc;
	tgt.desc = NULL;
	if (rs_snapshot_build(o, cap, used, ksyms, cache, acfg_warm, n_warm, caps, n_caps - 1, NULL,
			      &snap))
		goto cleanup;

	rs_tmark_start(&t);
	e = o->json ? rs_report_json(stdout, &snap, &ropts) : rs_report_text(stdout, &snap, &ropts);
	if (!e && fflush(stdout))
		e = -errno;
	rs_timings_add(&t, "report");
	if (e) {
		rs_msg("cannot write the report to stdout: %s", strerror(-e));
		goto cleanup;
	}
	ret = snap.partial ? RS_EXIT_PARTIAL : RS_EXIT_OK;
cleanup:
	rs_tmark_start(&t);
	rs_snapshot_clear(&snap);
	for (size_t i = 0; caps && i < n_caps; i++)
		rs_capture_free(caps[i]);
	free(caps);
	rs_prewarm_free(warm);
	rs_symcache_free(cache);
	rs_ksyms_free(ksyms);
	rs_resolved_clear(&tgt);
	rs_host_env_clear(&host);
	rs_timings_add(&t, "freeing");
	rs_timings_print(&start);
	return ret;
}
