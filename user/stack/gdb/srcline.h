/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The line of an address as gdb finds it (srcline.c): a CU's line program
 * decoded into per-file tables the way gdb's DWARF reader builds them, then
 * searched the way its find_pc_sect_line() does.
 */
#ifndef RS_SRCLINE_H
#define RS_SRCLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <elfutils/libdw.h>

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

/* Rows (entries of all files) held by c, for tests. */
size_t rs_lcache_rows(const struct rs_lcache *c);

#endif
