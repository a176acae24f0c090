// SPDX-License-Identifier: GPL-2.0
/*
 * Function names from DWARF as gdb 13 shows them (dwname.h).
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

#define DEPTH_MAX 32

/* The name being built, and the cache its scopes are looked up in (NULL: none). */
struct sb {
	char *s;
	size_t n, cap;
	bool oom;
	struct rs_dwcache **cache;
};

static void sb_add(struct sb *b, const char *s)
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

static const char *str_attr(Dwarf_Die *d, unsigned int name)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(d, name, &a) ? dwarf_formstring(&a) : NULL;
}

static bool flag_attr(Dwarf_Die *d, unsigned int name)
{
	Dwarf_Attribute a;
	bool v = false;

	return dwarf_attr_integrate(d, name, &a) && !dwarf_formflag(&a, &v) && v;
}

static bool is_cxx(int lang)
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
	return is_cxx(lang) || lang == DW_LANG_Rust || lang == DW_LANG_D || is_fortran(lang);
}

/* gdb's dwarf2_name(): DW_AT_name, "(anonymous namespace)" for an unnamed C++ namespace. */
static const char *die_name(Dwarf_Die *d, int lang)
{
	const char *s = str_attr(d, DW_AT_name);

	if (!s && dwarf_tag(d) == DW_TAG_namespace && is_cxx(lang))
		return "(anonymous namespace)";
	return s;
}

static void full_name(Dwarf_Die *d, const char *name, int lang, struct sb *b, int depth);

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

struct rs_dwcache {
	struct pmap *v;
	size_t n, cap, rows;
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
		if (dwarf_haschildren(&c) > 0)
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
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct pmap *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	m = &c->v[c->n++];
	*m = (struct pmap){ .dbg = dbg, .cu = cuoff };
	pmap_add(m, cuoff, NO_PARENT);
	pmap_walk(m, &cu, 0);
	c->rows += m->n;
	return m->bad ? NULL : m;
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

	if (!m)
		return dwarf_getscopes_die(d, out);
	v = malloc((DEPTH_MAX * 8 + 1) * sizeof(*v));
	if (!v)
		return -1;
	v[n++] = *d;
	while (n < DEPTH_MAX * 8) {
		size_t lo = 0, hi = m->n;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (m->off[mid] < off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == m->n || m->off[lo] != off || m->parent[lo] == NO_PARENT)
			break;
		off = m->parent[lo];
		if (!dwarf_offdie(m->dbg, off, &v[n])) {
			free(v);
			return dwarf_getscopes_die(d, out);
		}
		n++;
	}
	*out = v;
	return n;
}

