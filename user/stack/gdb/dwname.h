/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function names from DWARF as gdb 13 shows them in a backtrace (dwname.c).
 */
#ifndef RS_DWNAME_H
#define RS_DWNAME_H

#include <stdbool.h>
#include <elfutils/libdw.h>

struct rs_dwcache;

/*
 * The name gdb prints for the function of a DW_TAG_subprogram or
 * DW_TAG_inlined_subroutine DIE of a CU in language lang (DW_LANG_*):
 *  - C++: the demangled DW_AT_linkage_name, else the name qualified by its
 *    scopes with the parameter types gdb prints for it; then without the
 *    parameters, unless gdb's C++ name parser cannot read the name (lambdas,
 *    ABI tags, unnamed types): then with them, as gdb does;
 *  - Rust, D, Fortran: DW_AT_name qualified by the DIE's scopes (gdb never
 *    demangles a Rust function that DWARF names);
 *  - others (C, Go): DW_AT_linkage_name as it is, else DW_AT_name.
 * malloc'd; NULL when the DIE has no name (or on allocation failure: *oom).
 */
char *rs_dw_function_name(struct rs_dwcache **cache, Dwarf_Die *die, int lang, bool *oom);

/*
 * What rs_dw_function_name() keeps between calls (the DIE parents of the CUs
 * it looked at, so each CU is walked once); *cache is created on first use.
 * A NULL cache pointer works too, more slowly. Not thread-safe.
 */
struct rs_dwcache;
void rs_dwcache_free(struct rs_dwcache *c);

/* True when gdb's C++ name parser (cp-name-parser.y) reads name (exposed for tests). */
bool rs_gdb_cp_parses(const char *name);

/*
 * In place, as gdb's C++ name canonicalizer prints them: integer literal
 * suffixes in lower case ("std::ratio<3600L, 1L>" -> "std::ratio<3600l, 1l>",
 * as clang writes DW_AT_name and gdb shows it); identifiers are left alone.
 */
void rs_cxx_canon_literals(char *s);

#endif
