// SPDX-License-Identifier: GPL-2.0
/*
 * A process's DWARF opened ahead (stack.h), on a thread of its own while the
 * BPF object loads and the capture runs: what the first lookup in a module
 * costs (finding the debug file, inflating its compressed sections: 40 to
 * 80 ms for libc6-dbg's libc) no longer follows the capture. The modules
 * almost every stack passes through come first: the main executable, then
 * libc; the others after, in address order, while the capture lasts.
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
	size_t done = 0, libc = SIZE_MAX;

	for (size_t i = 0; i < p->n_mods && libc == SIZE_MAX; i++)
		if (!p->mods[i].vdso && is_libc(&p->mods[i]))
			libc = i;
	/* pass 0: the executable (mods are in address order, it is mapped lowest); 1: libc */
	for (size_t pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < p->n_mods && !atomic_load(stop); i++) {
			struct rs_mod *m = &p->mods[i];

			if (m->vdso || (pass == 0 && i) || (pass == 1 && i != libc) ||
			    (pass == 2 && (!i || i == libc)))
				continue;
			prewarm_module(p, m);
			done++;
		}
	}
	rs_root_leave(prev);
	return done;
}
