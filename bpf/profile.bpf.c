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

#define RS_NR_COUNTERS RS_PCNT_MAX
#include "common.bpf.h"

#define TASK_INTERRUPTIBLE   0x0001
#define TASK_UNINTERRUPTIBLE 0x0002
#define EEXIST		     17
#define EBUSY		     16
#define RS_FP_WORDS	     32 /* user stack words hashed into a fingerprint */
#define RS_KSTACK_REUSE	     32 /* blocks that may reuse a kernel stack before it is taken again */
#define RS_CG_WALK	     8	/* cgroup levels switch_is_target walks up by loads */

/* Per-CPU scratch slots: contexts that may interrupt one another use their own. */
enum { SLOT_SWITCH = 0, SLOT_SAMPLE, SLOT_SLEEPABLE, SLOT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20); /* resized by the loader */
} records SEC(".maps");

/* The target cgroup (index 0), for bpf_current_task_under_cgroup(). */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} targ_cgrp SEC(".maps");

/* Kernel stacks, each stored once, keyed by a hash of their addresses. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rs_kstack);
} kstacks SEC(".maps");

struct rs_pscratch {
	struct rs_prof_rec rec;
	__u8 stack[RS_USTACK_MAX];
};

/* One scratch record per CPU (max_entries set to the CPU count by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_pscratch);
} sample_scratch SEC(".maps"), iter_scratch SEC(".maps");

struct rs_small_scratch {
	__u64 fp[RS_FP_WORDS];
	struct rs_kstack ks;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, struct rs_small_scratch);
} small_scratch SEC(".maps");

const volatile bool want_offcpu = false;
const volatile bool use_task_work = true;
const volatile __u64 min_block_ns = 0;
const volatile __u64 max_block_ns = 0; /* 0: no limit */
/* Set by the loader (.bss). */
__u64 win_start;  /* CLOCK_MONOTONIC of the current window's start */
__u32 agg_idx;	  /* agg0 or agg1 */
__u32 sweep_init; /* the iterator's pass: 1 at the start, 0 at a window end */

extern int bpf_task_work_schedule_resume_impl(struct task_struct *task, struct bpf_task_work *tw,
					      void *map__map, bpf_task_work_callback_t callback,
					      void *aux__prog) __ksym __weak;

static __always_inline bool is_blocked_state(__u32 state)
{
	return state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE);
}

/*
 * The target filter for the current task, which sched_switch's prev and a
 * perf sample's task are: one helper for the cgroup subtree, no pointer
 * chasing, as every switch on the machine pays for it.
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

/* Set by the loader when the target is exactly one process / thread. */
const volatile __u32 targ_tgid1 = 0;
const volatile __u32 targ_tid1 = 0;

/*
 * The target filter of sched_switch's prev and next. It runs twice on every
 * switch on the machine, so the common answer, "no", comes from direct loads
 * the JIT inlines: no helper call (on this class of machine, with retpolines
 * and safe-RET, a helper call costs as much as the rest of the program). A
 * hash lookup only when the target is several pids or tids.
 */
static __always_inline bool switch_is_target(struct task_struct *t)
{
	__u32 tid = t->pid, tgid = t->tgid;

	if (filter_tid &&
	    (targ_tid1 ? tid != targ_tid1 : !bpf_map_lookup_elem(&targ_tids, &tid)))
		return false;
	if (filter_tgid &&
	    (targ_tgid1 ? tgid != targ_tgid1 : !bpf_map_lookup_elem(&targ_tgids, &tgid)))
		return false;
	if (filter_cgroup) {
		struct cgroup *cg = t->cgroups->dfl_cgrp;
		int i, up;

		if (!cg)
			return false;
		/* Up to the target's level by parent links: cgroup->ancestors[] takes a
		 * constant index only; a subtree deeper than RS_CG_WALK below the target
		 * takes the helper path. */
		up = cg->level - (int)targ_cglevel;
		if (up < 0)
			return false;
		if (up > RS_CG_WALK)
			return in_target_cgroup(t);
		for (i = 0; i < RS_CG_WALK && i < up; i++) {
			struct cgroup_subsys_state *p = cg->self.parent;

			if (!p)
				return false;
			cg = p->cgroup;
			if (!cg)
				return false;
		}
		return cg->kn->id == targ_cgid;
	}
	return true;
}

static __always_inline __u64 hash_mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static __always_inline struct rs_small_scratch *small(__u32 slot)
{
	return bpf_map_lookup_elem(&small_scratch, &slot);
}

/*
 * Stores the kernel stack in b (n bytes from bpf_get_*stack) in the kstacks
 * map once and returns its key; 0 when there is none or no room (counted).
 */
