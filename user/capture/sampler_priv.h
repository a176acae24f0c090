/* SPDX-License-Identifier: GPL-2.0 */
/* Internals shared by sampler.c (load, attach) and sampler_window.c (reading, windows). */
#ifndef RS_SAMPLER_PRIV_H
#define RS_SAMPLER_PRIV_H

#include <bpf/libbpf.h>
#include "capture/sampler.h"
#include "profile.skel.h"

struct rs_sampler {
	struct rs_sampler_cfg cfg;
	struct rs_sampler_ops ops;
	struct profile_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links; /* perf links, then the others */
	size_t n_links;
	struct bpf_link *iter;
	uint64_t start_ns;
	int ncpu;
	bool task_work;
};

/* Runs the sweep iterator to its end (init: the start pass); its records go to the ring buffer. */
int rs_sampler_sweep(struct rs_sampler *s, bool init);

#endif
