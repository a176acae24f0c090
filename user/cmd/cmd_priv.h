/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of cmd/: the privilege drop after loading (privs.c), shared by
 * the snapshot and profile commands, and the records-to-snapshot step the
 * snapshot and watch commands share (snapshot.c). Not for other stages.
 */
#ifndef RS_CMD_PRIV_H
#define RS_CMD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include "capture/capture.h"
#include "cli/cli.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"

/* What the rest of the run needs beyond reading targets. */
struct rs_privs_need {
	bool bpf_fds;	   /* bpf(2) on maps already open needs CAP_BPF (before Linux 5.19) */
	bool dac_override; /* the output directory is writable only by CAP_DAC_OVERRIDE */
};

/*
 * The capabilities (linux/capability.h bit numbers) reading targets needs,
 * out of permitted: CAP_SYS_PTRACE (other users' and more privileged
 * processes' /proc/PID/maps, map_files and root), CAP_DAC_READ_SEARCH (their
 * files whatever their mode), CAP_CHECKPOINT_RESTORE where the kernel has it
 * (else CAP_SYS_ADMIN) for /proc/PID/map_files; plus what need asks for.
 */
uint64_t rs_privs_keep(uint64_t permitted, const struct rs_privs_need *need);

struct rs_privs_cfg {
	bool bpf_fds;	     /* BPF maps are still read (a profile) */
	const char *out_dir; /* where files are still to be created, or NULL */
	bool verbose;	     /* -v: one line on stderr says what was kept */
};

/*
 * Lowers the effective and permitted sets to rs_privs_keep() (the
 * inheritable and ambient ones to nothing) and sets no_new_privs. Call it
 * after the last BPF load, attach and perf_event_open(), and after
 * /proc/kallsyms is read. For the calling thread only: call it while it is
 * the only one (the prewarm thread calls it for itself, prewarm.c). *kept:
 * the capabilities kept. 0, or -errno with a message in err (nothing
 * dropped then, or only the effective set).
 */
int rs_privs_drop(const struct rs_privs_cfg *cfg, uint64_t *kept, char *err, size_t errlen);

/* The effective and permitted sets of the calling thread. 0 or -errno. */
int rs_caps_get(uint64_t *eff, uint64_t *prm);

/* "CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE" for a set, "none" for 0; always terminated. */
void rs_caps_names(uint64_t set, char *buf, size_t len);

/* ---- DWARF opened while the BPF object loads (prewarm.c) ---- */

struct rs_prewarm;
/*
 * Starts a thread that drops its own capabilities (rs_privs_drop), then
 * opens processes pids (rs_proc_open with cache, borrowed until
 * rs_prewarm_free) and their DWARF (rs_proc_prewarm). 0 and *out, or -errno
 * (*out untouched: nothing runs).
 */
int rs_prewarm_start(const uint32_t *pids, size_t n, struct rs_symcache *cache,
		     uint64_t max_debug_size, struct rs_prewarm **out);
/*
 * Tells the thread to stop after the module it is opening (the processes
 * are all opened, their DWARF maybe not) and waits for it.
 * Returns its *n slots, one per pid, each an opened process or NULL, for
 * rs_assemble_cfg's warm (which takes what it uses); still w's. NULL for w NULL.
 */
struct rs_proc **rs_prewarm_join(struct rs_prewarm *w, size_t *n);
/* Joins, then frees the processes left in the slots, and w. Accepts NULL. */
void rs_prewarm_free(struct rs_prewarm *w);

/* ---- the heap a snapshot needs (lib.h's rs_heap_prepare) ---- */

/*
 * Peak heap of a snapshot, measured (mallinfo2() with trimming off, orderd):
 * 13-14 MiB at 16 threads, most of it libbpf's two copies of the vmlinux
 * BTF (11 MB), and 19 MiB at 1000 threads (~6 KiB a thread: the records).
 * The kernel names the kernel frames (no kallsyms table) and libc6-dbg's
 * sections come decompressed from the debug-file cache; a first run that
 * inflates them (+5 MiB) or reads kallsyms as a fallback (+10 MiB) faults
 * the rest in as before. Bounded so a huge cgroup does not populate what
 * it may never use.
 */
#define RS_HEAP_FIXED	   (14u << 20)
#define RS_HEAP_PER_THREAD (6u << 10)
#define RS_HEAP_MAX	   (64u << 20)

static inline size_t rs_snapshot_heap_bytes(size_t threads)
{
	size_t b = RS_HEAP_FIXED;

	if (threads > (RS_HEAP_MAX - b) / RS_HEAP_PER_THREAD)
		return RS_HEAP_MAX;
	return b + threads * RS_HEAP_PER_THREAD;
}

/* ---- SIGINT and SIGTERM (signals.c) ---- */

/* The signal that asked to stop, 0 until one came. */
extern volatile sig_atomic_t rs_cmd_stop;

struct rs_cmd_signals {
	struct sigaction old_int, old_term;
};

/* Clears rs_cmd_stop and makes SIGINT and SIGTERM set it; the old handlers in *saved. */
void rs_cmd_signals_catch(struct rs_cmd_signals *saved);
/* Puts back the handlers rs_cmd_signals_catch() saved. */
void rs_cmd_signals_restore(const struct rs_cmd_signals *saved);

/*
 * The snapshot command's middle, shared with watch: cap's records to s
 * (assembled, unwound, symbolized with ksyms and cache, what each thread
 * waits on), s->partial set and the capture's losses, refused processes,
 * threads without stacks and churn said on stderr. s->target is the
 * caller's. warm[0..n_warm): processes opened ahead with cache
 * (rs_prewarm_join; rs_assemble_cfg's warm), or NULL. earlier[0..n_earlier): the captures before
 * cap of a --compare series (verdicts set on s's threads). sess: the BPF session cap came from, if
 * it is still loaded (its iterator finds pipe holders), else NULL. Returns 0, or RS_EXIT_FATAL
 * after saying why on stderr.
 */
int rs_snapshot_build(const struct rs_opts *o, const struct rs_capture *cap, enum rs_backend used,
		      const struct rs_ksyms *ksyms, struct rs_symcache *cache,
		      struct rs_proc **warm, size_t n_warm, struct rs_capture *const *earlier,
		      size_t n_earlier, struct rs_capture_session *sess, struct rs_snapshot *s);

#endif
