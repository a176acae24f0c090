// SPDX-License-Identifier: GPL-2.0
/*
 * A process's DWARF opened ahead (stack.h), on a thread of its own while the
 * BPF object loads and the capture runs: what the first lookup in a module
 * costs (finding the debug file, inflating its compressed sections: 40 to
 * 80 ms for libc6-dbg's libc) no longer follows the capture. Only the
 * modules almost every stack passes through: the main executable, then
 * libc. The others are opened by the assembly if a PC falls in them, as
 * before: opened ahead they cost CPU and memory for nothing (measured on
 * bench.py's bigrs, 103 threads: libm's DWARF 14 ms of CPU, ld.so's 6 ms,
 * 15 more modules, and the peak RSS from 100 to 104 MB, over the 100 MB
 * goal; no stack had a frame in them).
 */
#include <string.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"

/* libc.so.6, libc-2.31.so, libc.musl-x86_64.so.1: not libcap, libcrypt, libc++. */
static bool is_libc(const struct rs_mod *m)
{
	const char *name = rs_mod_label(m);

	return !strncmp(name, "libc.", 5) || !strncmp(name, "libc-", 5);
}

/* Opens what m's first DWARF lookup would, as rs_addrdie() and the symbol table lookups do. */
static void prewarm_module(struct rs_proc *p, struct rs_mod *m)
{
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, m->low);
	struct rs_tmark t;
	Dwarf_Addr bias;

	if (!mod || rs_mod_of(mod) != m || m->dwarf_asked)
		return;
	rs_tmark_start(&t);
	/* any address: the answer does not matter, the open and the CU ranges do */
	dwfl_module_addrdie(mod, m->low, &bias);
	dwfl_module_getsymtab(mod);
	m->dwarf_asked = true;
	rs_timings_add(&t, "  dwarf open, prewarm (its own thread): %s", rs_mod_label(m));
}

size_t rs_proc_prewarm(struct rs_proc *p, const atomic_bool *stop)
{
	struct rs_proc *prev = rs_root_enter(p);
	size_t done = 0;

	/* the executable (mods are in address order, it is mapped lowest), then libc */
	for (size_t i = 0; i < p->n_mods && !atomic_load(stop); i++) {
		struct rs_mod *m = &p->mods[i];

		if (m->vdso || (i && !is_libc(m)))
			continue;
		prewarm_module(p, m);
		done++;
	}
	rs_root_leave(prev);
	return done;
}
