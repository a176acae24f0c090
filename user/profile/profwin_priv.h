/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of the profile window engine, shared by profwin.c and profbuild.c only. */
#ifndef RS_PROFWIN_PRIV_H
#define RS_PROFWIN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "profile/profagg.h"
#include "profile/profwin.h"

struct rs_pidcache;

/* A kernel stack read back from the kstacks map in this window. */
struct rs_kcache_ent {
	uint64_t key; /* 0: empty slot */
	int err;      /* 0, or -errno of the lookup */
	uint32_t n;
	uint64_t ips[RS_KSTACK_MAX];
};

struct rs_profwin {
	struct rs_profwin_cfg cfg; /* target is our own copy */
	const struct rs_ksyms *ksyms;
	struct rs_sampler *sampler;
	struct rs_pidcache *pids;
	struct rs_ufpcache ufps;
	struct rs_agg on_cur, on_next; /* raw on-CPU keys: this window, the next */
	struct rs_agg off;	       /* raw off-CPU keys of this window */
	uint64_t cut;		       /* samples from then on go to on_next */
	uint64_t window;	       /* windows ended so far */
	struct rs_kcache_ent *kcache;  /* open addressing on key, n_kslots a power of two */
	size_t n_kcache, n_kslots;
	struct rs_u64map kused; /* kernel stack key -> last window it was used in */
	struct rs_profwin_stats stats;
};

/*
 * Resolves the window's sums of one kind (kernel stack ids, fingerprints)
 * and fills p with them, symbolized. Returns 0 or -ENOMEM.
 */
int rs_profwin_build(struct rs_profwin *w, enum rs_prof_kind kind, struct rs_profile *p);

#endif
