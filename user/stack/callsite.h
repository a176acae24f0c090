/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DWARF call sites as gdb reads them (callsite.c), for the tail-call search of
 * tailcall.c: a graph of call sites and functions read lazily, function by
 * function, across a process's modules. Addresses are absolute (the target's).
 */
#ifndef RS_CALLSITE_H
#define RS_CALLSITE_H

#include "stack/proc_priv.h"

/* A call site (DW_TAG_call_site or DW_TAG_GNU_call_site). */
struct rs_csite {
	uint64_t pc;  /* return PC: DW_AT_call_return_pc, or DW_AT_low_pc before DWARF 5 */
	int first, n; /* targets[first .. first + n); n < 0: a target gdb cannot resolve */
};

/* A function, from its entry. */
struct rs_cfunc {
	uint64_t entry;
	int first, n; /* sites[first .. first + n) are its tail calls; n < 0: no function here */
};

/* What was read so far. Zero it, set p and home, then use it; rs_csgraph_clear() frees it. */
struct rs_csgraph {
	struct rs_proc *p;
	Dwfl_Module *home; /* searched first for the symbol a declaration names */
	struct rs_csite *sites;
	struct rs_cfunc *funcs;
	uint64_t *targets;
	int nsites, nfuncs, ntargets;
	int cap_sites, cap_funcs, cap_targets;
	bool full; /* a size limit was hit or memory ran out: stop using it */
	int err;   /* -ENOMEM once memory ran out */
};

/*
 * gdb's get_pc_function_start(): the entry of the function holding addr in
 * mod, from DWARF, else from the ELF symbol holding it. False when none.
 */
bool rs_cs_function_entry(struct rs_csgraph *g, Dwfl_Module *mod, uint64_t addr, uint64_t *entry);

/*
 * Reads the call site whose return PC is ret, looked for in the function
 * holding ret - 1: its index in g->sites, or -1 when there is none (or g->full).
 */
int rs_cs_caller_site(struct rs_csgraph *g, uint64_t ret);

/*
 * The index in g->funcs of the function that starts at entry, read on first
 * use with its tail-call sites and their targets; -1 when g->full.
 */
int rs_cs_func(struct rs_csgraph *g, uint64_t entry);

/* Frees the arrays g holds. */
void rs_csgraph_clear(struct rs_csgraph *g);

#endif
