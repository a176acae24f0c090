// SPDX-License-Identifier: GPL-2.0
/*
 * The hang watch's bookkeeping (watch.h): per process, its threads' current
 * blocks and the wait sites known to be idle; per tick, which threads became
 * candidates, which incidents open and which clear.
 *
 * A block is one stretch off the CPU: the same state, syscall and first
 * argument with no context switch in between. A thread is a candidate once
 * its block has lasted the threshold, in S at a site (syscall, first
 * argument) not known idle, or in D; or once it has been runnable without
 * getting any CPU for the threshold while no thread of its process ran.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "arch/arch.h"
#include "lib/lib.h"
#include "snapshot/snapshot.h"
#include "watch/watch.h"

enum cand {
	CAND_NONE = 0, /* not blocked long enough, or its block ended */
	CAND_PENDING,  /* past the threshold at an unknown site: waits for a snapshot */
	CAND_IDLE,     /* past the threshold at an idle site */
	CAND_HANG,     /* part of a hang */
};

struct wthread {
	uint32_t tid;
	char comm[RS_COMM_LEN + 1];
	char state;
	bool in_syscall;
	int syscall_nr;
	uint64_t arg0, switches, sum_exec_ns, blocked_ns;
	uint64_t block_start_ns; /* CLOCK_MONOTONIC its current block (or wait for CPU) began */
	enum cand cand;
	enum rs_watch_why why;
	char reason[48];
};

struct site {
	int nr;
	uint64_t arg0;
};

struct wproc {
	uint32_t tgid;
	char comm[RS_COMM_LEN + 1];
	struct wthread *threads; /* by tid */
	size_t n_threads, cap_threads;
	struct site *sites; /* idle sites, a ring of max_sites */
	size_t n_sites, next_site;
	uint64_t progress_ns; /* CLOCK_MONOTONIC a thread of it last got CPU time */
	bool open;	      /* an incident is open */
	struct rs_watch_incident inc;
	uint64_t gen; /* the tick it was last observed at */
};

struct rs_watch {
	struct rs_watch_cfg cfg;
	struct wproc *procs;
	size_t n_procs, cap_procs;
	uint64_t gen, next_id;
	struct rs_watch_obs *sorted;
	size_t cap_sorted;
	uint32_t *snap;
	size_t cap_snap;
	struct rs_watch_incident *cleared;
	bool *cleared_exit;
	size_t n_cleared, cap_cleared, cap_cleared_exit;
};

void rs_watch_obs_from_rec(const struct rs_task_rec *r, struct rs_watch_obs *o)
{
	uint64_t args[6] = { 0 };

	memset(o, 0, sizeof(*o));
	o->tgid = r->tgid;
	o->tid = r->tid;
	o->state = rs_state_letter(r->state, r->exit_state);
	o->on_cpu = r->flags & RS_TF_ON_CPU;
	o->blocked_known = rs_rec_blocked_ns(r, o->on_cpu, &o->blocked_ns);
	if ((r->flags & RS_TF_REGS) && !(r->flags & RS_TF_USER_MODE))
		o->in_syscall = rs_regs_syscall(&r->regs, &o->syscall_nr, args);
	o->arg0 = args[0];
	o->switches = r->nvcsw + r->nivcsw;
	o->sum_exec_ns = r->sum_exec_ns;
	memcpy(o->comm, r->comm, RS_COMM_LEN);
	o->comm[RS_COMM_LEN] = '\0';
}

int rs_watch_new(const struct rs_watch_cfg *cfg, struct rs_watch **out)
{
	struct rs_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	if (!w->cfg.max_sites)
		w->cfg.max_sites = 1024;
	*out = w;
	return 0;
}

static void incident_clear(struct rs_watch_incident *inc)
{
	free(inc->threads);
	memset(inc, 0, sizeof(*inc));
}

static void proc_free(struct wproc *p)
{
	free(p->threads);
	free(p->sites);
	incident_clear(&p->inc);
}

