/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregated profiles (rsample profile): stacks with weights, produced by the
 * sampler and rendered by the writers (out_folded.c, out_svg.c, out_pprof.c,
 * out_speedscope.c). A writer never sees BPF records, only this model.
 */
#ifndef RS_PROFILE_H
#define RS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "snapshot/model.h"

enum rs_prof_kind { RS_PROF_ONCPU = 0, RS_PROF_OFFCPU };
enum rs_group_by { RS_GROUP_NONE = 0, RS_GROUP_PROCESS, RS_GROUP_THREAD };
enum rs_format { RS_FMT_FOLDED = 0, RS_FMT_SVG, RS_FMT_PPROF, RS_FMT_SPEEDSCOPE };

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
};

/* Frees everything a profile owns (not the struct). Accepts NULL. */
void rs_profile_clear(struct rs_profile *p);

/*
 * Writers (out_*.c). profs holds one or two profiles (on-CPU and/or off-CPU of
 * the same window); the caller keeps them. Output is deterministic: the same
 * data in any order gives the same bytes. Frames are named alike everywhere:
 * the function, else "module_basename+0xOFF", else "0xPC"; group_by adds
 * "comm (pid)" (RS_GROUP_PROCESS) and then "thread (tid)" (RS_GROUP_THREAD)
 * root frames (speedscope: one profile per process or thread instead). Each
 * returns 0, -EINVAL for n == 0, -ENOMEM, or -EIO for a stream error (errno
 * kept).
 *
 * folded: "root;...;leaf weight" lines in byte order, identical stacks summed;
 * on-CPU weights are samples, off-CPU ones microseconds (summed in ns, then
 * rounded; at least 1 for any time). Kernel frames are suffixed "_[k]",
 * inlined ones "_[i]", ';' in names becomes ':'. With both kinds, each stack
 * starts with "[on-cpu]" or "[off-cpu]" (units differ: compare within a kind).
 */
int rs_write_folded(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g);
/*
 * A self-contained interactive SVG flame graph (inline script and style, no
 * network): hover details, click to zoom, search with the matched share,
 * reset. One panel per kind, on-CPU warm, off-CPU blue; weights as in folded.
 * title NULL: "rsample flame graph"; the subtitle has the target, start and
 * duration, each panel's header its total and lost count.
 */
int rs_write_svg(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g,
		 const char *title);
/*
 * pprof: a gzip-compressed perftools.profiles.Profile (user/pprof.proto) via
 * protobuf-c. On-CPU [samples/count, cpu/nanoseconds], period cpu/nanoseconds;
 * off-CPU [waits/count, off_cpu/nanoseconds]; both: the four, zeros for the
 * other kind. Inline chains are one location's lines, mappings carry
 * build-ids, samples labels pid, tid, comm, thread, state; lost counts and the
 * target are comments (out_pprof.c has the details).
 */
int rs_write_pprof(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g);
/*
 * speedscope's file format: one sampled profile per thread (RS_GROUP_THREAD),
 * process (RS_GROUP_PROCESS) or in all (RS_GROUP_NONE), and kind; on-CPU unit
 * "none" (samples), off-CPU "microseconds". name NULL: the target; lost counts
 * are appended to it (the format has no metadata field).
 */
int rs_write_speedscope(FILE *f, const struct rs_profile *const *profs, size_t n,
			enum rs_group_by g, const char *name);

#endif
