// SPDX-License-Identifier: GPL-2.0
/* C++ and Rust (legacy and v0) demangling through libiberty. */
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "stack/stack.h"

char *rs_demangle(const char *name, unsigned int flags)
{
	char *out = NULL;
	int opts = DMGL_ANSI | (flags & RS_DEMANGLE_PARAMS ? DMGL_PARAMS : 0) |
		   (flags & RS_DEMANGLE_RET_DROP ? DMGL_RET_DROP : 0);

	if (!name)
		return NULL;
	/* Rust first: v0 (_R…) and legacy (_ZN…17h<hash>E); libiberty rejects non-Rust names. */
	if (!strncmp(name, "_R", 2) || !strncmp(name, "_ZN", 3))
		out = rust_demangle(name, DMGL_PARAMS | DMGL_ANSI |
					      (flags & RS_DEMANGLE_KEEP_HASH ? DMGL_VERBOSE : 0));
	if (!out && !strncmp(name, "_Z", 2)) {
		/* Without DMGL_PARAMS libiberty stops early and accepts junk: validate in full
		 * first. */
		out = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_GNU_V3);
		if (out && opts != (DMGL_PARAMS | DMGL_ANSI)) {
			free(out);
			out = cplus_demangle(name, opts | DMGL_GNU_V3);
		}
	}
	if (out)
		return out;
	return strdup(name);
}
