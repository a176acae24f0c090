// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF call sites as gdb 13 reads them (its read_call_site_scope() in
 * dwarf2/read.c and call_site_target in gdbtypes.c), for callsite.h:
 *
 *  - a site's return PC is DW_AT_call_return_pc, else DW_AT_low_pc (GNU);
 *    a site with neither is ignored (clang's tail calls carry DW_AT_call_pc);
 *  - its target is the first of DW_AT_call_target, DW_AT_GNU_call_site_target,
 *    DW_AT_call_origin, DW_AT_abstract_origin. A DWARF expression cannot be
 *    evaluated without the caller's registers, which a tail call did not keep:
 *    such a target is unresolvable. A reference to a declaration names an ELF
 *    symbol (linkage name, else the name as gdb computes it: see decl_name())
 *    of any module; to a definition with DW_AT_ranges, every range start;
 *    else its DW_AT_low_pc;
 *  - a function's tail-call list holds the sites flagged DW_AT_call_tail_call
 *    (DW_AT_GNU_tail_call) in its body, inline bodies included, if the
 *    function says it lists all of them (DW_AT_call_all_calls,
 *    DW_AT_call_all_tail_calls or their GNU forms); else it is empty;
 *  - a function's entry is its DW_AT_low_pc, or its first range's start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "stack/stack_priv.h"

#define NODES_MAX 4096 /* sites, functions or targets in one graph */
#define WALK_MAX  64   /* scope nesting inside a function */

/* v grown to hold n + 1 elements of size bytes, or NULL (g is then full). */
static void *grow(struct rs_csgraph *g, void *v, int *cap, int n, size_t size)
{
	int nc = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return v;
	if (n >= NODES_MAX) {
		g->full = true;
		return NULL;
	}
	v = realloc(v, (size_t)nc * size);
	if (!v) {
		g->err = -ENOMEM;
		g->full = true;
		return NULL;
	}
	*cap = nc;
	return v;
}

static bool push_target(struct rs_csgraph *g, uint64_t addr)
{
	uint64_t *v = grow(g, g->targets, &g->cap_targets, g->ntargets, sizeof(*v));

	if (!v)
		return false;
	g->targets = v;
	v[g->ntargets++] = addr;
	return true;
}

/* A flag attribute, through DW_AT_abstract_origin and DW_AT_specification as gdb looks. */
static bool flag(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute a;
	bool v = false;

	return dwarf_attr_integrate(die, name, &a) && !dwarf_formflag(&a, &v) && v;
}

static bool is_site(int tag)
{
	return tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site;
}

/* Scopes that can hold call sites (nested functions too). */
static bool is_scope(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
	       tag == DW_TAG_catch_block || tag == DW_TAG_with_stmt;
}

static bool site_pc(Dwarf_Die *site, Dwarf_Addr *pc)
{
	Dwarf_Attribute a;

	return (dwarf_attr(site, DW_AT_call_return_pc, &a) || dwarf_attr(site, DW_AT_low_pc, &a)) &&
	       !dwarf_formaddr(&a, pc);
}

static bool is_tail_call(Dwarf_Die *site)
{
	return flag(site, DW_AT_call_tail_call) || flag(site, DW_AT_GNU_tail_call);
}

/* gdb 13's entry of a function DIE: DW_AT_low_pc beside DW_AT_high_pc, else the first range. */
static bool die_entry(Dwarf_Die *d, Dwarf_Addr *entry)
{
	Dwarf_Addr base, end;
	Dwarf_Attribute a;

	if (dwarf_attr_integrate(d, DW_AT_high_pc, &a)) {
		if (dwarf_formaddr(dwarf_attr_integrate(d, DW_AT_low_pc, &a), entry))
			return false;
	} else if (dwarf_ranges(d, 0, &base, entry, &end) <= 0) {
		return false;
	}
	return *entry != 0; /* gdb ignores code at 0: a discarded section's */
}

/* An ELF symbol name without its version ("pthread_join@@GLIBC_2.34") is want. */
static bool same_name(const char *sym, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(sym, want, n) && (sym[n] == '\0' || sym[n] == '@');
}

/* Looks name up in mod's symbols: 1 for a global or weak one, 2 for a local one (*addr set), 0. */
static int lookup_sym(Dwfl_Module *mod, const char *name, uint64_t *addr)
{
	int n = dwfl_module_getsymtab(mod), found = 0;

	for (int i = 1; i < n && found != 1; i++) {
		const char *s;
		GElf_Addr a;
		GElf_Sym sym;
		int type;

		s = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
		type = s ? GELF_ST_TYPE(sym.st_info) : STT_NOTYPE;
		if (!s || sym.st_shndx == SHN_UNDEF || !same_name(s, name) ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE))
			continue;
		if (GELF_ST_BIND(sym.st_info) != STB_LOCAL || !found) {
			*addr = a;
			found = GELF_ST_BIND(sym.st_info) != STB_LOCAL ? 1 : 2;
		}
	}
	return found;
}

