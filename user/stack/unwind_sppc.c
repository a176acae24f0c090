// SPDX-License-Identifier: GPL-2.0
/*
 * Unwinding from sp and pc only (stack_priv.h: rs_unwind_sppc_finish), for
 * the /proc backend's blocked threads (rs_ustack.sp_pc_only).
 *
 * Only those two registers are handed to libdw; the others are undefined,
 * and CFI restores the callee-saved ones from the stack as it steps. A
 * frame whose CFA is computed from a register nobody restored (rbp in code
 * built with frame pointers, called from code that never saved it) ends
 * libdw's walk as if it were the outermost. For rbp alone there is a way
 * on: rbp then still holds, at the syscall, the value that frame set up, so
 * it is looked for in the stack (bp_candidates()) and the walk is redone with
 * it; the frames it adds are marked (rs_unwound.guessed_from).
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch/arch.h"
#include "stack/stack_priv.h"

/* How far above a frame's sp bp_candidates() looks for the frame record rbp points to. */
#define RS_BP_SCAN_MAX (256 * 1024)
/* How many unverifiable candidates for rbp are tried, each by a walk of its own. */
#define RS_BP_CANDS 8

/*
 * sp/pc only: the DWARF register the step from frame i reads that frame i
 * does not know, or -1. The CFA rule decides (the return address and saved
 * registers are read relative to the CFA); the outermost frame (return
 * address undefined) needs nothing; without CFI libdw steps by rbp.
 * *cfa_off: the offset of a "CFA = rbp + off" rule, else INT64_MIN.
 */
static int unknown_reg(Dwfl *dwfl, const struct rs_sample *s, size_t i, int64_t *cfa_off)
{
	uint64_t a = s->out->activation[i] ? s->out->pc[i] : s->out->pc[i] - 1;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, a);
	uint32_t known = s->known[i];

	*cfa_off = 16;
	if (!mod)
		return -1;
	for (int c = 0; c < 2; c++) {
		Dwarf_Addr bias;
		Dwarf_CFI *cfi =
		    c ? dwfl_module_dwarf_cfi(mod, &bias) : dwfl_module_eh_cfi(mod, &bias);
		Dwarf_Op mem[3], *ops;
		Dwarf_Frame *frame;
		size_t nops;
		int need = -1;

		if (!cfi || dwarf_cfi_addrframe(cfi, a - bias, &frame))
			continue;
		if (!dwarf_frame_register(frame, RS_DWARF_PC, mem, &ops, &nops) && !nops &&
		    ops == mem) {
			free(frame);
			return -1;
		}
		*cfa_off = INT64_MIN;
		if (!dwarf_frame_cfa(frame, &ops, &nops)) {
			for (size_t k = 0; k < nops && need < 0; k++) {
				unsigned int atom = ops[k].atom;
				int64_t off = (int64_t)ops[k].number;
				int reg = -1;

				if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) {
					reg = (int)(atom - DW_OP_breg0);
				} else if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) {
					reg = (int)(atom - DW_OP_reg0);
				} else if (atom == DW_OP_bregx || atom == DW_OP_regx) {
					reg = (int)ops[k].number;
					off = (int64_t)ops[k].number2;
				}
				if (reg < 0 || reg >= RS_DWARF_PC || (known & (1u << reg)))
					continue;
				need = reg;
				if (nops == 1 && reg == RS_DWARF_FP &&
				    atom != DW_OP_reg0 + RS_DWARF_FP && atom != DW_OP_regx)
					*cfa_off = off;
			}
		}
		free(frame);
		return need;
	}
	return known & (1u << RS_DWARF_FP) ? -1 : RS_DWARF_FP;
}

/* Whether the instruction that ends right before ra is a call (arch.h); *target for a direct one.
 */
static int call_before(Dwfl *dwfl, uint64_t ra, uint64_t *target)
{
	unsigned char b[8];
	uint64_t w;

	if (ra < 8 || !rs_unwind_elf_word(dwfl, ra - 8, &w))
		return 0;
	memcpy(b, &w, sizeof(b));
	return rs_call_before(b, ra, target);
}

/* The start of the symbol holding addr. */
static bool func_start(Dwfl *dwfl, uint64_t addr, uint64_t *start)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	GElf_Off off;
	GElf_Sym sym;

	if (!mod || !dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL))
		return false;
	*start = addr - off;
	return true;
}

/* A value rbp may have held at the syscall, and the return address its frame record holds. */
struct bp_cand {
	uint64_t bp, ra;
	bool direct; /* ra follows a direct call of frame k's very function */
};

