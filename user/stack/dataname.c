// SPDX-License-Identifier: GPL-2.0
/*
 * Data addresses named (stack.h): the module's data symbol that holds an
 * address (a static Mutex, a global pthread_mutex_t), else the region of
 * the process it is in. Symbols come from the modules' symbol tables
 * through libdwfl; the target's memory is never read.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stack/stack_priv.h"

void rs_data_name_clear(struct rs_data_name *n)
{
	if (!n)
		return;
	free(n->symbol);
	free(n->module);
	memset(n, 0, sizeof(*n));
}

int rs_data_name_copy(struct rs_data_name *dst, const struct rs_data_name *src)
{
	*dst = *src;
	dst->symbol = src->symbol ? strdup(src->symbol) : NULL;
	dst->module = src->module ? strdup(src->module) : NULL;
	if ((src->symbol && !dst->symbol) || (src->module && !dst->module)) {
		rs_data_name_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

const char *rs_data_region_name(enum rs_data_region r)
{
	switch (r) {
	case RS_DATA_SYMBOL:
		return "symbol";
	case RS_DATA_MODULE:
		return "module";
	case RS_DATA_HEAP:
		return "heap";
	case RS_DATA_STACK:
		return "stack";
	case RS_DATA_ANON:
		return "anonymous";
	case RS_DATA_FILE:
		return "file";
	case RS_DATA_UNKNOWN:
		break;
	}
	return "unknown";
}

void rs_data_name_format(const struct rs_data_name *n, char *buf, size_t len)
{
	switch (n->region) {
	case RS_DATA_SYMBOL:
		if (n->offset)
			snprintf(buf, len, "%s+%#" PRIx64, n->symbol, n->offset);
		else
			snprintf(buf, len, "%s", n->symbol);
		return;
	case RS_DATA_MODULE:
		snprintf(buf, len, "in %s (no symbol)", n->module ? n->module : "a module");
		return;
	case RS_DATA_HEAP:
		snprintf(buf, len, "heap");
		return;
	case RS_DATA_STACK:
		if (n->tid)
			snprintf(buf, len, "stack of tid %" PRIu32, n->tid);
		else
			snprintf(buf, len, "main stack");
		return;
	case RS_DATA_ANON:
		snprintf(buf, len, "anonymous mapping");
		return;
	case RS_DATA_FILE:
		snprintf(buf, len, "in %s", n->module ? n->module : "a mapped file");
		return;
	case RS_DATA_UNKNOWN:
		break;
	}
	snprintf(buf, len, "unknown memory");
}

/*
 * The module whose mappings hold addr, or whose .bss runs on into the
 * anonymous mapping that holds it (the part past the file's last page).
 */
static const struct rs_mod *module_of(const struct rs_proc *p, uint64_t addr,
				      const struct rs_map *map)
{
	for (size_t i = 0; i < p->n_mods; i++) {
		const struct rs_mod *m = &p->mods[i];

		if (m->vdso)
			continue;
		if (addr >= m->low && addr < m->high)
			return m;
		if (map && !map->path && map->start == m->high)
			return m;
	}
	return NULL;
}

/* The object symbol of mod covering addr: 0 and out->symbol set, or 0 with none; -ENOMEM. */
static int data_symbol(Dwfl_Module *mod, uint64_t addr, struct rs_data_name *out)
{
	int n = dwfl_module_getsymtab(mod);
	const char *best = NULL;
	GElf_Addr best_at = 0;

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr at;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &at, NULL, NULL, NULL);

		if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT || !sym.st_size)
			continue;
		if (addr < at || addr - at >= sym.st_size)
			continue;
		/* nested objects: the innermost (latest start) names it best */
		if (!best || at > best_at) {
			best = name;
			best_at = at;
		}
	}
	if (!best)
		return 0;
	out->symbol = rs_demangle(best, 0);
	if (!out->symbol)
		return -ENOMEM;
	out->offset = addr - best_at;
	out->region = RS_DATA_SYMBOL;
	return 0;
}

int rs_name_data_addr(struct rs_proc *p, uint64_t addr, const struct rs_thread_sp *sps,
		      size_t n_sps, struct rs_data_name *out)
{
	const struct rs_map *map;
	const struct rs_mod *m;
	int err;

	memset(out, 0, sizeof(*out));
	if (!p)
		return 0;
	map = rs_maps_find(&p->maps, addr);
	m = module_of(p, addr, map);
	if (m) {
		Dwfl_Module *mod = p->dwfl ? dwfl_addrmodule(p->dwfl, m->map->start) : NULL;
		bool inside = addr < m->high; /* else in the anonymous mapping after it */

		out->module = strdup(m->path);
		if (!out->module)
			return -ENOMEM;
		out->region = RS_DATA_MODULE;
		err = mod ? data_symbol(mod, addr, out) : 0;
		if (err || inside || out->region == RS_DATA_SYMBOL) {
			if (err)
				rs_data_name_clear(out);
			return err;
		}
		/* no .bss symbol there: just an anonymous mapping that follows the module */
		rs_data_name_clear(out);
	}
	if (!map)
		return 0;
	for (size_t i = 0; i < n_sps; i++) {
		if (sps[i].sp && rs_maps_find(&p->maps, sps[i].sp) == map) {
			out->region = RS_DATA_STACK;
			out->tid = sps[i].tid;
			return 0;
		}
	}
	if (!map->path) {
		out->region = RS_DATA_ANON;
	} else if (!strcmp(map->path, "[heap]")) {
		out->region = RS_DATA_HEAP;
	} else if (!strcmp(map->path, "[stack]")) {
		out->region = RS_DATA_STACK;
	} else {
		out->region = RS_DATA_FILE;
		out->module = strdup(map->path);
		if (!out->module)
			return -ENOMEM;
	}
	return 0;
}
