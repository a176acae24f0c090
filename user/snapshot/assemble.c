// SPDX-License-Identifier: GPL-2.0
/*
 * From raw capture records to the snapshot model: threads grouped into
 * processes, blocked-for computed, syscalls recognised, kernel frames named,
 * user stacks unwound and symbolized.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "arch/arch.h"
#include "lib/lib.h"
#include "snapshot/snapshot_priv.h"
#include "target/target.h"
#include "stack/stack.h"

static int cmp_rec(const void *a, const void *b)
{
	const struct rs_task_rec *x = *(const struct rs_task_rec *const *)a;
	const struct rs_task_rec *y = *(const struct rs_task_rec *const *)b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return 0;
}

static void set_error(struct rs_process *p, const char *fmt, const char *arg, int e)
{
	if (p->error)
		return;
	if (asprintf(&p->error, fmt, arg, strerror(e)) < 0)
		p->error = NULL;
}

bool rs_rec_blocked_ns(const struct rs_task_rec *r, bool on_cpu, uint64_t *ns)
{
	uint64_t left;

	if (on_cpu) {
		*ns = 0;
		return true;
	}
	if (!r->last_arrival_ns || r->sum_exec_ns < r->prev_sum_exec_ns)
		return false;
	left = r->last_arrival_ns + (r->sum_exec_ns - r->prev_sum_exec_ns);
	if (r->now_ns < left)
		left = r->now_ns; /* clocks of two CPUs a tick apart */
	*ns = r->now_ns - left;
	return true;
}

static void set_blocked(struct rs_thread *t, const struct rs_task_rec *r)
{
	uint64_t ns;

	if (rs_rec_blocked_ns(r, t->on_cpu, &ns)) {
		t->blocked_known = true;
		t->blocked_ns = ns;
	}
}

static void set_syscall(struct rs_thread *t, const struct rs_task_rec *r)
{
	if (!(r->flags & RS_TF_REGS) || (r->flags & RS_TF_USER_MODE))
		return;
	t->in_syscall = rs_regs_syscall(&r->regs, &t->syscall_nr, t->syscall_args);
}

static int kernel_frames(struct rs_thread *t, const struct rs_task_rec *r,
			 const struct rs_ksyms *ks)
{
	if (!r->kstack_len)
		return 0;
	t->kframes = calloc(r->kstack_len, sizeof(*t->kframes));
	if (!t->kframes)
		return -ENOMEM;
	for (uint32_t i = 0; i < r->kstack_len && i < RS_KSTACK_MAX; i++) {
		if (rs_kframe(ks, r->kstack[i], &t->kframes[i]))
			return -ENOMEM;
		t->n_kframes++;
	}
	return 0;
}

/*
 * The first user frame that comes from pc index from or later: frames come
 * per pc, inline frames (inlined) first, then the frame of the function
 * itself; tail-call frames, rebuilt from the next pc's call site, sit
 * between two pcs and go with the later one.
 */
static uint32_t frame_of_pc(const struct rs_thread *t, size_t from)
{
	size_t pc = 0, i;

	for (i = 0; i < t->n_uframes && pc < from; i++)
		if (!t->uframes[i].inlined && !t->uframes[i].tailcall)
			pc++;
	return (uint32_t)i;
}

/* What limited a record's stack copy, for a stop at its end (rs_ustack.window_limit). */
static const char *window_limit(const struct rs_task_rec *r)
{
	if (r->flags & RS_TF_PERF_STACK)
		return "a perf sample copies at most 64 KiB; --backend bpf copies up to 256 KiB";
	if (r->flags & RS_TF_DEEP_CUT)
		return "the ring buffer had no room for the deep copy";
	if (r->ustack_len >= RS_USTACK_MAX)
		return "the most rsample copies";
	return NULL;
}

