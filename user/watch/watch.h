/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hang watch's decisions (watch.h, watch.c): from one cheap observation
 * of every target thread per tick (no stacks), which processes have a thread
 * blocked past the threshold at a wait site not yet known to be idle, which
 * incidents open and which clear. Pure bookkeeping, no I/O: the command
 * (cmd/watch.c) captures, snapshots and prints. README "Hang watch" states
 * the rule.
 */
#ifndef RS_WATCH_H
#define RS_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"

/* One thread at one tick. */
struct rs_watch_obs {
	uint32_t tgid, tid;
	char state;	     /* 'R', 'S', 'D', ... as /proc shows it */
	bool on_cpu;	     /* running at the instant it was seen */
	bool blocked_known;  /* blocked_ns is known */
	uint64_t blocked_ns; /* time since it last left a CPU */
	bool in_syscall;
	int syscall_nr;
	uint64_t arg0;	      /* the syscall's first argument: the fd, the futex word... */
	uint64_t switches;    /* voluntary + involuntary context switches */
	uint64_t sum_exec_ns; /* CPU time used so far */
	char comm[RS_COMM_LEN + 1];
};

/* Fills o from a capture record (light or full). */
void rs_watch_obs_from_rec(const struct rs_task_rec *r, struct rs_watch_obs *o);

/* Why a thread is part of an incident. */
enum rs_watch_why {
	RS_WHY_BLOCKED = 0, /* blocked past the threshold at a site not known to be idle */
	RS_WHY_D_STATE,	    /* uninterruptible (D) past the threshold */
	RS_WHY_STARVED,	    /* runnable but given no CPU for the threshold (work queued) */
};

/* What the snapshot said of a candidate thread (rs_watch_classify()). */
enum rs_watch_verdict {
	RS_WATCH_IDLE = 0, /* an idle wait: the site never triggers again */
	RS_WATCH_HANG,	   /* a hang: opens or joins the process's incident */
	RS_WATCH_GONE,	   /* not in the snapshot (it woke or exited meanwhile) */
};

struct rs_watch_thread {
	uint32_t tid;
	char comm[RS_COMM_LEN + 1];
	enum rs_watch_why why;
	char state;
	bool in_syscall;
	int syscall_nr;
	uint64_t arg0;
	uint64_t blocked_ns; /* at the tick the incident opened */
	char reason[48];     /* the snapshot's rank reason ("lock contended"), or "" */
};

/* An incident: one process, the threads that made it one. */
struct rs_watch_incident {
	uint64_t id; /* 1, 2, ... in the order they opened */
	uint32_t tgid;
	char comm[RS_COMM_LEN + 1];
	uint64_t opened_ns;		 /* CLOCK_MONOTONIC of the tick it opened at */
	uint64_t since_ns;		 /* CLOCK_MONOTONIC its longest thread's block began */
	struct rs_watch_thread *threads; /* by tid */
	size_t n_threads;
};

struct rs_watch_cfg {
	uint64_t threshold_ns;
	size_t max_sites; /* idle sites remembered per process (0: 1024); the oldest goes first */
};

struct rs_watch;

/* *out is malloc'd (rs_watch_free()); untouched on failure. 0 or -ENOMEM. */
int rs_watch_new(const struct rs_watch_cfg *cfg, struct rs_watch **out);
void rs_watch_free(struct rs_watch *w);

/* What rs_watch_tick() found, for the caller to act on. */
struct rs_watch_events {
	/* Processes with candidates to classify: take their snapshot, then rs_watch_classify(). */
	uint32_t *snap_tgids;
	size_t n_snap;
	/* Incidents that cleared at this tick (owned by the watch until the next tick). */
	struct rs_watch_incident *cleared;
	size_t n_cleared;
	bool *cleared_exit; /* [i]: it cleared because its process exited */
};

/*
 * One tick at now_ns (CLOCK_MONOTONIC) with every target thread's
 * observation obs[0..n) (any order). Processes no longer observed are
 * forgotten (their incident, if open, clears with exit set). Fills *ev
 * (owned by w, valid until the next call). 0 or -ENOMEM.
 */
int rs_watch_tick(struct rs_watch *w, uint64_t now_ns, const struct rs_watch_obs *obs, size_t n,
		  struct rs_watch_events *ev);

/*
 * The snapshot's verdict on candidate tid of tgid (reason: the rank
 * reason's text, or NULL). IDLE remembers its site as idle; HANG marks the
 * thread for rs_watch_open().
 */
void rs_watch_classify(struct rs_watch *w, uint32_t tgid, uint32_t tid, enum rs_watch_verdict v,
		       const char *reason);

/* Candidates of tgid the snapshot did not show (they woke or exited): not candidates now. */
void rs_watch_classify_rest(struct rs_watch *w, uint32_t tgid);

/*
 * After classification: whether tgid now has an incident to report (its
 * hanging threads, no incident open yet). Opens it and returns it in *out
 * (owned by w, valid until the next tick). Candidates left unclassified
 * stay pending.
 */
bool rs_watch_open(struct rs_watch *w, uint32_t tgid, uint64_t now_ns,
		   const struct rs_watch_incident **out);

/* Processes and threads tracked now, and idle sites remembered (memory bound checks). */
void rs_watch_usage(const struct rs_watch *w, size_t *procs, size_t *threads, size_t *sites);

/* "blocked", "uninterruptible", "starved": the JSON words of why. */
const char *rs_watch_why_id(enum rs_watch_why why);

#endif
