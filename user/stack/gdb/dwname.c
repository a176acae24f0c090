// SPDX-License-Identifier: GPL-2.0
/*
 * Function names from DWARF as gdb 13 shows them (gdb.h).
 *
 * gdb names a function symbol with its "physname" (gdb/dwarf2/read.c:
 * dwarf2_physname(), dwarf2_compute_name(), determine_prefix()):
 *
 *  - C++ with a DW_AT_linkage_name (found through DW_AT_abstract_origin and
 *    DW_AT_specification): the linkage name demangled with its parameters
 *    and without a return type;
 *  - C++ without one (functions of lambdas and other local classes, extern
 *    "C" functions): the name qualified by its scope, and for a
 *    DW_TAG_subprogram the parameter types as its C++ type printer writes
 *    them ("(const std::_Any_data &)", "(void)"), " const" for a const
 *    method;
 *  - Rust, D and Fortran: the name qualified by its scope; the linkage name
 *    is never used for Rust;
 *  - C and the rest: DW_AT_linkage_name as it is (glibc's hidden aliases:
 *    "__GI___poll"), else DW_AT_name.
 *
 * The scope is that of the DIE's DW_AT_specification, else its
 * DW_AT_abstract_origin: the nearest enclosing namespace, class, structure,
 * union, module or enum class gives its own full name; a subprogram or the
 * compile unit ends the search with no prefix; lexical blocks are looked
 * through. An unnamed C++ namespace is "(anonymous namespace)".
 *
 * The backtrace (gdb/stack.c: find_frame_funname()) then shows a C++ name
 * without its parameters when gdb's C++ name parser can read it, else as it
 * is: names holding a lambda ("{lambda()#1}", "<lambda()>"), an unnamed type
 * or an ABI tag ("[abi:cxx11]") keep their parameters.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include "stack/stack.h"
#include "stack/gdb/gdb.h"
#include "stack/gdb/gdb_priv.h"
#include "lib/lib.h"

void rs_nbuf_add(struct rs_nbuf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->oom)
		return;
	if (b->n + l + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *ns;

		while (cap < b->n + l + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, l + 1);
	b->n += l;
}

const char *rs_dw_str_attr(Dwarf_Die *d, unsigned int name)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(d, name, &a) ? dwarf_formstring(&a) : NULL;
}

bool rs_dw_flag_attr(Dwarf_Die *d, unsigned int name)
{
	Dwarf_Attribute a;
	bool v = false;

	return dwarf_attr_integrate(d, name, &a) && !dwarf_formflag(&a, &v) && v;
}

bool rs_lang_is_cxx(int lang)
{
	return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
	       lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14;
}

static bool is_fortran(int lang)
{
	return lang == DW_LANG_Fortran77 || lang == DW_LANG_Fortran90 ||
	       lang == DW_LANG_Fortran95 || lang == DW_LANG_Fortran03 || lang == DW_LANG_Fortran08;
}

/* Languages gdb qualifies names in. */
static bool qualifies(int lang)
{
	return rs_lang_is_cxx(lang) || lang == DW_LANG_Rust || lang == DW_LANG_D ||
	       is_fortran(lang);
}

/* gdb's dwarf2_name(): DW_AT_name, "(anonymous namespace)" for an unnamed C++ namespace. */
static const char *die_name(Dwarf_Die *d, int lang)
{
	const char *s = rs_dw_str_attr(d, DW_AT_name);

	if (!s && dwarf_tag(d) == DW_TAG_namespace && rs_lang_is_cxx(lang))
		return "(anonymous namespace)";
	return s;
}

/* ---- parents of DIEs: one walk per CU instead of one per question ------------------ */

#define PMAP_ROWS_MAX (1u << 23) /* DIEs mapped per cache before it is emptied */
#define NO_PARENT     ((Dwarf_Off)-1)

/* A CU's DIEs in offset order with their parents' offsets. */
struct pmap {
	Dwarf *dbg;
	Dwarf_Off cu;
	Dwarf_Off *off, *parent;
	size_t n, cap;
	bool bad;
};

/* The full name of a scope DIE (namespace, type), computed once (scope_full_name()). */
struct scope_name {
	Dwarf *dbg;
	Dwarf_Off off;
	int lang;
	char *name;
};

#define SCOPE_NAMES_MAX (1u << 20) /* names kept per cache before they are dropped */

struct rs_dwcache {
	struct pmap *v;
	size_t n, cap, rows;
	struct scope_name *names;
	size_t n_names, cap_names;
	struct rs_htab name_index; /* (dbg, off, lang) -> names[] */
};

static void pmap_free(struct pmap *m)
{
	free(m->off);
	free(m->parent);
}

void rs_dwcache_free(struct rs_dwcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		pmap_free(&c->v[i]);
	free(c->v);
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i].name);
	free(c->names);
	rs_htab_clear(&c->name_index);
	free(c);
}

