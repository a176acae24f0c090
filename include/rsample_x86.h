/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The x86-64 part of the BPF <-> user contract (included by rsample.h): the
 * user registers a record carries and the syscall numbers both sides test.
 * A port to another architecture adds its own rsample_<arch>.h.
 */
#ifndef RSAMPLE_X86_H
#define RSAMPLE_X86_H

#define RS_NR_FUTEX	      202
#define RS_NR_POLL	      7
#define RS_NR_SELECT	      23
#define RS_NR_NANOSLEEP	      35
#define RS_NR_CLOCK_NANOSLEEP 230
#define RS_NR_PSELECT6	      270
#define RS_NR_PPOLL	      271

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

/*
 * Where a waiting thread's call keeps what it waits for in user memory, for
 * rs_task_rec.arg_peek: sets *addr and returns how many bytes to read there
 * (at most RS_ARG_PEEK_MAX), 0 for other calls. nanosleep and
 * clock_nanosleep: the request timespec; poll and ppoll: the first pollfds;
 * select and pselect6: the read set's first 512 fds. BPF and the /proc
 * backend both read what this says.
 */
static inline __attribute__((always_inline)) __u32 rs_arg_peek_src(const struct rs_regs *r,
								   __u64 *addr)
{
	__u64 n;

	switch (r->orig_ax) {
	case RS_NR_NANOSLEEP:
		*addr = r->di;
		return 16;
	case RS_NR_CLOCK_NANOSLEEP:
		*addr = r->dx;
		return 16;
	case RS_NR_POLL:
	case RS_NR_PPOLL:
		*addr = r->di;
		n = r->si < RS_ARG_PEEK_MAX / 8 ? r->si * 8 : RS_ARG_PEEK_MAX;
		return *addr ? (__u32)n : 0;
	case RS_NR_SELECT:
	case RS_NR_PSELECT6:
		*addr = r->si;
		n = r->di < 8 * RS_ARG_PEEK_MAX ? (r->di + 63) / 64 * 8 : RS_ARG_PEEK_MAX;
		return *addr ? (__u32)n : 0;
	}
	return 0;
}

#endif /* RSAMPLE_X86_H */
