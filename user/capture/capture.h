/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side of a snapshot: loads bpf/snapshot.bpf.c, runs the task
 * iterator over the target, re-captures on-CPU threads in their own context
 * with a per-thread perf sample, and hands back the raw records.
 */
#ifndef RS_CAPTURE_H
#define RS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"
#include "target/target.h"

struct rs_capture_cfg {
	const struct rs_resolved *target; /* tgids, tids or cgroup subtree; not owned */
	uint32_t stack_bytes;	/* user stack bytes copied per thread */
	bool kernel_stacks;
	uint32_t oncpu_wait_ms;	/* how long to wait for on-CPU threads' perf samples */
	size_t expect_threads;	/* sizing hint for the ring buffer, 0 = default */
};

struct rs_capture {
	struct rs_task_rec **recs; /* each malloc'd: header + ustack_len + utop_len bytes */
	size_t n;
	uint64_t counters[RS_CNT_MAX];
	uint64_t wall_ns;	/* iterator start to last record */
	int64_t taken_at_unix_ns; /* CLOCK_REALTIME when the iterator started */
	size_t oncpu_missed;	/* on-CPU threads with stale registers (no perf sample) */
};

/*
 * Runs one snapshot. Returns 0, or -errno with a one-line message naming
 * cause and fix in err (-EPERM: no privilege; -ENOSYS/-EOPNOTSUPP: kernel
 * lacks a feature). *out is malloc'd; untouched on failure.
 */
int rs_capture_run(const struct rs_capture_cfg *cfg, struct rs_capture **out, char *err,
		   size_t errlen);
void rs_capture_free(struct rs_capture *c);

#endif
