/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Off-CPU accounting of bpf/profile.bpf.c (see there): the target filter of
 * sched_switch, user stack fingerprints, the in-kernel sums, lazy user stack
 * captures and the window-end sweep. The programs that call it are in
 * profile.bpf.c; the loader configures it through the flags below.
 */
#ifndef RS_OFFCPU_BPF_H
#define RS_OFFCPU_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "counters.bpf.h"
#include "fingerprint.bpf.h"
#include "kstack.bpf.h"
#include "prof_records.bpf.h"
#include "regs.bpf.h"
#include "scratch.bpf.h"
#include "target.bpf.h"
#include "task.bpf.h"
#include "tstate.bpf.h"
#include "ustack.bpf.h"

#define RS_EBUSY	16
#define RS_KSTACK_REUSE 32 /* blocks that may reuse a kernel stack before it is taken again */
#define RS_CG_WALK	8  /* cgroup levels switch_is_target walks up by loads */

const volatile bool want_offcpu = false;
/* Capture user stacks with bpf_task_work (Linux 6.18), else at tp_btf/sys_exit. */
const volatile bool use_task_work = true;
/* sched_switch has its prev_state argument (Linux 5.18); else prev's state is read. */
const volatile bool switch_has_prev_state = true;
const volatile __u64 min_block_ns = 0;
const volatile __u64 max_block_ns = 0; /* 0: no limit */
/* Set by the loader when the target is exactly one process / thread. */
const volatile __u32 targ_tgid1 = 0;
const volatile __u32 targ_tid1 = 0;
/* Set by the loader (.bss). */
__u64 win_start;  /* CLOCK_MONOTONIC of the current window's start */
__u32 agg_idx;	  /* agg0 or agg1 */
__u32 sweep_init; /* the iterator's pass: 1 at the start, 0 at a window end */

/* The sweep's record scratch (max_entries set to the CPU count by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_pscratch);
} iter_scratch SEC(".maps");

/* sched_switch's scratch: a kernel stack and fingerprint words (one per CPU, as above). */
struct rs_switch_scratch {
	struct rs_kstack ks;
	__u64 fp[RS_FP_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_switch_scratch);
} switch_scratch SEC(".maps");

/* Lazy user stack captures, one per thread (bpf_task_work lives in a map value). */
struct rs_uwork {
	struct bpf_task_work tw;
	__u64 ufp, uip, usp;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct rs_uwork);
} uwork SEC(".maps");

/* Fingerprints whose user stack user space holds; it deletes those it forgets. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} useen SEC(".maps");

/* Off-CPU time of the current window (agg_idx) and of the one being read. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rs_off_key);
	__type(value, struct rs_off_val);
} agg0 SEC(".maps"), agg1 SEC(".maps");

extern int bpf_task_work_schedule_resume_impl(struct task_struct *task, struct bpf_task_work *tw,
					      void *map__map, bpf_task_work_callback_t callback,
					      void *aux__prog) __ksym __weak;

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

	if (filter_tid && (targ_tid1 ? tid != targ_tid1 : !bpf_map_lookup_elem(&targ_tids, &tid)))
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

/*
 * Fills st's user part: registers and fingerprint. The user stack is read
 * from the task's own context (sched_switch's prev), or from a sleepable
 * program (any task).
 */
static __always_inline void set_user(struct rs_tstate *st, struct task_struct *task, __u64 *words,
				     bool sleepable)
{
	long e = -1;

	st->uip = st->usp = st->ubp = st->ufp = 0;
	if (task->flags & (PF_KTHREAD | PF_EXITING))
		return;
	saved_ip_sp_fp(task, &st->uip, &st->usp, &st->ubp);
	if (words) {
		if (!sleepable)
			e = bpf_probe_read_user(words, RS_FP_WORDS * 8, (void *)st->usp);
		else if (rs_have_helper(copy_from_user_task))
			e = bpf_copy_from_user_task(words, RS_FP_WORDS * 8, (void *)st->usp, task,
						    0);
	}
	st->ufp = fingerprint(task->tgid, task->pid, st->uip, st->usp, st->ubp, e ? NULL : words);
}

