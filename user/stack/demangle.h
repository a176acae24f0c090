/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_DEMANGLE_H
#define RS_DEMANGLE_H

#define RS_DEMANGLE_KEEP_HASH 0x1 /* keep Rust legacy "::h<16 hex>" suffixes */
#define RS_DEMANGLE_PARAMS    0x2 /* C++: with return type and parameter list */
#define RS_DEMANGLE_RET_DROP  0x4 /* C++, with PARAMS: no return type (gdb's DWARF names) */

/*
 * Demangles C++ (Itanium) and Rust (legacy and v0) names with libiberty.
 * gdb names a function with DWARF "ns::f<T>" and one known only from the
 * symbol table "ns::f<T>(int)": callers pick with RS_DEMANGLE_PARAMS to print
 * what gdb prints. Returns a malloc'd string: the demangled name, or a copy of
 * name when it is not mangled. NULL only on allocation failure.
 */
char *rs_demangle(const char *name, unsigned int flags);

#endif
