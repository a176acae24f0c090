// SPDX-License-Identifier: GPL-2.0
/*
 * Groups of threads with identical state, syscall and stacks, most suspicious
 * first: what both hang-report writers print.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* NULL sorts first. */
static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_frame(const struct rs_frame *a, const struct rs_frame *b, bool with_module)
{
	int c;

	/* an unnamed frame is known by its address alone */
	if (!a->function || !b->function) {
		c = (a->function != NULL) - (b->function != NULL);
		return c ? c : cmp_u64(a->addr, b->addr);
	}
	c = strcmp(a->function, b->function);
	if (c || !with_module)
		return c;
	return cmp_str(a->module, b->module);
}

static int cmp_frames(const struct rs_frame *a, size_t na, const struct rs_frame *b, size_t nb,
		      bool with_module)
{
	int c = cmp_u64(na, nb);

	for (size_t i = 0; !c && i < na; i++)
		c = cmp_frame(&a[i], &b[i], with_module);
	return c;
}

/* The grouping key: equal means "same group". */
static int cmp_key(const struct rs_thread *a, const struct rs_thread *b, bool with_kernel)
{
	int c;

	c = (a->state > b->state) - (a->state < b->state);
	if (!c) /* --compare: a stuck thread and a progressing one are not one group */
		c = cmp_u64(a->v.verdict, b->v.verdict);
	if (!c)
		c = (a->in_syscall > b->in_syscall) - (a->in_syscall < b->in_syscall);
	if (!c && a->in_syscall)
		c = (a->syscall_nr > b->syscall_nr) - (a->syscall_nr < b->syscall_nr);
	if (!c)
		c = (a->deadlock != 0) - (b->deadlock != 0);
	/* waiters on contended locks: one group per lock (a deadlock's members stay together) */
	if (!c)
		c = cmp_u64(a->lock_kind, b->lock_kind);
	if (!c && !a->deadlock)
		c = cmp_u64(a->mutex_addr, b->mutex_addr);
	if (!c && with_kernel)
		c = cmp_frames(a->kframes, a->n_kframes, b->kframes, b->n_kframes, false);
	if (!c)
		c = cmp_frames(a->uframes, a->n_uframes, b->uframes, b->n_uframes, true);
	return c;
}

static int cmp_thread(const void *pa, const void *pb, void *ctx)
{
	const struct rs_thread *a = *(const struct rs_thread *const *)pa;
	const struct rs_thread *b = *(const struct rs_thread *const *)pb;
	int c = cmp_key(a, b, *(const bool *)ctx);

	return c ? c : cmp_u64(a->tid, b->tid);
}

static int cmp_proc(const struct rs_group *a, const struct rs_group *b)
{
	int c = cmp_u64(a->proc->pid, b->proc->pid);

	return c ? c : (a->proc > b->proc) - (a->proc < b->proc); /* same pid twice: model order */
}

/* --sort blocked: per process, deadlock, D, longest blocked, largest. */
static int cmp_group_blocked(const struct rs_group *a, const struct rs_group *b)
{
	bool da = a->threads[0]->state == 'D', db = b->threads[0]->state == 'D';
	bool la = a->threads[0]->deadlock, lb = b->threads[0]->deadlock;
	int c;

	c = cmp_proc(a, b);
	if (!c)
		c = (lb > la) - (lb < la); /* a deadlock is certain; D is only likely trouble */
	if (!c)
		c = (db > da) - (db < da);
	return c;
}

static int cmp_group(const void *pa, const void *pb, void *ctx)
{
	const struct rs_group *a = pa, *b = pb;
	int c;

	/* --compare: stuck groups (deadlocks among them) first, then spinning, ..., idle */
	c = cmp_u64(rs_verdict_order(a->verdict), rs_verdict_order(b->verdict));
	if (c)
		return c;
	if (*(const enum rs_report_sort *)ctx == RS_SORT_BLOCKED)
		c = cmp_group_blocked(a, b);
	else
		c = cmp_u64(rs_rank_of(a->reason), rs_rank_of(b->reason));
	/* of two contended locks, the one more threads wait on first */
	if (!c && *(const enum rs_report_sort *)ctx == RS_SORT_RANK &&
	    a->reason == RS_RANK_LOCK_CONTENDED && b->reason == RS_RANK_LOCK_CONTENDED)
		c = cmp_u64(b->n, a->n);
	if (!c)
		c = cmp_u64(b->max_blocked_ns, a->max_blocked_ns);
	if (!c)
		c = cmp_u64(b->n, a->n);
	if (!c)
		c = cmp_proc(a, b);
	if (!c)
		c = cmp_u64(a->threads[0]->tid, b->threads[0]->tid);
	return c;
}

