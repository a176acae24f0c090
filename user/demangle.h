/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_DEMANGLE_H
#define RS_DEMANGLE_H

#include <stdbool.h>

/*
 * Demangles C++ (Itanium) and Rust (legacy and v0) names with libiberty.
 * Rust legacy "::h<16 hex>" suffixes are dropped unless keep_hash. Returns a
 * malloc'd string: the demangled name, or a copy of name when it is not
 * mangled. NULL only on allocation failure.
 */
char *rs_demangle(const char *name, bool keep_hash);

#endif