/* Adds ns of blocked time to the current window's sum for (thread, stacks, state). */
static __always_inline void charge(struct task_struct *task, struct rs_tstate *st, __u64 kstack,
				   __u64 ns)
{
	struct rs_off_key k = {
		.tgid = task->tgid,
		.tid = task->pid,
		.state = st->state,
		.kstack = kstack,
		.ufp = st->ufp,
	};
	struct rs_off_val *v, nv = { .ns = ns, .count = 1 };
	bool one = agg_idx & 1;
	long e;

	v = one ? bpf_map_lookup_elem(&agg1, &k) : bpf_map_lookup_elem(&agg0, &k);
	if (v) {
		__sync_fetch_and_add(&v->ns, ns);
		__sync_fetch_and_add(&v->count, 1);
		count(RS_PCNT_BLOCKS);
		return;
	}
	BPF_CORE_READ_STR_INTO(&nv.comm, task, comm);
	BPF_CORE_READ_STR_INTO(&nv.pcomm, task, group_leader, comm);
	e = one ? bpf_map_update_elem(&agg1, &k, &nv, BPF_NOEXIST)
		: bpf_map_update_elem(&agg0, &k, &nv, BPF_NOEXIST);
	if (e) {
		count(RS_PCNT_AGG_FULL);
		count_n(RS_PCNT_AGG_FULL_NS, ns);
		return;
	}
	count(RS_PCNT_BLOCKS);
}

/*
 * Streams the user stack of fingerprint ufp from the current task's own
 * context, if its user registers are still those it blocked with.
 */
static __always_inline void capture_ustack(__u64 ufp, __u64 uip, __u64 usp, bool sleepable)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct rs_prof_rec *rec;
	__u64 ip, sp, bp;
	__u32 len;
	__u8 one = 1;

	saved_ip_sp_fp(task, &ip, &sp, &bp);
	if (ip != uip || sp != usp) {
		count(RS_PCNT_CAPTURE_MOVED);
		return;
	}
	rec = bpf_ringbuf_reserve(&records, sizeof(*rec) + stack_bytes, 0);
	if (!rec) {
		count(RS_CNT_RINGBUF_FULL);
		return;
	}
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_ids(rec, RS_PREC_USTACK, task);
	rec->ufp = ufp;
	if (copy_saved_regs(&rec->regs, task))
		rec->flags |= RS_TF_REGS;
	len = copy_ustack(rec + 1, sp, task, sleepable, &rec->flags, &rec->ustack_err);
	rec->ustack_len = len;
	bpf_ringbuf_submit(rec, rb_flags());
	count(RS_PCNT_CAPTURES);
	/* A copy that failed is asked for again by the next block of the same fingerprint. */
	if (len)
		bpf_map_update_elem(&useen, &ufp, &one, BPF_ANY);
}

/* bpf_task_work callback: runs in the thread's context on its way back to user space. */
static int capture_cb(struct bpf_map *map, void *key, void *value)
{
	struct rs_uwork *w = value;

	capture_ustack(w->ufp, w->uip, w->usp, true);
	return 0;
}

/* Asks for the user stack of st->ufp unless user space has it already. */
static __always_inline void want_ustack(struct task_struct *task, struct rs_tstate *st)
{
	struct rs_uwork *w, zero = {};
	__u32 tid;
	int e;

	if (!st->ufp || bpf_map_lookup_elem(&useen, &st->ufp))
		return;
	if (!use_task_work) {
		st->want_capture = 1;
		return;
	}
	tid = task->pid;
	w = bpf_map_lookup_elem(&uwork, &tid);
	if (!w) {
		bpf_map_update_elem(&uwork, &tid, &zero, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&uwork, &tid);
		if (!w) {
			count(RS_PCNT_CAPTURE_FAIL);
			return;
		}
	}
	w->ufp = st->ufp;
	w->uip = st->uip;
	w->usp = st->usp;
	e = bpf_task_work_schedule_resume_impl(task, &w->tw, &uwork, capture_cb, NULL);
	if (e && e != -RS_EBUSY)
		count(RS_PCNT_CAPTURE_FAIL);
}

