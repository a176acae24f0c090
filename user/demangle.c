// SPDX-License-Identifier: GPL-2.0
/* C++ and Rust (legacy and v0) demangling through libiberty. */
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "demangle.h"

char *rs_demangle(const char *name, bool keep_hash)
{
	char *out = NULL;
	int opts = DMGL_PARAMS | DMGL_ANSI;

	if (!name)
		return NULL;
	/* Rust first: v0 (_R…) and legacy (_ZN…17h<hash>E); libiberty rejects non-Rust names. */
	if (!strncmp(name, "_R", 2) || !strncmp(name, "_ZN", 3))
		out = rust_demangle(name, opts | (keep_hash ? DMGL_VERBOSE : 0));
	if (!out && !strncmp(name, "_Z", 2))
		out = cplus_demangle(name, opts | DMGL_GNU_V3);
	if (out)
		return out;
	return strdup(name);
}
