// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF indexes of a module (stack_priv.h), kept on the module they index
 * and freed with it: its CUs by address when libdw has no .debug_aranges for
 * them, and, per CU, the DIEs at the top of the functions it holds by
 * address range, so a lookup is a binary search instead of a walk of the CU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"

#define WALK_MAX 64 /* namespace and type nesting the function index looks through */

/* A module's CUs by address: what dwfl_module_addrdie() finds without aranges. */
struct cu_range {
	Dwarf_Addr lo, hi; /* ELF addresses of the module's DWARF */
	Dwarf_Die *cu;	   /* libdwfl's, valid as long as the module */
};

struct rs_cutab {
	struct cu_range *v;
	size_t n;
	Dwarf_Addr bias;
};

void rs_cutab_free(struct rs_cutab *t)
{
	if (t) {
		free(t->v);
		free(t);
	}
}

static int cmp_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct rs_cutab *cutab_build(Dwfl_Module *mod)
{
	struct rs_cutab *t = calloc(1, sizeof(*t));
	Dwarf_Die *cu = NULL;
	size_t cap = 0;

	if (!t)
		return NULL;
	while ((cu = dwfl_module_nextcu(mod, cu, &t->bias))) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;

		while ((off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0) {
			if (hi <= lo || !lo) /* empty, or a function the linker dropped */
				continue;
			if (t->n == cap) {
				struct cu_range *v;

				cap = cap ? cap * 2 : 64;
				v = realloc(t->v, cap * sizeof(*v));
				if (!v) {
					rs_cutab_free(t);
					return NULL;
				}
				t->v = v;
			}
			t->v[t->n++] = (struct cu_range){ .lo = lo, .hi = hi, .cu = cu };
		}
	}
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_range);
	return t;
}

const char *rs_mod_label(const struct rs_mod *m)
{
	const char *slash = m && m->path ? strrchr(m->path, '/') : NULL;

	return slash ? slash + 1 : m && m->path ? m->path : "?";
}

