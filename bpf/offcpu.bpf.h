/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Off-CPU accounting of bpf/profile.bpf.c (see there): per-thread state,
 * user stack fingerprints, the in-kernel sums, lazy user stack captures and
 * the window-end sweep. Included by profile.bpf.c after its shared maps and
 * helpers; not a program of its own.
 */
#ifndef RS_OFFCPU_BPF_H
#define RS_OFFCPU_BPF_H

/* Per target thread. Written on the thread's own timeline, except cursor. */
struct rs_tstate {
	__u64 off_ts; /* when it left the CPU blocked; 0 while not blocked */
	__u64 cursor; /* the block is charged up to here (moved by xchg/cmpxchg) */
	__u64 uip, usp, ubp;
	__u64 ufp;	    /* fingerprint of the user stack it blocked with, 0: none */
	__u64 kstack;	    /* kernel stack of the last charged block */
	__u64 kstack_ufp;   /* ... and the fingerprint it went with */
	__u32 kstack_reuse; /* blocks charged with kstack since it was last taken */
	__u32 pad;
	__u64 stk_lo, stk_hi; /* the user stack mapping last sampled (on-CPU) */
	__u32 state;	      /* 'S' or 'D' */
	__u32 want_capture;   /* sys_exit fallback: capture ufp at the next syscall exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rs_tstate);
} tstate SEC(".maps");

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

/*
 * Identifies a user stack without copying it: ids, ip, sp, bp and the first
 * RS_FP_WORDS words above sp (where the innermost return addresses are).
 * Two stacks with the same fingerprint are taken to unwind the same way.
 */
static __always_inline __u64 fingerprint(__u32 tgid, __u32 tid, __u64 ip, __u64 sp, __u64 bp,
					 const __u64 *w)
{
	__u64 h = 0xcbf29ce484222325ULL;

	h = hash_mix(h, ((__u64)tgid << 32) | tid);
	h = hash_mix(h, ip);
	h = hash_mix(h, sp);
	h = hash_mix(h, bp);
	if (w) {
		for (int i = 0; i < RS_FP_WORDS; i++)
			h = hash_mix(h, w[i]);
	}
	return h ? h : 1;
}

/* ip, sp and bp of the user registers saved at the task's last kernel entry. */
static __always_inline void user_ipspbp(struct task_struct *task, __u64 *ip, __u64 *sp, __u64 *bp)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(task);

	*ip = BPF_CORE_READ(r, ip);
	*sp = BPF_CORE_READ(r, sp);
	*bp = BPF_CORE_READ(r, bp);
}

/*
 * Fills st's user part: registers and fingerprint. The user stack is read
 * from the task's own context (sched_switch's prev), or from a sleepable
 * program (any task).
 */
static __always_inline void set_user(struct rs_tstate *st, struct task_struct *task, bool sleepable)
{
	struct rs_small_scratch *b = small(sleepable ? SLOT_SLEEPABLE : SLOT_SWITCH);
	long e = -1;

	st->uip = st->usp = st->ubp = st->ufp = 0;
	if (task->flags & (PF_KTHREAD | PF_EXITING))
		return;
	user_ipspbp(task, &st->uip, &st->usp, &st->ubp);
	if (b) {
		if (sleepable)
			e = bpf_copy_from_user_task(b->fp, sizeof(b->fp), (void *)st->usp, task, 0);
		else
			e = bpf_probe_read_user(b->fp, sizeof(b->fp), (void *)st->usp);
	}
	st->ufp =
	    fingerprint(task->tgid, task->pid, st->uip, st->usp, st->ubp, !e && b ? b->fp : NULL);
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

	user_ipspbp(task, &ip, &sp, &bp);
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
	if (e && e != -EBUSY)
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
		st->kstack = task_kstack(next, SLOT_SWITCH);
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
	__u64 rq_now = BPF_CORE_READ(prev, se.cfs_rq, rq, clock);
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
	set_user(st, prev, false);
	st->cursor = now;
	st->off_ts = now; /* last: the sweep reads off_ts, then cursor */
}

/* Start: a target thread blocked before rsample attached gets state from now on. */
static __always_inline void adopt_blocked(struct task_struct *task)
{
	struct task_struct *self = bpf_get_current_task_btf();
	__u32 state = task->__state;
	__u64 now, rq_now, left, since = 0;
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
	rq_now = BPF_CORE_READ(self, se.cfs_rq, rq, clock);
	left = task->sched_info.last_arrival +
	       (task->se.sum_exec_runtime - task->se.prev_sum_exec_runtime);
	if (rq_now > left)
		since = rq_now - left;
	now = bpf_ktime_get_ns();
	st->state = state & TASK_UNINTERRUPTIBLE ? 'D' : 'S';
	set_user(st, task, true);
	st->cursor = win_start;
	st->off_ts = since < now ? now - since : 1;
	if (st->off_ts > st->cursor)
		st->cursor = st->off_ts;
}

/* Window end: a thread still blocked is charged up to win_start, with its stacks. */
static __always_inline void charge_still_blocked(struct task_struct *task, struct rs_tstate *st)
{
	__u64 off = st->off_ts, w = win_start, c;
	struct rs_pscratch *s;
	struct rs_prof_rec *rec;
	__u8 one = 1;

	if (!off || off >= w || !block_wanted(w - off))
		return;
	/* State left from the start pass by a thread that woke meanwhile: not blocked. */
	if (task->on_cpu || !is_blocked_state(task->__state))
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
	rec->kstack = task_kstack(task, SLOT_SLEEPABLE);
	rec->state = st->state;
	rec->ufp = st->ufp;
	rec->ns = w - c;
	rec->blocked_ns = w - off;
	if (!st->ufp || bpf_map_lookup_elem(&useen, &st->ufp)) {
		rec->flags |= RS_TF_UFP_ONLY;
	} else if (copy_saved_regs(&rec->regs, task)) {
		rec->flags |= RS_TF_REGS;
		rec->ustack_len =
		    copy_ustack(s->stack, rec->regs.sp, task, true, &rec->flags, &rec->ustack_err);
	}
	if (emit(rec) && rec->ustack_len)
		bpf_map_update_elem(&useen, &st->ufp, &one, BPF_ANY);
}

#endif /* RS_OFFCPU_BPF_H */
