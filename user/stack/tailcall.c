// SPDX-License-Identifier: GPL-2.0
/*
 * Whole stacks (stack.h: rs_stack_frames) with the frames of functions that
 * left through a tail call, rebuilt from DWARF call sites as gdb does (its
 * dwarf2/frame-tailcall.c and call_site_find_chain() in dwarf2/loc.c). A
 * function that ended with a jmp is not on the stack; for a callee frame F
 * and its caller G:
 *
 *  - the search starts at G's call site whose return PC (DW_AT_call_return_pc,
 *    DW_AT_low_pc before DWARF 5) is G's return address;
 *  - a site's targets come from DW_AT_call_origin (DW_AT_abstract_origin): a
 *    definition's entry (each DW_AT_ranges start), or, for a declaration, the
 *    ELF symbol of its linkage name. A DWARF-expression target
 *    (DW_AT_call_target) needs registers a tail call did not keep: gdb gives up;
 *  - a target that is the entry of F's function ends a chain. Any other must be
 *    a function with DWARF; its tail-call sites (DW_AT_call_tail_call) are
 *    followed depth first if it lists all its calls (DW_AT_call_all_calls,
 *    DW_AT_call_all_tail_calls or their GNU forms), never through a site
 *    already on the chain. gdb gives up on any target it cannot resolve;
 *  - the chains are intersected: the sites all of them start with (callers)
 *    and end with (callees) are kept; nothing when both are empty.
 *
 * Each site kept is a frame between F and G, innermost first: the function at
 * the site with addr = its return PC, looked up at addr - 1 like a caller's,
 * and, as in gdb, without inline frames of its own. Chains are cached by
 * build-id in the rs_symcache; callsite.c reads the DWARF. Where this differs
 * from gdb: a declaration's symbol is looked for in F's module first, then in
 * the others by address (gdb: in its objfile order); a search gives up (no
 * frames) past DEPTH_MAX tail calls in a row, VISITS_MAX sites entered or
 * callsite.c's size limit; the caller's site is looked for in the function
 * holding the return address (gdb: in its whole CU).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack/stack_priv.h"

#define DEPTH_MAX  32	/* tail calls in a row */
#define VISITS_MAX 4096 /* sites entered by one search */

/* One search for the chains from a caller's call site to a callee's function. */
struct search {
	struct rs_csgraph g;
	uint64_t callee;     /* entry of the callee frame's function */
	int path[DEPTH_MAX]; /* sites entered, outermost first (not the caller's) */
	int depth, visits;
	uint64_t chain[DEPTH_MAX]; /* the first chain found, as return PCs */
	int len, callers, callees;
	bool found;
	bool stop; /* ambiguous, unresolvable or too large: no frames */
};

/* gdb's chain_candidate(): keeps the sites that every chain so far starts and ends with. */
static void candidate(struct search *s)
{
	const struct rs_csite *sites = s->g.sites;
	int n = s->depth, m;

	if (!s->found) {
		for (int i = 0; i < n; i++)
			s->chain[i] = sites[s->path[i]].pc;
		s->len = s->callers = s->callees = n;
		s->found = true;
		return;
	}
	m = s->callers < n ? s->callers : n;
	for (int i = 0; i < m; i++) {
		if (s->chain[i] != sites[s->path[i]].pc) {
			s->callers = i;
			break;
		}
	}
	m = s->callees < n ? s->callees : n;
	for (int i = 0; i < m; i++) {
		if (s->chain[s->len - 1 - i] != sites[s->path[n - 1 - i]].pc) {
			s->callees = i;
			break;
		}
	}
	if (!s->callers && !s->callees)
		s->stop = true; /* ambiguous */
}

static bool on_path(const struct search *s, uint64_t pc)
{
	for (int i = 0; i < s->depth; i++)
		if (s->g.sites[s->path[i]].pc == pc)
			return true;
	return false;
}

/* Enters site si (gdb's call_site_find_chain_2()); false when the search is over. */
static bool visit(struct search *s, int si)
{
	int first = s->g.sites[si].first, n = s->g.sites[si].n;

	if (n < 0)
		s->stop = true;
	for (int i = 0; i < n && !s->stop; i++) {
		if (s->g.targets[first + i] == s->callee) {
			candidate(s);
			return !s->stop;
		}
	}
	for (int i = 0; i < n && !s->stop; i++) {
		int f = rs_cs_func(&s->g, s->g.targets[first + i]);

		if (f < 0 || s->g.funcs[f].n < 0) {
			s->stop = true;
			break;
		}
		for (int j = 0; j < s->g.funcs[f].n && !s->stop; j++) {
			int t = s->g.funcs[f].first + j;

			if (on_path(s, s->g.sites[t].pc))
				continue;
			if (s->depth == DEPTH_MAX || ++s->visits > VISITS_MAX) {
				s->stop = true;
				break;
			}
			s->path[s->depth++] = t;
			if (visit(s, t))
				s->depth--;
		}
	}
	return !s->stop;
}

/*
 * The tail-call sites between a callee frame (its address-in-block: the PC,
 * minus 1 for a caller frame) and its caller (return address ret) into
 * out[DEPTH_MAX], innermost first. 0 or -ENOMEM.
 */
