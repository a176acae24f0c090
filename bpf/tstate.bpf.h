/* SPDX-License-Identifier: GPL-2.0 */
/* The profile's per-thread state, in task storage (Linux 5.11 for tracing programs). */
#ifndef RS_TSTATE_BPF_H
#define RS_TSTATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Per target thread. Written on the thread's own timeline, except cursor. */
struct rs_tstate {
	__u64 off_ts;	     /* when it left the CPU blocked; 0 while not blocked */
	__u64 cursor;	     /* the block is charged up to here (moved by xchg/cmpxchg) */
	__u64 uip, usp, ubp; /* user ip, sp and frame pointer it blocked with */
	__u64 ufp;	     /* fingerprint of the user stack it blocked with, 0: none */
	__u64 kstack;	     /* kernel stack of the last charged block */
	__u64 kstack_ufp;    /* ... and the fingerprint it went with */
	__u32 kstack_reuse;  /* blocks charged with kstack since it was last taken */
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

#endif /* RS_TSTATE_BPF_H */
