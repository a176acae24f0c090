/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 (arch.h): the System V psABI's DWARF register numbers and the syscall ABI. */
#ifndef RS_ARCH_X86_H
#define RS_ARCH_X86_H

#define RS_DWARF_NREGS 17 /* rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
#define RS_DWARF_FP    6  /* rbp */
#define RS_DWARF_SP    7  /* rsp */

/* rbp points at the caller's rbp, the return address is above it. */
#define RS_FP_NEXT  0
#define RS_FP_RET   8
#define RS_FP_FRAME 16

/* The registers in DWARF order (0 .. RS_DWARF_NREGS - 1). */
static inline void rs_regs_dwarf(const struct rs_regs *r, uint64_t w[RS_DWARF_NREGS])
{
	const uint64_t v[RS_DWARF_NREGS] = { r->ax,  r->dx,  r->cx,  r->bx,  r->si,  r->di,
					     r->bp,  r->sp,  r->r8,  r->r9,  r->r10, r->r11,
					     r->r12, r->r13, r->r14, r->r15, r->ip };

	for (int i = 0; i < RS_DWARF_NREGS; i++)
		w[i] = v[i];
}

static inline uint64_t rs_regs_pc(const struct rs_regs *r)
{
	return r->ip;
}

static inline uint64_t rs_regs_sp(const struct rs_regs *r)
{
	return r->sp;
}

static inline uint64_t rs_regs_fp(const struct rs_regs *r)
{
	return r->bp;
}

/*
 * The syscall of registers saved at kernel entry: orig_ax holds its number
 * (-1 outside a syscall), rdi, rsi, rdx, r10, r8, r9 its arguments. False
 * when the thread is not in one.
 */
static inline bool rs_regs_syscall(const struct rs_regs *r, int *nr, uint64_t args[6])
{
	if ((int64_t)r->orig_ax < 0 || r->orig_ax >= 1024)
		return false;
	*nr = (int)r->orig_ax;
	args[0] = r->di;
	args[1] = r->si;
	args[2] = r->dx;
	args[3] = r->r10;
	args[4] = r->r8;
	args[5] = r->r9;
	return true;
}

#endif
