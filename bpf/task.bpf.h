/* SPDX-License-Identifier: GPL-2.0 */
/* Facts of a task_struct that hold across kernel versions: flags, state, run-queue clock. */
#ifndef RS_TASK_BPF_H
#define RS_TASK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* From include/linux/sched.h (#defines, not in BTF). */
#define PF_EXITING	     0x00000004
#define PF_KTHREAD	     0x00200000
#define TASK_INTERRUPTIBLE   0x0001
#define TASK_UNINTERRUPTIBLE 0x0002

/* Before Linux 5.14 the state was a long named state (now unsigned int __state). */
struct task_struct___rs_state {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___rs_state *)task, state);
}

/*
 * The same by direct loads, no helper call: for pointers the verifier
 * trusts (tracepoint arguments, iterator tasks, bpf_get_current_task_btf()).
 */
static __always_inline __u32 task_state_btf(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return task->__state;
	return ((struct task_struct___rs_state *)task)->state;
}

static __always_inline bool is_blocked_state(__u32 state)
{
	return state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE);
}

/*
 * The clock of the run queue task last ran on (sched_info.last_arrival's
 * base), reached through its scheduling entity: the per-CPU runqueues
 * symbol is not in every kallsyms. For the current task it is at most a
 * tick old.
 */
static __always_inline __u64 task_rq_clock(struct task_struct *task)
{
	return BPF_CORE_READ(task, se.cfs_rq, rq, clock);
}

#endif /* RS_TASK_BPF_H */