static int user_frames(struct rs_thread *t, const struct rs_task_rec *r, struct rs_proc *proc)
{
	const struct rs_ustack us = {
		.regs = &r->regs,
		.stack = r + 1,
		.len = r->ustack_len,
		.top = r->utop_len ? (const char *)(r + 1) + r->ustack_len : NULL,
		.top_addr = r->utop_addr,
		.top_len = r->utop_len,
		.sp_pc_only = r->flags & RS_TF_REGS_SPIP,
		.window_limit = window_limit(r),
	};
	struct rs_unwound *u;
	int e = 0;

	t->unwind.method = "none";
	if (r->flags & RS_TF_KTHREAD) {
		snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason), "kernel thread");
		return 0;
	}
	if (t->state == 'Z') {
		snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason), "%s",
			 RS_ZOMBIE_REASON);
		return 0;
	}
	if (!(r->flags & RS_TF_REGS)) {
		snprintf(
		    t->unwind.stop_reason, sizeof(t->unwind.stop_reason), "%s",
		    (r->flags & RS_TF_ON_CPU)
			? "no user registers: the thread kept running and no perf sample caught it"
			: "no user registers (thread exiting)");
		return 0;
	}
	if (!proc) {
		snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason),
			 "process mappings unreadable");
		return 0;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	e = rs_stack_user(proc, &us, u, &t->uframes, &t->n_uframes);
	if (e) {
		snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason), "unwind failed: %s",
			 strerror(-e));
		e = e == -ENOMEM ? e : 0;
		goto cleanup;
	}
	t->unwind = u->info;
	t->ustack_lost = !r->ustack_len && r->ustack_err;
	if (t->ustack_lost)
		snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason),
			 "user stack unreadable (error %d)", r->ustack_err);
	if ((r->flags & RS_TF_ON_CPU) && !(r->flags & RS_TF_FROM_PERF))
		snprintf(
		    t->unwind.stop_reason, sizeof(t->unwind.stop_reason),
		    "registers may be stale: thread kept running and no perf sample caught it");
	t->unwind.sp_pc_only = us.sp_pc_only;
	t->unwind.moved = r->flags & RS_TF_MOVED;
	if (u->guessed_from < u->n) {
		t->unwind.guessed = true;
		t->unwind.guessed_frame = frame_of_pc(t, u->guessed_from);
	}
cleanup:
	free(u);
	return e;
}

static int add_thread(struct rs_process *p, const struct rs_task_rec *r,
		      const struct rs_assemble_cfg *cfg, struct rs_proc *proc)
{
	struct rs_thread *t = &p->threads[p->n_threads++];
	int e;

	t->tid = r->tid;
	t->ns_tid = r->ns_tid;
	memcpy(t->name, r->comm, RS_COMM_LEN);
	t->name[RS_COMM_LEN] = '\0';
	t->from_perf = r->flags & RS_TF_FROM_PERF;
	t->on_cpu = r->flags & RS_TF_ON_CPU;
	t->state = t->from_perf ? 'R' : rs_state_letter(r->state, (uint32_t)r->exit_state);
	t->nvcsw = r->nvcsw;
	t->nivcsw = r->nivcsw;
	t->cpu_known = r->sum_exec_ns != 0;
	t->cpu_ns = r->sum_exec_ns;
	t->run_delay_ns = r->run_delay_ns;
	t->capture_ns = r->capture_ktime_ns;
	set_blocked(t, r);
	set_syscall(t, r);
	if (r->flags & RS_TF_REGS)
		t->user_sp = rs_regs_sp(&r->regs);
	if (r->flags & RS_TF_FUTEX_PEEK) {
		t->futex_peek_valid = true;
		memcpy(t->futex_peek, r->futex_peek, sizeof(t->futex_peek));
	}
	if ((r->flags & RS_TF_ARG_PEEK) && r->arg_peek_len <= sizeof(t->arg_peek)) {
		t->arg_peek_len = r->arg_peek_len;
		memcpy(t->arg_peek, r->arg_peek, r->arg_peek_len);
	}
	if (r->flags & RS_TF_BLOCKER) {
		t->blocker_valid = true;
		t->blocker = r->blocker;
		t->blocker_owner_tid = r->blocker_owner_tid;
	}
	if (cfg->kernel) {
		e = kernel_frames(t, r, cfg->ksyms);
		if (e)
			return e;
	}
	return user_frames(t, r, proc);
}

static void read_exe(struct rs_process *p, const char *proc_root)
{
	char path[256], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/exe", proc_root, p->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p->exe = strdup(buf);
}

/* Whether PROC/pid (tid 0) or PROC/pid/task/tid is gone: it exited since its capture. */
static bool proc_gone(const char *proc_root, uint32_t pid, uint32_t tid)
{
	char path[256];

	if (tid)
		snprintf(path, sizeof(path), "%s/%u/task/%u", proc_root, pid, tid);
	else
		snprintf(path, sizeof(path), "%s/%u", proc_root, pid);
	return access(path, F_OK) && errno == ENOENT;
}

