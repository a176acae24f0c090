/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPU's registers as user space reads them (arch.h): everything in
 * user/ that knows a register by name or number goes through here, so a port
 * adds one header (arch/<arch>.h, with include/rsample_<arch>.h and
 * bpf/arch/<arch>.bpf.h on the other side) instead of editing the stages.
 *
 * Each arch header defines, for struct rs_regs (include/rsample.h):
 *   RS_DWARF_NREGS, RS_DWARF_SP, RS_DWARF_FP  the DWARF register file unwinding uses
 *   rs_regs_dwarf()      the registers in DWARF order
 *   rs_regs_pc(), rs_regs_sp(), rs_regs_fp()
 *   rs_regs_syscall()    the syscall a thread stopped in, from its saved registers
 *   RS_FP_NEXT, RS_FP_RET, RS_FP_FRAME   the frame-pointer frame: where the caller's
 *                        frame pointer and the return address are, and its size
 */
#ifndef RS_ARCH_H
#define RS_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"

#if defined(__x86_64__)
#include "arch/x86.h"
#else
#error "rsample supports x86_64 only: add user/arch/<arch>.h (see arch.h)"
#endif

#endif
