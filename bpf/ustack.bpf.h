/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user stack copy: how much of a stack is in use (its mapping's end),
 * and the copy itself, retried with smaller windows when it faults.
 */
#ifndef RS_USTACK_BPF_H
#define RS_USTACK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "counters.bpf.h"
#include "regs.bpf.h"

#define RS_EOPNOTSUPP 95

struct vma_end_ctx {
	__u64 end;
};

static long vma_end_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_end_ctx *c = data;

	c->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* The end of the mapping holding sp, 0 if unknown (always without bpf_find_vma(), Linux 5.17). */
static __always_inline __u64 ustack_vma_end(struct task_struct *task, __u64 sp)
{
	struct vma_end_ctx c = {};

	if (!rs_have_helper(find_vma) || bpf_find_vma(task, sp, vma_end_cb, &c, 0))
		return 0;
	return c.end;
}

/*
 * Bytes of user stack to copy from sp: up to end, the stack's end (only the
 * used part of the stack), at most max. RS_TF_USTACK_TRUNC in *flags when
 * the window is cut short or end is unknown (0).
 */
static __always_inline __u64 ustack_window_to(__u64 sp, __u64 end, __u64 max, __u32 *flags)
{
	if (end > sp && end - sp <= max)
		return end - sp;
	*flags |= RS_TF_USTACK_TRUNC;
	return max;
}

/* The same up to the end of the mapping holding sp, at most stack_bytes. */
static __always_inline __u64 ustack_window(struct task_struct *task, __u64 sp, __u32 *flags)
{
	return ustack_window_to(sp, ustack_vma_end(task, sp), stack_bytes, flags);
}

/*
 * Reads n bytes at src of task's memory: any task's, faulting its pages in,
 * from a sleepable program (bpf_copy_from_user_task(), Linux 5.18); else
 * the current task's, only what is resident. 0 or -errno.
 */
static __always_inline long read_user(void *dst, __u32 n, __u64 src, struct task_struct *task,
				      bool sleepable)
{
	if (sleepable)
		return bpf_copy_from_user_task(dst, n, (void *)src, task, 0);
	return bpf_probe_read_user(dst, n, (void *)src);
}

/*
 * Where the frames of task's stack end, at most end (the end of the mapping
 * holding sp). A thread's stack mapping can merge with the mapping next to
 * it (Linux 6.1 does), so that end may lie past the stack, and a copy of
 * "the stack's top" would be of something else. A thread that is not the
 * group leader and was started with TLS of its own (glibc's and musl's
 * threads: the TCB, struct pthread, at the top of the stack mapping, its
 * TLS and then the frames below it) has no frame above its thread
 * pointer; that it points at a TCB is checked by the x86-64 TLS ABI's rule
 * that the TCB's first word is the thread pointer itself. The leader's
 * frames end below mm->start_stack (where exec left argc); the page of
 * argc is kept, the arguments and environment above it are no frames.
 * end 0 (unknown: bpf_find_vma() refuses a perf sample that follows
 * another on the same CPU too closely) takes the cap as it is.
 */
static __always_inline __u64 ustack_end_cap(struct task_struct *task, __u64 sp, __u64 end,
					    bool sleepable)
{
	__u64 cap, self = 0;

	if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid)) {
		cap = (BPF_CORE_READ(task, mm, start_stack) + 8 + 4095) & ~4095ull;
	} else {
		cap = rs_task_thread_pointer(task);
		if (cap <= sp || (end && cap >= end) ||
		    read_user(&self, sizeof(self), cap, task, sleepable) || self != cap)
			return end;
	}
	return cap > sp && (cap < end || !end) ? cap : end;
}

/*
 * n at most the constant lim, in a form every verifier bounds. Left to
 * itself clang compares the constant against n ("if 262144 > n"):
 * verifiers before Linux 6.8 cannot tell that such a branch is never taken
 * once n is known to be smaller, follow it, set n to the constant and then
 * refuse a copy larger than the destination. Nor does Linux 6.1 carry a
 * bound found on a register to its copy spilled to the stack before the
 * test. The asm keeps n on the left and the limit an immediate; placed
 * right before a helper call, it bounds the register the call gets.
 */
#define RS_CLAMP_IMM(n, lim)                                                                       \
	asm volatile("if %[v] <= %[l] goto +1\n\t"                                                 \
		     "%[v] = %[l]"                                                                 \
		     : [v] "+r"(n)                                                                 \
		     : [l] "i"(lim))

/* n, at most max and at most RS_USTACK_MAX (stack_bytes is a constant the verifier knows). */
static __always_inline __u64 clamp_len(__u64 n, __u64 max)
{
	if (n > max)
		n = max;
	RS_CLAMP_IMM(n, RS_USTACK_MAX);
	return n;
}

/*
 * Copies n bytes (at most max, at most RS_USTACK_MAX) of the user stack of
 * task from sp to dst, which must hold that many. A copy that faults leaves
 * nothing usable, so a failure is retried with smaller windows. Sleepable
 * programs may take the target's page faults (any task, with
 * bpf_copy_from_user_task(), Linux 5.18); the others read only the current
 * task's memory and cannot fault pages in. Returns the
 * bytes copied; sets RS_TF_USTACK_TRUNC in *flags and the -errno of the
 * last attempt in *err.
 */
static __always_inline __u32 copy_ustack_nmax(void *dst, __u64 sp, __u64 n, __u64 max,
					      struct task_struct *task, bool sleepable,
					      __u32 *flags, __s32 *err)
{
	long e = 0;

	if (sleepable && !rs_have_helper(copy_from_user_task)) {
		e = -RS_EOPNOTSUPP;
		n = 0;
	}
	for (int i = 0; i < 6 && n >= 256; i++) {
		n = clamp_len(n, max);
		e = read_user(dst, n, sp, task, sleepable);
		if (!e)
			return n;
		*flags |= RS_TF_USTACK_TRUNC;
		n /= 2;
	}
	*err = e;
	count(RS_CNT_USTACK_FAIL);
	return 0;
}

static __always_inline __u32 copy_ustack_n(void *dst, __u64 sp, __u64 n, struct task_struct *task,
					   bool sleepable, __u32 *flags, __s32 *err)
{
	return copy_ustack_nmax(dst, sp, n, stack_bytes, task, sleepable, flags, err);
}

/* The used part of the user stack, from sp to the end of its mapping (see above). */
static __always_inline __u32 copy_ustack(void *dst, __u64 sp, struct task_struct *task,
					 bool sleepable, __u32 *flags, __s32 *err)
{
	return copy_ustack_n(dst, sp, ustack_window(task, sp, flags), task, sleepable, flags, err);
}

#endif /* RS_USTACK_BPF_H */
