/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "snapshot/snapshot.h"

struct rs_report_opts {
	bool no_kernel;	       /* omit kernel frames */
	uint64_t threshold_ns; /* threads blocked at least this long are marked as suspicious */
};

/* A group of threads of one process with identical state, syscall and stacks. */
struct rs_group {
	const struct rs_process *proc;
	const struct rs_thread **threads; /* sorted by tid */
	size_t n;
	uint64_t max_blocked_ns;
};

/*
 * Groups each process's threads by identical stack (kernel frames left out
 * of the key when !with_kernel, as --no-kernel shows them) and sorts the
 * groups most suspicious first: D state, then longest blocked, then larger
 * groups, then lowest tid. *out is malloc'd (free each ->threads and the
 * array). Processes come in pid order, each one's groups together.
 * Returns 0 or -ENOMEM; *out and *n are untouched on failure. Groups point
 * into s: s must outlive them.
 */
int rs_report_group_by(const struct rs_snapshot *s, bool with_kernel, struct rs_group **out,
		       size_t *n);
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
