/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 (arch.h): the System V psABI's DWARF register numbers and the syscall ABI. */
#ifndef RS_ARCH_X86_H
#define RS_ARCH_X86_H

#include <stddef.h>
#include <string.h>
#include <asm/perf_regs.h>

#define RS_DWARF_NREGS 17 /* rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
#define RS_DWARF_FP    6  /* rbp */
#define RS_DWARF_SP    7  /* rsp */
#define RS_DWARF_PC    16 /* rip: the return address column */

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

/* A perf register number (asm/perf_regs.h) and the struct rs_regs field it fills. */
struct rs_perf_reg {
	uint8_t perf;
	uint16_t off;
};

/*
 * The user registers perf can record that struct rs_regs holds (all but
 * the segment registers x86-64 does not keep), *n of them.
 */
static inline const struct rs_perf_reg *rs_perf_reg_table(size_t *n)
{
	static const struct rs_perf_reg t[] = {
		{ PERF_REG_X86_AX, offsetof(struct rs_regs, ax) },
		{ PERF_REG_X86_BX, offsetof(struct rs_regs, bx) },
		{ PERF_REG_X86_CX, offsetof(struct rs_regs, cx) },
		{ PERF_REG_X86_DX, offsetof(struct rs_regs, dx) },
		{ PERF_REG_X86_SI, offsetof(struct rs_regs, si) },
		{ PERF_REG_X86_DI, offsetof(struct rs_regs, di) },
		{ PERF_REG_X86_BP, offsetof(struct rs_regs, bp) },
		{ PERF_REG_X86_SP, offsetof(struct rs_regs, sp) },
		{ PERF_REG_X86_IP, offsetof(struct rs_regs, ip) },
		{ PERF_REG_X86_FLAGS, offsetof(struct rs_regs, flags) },
		{ PERF_REG_X86_CS, offsetof(struct rs_regs, cs) },
		{ PERF_REG_X86_R8, offsetof(struct rs_regs, r8) },
		{ PERF_REG_X86_R9, offsetof(struct rs_regs, r9) },
		{ PERF_REG_X86_R10, offsetof(struct rs_regs, r10) },
		{ PERF_REG_X86_R11, offsetof(struct rs_regs, r11) },
		{ PERF_REG_X86_R12, offsetof(struct rs_regs, r12) },
		{ PERF_REG_X86_R13, offsetof(struct rs_regs, r13) },
		{ PERF_REG_X86_R14, offsetof(struct rs_regs, r14) },
		{ PERF_REG_X86_R15, offsetof(struct rs_regs, r15) },
	};

	*n = sizeof(t) / sizeof(t[0]);
	return t;
}

/*
 * Registers set from a blocked thread's /proc/PID/task/TID/syscall line
 * (nr args[6] sp pc): sp, pc, the syscall number and its arguments where
 * rs_regs_syscall() reads them; the rest zero.
 */
static inline void rs_regs_from_syscall(struct rs_regs *r, int64_t nr, const uint64_t args[6],
					uint64_t sp, uint64_t pc)
{
	*r = (struct rs_regs){ 0 };
	r->ip = pc;
	r->sp = sp;
	r->orig_ax = (uint64_t)nr;
	r->di = args[0];
	r->si = args[1];
	r->dx = args[2];
	r->r10 = args[3];
	r->r8 = args[4];
	r->r9 = args[5];
}

/* The name of DWARF register reg, for messages ("rbp"); "?" when out of range. */
static inline const char *rs_dwarf_reg_name(int reg)
{
	static const char *const names[RS_DWARF_NREGS] = {
		"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
		"r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip",
	};

	return reg >= 0 && reg < RS_DWARF_NREGS ? names[reg] : "?";
}

/*
 * Whether the 8 bytes b that end right before the return address ra end
 * with a call instruction: 2 for a direct call (*target its destination),
 * 1 for an indirect one, 0 for none.
 */
static inline int rs_call_before(const unsigned char b[8], uint64_t ra, uint64_t *target)
{
	int32_t rel;

	if (b[3] == 0xe8) { /* call rel32 */
		memcpy(&rel, b + 4, sizeof(rel));
		*target = ra + (uint64_t)(int64_t)rel;
		return 2;
	}
	/* call *r/m: ff /2 with each addressing form and its length */
	if ((b[6] == 0xff && ((b[7] & 0xf8) == 0xd0 ||
			      ((b[7] & 0xf8) == 0x10 && (b[7] & 7) != 4 && (b[7] & 7) != 5))) ||
	    (b[5] == 0xff && (((b[6] & 0xf8) == 0x50 && (b[6] & 7) != 4) || b[6] == 0x14)) ||
	    (b[4] == 0xff && b[5] == 0x54) ||
	    (b[2] == 0xff && (b[3] == 0x15 || ((b[3] & 0xf8) == 0x90 && (b[3] & 7) != 4))) ||
	    (b[1] == 0xff && b[2] == 0x94))
		return 1;
	return 0;
}

/*
 * A thread's TCB, where its thread pointer (fs base) points: in the x86-64
 * TLS ABI its first word is its own address; glibc's (tcbhead_t) holds that
 * address again in its third word (self), and aligns it to 64 bytes. p:
 * RS_TCB_LEN bytes that were at addr.
 */
#define RS_TCB_ALIGN 64
#define RS_TCB_LEN   24

static inline bool rs_is_tcb(const unsigned char *p, uint64_t addr)
{
	uint64_t w[3];

	memcpy(w, p, sizeof(w));
	return w[0] == addr && w[2] == addr;
}

#endif
