// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of any sched_switch tracer (make bench-profile): a tp_btf
 * program that does nothing. What perf bench sched pipe loses under it is
 * the kernel's tracepoint-to-BPF dispatch alone, which rsample's (and every
 * peer's) off-CPU program pays on every context switch before its first
 * instruction.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return 0;
}
