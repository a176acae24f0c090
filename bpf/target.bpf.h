/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target filter every program applies first: a set of tgids, a set of
 * tids, or a cgroup v2 subtree. The loader sets the configuration between
 * open and load, and fills the sets after load.
 */
#ifndef RS_TARGET_BPF_H
#define RS_TARGET_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * Target sets; which one applies is chosen by the filter_* flags below. The
 * loader sizes them to the resolved target (rs_bpf_setup); these are the most.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} targ_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targ_tids SEC(".maps");

const volatile bool filter_tgid = false;
const volatile bool filter_tid = false;
const volatile bool filter_cgroup = false;
const volatile __u64 targ_cgid = 0;
const volatile __u32 targ_cglevel = 0;

/* Before Linux 6.0 a cgroup kept its ancestors' ids, not pointers to them. */
struct cgroup___rs_ancestor_ids {
	__u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

/* The id of cg's ancestor at level (cg's own at its own level); 0 if unreadable. */
static __always_inline __u64 cgroup_ancestor_id(struct cgroup *cg, __u32 level)
{
	struct cgroup *anc = NULL;
	__u64 id = 0;

	if (bpf_core_field_exists(cg->ancestors)) {
		if (bpf_core_read(&anc, sizeof(anc), &cg->ancestors[level]))
			return 0;
		return BPF_CORE_READ(anc, kn, id);
	}
	bpf_core_read(&id, sizeof(id),
		      &((struct cgroup___rs_ancestor_ids *)cg)->ancestor_ids[level]);
	return id;
}

/* cgroup v2 subtree test: is the task's cgroup, or one of its ancestors, the target? */
static __always_inline bool in_target_cgroup(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	int level = BPF_CORE_READ(cg, level);

	if (level < (int)targ_cglevel)
		return false;
	return cgroup_ancestor_id(cg, targ_cglevel) == targ_cgid;
}

/* The filter for any task, by CO-RE reads (iterators, the current task of a perf sample). */
static __always_inline bool is_target(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 tid = BPF_CORE_READ(task, pid);

	if (filter_tid && !bpf_map_lookup_elem(&targ_tids, &tid))
		return false;
	if (filter_tgid && !bpf_map_lookup_elem(&targ_tgids, &tgid))
		return false;
	if (filter_cgroup && !in_target_cgroup(task))
		return false;
	return true;
}

#endif /* RS_TARGET_BPF_H */
