/* SPDX-License-Identifier: GPL-2.0 */
/* What to capture, set by the loader between open and load (both objects). */
#ifndef RS_CONFIG_BPF_H
#define RS_CONFIG_BPF_H

#include "vmlinux.h"
#include "rsample.h"

const volatile __u32 stack_bytes = RS_USTACK_DEFAULT; /* --stack-bytes */
const volatile bool want_kstack = true;		      /* not --no-kernel */

#endif /* RS_CONFIG_BPF_H */
