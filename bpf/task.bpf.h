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

/*
 * task->blocker (Linux 6.16, CONFIG_DETECT_HUNG_TASK_BLOCKER): the lock a
 * D-state task blocks on, its type in the low 2 bits (include/linux/hung_task.h).
 */
struct task_struct___rs_blocker {
	unsigned long blocker;
} __attribute__((preserve_access_index));

#define RS_BLOCKER_TYPE_MASK  0x03UL
#define RS_BLOCKER_TYPE_MUTEX 0x00UL
#define RS_BLOCKER_TYPE_SEM   0x01UL /* a semaphore records no owner */
#define RS_LOCK_OWNER_FLAGS   0x07UL /* flag bits of mutex.owner and rw_semaphore.owner */
#define RS_RWSEM_READER_OWNED 0x01UL /* owner is then only a hint: readers hold it */

/*
 * The lock task blocks on (task->blocker; false where the kernel has no such
 * field) and, for a mutex or a writer-held rwsem (types 2 and 3: waiting to
 * read, to write), the host tid of its owner (0 when none is recorded).
 */
static __always_inline bool task_blocker(struct task_struct *task, __u64 *blocker, __u32 *owner)
{
	struct task_struct___rs_blocker *t = (void *)task;
	unsigned long b, lock, o = 0;
	struct task_struct *ot;

	*owner = 0;
	if (!bpf_core_field_exists(t->blocker))
		return false;
	b = BPF_CORE_READ(t, blocker);
	*blocker = b;
	lock = b & ~RS_BLOCKER_TYPE_MASK;
	if (!lock)
		return true;
	if ((b & RS_BLOCKER_TYPE_MASK) == RS_BLOCKER_TYPE_MUTEX) {
		o = BPF_CORE_READ((struct mutex *)lock, owner.counter);
	} else if ((b & RS_BLOCKER_TYPE_MASK) != RS_BLOCKER_TYPE_SEM) {
		o = BPF_CORE_READ((struct rw_semaphore *)lock, owner.counter);
		if (o & RS_RWSEM_READER_OWNED)
			o = 0;
	}
	ot = (struct task_struct *)(o & ~RS_LOCK_OWNER_FLAGS);
	if (ot)
		*owner = BPF_CORE_READ(ot, pid);
	return true;
}

#endif /* RS_TASK_BPF_H */
