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
 * loader asks for it here and it is captured once, in its own context, with
 * the deep pass's window: its stack moves again once the sample returns.
 *
 * find_holders: a task_file iterator over every process, for the report's
 * "who holds this pipe's other end": one rs_holder_rec per open file whose
 * inode the loader wants (want_inodes), instead of reading every
 * /proc/PID/fd link of the node.
 *
 * name_kaddrs: prints each of kname_addrs, kernel PCs of a capture, as
 * /proc/PID/stack does ("[<ADDR>] %pB": the name, offset, size and module of
 * a return address), so the loader needs only the names of the frames it has,
 * not all of /proc/kallsyms. It is an iterator over BPF maps that prints
 * only when it meets this object's .bss (iter/bpf_map_elem, one line per
 * element, is refused on some 6.18 builds: EPERM before verification). Its
 * loop is verified once per iteration: RS_KNAMES_PASS is kept small (256
 * took 28 ms more CPU per load than none, 32 a few).
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
#include "regs.bpf.h"
#include "scratch.bpf.h"
#include "target.bpf.h"
#include "task.bpf.h"
#include "ustack.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} records SEC(".maps");

/*
 * Threads the loader wants captured by sample_oncpu; an entry is removed once
 * taken. Its value counts the samples whose stack copy failed (the loader
 * writes 1).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} want_oncpu SEC(".maps");

/*
 * Inodes find_holders looks for (the loader fills it before each pass), with
 * the magic of the filesystem each is on: pipefs and sockfs number their
 * inodes apart from other filesystems.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RS_HOLDER_WANT_MAX);
	__type(key, __u64);
	__type(value, __u32);
} want_inodes SEC(".maps");

struct rs_scratch {
	struct rs_task_rec rec;
	__u8 stack[RS_USTACK_MAX + RS_USTACK_TOP];
};

/* One scratch record per CPU (max_entries set to the CPU count by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_scratch);
} iter_scratch SEC(".maps"), perf_scratch SEC(".maps");

/* Set by the loader between passes, so it lives in .bss, not .rodata. */
bool retry_mode = false;

/* Samples of one thread tried before a stack that cannot be read is kept as lost. */
#define RS_ONCPU_COPY_TRIES 8
/*
 * The deep pass: threads whose stack went past --stack-bytes are copied again
 * (retry_mode, the same tid set) with this window, up to RS_USTACK_MAX.
 */
__u32 deep_bytes = 0;
/*
 * The watch's tick (rsample watch): the scheduler facts and saved registers
 * (syscall and arguments) of each target task, no stack of either kind.
 */
bool light_mode = false;

/* What find_holders walked in its last pass: files tables (processes) and open files. */
__u64 holder_tables = 0;
__u64 holder_files = 0;
/* The task whose files find_holders saw last, to count each table once. */
__u64 holder_last_task = 0;
/*
 * name_kaddrs's pass: kname_addrs[0, knames_n), filled by the loader, printed
 * when the map iterator meets the map of id knames_map_id (this .bss);
 * knames_fit: how many were printed before the iterator's buffer was full.
 */
__u64 kname_addrs[RS_KNAMES_PASS];
__u32 knames_n = 0;
__u32 knames_map_id = 0;
__u32 knames_fit = 0;

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

/* Everything of a record that does not depend on the capture context. */
static __always_inline void fill_task(struct rs_task_rec *rec, struct task_struct *task)
{
	struct task_struct *self = bpf_get_current_task_btf();
	__u32 flags = BPF_CORE_READ(task, flags);

	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->tid = BPF_CORE_READ(task, pid);
	rec->ns_tid = ns_nr(BPF_CORE_READ(task, thread_pid), &rec->pidns_ino);
	rec->ns_tgid = ns_nr(BPF_CORE_READ(task, group_leader, thread_pid), NULL);
	rec->mntns_ino = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	rec->state = task_state(task);
	rec->exit_state = BPF_CORE_READ(task, exit_state);
	rec->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	/* "Now" on the clock of sched_info.last_arrival: this CPU's, busy running us. */
	rec->now_ns = task_rq_clock(self);
	rec->last_arrival_ns = BPF_CORE_READ(task, sched_info.last_arrival);
	rec->sum_exec_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
	rec->prev_sum_exec_ns = BPF_CORE_READ(task, se.prev_sum_exec_runtime);
	rec->run_delay_ns = BPF_CORE_READ(task, sched_info.run_delay);
	rec->nvcsw = BPF_CORE_READ(task, nvcsw);
	rec->nivcsw = BPF_CORE_READ(task, nivcsw);
	rec->capture_ktime_ns = bpf_ktime_get_ns();
	BPF_CORE_READ_STR_INTO(&rec->comm, task, comm);
	if (flags & PF_KTHREAD)
		rec->flags |= RS_TF_KTHREAD;
	if (flags & PF_EXITING)
		rec->flags |= RS_TF_EXITING;
}

