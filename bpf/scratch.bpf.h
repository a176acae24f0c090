/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scratch space too big for the 512-byte BPF stack. Each scratch map is a
 * BPF_MAP_TYPE_ARRAY with one element per possible CPU (the loader sets
 * max_entries; per-CPU maps cap values at 32 KiB) and serves one kind of
 * context, so contexts that may interrupt one another never share an
 * element. Programs run with migration disabled, so the element of the
 * current CPU stays theirs until they return.
 */
#ifndef RS_SCRATCH_BPF_H
#define RS_SCRATCH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* This CPU's element of the scratch map; NULL if the loader sized the map too small. */
static __always_inline void *scratch(void *map)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(map, &cpu);
}

#endif /* RS_SCRATCH_BPF_H */
