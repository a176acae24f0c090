/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences the BPF programs test themselves, so that one object
 * loads on every kernel rsample supports: whether a helper exists (its
 * BPF_FUNC_* value in the running kernel's enum bpf_func_id, a CO-RE check
 * the verifier sees as a constant, so the call on the other branch is dead
 * code). What only the loader can probe (kfuncs, tracepoint arguments)
 * arrives as const volatile flags instead; see the programs.
 */
#ifndef RS_COMPAT_BPF_H
#define RS_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Whether the running kernel has helper bpf_<name>() (Linux version noted at each use). */
#define rs_have_helper(name) bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_##name)

#endif /* RS_COMPAT_BPF_H */
