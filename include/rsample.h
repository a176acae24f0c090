/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The only contract between the BPF programs in bpf/ and the loader in user/.
 * Fixed-width fields only, no padding holes (pinned with _Static_assert in
 * user/capture/snapshot.c and user/capture/sampler.c), every name prefixed rs_/RS_. The
 * registers (struct rs_regs) and syscall numbers come from the
 * architecture's rsample_<arch>.h.
 */
#ifndef RSAMPLE_H
#define RSAMPLE_H

#define RS_ARG_PEEK_MAX 64 /* bytes copied at a waiting syscall's pointer argument */

/* BPF objects are built with -D__TARGET_ARCH_<arch>, user space by the compiler's own macros. */
#if defined(__TARGET_ARCH_x86) || defined(__x86_64__)
#include "rsample_x86.h"
#else
#error "rsample: no include/rsample_<arch>.h for this architecture"
#endif

#define RS_COMM_LEN	  16
#define RS_KSTACK_MAX	  64	       /* kernel frames kept per thread */
#define RS_USTACK_MAX	  (256 * 1024) /* hard cap on --stack-bytes */
#define RS_USTACK_TOP	  (32 * 1024)  /* the top of a stack deeper than the window, copied too */
#define RS_USTACK_DEFAULT (64 * 1024)

/* rs_task_rec.flags */
#define RS_TF_ON_CPU	   (1u << 0)  /* task was running on a CPU when the iterator saw it */
#define RS_TF_FROM_PERF	   (1u << 1)  /* captured in the task's own context by a perf sample */
#define RS_TF_KTHREAD	   (1u << 2)  /* kernel thread: no user stack */
#define RS_TF_REGS	   (1u << 3)  /* user registers are valid */
#define RS_TF_USTACK_TRUNC (1u << 4)  /* copy cut at --stack-bytes */
#define RS_TF_USER_MODE	   (1u << 5)  /* perf sample hit while the task ran user code */
#define RS_TF_EXITING	   (1u << 6)  /* task was exiting (PF_EXITING) */
#define RS_TF_FUTEX_PEEK   (1u << 7)  /* futex_peek[] holds the words at the futex address */
#define RS_TF_ARG_PEEK	   (1u << 11) /* arg_peek[] holds arg_peek_len bytes (rs_arg_peek_src()) */
#define RS_TF_BLOCKER	   (1u << 12) /* blocker is task->blocker (CONFIG_DETECT_HUNG_TASK_BLOCKER) */
/* The ring buffer had no room for the deep copy: only the --stack-bytes window is sent. */
#define RS_TF_DEEP_CUT (1u << 13)
/*
 * Set only by the BPF-free /proc backend (user/capture/procthread.c), never by a BPF program:
 * RS_TF_REGS_SPIP  of the user registers only ip and sp are known (and, in a syscall,
 *                  orig_ax, di, si, dx, r10, r8, r9 from /proc/PID/task/TID/syscall);
 *                  every other one is unknown, not zero
 * RS_TF_MOVED      the thread ran while its stack was copied, on every retry: the copy
 *                  and the registers may not belong together
 * RS_TF_PERF_STACK the stack was copied by a perf sample (perf_event_open(2)), which
 *                  copies at most 65528 bytes of it
 * Bit 8 is RS_TF_UFP_ONLY of the profile records below; bits 11-13 are set by BPF above.
 */
#define RS_TF_REGS_SPIP	 (1u << 9)
#define RS_TF_MOVED	 (1u << 10)
#define RS_TF_PERF_STACK (1u << 14)

/* rs_counters indexes: every loss is counted, never silent */
enum rs_counter {
	RS_CNT_TASKS_SEEN = 0, /* tasks that passed the target filter */
	RS_CNT_RINGBUF_FULL,   /* record could not be reserved */
	RS_CNT_USTACK_FAIL,    /* user stack copy failed */
	RS_CNT_KSTACK_FAIL,    /* kernel stack could not be read */
	RS_CNT_PERF_SAMPLES,   /* on-CPU tasks captured by perf */
	RS_CNT_MAX,
};

