// SPDX-License-Identifier: GPL-2.0
/*
 * Stuck, spinning, progressing, idle (rsample --compare; README "Stuck,
 * spinning, progressing, idle"): what two or more captures of the same
 * threads, taken an interval apart, say about each one. The rules, in the
 * order they are tried, for a thread present in the first and the last
 * capture:
 *
 *   idle         the last capture finds it parked in a recognised idle wait
 *                (rs_rank_idle(): a reactor's epoll_wait, a pool's condvar
 *                wait, a park), whether or not it woke in between;
 *   stuck        it did not run: no CPU time and no context switch gained,
 *                not on a CPU in any capture; same_site says whether every
 *                capture found it at the same site (same syscall and first
 *                argument, same user stack, else same kernel stack);
 *   spinning     it gained CPU time, and its CPU time plus its time runnable
 *                waiting for a CPU (on a busy node a spinning thread waits
 *                for its turn) grew by at least RS_SPIN_PCT percent of the
 *                time between its first and last capture; it slept at most
 *                RS_SPIN_SLEEPS_PER_CPU_S times per second of CPU time it got
 *                (voluntary switches: a busy loop does not sleep, sched_yield()
 *                is not a sleep; per CPU second, because a thread that computes
 *                10 ms and sleeps 10 ms sleeps rarely per wall second when it
 *                waits for a CPU most of the time), and
 *                every capture found its user stack in the same code region:
 *                the innermost function of one among the innermost
 *                RS_REGION_FRAMES frames of the other (a loop, or a helper
 *                the loop calls);
 *   progressing  anything else: it ran (CPU time or switches) and its stack
 *                moved, or it woke and slept again.
 *
 * A thread only in the last capture is new; one only in the first, exited.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lib.h"
#include "report/report.h"

static const char *const verdict_ids[] = {
	[RS_VERDICT_NONE] = NULL,	    [RS_VERDICT_STUCK] = "stuck",
	[RS_VERDICT_SPINNING] = "spinning", [RS_VERDICT_PROGRESSING] = "progressing",
	[RS_VERDICT_NEW] = "new",	    [RS_VERDICT_IDLE] = "idle",
	[RS_VERDICT_EXITED] = "exited",
};

const char *rs_verdict_id(enum rs_verdict v)
{
	return (size_t)v < sizeof(verdict_ids) / sizeof(verdict_ids[0]) ? verdict_ids[v] : NULL;
}

unsigned int rs_verdict_order(enum rs_verdict v)
{
	switch (v) {
	case RS_VERDICT_STUCK:
		return 0;
	case RS_VERDICT_SPINNING:
		return 1;
	case RS_VERDICT_PROGRESSING:
		return 2;
	case RS_VERDICT_NEW:
		return 3;
	case RS_VERDICT_IDLE:
		return 4;
	default:
		return 5;
	}
}

static bool same_frame_pc(const struct rs_frame *a, const struct rs_frame *b)
{
	if (a->function && b->function)
		return a->addr == b->addr && !strcmp(a->function, b->function);
	return !a->function && !b->function && a->addr == b->addr;
}

static bool same_frames(const struct rs_frame *a, size_t na, const struct rs_frame *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!same_frame_pc(&a[i], &b[i]))
			return false;
	return true;
}

bool rs_verdict_same_site(const struct rs_thread *a, const struct rs_thread *b)
{
	if (a->on_cpu || b->on_cpu || a->state == 'R' || b->state == 'R')
		return false;
	if (a->in_syscall != b->in_syscall)
		return false;
	if (a->in_syscall &&
	    (a->syscall_nr != b->syscall_nr || a->syscall_args[0] != b->syscall_args[0]))
		return false;
	if (a->n_uframes && b->n_uframes)
		return same_frames(a->uframes, a->n_uframes, b->uframes, b->n_uframes);
	if (a->n_kframes && b->n_kframes)
		return same_frames(a->kframes, a->n_kframes, b->kframes, b->n_kframes);
	return a->in_syscall; /* no stack to compare: the same call on the same object */
}

static bool same_function(const struct rs_frame *a, const struct rs_frame *b)
{
	return a->function && b->function ? !strcmp(a->function, b->function) : a->addr == b->addr;
}

/* Whether a's innermost function is among b's innermost RS_REGION_FRAMES frames. */
static bool innermost_within(const struct rs_thread *a, const struct rs_thread *b)
{
	for (size_t j = 0; a->n_uframes && j < b->n_uframes && j < RS_REGION_FRAMES; j++)
		if (same_function(&a->uframes[0], &b->uframes[j]))
			return true;
	return false;
}

bool rs_verdict_same_region(const struct rs_thread *a, const struct rs_thread *b)
{
	return innermost_within(a, b) || innermost_within(b, a);
}

static uint64_t ctxsw(const struct rs_thread *t)
{
	return t->nvcsw + t->nivcsw;
}

enum rs_verdict rs_verdict_of(const struct rs_thread *const *seq, size_t n,
			      struct rs_thread_verdict *out)
{
	const struct rs_thread *first = seq[0], *last = seq[n - 1];
	bool same_site = n > 1, region = n > 1, on_cpu = false;
	struct rs_thread_verdict v = { 0 };
	uint64_t sleeps = last->nvcsw > first->nvcsw ? last->nvcsw - first->nvcsw : 0;

