/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of stack/gdb/ shared by dwname.c (names and scopes) and
 * typeprint.c (parameter lists): the name being built and the DWARF
 * attribute readers both use. Not for other folders.
 */
#ifndef RS_GDB_PRIV_H
#define RS_GDB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <elfutils/libdw.h>
#include "stack/gdb/gdb.h"

/* How deep scopes and types are followed before giving up (cycles in broken DWARF). */
#define RS_DW_DEPTH_MAX 32

/* The name being built, and the cache its scopes are looked up in (NULL: none). */
struct rs_nbuf {
	char *s;
	size_t n, cap;
	bool oom; /* an allocation failed: s stays as it was, later appends do nothing */
	struct rs_dwcache **cache;
};

/* Appends s to b (dwname.c). */
void rs_nbuf_add(struct rs_nbuf *b, const char *s);
/* The string attribute name of d, through DW_AT_abstract_origin/specification; NULL if none. */
const char *rs_dw_str_attr(Dwarf_Die *d, unsigned int name);
/* The flag attribute name of d, the same way; false if none. */
bool rs_dw_flag_attr(Dwarf_Die *d, unsigned int name);
/* Whether lang (DW_LANG_*) is a C++ dialect. */
bool rs_lang_is_cxx(int lang);
/* Appends name qualified by the scopes of d, as gdb's dwarf2_compute_name() does (dwname.c). */
void rs_dw_full_name(Dwarf_Die *d, const char *name, int lang, struct rs_nbuf *b, int depth);

/* Appends fn's parameter list as gdb's C++ type printer writes it (typeprint.c). */
void rs_gdb_print_args(Dwarf_Die *fn, bool linkage, int lang, struct rs_nbuf *b, int depth);
/* Appends " const" when fn is a const method (its "this" points to const). */
void rs_gdb_const_method(Dwarf_Die *fn, struct rs_nbuf *b);

#endif