static void pmap_add(struct pmap *m, Dwarf_Off off, Dwarf_Off parent)
{
	if (m->bad)
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		Dwarf_Off *o = realloc(m->off, cap * sizeof(*o)), *p;

		if (o)
			m->off = o;
		p = o ? realloc(m->parent, cap * sizeof(*p)) : NULL;
		if (!p) {
			m->bad = true;
			return;
		}
		m->parent = p;
		m->cap = cap;
	}
	m->off[m->n] = off;
	m->parent[m->n++] = parent;
}

/*
 * Maps parent's children, and theirs, but not what is inside code (a
 * function's parameters, variables, blocks, inlined calls: below a
 * subprogram): the DIEs whose
 * scopes are asked for are functions and their declarations, in namespaces
 * and types. A DIE inside code is not in the map; scopes_of() asks libdw.
 */
static void pmap_walk(struct pmap *m, Dwarf_Die *parent, int depth)
{
	Dwarf_Off poff = dwarf_dieoffset(parent);
	Dwarf_Die c;

	if (depth > 256 || dwarf_child(parent, &c)) {
		m->bad |= depth > 256;
		return;
	}
	do {
		pmap_add(m, dwarf_dieoffset(&c), poff);
		if (dwarf_tag(&c) != DW_TAG_subprogram && dwarf_haschildren(&c) > 0)
			pmap_walk(m, &c, depth + 1);
	} while (!m->bad && !dwarf_siblingof(&c, &c));
}

/* The parent map of the CU holding d, built on first use in *cache; NULL without a cache. */
static struct pmap *pmap_of(struct rs_dwcache **cache, Dwarf_Die *d)
{
	struct rs_dwcache *c;
	Dwarf *dbg = dwarf_cu_getdwarf(d->cu);
	Dwarf_Die cu;
	Dwarf_Off cuoff;
	struct pmap *m;

	if (!cache || !dwarf_diecu(d, &cu, NULL, NULL))
		return NULL;
	cuoff = dwarf_dieoffset(&cu);
	c = *cache;
	if (!c && !(c = *cache = calloc(1, sizeof(*c))))
		return NULL;
	for (size_t i = c->n; i-- > 0;)
		if (c->v[i].dbg == dbg && c->v[i].cu == cuoff)
			return c->v[i].bad ? NULL : &c->v[i];
	if (c->rows > PMAP_ROWS_MAX) {
		for (size_t i = 0; i < c->n; i++)
			pmap_free(&c->v[i]);
		c->n = c->rows = 0;
	}
	if (rs_grow(&c->v, &c->cap, c->n, sizeof(*c->v), 8))
		return NULL;
	m = &c->v[c->n++];
	*m = (struct pmap){ .dbg = dbg, .cu = cuoff };
	pmap_add(m, cuoff, NO_PARENT);
	pmap_walk(m, &cu, 0);
	c->rows += m->n;
	return m->bad ? NULL : m;
}

/* The row of DIE offset off in m, or SIZE_MAX. */
static size_t pmap_find(const struct pmap *m, Dwarf_Off off)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->off[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->off[lo] == off ? lo : SIZE_MAX;
}

/*
 * The scopes around d, d first and the CU last, as dwarf_getscopes_die()
 * gives them: malloc'd into *out, their count, or -1.
 */
static int scopes_of(struct rs_dwcache **cache, Dwarf_Die *d, Dwarf_Die **out)
{
	struct pmap *m = pmap_of(cache, d);
	Dwarf_Off off = dwarf_dieoffset(d);
	Dwarf_Die *v;
	int n = 0;

	/* inside code, not mapped (pmap_walk()) */
	if (!m || pmap_find(m, off) == SIZE_MAX)
		return dwarf_getscopes_die(d, out);
	v = malloc((RS_DW_DEPTH_MAX * 8 + 1) * sizeof(*v));
	if (!v)
		return -1;
	v[n++] = *d;
	while (n < RS_DW_DEPTH_MAX * 8) {
		size_t i = pmap_find(m, off);

		if (i == SIZE_MAX || m->parent[i] == NO_PARENT)
			break;
		off = m->parent[i];
		if (!dwarf_offdie(m->dbg, off, &v[n])) {
			free(v);
			return dwarf_getscopes_die(d, out);
		}
		n++;
	}
	*out = v;
	return n;
}

static void scope_full_name(Dwarf_Die *p, const char *pn, int lang, struct rs_nbuf *b, int depth);

/* gdb's determine_prefix(): appends the scope's full name; false when there is none. */
static bool prefix(Dwarf_Die *die, int lang, struct rs_nbuf *b, int depth)
{
	Dwarf_Die spec, *d = die, *scopes = NULL;
	Dwarf_Attribute a;
	bool found = false;
	int n;

	if (depth > RS_DW_DEPTH_MAX || !qualifies(lang))
		return false;
	if ((dwarf_attr_integrate(die, DW_AT_specification, &a) ||
	     dwarf_attr(die, DW_AT_abstract_origin, &a)) &&
	    dwarf_formref_die(&a, &spec))
		d = &spec;
	n = scopes_of(b->cache, d, &scopes);
	for (int i = 1; i < n; i++) {
		Dwarf_Die *p = &scopes[i];
		const char *pn = die_name(p, lang);
		bool done = true;

		switch (dwarf_tag(p)) {
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_interface_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_module:
			if (pn) {
				scope_full_name(p, pn, lang, b, depth + 1);
				found = true;
			}
			break;
		case DW_TAG_enumeration_type:
			if (rs_dw_flag_attr(p, DW_AT_enum_class)) {
				if (pn) {
					scope_full_name(p, pn, lang, b, depth + 1);
					found = true;
				}
			} else {
				done = false;
			}
			break;
		case DW_TAG_subprogram:
			if (is_fortran(lang) && dwarf_tag(die) == DW_TAG_subprogram && pn) {
				rs_nbuf_add(b, pn);
				found = true;
			}
			break;
		case DW_TAG_compile_unit:
		case DW_TAG_partial_unit:
		case DW_TAG_type_unit:
			break;
		default:
			done = false;
			break;
		}
		if (done)
			break;
	}
	free(scopes);
	return found;
}

