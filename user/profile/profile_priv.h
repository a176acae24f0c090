/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of profile/, shared by its files and their unit tests; not for other stages. */
#ifndef RS_PROFILE_PRIV_H
#define RS_PROFILE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"
#include "lib/lib.h"
#include "profile/profile.h"

/* ---- aggregation (agg.c) ---- */

/*
 * Aggregation of one profile window in user space, without BPF: stacks as
 * flat keys of 64-bit words summed in a hash table, the cache of unwound
 * user stacks by fingerprint, and the routing of timed samples to windows.
 * Everything here is pure and unit-tested (tests/unit/profile/test_agg.c, test_window.c).
 */

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
	uint64_t count;		     /* samples or blocks */
	uint64_t ns;		     /* off-CPU: blocked time */
	char comm[RS_COMM_LEN + 1];  /* thread */
	char pcomm[RS_COMM_LEN + 1]; /* process */
};

/* Distinct keys with summed weights, in order of first appearance. */
struct rs_agg {
	struct rs_agg_entry *v;
	size_t n, cap;
	struct rs_htab index; /* key -> v[] */
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
	struct rs_htab index; /* ufp -> v[] */
	size_t max;	      /* rs_ufpcache_trim() keeps at most this many */
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
	uint64_t *key, *val; /* n pairs */
	size_t n, cap;
	struct rs_htab index; /* key -> key[], val[] */
};

/* Sets key's value (adding key). Returns 0, -EINVAL for key 0, or -ENOMEM. */
int rs_u64map_set(struct rs_u64map *m, uint64_t key, uint64_t val);
/* key's value in *val; false when absent. */
bool rs_u64map_get(const struct rs_u64map *m, uint64_t key, uint64_t *val);
/* Removes the keys whose value is below min; returns how many. */
size_t rs_u64map_drop_below(struct rs_u64map *m, uint64_t min);
/* Frees everything; m is left empty. Accepts NULL. */
void rs_u64map_clear(struct rs_u64map *m);

/* ---- processes (pidcache.c) ---- */

/*
 * The processes a profile meets, kept across windows: one rs_proc each
 * (unwinding and symbolization) and the symbolized frames of each distinct
 * user stack seen, so a stack is symbolized once per process, not once per
 * sample, through the same path as a snapshot's (stack.h: rs_stack_frames,
 * with tail-call and signal frames). Bounded: rs_pidcache_refresh() drops
 * processes that exited (or whose pid was reused), rebuilds those whose
 * mappings changed, forgets those unused for a while, and a process's stack
 * table is emptied when it holds more than RS_PIDCACHE_FRAMES_MAX frames.
 */

#define RS_PIDCACHE_FRAMES_MAX 131072 /* symbolized frames kept per process */
#define RS_PIDCACHE_IDLE       8      /* windows a process stays cached unused */

struct rs_pidcache;
struct rs_pidinfo;

/*
 * Creates an empty cache reading proc_root ("/proc"). Returns 0 or -ENOMEM;
 * *out untouched on failure.
 */
int rs_pidcache_new(const char *proc_root, struct rs_pidcache **out);
/* Frees every process and the cache. Accepts NULL. */
void rs_pidcache_free(struct rs_pidcache *c);
/* --max-debug-size for the processes opened from now on (0: rs_proc's default). */
void rs_pidcache_set_max_debug_size(struct rs_pidcache *c, uint64_t bytes);
/* The memory its symbol cache may hold (--symbol-cache-size). */
void rs_pidcache_set_symcache_bytes(struct rs_pidcache *c, uint64_t bytes);
/* Lines said on stderr so far about what could not be read (refused processes and files). */
uint64_t rs_pidcache_problems(const struct rs_pidcache *c);

/*
 * The process pid, opened when new (its mappings read, libdw set up). Never
 * NULL except on -ENOMEM; a process that cannot be read is returned with no
 * rs_proc (rs_pidinfo_unwind() then fails with its error). Valid until the
 * next rs_pidcache_refresh(). Marks it used in the current window.
 */
struct rs_pidinfo *rs_pidcache_get(struct rs_pidcache *c, uint32_t pid);

/*
 * Unwinds a copied user stack into PC words (RS_PC_ACTIVATION marks exact
 * PCs) and symbolizes the stack when it is new, so its frames survive the
 * process. *n gets the count (0 on failure). Returns 0 or the -errno of
 * opening the process or of rs_stack_unwind() (then *info is unset).
 */
