/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the profile writers (out_*.c) and their tests; not an interface
 * for other modules. One implementation of frame naming (profile.c), of the
 * folded aggregation that folded and SVG output share (stacks.c), of the
 * folded parser (folded_parse.c) and of string interning (intern.c).
 */
#ifndef RS_OUT_PRIV_H
#define RS_OUT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/lib.h"
#include "out/out.h"

/* ---- naming (profile.c) ---- */

#define RS_NAME_MARKS  0x1 /* suffix kernel frames "_[k]" and inlined ones "_[i]" */
#define RS_NAME_FOLDED 0x2 /* ';' (the folded separator) becomes ':' */

/*
 * The display name of a frame: its function, else "module_basename+0xOFF"
 * (OFF: the ELF address the symbolizer left in sym_offset, or the PC when it
 * left none), else "0xPC". Control bytes and bytes that are not valid UTF-8
 * become '?'. Returns a malloc'd string the caller frees, NULL on ENOMEM.
 */
char *rs_frame_name(const struct rs_frame *fr, unsigned int flags);
/*
 * The group_by root frames of a sample: "comm (pid)" for RS_GROUP_PROCESS,
 * and "thread (tid)" after it for RS_GROUP_THREAD. Sanitized as rs_frame_name()
 * does. Stores up to two malloc'd strings in names[] and returns how many
 * (0 for RS_GROUP_NONE), or -ENOMEM with names[] left empty.
 */
int rs_group_names(const struct rs_psample *s, enum rs_group_by g, unsigned int flags,
		   char *names[2]);
/* Replaces control bytes and invalid UTF-8 in s with '?' (and ';' with RS_NAME_FOLDED). */
void rs_name_sanitize(char *s, unsigned int flags);

/* Whether profs[0..n) hold both on-CPU and off-CPU profiles. */
bool rs_profs_mixed(const struct rs_profile *const *profs, size_t n);
/* "on-cpu" or "off-cpu". */
const char *rs_prof_kind_name(enum rs_prof_kind k);
/*
 * What a sample weighs in folded, SVG and speedscope output before rounding:
 * on-CPU its sample count, off-CPU its blocked nanoseconds.
 */
uint64_t rs_psample_raw_weight(enum rs_prof_kind k, const struct rs_psample *s);
/*
 * Raw weight to output units: on-CPU samples unchanged; off-CPU nanoseconds to
 * microseconds, rounded to nearest, at least 1 for a non-zero time.
 */
uint64_t rs_weight_out(enum rs_prof_kind k, uint64_t raw);

/* The frame a sample with no frames at all is shown as. */
#define RS_NO_FRAMES "[no frames]"

/* ---- folded aggregation (stacks.c) ---- */

/* One distinct folded stack. */
struct rs_stack {
	char *key;	 /* "root;...;leaf", names from rs_frame_name(MARKS | FOLDED) */
	uint64_t weight; /* on-CPU: samples; off-CPU: microseconds */
	enum rs_prof_kind kind;
};

struct rs_stacks {
	struct rs_stack *v; /* sorted by key (bytes), then kind; keys unique per kind */
	size_t n;
};

#define RS_STACKS_KIND_ROOT 0x1 /* prefix each stack with "[on-cpu]" / "[off-cpu]" */

/*
 * Folds the samples of profs[0..n) into distinct stacks, root first, the
 * group_by root frames first, summed (raw weights are summed before they are
 * rounded). Stacks that weigh nothing are left out. Returns 0 or -ENOMEM;
 * *out is set on success only and is freed with rs_stacks_clear().
 */
int rs_stacks_build(const struct rs_profile *const *profs, size_t n, enum rs_group_by g,
		    unsigned int flags, struct rs_stacks *out);
/* Sorts s by key then kind and merges duplicates, summing their weights. */
void rs_stacks_sort_merge(struct rs_stacks *s);
/* Frees the keys and the array; s is left empty. Accepts NULL. */
void rs_stacks_clear(struct rs_stacks *s);
/* Appends a stack owning key (taken even on failure). Returns 0 or -ENOMEM. */
int rs_stacks_push(struct rs_stacks *s, char *key, uint64_t weight, enum rs_prof_kind kind);

/* ---- the SVG's CSS and JavaScript (out_svg_script.c) ---- */

extern const char rs_svg_style[];
extern const char rs_svg_script[];

/* ---- interning (intern.c) ---- */

/* Distinct byte strings numbered 0, 1, ... in order of first appearance. */
struct rs_intern {
	char **str;  /* str[i]: the i-th distinct key, NUL-terminated copy */
	size_t *len; /* its length (keys may hold NUL bytes) */
	size_t n, cap;
	struct rs_htab index;
};

/*
 * The index of the len bytes at key, added when new. Returns 0 with *idx set,
 * or -ENOMEM (t is unchanged) or -E2BIG past UINT32_MAX - 2 keys.
 */
int rs_intern(struct rs_intern *t, const void *key, size_t len, size_t *idx);
/* The same for a NUL-terminated string. */
int rs_intern_str(struct rs_intern *t, const char *s, size_t *idx);
/* Frees every copy and the table; t is left empty. Accepts NULL. */
void rs_intern_clear(struct rs_intern *t);

#endif