/*
 * Frame k's CFA is rbp + off and rbp is unknown: nothing inside frame k
 * saved or changed it (CFI would say so), so at the syscall rbp still held
 * what frame k's prologue set, the address of its frame record: the caller's
 * rbp at [rbp], the return address at [rbp + off - 8]. Candidates are the
 * words above frame k's sp that are a return address right after a call:
 * one after a direct call of frame k's function (taken alone: it cannot be
 * wrong but for a stale copy), else the lowest RS_BP_CANDS after a call that
 * cannot be checked (indirect, through a register, the GOT or a PLT); one
 * after a direct call of another function is never one (a stale record of
 * an earlier, deeper call). Returns how many are in c[].
 */
static size_t bp_candidates(struct rs_proc *p, struct rs_sample *s, size_t k, int64_t off,
			    struct bp_cand *c)
{
	const struct rs_unwound *u = s->out;
	uint64_t sp = s->spv[k], fstart = 0;
	uint64_t end = s->sp + s->len, lim = sp + RS_BP_SCAN_MAX;
	bool have_f = func_start(p->dwfl, u->activation[k] ? u->pc[k] : u->pc[k] - 1, &fstart);
	size_t n = 0;

	if (off < 16 || off > 4096 || !sp)
		return 0;
	for (uint64_t slot = (sp + 7) & ~7ull; slot < end && slot < lim; slot += 8) {
		uint64_t ra, target = 0, tstart;
		int call;

		if (!rs_unwind_stack_word(s, slot, &ra) || !rs_unwind_is_exec(p, ra) ||
		    !(call = call_before(p->dwfl, ra, &target)))
			continue;
		if (call == 2 && have_f && target == fstart) {
			c[0] = (struct bp_cand){ slot + 8 - (uint64_t)off, ra, true };
			return 1;
		}
		if (call == 2 && func_start(p->dwfl, target, &tstart) && tstart == target)
			continue; /* a call of another function */
		if (n < RS_BP_CANDS)
			c[n++] = (struct bp_cand){ slot + 8 - (uint64_t)off, ra, false };
	}
	return n;
}

static void reset_run(struct rs_sample *s)
{
	struct rs_unwound *u = s->out;

	memset(u, 0, sizeof(*u));
	u->info.method = "none";
	u->guessed_from = SIZE_MAX;
	s->read_failed = s->fail_window = s->window_stop = s->tid_given = false;
	s->stop = RS_STOP_NONE;
	s->bad_pc = s->fail_addr = 0;
}

bool rs_unwind_sppc_finish(struct rs_proc *p, struct rs_sample *s, bool clean)
{
	struct rs_unwound *u = s->out;
	char *reason = u->info.stop_reason;
	size_t rlen = sizeof(u->info.stop_reason), k;
	struct bp_cand cand[RS_BP_CANDS];
	size_t n, best = SIZE_MAX, best_n = 0;
	bool best_clean = false;
	int64_t off;
	int need;

	if (!u->n || s->stop == RS_STOP_LIMIT || s->window_stop)
		return clean;
	k = u->n - 1;
	need = unknown_reg(p->dwfl, s, k, &off);
	if (need < 0)
		return clean;
	if (need == RS_DWARF_FP && !s->have_bp && off != INT64_MIN &&
	    (n = bp_candidates(p, s, k, off, cand))) {
		/*
		 * Each candidate walks again; the one that goes furthest through
		 * frame k's caller wins (a stale return address ends the walk
		 * within a frame or two), the lowest among equals.
		 */
		for (size_t i = 0; i < n; i++) {
			bool cl;

			reset_run(s);
			s->have_bp = true;
			s->bp_init = cand[i].bp;
			cl = rs_unwind_dwarf(p, s);
			if (u->n <= k + 1 || u->pc[k + 1] != cand[i].ra)
				continue;
			if (u->n > best_n || (u->n == best_n && cl && !best_clean)) {
				best = i;
				best_n = u->n;
				best_clean = cl;
			}
		}
		reset_run(s);
		s->have_bp = best < n;
		s->bp_init = best < n ? cand[best].bp : 0;
		clean = rs_unwind_dwarf(p, s);
		if (best < n) {
			u->guessed_from = k + 1;
			return rs_unwind_sppc_finish(p, s, clean);
		}
		/* none went anywhere: the walk without, as it was */
	}
	snprintf(reason, rlen,
		 "%s unknown at 0x%" PRIx64 " in %s: only sp and pc were captured (/proc backend)",
		 rs_dwarf_reg_name(need), u->pc[k], rs_unwind_module(p, u->pc[k]));
	return false;
}
