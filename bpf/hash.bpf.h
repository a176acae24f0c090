/* SPDX-License-Identifier: GPL-2.0 */
/* The 64-bit hash of kernel stack keys and user stack fingerprints (FNV-1a-like, mixed). */
#ifndef RS_HASH_BPF_H
#define RS_HASH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define RS_HASH_SEED 0xcbf29ce484222325ULL

static __always_inline __u64 hash_mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

#endif /* RS_HASH_BPF_H */