/* Whether a whole block of total ns passes --min-block and --max-block. */
static __always_inline bool block_wanted(__u64 total)
{
	return total >= min_block_ns && (!max_block_ns || total <= max_block_ns);
}

/* The time of this switch, read once and only for target threads. */
static __always_inline __u64 switch_time(__u64 *now)
{
	if (!*now)
		*now = bpf_ktime_get_ns();
	return *now;
}

/* next is coming back: its block [off_ts, now) is charged from the cursor on. */
static __always_inline void switch_in(struct task_struct *next, __u64 *nowp)
{
	struct rs_tstate *st;
	__u64 off, from, now;

	if (!switch_is_target(next))
		return;
	st = bpf_task_storage_get(&tstate, next, 0, 0);
	if (!st || !st->off_ts)
		return;
	now = switch_time(nowp);
	off = st->off_ts;
	st->off_ts = 0;
	from = __sync_lock_test_and_set(&st->cursor, now);
	if (!block_wanted(now - off) || now <= from)
		return;
	/*
	 * Only now, for a block that counts: its kernel stack is still the one
	 * it blocked with. A thread that blocks again and again from the same
	 * user stack blocks in the same kernel path: walk its stack only every
	 * RS_KSTACK_REUSE blocks.
	 */
	if (!st->kstack || st->kstack_ufp != st->ufp || ++st->kstack_reuse >= RS_KSTACK_REUSE) {
		struct rs_switch_scratch *b = scratch(&switch_scratch);

		st->kstack = task_kstack(next, b ? &b->ks : NULL);
		st->kstack_ufp = st->ufp;
		st->kstack_reuse = 0;
	}
	charge(next, st, st->kstack, now - from);
	want_ustack(next, st);
}

/*
 * prev is leaving the CPU but its last block was never closed: the kernel
 * ran it again without a sched_switch event (seen on Linux 6.18 under load,
 * by ftrace too). Its scheduler statistics still say when it arrived; its
 * kernel stack of then is gone, so the last one seen with the same user
 * stack stands in (or none).
 */
static __always_inline void close_unseen(struct task_struct *prev, struct rs_tstate *st, __u64 now)
{
	__u64 rq_now = task_rq_clock(prev);
	__u64 arrived = prev->sched_info.last_arrival;
	__u64 off = st->off_ts, end = now, from;

	count(RS_PCNT_SWITCHIN_UNSEEN);
	st->off_ts = 0;
	if (rq_now > arrived && rq_now - arrived < now)
		end = now - (rq_now - arrived);
	if (end < off)
		end = off;
	from = __sync_lock_test_and_set(&st->cursor, end);
	if (!block_wanted(end - off) || end <= from)
		return;
	charge(prev, st, st->kstack_ufp == st->ufp ? st->kstack : 0, end - from);
}

static __always_inline void switch_out(struct task_struct *prev, __u32 state, __u64 *nowp)
{
	struct rs_switch_scratch *b;
	struct rs_tstate *st;
	__u64 now;

	if (!is_blocked_state(state)) {
		/* Preempted or yielding: runnable, not blocked. */
		if (!switch_is_target(prev))
			return;
		st = bpf_task_storage_get(&tstate, prev, 0, 0);
		if (st && st->off_ts)
			close_unseen(prev, st, switch_time(nowp));
		return;
	}
	if (!switch_is_target(prev))
		return;
	st = bpf_task_storage_get(&tstate, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count(RS_PCNT_STORAGE_FAIL);
		return;
	}
	now = switch_time(nowp);
	if (st->off_ts)
		close_unseen(prev, st, now);
	st->state = state & TASK_UNINTERRUPTIBLE ? 'D' : 'S';
	b = scratch(&switch_scratch);
	set_user(st, prev, b ? b->fp : NULL, false);
	st->cursor = now;
	st->off_ts = now; /* last: the sweep reads off_ts, then cursor */
}

