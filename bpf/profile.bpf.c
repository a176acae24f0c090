// SPDX-License-Identifier: GPL-2.0
/*
 * rsample profile: on-CPU samples and off-CPU blocked time of a target.
 *
 * oncpu (perf_event, software cpu-clock on every CPU): a sample of a target
 * thread streams its kernel stack key, its user registers and the used part
 * of its user stack (RS_PREC_SAMPLE); user space unwinds it.
 *
 * on_switch (tp_btf/sched_switch): a target thread that leaves the CPU
 * blocked (S or D) notes when, its user ip/sp/bp and a fingerprint of the top
 * of its user stack, in task storage: a few loads and a 256-byte read. When
 * it comes back after at least --min-block, its kernel stack is taken (it is
 * still the one it blocked with) and the time since it was last charged is
 * summed in the kernel per (thread, kernel stack, state, fingerprint) in
 * agg0/agg1 (one per window, swapped by the loader). Nothing is streamed per
 * block: the user stack of a fingerprint is captured once, lazily, in the
 * thread's own context when it next returns to user space (a bpf_task_work
 * callback; tp_btf/sys_exit on kernels without it), while its user stack is
 * still the one it blocked with.
 *
 * sweep (iter.s/task): at the start, threads already blocked get state (with
 * an estimated start); at each window end, threads still blocked are charged
 * the time up to the window end, with their stacks (RS_PREC_BLOCK). The
 * charge cursor moves by xchg/cmpxchg, so a block is never charged twice.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"

char LICENSE[] SEC("license") = "GPL";

#include "compat.bpf.h"
#include "config.bpf.h"
#include "counters.bpf.h"
#include "kstack.bpf.h"
#include "offcpu.bpf.h"
#include "prof_records.bpf.h"
#include "regs.bpf.h"
#include "scratch.bpf.h"
#include "target.bpf.h"
#include "task.bpf.h"
#include "tstate.bpf.h"
#include "ustack.bpf.h"

/* The target cgroup (index 0), for bpf_current_task_under_cgroup(). */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} targ_cgrp SEC(".maps");

/* The on-CPU sample's record scratch (max_entries set to the CPU count by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_pscratch);
} sample_scratch SEC(".maps");

/*
 * The target filter for the current task, which a perf sample's task is:
 * one helper for the cgroup subtree, no pointer chasing.
 */
static __always_inline bool current_is_target(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	if (filter_tid && !bpf_map_lookup_elem(&targ_tids, &tid))
		return false;
	if (filter_tgid && !bpf_map_lookup_elem(&targ_tgids, &tgid))
		return false;
	if (filter_cgroup && bpf_current_task_under_cgroup(&targ_cgrp, 0) != 1)
		return false;
	return true;
}

struct vma_range {
	__u64 lo, hi;
};

static long vma_range_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_range *r = data;

	r->lo = BPF_CORE_READ(vma, vm_start);
	r->hi = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/*
 * ustack_window() for the sampled (current) task, remembering its stack
 * mapping in task storage: bpf_find_vma() from interrupt context releases
 * the mmap lock through an irq_work, a self-interrupt per sample.
 */
static __always_inline __u64 sample_window(struct task_struct *task, __u64 sp, __u32 *flags)
{
	struct rs_tstate *st =
	    bpf_task_storage_get(&tstate, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct vma_range r = {};

	if (!st)
		return ustack_window(task, sp, flags);
	if (sp < st->stk_lo || sp >= st->stk_hi) {
		if (!rs_have_helper(find_vma) || bpf_find_vma(task, sp, vma_range_cb, &r, 0) ||
		    r.hi <= sp) {
			*flags |= RS_TF_USTACK_TRUNC;
			return stack_bytes;
		}
		st->stk_lo = r.lo;
		st->stk_hi = r.hi;
	}
	if (st->stk_hi - sp > stack_bytes) {
		*flags |= RS_TF_USTACK_TRUNC;
		return stack_bytes;
	}
	return st->stk_hi - sp;
}

SEC("perf_event")
int oncpu(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task;
	struct rs_pscratch *s;
	struct rs_prof_rec *rec;
	bool user_mode;

	if (!current_is_target())
		return 0;
	task = bpf_get_current_task_btf();
	count(RS_PCNT_SAMPLES);
	s = scratch(&sample_scratch);
	if (!s)
		return 0;
	rec = &s->rec;
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_ids(rec, RS_PREC_SAMPLE, task);
	user_mode = rs_pt_regs_user_mode((struct pt_regs *)&ctx->regs);
	if (!user_mode && want_kstack)
		rec->kstack =
		    keep_kstack(&s->ks, bpf_get_stack(ctx, s->ks.ip, sizeof(s->ks.ip), 0));
	if (task->flags & (PF_KTHREAD | PF_EXITING)) {
		emit(rec);
		return 0;
	}
	if (user_mode) {
		/* Interrupted in user mode: the sample's registers are the live user state. */
		rec->flags |= RS_TF_USER_MODE | RS_TF_REGS;
		rs_regs_from_pt_regs(&rec->regs, (struct pt_regs *)&ctx->regs);
		rs_regs_set_no_syscall(&rec->regs);
	} else if (copy_saved_regs(&rec->regs, task)) {
		rec->flags |= RS_TF_REGS;
	}
	if (rec->flags & RS_TF_REGS) {
		__u64 sp = rs_regs_sp(&rec->regs);

		rec->ustack_len = copy_ustack_n(s->stack, sp, sample_window(task, sp, &rec->flags),
						task, false, &rec->flags, &rec->ustack_err);
	}
	emit(rec);
	return 0;
}

/*
 * sched_switch(preempt, prev, next[, prev_state]): not BPF_PROG(), which
 * would load prev_state from the context on kernels without it too.
 */
SEC("tp_btf/sched_switch")
int on_switch(__u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *next = (struct task_struct *)ctx[2];
	__u32 state = 0;
	__u64 now = 0;

	if (!ctx[0]) /* a preempted task is runnable, whatever its state says */
		state = switch_has_prev_state ? (__u32)ctx[3] : task_state_btf(prev);
	switch_out(prev, state, &now);
	switch_in(next, &now);
	return 0;
}

/* Fallback for kernels without bpf_task_work: capture at the blocking syscall's exit. */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct rs_tstate *st = bpf_task_storage_get(&tstate, task, 0, 0);

	if (!st || !st->want_capture)
		return 0;
	st->want_capture = 0;
	capture_ustack(st->ufp, st->uip, st->usp, false);
	return 0;
}

/* A thread that exits drops its capture slot. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tid;

	if (!bpf_task_storage_get(&tstate, p, 0, 0))
		return 0;
	tid = p->pid;
	bpf_map_delete_elem(&uwork, &tid);
	return 0;
}

static __always_inline int sweep_task(struct bpf_iter__task *ctx, bool sleepable)
{
	struct task_struct *task = ctx->task;
	struct rs_tstate *st;

	if (!task || !want_offcpu)
		return 0;
	if (sweep_init) {
		adopt_blocked(task, sleepable);
		return 0;
	}
	st = bpf_task_storage_get(&tstate, task, 0, 0);
	if (st && is_target(task))
		charge_still_blocked(task, st, sleepable);
	return 0;
}

SEC("iter.s/task")
int sweep(struct bpf_iter__task *ctx)
{
	return sweep_task(ctx, true);
}

/*
 * For kernels without sleepable task iterators (before Linux 5.18): no user
 * stack of other tasks; the loader picks one.
 */
SEC("iter/task")
int sweep_nosleep(struct bpf_iter__task *ctx)
{
	return sweep_task(ctx, false);
}
