/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The code whose whole purpose is to print what gdb prints (gdb.h):
 * function names from DWARF as gdb 13 shows them in a backtrace (dwname.c),
 * the line of an address as gdb finds it (srcline.c: a CU's line program
 * decoded into per-file tables the way gdb's DWARF reader builds them, then
 * searched as its find_pc_sect_line() does), and symbol-table names gdb reads
 * as GNAT-encoded Ada (adaname.c). Used by stack/symbolize.c only.
 */
#ifndef RS_GDB_H
#define RS_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <elfutils/libdw.h>

/* ---- function names (dwname.c) ---- */

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

/* ---- lines (srcline.c) ---- */

/* Decoded line tables of the CUs of one module, cached by line-program offset. */
struct rs_lcache;

/* Where an address stands: file is libdw's name of the row's file (borrowed from the CU). */
struct rs_srcline {
	const char *file;
	int line, col;
};

/*
 * The line of addr (an address of the module's ELF file) in cu's line table,
 * as gdb would show it for that address (a caller frame's lookup address is
 * its PC minus 1, as in gdb). 1 when found, 0 when gdb would have no line
 * (no row, or a row with line 0 is the best), -ENOENT when the line program
 * could not be read (the caller falls back to libdw's choice), -ENOMEM. *cache is created
 * on first use; free it with rs_lcache_free().
 */
int rs_srcline_find(struct rs_lcache **cache, Dwarf_Die *cu, Dwarf_Addr addr,
		    struct rs_srcline *out);

void rs_lcache_free(struct rs_lcache *c);

/* ---- Ada names (adaname.c) ---- */

/*
 * What gdb prints for a symbol-table name it reads as a GNAT-encoded Ada
 * name (adaname.c): "foo.part.0" -> "foo.part", "foo.cold" -> "foo[cold]",
 * "isc__trampoline_run" -> "isc.trampoline_run". Returns a malloc'd string,
 * or NULL when gdb shows the name as it is (or on allocation failure).
 */
char *rs_ada_decode(const char *name);

#endif