static void cleared_reset(struct rs_watch *w)
{
	for (size_t i = 0; i < w->n_cleared; i++)
		incident_clear(&w->cleared[i]);
	w->n_cleared = 0;
}

void rs_watch_free(struct rs_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_procs; i++)
		proc_free(&w->procs[i]);
	cleared_reset(w);
	free(w->procs);
	free(w->sorted);
	free(w->snap);
	free(w->cleared);
	free(w->cleared_exit);
	free(w);
}

static int cmp_obs(const void *a, const void *b)
{
	const struct rs_watch_obs *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static struct wproc *find_proc(struct rs_watch *w, uint32_t tgid)
{
	for (size_t i = 0; i < w->n_procs; i++)
		if (w->procs[i].tgid == tgid)
			return &w->procs[i];
	return NULL;
}

static bool site_idle(const struct wproc *p, int nr, uint64_t arg0)
{
	for (size_t i = 0; i < p->n_sites; i++)
		if (p->sites[i].nr == nr && p->sites[i].arg0 == arg0)
			return true;
	return false;
}

/* An incident ends: handed to the caller through the cleared list. */
static int clear_incident(struct rs_watch *w, struct wproc *p, bool exited)
{
	if (rs_grow(&w->cleared, &w->cap_cleared, w->n_cleared, sizeof(*w->cleared), 4) ||
	    rs_grow(&w->cleared_exit, &w->cap_cleared_exit, w->n_cleared, sizeof(*w->cleared_exit),
		    4))
		return -ENOMEM;
	w->cleared[w->n_cleared] = p->inc;
	w->cleared_exit[w->n_cleared++] = exited;
	memset(&p->inc, 0, sizeof(p->inc));
	p->open = false;
	return 0;
}

/* The threads of p from its sorted observations obs[0..n): kept state carried over. */
static int update_threads(struct rs_watch *w, struct wproc *p, const struct rs_watch_obs *obs,
			  size_t n, uint64_t now_ns)
{
	struct wthread *old = p->threads, *nt;
	size_t n_old = p->n_threads, j = 0;

	nt = calloc(n ? n : 1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct rs_watch_obs *o = &obs[i];
		struct wthread *t = &nt[i], *prev = NULL;
		bool same;

		while (j < n_old && old[j].tid < o->tid)
			j++;
		if (j < n_old && old[j].tid == o->tid)
			prev = &old[j];
		same = prev && prev->switches == o->switches && prev->state == o->state &&
		       prev->in_syscall == o->in_syscall && prev->syscall_nr == o->syscall_nr &&
		       prev->arg0 == o->arg0;
		if (same)
			*t = *prev;
		else
			t->block_start_ns = now_ns - (o->blocked_known ? o->blocked_ns : 0);
		if (!prev || prev->sum_exec_ns != o->sum_exec_ns || o->on_cpu)
			p->progress_ns = now_ns;
		/* Runnable without CPU: its wait for a CPU counts from when it was seen so. */
		if (same && o->state == 'R' && prev->sum_exec_ns != o->sum_exec_ns)
			t->block_start_ns = now_ns;
		t->tid = o->tid;
		memcpy(t->comm, o->comm, sizeof(t->comm));
		t->state = o->state;
		t->in_syscall = o->in_syscall;
		t->syscall_nr = o->syscall_nr;
		t->arg0 = o->arg0;
		t->switches = o->switches;
		t->sum_exec_ns = o->sum_exec_ns;
		t->blocked_ns = o->on_cpu ? 0 : now_ns - t->block_start_ns;
		if (!same || o->on_cpu)
			t->cand = CAND_NONE;
	}
	free(old);
	p->threads = nt;
	p->n_threads = p->cap_threads = n;
	(void)w;
	return 0;
}

/* Who of p is a candidate now; whether p needs a snapshot. */
static bool judge(struct rs_watch *w, struct wproc *p, uint64_t now_ns)
{
	uint64_t th = w->cfg.threshold_ns;
	bool starving = now_ns - p->progress_ns >= th, need = false;

	for (size_t i = 0; i < p->n_threads; i++) {
		struct wthread *t = &p->threads[i];
		bool long_block = t->blocked_ns >= th;

		if (t->cand != CAND_NONE) {
			need |= t->cand == CAND_PENDING || (t->cand == CAND_HANG && !p->open);
			continue;
		}
		if (!long_block)
			continue;
		if (t->state == 'D') {
			t->cand = CAND_HANG;
			t->why = RS_WHY_D_STATE;
		} else if (t->state == 'S' && t->in_syscall) {
			t->cand = site_idle(p, t->syscall_nr, t->arg0) ? CAND_IDLE : CAND_PENDING;
			t->why = RS_WHY_BLOCKED;
		} else if (t->state == 'R' && starving) {
			t->cand = CAND_HANG;
			t->why = RS_WHY_STARVED;
		}
		need |= t->cand == CAND_PENDING || (t->cand == CAND_HANG && !p->open);
	}
	return need;
}

static bool has_hang(const struct wproc *p)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (p->threads[i].cand == CAND_HANG)
			return true;
	return false;
}

