/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-CPU failure counters (enum rs_counter and enum rs_prof_counter in
 * rsample.h): every loss is counted, never silent. One size for both
 * objects; the snapshot uses the first RS_CNT_MAX.
 */
#ifndef RS_COUNTERS_BPF_H
#define RS_COUNTERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rsample.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RS_PCNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count_n(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void count(__u32 idx)
{
	count_n(idx, 1);
}

#endif /* RS_COUNTERS_BPF_H */