	for (size_t i = 0; i < n; i++) {
		on_cpu |= seq[i]->on_cpu || seq[i]->state == 'R';
		if (i && !rs_verdict_same_site(seq[i - 1], seq[i]))
			same_site = false;
		if (i && !rs_verdict_same_region(seq[i - 1], seq[i]))
			region = false;
	}
	v.same_site = same_site;
	v.wall_ns = last->capture_ns > first->capture_ns ? last->capture_ns - first->capture_ns : 0;
	v.cpu_known = first->cpu_known && last->cpu_known;
	if (v.cpu_known && last->cpu_ns > first->cpu_ns)
		v.cpu_ns_delta = last->cpu_ns - first->cpu_ns;
	if (v.cpu_known && last->run_delay_ns > first->run_delay_ns)
		v.runnable_ns_delta = last->run_delay_ns - first->run_delay_ns;
	if (ctxsw(last) > ctxsw(first))
		v.ctxsw_delta = ctxsw(last) - ctxsw(first);

	if (rs_rank_idle(last) != RS_RANK_OTHER)
		v.verdict = RS_VERDICT_IDLE;
	else if (!on_cpu && !v.cpu_ns_delta && !v.ctxsw_delta)
		v.verdict = RS_VERDICT_STUCK;
	else if (v.cpu_known && v.cpu_ns_delta && v.wall_ns && region &&
		 (v.cpu_ns_delta + v.runnable_ns_delta) * 100 >= v.wall_ns * RS_SPIN_PCT &&
		 sleeps * 1000000000ull <= v.cpu_ns_delta * RS_SPIN_SLEEPS_PER_CPU_S)
		v.verdict = RS_VERDICT_SPINNING;
	else
		v.verdict = RS_VERDICT_PROGRESSING;
	*out = v;
	return v.verdict;
}

/* The thread tid of process pid in snapshot s, or NULL. Both arrays are sorted (rs_assemble). */
static struct rs_thread *find_thread(const struct rs_snapshot *s, uint32_t pid, uint32_t tid)
{
	size_t lo = 0, hi = s->n_procs;
	const struct rs_process *p = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->procs[mid].pid == pid) {
			p = &s->procs[mid];
			break;
		}
		if (s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!p)
		return NULL;
	lo = 0;
	hi = p->n_threads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->threads[mid].tid == tid)
			return &p->threads[mid];
		if (p->threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* When s captured its first thread (CLOCK_MONOTONIC); 0 when no thread says. */
static uint64_t first_capture_ns(const struct rs_snapshot *s)
{
	uint64_t lo = UINT64_MAX;

	for (size_t i = 0; i < s->n_procs; i++)
		for (size_t j = 0; j < s->procs[i].n_threads; j++)
			if (s->procs[i].threads[j].capture_ns &&
			    s->procs[i].threads[j].capture_ns < lo)
				lo = s->procs[i].threads[j].capture_ns;
	return lo == UINT64_MAX ? 0 : lo;
}

static int add_exited(struct rs_compare *c, size_t *cap, const struct rs_process *p,
		      const struct rs_thread *t)
{
	struct rs_gone_thread *g;
	int e = rs_grow(&c->exited, cap, c->n_exited + 1, sizeof(*c->exited), 8);

	if (e)
		return e;
	g = &c->exited[c->n_exited++];
	memset(g, 0, sizeof(*g));
	g->pid = p->pid;
	g->tid = t->tid;
	g->ns_tid = t->ns_tid;
	memcpy(g->name, t->name, sizeof(g->name));
	return 0;
}

int rs_verdicts_apply(struct rs_snapshot *const *caps, size_t n)
{
	struct rs_snapshot *last = caps[n - 1];
	const struct rs_thread **seq;
	size_t cap = 0;
	int e = 0;

	if (n < 2)
		return -EINVAL;
	seq = calloc(n, sizeof(*seq));
	if (!seq)
		return -ENOMEM;
	for (size_t i = 0; i < last->n_procs; i++) {
		struct rs_process *p = &last->procs[i];

		for (size_t j = 0; j < p->n_threads; j++) {
			struct rs_thread *t = &p->threads[j];
			size_t m = 0;

			/* the captures it is in, in order; new when the first lacks it */
			for (size_t k = 0; k + 1 < n; k++) {
				const struct rs_thread *o = find_thread(caps[k], p->pid, t->tid);

				if (o)
					seq[m++] = o;
				else if (!k)
					break;
			}
			if (!m) {
				memset(&t->v, 0, sizeof(t->v));
				t->v.verdict = RS_VERDICT_NEW;
				continue;
			}
			seq[m++] = t;
			rs_verdict_of(seq, m, &t->v);
		}
	}
	for (size_t i = 0; !e && i < caps[0]->n_procs; i++) {
		const struct rs_process *p = &caps[0]->procs[i];

		for (size_t j = 0; !e && j < p->n_threads; j++)
			if (!find_thread(last, p->pid, p->threads[j].tid))
				e = add_exited(&last->compare, &cap, p, &p->threads[j]);
	}
	last->compare.captures = n;
	if (first_capture_ns(last) > first_capture_ns(caps[0]))
		last->compare.interval_ns = first_capture_ns(last) - first_capture_ns(caps[0]);
	free(seq);
	return e;
}
