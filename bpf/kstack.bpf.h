/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel stacks of the profile, each stored once in the kstacks map, keyed
 * by a hash of their addresses (rs_kstack in rsample.h), and referred to by
 * that key.
 */
#ifndef RS_KSTACK_BPF_H
#define RS_KSTACK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rsample.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "counters.bpf.h"
#include "hash.bpf.h"

#define RS_EEXIST 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rs_kstack);
} kstacks SEC(".maps");

/*
 * Stores the kernel stack in b (n bytes from bpf_get_*stack) in the kstacks
 * map once and returns its key; 0 when there is none or no room (counted).
 */
static __always_inline __u64 keep_kstack(struct rs_kstack *b, long n)
{
	__u64 h = RS_HASH_SEED;
	long e;

	if (n <= 0) {
		if (n < 0)
			count(RS_CNT_KSTACK_FAIL);
		return 0;
	}
	for (int i = 0; i < RS_KSTACK_MAX; i++) {
		if (i * 8 >= n) {
			b->ip[i] = 0; /* zero-padded: equal stacks, equal values */
			continue;
		}
		h = hash_mix(h, b->ip[i]);
	}
	h = h ? h : 1;
	if (bpf_map_lookup_elem(&kstacks, &h))
		return h;
	e = bpf_map_update_elem(&kstacks, &h, b, BPF_NOEXIST);
	if (e && e != -RS_EEXIST) { /* EEXIST: stored meanwhile by another CPU */
		count(RS_PCNT_KSTACK_FULL);
		return 0;
	}
	return h;
}

/*
 * The kernel stack of task (not running: its frozen stack), read into the
 * scratch b and stored; its key. 0 with --no-kernel, without scratch, or
 * without bpf_get_task_stack() (Linux 5.9).
 */
static __always_inline __u64 task_kstack(struct task_struct *task, struct rs_kstack *b)
{
	if (!want_kstack || !b || !rs_have_helper(get_task_stack))
		return 0;
	return keep_kstack(b, bpf_get_task_stack(task, b->ip, sizeof(b->ip), 0));
}

#endif /* RS_KSTACK_BPF_H */