int rs_watch_tick(struct rs_watch *w, uint64_t now_ns, const struct rs_watch_obs *obs, size_t n,
		  struct rs_watch_events *ev)
{
	size_t n_snap = 0, i = 0;
	int e;

	memset(ev, 0, sizeof(*ev));
	cleared_reset(w);
	w->gen++;
	if (rs_grow(&w->sorted, &w->cap_sorted, n, sizeof(*w->sorted), 64))
		return -ENOMEM;
	if (n)
		memcpy(w->sorted, obs, n * sizeof(*obs));
	qsort(w->sorted, n, sizeof(*w->sorted), cmp_obs);
	while (i < n) {
		size_t k = i;
		struct wproc *p;

		while (k < n && w->sorted[k].tgid == w->sorted[i].tgid)
			k++;
		p = find_proc(w, w->sorted[i].tgid);
		if (!p) {
			if (rs_grow(&w->procs, &w->cap_procs, w->n_procs, sizeof(*w->procs), 8))
				return -ENOMEM;
			p = &w->procs[w->n_procs++];
			memset(p, 0, sizeof(*p));
			p->tgid = w->sorted[i].tgid;
			p->progress_ns = now_ns;
		}
		/* The leader's name, else the first thread's. */
		memcpy(p->comm, w->sorted[i].comm, sizeof(p->comm));
		p->gen = w->gen;
		e = update_threads(w, p, w->sorted + i, k - i, now_ns);
		if (e)
			return e;
		i = k;
	}
	/* Processes not seen any more exited: forgotten, their incident cleared. */
	for (size_t j = 0; j < w->n_procs;) {
		struct wproc *p = &w->procs[j];

		if (p->gen == w->gen) {
			j++;
			continue;
		}
		if (p->open && (e = clear_incident(w, p, true)))
			return e;
		proc_free(p);
		w->procs[j] = w->procs[--w->n_procs];
	}
	for (size_t j = 0; j < w->n_procs; j++) {
		struct wproc *p = &w->procs[j];

		if (judge(w, p, now_ns)) {
			if (rs_grow(&w->snap, &w->cap_snap, n_snap, sizeof(*w->snap), 8))
				return -ENOMEM;
			w->snap[n_snap++] = p->tgid;
		}
		if (p->open && !has_hang(p) && (e = clear_incident(w, p, false)))
			return e;
	}
	ev->snap_tgids = w->snap;
	ev->n_snap = n_snap;
	ev->cleared = w->cleared;
	ev->cleared_exit = w->cleared_exit;
	ev->n_cleared = w->n_cleared;
	return 0;
}

static struct wthread *find_thread(struct wproc *p, uint32_t tid)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

