/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The processes a profile meets, kept across windows: one rs_proc each
 * (unwinding and symbolization) and the symbolized frames of each PC seen,
 * so a PC is symbolized once per process, not once per sample. Bounded:
 * rs_pidcache_refresh() drops processes that exited (or whose pid was
 * reused), rebuilds those whose mappings changed, forgets those unused for
 * a while, and empties a process's PC table when it grows past a limit.
 */
#ifndef RS_PIDCACHE_H
#define RS_PIDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "snapshot/model.h"
#include "stack/proc.h"

#define RS_PIDCACHE_PCS_MAX 65536 /* symbolized PCs kept per process */
#define RS_PIDCACHE_IDLE    8	  /* windows a process stays cached unused */

struct rs_pidcache;
struct rs_pidinfo;

/*
 * Creates an empty cache reading proc_root ("/proc"). Returns 0 or -ENOMEM;
 * *out untouched on failure.
 */
int rs_pidcache_new(const char *proc_root, struct rs_pidcache **out);
/* Frees every process and the cache. Accepts NULL. */
void rs_pidcache_free(struct rs_pidcache *c);

/*
 * The process pid, opened when new (its mappings read, libdw set up). Never
 * NULL except on -ENOMEM; a process that cannot be read is returned with no
 * rs_proc (rs_pidinfo_unwind() then fails with its error). Valid until the
 * next rs_pidcache_refresh(). Marks it used in the current window.
 */
struct rs_pidinfo *rs_pidcache_get(struct rs_pidcache *c, uint32_t pid);

/*
 * Unwinds a copied user stack into PC words (profagg.h: RS_PC_ACTIVATION
 * marks exact PCs), symbolizing each new PC on the way, so the frames
 * survive the process. *n gets the count (0 on failure). Returns 0 or the
 * -errno of opening the process or of rs_unwind() (then *info is unset).
 */
int rs_pidinfo_unwind(struct rs_pidinfo *pi, const struct rs_regs *regs, const void *stack,
		      size_t len, uint64_t *pcs, size_t max, size_t *n,
		      struct rs_unwind_info *info);

/*
 * The frames of a PC word, innermost first (the inline chain expanded), as
 * symbolized when it was unwound (or now, when its table was emptied since).
 * Owned by the cache, valid until the next call; NULL with *n = 0 when the
 * process cannot be read.
 */
const struct rs_frame *rs_pidinfo_frames(struct rs_pidinfo *pi, uint64_t pc_word, size_t *n);
/* The process's mappings (NULL when unreadable). */
const struct rs_maps *rs_pidinfo_maps(const struct rs_pidinfo *pi);
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
/* Processes cached now. */
size_t rs_pidcache_count(const struct rs_pidcache *c);

#endif
