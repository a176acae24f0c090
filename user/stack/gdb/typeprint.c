// SPDX-License-Identifier: GPL-2.0
/*
 * gdb's C++ type printer (gdb/c-typeprint.c) for the parameter lists of the
 * functions dwname.c names without a linkage name (gdb_priv.h): types from
 * DWARF written as gdb writes them, "(const std::_Any_data &)", "(void)",
 * and " const" for a const method.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include "stack/gdb/gdb_priv.h"

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
	for (int i = 0; i < RS_DW_DEPTH_MAX; i++) {
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

static void modifiers(unsigned int cv, struct rs_nbuf *b, bool pre_space, bool post_space)
{
	bool any = false;

	if (cv & CV_CONST) {
		rs_nbuf_add(b, pre_space ? " const" : "const");
		any = true;
	}
	if (cv & CV_VOLATILE) {
		rs_nbuf_add(b, pre_space || any ? " volatile" : "volatile");
		any = true;
	}
	if (any && post_space)
		rs_nbuf_add(b, " ");
}

static void type_name(const struct ty *t, int lang, struct rs_nbuf *b, int depth)
{
	Dwarf_Die d = t->die;
	const char *name = rs_dw_str_attr(&d, DW_AT_name);

	switch (dwarf_tag(&d)) {
	case DW_TAG_base_type:
	case DW_TAG_unspecified_type:
		rs_nbuf_add(b, name ? canonical_base(name) : "?");
		break;
	default:
		if (name) {
			rs_dw_full_name(&d, name, lang, b, depth + 1);
			break;
		}
		/* an unnamed class: its keyword and "{...}" */
		switch (dwarf_tag(&d)) {
		case DW_TAG_union_type:
			rs_nbuf_add(b, "union ");
			break;
		case DW_TAG_class_type:
			rs_nbuf_add(b, "class ");
			break;
		case DW_TAG_enumeration_type:
			rs_nbuf_add(b, "enum ");
			break;
		default:
			rs_nbuf_add(b, "struct ");
			break;
		}
		rs_nbuf_add(b, "{...}");
		break;
	}
}

/* c_type_print_base_1(): the innermost named type, with its qualifiers. */
static void print_base(const struct ty *t, int lang, struct rs_nbuf *b, int depth)
{
	struct ty tt;

	if (depth > RS_DW_DEPTH_MAX)
		return;
	if (!t->some) {
		modifiers(t->cv, b, false, true);
		rs_nbuf_add(b, "void");
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

static void print_prefix(const struct ty *t, bool passed_ptr, int lang, struct rs_nbuf *b,
			 int depth)
{
	struct ty tt;

	if (depth > RS_DW_DEPTH_MAX || !derived(t))
		return;
	type_of((Dwarf_Die *)&t->die, &tt);
	switch (dwarf_tag((Dwarf_Die *)&t->die)) {
	case DW_TAG_pointer_type:
		print_prefix(&tt, true, lang, b, depth + 1);
		rs_nbuf_add(b, "*");
		modifiers(t->cv, b, true, false);
		break;
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		print_prefix(&tt, true, lang, b, depth + 1);
		rs_nbuf_add(b,
			    dwarf_tag((Dwarf_Die *)&t->die) == DW_TAG_reference_type ? "&" : "&&");
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
		rs_nbuf_add(b, "::*");
		break;
	}
	case DW_TAG_subroutine_type:
	case DW_TAG_array_type:
		print_prefix(&tt, false, lang, b, depth + 1);
		if (passed_ptr)
			rs_nbuf_add(b, "(");
		break;
	default:
		break;
	}
}

static void print_suffix(const struct ty *t, bool passed_ptr, int lang, struct rs_nbuf *b,
			 int depth)
{
	struct ty tt;
	Dwarf_Die c;

	if (depth > RS_DW_DEPTH_MAX || !derived(t))
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
			rs_nbuf_add(b, ")");
		rs_nbuf_add(b, "[");
		if (!dwarf_child((Dwarf_Die *)&t->die, &c) &&
		    dwarf_tag(&c) == DW_TAG_subrange_type) {
			Dwarf_Attribute a;
			Dwarf_Word w;
			char num[32];

			if (dwarf_attr_integrate(&c, DW_AT_count, &a) && !dwarf_formudata(&a, &w)) {
				snprintf(num, sizeof(num), "%llu", (unsigned long long)w);
				rs_nbuf_add(b, num);
			} else if (dwarf_attr_integrate(&c, DW_AT_upper_bound, &a) &&
				   !dwarf_formudata(&a, &w)) {
				snprintf(num, sizeof(num), "%llu", (unsigned long long)w + 1);
				rs_nbuf_add(b, num);
			}
		}
		rs_nbuf_add(b, "]");
		print_suffix(&tt, false, lang, b, depth + 1);
		break;
	case DW_TAG_subroutine_type:
		if (passed_ptr)
			rs_nbuf_add(b, ")");
		rs_gdb_print_args((Dwarf_Die *)&t->die, false, lang, b, depth + 1);
		print_suffix(&tt, false, lang, b, depth + 1);
		break;
	default:
		break;
	}
}

/* c_print_type(type, "", ...) with show 0. */
static void print_type(const struct ty *t, int lang, struct rs_nbuf *b, int depth)
{
	print_base(t, lang, b, depth);
	if (derived(t))
		rs_nbuf_add(b, " ");
	print_prefix(t, false, lang, b, depth);
	print_suffix(t, false, lang, b, depth);
}

/*
 * c_type_print_args(): "(T1, T2)" from fn's parameter DIEs; artificial ones
 * ("this") and top-level qualifiers left out for a linkage name.
 */
void rs_gdb_print_args(Dwarf_Die *fn, bool linkage, int lang, struct rs_nbuf *b, int depth)
{
	bool any = false, varargs = false;
	Dwarf_Die c;

	rs_nbuf_add(b, "(");
	if (depth <= RS_DW_DEPTH_MAX && !dwarf_child(fn, &c)) {
		do {
			struct ty t;

			if (dwarf_tag(&c) == DW_TAG_unspecified_parameters)
				varargs = true;
			if (dwarf_tag(&c) != DW_TAG_formal_parameter ||
			    (linkage && rs_dw_flag_attr(&c, DW_AT_artificial)))
				continue;
			if (any)
				rs_nbuf_add(b, ", ");
			type_of(&c, &t);
			if (linkage)
				t.cv = 0;
			print_type(&t, lang, b, depth + 1);
			any = true;
		} while (!dwarf_siblingof(&c, &c));
	}
	if (any && varargs)
		rs_nbuf_add(b, ", ...");
	else if (!any && rs_lang_is_cxx(lang))
		rs_nbuf_add(b, "void");
	rs_nbuf_add(b, ")");
}

/* " const" for a method whose artificial first parameter points to a const object. */
void rs_gdb_const_method(Dwarf_Die *fn, struct rs_nbuf *b)
{
	struct ty t, tt;
	Dwarf_Die c;

	if (dwarf_child(fn, &c))
		return;
	while (dwarf_tag(&c) != DW_TAG_formal_parameter)
		if (dwarf_siblingof(&c, &c))
			return;
	if (!rs_dw_flag_attr(&c, DW_AT_artificial))
		return;
	type_of(&c, &t);
	if (!t.some || dwarf_tag(&t.die) != DW_TAG_pointer_type)
		return;
	type_of(&t.die, &tt);
	if (tt.cv & CV_CONST)
		rs_nbuf_add(b, " const");
}