static __always_inline __u64 keep_kstack(struct rs_kstack *b, long n)
{
	__u64 h = 0xcbf29ce484222325ULL;
	long e;

	if (n <= 0) {
		if (n < 0)
			count(RS_CNT_KSTACK_FAIL);
		return 0;
	}
	for (int i = 0; i < RS_KSTACK_MAX; i++) {
		if (i * 8 >= n) {
			b->ip[i] = 0; /* zero-padded: equal stacks, equal values */
			continue;
		}
		h = hash_mix(h, b->ip[i]);
	}
	h = h ? h : 1;
	if (bpf_map_lookup_elem(&kstacks, &h))
		return h;
	e = bpf_map_update_elem(&kstacks, &h, b, BPF_NOEXIST);
	if (e && e != -EEXIST) { /* EEXIST: stored meanwhile by another CPU */
		count(RS_PCNT_KSTACK_FULL);
		return 0;
	}
	return h;
}

/* The kernel stack of task (not running: its frozen stack), stored; its key. */
static __always_inline __u64 task_kstack(struct task_struct *task, __u32 slot)
{
	struct rs_small_scratch *s = small(slot);

	if (!want_kstack || !s)
		return 0;
	return keep_kstack(&s->ks, bpf_get_task_stack(task, s->ks.ip, sizeof(s->ks.ip), 0));
}

static __always_inline void fill_ids(struct rs_prof_rec *rec, __u32 type, struct task_struct *task)
{
	rec->type = type;
	rec->tgid = task->tgid;
	rec->tid = task->pid;
	rec->time_ns = bpf_ktime_get_ns();
	BPF_CORE_READ_STR_INTO(&rec->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&rec->pcomm, task, group_leader, comm);
	if (task->flags & PF_KTHREAD)
		rec->flags |= RS_TF_KTHREAD;
}

/* A per-CPU scratch record: programs run with migration disabled. */
static __always_inline struct rs_pscratch *scratch(void *map)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(map, &cpu);
}

/*
 * Wake the reader only when the ring buffer is a quarter full: it polls
 * every 100 ms anyway, and a wake-up costs an interrupt per record (an
 * irq_work self-IPI), which virtual machines pay dearly for.
 */
static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) >
		       bpf_ringbuf_query(&records, BPF_RB_RING_SIZE) / 4
		   ? BPF_RB_FORCE_WAKEUP
		   : BPF_RB_NO_WAKEUP;
}

/* Streams rec and the stack bytes after it; false (counted) when the ring buffer is full. */
static __always_inline bool emit(struct rs_prof_rec *rec)
{
	__u64 len = sizeof(*rec) + rec->ustack_len;

	if (len > sizeof(*rec) + RS_USTACK_MAX)
		len = sizeof(*rec) + RS_USTACK_MAX;
	if (!bpf_ringbuf_output(&records, rec, len, rb_flags()))
		return true;
	count(rec->type == RS_PREC_SAMPLE ? RS_PCNT_SAMPLE_LOST : RS_CNT_RINGBUF_FULL);
	return false;
}

#include "offcpu.bpf.h"

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
		if (bpf_find_vma(task, sp, vma_range_cb, &r, 0) || r.hi <= sp) {
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
	struct rs_small_scratch *ks;
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
	user_mode = (*(__u64 *)&ctx->regs.cs & 3) == 3;
	if (!user_mode && want_kstack && (ks = small(SLOT_SAMPLE)))
		rec->kstack =
		    keep_kstack(&ks->ks, bpf_get_stack(ctx, ks->ks.ip, sizeof(ks->ks.ip), 0));
	if (task->flags & (PF_KTHREAD | PF_EXITING)) {
		emit(rec);
		return 0;
	}
	if (user_mode) {
		/* Interrupted in user mode: the sample's registers are the live user state. */
		rec->flags |= RS_TF_USER_MODE | RS_TF_REGS;
		ASSIGN_REGS(&rec->regs, ctx->regs);
		rec->regs.orig_ax = (__u64)-1;
	} else if (copy_saved_regs(&rec->regs, task)) {
		rec->flags |= RS_TF_REGS;
	}
	if (rec->flags & RS_TF_REGS)
		rec->ustack_len = copy_ustack_n(s->stack, rec->regs.sp,
						sample_window(task, rec->regs.sp, &rec->flags),
						task, false, &rec->flags, &rec->ustack_err);
	emit(rec);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = 0;

	switch_out(prev, preempt ? 0 : prev_state, &now);
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

SEC("iter.s/task")
int sweep(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct rs_tstate *st;

	if (!task || !want_offcpu)
		return 0;
	if (sweep_init) {
		adopt_blocked(task);
		return 0;
	}
	st = bpf_task_storage_get(&tstate, task, 0, 0);
	if (st && is_target(task))
		charge_still_blocked(task, st);
	return 0;
}