/* The kernel stack of task into rec, with bpf_get_task_stack() (Linux 5.9). */
static __always_inline void task_kstack(struct rs_task_rec *rec, struct task_struct *task)
{
	long n;

	if (!want_kstack || !rs_have_helper(get_task_stack))
		return;
	n = bpf_get_task_stack(task, rec->kstack, sizeof(rec->kstack), 0);
	if (n < 0)
		count(RS_CNT_KSTACK_FAIL);
	else
		rec->kstack_len = n / sizeof(__u64);
}

static __always_inline void emit(struct rs_task_rec *rec)
{
	__u64 len = sizeof(*rec) + rec->ustack_len + rec->utop_len;

	if (len > sizeof(struct rs_scratch))
		len = sizeof(struct rs_scratch);
	if (!bpf_ringbuf_output(&records, rec, len, 0))
		return;
	/*
	 * No room for a deep copy (many deep threads sampled at once): the
	 * --stack-bytes window rather than nothing, marked so the report says why.
	 */
	if (rec->ustack_len > stack_bytes || rec->utop_len) {
		if (rec->ustack_len > stack_bytes)
			rec->ustack_len = stack_bytes;
		rec->utop_len = 0;
		rec->utop_addr = 0;
		rec->flags |= RS_TF_USTACK_TRUNC | RS_TF_DEEP_CUT;
		len = sizeof(*rec) + rec->ustack_len;
		if (len > sizeof(struct rs_scratch))
			len = sizeof(struct rs_scratch);
		if (!bpf_ringbuf_output(&records, rec, len, 0))
			return;
	}
	count(RS_CNT_RINGBUF_FULL);
}

/*
 * A stack deeper than the window: its top RS_USTACK_TOP bytes too (those the
 * window left out), after the window, so the outermost frames still unwind
 * when one huge frame (a big local buffer in main) spans the gap. In the
 * same program as the window, so both are of one moment.
 */
static __always_inline void copy_ustack_top(struct rs_task_rec *rec, struct task_struct *task,
					    __u64 end, bool sleepable)
{
	__u32 len = rec->ustack_len;
	__u64 top, n;

	if (len > RS_USTACK_MAX)
		return;
	/* The last RS_USTACK_TOP bytes of the stack, or what of them the window left out. */
	top = end > RS_USTACK_TOP ? end - RS_USTACK_TOP : 0;
	if (top < rs_regs_sp(&rec->regs) + len)
		top = rs_regs_sp(&rec->regs) + len;
	if (top >= end)
		return;
	n = end - top;
	if (n > RS_USTACK_TOP)
		return;
	RS_CLAMP_IMM(n, RS_USTACK_TOP);
	if (read_user((__u8 *)(rec + 1) + len, n, top, task, sleepable))
		return;
	rec->utop_addr = top;
	rec->utop_len = n;
}

/* What a waiting call keeps in user memory (nanosleep's request, poll's fds). Sleepable only. */
static __always_inline void copy_arg_peek(struct rs_task_rec *rec, struct task_struct *task)
{
	__u64 addr = 0;
	__u32 n = rs_arg_peek_src(&rec->regs, &addr);

	if (!n || n > RS_ARG_PEEK_MAX)
		return;
	/* The verifier wants the bound on the register the helper gets. */
	asm volatile("%[n] &= %[mask]" : [n] "+r"(n) : [mask] "i"(RS_ARG_PEEK_MAX * 2 - 1));
	if (!n || n > RS_ARG_PEEK_MAX ||
	    bpf_copy_from_user_task(rec->arg_peek, n, (void *)addr, task, 0))
		return;
	rec->arg_peek_len = n;
	rec->flags |= RS_TF_ARG_PEEK;
}

