/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "snapshot/snapshot.h"

/* The order of the groups (--sort). */
enum rs_report_sort {
	RS_SORT_RANK = 0, /* suspicion rank first (README "Suspicion ranking"), the default */
	RS_SORT_BLOCKED,  /* per process: deadlock, D, longest blocked, largest (the old order) */
};

struct rs_report_opts {
	bool no_kernel;	       /* omit kernel frames */
	uint64_t threshold_ns; /* threads blocked at least this long are marked as suspicious */
	enum rs_report_sort sort;
	bool one_line; /* JSON: the whole document on one line (watch --json) */
	const char
	    *extra_json; /* JSON: members ("key": value, ...) the document ends with, or NULL */
};

/*
 * Why a thread or group is where the ranking puts it, most suspicious
 * first; rs_rank_of() gives its rank (1 to 7). README "Suspicion ranking"
 * gives the reasons.
 */
enum rs_rank_reason {
	RS_RANK_DEADLOCK = 0,	/* 1: a member of a mutex wait-for cycle */
	RS_RANK_LOCK_CONTENDED, /* 2: waits on a lock word that shows contention */
	RS_RANK_HOLDS_LOCK,	/* 3: holds a mutex (recorded owner) that another thread waits on */
	RS_RANK_MAY_HOLD,	/* 3: blocked in a pool/channel/condvar wait while other threads
				 * wait on a contended lock that records no owner */
	RS_RANK_UNINTERRUPTIBLE, /* 4: D state */
	RS_RANK_LONG_BLOCK,	 /* 5: blocked at least --threshold */
	RS_RANK_OTHER,		 /* 6: running, or blocked briefly */
	RS_RANK_IDLE_REACTOR,	 /* 7: epoll_wait / io_uring_enter with nothing ready */
	RS_RANK_IDLE_POOL,	 /* 7: a worker loop's condvar wait for work */
	RS_RANK_IDLE_PARK,	 /* 7: a runtime's park (std::thread::park, a Parker) */
	RS_RANK_N_REASONS,
};

/* The rank of a reason: 1 (most likely the hang) to 7 (idle). */
unsigned int rs_rank_of(enum rs_rank_reason r);
/* The reason as a JSON word ("lock_contended"), and as the text report's tag ("lock contended"). */
const char *rs_rank_id(enum rs_rank_reason r);
const char *rs_rank_text(enum rs_rank_reason r);
/*
 * Whether t is parked in a recognised idle wait, from its syscall and user
 * frames only (no names of the program's own): RS_RANK_IDLE_REACTOR,
 * _IDLE_POOL or _IDLE_PARK, else RS_RANK_OTHER. A wait with a future's poll
 * below it (blocking inside async code) is never idle.
 */
enum rs_rank_reason rs_rank_idle(const struct rs_thread *t);
/* Why thread t of p ranks where it does (threshold_ns: --threshold). */
enum rs_rank_reason rs_rank_thread(const struct rs_process *p, const struct rs_thread *t,
				   uint64_t threshold_ns);

/* ---- stuck, spinning, progressing, idle (verdict.c; rsample --compare) ---- */

/*
 * Spinning: CPU time gained, and with the time runnable waiting for a CPU at
 * least this percent of the time between the captures...
 */
#define RS_SPIN_PCT 50
/* ...it slept (voluntary context switches) at most this often per second of CPU it got... */
#define RS_SPIN_SLEEPS_PER_CPU_S 10
/* ...and one capture's innermost function is among this many innermost frames of the next. */
#define RS_REGION_FRAMES 3

/*
 * The verdict of one thread from its captures seq[0..n) (oldest first, n >= 1,
 * all of the same thread), with its deltas, into *out; the rules are
 * verdict.c's (README "Stuck, spinning, progressing, idle"). Pure.
 */
enum rs_verdict rs_verdict_of(const struct rs_thread *const *seq, size_t n,
			      struct rs_thread_verdict *out);
/*
 * Whether two captures of a thread are blocked at the same site: neither on a
 * CPU, the same syscall with the same first argument (fd, futex address),
 * and the same user frames (else the same kernel frames) by address.
 */
bool rs_verdict_same_site(const struct rs_thread *a, const struct rs_thread *b);
/*
 * Whether a and b run in the same code region: the innermost function (by
 * name, else by address) of one is among the innermost RS_REGION_FRAMES frames
 * of the other.
 */
bool rs_verdict_same_region(const struct rs_thread *a, const struct rs_thread *b);
/*
 * Labels every thread of caps[n-1] (n >= 2 snapshots of the same target,
 * oldest first, each sorted as rs_assemble() leaves it) from its captures
 * in caps[0..n): t->v. Threads of caps[0] missing from caps[n-1] go to
 * caps[n-1]->compare.exited; compare.captures and interval_ns are set.
 * Returns 0, -EINVAL (n < 2) or -ENOMEM.
 */
int rs_verdicts_apply(struct rs_snapshot *const *caps, size_t n);
/* The verdict as a JSON word ("stuck"); NULL for RS_VERDICT_NONE. */
const char *rs_verdict_id(enum rs_verdict v);
/* Where a verdict's groups go in the report: stuck 0, spinning, progressing, new, idle 4, none 5.
 */
unsigned int rs_verdict_order(enum rs_verdict v);

/* A group of threads of one process with identical state, syscall and stacks. */
struct rs_group {
	const struct rs_process *proc;
	const struct rs_thread **threads; /* sorted by tid */
	size_t n;
	uint64_t max_blocked_ns;
	enum rs_rank_reason reason; /* its most suspicious thread's */
	enum rs_verdict verdict;    /* --compare: its threads' (a group has one) */
};

/*
 * Groups each process's threads by identical stack (kernel frames left out
 * of the key when o->no_kernel, as --no-kernel shows them; threads waiting
 * on different contended locks apart, a deadlock's members together) and
 * sorts the groups by o->sort. RS_SORT_RANK: by rank (of two contended
 * locks, the one more threads wait on first), then longest blocked, larger
 * groups, lowest pid and tid, processes mixed. RS_SORT_BLOCKED:
 * processes in pid order, each one's groups together: deadlock, D state,
 * then longest blocked, then larger groups, then lowest tid. *out is
 * malloc'd (free each ->threads and the array). Returns 0 or -ENOMEM; *out
 * and *n are untouched on failure. Groups point into s: s must outlive them.
 */
int rs_report_group_by(const struct rs_snapshot *s, const struct rs_report_opts *o,
		       struct rs_group **out, size_t *n);
/* Frees each group's threads array and the array itself. Accepts NULL. */
void rs_report_groups_free(struct rs_group *g, size_t n);
/*
 * Time between the first and the last thread's capture: s->spread_ns when
 * set, else computed from the threads' capture_ns. false when unknown (fewer
 * than two threads with a capture time).
 */
bool rs_report_capture_spread(const struct rs_snapshot *s, uint64_t *ns);

/* The human hang report (README "What it prints"). 0 or -errno from the stream. */
int rs_report_text(FILE *f, const struct rs_snapshot *s, const struct rs_report_opts *o);
/* The JSON document (schema_version 1, docs/json.md). */
int rs_report_json(FILE *f, const struct rs_snapshot *s, const struct rs_report_opts *o);

#endif
