/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user registers of a task: the architecture's register specifics
 * (bpf/arch/<arch>.bpf.h) and the saved registers of a task that is not
 * running in user mode now.
 */
#ifndef RS_REGS_BPF_H
#define RS_REGS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"
#include "compat.bpf.h"

#if defined(__TARGET_ARCH_x86)
#include "arch/x86.bpf.h"
#else
#error "rsample: no bpf/arch/<arch>.bpf.h for this __TARGET_ARCH"
#endif

/*
 * The user registers saved at the task's last kernel entry; false when
 * unreadable or the kernel lacks bpf_task_pt_regs() (Linux 5.15).
 */
static __always_inline bool copy_saved_regs(struct rs_regs *r, struct task_struct *task)
{
	struct pt_regs p;

	if (!rs_have_helper(task_pt_regs))
		return false;
	if (bpf_probe_read_kernel(&p, sizeof(p), (void *)bpf_task_pt_regs(task)))
		return false;
	rs_regs_from_pt_regs(r, &p);
	return true;
}

/* Instruction, stack and frame pointer of the task's saved user registers (0 if unknown). */
static __always_inline void saved_ip_sp_fp(struct task_struct *task, __u64 *ip, __u64 *sp,
					   __u64 *fp)
{
	*ip = *sp = *fp = 0;
	if (!rs_have_helper(task_pt_regs))
		return;
	rs_pt_regs_ip_sp_fp((struct pt_regs *)bpf_task_pt_regs(task), ip, sp, fp);
}

#endif /* RS_REGS_BPF_H */