/*
 * The user stack of a task whose registers are in rec: from sp to the end
 * of the stack (ustack_end_cap()), at most max bytes, and when that window
 * is cut short the stack's top too. sleepable: from the iterator, any
 * task; else from the perf sample, the current task.
 */
static __always_inline void copy_user_stack(struct rs_task_rec *rec, struct task_struct *task,
					    __u64 max, bool sleepable)
{
	__u64 sp = rs_regs_sp(&rec->regs);
	__u64 end = ustack_end_cap(task, sp, ustack_vma_end(task, sp), sleepable);
	__u64 n = ustack_window_to(sp, end, max, &rec->flags);

	rec->ustack_len =
	    copy_ustack_nmax(rec + 1, sp, n, max, task, sleepable, &rec->flags, &rec->ustack_err);
	if ((rec->flags & RS_TF_USTACK_TRUNC) && rec->ustack_len)
		copy_ustack_top(rec, task, end, sleepable);
}

/*
 * The user stack (--stack-bytes, or the deep pass's window) and the futex
 * words of a task whose registers are in rec. From a sleepable iterator only.
 */
static __always_inline void copy_user(struct rs_task_rec *rec, struct task_struct *task)
{
	__u64 max =
	    deep_bytes ? (deep_bytes < RS_USTACK_MAX ? deep_bytes : RS_USTACK_MAX) : stack_bytes;

	copy_user_stack(rec, task, max, true);
	/* Who holds the lock a thread waits for is in the lock itself. */
	if (rs_regs_syscall_nr(&rec->regs) == RS_NR_FUTEX &&
	    !bpf_copy_from_user_task(rec->futex_peek, sizeof(rec->futex_peek),
				     (void *)rs_regs_syscall_arg0(&rec->regs), task, 0))
		rec->flags |= RS_TF_FUTEX_PEEK;
	copy_arg_peek(rec, task);
}

/*
 * One task of the iterator. Only a sleepable iterator may read another
 * task's memory (bpf_copy_from_user_task()); without one the record has
 * everything but the user stack and the futex words.
 */
static __always_inline int dump(struct bpf_iter__task *ctx, bool sleepable)
{
	struct task_struct *task = ctx->task;
	struct rs_task_rec *rec;
	__u32 tid;

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

	rec = scratch(&iter_scratch);
	if (!rec)
		return 0;
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_task(rec, task);
	if (BPF_CORE_READ(task, on_cpu))
		rec->flags |= RS_TF_ON_CPU;
	if (light_mode) {
		if (!(rec->flags & (RS_TF_KTHREAD | RS_TF_EXITING)) &&
		    copy_saved_regs(&rec->regs, task))
			rec->flags |= RS_TF_REGS;
		emit(rec);
		return 0;
	}

	task_kstack(rec, task);
	if (rec->state & TASK_UNINTERRUPTIBLE &&
	    task_blocker(task, &rec->blocker, &rec->blocker_owner_tid))
		rec->flags |= RS_TF_BLOCKER;
	if (!(rec->flags & (RS_TF_KTHREAD | RS_TF_EXITING)) && copy_saved_regs(&rec->regs, task)) {
		rec->flags |= RS_TF_REGS;
		if (sleepable)
			copy_user(rec, task);
		else
			rec->ustack_err = -RS_EOPNOTSUPP;
	}
	emit(rec);
	return 0;
}

SEC("iter.s/task")
int dump_task(struct bpf_iter__task *ctx)
{
	return dump(ctx, true);
}

/* For kernels without sleepable task iterators (before Linux 5.18); the loader picks one. */
SEC("iter/task")
int dump_task_nosleep(struct bpf_iter__task *ctx)
{
	return dump(ctx, false);
}