static int append_group(struct rs_group **v, size_t *n, size_t *cap, const struct rs_process *p,
			const struct rs_thread *const *threads, size_t count, uint64_t threshold_ns)
{
	struct rs_group *g;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		g = realloc(*v, ncap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		*v = g;
		*cap = ncap;
	}
	g = &(*v)[*n];
	memset(g, 0, sizeof(*g));
	g->proc = p;
	g->threads = malloc(count * sizeof(*g->threads));
	if (!g->threads)
		return -ENOMEM;
	memcpy(g->threads, threads, count * sizeof(*g->threads));
	g->n = count;
	g->reason = RS_RANK_N_REASONS;
	g->verdict = threads[0]->v.verdict;
	for (size_t i = 0; i < count; i++) {
		enum rs_rank_reason r = rs_rank_thread(p, threads[i], threshold_ns);

		if (g->reason == RS_RANK_N_REASONS || rs_rank_of(r) < rs_rank_of(g->reason))
			g->reason = r;
		if (threads[i]->blocked_known && threads[i]->blocked_ns > g->max_blocked_ns)
			g->max_blocked_ns = threads[i]->blocked_ns;
	}
	(*n)++;
	return 0;
}

int rs_report_group_by(const struct rs_snapshot *s, const struct rs_report_opts *o,
		       struct rs_group **out, size_t *n)
{
	const struct rs_thread **v = NULL;
	struct rs_group *groups = NULL;
	size_t ng = 0, cap = 0;
	bool with_kernel = !o->no_kernel;
	enum rs_report_sort sort = o->sort;
	int err = 0;

	for (size_t pi = 0; pi < s->n_procs; pi++) {
		const struct rs_process *p = &s->procs[pi];
		size_t i, j;

		if (!p->n_threads)
			continue;
		v = malloc(p->n_threads * sizeof(*v));
		if (!v) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (i = 0; i < p->n_threads; i++)
			v[i] = &p->threads[i];
		qsort_r(v, p->n_threads, sizeof(*v), cmp_thread, &with_kernel);
		for (i = 0; i < p->n_threads; i = j) {
			for (j = i + 1; j < p->n_threads && !cmp_key(v[i], v[j], with_kernel); j++)
				;
			err = append_group(&groups, &ng, &cap, p, v + i, j - i, o->threshold_ns);
			if (err)
				goto cleanup;
		}
		free(v);
		v = NULL;
	}
	if (ng)
		qsort_r(groups, ng, sizeof(*groups), cmp_group, &sort);
	*out = groups;
	*n = ng;
	groups = NULL;
	ng = 0;
cleanup:
	free(v);
	rs_report_groups_free(groups, ng);
	return err;
}

void rs_report_groups_free(struct rs_group *g, size_t n)
{
	if (!g)
		return;
	for (size_t i = 0; i < n; i++)
		free(g[i].threads);
	free(g);
}

bool rs_report_capture_spread(const struct rs_snapshot *s, uint64_t *ns)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t n = 0;

	if (s->spread_ns) {
		*ns = s->spread_ns;
		return true;
	}
	for (size_t i = 0; i < s->n_procs; i++) {
		for (size_t j = 0; j < s->procs[i].n_threads; j++) {
			uint64_t c = s->procs[i].threads[j].capture_ns;

			if (!c)
				continue;
			lo = c < lo ? c : lo;
			hi = c > hi ? c : hi;
			n++;
		}
	}
	if (n < 2)
		return false;
	*ns = hi - lo;
	return true;
}