Dwarf_Die *rs_addrdie(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
	struct rs_mod *m = rs_mod_of(mod);
	struct rs_tmark t;
	Dwarf_Die *cu;
	size_t lo = 0, hi;

	rs_tmark_start(&t);
	cu = dwfl_module_addrdie(mod, addr, bias);
	if (m && !m->dwarf_asked) {
		m->dwarf_asked = true;
		rs_timings_add(&t, "  dwarf open: %s", rs_mod_label(m));
	}
	if (cu || !m)
		return cu;
	if (!m->cus) {
		rs_tmark_start(&t);
		m->cus = cutab_build(mod);
		rs_timings_add(&t, "  dwarf CU table: %s", rs_mod_label(m));
		if (!m->cus)
			return NULL;
	}
	addr -= m->cus->bias;
	hi = m->cus->n;
	while (lo < hi) { /* the first range starting above addr */
		size_t mid = (lo + hi) / 2;

		if (m->cus->v[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ranges of different CUs seldom overlap: look back a little */
	for (size_t i = lo, k = 0; i-- > 0 && k < 64; k++) {
		if (addr < m->cus->v[i].hi) {
			*bias = m->cus->bias;
			return m->cus->v[i].cu;
		}
	}
	return NULL;
}

Dwarf_Die *rs_unit_die(Dwarf_Die *cu, Dwarf_Die *buf)
{
	uint8_t type;

	if (dwarf_cu_info(cu->cu, NULL, &type, NULL, buf, NULL, NULL, NULL) == 0 &&
	    type == DW_UT_skeleton && buf->addr)
		return buf;
	return cu;
}

/*
 * A CU's index of the DIEs find_pc() looks for at its top (functions and the
 * like, through namespaces, types and imported units), by address range: built
 * in one walk of the CU, then each lookup is a binary search instead of a walk.
 */
struct fent {
	Dwarf_Addr lo, hi;
	size_t order; /* tree order: find_pc() takes the first match */
	int depth;    /* the nested index: the depth the walk found it at */
	Dwarf_Die die;
};

struct fidx {
	const void *cu; /* the Dwarf_CU: the key */
	struct fent *v;
	Dwarf_Addr *maxhi; /* maxhi[i]: the largest hi of v[0..i] */
	size_t n, cap;
	bool bad;
};

/* The indexes of one module's CUs, found by the CU's address. */
struct rs_cufuncs {
	struct fidx **v;
	size_t n, cap;
	struct rs_htab index;
};

static void fidx_push(struct fidx *x, Dwarf_Die *d, int depth)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	while (!x->bad && (off = dwarf_ranges(d, off, &base, &lo, &hi)) > 0) {
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 256;
			struct fent *v = realloc(x->v, cap * sizeof(*v));

			if (!v) {
				x->bad = true;
				return;
			}
			x->v = v;
			x->cap = cap;
		}
		x->v[x->n] =
		    (struct fent){ .lo = lo, .hi = hi, .order = x->n, .depth = depth, .die = *d };
		x->n++;
	}
}

static void fidx_walk(struct fidx *x, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child, imported;
	Dwarf_Attribute a;

	if (depth > WALK_MAX || dwarf_child(parent, &child))
		return;
	do {
		switch (rs_die_kind(dwarf_tag(&child))) {
		case RS_DIE_CODE:
			fidx_push(x, &child, depth);
			break;
		case RS_DIE_CONTAINER:
			fidx_walk(x, &child, depth + 1);
			break;
		case RS_DIE_IMPORT:
			if (dwarf_attr(&child, DW_AT_import, &a) &&
			    dwarf_formref_die(&a, &imported))
				fidx_walk(x, &imported, depth + 1);
			break;
		default:
			break;
		}
	} while (!x->bad && dwarf_siblingof(&child, &child) == 0);
}

/*
 * The nested index: every subprogram below parent, in the order
 * find_pc_nested() (symbolize.c) tries them (a subprogram before what it
 * holds), with the same depth limit.
 */
static void nidx_walk(struct fidx *x, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;

	if (depth > RS_NESTED_DEPTH_MAX || dwarf_child(parent, &child))
		return;
	do {
		if (dwarf_tag(&child) == DW_TAG_subprogram)
			fidx_push(x, &child, depth);
		if (dwarf_haschildren(&child) > 0)
			nidx_walk(x, &child, depth + 1);
	} while (!x->bad && dwarf_siblingof(&child, &child) == 0);
}

static int fent_cmp(const void *a, const void *b)
{
	const struct fent *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool fidx_eq(const void *ctx, size_t idx, const void *key)
{
	return ((const struct rs_cufuncs *)ctx)->v[idx]->cu == key;
}

static void fidx_free(struct fidx *x)
{
	if (!x)
		return;
	free(x->v);
	free(x->maxhi);
	free(x);
}

enum rs_die_kind rs_die_kind(int tag)
{
	switch (tag) {
	case DW_TAG_subprogram:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_lexical_block:
	case DW_TAG_entry_point:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_with_stmt:
		return RS_DIE_CODE;
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
		return RS_DIE_CONTAINER;
	case DW_TAG_imported_unit:
		return RS_DIE_IMPORT;
	default:
		return RS_DIE_OTHER;
	}
}

/* The index of cu in *tp (top or nested), built on first use; NULL when it cannot be built. */
static struct fidx *fidx_of(struct rs_mod *m, struct rs_cufuncs **tp, bool nested, Dwarf_Die *cu)
{
	struct rs_cufuncs *t = *tp;
	uint64_t h = rs_hash(&cu->cu, sizeof(cu->cu));
	struct rs_tmark tm;
	struct fidx *x;
	size_t i;

	if (!t && !(t = *tp = calloc(1, sizeof(*t))))
		return NULL;
	i = rs_htab_find(&t->index, h, fidx_eq, t, cu->cu);
	if (i != SIZE_MAX)
		return t->v[i]->bad ? NULL : t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct fidx **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	x = calloc(1, sizeof(*x));
	if (!x || rs_htab_add(&t->index, h, t->n)) {
		free(x);
		return NULL;
	}
	t->v[t->n++] = x;
	x->cu = cu->cu;
	rs_tmark_start(&tm);
	if (nested)
		nidx_walk(x, cu, 0);
	else
		fidx_walk(x, cu, 0);
	if (!x->bad && x->n) {
		qsort(x->v, x->n, sizeof(*x->v), fent_cmp);
		x->maxhi = malloc(x->n * sizeof(*x->maxhi));
		if (!x->maxhi)
			x->bad = true;
		for (size_t i = 0; !x->bad && i < x->n; i++)
			x->maxhi[i] =
			    i && x->maxhi[i - 1] > x->v[i].hi ? x->maxhi[i - 1] : x->v[i].hi;
	}
	rs_timings_add(&tm,
		       nested ? "  dwarf nested-function index per CU: %s"
			      : "  dwarf function index per CU: %s",
		       rs_mod_label(m));
	return x->bad ? NULL : x;
}

void rs_cufuncs_free(struct rs_cufuncs *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		fidx_free(t->v[i]);
	free(t->v);
	rs_htab_clear(&t->index);
	free(t);
}

/* The first entry of x (in tree order) holding pc, or NULL. */
static const struct fent *fidx_find(const struct fidx *x, Dwarf_Addr pc)
{
	const struct fent *best = NULL;
	size_t lo = 0, hi;

	hi = x->n;
	while (lo < hi) { /* the first entry with v.lo > pc */
		size_t mid = (lo + hi) / 2;

		if (x->v[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && x->maxhi[i] > pc;)
		if (pc < x->v[i].hi && (!best || x->v[i].order < best->order))
			best = &x->v[i];
	return best;
}

/* rs_cu_top_die() and rs_cu_nested_die(): the first DIE of an index holding pc. */
static int index_die(struct rs_mod *m, bool nested, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out,
		     int *depth)
{
	struct fidx *x = fidx_of(m, nested ? &m->nested : &m->funcs, nested, cu);
	const struct fent *best;

	if (!x)
		return -1;
	best = fidx_find(x, pc);
	if (!best)
		return 0;
	*out = best->die;
	*depth = best->depth;
	return 1;
}

int rs_cu_top_die(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out)
{
	int depth;

	return index_die(m, false, cu, pc, out, &depth);
}

int rs_cu_nested_die(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out, int *depth)
{
	return index_die(m, true, cu, pc, out, depth);
}