/*
 * Whether /proc already shows thread tid as exiting or exited: PF_EXITING set
 * (do_exit() has begun, its mm may be gone), or a zombie waiting for its
 * parent. The scheduler decides when an exiting thread next runs, so this
 * does not depend on how loaded the machine is.
 */
static bool thread_dead(const char *proc_root, uint32_t pid, uint32_t tid)
{
	struct rs_proc_stat st;
	char path[256], *text = NULL;
	size_t len;
	bool dead;

	snprintf(path, sizeof(path), "%s/%u/task/%u/stat", proc_root, pid, tid);
	if (rs_read_file(path, &text, &len))
		return false;
	dead = !rs_parse_stat(text, &st) &&
	       (st.state == 'Z' || st.state == 'X' || (st.flags & RS_PF_EXITING));
	free(text);
	return dead;
}

/*
 * Whether thread tid is gone or exiting, allowing it a few ms to show it: a
 * copy that failed because the thread was exiting can race with /proc.
 * *waits (per process) bounds the sleeping: 2 ms each.
 */
static bool thread_gone(const char *proc_root, uint32_t pid, uint32_t tid, int *waits)
{
	while (!proc_gone(proc_root, pid, tid) && !thread_dead(proc_root, pid, tid)) {
		if (*waits <= 0)
			return false;
		(*waits)--;
		usleep(2000);
	}
	return true;
}

static bool any_zombie(struct rs_task_rec *const *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rs_state_letter(recs[i]->state, (uint32_t)recs[i]->exit_state) == 'Z')
			return true;
	return false;
}

bool rs_rec_exiting(const struct rs_task_rec *r)
{
	char st = rs_state_letter(r->state, (uint32_t)r->exit_state);

	return !(r->flags & RS_TF_KTHREAD) && st != 'Z' &&
	       (st == 'X' || (r->flags & RS_TF_EXITING));
}

bool rs_thread_incomplete(const struct rs_thread *t)
{
	return !t->n_uframes && t->state != 'Z' && strcmp(t->unwind.stop_reason, "kernel thread");
}

/* pid's rs_proc: the one opened ahead when its modules are still the mapped ones, else a new one.
 */
static int open_proc(const struct rs_assemble_cfg *cfg, uint32_t pid, struct rs_proc **out)
{
	for (size_t i = 0; i < cfg->n_warm; i++) {
		struct rs_proc *w = cfg->warm[i];

		if (!w || rs_proc_pid(w) != pid)
			continue;
		cfg->warm[i] = NULL;
		if (!rs_proc_refresh(w)) {
			*out = w;
			return 0;
		}
		rs_proc_free(w); /* exec'd, dlopen'd, or gone: as if never opened */
		break;
	}
	return rs_proc_open(cfg->proc_root, pid, cfg->cache, out);
}

/*
 * One process: recs[0..n) all share one tgid. Threads that were exiting are
 * counted in *exited, not kept; p->exited when the process itself is gone.
 */
