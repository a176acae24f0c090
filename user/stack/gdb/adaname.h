/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_ADANAME_H
#define RS_ADANAME_H

/*
 * What gdb prints for a symbol-table name it reads as a GNAT-encoded Ada
 * name (adaname.c): "foo.part.0" -> "foo.part", "foo.cold" -> "foo[cold]",
 * "isc__trampoline_run" -> "isc.trampoline_run". Returns a malloc'd string,
 * or NULL when gdb shows the name as it is (or on allocation failure).
 */
char *rs_ada_decode(const char *name);

#endif
