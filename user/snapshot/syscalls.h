/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_SYSCALLS_H
#define RS_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>

/* Name of syscall nr on this architecture (static string), or NULL. Thread-safe. */
const char *rs_syscall_name(int nr);
/*
 * How many of args[] syscall nr takes (for futex: its op in args[1] decides),
 * or 6 when not known. rs_syscall_describe() prints this many.
 */
int rs_syscall_nargs(int nr, const uint64_t args[6]);
/*
 * Writes "futex(0x7f12…, FUTEX_WAIT_PRIVATE, 2, NULL)" style text: the name and
 * its arguments, decoded for the calls people block in (futex, read, write,
 * epoll_wait/pwait, poll, ppoll, select, nanosleep, clock_nanosleep, wait4,
 * accept, recvfrom, connect…), hex for the rest; "syscall_<nr>(…)" with six hex
 * arguments when nr is unknown. Cut to fit len, always NUL-terminated (len > 0).
 */
void rs_syscall_describe(int nr, const uint64_t args[6], char *buf, size_t len);

#endif
