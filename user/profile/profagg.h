/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation of one profile window in user space, without BPF: stacks as
 * flat keys of 64-bit words summed in a hash table, the cache of unwound
 * user stacks by fingerprint, and the routing of timed samples to windows.
 * Everything here is pure and unit-tested (tests/unit/test_sampler.c).
 */
#ifndef RS_PROFAGG_H
#define RS_PROFAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"

/* A user PC word in a key: bit 63 set when the PC is exact (innermost or signal frame). */
#define RS_PC_ACTIVATION (1ull << 63)

/*
 * Key layouts (word 0 is always tgid << 32 | tid):
 *   raw on-CPU:  tid, kernel stack key, flags, user PC words...
 *   raw off-CPU: tid, kernel stack key, state, ufp
 *   resolved:    tid, state | flags << 8, n_kernel, n_user, kernel PCs..., user PC words...
 */
#define RS_RKEY_HDR 4 /* words before the PCs of a resolved key */
/* Resolved key flags. */
#define RS_RK_USER_LOST (1u << 0) /* the user stack could not be had */
#define RS_RK_KERN_LOST (1u << 1) /* the kernel stack could not be had */

struct rs_agg_entry {
	uint64_t *key; /* owned */
	size_t n_words;
	uint64_t hash;
	uint64_t count;		     /* samples or blocks */
	uint64_t ns;		     /* off-CPU: blocked time */
	char comm[RS_COMM_LEN + 1];  /* thread */
	char pcomm[RS_COMM_LEN + 1]; /* process */
};

/* Distinct keys with summed weights, in order of first appearance. */
struct rs_agg {
	struct rs_agg_entry *v;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 when empty */
	size_t n_slots; /* a power of two, above twice n */
};

/*
 * Adds count and ns to key (copied when new). comm and pcomm (at most
 * RS_COMM_LEN bytes, need not be NUL-terminated) name the thread and the
 * process; the first non-empty names are kept. Returns 0 or -ENOMEM (a
 * is unchanged).
 */
int rs_agg_add(struct rs_agg *a, const uint64_t *key, size_t n_words, uint64_t count, uint64_t ns,
	       const char *comm, const char *pcomm);
/* The entry of key, or NULL. */
const struct rs_agg_entry *rs_agg_find(const struct rs_agg *a, const uint64_t *key, size_t n_words);
/* Frees every key and the table; a is left empty. Accepts NULL. */
void rs_agg_clear(struct rs_agg *a);

/* Word 0 of every key. */
static inline uint64_t rs_key_ids(uint32_t tgid, uint32_t tid)
{
	return (uint64_t)tgid << 32 | tid;
}

/* One unwound user stack, known by its fingerprint. */
struct rs_ufp_entry {
	uint64_t ufp;
	uint32_t tgid;
	uint32_t n;	   /* PC words in pcs */
	uint64_t *pcs;	   /* owned; innermost first, RS_PC_ACTIVATION marked */
	uint64_t last_use; /* window number it was last used in */
	bool failed;	   /* the stack could not be unwound: n is 0 */
};

/* Fingerprint -> unwound user stack, bounded. */
struct rs_ufpcache {
	struct rs_ufp_entry *v;
	size_t n, cap;
	uint32_t *slot;
	size_t n_slots;
	size_t max; /* rs_ufpcache_trim() keeps at most this many */
};

/* Stores (or replaces) the stack of ufp. Returns 0 or -ENOMEM. */
int rs_ufpcache_put(struct rs_ufpcache *c, uint64_t ufp, uint32_t tgid, const uint64_t *pcs,
		    uint32_t n, bool failed, uint64_t window);
/* The entry of ufp, marked used in window, or NULL. Valid until the next put or trim. */
const struct rs_ufp_entry *rs_ufpcache_get(struct rs_ufpcache *c, uint64_t ufp, uint64_t window);
/*
 * Drops the entries not used since window keep_since, the entries of the
 * processes gone(tgid, ctx) says are gone, then the least recently used
 * until at most c->max remain. The dropped fingerprints are appended to
 * *dropped / *n_dropped (realloc'd; the caller frees) so the kernel can be
 * told. Returns 0 or -ENOMEM (nothing dropped then).
 */
int rs_ufpcache_trim(struct rs_ufpcache *c, uint64_t keep_since,
		     bool (*gone)(uint32_t tgid, void *ctx), void *ctx, uint64_t **dropped,
		     size_t *n_dropped);
/* Frees everything; c->max is kept. Accepts NULL. */
void rs_ufpcache_clear(struct rs_ufpcache *c);

/* A set of 64-bit keys (never 0) with a 64-bit value each, e.g. the window last used. */
struct rs_u64map {
	uint64_t *key; /* 0: empty slot */
	uint64_t *val;
	size_t n, n_slots;
};

/* Sets key's value (adding key). Returns 0, -EINVAL for key 0, or -ENOMEM. */
int rs_u64map_set(struct rs_u64map *m, uint64_t key, uint64_t val);
/* key's value in *val; false when absent. */
bool rs_u64map_get(const struct rs_u64map *m, uint64_t key, uint64_t *val);
/* Removes the keys whose value is below min; returns how many. */
size_t rs_u64map_drop_below(struct rs_u64map *m, uint64_t min);
/* Frees everything; m is left empty. Accepts NULL. */
void rs_u64map_clear(struct rs_u64map *m);

/*
 * Window schedule: the end of the window that contains now, for windows of
 * interval_ns starting at start_ns (interval 0: one window, never ends by
 * itself: returns UINT64_MAX). The last window is cut at stop_ns when that is
 * earlier (stop_ns 0: no stop).
 */
uint64_t rs_window_end(uint64_t start_ns, uint64_t interval_ns, uint64_t stop_ns, uint64_t now_ns);
/* Whether a sample taken at t belongs to the window that ends at end_ns (else to the next). */
static inline bool rs_window_has(uint64_t end_ns, uint64_t t)
{
	return t < end_ns;
}

#endif