int rs_pidinfo_unwind(struct rs_pidinfo *pi, const struct rs_ustack *us, uint64_t *pcs, size_t max,
		      size_t *n, struct rs_unwind_info *info);

/*
 * The frames of the stack of PC words words[0..n_words), innermost first
 * (inline chains expanded, tail-call and signal frames added), as symbolized
 * when it was unwound (or now, when the table was emptied since). Owned by
 * the cache, valid until the next call; NULL with *n = 0 when the process
 * cannot be read.
 */
const struct rs_frame *rs_pidinfo_frames(struct rs_pidinfo *pi, const uint64_t *words,
					 size_t n_words, size_t *n);
/* The process's mappings (NULL when unreadable). */
const struct rs_maps *rs_pidinfo_maps(const struct rs_pidinfo *pi);
/*
 * Loads what a first sample of the process would: the ELF and debug files
 * of each executable mapping (symbolizing its first address), until
 * until_ns (CLOCK_MONOTONIC). Nothing is kept but the files' state.
 */
void rs_pidinfo_warm(struct rs_pidinfo *pi, uint64_t until_ns);
/* The cached process pid, or NULL; does not open anything. */
struct rs_pidinfo *rs_pidcache_peek(struct rs_pidcache *c, uint32_t pid);

/*
 * Ends a window: drops the processes that exited or were not used for
 * RS_PIDCACHE_IDLE windows, reopens those whose mappings changed. Returns
 * the number of processes dropped.
 */
size_t rs_pidcache_refresh(struct rs_pidcache *c);
/* Whether process pid is neither cached nor alive (c is the cache; for rs_ufpcache_trim). */
bool rs_pidcache_is_gone(uint32_t pid, void *c);

/* ---- the window engine's state (window.c, build.c) ---- */

/* A kernel stack read back from the kstacks map in this window. */
struct rs_kcache_ent {
	uint64_t key;
	int err; /* 0, or -errno of the lookup */
	uint32_t n;
	uint64_t ips[RS_KSTACK_MAX];
};

struct rs_profwin {
	struct rs_profwin_cfg cfg; /* target is our own copy */
	const struct rs_ksyms *ksyms;
	struct rs_sampler *sampler; /* owned; NULL until rs_profwin_start() */
	uint64_t cnt[RS_PCNT_MAX];  /* the sampler's counters at the last window end */
	uint64_t shed_on,
	    shed_off; /* the sampler's drops (on-CPU, off-CPU) at the last window end */
	struct rs_pidcache *pids;
	struct rs_ufpcache ufps;
	struct rs_agg on_cur, on_next; /* raw on-CPU keys: this window, the next */
	struct rs_agg off;	       /* raw off-CPU keys of this window */
	uint64_t cut;		       /* samples from then on go to on_next */
	uint64_t window;	       /* windows ended so far */
	struct rs_kcache_ent *kcache;  /* kernel stacks read back in this window */
	size_t n_kcache, cap_kcache;
	struct rs_htab kindex;	/* key -> kcache[] */
	struct rs_u64map kused; /* kernel stack key -> last window it was used in */
	struct rs_profwin_stats stats;
};

/* Where the sampler's records go: the engine's callbacks (tests feed records through them). */
void rs_profwin_ops(struct rs_profwin *w, struct rs_sampler_ops *ops);
/* Samples taken at or after cut_ns (CLOCK_MONOTONIC) belong to the next window. */
void rs_profwin_set_cut(struct rs_profwin *w, uint64_t cut_ns);
/*
 * The part of rs_profwin_finish() after the sampler's window cut, with the
 * events the kernel lost in the window given: builds the profiles and starts
 * the next window (tests call it without a sampler).
 */
int rs_profwin_build_window(struct rs_profwin *w, uint64_t start_ns, uint64_t end_ns,
			    int64_t start_unix_ns, uint64_t lost_on, uint64_t lost_off,
			    struct rs_profile *on, struct rs_profile *off);
/*
 * Resolves the window's sums of one kind (kernel stack ids, fingerprints)
 * and fills p with them, symbolized. Returns 0 or -ENOMEM.
 */
int rs_profwin_build(struct rs_profwin *w, enum rs_prof_kind kind, struct rs_profile *p);

#endif
