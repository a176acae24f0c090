/* SPDX-License-Identifier: GPL-2.0 */
/* User stack fingerprints of the off-CPU profile: a stack identified without copying it. */
#ifndef RS_FINGERPRINT_BPF_H
#define RS_FINGERPRINT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "hash.bpf.h"

#define RS_FP_WORDS 32 /* user stack words hashed into a fingerprint */

/*
 * Ids, ip, sp, frame pointer and the first RS_FP_WORDS words above sp (w,
 * where the innermost return addresses are; NULL if unreadable). Two stacks
 * with the same fingerprint are taken to unwind the same way. Never 0.
 */
static __always_inline __u64 fingerprint(__u32 tgid, __u32 tid, __u64 ip, __u64 sp, __u64 fp,
					 const __u64 *w)
{
	__u64 h = RS_HASH_SEED;

	h = hash_mix(h, ((__u64)tgid << 32) | tid);
	h = hash_mix(h, ip);
	h = hash_mix(h, sp);
	h = hash_mix(h, fp);
	if (w) {
		for (int i = 0; i < RS_FP_WORDS; i++)
			h = hash_mix(h, w[i]);
	}
	return h ? h : 1;
}

#endif /* RS_FINGERPRINT_BPF_H */
