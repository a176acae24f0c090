// SPDX-License-Identifier: GPL-2.0
/*
 * Thread snapshot without stopping anything.
 *
 * dump_task: a sleepable task iterator. For every task of the target (a set of
 * tgids, a set of tids, or a cgroup v2 subtree, tested first) it streams one
 * rs_task_rec with the saved user registers, a copy of the user stack, the
 * kernel stack and the scheduler facts the report needs.
 *
 * sample_oncpu: a perf_event program on per-thread cpu-clock events. A task
 * that was running when the iterator saw it has stale saved registers, so the
 * loader asks for it here and it is captured once, in its own context.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} records SEC(".maps");

/* Target sets; which one applies is chosen by the filter_* flags below. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} targ_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targ_tids SEC(".maps");

/* Threads the loader wants captured by sample_oncpu; an entry is removed once taken. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} want_oncpu SEC(".maps");

struct rs_scratch {
	struct rs_task_rec rec;
	__u8 stack[RS_USTACK_MAX];
};

/* One scratch record per CPU (max_entries set to the CPU count by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_scratch);
} iter_scratch SEC(".maps"), perf_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

const volatile bool filter_tgid = false;
const volatile bool filter_tid = false;
const volatile bool filter_cgroup = false;
const volatile __u64 targ_cgid = 0;
const volatile __u32 targ_cglevel = 0;
const volatile __u32 stack_bytes = RS_USTACK_DEFAULT;
const volatile bool want_kstack = true;
/* Set by the loader between passes, so it lives in .bss, not .rodata. */
bool retry_mode = false;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* cgroup v2 subtree test: is the task's cgroup, or one of its ancestors, the target? */
static __always_inline bool in_target_cgroup(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	struct cgroup *anc = NULL;
	int level = BPF_CORE_READ(cg, level);

	if (level < (int)targ_cglevel)
		return false;
	if (bpf_core_read(&anc, sizeof(anc), &cg->ancestors[targ_cglevel]))
		return false;
	return BPF_CORE_READ(anc, kn, id) == targ_cgid;
}

static __always_inline bool is_target(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 tid = BPF_CORE_READ(task, pid);

	if (filter_tid && !bpf_map_lookup_elem(&targ_tids, &tid))
		return false;
	if (filter_tgid && !bpf_map_lookup_elem(&targ_tgids, &tgid))
		return false;
	if (filter_cgroup && !in_target_cgroup(task))
		return false;
	return true;
}

/* The id of a struct pid in the namespace it was allocated in (the task's own view). */
static __always_inline __u32 ns_nr(struct pid *pid, __u32 *ns_ino)
{
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	if (ns_ino)
		*ns_ino = BPF_CORE_READ(up.ns, ns.inum);
	return up.nr;
}

/* Field by field, so the same code serves a kernel copy and the perf context. */
#define ASSIGN_REGS(r, p)                                                                          \
	do {                                                                                       \
		(r)->ip = (p).ip;                                                                  \
		(r)->sp = (p).sp;                                                                  \
		(r)->bp = (p).bp;                                                                  \
		(r)->bx = (p).bx;                                                                  \
		(r)->ax = (p).ax;                                                                  \
		(r)->cx = (p).cx;                                                                  \
		(r)->dx = (p).dx;                                                                  \
		(r)->si = (p).si;                                                                  \
		(r)->di = (p).di;                                                                  \
		(r)->r8 = (p).r8;                                                                  \
		(r)->r9 = (p).r9;                                                                  \
		(r)->r10 = (p).r10;                                                                \
		(r)->r11 = (p).r11;                                                                \
		(r)->r12 = (p).r12;                                                                \
		(r)->r13 = (p).r13;                                                                \
		(r)->r14 = (p).r14;                                                                \
		(r)->r15 = (p).r15;                                                                \
		(r)->orig_ax = (p).orig_ax;                                                        \
		(r)->flags = (p).flags;                                                            \
		(r)->cs = *(__u64 *)&(p).cs; /* 8-byte load: cs is a union on newer kernels */    \
	} while (0)

/* The user registers saved at the task's last kernel entry. */
static __always_inline void copy_saved_regs(struct rs_regs *r, struct task_struct *task)
{
	struct pt_regs p;

	if (bpf_probe_read_kernel(&p, sizeof(p), (void *)bpf_task_pt_regs(task)))
		return;
	ASSIGN_REGS(r, p);
}

