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

/*
 * Bytes of user stack to copy from sp: up to the end of the mapping holding
 * sp (only the used part of the stack), at most max. RS_TF_USTACK_TRUNC in
 * *flags when the window is cut short; *end: the mapping's end, 0 if
 * unknown (always without bpf_find_vma(), Linux 5.17).
 */
static __always_inline __u64 ustack_window_max(struct task_struct *task, __u64 sp, __u64 max,
					       __u32 *flags, __u64 *end)
{
	struct vma_end_ctx c = {};

	if (!rs_have_helper(find_vma) || bpf_find_vma(task, sp, vma_end_cb, &c, 0))
		c.end = 0;
	*end = c.end;
	if (c.end > sp && c.end - sp <= max)
		return c.end - sp;
	*flags |= RS_TF_USTACK_TRUNC;
	return max;
}

/* The same, at most stack_bytes. */
static __always_inline __u64 ustack_window(struct task_struct *task, __u64 sp, __u32 *flags)
{
	__u64 end;

	return ustack_window_max(task, sp, stack_bytes, flags, &end);
}

/*
 * n, at most max and at most RS_USTACK_MAX, in a form every verifier bounds.
 * Left to itself clang compares the constant against n ("if 262144 > n"):
 * verifiers before Linux 6.8 cannot tell that such a branch is never taken
 * once n is known to be smaller, follow it, set n to the constant and then
 * refuse a copy larger than the destination (max, when it is stack_bytes,
 * is a constant the verifier knows). The asm keeps n on the left and the
 * limit an immediate.
 */
static __always_inline __u64 clamp_len(__u64 n, __u64 max)
{
	if (n > max)
		n = max;
	asm volatile("if %[n] <= %[lim] goto +1\n\t"
		     "%[n] = %[lim]"
		     : [n] "+r"(n)
		     : [lim] "i"(RS_USTACK_MAX));
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
		if (sleepable)
			e = bpf_copy_from_user_task(dst, n, (void *)sp, task, 0);
		else
			e = bpf_probe_read_user(dst, n, (void *)sp);
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
