// SPDX-License-Identifier: GPL-2.0
/*
 * pprof mappings (pprof.c): the processes' mapped files, identical ones
 * shared, in address order, then one per kernel module over the kernel
 * addresses seen; which mapping a frame's address falls in; what a mapping's
 * locations say about its symbols.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "out/pprof_priv.h"

static int pmap_cmp(const void *a, const void *b)
{
	const struct rs_pmapping *x = *(const struct rs_pmapping *const *)a;
	const struct rs_pmapping *y = *(const struct rs_pmapping *const *)b;
	int c;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	c = rs_pprof_strcmp(x->file, y->file);
	return c ? c : rs_pprof_strcmp(x->build_id, y->build_id);
}

static int mref_cmp(const void *a, const void *b)
{
	const struct rs_pp_mref *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int add_mapping(struct rs_pp *pp, uint64_t start, uint64_t end, uint64_t offset,
		       const char *file, const char *build_id)
{
	pb_mapping *m;
	int64_t f, b;

	size_t cap = pp->cap_map;

	if (rs_pprof_grow(&pp->map, &pp->cap_map, pp->n_map, sizeof(*pp->map)) ||
	    rs_pprof_grow(&pp->map_used, &cap, pp->n_map, sizeof(*pp->map_used)))
		return -ENOMEM;
	f = rs_pprof_str(pp, file);
	b = rs_pprof_str(pp, build_id);
	if (f < 0 || b < 0)
		return -ENOMEM;
	m = &pp->map[pp->n_map];
	perftools__profiles__mapping__init(m);
	m->id = ++pp->n_map;
	m->memory_start = start;
	m->memory_limit = end;
	m->file_offset = offset;
	m->filename = f;
	m->build_id = b;
	pp->map_used[m->id - 1] = false;
	return 0;
}

/*
 * User mappings of every process, identical ones shared (forked workers),
 * ordered by address; then one per kernel module over the kernel addresses.
 */
static int user_mappings(struct rs_pp *pp, const struct rs_profile *const *profs, size_t n)
{
	const struct rs_pmapping **all = NULL;
	size_t n_all = 0, k = 0;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		n_all += profs[i]->n_mappings;
	all = malloc((n_all ? n_all : 1) * sizeof(*all));
	pp->mref = malloc((n_all ? n_all : 1) * sizeof(*pp->mref));
	if (!all || !pp->mref) {
		free(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < profs[i]->n_mappings; j++)
			all[k++] = &profs[i]->mappings[j];
	qsort(all, n_all, sizeof(*all), pmap_cmp);
	for (size_t i = 0; i < n_all && !err; i++) {
		if (!i || pmap_cmp(&all[i - 1], &all[i]))
			err = add_mapping(pp, all[i]->start, all[i]->end, all[i]->offset,
					  all[i]->file, all[i]->build_id);
		pp->mref[i] = (struct rs_pp_mref){ .pid = all[i]->pid,
						   .start = all[i]->start,
						   .end = all[i]->end,
						   .idx = pp->n_map - 1 };
	}
	pp->n_mref = n_all;
	qsort(pp->mref, pp->n_mref, sizeof(*pp->mref), mref_cmp);
	free(all);
	return err;
}

struct kmod {
	const char *name;
	uint64_t lo, hi;
};

static int kmod_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kmod *)a)->name, ((const struct kmod *)b)->name);
}

static const char *kmod_name(const struct rs_frame *fr)
{
	return fr->module ? fr->module : "[kernel]";
}

/* Kernel modules in name order, each a mapping over the addresses its frames have. */
static int kernel_mappings(struct rs_pp *pp, const struct rs_profile *const *profs, size_t n)
{
	struct kmod *km = NULL;
	size_t n_km = 0, cap = 0, k;
	int err = 0;

	pp->first_kmap = pp->n_map;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < profs[i]->n_samples; j++) {
			const struct rs_psample *s = &profs[i]->samples[j];

			for (size_t f = 0; f < s->n_frames; f++) {
				const struct rs_frame *fr = &s->frames[f];

				if (!fr->kernel)
					continue;
				for (k = 0; k < n_km && strcmp(km[k].name, kmod_name(fr)); k++)
					;
				if (k == n_km) {
					if (rs_pprof_grow(&km, &cap, n_km, sizeof(*km))) {
						free(km);
						return -ENOMEM;
					}
					km[n_km++] =
					    (struct kmod){ kmod_name(fr), fr->addr, fr->addr };
				}
				if (fr->addr < km[k].lo)
					km[k].lo = fr->addr;
				if (fr->addr > km[k].hi)
					km[k].hi = fr->addr;
			}
		}
	}
	if (n_km)
		qsort(km, n_km, sizeof(*km), kmod_cmp);
	for (k = 0; k < n_km && !err; k++)
		err = add_mapping(pp, km[k].lo, km[k].hi + 1, 0, km[k].name, NULL);
	free(km);
	return err;
}

size_t rs_pprof_find_mapping(const struct rs_pp *pp, uint32_t pid, const struct rs_frame *fr)
{
	size_t lo = 0, hi = pp->n_mref;

	if (fr->kernel) {
		for (size_t i = pp->first_kmap; i < pp->n_map; i++)
			if (!strcmp(pp->str.str[pp->map[i].filename], kmod_name(fr)))
				return i;
		return SIZE_MAX;
	}
	/* the last mapping of pid starting at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rs_pp_mref *m = &pp->mref[mid];

		if (m->pid < pid || (m->pid == pid && m->start <= fr->addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && pp->mref[lo - 1].pid == pid && fr->addr < pp->mref[lo - 1].end)
		return pp->mref[lo - 1].idx;
	return SIZE_MAX;
}

void rs_pprof_mapping_used(pb_mapping *m, bool *used, const struct rs_frame *fr, size_t n)
{
	if (!*used)
		m->has_functions = m->has_filenames = m->has_line_numbers = *used = true;
	for (size_t i = 0; i < n; i++) {
		if (!fr[i].function)
			m->has_functions = false;
		if (!fr[i].file)
			m->has_filenames = false;
		if (!fr[i].line)
			m->has_line_numbers = false;
	}
	if (n > 1)
		m->has_inline_frames = true;
}

int rs_pprof_mappings(struct rs_pp *pp, const struct rs_profile *const *profs, size_t n)
{
	return user_mappings(pp, profs, n) ?: kernel_mappings(pp, profs, n);
}
