/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86-64 register specifics of rsample's BPF programs: struct pt_regs to
 * struct rs_regs (include/rsample_x86.h), whether registers were saved in
 * user mode, and which registers hold the syscall number and its first
 * argument. Included by regs.bpf.h; a port adds bpf/arch/<arch>.bpf.h with
 * the same functions.
 */
#ifndef RS_ARCH_X86_BPF_H
#define RS_ARCH_X86_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"

/*
 * pt_regs.cs is an unsigned long before Linux 6.9 and a u16 in a union with
 * the 8-byte csx since (FRED). A perf_event program may load the registers
 * of its context only 8 bytes at a time, so the 8-byte field the running
 * kernel has is read: both relocate by CO-RE, and the branch of the other
 * layout is dead code to the verifier.
 */
struct pt_regs___rs_csx {
	__u64 csx;
} __attribute__((preserve_access_index));

struct pt_regs___rs_cs_long {
	unsigned long cs;
} __attribute__((preserve_access_index));

static __always_inline __u64 rs_pt_regs_cs(const struct pt_regs *p)
{
	__u64 cs;

	if (bpf_core_field_exists(struct pt_regs___rs_csx, csx)) {
		cs = ((const struct pt_regs___rs_csx *)p)->csx;
		/*
		 * Keeps clang from merging the two loads into one from p plus
		 * a chosen offset: a perf_event context may only be read at a
		 * constant offset in the load itself.
		 */
		barrier_var(cs);
	} else {
		cs = ((const struct pt_regs___rs_cs_long *)p)->cs;
	}
	return cs;
}

/*
 * The user registers in p: a copy of a task's saved registers, or a
 * perf_event context's own (field by field, 8-byte loads only).
 */
static __always_inline void rs_regs_from_pt_regs(struct rs_regs *r, const struct pt_regs *p)
{
	r->ip = p->ip;
	r->sp = p->sp;
	r->bp = p->bp;
	r->bx = p->bx;
	r->ax = p->ax;
	r->cx = p->cx;
	r->dx = p->dx;
	r->si = p->si;
	r->di = p->di;
	r->r8 = p->r8;
	r->r9 = p->r9;
	r->r10 = p->r10;
	r->r11 = p->r11;
	r->r12 = p->r12;
	r->r13 = p->r13;
	r->r14 = p->r14;
	r->r15 = p->r15;
	r->orig_ax = p->orig_ax;
	r->flags = p->flags;
	r->cs = rs_pt_regs_cs(p);
}

/* Whether the registers in p were saved while the CPU ran user code (CPL 3). */
static __always_inline bool rs_pt_regs_user_mode(const struct pt_regs *p)
{
	return (rs_pt_regs_cs(p) & 3) == 3;
}

/* Instruction, stack and frame pointer of the pt_regs at p in kernel memory. */
static __always_inline void rs_pt_regs_ip_sp_fp(const struct pt_regs *p, __u64 *ip, __u64 *sp,
						__u64 *fp)
{
	*ip = BPF_CORE_READ(p, ip);
	*sp = BPF_CORE_READ(p, sp);
	*fp = BPF_CORE_READ(p, bp);
}

static __always_inline __u64 rs_regs_sp(const struct rs_regs *r)
{
	return r->sp;
}

/* The syscall the registers were saved in; (__u64)-1 outside a syscall. */
static __always_inline __u64 rs_regs_syscall_nr(const struct rs_regs *r)
{
	return r->orig_ax;
}

/* Registers sampled in user mode were not saved by a syscall. */
static __always_inline void rs_regs_set_no_syscall(struct rs_regs *r)
{
	r->orig_ax = (__u64)-1;
}

static __always_inline __u64 rs_regs_syscall_arg0(const struct rs_regs *r)
{
	return r->di;
}

/*
 * The task's thread pointer (the fs base its clone(CLONE_SETTLS) set), 0 if
 * none: in the x86-64 TLS ABI it points at the thread's TCB, whose first
 * word is the thread pointer itself.
 */
static __always_inline __u64 rs_task_thread_pointer(struct task_struct *task)
{
	return BPF_CORE_READ(task, thread.fsbase);
}

#endif /* RS_ARCH_X86_BPF_H */