/*
 * One thread, as streamed through the ring buffer. Followed directly by
 * ustack_len bytes of user stack copied from address regs.sp upward, then
 * utop_len bytes copied from utop_addr: when the stack was deeper than the
 * window, its top RS_USTACK_TOP bytes, where the outermost frames (main,
 * __libc_start_main, a thread's start) live above a huge frame.
 */
struct rs_task_rec {
	__u32 tgid; /* host ids */
	__u32 tid;
	__u32 ns_tgid; /* ids in the task's own PID namespace */
	__u32 ns_tid;
	__u32 pidns_ino;
	__u32 mntns_ino;
	__u32 state; /* task->__state */
	__u32 exit_state;
	__u32 flags;	  /* RS_TF_* */
	__u32 kstack_len; /* entries in kstack[] */
	__u32 ustack_len; /* bytes following this struct */
	__s32 ustack_err; /* 0 or the -errno of the user stack copy */
	__u64 cgroup_id;
	__u64 now_ns;		/* rq clock of the capturing CPU, same base as last_arrival */
	__u64 last_arrival_ns;	/* sched_info.last_arrival */
	__u64 sum_exec_ns;	/* se.sum_exec_runtime */
	__u64 prev_sum_exec_ns; /* se.prev_sum_exec_runtime */
	__u64 nvcsw;
	__u64 nivcsw;
	__u64 capture_ktime_ns; /* CLOCK_MONOTONIC at capture: the snapshot's spread */
	char comm[RS_COMM_LEN];
	struct rs_regs regs;
	__u64 kstack[RS_KSTACK_MAX];
	/*
	 * A thread in futex(2): the 24 bytes at its futex address, read in the
	 * same instant. For a glibc mutex: lock word, count, owner tid, users,
	 * kind, spins.
	 */
	__u32 futex_peek[6];
	__u64 utop_addr;
	__u32 utop_len;
	__u32 arg_peek_len; /* bytes of arg_peek[] read (RS_TF_ARG_PEEK) */
	/*
	 * A thread waiting in a call whose wait is described in user memory: the
	 * bytes at its pointer argument, read in the same instant
	 * (rs_arg_peek_src(): nanosleep's request, poll's first pollfds…).
	 */
	__u64 arg_peek[RS_ARG_PEEK_MAX / 8];
	/*
	 * A D-state task: the kernel lock it blocks on with its type in the low
	 * bits (task->blocker, RS_TF_BLOCKER), and the host tid of the lock's
	 * owner when the lock records one (a mutex, a writer-held rwsem), else 0.
	 */
	__u64 blocker;
	__u32 blocker_owner_tid;
	__u32 blocker_pad;
	__u64 run_delay_ns; /* sched_info.run_delay: time spent runnable, waiting for a CPU */
};

/*
 * ---- rsample profile (bpf/profile.bpf.c) ----
 *
 * On-CPU samples are streamed one by one (the user stack must be unwound in
 * user space). Off-CPU time is summed in the kernel per rs_off_key; the user
 * stack of each distinct fingerprint is captured once, lazily, in the
 * thread's own context when it next returns to user space, and streamed as
 * an RS_PREC_USTACK record. Kernel stacks are stored once each in a hash map
 * keyed by a hash of their addresses (rs_kstack), and referred to by that key.
 */

/* rs_prof_rec.type */
#define RS_PREC_SAMPLE 1 /* on-CPU sample */
#define RS_PREC_USTACK 2 /* user stack of an off-CPU fingerprint (rs_prof_rec.ufp) */
#define RS_PREC_BLOCK  3 /* off-CPU time of a thread still blocked at a window end */

/* Profile-only rs_prof_rec.flags (the RS_TF_* bits above keep their meaning). */
#define RS_TF_UFP_ONLY (1u << 8) /* no stack bytes: the fingerprint's stack was sent before */

/*
 * bpf/snapshot.bpf.c's find_holders (an iter/task_file program): one open
 * file of a process whose inode the loader put in want_inodes, on the
 * filesystem it asked for there (RS_PIPEFS_MAGIC, RS_SOCKFS_MAGIC).
 */
