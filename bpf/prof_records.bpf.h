/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The profile object's output: its ring buffer of rs_prof_rec records, the
 * per-CPU scratch a record is built in, and how a record is streamed.
 */
#ifndef RS_PROF_RECORDS_BPF_H
#define RS_PROF_RECORDS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rsample.h"
#include "counters.bpf.h"
#include "fingerprint.bpf.h"
#include "task.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20); /* resized by the loader */
} records SEC(".maps");

/* A record with its stack bytes, and room for a kernel stack and a fingerprint's words. */
struct rs_pscratch {
	struct rs_prof_rec rec;
	__u8 stack[RS_USTACK_MAX];
	struct rs_kstack ks;
	__u64 fp[RS_FP_WORDS];
};

/* The ids and names of task (a pointer the verifier trusts for direct loads). */
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

#endif /* RS_PROF_RECORDS_BPF_H */
