/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

struct rs_report_opts {
	bool no_kernel;		/* omit kernel frames */
	uint64_t threshold_ns;	/* threads blocked at least this long are marked as suspicious */
};

/* A group of threads of one process with identical state, syscall and stacks. */
struct rs_group {
	const struct rs_process *proc;
	const struct rs_thread **threads; /* sorted by tid */
	size_t n;
	uint64_t max_blocked_ns;
};

/*
 * Groups each process's threads by identical stack and sorts the groups most
 * suspicious first: D state, then longest blocked, then larger groups, then
 * lowest tid. *out is malloc'd (free each ->threads and the array).
 */
int rs_report_group(const struct rs_snapshot *s, struct rs_group **out, size_t *n);
void rs_report_groups_free(struct rs_group *g, size_t n);

/* The human hang report (DESIGN.md §6). 0 or -errno from the stream. */
int rs_report_text(FILE *f, const struct rs_snapshot *s, const struct rs_report_opts *o);
/* The JSON document (schema_version 1, DESIGN.md §6). */
int rs_report_json(FILE *f, const struct rs_snapshot *s, const struct rs_report_opts *o);

#endif
