/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One profile window at a time: takes the sampler's records (sampler.h),
 * unwinds user stacks as they arrive (symbolizing each new PC once per
 * process), sums stacks per window, and at the window's end resolves kernel
 * stack ids and user stack fingerprints into rs_profile objects (profile.h)
 * for the writers. State that outlives a window (processes, unwound user
 * stacks by fingerprint, kernel stacks of threads blocked at the start) is
 * bounded and dropped when its process is gone.
 */
#ifndef RS_PROFWIN_H
#define RS_PROFWIN_H

#include <stdbool.h>
#include <stdint.h>
#include "profile/profile.h"
#include "capture/sampler.h"

struct rs_ksyms;

struct rs_profwin_cfg {
	bool on_cpu, off_cpu;
	bool kernel; /* keep kernel frames */
	uint32_t freq_hz;
	const char *target;    /* "pid 42", copied into each profile */
	const char *proc_root; /* "/proc" */
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
/* The callbacks to give rs_sampler_start(). */
void rs_profwin_ops(struct rs_profwin *w, struct rs_sampler_ops *ops);
/* The sampler to read kernel stacks from and to poll for late user stacks (borrowed). */
void rs_profwin_set_sampler(struct rs_profwin *w, struct rs_sampler *s);
/* Samples taken at or after cut_ns (CLOCK_MONOTONIC) belong to the next window. */
void rs_profwin_set_cut(struct rs_profwin *w, uint64_t cut_ns);
/*
 * Ends the window [start_ns, end_ns) (CLOCK_MONOTONIC; start_unix_ns is its
 * wall-clock start), after rs_sampler_end_window(): fills on and/or off
 * (those the configuration asks for; the other is left alone) and starts the
 * next window. lost_on/lost_off are the events the kernel lost in the
 * window. The profiles own what they hold (rs_profile_clear). Returns 0 or
 * -ENOMEM (then the profiles are empty).
 */
int rs_profwin_finish(struct rs_profwin *w, uint64_t start_ns, uint64_t end_ns,
		      int64_t start_unix_ns, uint64_t lost_on, uint64_t lost_off,
		      struct rs_profile *on, struct rs_profile *off);
/* Counts since the start. */
const struct rs_profwin_stats *rs_profwin_stats(const struct rs_profwin *w);
/* Frees everything. Accepts NULL. */
void rs_profwin_free(struct rs_profwin *w);

#endif
