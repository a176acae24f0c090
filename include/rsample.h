/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The only contract between the BPF programs in bpf/ and the loader in user/.
 * Fixed-width fields only, no padding holes (pinned with _Static_assert in
 * user/snapshot.c), every name prefixed rs_/RS_.
 */
#ifndef RSAMPLE_H
#define RSAMPLE_H

#define RS_COMM_LEN 16
#define RS_KSTACK_MAX 64	/* kernel frames kept per thread */
#define RS_USTACK_MAX (256 * 1024) /* hard cap on --stack-bytes */
#define RS_USTACK_DEFAULT (64 * 1024)

/* rs_task_rec.flags */
#define RS_TF_ON_CPU (1u << 0)	 /* task was running on a CPU when the iterator saw it */
#define RS_TF_FROM_PERF (1u << 1) /* captured in the task's own context by a perf sample */
#define RS_TF_KTHREAD (1u << 2)	 /* kernel thread: no user stack */
#define RS_TF_REGS (1u << 3)	 /* user registers are valid */
#define RS_TF_USTACK_TRUNC (1u << 4) /* the copy stopped at --stack-bytes, not at the stack's end */
#define RS_TF_USER_MODE (1u << 5) /* perf sample hit while the task ran user code */
#define RS_TF_EXITING (1u << 6)	 /* task was exiting (PF_EXITING) */

/* rs_counters indexes: every loss is counted, never silent */
enum rs_counter {
	RS_CNT_TASKS_SEEN = 0,	/* tasks that passed the target filter */
	RS_CNT_RINGBUF_FULL,	/* record could not be reserved */
	RS_CNT_USTACK_FAIL,	/* user stack copy failed */
	RS_CNT_KSTACK_FAIL,	/* kernel stack could not be read */
	RS_CNT_PERF_SAMPLES,	/* on-CPU tasks captured by perf */
	RS_CNT_MAX,
};

/* x86_64 user registers, as saved at kernel entry (struct pt_regs order is not kept). */
struct rs_regs {
	__u64 ip;
	__u64 sp;
	__u64 bp;
	__u64 bx;
	__u64 ax;
	__u64 cx;
	__u64 dx;
	__u64 si;
	__u64 di;
	__u64 r8;
	__u64 r9;
	__u64 r10;
	__u64 r11;
	__u64 r12;
	__u64 r13;
	__u64 r14;
	__u64 r15;
	__u64 orig_ax; /* syscall number, or (__u64)-1 when not in a syscall */
	__u64 flags;
	__u64 cs;
};

/*
 * One thread, as streamed through the ring buffer. Followed directly by
 * ustack_len bytes of user stack copied from address regs.sp upward.
 */
struct rs_task_rec {
	__u32 tgid;	   /* host ids */
	__u32 tid;
	__u32 ns_tgid;	   /* ids in the task's own PID namespace */
	__u32 ns_tid;
	__u32 pidns_ino;
	__u32 mntns_ino;
	__u32 state;	   /* task->__state */
	__u32 exit_state;
	__u32 flags;	   /* RS_TF_* */
	__u32 cpu;
	__u32 kstack_len;  /* entries in kstack[] */
	__u32 ustack_len;  /* bytes following this struct */
	__s32 ustack_err;  /* 0 or the -errno of the user stack copy */
	__s32 kstack_err;
	__u64 cgroup_id;
	__u64 now_ns;	       /* rq clock of the capturing CPU, same base as last_arrival */
	__u64 last_arrival_ns; /* sched_info.last_arrival */
	__u64 sum_exec_ns;     /* se.sum_exec_runtime */
	__u64 prev_sum_exec_ns; /* se.prev_sum_exec_runtime */
	__u64 nvcsw;
	__u64 nivcsw;
	__u64 start_boottime_ns;
	__u64 capture_ktime_ns; /* CLOCK_MONOTONIC at capture: the snapshot's spread */
	char comm[RS_COMM_LEN];
	struct rs_regs regs;
	__u64 kstack[RS_KSTACK_MAX];
};

#endif /* RSAMPLE_H */