void rs_watch_classify(struct rs_watch *w, uint32_t tgid, uint32_t tid, enum rs_watch_verdict v,
		       const char *reason)
{
	struct wproc *p = find_proc(w, tgid);
	struct wthread *t = p ? find_thread(p, tid) : NULL;

	if (!t || t->cand != CAND_PENDING)
		return;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
	if (v == RS_WATCH_GONE) {
		t->cand = CAND_NONE;
		return;
	}
	if (v == RS_WATCH_HANG) {
		t->cand = CAND_HANG;
		return;
	}
	t->cand = CAND_IDLE;
	if (site_idle(p, t->syscall_nr, t->arg0))
		return;
	if (!p->sites) {
		p->sites = calloc(w->cfg.max_sites, sizeof(*p->sites));
		if (!p->sites)
			return; /* not remembered: classified again at its next long block */
	}
	p->sites[p->next_site] = (struct site){ .nr = t->syscall_nr, .arg0 = t->arg0 };
	p->next_site = (p->next_site + 1) % w->cfg.max_sites;
	if (p->n_sites < w->cfg.max_sites)
		p->n_sites++;
}

void rs_watch_classify_rest(struct rs_watch *w, uint32_t tgid)
{
	struct wproc *p = find_proc(w, tgid);

	for (size_t i = 0; p && i < p->n_threads; i++)
		if (p->threads[i].cand == CAND_PENDING)
			p->threads[i].cand = CAND_NONE;
}

bool rs_watch_open(struct rs_watch *w, uint32_t tgid, uint64_t now_ns,
		   const struct rs_watch_incident **out)
{
	struct wproc *p = find_proc(w, tgid);
	struct rs_watch_incident *inc;
	size_t n = 0;

	if (!p || p->open)
		return false;
	for (size_t i = 0; i < p->n_threads; i++) {
		if (p->threads[i].cand == CAND_PENDING)
			return false;
		n += p->threads[i].cand == CAND_HANG;
	}
	if (!n)
		return false;
	inc = &p->inc;
	inc->threads = calloc(n, sizeof(*inc->threads));
	if (!inc->threads)
		return false; /* tried again at the next tick */
	inc->id = ++w->next_id;
	inc->tgid = p->tgid;
	memcpy(inc->comm, p->comm, sizeof(inc->comm));
	inc->opened_ns = now_ns;
	inc->since_ns = now_ns;
	for (size_t i = 0; i < p->n_threads; i++) {
		const struct wthread *t = &p->threads[i];
		struct rs_watch_thread *o;

		if (t->cand != CAND_HANG)
			continue;
		o = &inc->threads[inc->n_threads++];
		o->tid = t->tid;
		memcpy(o->comm, t->comm, sizeof(o->comm));
		o->why = t->why;
		o->state = t->state;
		o->in_syscall = t->in_syscall;
		o->syscall_nr = t->syscall_nr;
		o->arg0 = t->arg0;
		o->blocked_ns = now_ns - t->block_start_ns;
		memcpy(o->reason, t->reason, sizeof(o->reason));
		if (t->block_start_ns < inc->since_ns)
			inc->since_ns = t->block_start_ns;
	}
	p->open = true;
	*out = inc;
	return true;
}

void rs_watch_usage(const struct rs_watch *w, size_t *procs, size_t *threads, size_t *sites)
{
	*procs = w->n_procs;
	*threads = *sites = 0;
	for (size_t i = 0; i < w->n_procs; i++) {
		*threads += w->procs[i].n_threads;
		*sites += w->procs[i].n_sites;
	}
}

const char *rs_watch_why_id(enum rs_watch_why why)
{
	switch (why) {
	case RS_WHY_BLOCKED:
		return "blocked";
	case RS_WHY_D_STATE:
		return "uninterruptible";
	case RS_WHY_STARVED:
		return "starved";
	}
	return "blocked";
}
