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

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} records SEC(".maps");

/* Threads the loader wants captured by sample_oncpu; an entry is removed once taken. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} want_oncpu SEC(".maps");

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
/*
 * The deep pass: threads whose stack went past --stack-bytes are copied again
 * (retry_mode, the same tid set) with this window, up to RS_USTACK_MAX.
 */
__u32 deep_bytes = 0;

/* A per-CPU scratch record: programs run with migration disabled. */
static __always_inline struct rs_task_rec *scratch_rec(void *map)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(map, &cpu);
}

static __always_inline void emit(struct rs_task_rec *rec)
{
	__u64 len = sizeof(*rec) + rec->ustack_len + rec->utop_len;

	if (len > sizeof(struct rs_scratch))
		len = sizeof(struct rs_scratch);
	if (bpf_ringbuf_output(&records, rec, len, 0))
		count(RS_CNT_RINGBUF_FULL);
}

/*
 * A stack deeper than the window: its top RS_USTACK_TOP bytes too (those the
 * window left out), after the window, so the outermost frames still unwind
 * when one huge frame (a big local buffer in main) spans the gap. Sleepable
 * context only.
 */
static __always_inline void copy_ustack_top(struct rs_task_rec *rec, struct task_struct *task,
					    __u64 end)
{
	__u32 len = rec->ustack_len;
	__u64 top, n;

	if (len > RS_USTACK_MAX)
		return;
	/* The last RS_USTACK_TOP bytes of the mapping, or what of them the window left out. */
	top = end > RS_USTACK_TOP ? end - RS_USTACK_TOP : 0;
	if (top < rec->regs.sp + len)
		top = rec->regs.sp + len;
	if (top >= end)
		return;
	n = end - top;
	if (n > RS_USTACK_TOP)
		return;
	if (bpf_copy_from_user_task((__u8 *)(rec + 1) + len, n, (void *)top, task, 0))
		return;
	rec->utop_addr = top;
	rec->utop_len = n;
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
		__u64 max = deep_bytes ? (deep_bytes < RS_USTACK_MAX ? deep_bytes : RS_USTACK_MAX)
				       : stack_bytes;
		__u64 end, n = ustack_window_max(task, rec->regs.sp, max, &rec->flags, &end);

		rec->ustack_len = copy_ustack_nmax(rec + 1, rec->regs.sp, n, max, task, true,
						   &rec->flags, &rec->ustack_err);
		if ((rec->flags & RS_TF_USTACK_TRUNC) && rec->ustack_len)
			copy_ustack_top(rec, task, end);
		/* Who holds the lock a thread waits for is in the lock itself. */
		if (rec->regs.orig_ax == RS_NR_FUTEX &&
		    !bpf_copy_from_user_task(rec->futex_peek, sizeof(rec->futex_peek),
					     (void *)rec->regs.di, task, 0))
			rec->flags |= RS_TF_FUTEX_PEEK;
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
	rec->ustack_len =
	    copy_ustack(rec + 1, rec->regs.sp, task, false, &rec->flags, &rec->ustack_err);
	emit(rec);
	return 0;
}
