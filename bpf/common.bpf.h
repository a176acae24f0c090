/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs of rsample share (one copy for snapshot.bpf.c and
 * profile.bpf.c): the target filter (a set of tgids, a set of tids, or a
 * cgroup v2 subtree), the per-CPU failure counters, the user registers, the
 * user stack copy and the facts of a task.
 *
 * Include it after vmlinux.h, the libbpf headers and rsample.h. Define
 * RS_NR_COUNTERS first when the program counts more than RS_CNT_MAX things.
 * The loader fills the configuration below between open and load, and the
 * target sets after load.
 */
#ifndef RS_COMMON_BPF_H
#define RS_COMMON_BPF_H

#ifndef RS_NR_COUNTERS
#define RS_NR_COUNTERS RS_CNT_MAX
#endif

#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RS_NR_COUNTERS);
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

static __always_inline void count_n(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void count(__u32 idx)
{
	count_n(idx, 1);
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

/* The filter every program applies first, before any other work. */
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
		(r)->cs = *(__u64 *)&(p).cs; /* 8-byte load: cs is a union on newer kernels */     \
	} while (0)

/* The user registers saved at the task's last kernel entry; false when unreadable. */
static __always_inline bool copy_saved_regs(struct rs_regs *r, struct task_struct *task)
{
	struct pt_regs p;

	if (bpf_probe_read_kernel(&p, sizeof(p), (void *)bpf_task_pt_regs(task)))
		return false;
	ASSIGN_REGS(r, p);
	return true;
}

/* Everything of a snapshot record that does not depend on the capture context. */
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
 * Bytes of user stack to copy from sp: up to the end of the mapping holding
 * sp (only the used part of the stack), at most max. RS_TF_USTACK_TRUNC in
 * *flags when the window is cut short; *end: the mapping's end, 0 if unknown.
 */
static __always_inline __u64 ustack_window_max(struct task_struct *task, __u64 sp, __u64 max,
						__u32 *flags, __u64 *end)
{
	struct vma_end_ctx c = {};

	if (bpf_find_vma(task, sp, vma_end_cb, &c, 0))
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
 * Copies n bytes (at most stack_bytes) of the user stack of task from sp to
 * dst, which must hold stack_bytes. A copy that faults leaves nothing
 * usable, so a failure is retried with smaller windows. Sleepable programs
 * may take the target's page faults (any task); the others read only the
 * current task's memory and cannot fault pages in. Returns the bytes copied;
 * sets RS_TF_USTACK_TRUNC in *flags and the -errno of the last attempt in *err.
 */
static __always_inline __u32 copy_ustack_nmax(void *dst, __u64 sp, __u64 n, __u64 max,
					      struct task_struct *task, bool sleepable,
					      __u32 *flags, __s32 *err)
{
	long e = 0;

	for (int i = 0; i < 6 && n >= 256; i++) {
		if (n > max)
			n = max;
		if (n > RS_USTACK_MAX)
			n = RS_USTACK_MAX;
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

#endif /* RS_COMMON_BPF_H */
