/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Profiles (profile.h): the aggregated model the writers in out/ render
 * (model.c), and the window engine that builds it from the sampler's records
 * (window.c, build.c, agg.c, pidcache.c).
 *
 * One profile window at a time: takes the sampler's records (capture.h),
 * unwinds user stacks as they arrive (symbolizing each new PC once per
 * process), sums stacks per window, and at the window's end resolves kernel
 * stack ids and user stack fingerprints into rs_profile objects (profile.h)
 * for the writers. State that outlives a window (processes, unwound user
 * stacks by fingerprint, kernel stacks of threads blocked at the start) is
 * bounded and dropped when its process is gone.
 */
#ifndef RS_PROFILE_H
#define RS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture/capture.h"
#include "stack/stack.h"

/* ---- the model (model.c) ---- */

enum rs_prof_kind { RS_PROF_ONCPU = 0, RS_PROF_OFFCPU };

/* One distinct stack of one thread with its accumulated weight. */
struct rs_psample {
	uint32_t pid, tid;
	char comm[RS_COMM_LEN + 1];   /* process name */
	char thread[RS_COMM_LEN + 1]; /* thread name */
	char state;		      /* off-CPU: 'S' or 'D' (0 for on-CPU) */
	struct rs_frame *frames;      /* innermost first: kernel frames, then user frames */
	size_t n_frames;
	uint64_t count;	   /* on-CPU: samples; off-CPU: blocking episodes */
	uint64_t value_ns; /* on-CPU: count * period; off-CPU: time blocked */
};

/* A mapped file, for pprof's Mapping messages. */
struct rs_pmapping {
	uint32_t pid;
	uint64_t start, end, offset;
	char *file;	/* path as the target sees it */
	char *build_id; /* lowercase hex, or NULL */
};

struct rs_profile {
	enum rs_prof_kind kind;
	char *target;	       /* "cgroup /kubepods/…", "pid 42" */
	int64_t start_unix_ns; /* wall clock when the window began */
	uint64_t duration_ns;  /* window length */
	uint64_t period_ns;    /* on-CPU: ns between samples (1e9 / freq) */
	uint32_t freq_hz;      /* on-CPU sampling frequency */
	struct rs_psample *samples;
	size_t n_samples;
	struct rs_pmapping *mappings;
	size_t n_mappings;
	uint64_t lost; /* samples or events that could not be recorded */
	/*
	 * Samples (on-CPU) or records (off-CPU) rsample dropped for lack of time:
	 * over --max-cpu, or left when the window's end ran out of time.
	 */
	uint64_t shed;
};

/* Frees everything a profile owns (not the struct). Accepts NULL. */
void rs_profile_clear(struct rs_profile *p);

/* ---- the window engine (window.c, build.c) ---- */

struct rs_profwin_cfg {
	bool on_cpu, off_cpu;
	bool kernel; /* keep kernel frames */
	uint32_t freq_hz;
	const char *target;	     /* "pid 42", copied into each profile */
	const char *proc_root;	     /* "/proc" */
	uint64_t max_debug_size;     /* --max-debug-size; 0: RS_MAX_DEBUG_SIZE_DEFAULT */
	uint64_t symbol_cache_bytes; /* --symbol-cache-size; 0: RS_SYMCACHE_BYTES_DEFAULT */
};

/* What went missing or was degraded, summed since the start. */
struct rs_profwin_stats {
	uint64_t samples;	   /* on-CPU samples kept */
	uint64_t user_unwound;	   /* user stacks unwound (samples and captures) */
	uint64_t user_incomplete;  /* ... that stopped before the outermost frame */
	uint64_t user_lost;	   /* stacks shown without user frames */
	uint64_t off_user_missing; /* off-CPU sums whose user stack never arrived */
	uint64_t kernel_lost;	   /* kernel stacks that could not be read back */
	uint64_t dropped_nomem;	   /* records dropped for lack of memory */
};

struct rs_profwin;

/*
 * Creates the engine. ksyms may be NULL (kernel frames stay addresses); it
 * is borrowed. Returns 0 or -ENOMEM; *out untouched on failure.
 */
int rs_profwin_new(const struct rs_profwin_cfg *cfg, const struct rs_ksyms *ksyms,
		   struct rs_profwin **out);
/*
 * Starts sampling: the engine loads and attaches the sampler (capture.h)
 * with cfg and owns it from now on; the first window begins. Returns 0 or
 * -errno with the sampler's one-line message in err.
 */
int rs_profwin_start(struct rs_profwin *w, const struct rs_sampler_cfg *cfg, char *err,
		     size_t errlen);
/* The sampler rs_profwin_start() started (NULL before), for what it chose (capture.h). */
const struct rs_sampler *rs_profwin_sampler(const struct rs_profwin *w);
/* The CLOCK_MONOTONIC time the first window began (after rs_profwin_start()). */
uint64_t rs_profwin_start_ns(const struct rs_profwin *w);
/*
 * Waits up to timeout_ms for the sampler's records and takes them in
 * (unwinding user stacks as they come) until until_ns (CLOCK_MONOTONIC) or
 * the sampler's stop flag: rs_sampler_poll(). Returns the number of
 * records, or -errno (-EINTR when a signal came). Call it at least every
 * 100 ms.
 */
int rs_profwin_poll(struct rs_profwin *w, int timeout_ms, uint64_t until_ns);
/* Before the last window's end: stops the on-CPU sampling (rs_sampler_stop_oncpu()). */
void rs_profwin_last_window(struct rs_profwin *w);
/* What the sampler dropped for lack of time since the start (capture.h). */
void rs_profwin_drops(const struct rs_profwin *w, struct rs_sampler_drops *out);
/*
 * Ends the window [start_ns, end_ns) (CLOCK_MONOTONIC, end_ns not in the
 * future; start_unix_ns is its wall-clock start): samples from end_ns on go
 * to the next window, threads still blocked are charged up to end_ns, and
 * on and/or off (those the configuration asks for; the other is left alone)
 * are filled, with what the kernel lost in the window. The profiles own what
 * they hold (rs_profile_clear). *partial is set when the window's off-CPU
 * sums may be incomplete. The records still in the ring buffer are taken in
 * for at most 50 ms, the rest dropped and counted in each profile's shed.
 * Returns 0 or -ENOMEM (then the profiles are empty).
 */
int rs_profwin_finish(struct rs_profwin *w, uint64_t start_ns, uint64_t end_ns,
		      int64_t start_unix_ns, struct rs_profile *on, struct rs_profile *off,
		      bool *partial);
/* The sampler's counters since the start (RS_PCNT_MAX of them, capture.h). */
void rs_profwin_counters(struct rs_profwin *w, uint64_t *out);
/* Counts since the start. */
const struct rs_profwin_stats *rs_profwin_stats(const struct rs_profwin *w);
/*
 * Lines said on stderr so far about what should have been readable and was
 * not (a process whose /proc files were refused, a refused debug file…):
 * the profile is partial (exit 1). Processes that exited are not counted.
 */
uint64_t rs_profwin_unreadable(const struct rs_profwin *w);
/* Frees everything. Accepts NULL. */
void rs_profwin_free(struct rs_profwin *w);

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