static int build_process(struct rs_process *p, struct rs_task_rec **recs, size_t n,
			 const struct rs_assemble_cfg *cfg, size_t *exited)
{
	struct rs_proc *proc = NULL;
	struct rs_thread *t;
	struct rs_tmark tm;
	const char *warn;
	size_t gone = 0;
	int e = 0, waits;

	p->pid = recs[0]->tgid;
	p->ns_pid = recs[0]->ns_tgid;
	p->pidns_ino = recs[0]->pidns_ino;
	p->mntns_ino = recs[0]->mntns_ino;
	p->cgroup_id = recs[0]->cgroup_id;
	for (size_t i = 0; i < n; i++)
		if (recs[i]->tid == recs[i]->tgid)
			memcpy(p->comm, recs[i]->comm, RS_COMM_LEN);
	rs_tmark_start(&tm);
	if (!p->comm[0])
		rs_read_comm(cfg->proc_root, p->pid, p->comm, sizeof(p->comm));
	read_exe(p, cfg->proc_root);
	rs_cgroup_of_pid(cfg->proc_root, p->pid, &p->cgroup);
	rs_timings_add(&tm, "/proc reads: comm, exe, cgroup");

	p->threads = calloc(n, sizeof(*p->threads));
	if (!p->threads)
		return -ENOMEM;
	rs_tmark_start(&tm);
	e = open_proc(cfg, p->pid, &proc);
	rs_timings_add(&tm, "/proc reads: maps, modules reported");
	if (e == -ENOMEM)
		return e;
	/*
	 * Gone, or a zombie by now: a user process without mappings has exited
	 * since its capture (one captured as a zombie stays: that is its state).
	 */
	if (((e == -ESRCH || e == -ENOENT) && proc_gone(cfg->proc_root, p->pid, 0)) ||
	    (!e && !rs_proc_maps(proc)->n && !(recs[0]->flags & RS_TF_KTHREAD) &&
	     !any_zombie(recs, n))) {
		rs_proc_free(proc);
		p->exited = true;
		return 0;
	}
	if (!e && cfg->max_debug_size)
		rs_proc_set_max_debug_size(proc, cfg->max_debug_size);
	if (!e)
		rs_proc_set_deadline(proc, cfg->deadline_ns);
	if (e) {
		char path[64];

		p->denied = e == -EACCES || e == -EPERM;
		snprintf(path, sizeof(path), "%s/%u/maps", cfg->proc_root, p->pid);
		set_error(p,
			  e == -ESRCH
			      ? "cannot read '%s': %s (the process exited during the snapshot)"
			      : "cannot read '%s': %s",
			  path, -e);
		proc = NULL;
	}
	e = 0;
	waits = 10;
	for (size_t i = 0; i < n; i++) {
		if (rs_rec_exiting(recs[i])) {
			gone++;
			continue;
		}
		e = add_thread(p, recs[i], cfg, proc);
		if (e)
			break;
		/* Its stack could not be read, and it is gone by now: churn too. */
		t = &p->threads[p->n_threads - 1];
		if ((t->ustack_lost || rs_thread_incomplete(t)) &&
		    thread_gone(cfg->proc_root, p->pid, t->tid, &waits)) {
			rs_thread_clear(t);
			memset(t, 0, sizeof(*t));
			p->n_threads--;
			gone++;
		}
	}
	rs_tmark_start(&tm);
	if (!e)
		e = rs_locks_analyze(p, proc);
	rs_timings_add(&tm, "lock analysis");
	if (proc && (warn = rs_proc_warnings(proc)) && !p->error) {
		/* its warnings, one per line, without the last newline */
		size_t len = strlen(warn);

		p->error = strndup(warn, len && warn[len - 1] == '\n' ? len - 1 : len);
	}
	rs_proc_free(proc);
	/* Its modules vanished under the symbolizer, or only exiting threads were left. */
	if (!e && ((p->error && proc_gone(cfg->proc_root, p->pid, 0)) || gone == n))
		p->exited = true;
	else
		*exited += gone;
	return e;
}

/* Drops the processes that exited during the snapshot, counting them. */
static void drop_exited(struct rs_snapshot *s)
{
	size_t w = 0;

	for (size_t i = 0; i < s->n_procs; i++) {
		if (s->procs[i].exited) {
			rs_process_clear(&s->procs[i]);
			s->exited_procs++;
		} else {
			s->procs[w++] = s->procs[i];
		}
	}
	s->n_procs = w;
}

int rs_assemble(const struct rs_capture *cap, const struct rs_assemble_cfg *cfg,
		struct rs_snapshot *s)
{
	struct rs_task_rec **recs;
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i, j, nproc = 0;
	int e = 0;

	if (!cap->n)
		return 0;
	recs = malloc(cap->n * sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	memcpy(recs, cap->recs, cap->n * sizeof(*recs));
	qsort(recs, cap->n, sizeof(*recs), cmp_rec);
	for (i = 0; i < cap->n; i++)
		nproc += !i || recs[i]->tgid != recs[i - 1]->tgid;
	s->procs = calloc(nproc, sizeof(*s->procs));
	if (!s->procs) {
		free(recs);
		return -ENOMEM;
	}
	for (i = 0; i < cap->n && !e; i = j) {
		for (j = i + 1; j < cap->n && recs[j]->tgid == recs[i]->tgid; j++)
			;
		e = build_process(&s->procs[s->n_procs++], recs + i, j - i, cfg,
				  &s->exited_threads);
	}
	drop_exited(s);
	for (i = 0; i < cap->n; i++) {
		lo = recs[i]->capture_ktime_ns < lo ? recs[i]->capture_ktime_ns : lo;
		hi = recs[i]->capture_ktime_ns > hi ? recs[i]->capture_ktime_ns : hi;
	}
	s->spread_ns = hi - lo;
	for (i = 0; i < s->n_procs; i++) {
		struct rs_process *p = &s->procs[i];

		if (p->error)
			s->partial = true;
		for (j = 0; j < p->n_threads; j++)
			if (rs_thread_incomplete(&p->threads[j]))
				s->partial = true;
	}
	free(recs);
	return e;
}