/*
 * gdb's lookup_minimal_symbol(): a global symbol, else a local one. gdb looks
 * through its objfiles in load order; here g->home first, then the modules by
 * address (the main program first, as a rule).
 */
static bool resolve(struct rs_csgraph *g, const char *name, uint64_t *addr)
{
	uint64_t local = 0;
	bool have_local = false;

	for (size_t i = 0; i <= g->p->n_mods; i++) {
		Dwfl_Module *m = g->home;
		int r;

		if (i)
			m = dwfl_addrmodule(g->p->dwfl, g->p->mods[i - 1].low);
		if (!m || (i && m == g->home))
			continue;
		r = lookup_sym(m, name, addr);
		if (r == 1)
			return true;
		if (r == 2 && !have_local) {
			local = *addr;
			have_local = true;
		}
	}
	*addr = local;
	return have_local;
}

/* True when a DIE of a language gdb qualifies names in sits in a named scope. */
static bool in_named_scope(Dwarf_Die *d)
{
	Dwarf_Die *scopes = NULL;
	bool named = false;
	int n = dwarf_getscopes_die(d, &scopes);

	for (int i = 1; i < n && !named; i++) {
		int tag = dwarf_tag(&scopes[i]);

		named = tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit &&
			tag != DW_TAG_lexical_block;
	}
	free(scopes);
	return named;
}

/*
 * The name of the symbol a declaration DIE stands for, or NULL: its linkage
 * name, else the name gdb computes (dwarf2_physname()). For C++ that is
 * "name(parameter types)", which no symbol is called (an extern "C"
 * function declared in C++ has no linkage name): gdb finds no target. For
 * Rust, Fortran and D it is the name qualified by its scopes.
 */
static const char *decl_name(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	Dwarf_Die cu;
	int lang;

	if (dwarf_attr_integrate(d, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(d, DW_AT_MIPS_linkage_name, &a))
		return dwarf_formstring(&a);
	if (!dwarf_attr_integrate(d, DW_AT_name, &a))
		return NULL;
	lang = dwarf_diecu(d, &cu, NULL, NULL) ? dwarf_srclang(&cu) : -1;
	switch (lang) {
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
		return NULL;
	case DW_LANG_Rust:
	case DW_LANG_D:
	case DW_LANG_Fortran77:
	case DW_LANG_Fortran90:
	case DW_LANG_Fortran95:
	case DW_LANG_Fortran03:
	case DW_LANG_Fortran08:
		if (in_named_scope(d))
			return NULL;
		break;
	default:
		break;
	}
	return dwarf_formstring(&a);
}

/* Reads the targets of call site die (of a module with load bias bias) into g->targets and out. */
static void read_targets(struct rs_csgraph *g, Dwarf_Addr bias, Dwarf_Die *die,
			 struct rs_csite *out)
{
	Dwarf_Addr base, start, end, entry;
	Dwarf_Attribute a;
	const char *name;
	ptrdiff_t off = 0;
	uint64_t addr;
	Dwarf_Die d;

	out->first = g->ntargets;
	out->n = -1;
	if (!dwarf_attr(die, DW_AT_call_target, &a) &&
	    !dwarf_attr(die, DW_AT_GNU_call_site_target, &a) &&
	    !dwarf_attr(die, DW_AT_call_origin, &a) && !dwarf_attr(die, DW_AT_abstract_origin, &a))
		return;
	if (!dwarf_formref_die(&a, &d))
		return; /* a DWARF expression */
	if (flag(&d, DW_AT_declaration) && !dwarf_hasattr_integrate(&d, DW_AT_specification)) {
		name = decl_name(&d);
		if (!name || !resolve(g, name, &addr) || !push_target(g, addr))
			return;
	} else if (dwarf_hasattr_integrate(&d, DW_AT_ranges)) {
		while ((off = dwarf_ranges(&d, off, &base, &start, &end)) > 0)
			if (start && start < end && !push_target(g, start + bias))
				return;
	} else if (!die_entry(&d, &entry) || !push_target(g, entry + bias)) {
		return;
	}
	out->n = g->ntargets - out->first;
}

/* Appends call site die, returning to pc (absolute); its index, or -1 when g is full. */
static int add_site(struct rs_csgraph *g, Dwarf_Addr bias, Dwarf_Die *die, uint64_t pc)
{
	struct rs_csite *v = grow(g, g->sites, &g->cap_sites, g->nsites, sizeof(*v));
	struct rs_csite site = { .pc = pc };

	if (!v)
		return -1;
	g->sites = v;
	read_targets(g, bias, die, &site);
	g->sites[g->nsites] = site;
	return g->full ? -1 : g->nsites++;
}

/* Appends the tail-call sites under die, not those of functions nested in it. */
static void add_tail_sites(struct rs_csgraph *g, Dwarf_Addr bias, Dwarf_Die *die, int depth)
{
	Dwarf_Addr pc;
	Dwarf_Die c;

	if (depth > WALK_MAX || dwarf_child(die, &c))
		return;
	do {
		int tag = dwarf_tag(&c);

		if (is_site(tag) && is_tail_call(&c) && site_pc(&c, &pc))
			add_site(g, bias, &c, pc + bias);
		else if (is_scope(tag) && tag != DW_TAG_subprogram)
			add_tail_sites(g, bias, &c, depth + 1);
	} while (!g->full && !dwarf_siblingof(&c, &c));
}

/* Finds under die the call site returning to pc (an ELF address). */
static bool find_site(Dwarf_Die *die, Dwarf_Addr pc, Dwarf_Die *out, int depth)
{
	Dwarf_Addr at;
	Dwarf_Die c;

	if (depth > WALK_MAX || dwarf_child(die, &c))
		return false;
	do {
		int tag = dwarf_tag(&c);

		if (is_site(tag) && site_pc(&c, &at) && at == pc) {
			*out = c;
			return true;
		}
		if (is_scope(tag) && find_site(&c, pc, out, depth + 1))
			return true;
	} while (!dwarf_siblingof(&c, &c));
	return false;
}

/* The DWARF function holding addr (in mod) into *fn and *bias; false when none. */
static bool dwarf_function(struct rs_csgraph *g, Dwfl_Module *mod, uint64_t addr, Dwarf_Die *fn,
			   Dwarf_Addr *bias)
{
	Dwarf_Die *cu = mod ? rs_addrdie(mod, addr, bias) : NULL, split;
	int err;

	if (!cu)
		return false;
	err = rs_dwarf_function(rs_mod_of(mod), rs_unit_die(cu, &split), addr - *bias, fn);
	if (err == -ENOMEM) {
		g->err = err;
		g->full = true;
	}
	return !err;
}

bool rs_cs_function_entry(struct rs_csgraph *g, Dwfl_Module *mod, uint64_t addr, uint64_t *entry)
{
	Dwarf_Addr bias, e;
	Dwarf_Die fn;
	GElf_Off off;
	GElf_Sym sym;

	if (dwarf_function(g, mod, addr, &fn, &bias) && die_entry(&fn, &e)) {
		*entry = e + bias;
		return true;
	}
	if (g->full || !mod || !dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL))
		return false;
	*entry = addr - off;
	return true;
}