/*
 * Start: a target thread blocked before rsample attached gets state from
 * now on. Without a sleepable iterator its fingerprint lacks the stack words.
 */
static __always_inline void adopt_blocked(struct task_struct *task, bool sleepable)
{
	struct task_struct *self = bpf_get_current_task_btf();
	__u32 state = task_state_btf(task);
	__u64 now, rq_now, left, since = 0;
	struct rs_pscratch *s;
	struct rs_tstate *st;

	if (!is_blocked_state(state) || task->on_cpu || !is_target(task) ||
	    (task->flags & (PF_KTHREAD | PF_EXITING)))
		return;
	st = bpf_task_storage_get(&tstate, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count(RS_PCNT_STORAGE_FAIL);
		return;
	}
	if (st->off_ts)
		return; /* it blocked again since we attached: tracked already */
	/* Blocked since: its last arrival plus its last slice, on the run-queue clock. */
	rq_now = task_rq_clock(self);
	left = task->sched_info.last_arrival +
	       (task->se.sum_exec_runtime - task->se.prev_sum_exec_runtime);
	if (rq_now > left)
		since = rq_now - left;
	now = bpf_ktime_get_ns();
	st->state = state & TASK_UNINTERRUPTIBLE ? 'D' : 'S';
	s = sleepable ? scratch(&iter_scratch) : NULL;
	set_user(st, task, s ? s->fp : NULL, true);
	st->cursor = win_start;
	st->off_ts = since < now ? now - since : 1;
	if (st->off_ts > st->cursor)
		st->cursor = st->off_ts;
}

/*
 * Window end: a thread still blocked is charged up to win_start, with its
 * stacks (the user stack only from a sleepable iterator).
 */
static __always_inline void charge_still_blocked(struct task_struct *task, struct rs_tstate *st,
						 bool sleepable)
{
	__u64 off = st->off_ts, w = win_start, c;
	struct rs_pscratch *s;
	struct rs_prof_rec *rec;
	__u8 one = 1;

	if (!off || off >= w || !block_wanted(w - off))
		return;
	/* State left from the start pass by a thread that woke meanwhile: not blocked. */
	if (task->on_cpu || !is_blocked_state(task_state_btf(task)))
		return;
	c = st->cursor;
	if (c >= w || __sync_val_compare_and_swap(&st->cursor, c, w) != c)
		return;
	s = scratch(&iter_scratch);
	if (!s)
		return;
	rec = &s->rec;
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_ids(rec, RS_PREC_BLOCK, task);
	rec->kstack = task_kstack(task, &s->ks);
	rec->state = st->state;
	rec->ufp = st->ufp;
	rec->ns = w - c;
	rec->blocked_ns = w - off;
	if (!st->ufp || bpf_map_lookup_elem(&useen, &st->ufp)) {
		rec->flags |= RS_TF_UFP_ONLY;
	} else if (!sleepable) {
		rec->ustack_err = -RS_EOPNOTSUPP;
	} else if (copy_saved_regs(&rec->regs, task)) {
		rec->flags |= RS_TF_REGS;
		rec->ustack_len =
		    copy_ustack(s->stack, rec->regs.sp, task, true, &rec->flags, &rec->ustack_err);
	}
	if (emit(rec) && rec->ustack_len)
		bpf_map_update_elem(&useen, &st->ufp, &one, BPF_ANY);
}

#endif /* RS_OFFCPU_BPF_H */