/* Everything that does not depend on the context the task is captured in. */
static __always_inline void fill_task(struct rs_task_rec *rec, struct task_struct *task)
{
	struct task_struct *self = bpf_get_current_task_btf();
	__u32 flags = BPF_CORE_READ(task, flags);

	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->tid = BPF_CORE_READ(task, pid);
	rec->ns_tid = ns_nr(BPF_CORE_READ(task, thread_pid), &rec->pidns_ino);
	rec->ns_tgid = ns_nr(BPF_CORE_READ(task, group_leader, thread_pid), NULL);
	rec->mntns_ino = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	rec->state = BPF_CORE_READ(task, __state);
	rec->exit_state = BPF_CORE_READ(task, exit_state);
	rec->cpu = BPF_CORE_READ(task, thread_info.cpu);
	rec->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	/*
	 * "Now" on the clock sched_info.last_arrival uses: the clock of the run
	 * queue this program runs on (reached through our own scheduling entity;
	 * the per-CPU runqueues symbol is not in every kallsyms). It is at most a
	 * tick old, since this CPU is busy running us.
	 */
	rec->now_ns = BPF_CORE_READ(self, se.cfs_rq, rq, clock);
	rec->last_arrival_ns = BPF_CORE_READ(task, sched_info.last_arrival);
	rec->sum_exec_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
	rec->prev_sum_exec_ns = BPF_CORE_READ(task, se.prev_sum_exec_runtime);
	rec->nvcsw = BPF_CORE_READ(task, nvcsw);
	rec->nivcsw = BPF_CORE_READ(task, nivcsw);
	rec->start_boottime_ns = BPF_CORE_READ(task, start_boottime);
	rec->capture_ktime_ns = bpf_ktime_get_ns();
	BPF_CORE_READ_STR_INTO(&rec->comm, task, comm);
	if (flags & PF_KTHREAD)
		rec->flags |= RS_TF_KTHREAD;
	if (flags & PF_EXITING)
		rec->flags |= RS_TF_EXITING;
}

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
 * Copies the user stack from sp up to the end of its mapping (at most
 * stack_bytes). A copy that faults leaves nothing usable, so a failure is
 * retried with smaller windows. The iterator may sleep on the target's page
 * faults; the perf program runs in interrupt context and cannot.
 */
static __always_inline void copy_ustack(struct rs_task_rec *rec, struct task_struct *task,
					bool sleepable)
{
	struct vma_end_ctx c = {};
	__u8 *dst = (__u8 *)(rec + 1);
	__u64 sp = rec->regs.sp;
	__u64 n = stack_bytes;
	long err = 0;

	if (!bpf_find_vma(task, sp, vma_end_cb, &c, 0) && c.end > sp && c.end - sp <= n)
		n = c.end - sp;
	else
		rec->flags |= RS_TF_USTACK_TRUNC;

	for (int i = 0; i < 6 && n >= 256; i++) {
		if (n > RS_USTACK_MAX)
			n = RS_USTACK_MAX;
		if (sleepable)
			err = bpf_copy_from_user_task(dst, n, (void *)sp, task, 0);
		else
			err = bpf_probe_read_user(dst, n, (void *)sp);
		if (!err) {
			rec->ustack_len = n;
			return;
		}
		rec->flags |= RS_TF_USTACK_TRUNC;
		n /= 2;
	}
	rec->ustack_err = err;
	count(RS_CNT_USTACK_FAIL);
}

/* A per-CPU scratch record: programs run with migration disabled. */
static __always_inline struct rs_task_rec *scratch_rec(void *map)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(map, &cpu);
}

static __always_inline void emit(struct rs_task_rec *rec)
{
	__u64 len = sizeof(*rec) + rec->ustack_len;

	if (len > sizeof(*rec) + RS_USTACK_MAX)
		len = sizeof(*rec) + RS_USTACK_MAX;
	if (bpf_ringbuf_output(&records, rec, len, 0))
		count(RS_CNT_RINGBUF_FULL);
}

SEC("iter.s/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct rs_task_rec *rec;
	__u32 tid;
	long err;

	if (!task)
		return 0;
	if (retry_mode) {
		/* Second pass for on-CPU threads the perf sample did not catch. */
		tid = BPF_CORE_READ(task, pid);
		if (bpf_map_delete_elem(&want_oncpu, &tid))
			return 0;
	} else if (!is_target(task)) {
		return 0;
	}
	count(RS_CNT_TASKS_SEEN);

	rec = scratch_rec(&iter_scratch);
	if (!rec)
		return 0;
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_task(rec, task);
	if (BPF_CORE_READ(task, on_cpu))
		rec->flags |= RS_TF_ON_CPU;

	if (want_kstack) {
		err = bpf_get_task_stack(task, rec->kstack, sizeof(rec->kstack), 0);
		if (err < 0) {
			rec->kstack_err = err;
			count(RS_CNT_KSTACK_FAIL);
		} else {
			rec->kstack_len = err / sizeof(__u64);
		}
	}
	if (!(rec->flags & (RS_TF_KTHREAD | RS_TF_EXITING))) {
		copy_saved_regs(&rec->regs, task);
		rec->flags |= RS_TF_REGS;
		copy_ustack(rec, task, true);
	}
	emit(rec);
	return 0;
}

SEC("perf_event")
int sample_oncpu(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct rs_task_rec *rec;
	__u32 tid = task->pid;
	long err;

	/* Only the first sample of a wanted thread counts. */
	if (bpf_map_delete_elem(&want_oncpu, &tid))
		return 0;

	rec = scratch_rec(&perf_scratch);
	if (!rec)
		return 0;
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_task(rec, task);
	rec->flags |= RS_TF_ON_CPU | RS_TF_FROM_PERF;
	count(RS_CNT_PERF_SAMPLES);

	if ((*(__u64 *)&ctx->regs.cs & 3) == 3) {
		/* Interrupted in user mode: the sample's registers are the live user state. */
		rec->flags |= RS_TF_USER_MODE;
		ASSIGN_REGS(&rec->regs, ctx->regs);
		rec->regs.orig_ax = (__u64)-1;
	} else {
		copy_saved_regs(&rec->regs, task);
		if (want_kstack) {
			err = bpf_get_stack(ctx, rec->kstack, sizeof(rec->kstack), 0);
			if (err < 0) {
				rec->kstack_err = err;
				count(RS_CNT_KSTACK_FAIL);
			} else {
				rec->kstack_len = err / sizeof(__u64);
			}
		}
	}
	rec->flags |= RS_TF_REGS;
	copy_ustack(rec, task, false);
	emit(rec);
	return 0;
}