struct rs_holder_rec {
	__u32 tgid;    /* the process, as the snapshot's records name it */
	__s32 fd;      /* its fd number */
	__u64 ino;     /* the file's inode */
	__u32 f_flags; /* the file's flags: O_ACCMODE says read, write or both */
	__u32 pad;
};

#define RS_HOLDER_WANT_MAX 1024 /* inodes find_holders looks for at once */
#define RS_KNAMES_PASS	   32	/* kernel PCs name_kaddrs names in one pass at most */
#define RS_PIPEFS_MAGIC	   0x50495045u
#define RS_SOCKFS_MAGIC	   0x534F434Bu

/* Counters of the profile object; indexes below RS_CNT_MAX mean what they mean above. */
enum rs_prof_counter {
	RS_PCNT_SAMPLES = RS_CNT_MAX, /* on-CPU samples of the target */
	RS_PCNT_SAMPLE_LOST,	      /* on-CPU samples lost: ring buffer full */
	RS_PCNT_BLOCKS,		      /* off-CPU blocks summed in the kernel */
	RS_PCNT_STORAGE_FAIL,	      /* no per-thread state: a block was not seen */
	RS_PCNT_AGG_FULL,	      /* aggregation map full: a block was lost... */
	RS_PCNT_AGG_FULL_NS,	      /* ...and this much blocked time with it */
	RS_PCNT_CAPTURES,	      /* user stacks captured lazily */
	RS_PCNT_CAPTURE_FAIL,	      /* a lazy capture could not be scheduled */
	RS_PCNT_CAPTURE_MOVED,	      /* user registers changed before the capture ran */
	RS_PCNT_SWITCHIN_UNSEEN,      /* a wake-up without a sched_switch event, repaired */
	RS_PCNT_KSTACK_FULL,	      /* kernel stack map full: stack not kept */
	/* RS_CNT_RINGBUF_FULL counts the other records lost: blocks and captures */
	RS_PCNT_MAX,
};

/* A kernel stack, innermost first, zero-padded: the kstacks map's value. */
struct rs_kstack {
	__u64 ip[RS_KSTACK_MAX];
};

/*
 * One ring buffer record of the profile object, followed by ustack_len
 * bytes of user stack copied from regs.sp upward.
 */
struct rs_prof_rec {
	__u32 type;  /* RS_PREC_SAMPLE, _USTACK or _BLOCK */
	__u32 flags; /* RS_TF_* */
	__u32 tgid;  /* host ids */
	__u32 tid;
	__u32 state;	  /* blocks: 'S' or 'D'; samples: 0 */
	__u32 ustack_len; /* bytes following this struct */
	__s32 ustack_err; /* 0 or the -errno of the user stack copy */
	__u32 pad;
	__u64 kstack;		 /* key in the kstacks map; 0: no kernel stack */
	__u64 ufp;		 /* USTACK, BLOCK: user stack fingerprint */
	__u64 ns;		 /* BLOCK: blocked time charged to the window */
	__u64 blocked_ns;	 /* BLOCK: length of the block so far */
	__u64 time_ns;		 /* CLOCK_MONOTONIC (bpf_ktime_get_ns) of the event */
	char comm[RS_COMM_LEN];	 /* thread name */
	char pcomm[RS_COMM_LEN]; /* process name (thread group leader) */
	struct rs_regs regs;
};

/* Off-CPU time summed in the kernel (the aggregation maps' key and value). */
struct rs_off_key {
	__u32 tgid;
	__u32 tid;
	__u32 state; /* 'S' or 'D' */
	__u32 pad;
	__u64 kstack; /* key in the kstacks map; 0: none */
	__u64 ufp;    /* user stack fingerprint; 0 for kernel threads */
};

struct rs_off_val {
	__u64 ns;    /* blocked time */
	__u64 count; /* blocks */
	char comm[RS_COMM_LEN];
	char pcomm[RS_COMM_LEN];
};

#endif /* RSAMPLE_H */
