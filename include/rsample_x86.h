/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The x86-64 part of the BPF <-> user contract (included by rsample.h): the
 * user registers a record carries and the syscall numbers both sides test.
 * A port to another architecture adds its own rsample_<arch>.h.
 */
#ifndef RSAMPLE_X86_H
#define RSAMPLE_X86_H

#define RS_NR_FUTEX 202

/* x86_64 user registers, as saved at kernel entry (struct pt_regs order is not kept). */
struct rs_regs {
	__u64 ip;
	__u64 sp;
	__u64 bp;
	__u64 bx;
	__u64 ax;
	__u64 cx;
	__u64 dx;
	__u64 si;
	__u64 di;
	__u64 r8;
	__u64 r9;
	__u64 r10;
	__u64 r11;
	__u64 r12;
	__u64 r13;
	__u64 r14;
	__u64 r15;
	__u64 orig_ax; /* syscall number, or (__u64)-1 when not in a syscall */
	__u64 flags;
	__u64 cs;
};

#endif /* RSAMPLE_X86_H */