SEC("perf_event")
int sample_oncpu(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct rs_task_rec *rec;
	__u32 tid = task->pid;
	__u8 *tries;
	long n;

	/* Only wanted threads, and of them one sample only (the delete below). */
	tries = bpf_map_lookup_elem(&want_oncpu, &tid);
	if (!tries)
		return 0;

	rec = scratch(&perf_scratch);
	if (!rec)
		return 0;
	__builtin_memset(rec, 0, sizeof(*rec));
	fill_task(rec, task);
	rec->flags |= RS_TF_ON_CPU | RS_TF_FROM_PERF;

	if (rs_pt_regs_user_mode((struct pt_regs *)&ctx->regs)) {
		/* Interrupted in user mode: the sample's registers are the live user state. */
		rec->flags |= RS_TF_USER_MODE | RS_TF_REGS;
		rs_regs_from_pt_regs(&rec->regs, (struct pt_regs *)&ctx->regs);
		rs_regs_set_no_syscall(&rec->regs);
	} else {
		if (copy_saved_regs(&rec->regs, task))
			rec->flags |= RS_TF_REGS;
		if (want_kstack) {
			n = bpf_get_stack(ctx, rec->kstack, sizeof(rec->kstack), 0);
			if (n < 0)
				count(RS_CNT_KSTACK_FAIL);
			else
				rec->kstack_len = n / sizeof(__u64);
		}
	}
	/*
	 * The deep pass's window at once (the used part whole, up to
	 * RS_USTACK_MAX, then the stack's top): the thread runs on once this
	 * returns, so a later copy would be of another moment.
	 */
	if (rec->flags & RS_TF_REGS)
		copy_user_stack(rec, task, RS_USTACK_MAX, false);
	/*
	 * Nothing of the stack could be read from here (no page faults in this
	 * context: a page the thread is breaking copy-on-write on, or one not
	 * yet faulted in). That is of this moment: the next samples (100 us of
	 * its CPU apart) try again, a few times, before the loss is kept.
	 */
	if ((rec->flags & RS_TF_REGS) && !rec->ustack_len && rec->ustack_err &&
	    *tries < RS_ONCPU_COPY_TRIES) {
		(*tries)++;
		return 0;
	}
	/* The retry pass may have taken it meanwhile: then that record stands. */
	if (bpf_map_delete_elem(&want_oncpu, &tid))
		return 0;
	count(RS_CNT_PERF_SAMPLES);
	emit(rec);
	return 0;
}

SEC("iter/task_file")
int find_holders(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct rs_holder_rec rec = {};
	struct inode *inode;
	__u32 *magic;
	__u64 ino;

	if (!task || !file)
		return 0;
	/* A thread sharing its leader's files: /proc/PID/fd shows them once, as the leader's. */
	if (task != BPF_CORE_READ(task, group_leader) &&
	    BPF_CORE_READ(task, files) == BPF_CORE_READ(task, group_leader, files))
		return 0;
	if ((__u64)task != holder_last_task) {
		holder_last_task = (__u64)task;
		holder_tables++;
	}
	holder_files++;
	inode = BPF_CORE_READ(file, f_inode);
	ino = BPF_CORE_READ(inode, i_ino);
	magic = bpf_map_lookup_elem(&want_inodes, &ino);
	if (!magic || BPF_CORE_READ(inode, i_sb, s_magic) != *magic)
		return 0;
	rec.tgid = BPF_CORE_READ(task, tgid);
	rec.fd = ctx->fd;
	rec.ino = ino;
	rec.f_flags = BPF_CORE_READ(file, f_flags);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

SEC("iter/bpf_map")
int name_kaddrs(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;

	if (!map || BPF_CORE_READ(map, id) != knames_map_id)
		return 0;
	knames_fit = 0;
	for (__u32 i = 0; i < RS_KNAMES_PASS && i < knames_n; i++) {
		__u64 pc = kname_addrs[i];

		/* %pB: the lookup at pc - 1, as for a return address, the offset printed from pc */
		if (BPF_SEQ_PRINTF(ctx->meta->seq, "[<%lx>] %pB\n", pc, pc))
			break;
		knames_fit = i + 1;
	}
	return 0;
}
