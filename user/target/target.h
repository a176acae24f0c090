/* SPDX-License-Identifier: GPL-2.0 */
/* Turns the command line's TARGET into what the capture filters on. */
#ifndef RS_TARGET_H
#define RS_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include "target/cgroup.h"
#include "cli/opts.h"

struct rs_resolved {
	uint32_t *tgids;	/* --pid */
	size_t n_tgids;
	uint32_t *tids;		/* --tid */
	size_t n_tids;
	struct rs_cgroup cgroup; /* --cgroup: id != 0 */
	size_t expect_threads;	/* how many threads the target has now (sizing hint) */
	char *desc;		/* "pid 42", "cgroup /kubepods/…" */
};

/*
 * Checks that the target exists and resolves it. proc_root is "/proc"; env
 * may be NULL. Returns 0, or -ESRCH (no such process/thread), -ENOENT /
 * -ENOTUNIQ (cgroup spec) or another -errno, with a one-line message naming
 * cause and fix in err. *out is filled only on success.
 */
int rs_target_resolve(const struct rs_target *t, const char *proc_root,
		      const struct rs_cgroup_env *env, struct rs_resolved *out, char *err,
		      size_t errlen);
void rs_resolved_clear(struct rs_resolved *r);

/*
 * Fills the BPF programs' target sets (hash maps keyed by a __u32 id) with
 * r's tgids and tids. Returns 0 or -errno.
 */
int rs_resolved_fill_maps(const struct rs_resolved *r, int tgid_map_fd, int tid_map_fd);

#endif