static int find_chain(struct rs_proc *p, uint64_t inblock, uint64_t ret, uint64_t *out, size_t *n)
{
	struct search *s = calloc(1, sizeof(*s));
	int first, err;

	*n = 0;
	if (!s)
		return -ENOMEM;
	s->g.p = p;
	s->g.home = dwfl_addrmodule(p->dwfl, inblock);
	if (!rs_cs_function_entry(&s->g, s->g.home, inblock, &s->callee))
		goto cleanup;
	first = rs_cs_caller_site(&s->g, ret);
	if (first < 0 || !visit(s, first) || !s->found)
		goto cleanup;
	if (s->callers == s->len && s->callees == s->len) {
		for (int k = s->len - 1; k >= 0; k--)
			out[(*n)++] = s->chain[k];
	} else {
		for (int k = 0; k < s->callees; k++)
			out[(*n)++] = s->chain[s->len - 1 - k];
		for (int k = s->callers - 1; k >= 0; k--)
			out[(*n)++] = s->chain[k];
	}
cleanup:
	err = s->g.err;
	rs_csgraph_clear(&s->g);
	free(s);
	return err;
}

/* As find_chain(), through p's symbol cache when both modules have a build-id. */
static int cached_chain(struct rs_proc *p, uint64_t inblock, uint64_t ret, uint64_t *out, size_t *n)
{
	Dwfl_Module *gmod = dwfl_addrmodule(p->dwfl, ret - 1);
	Dwfl_Module *fmod = dwfl_addrmodule(p->dwfl, inblock);
	struct rs_mod *g = rs_mod_of(gmod), *f = rs_mod_of(fmod);
	struct rs_chainsite sites[DEPTH_MAX];
	const struct rs_chainsite *hit;
	struct rs_chainkey k = { 0 };
	GElf_Addr vaddr;
	int glen, flen, err;

	*n = 0;
	if (!g || !f)
		return 0;
	if (!p->cache || (glen = dwfl_module_build_id(gmod, &k.caller_id, &vaddr)) <= 0 ||
	    (flen = dwfl_module_build_id(fmod, &k.callee_id, &vaddr)) <= 0)
		return find_chain(p, inblock, ret, out, n);
	k.caller_id_len = (size_t)glen;
	k.callee_id_len = (size_t)flen;
	k.caller_addr = ret - g->low;
	k.callee_addr = inblock - f->low;
	hit = rs_symcache_chain_get(p->cache, &k, n);
	if (hit) {
		for (size_t i = 0; i < *n; i++)
			out[i] = hit[i].off + (hit[i].in_callee ? f->low : g->low);
		return 0;
	}
	err = find_chain(p, inblock, ret, out, n);
	for (size_t i = 0; i < *n && !err; i++) {
		sites[i].in_callee = out[i] >= f->low && out[i] < f->high;
		sites[i].off = out[i] - (sites[i].in_callee ? f->low : g->low);
		if (!sites[i].in_callee && (out[i] < g->low || out[i] >= g->high))
			return 0; /* a third module's site: not cacheable by these two build-ids */
	}
	return err ? err : rs_symcache_chain_put(p->cache, &k, sites, *n);
}

/* Appends the tail-call frames between a callee frame and its caller. 0 or -ENOMEM. */
static int tail_frames(struct rs_proc *p, uint64_t inblock, uint64_t ret, struct rs_frame **frames,
		       size_t *n)
{
	uint64_t sites[DEPTH_MAX];
	size_t count = 0;
	int err = cached_chain(p, inblock, ret, sites, &count);

	for (size_t i = 0; i < count && !err; i++) {
		size_t at = *n;

		err = rs_symbolize(p, sites[i], false, frames, n);
		if (err || *n == at)
			continue;
		/* gdb gives it no inline frames: the innermost function at the site names it */
		while (*n > at + 1)
			rs_frame_clear(&(*frames)[--*n]);
		(*frames)[at].inlined = false;
		(*frames)[at].tailcall = true;
	}
	return err;
}

/* The frame of a signal trampoline, named as gdb names it. 0 or -ENOMEM. */
static int sigtramp_frame(struct rs_proc *p, uint64_t pc, struct rs_frame **frames, size_t *n)
{
	const struct rs_map *map = rs_maps_find(&p->maps, pc);
	struct rs_frame *v = realloc(*frames, (*n + 1) * sizeof(*v));
	struct rs_frame *f;

	if (!v)
		return -ENOMEM;
	*frames = v;
	f = &v[*n];
	memset(f, 0, sizeof(*f));
	f->addr = pc;
	f->function = strdup("<signal handler called>");
	f->module = map && map->path ? strdup(map->path) : NULL;
	if (!f->function || (map && map->path && !f->module)) {
		rs_frame_clear(f);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int stack_frames(struct rs_proc *p, const struct rs_unwound *u, struct rs_frame **frames,
			size_t *n)
{
	int err = 0;

	if (!p || !u || !frames || !n)
		return -EINVAL;
	for (size_t i = 0; i < u->n && !err; i++) {
		uint64_t pc = u->pc[i], inblock = u->activation[i] ? pc : pc - 1;

		/* libdw marks a signal trampoline and the frame it interrupted as activations */
		if (pc && u->activation[i] && rs_is_sigtramp(p, pc)) {
			err = sigtramp_frame(p, pc, frames, n);
			continue;
		}
		err = rs_symbolize(p, pc, u->activation[i], frames, n);
		/* a frame a signal interrupted (exact PC) was not calling: no call site */
		if (!err && pc && i + 1 < u->n && u->pc[i + 1] && !u->activation[i + 1] &&
		    !rs_proc_past_deadline(p))
			err = tail_frames(p, inblock, u->pc[i + 1], frames, n);
	}
	return err;
}

/* libdw reads p's files only inside p's root (dwopen.c). */
int rs_stack_frames(struct rs_proc *p, const struct rs_unwound *u, struct rs_frame **frames,
		    size_t *n)
{
	struct rs_proc *prev = rs_root_enter(p);
	int err = stack_frames(p, u, frames, n);

	rs_root_leave(prev);
	return err;
}