int rs_cs_caller_site(struct rs_csgraph *g, uint64_t ret)
{
	Dwfl_Module *mod = dwfl_addrmodule(g->p->dwfl, ret - 1);
	Dwarf_Die fn, site;
	Dwarf_Addr bias;

	if (!dwarf_function(g, mod, ret - 1, &fn, &bias) || !find_site(&fn, ret - bias, &site, 0))
		return -1;
	return add_site(g, bias, &site, ret);
}

int rs_cs_func(struct rs_csgraph *g, uint64_t entry)
{
	Dwfl_Module *mod = dwfl_addrmodule(g->p->dwfl, entry);
	struct rs_cfunc *v;
	Dwarf_Addr bias, e;
	Dwarf_Die fn;
	int i;

	for (i = 0; i < g->nfuncs; i++)
		if (g->funcs[i].entry == entry)
			return i;
	v = grow(g, g->funcs, &g->cap_funcs, g->nfuncs, sizeof(*v));
	if (!v)
		return -1;
	g->funcs = v;
	v[i] = (struct rs_cfunc){ .entry = entry, .first = g->nsites, .n = -1 };
	g->nfuncs++;
	if (!dwarf_function(g, mod, entry, &fn, &bias) || !die_entry(&fn, &e) || e + bias != entry)
		return g->full ? -1 : i;
	if (flag(&fn, DW_AT_call_all_calls) || flag(&fn, DW_AT_GNU_all_call_sites) ||
	    flag(&fn, DW_AT_call_all_tail_calls) || flag(&fn, DW_AT_GNU_all_tail_call_sites))
		add_tail_sites(g, bias, &fn, 0);
	g->funcs[i].n = g->nsites - g->funcs[i].first;
	return g->full ? -1 : i;
}

void rs_csgraph_clear(struct rs_csgraph *g)
{
	free(g->sites);
	free(g->funcs);
	free(g->targets);
	g->sites = NULL;
	g->funcs = NULL;
	g->targets = NULL;
	g->nsites = g->nfuncs = g->ntargets = 0;
	g->cap_sites = g->cap_funcs = g->cap_targets = 0;
}
