/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by pprof.c and pprof_map.c; not an interface for other modules. */
#ifndef RS_OUT_PPROF_H
#define RS_OUT_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gen/pprof.pb-c.h"
#include "out/out_priv.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

#define RS_PP_MAX_TYPES	 4
#define RS_PP_MAX_LABELS 5

/* A mapping as seen by one process, for address lookups. */
struct rs_pp_mref {
	uint32_t pid;
	uint64_t start, end;
	size_t idx; /* into rs_pp.map */
};

struct rs_pp {
	struct rs_intern str, fn_keys, loc_keys;
	pb_function *fn;
	size_t n_fn, cap_fn;
	pb_location *loc;
	size_t n_loc, cap_loc;
	pb_mapping *map;
	size_t n_map, cap_map, first_kmap; /* kernel mappings come last */
	bool *map_used;			   /* parallel to map: has locations */
	struct rs_pp_mref *mref;
	size_t n_mref;
	pb_sample *smp;
	size_t n_smp, cap_smp;
	pb_value_type types[RS_PP_MAX_TYPES];
	size_t n_types;
	int64_t *comment;
	size_t n_comment;
};

/* Grows *vp (an array of size-byte elements, *cap of them) to hold n + 1. 0 or -ENOMEM. */
int rs_pprof_grow(void *vp, size_t *cap, size_t n, size_t size);
/* The string table index of s (NULL is ""), added when new, or -ENOMEM. */
int64_t rs_pprof_str(struct rs_pp *pp, const char *s);
/* strcmp() with NULL before any string. */
int rs_pprof_strcmp(const char *a, const char *b);
/*
 * Adds the mappings of profs[0..n): user mappings of every process (identical
 * ones once) by address, then kernel modules by name. Sets pp->mref for
 * rs_pprof_find_mapping(). Returns 0 or -ENOMEM.
 */
int rs_pprof_mappings(struct rs_pp *pp, const struct rs_profile *const *profs, size_t n);
/* The index into pp->map of the mapping of frame fr of process pid, or SIZE_MAX for none. */
size_t rs_pprof_find_mapping(const struct rs_pp *pp, uint32_t pid, const struct rs_frame *fr);
/*
 * Records that mapping m (used: its flag in pp->map_used) has a location of
 * the frames fr[0..n): it has functions, file names and line numbers while
 * every frame of every one of its locations has them.
 */
void rs_pprof_mapping_used(pb_mapping *m, bool *used, const struct rs_frame *fr, size_t n);

#endif