/* gdb's determine_prefix(): appends the scope's full name; false when there is none. */
static bool prefix(Dwarf_Die *die, int lang, struct sb *b, int depth)
{
	Dwarf_Die spec, *d = die, *scopes = NULL;
	Dwarf_Attribute a;
	bool found = false;
	int n;

	if (depth > DEPTH_MAX || !qualifies(lang))
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
				full_name(p, pn, lang, b, depth + 1);
				found = true;
			}
			break;
		case DW_TAG_enumeration_type:
			if (flag_attr(p, DW_AT_enum_class)) {
				if (pn) {
					full_name(p, pn, lang, b, depth + 1);
					found = true;
				}
			} else {
				done = false;
			}
			break;
		case DW_TAG_subprogram:
			if (is_fortran(lang) && dwarf_tag(die) == DW_TAG_subprogram && pn) {
				sb_add(b, pn);
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

/* gdb's dwarf2_full_name(): prefix::name. */
static void full_name(Dwarf_Die *d, const char *name, int lang, struct sb *b, int depth)
{
	size_t at = b->n;

	if (prefix(d, lang, b, depth) && b->n > at)
		sb_add(b, "::");
	sb_add(b, name);
}

/* ---- gdb's C++ type printer (c-typeprint.c), for parameter lists ------------------ */

#define CV_CONST    1u
#define CV_VOLATILE 2u

struct ty {
	Dwarf_Die die;
	bool some; /* false: void */
	unsigned int cv;
};

/* The type DW_AT_type of d refers to, cv-qualifiers folded into t->cv. */
static void type_of(Dwarf_Die *d, struct ty *t)
{
	Dwarf_Attribute a;
	Dwarf_Die cur = *d;

	t->some = false;
	t->cv = 0;
	for (int i = 0; i < DEPTH_MAX; i++) {
		int tag;

		if (!dwarf_attr_integrate(&cur, DW_AT_type, &a) || !dwarf_formref_die(&a, &t->die))
			return;
		t->some = true;
		tag = dwarf_tag(&t->die);
		if (tag == DW_TAG_const_type)
			t->cv |= CV_CONST;
		else if (tag == DW_TAG_volatile_type)
			t->cv |= CV_VOLATILE;
		else if (tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return;
		cur = t->die;
		t->some = false;
	}
}

static bool derived(const struct ty *t)
{
	if (!t->some)
		return false;
	switch (dwarf_tag((Dwarf_Die *)&t->die)) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_array_type:
	case DW_TAG_subroutine_type:
	case DW_TAG_ptr_to_member_type:
		return true;
	default:
		return false;
	}
}

/* gcc's base type names as gdb's C++ canonicalization writes them. */
static const char *canonical_base(const char *s)
{
	static const char *const map[][2] = {
		{ "long int", "long" },
		{ "long unsigned int", "unsigned long" },
		{ "short int", "short" },
		{ "short unsigned int", "unsigned short" },
		{ "long long int", "long long" },
		{ "long long unsigned int", "unsigned long long" },
		{ "__int128 unsigned", "unsigned __int128" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(s, map[i][0]))
			return map[i][1];
	return s;
}

static void modifiers(unsigned int cv, struct sb *b, bool pre_space, bool post_space)
{
	bool any = false;

	if (cv & CV_CONST) {
		sb_add(b, pre_space ? " const" : "const");
		any = true;
	}
	if (cv & CV_VOLATILE) {
		sb_add(b, pre_space || any ? " volatile" : "volatile");
		any = true;
	}
	if (any && post_space)
		sb_add(b, " ");
}

static void print_args(Dwarf_Die *fn, bool linkage, int lang, struct sb *b, int depth);

static void type_name(const struct ty *t, int lang, struct sb *b, int depth)
{
	Dwarf_Die d = t->die;
	const char *name = str_attr(&d, DW_AT_name);

	switch (dwarf_tag(&d)) {
	case DW_TAG_base_type:
	case DW_TAG_unspecified_type:
		sb_add(b, name ? canonical_base(name) : "?");
		break;
	default:
		if (name) {
			full_name(&d, name, lang, b, depth + 1);
			break;
		}
		/* an unnamed class: its keyword and "{...}" */
		switch (dwarf_tag(&d)) {
		case DW_TAG_union_type:
			sb_add(b, "union ");
			break;
		case DW_TAG_class_type:
			sb_add(b, "class ");
			break;
		case DW_TAG_enumeration_type:
			sb_add(b, "enum ");
			break;
		default:
			sb_add(b, "struct ");
			break;
		}
		sb_add(b, "{...}");
		break;
	}
}

/* c_type_print_base_1(): the innermost named type, with its qualifiers. */
static void print_base(const struct ty *t, int lang, struct sb *b, int depth)
{
	struct ty tt;

	if (depth > DEPTH_MAX)
		return;
	if (!t->some) {
		modifiers(t->cv, b, false, true);
		sb_add(b, "void");
		return;
	}
	if (derived(t)) {
		type_of((Dwarf_Die *)&t->die, &tt);
		print_base(&tt, lang, b, depth + 1);
		return;
	}
	modifiers(t->cv, b, false, true);
	type_name(t, lang, b, depth);
}

static void print_prefix(const struct ty *t, bool passed_ptr, int lang, struct sb *b, int depth)
{
	struct ty tt;

	if (depth > DEPTH_MAX || !derived(t))
		return;
	type_of((Dwarf_Die *)&t->die, &tt);
	switch (dwarf_tag((Dwarf_Die *)&t->die)) {
	case DW_TAG_pointer_type:
		print_prefix(&tt, true, lang, b, depth + 1);
		sb_add(b, "*");
		modifiers(t->cv, b, true, false);
		break;
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		print_prefix(&tt, true, lang, b, depth + 1);
		sb_add(b, dwarf_tag((Dwarf_Die *)&t->die) == DW_TAG_reference_type ? "&" : "&&");
		modifiers(t->cv, b, true, false);
		break;
	case DW_TAG_ptr_to_member_type: {
		Dwarf_Attribute a;
		Dwarf_Die cls;

		print_prefix(&tt, false, lang, b, depth + 1);
		if (dwarf_attr_integrate((Dwarf_Die *)&t->die, DW_AT_containing_type, &a) &&
		    dwarf_formref_die(&a, &cls)) {
			struct ty c = { .die = cls, .some = true };

			type_name(&c, lang, b, depth);
		}
		sb_add(b, "::*");
		break;
	}
	case DW_TAG_subroutine_type:
	case DW_TAG_array_type:
		print_prefix(&tt, false, lang, b, depth + 1);
		if (passed_ptr)
			sb_add(b, "(");
		break;
	default:
		break;
	}
}

static void print_suffix(const struct ty *t, bool passed_ptr, int lang, struct sb *b, int depth)
{
	struct ty tt;
	Dwarf_Die c;

	if (depth > DEPTH_MAX || !derived(t))
		return;
	type_of((Dwarf_Die *)&t->die, &tt);
	switch (dwarf_tag((Dwarf_Die *)&t->die)) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		print_suffix(&tt, true, lang, b, depth + 1);
		break;
	case DW_TAG_ptr_to_member_type:
		print_suffix(&tt, false, lang, b, depth + 1);
		break;
	case DW_TAG_array_type:
		if (passed_ptr)
			sb_add(b, ")");
		sb_add(b, "[");
		if (!dwarf_child((Dwarf_Die *)&t->die, &c) &&
		    dwarf_tag(&c) == DW_TAG_subrange_type) {
			Dwarf_Attribute a;
			Dwarf_Word w;
			char num[32];

			if (dwarf_attr_integrate(&c, DW_AT_count, &a) && !dwarf_formudata(&a, &w)) {
				snprintf(num, sizeof(num), "%llu", (unsigned long long)w);
				sb_add(b, num);
			} else if (dwarf_attr_integrate(&c, DW_AT_upper_bound, &a) &&
				   !dwarf_formudata(&a, &w)) {
				snprintf(num, sizeof(num), "%llu", (unsigned long long)w + 1);
				sb_add(b, num);
			}
		}
		sb_add(b, "]");
		print_suffix(&tt, false, lang, b, depth + 1);
		break;
	case DW_TAG_subroutine_type:
		if (passed_ptr)
			sb_add(b, ")");
		print_args((Dwarf_Die *)&t->die, false, lang, b, depth + 1);
		print_suffix(&tt, false, lang, b, depth + 1);
		break;
	default:
		break;
	}
}

/* c_print_type(type, "", ...) with show 0. */
static void print_type(const struct ty *t, int lang, struct sb *b, int depth)
{
	print_base(t, lang, b, depth);
	if (derived(t))
		sb_add(b, " ");
	print_prefix(t, false, lang, b, depth);
	print_suffix(t, false, lang, b, depth);
}

/*
 * c_type_print_args(): "(T1, T2)" from fn's parameter DIEs; artificial ones
 * ("this") and top-level qualifiers left out for a linkage name.
 */
static void print_args(Dwarf_Die *fn, bool linkage, int lang, struct sb *b, int depth)
{
	bool any = false, varargs = false;
	Dwarf_Die c;

	sb_add(b, "(");
	if (depth <= DEPTH_MAX && !dwarf_child(fn, &c)) {
		do {
			struct ty t;

			if (dwarf_tag(&c) == DW_TAG_unspecified_parameters)
				varargs = true;
			if (dwarf_tag(&c) != DW_TAG_formal_parameter ||
			    (linkage && flag_attr(&c, DW_AT_artificial)))
				continue;
			if (any)
				sb_add(b, ", ");
			type_of(&c, &t);
			if (linkage)
				t.cv = 0;
			print_type(&t, lang, b, depth + 1);
			any = true;
		} while (!dwarf_siblingof(&c, &c));
	}
	if (any && varargs)
		sb_add(b, ", ...");
	else if (!any && is_cxx(lang))
		sb_add(b, "void");
	sb_add(b, ")");
}

/* " const" for a method whose artificial first parameter points to a const object. */
static void const_method(Dwarf_Die *fn, struct sb *b)
{
	struct ty t, tt;
	Dwarf_Die c;

	if (dwarf_child(fn, &c))
		return;
	while (dwarf_tag(&c) != DW_TAG_formal_parameter)
		if (dwarf_siblingof(&c, &c))
			return;
	if (!flag_attr(&c, DW_AT_artificial))
		return;
	type_of(&c, &t);
	if (!t.some || dwarf_tag(&t.die) != DW_TAG_pointer_type)
		return;
	type_of(&t.die, &tt);
	if (tt.cv & CV_CONST)
		sb_add(b, " const");
}

/* ---- gdb's C++ name parser: what it cannot read ---------------------------------- */

static bool raw_parses(const char *s)
{
	int angle = 0; /* template argument list depth */

	if (!s)
		return false;
	for (const char *p = s; *p; p++) {
		if (!strncmp(p, "(anonymous namespace)", 21)) {
			p += 20; /* one name to the parser */
			continue;
		}
		switch (*p) {
		case '(':
			/*
			 * a function type as a template argument: "std::function<int (long)>";
			 * pointer declarators ("void (*)(int)", "int (K::*)(int) const",
			 * "int (*) [2]") and casts ("(char)65") read
			 */
			if (angle > 0 && p - s >= 2 && p[-1] == ' ' &&
			    (isalnum((unsigned char)p[-2]) || strchr("_>*&", p[-2]))) {
				const char *q = p + 1;
				int depth = 1;

				for (; *q && depth; q++)
					depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
				if (depth || (q[-2] != '*' && q[-2] != '&'))
					return false;
			}
			break;
		case '>':
			if (p > s && p[-1] != '-' && angle > 0)
				angle--;
			break;
		case '{':
		case '}':
		case '"':
		case ';':
		case '#':
		case '\\':
			return false;
		case '[':
			/* an array bound or "[]" reads; "[abi:cxx11]", "[clone .isra.0]" do not */
			if (p[1] != ']' && (p[1] < '0' || p[1] > '9'))
				return false;
			break;
		case '<':
			/* a type or name cannot start with '<': "<lambda()>", "<unnamed struct>" */
			if (p == s || strchr("<:(, ", p[-1]))
				return false;
			angle++;
			break;
		default:
			break;
		}
	}
	return true;
}

static bool ends_with_operator(const char *s, const char *p)
{
	return p - s >= 8 && !strncmp(p - 8, "operator", 8);
}

/* raw_parses() without false alarms on "operator<" and "operator<<". */
bool rs_gdb_cp_parses(const char *s)
{
	const char *p;

	if (!s)
		return false;
	if (!raw_parses(s)) {
		/* retry with operator< / operator<< / operator<= masked */
		char *copy = strdup(s);
		bool ok;

		if (!copy)
			return false;
		for (p = s; (p = strstr(p, "operator<")); p++)
			if (ends_with_operator(s, p + 8))
				for (size_t i = 8; copy[p - s + i] == '<' || copy[p - s + i] == '=';
				     i++)
					copy[p - s + i] = 'x';
		ok = raw_parses(copy);
		free(copy);
		return ok;
	}
	return true;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* See dwname.h. Only literals count: a digit run not inside an identifier. */
void rs_cxx_canon_literals(char *s)
{
	for (char *p = s; *p; p++) {
		char *q = p, *suf;

		if (!isdigit((unsigned char)*p) || (p > s && ident_char(p[-1])))
			continue;
		if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
			q += 2;
			while (isxdigit((unsigned char)*q))
				q++;
		} else {
			while (isdigit((unsigned char)*q))
				q++;
		}
		suf = q;
		while (*q && strchr("uUlL", *q))
			q++;
		if (q > suf && !ident_char(*q))
			for (char *c = suf; c < q; c++)
				*c = (char)tolower((unsigned char)*c);
		p = q - 1;
	}
}

char *rs_dw_function_name(struct rs_dwcache **cache, Dwarf_Die *die, int lang, bool *oom)
{
	const char *name = str_attr(die, DW_AT_name);
	const char *link = str_attr(die, DW_AT_linkage_name);
	struct sb b = { .cache = cache };
	char *out = NULL;

	*oom = false;
	if (!link)
		link = str_attr(die, DW_AT_MIPS_linkage_name);
	if (is_cxx(lang) && link) {
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
	full_name(die, name, lang, &b, 0);
	if (is_cxx(lang) && dwarf_tag(die) == DW_TAG_subprogram && !b.oom) {
		size_t bare = b.n;

		print_args(die, true, lang, &b, 0);
		const_method(die, &b);
		if (!b.oom && rs_gdb_cp_parses(b.s))
			b.s[bare] = '\0';
	}
	if (is_cxx(lang) && !b.oom && b.s)
		rs_cxx_canon_literals(b.s);
	*oom = b.oom;
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