static uint64_t scope_hash(const struct scope_name *k)
{
	uint64_t h = rs_hash_u64(RS_HASH_INIT, (uint64_t)(uintptr_t)k->dbg);

	return rs_hash_u64(rs_hash_u64(h, k->off), (uint64_t)k->lang);
}

static bool scope_eq(const void *ctx, size_t idx, const void *key)
{
	const struct scope_name *e = &((const struct rs_dwcache *)ctx)->names[idx], *k = key;

	return e->dbg == k->dbg && e->off == k->off && e->lang == k->lang;
}

/*
 * rs_dw_full_name() of scope p, remembered in the cache: the same
 * namespaces and types enclose thousands of functions, and each name is a
 * walk up the DIE tree per enclosing scope.
 */
static void scope_full_name(Dwarf_Die *p, const char *pn, int lang, struct rs_nbuf *b, int depth)
{
	struct scope_name k = { dwarf_cu_getdwarf(p->cu), dwarf_dieoffset(p), lang, NULL };
	struct rs_dwcache *c = b->cache ? *b->cache : NULL;
	uint64_t h = scope_hash(&k);
	size_t at = b->n, i;

	if (c) {
		i = rs_htab_find(&c->name_index, h, scope_eq, c, &k);
		if (i != SIZE_MAX) {
			rs_nbuf_add(b, c->names[i].name);
			return;
		}
	}
	rs_dw_full_name(p, pn, lang, b, depth);
	c = b->cache ? *b->cache : NULL; /* the walk may have made it */
	if (!c || b->oom)
		return;
	if (c->n_names >= SCOPE_NAMES_MAX) {
		for (i = 0; i < c->n_names; i++)
			free(c->names[i].name);
		c->n_names = 0;
		rs_htab_reset(&c->name_index);
	}
	if (rs_grow(&c->names, &c->cap_names, c->n_names, sizeof(*c->names), 256) ||
	    !(k.name = strndup(b->s + at, b->n - at)))
		return;
	if (rs_htab_add(&c->name_index, h, c->n_names)) {
		free(k.name);
		return;
	}
	c->names[c->n_names++] = k;
}

/* gdb's dwarf2_full_name(): prefix::name. */
void rs_dw_full_name(Dwarf_Die *d, const char *name, int lang, struct rs_nbuf *b, int depth)
{
	size_t at = b->n;

	if (prefix(d, lang, b, depth) && b->n > at)
		rs_nbuf_add(b, "::");
	rs_nbuf_add(b, name);
}

char *rs_dw_function_name(struct rs_dwcache **cache, Dwarf_Die *die, int lang, bool *oom)
{
	const char *name = rs_dw_str_attr(die, DW_AT_name);
	const char *link = rs_dw_str_attr(die, DW_AT_linkage_name);
	struct rs_nbuf b = { .cache = cache };
	char *out = NULL;

	*oom = false;
	if (!link)
		link = rs_dw_str_attr(die, DW_AT_MIPS_linkage_name);
	if (rs_lang_is_cxx(lang) && link) {
		char *phys = rs_demangle(link, RS_DEMANGLE_PARAMS | RS_DEMANGLE_RET_DROP);

		if (phys && rs_gdb_cp_parses(phys)) {
			free(phys);
			phys = rs_demangle(link, 0);
		}
		*oom = !phys;
		return phys;
	}
	if (!name) {
		out = link ? strdup(link) : NULL;
		*oom = link && !out;
		return out;
	}
	if (!qualifies(lang)) {
		/* gdb shows a C symbol's linkage name ("__GI___poll" for glibc's __poll) */
		out = strdup(link ? link : name);
		*oom = !out;
		return out;
	}
	rs_dw_full_name(die, name, lang, &b, 0);
	if (rs_lang_is_cxx(lang) && dwarf_tag(die) == DW_TAG_subprogram && !b.oom) {
		size_t bare = b.n;

		rs_gdb_print_args(die, true, lang, &b, 0);
		rs_gdb_const_method(die, &b);
		if (!b.oom && rs_gdb_cp_parses(b.s))
			b.s[bare] = '\0';
	}
	if (rs_lang_is_cxx(lang) && !b.oom && b.s)
		rs_cxx_canon_literals(b.s);
	*oom = b.oom;
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
