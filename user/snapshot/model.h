/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The snapshot data model shared by the loader (snapshot.c), the unwinder and
 * symbolizer (proc.c, unwind.c, symbolize.c) and the writers (report_*.c).
 */
#ifndef RS_MODEL_H
#define RS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"

/* One symbolized frame. Strings are malloc'd and owned by the frame. */
struct rs_frame {
	uint64_t addr;	     /* the PC (user: as unwound; kernel: from the kernel stack) */
	char *function;	     /* demangled function name, or NULL when unknown */
	char *module;	     /* module path as the target sees it; "[kernel]" or "[mod]" for kernel */
	char *file;	     /* source file, or NULL */
	uint32_t line;	     /* 0 when unknown */
	uint32_t column;     /* 0 when unknown */
	uint64_t sym_offset; /* addr - symbol start when the name came from a symbol table */
	bool inlined;	     /* this frame was inlined into the frame that follows it */
	bool tailcall;	     /* left by a tail call (not on the stack); addr: its return PC */
	bool kernel;
};

/* How a user stack was unwound. */
struct rs_unwind_info {
	const char *method; /* "dwarf", "fp", "dwarf+fp" or "none" (static string) */
	bool complete;	    /* reached the outermost frame (e.g. _start / clone3) */
	char stop_reason[160];
};

struct rs_thread {
	uint32_t tid, ns_tid;
	char name[RS_COMM_LEN + 1];
	char state;		/* 'R','S','D','T','t','Z','X','I','P' as /proc shows it */
	bool on_cpu;		/* running on a CPU when captured */
	bool from_perf;		/* captured in its own context by a perf sample */
	bool blocked_known;
	uint64_t blocked_ns;	/* time since it last left the CPU (0 when on CPU) */
	bool in_syscall;
	int syscall_nr;
	uint64_t syscall_args[6];
	uint64_t nvcsw, nivcsw;
	uint64_t capture_ns;	/* CLOCK_MONOTONIC at capture, for the snapshot's spread */
	struct rs_frame *kframes; /* innermost first */
	size_t n_kframes;
	struct rs_frame *uframes; /* innermost first, inline frames expanded */
	size_t n_uframes;
	struct rs_unwind_info unwind;
	bool futex_peek_valid;	/* futex_peek holds the words at syscall_args[0] */
	uint32_t futex_peek[6];
	/* Lock analysis (locks.c): the mutex this thread waits for, and who holds it. */
	bool waits_mutex;
	uint64_t mutex_addr;
	uint32_t mutex_owner_ns_tid; /* the owner as the target sees it (gettid in its namespace) */
	uint32_t mutex_owner_tid;    /* the owner's host tid (always a captured thread) */
	uint32_t deadlock;	     /* > 0: member of that process's deadlock cycle number */
	struct rs_task_rec *rec; /* raw record + ustack_len + utop_len stack bytes; owned */
};

struct rs_process {
	uint32_t pid, ns_pid;
	char comm[RS_COMM_LEN + 1];
	char *exe;		/* path as the target sees it, or NULL */
	uint32_t pidns_ino, mntns_ino;
	uint64_t cgroup_id;
	char *cgroup;		/* cgroup v2 path relative to the mount, or NULL */
	struct rs_thread *threads;
	size_t n_threads;
	char *error;		/* non-fatal problem reading this process, or NULL */
	uint32_t n_deadlocks;	/* mutex wait-for cycles found among its threads */
};

struct rs_snapshot {
	struct rs_process *procs;
	size_t n_procs;
	char *target;		/* what the user asked for, e.g. "cgroup /kubepods/pod…" */
	int64_t taken_at_unix_ns; /* wall clock when the snapshot began */
	uint64_t duration_ns;	/* capture wall time, iterator start to last record */
	uint64_t spread_ns;	/* last capture - first capture among threads */
	uint64_t counters[RS_CNT_MAX];
	bool partial;		/* some thread or module could not be read */
};

/* Frees the strings a frame owns; the frame itself is not freed. Accepts NULL. */
void rs_frame_clear(struct rs_frame *f);
/* Frees the arrays of a thread / process / snapshot and everything they own. Accept NULL. */
void rs_thread_clear(struct rs_thread *t);
void rs_process_clear(struct rs_process *p);
void rs_snapshot_clear(struct rs_snapshot *s);

/* Maps a kernel task __state/exit_state to the letter /proc/PID/stat shows. */
char rs_state_letter(uint32_t state, uint32_t exit_state);

#endif
