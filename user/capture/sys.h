/* SPDX-License-Identifier: GPL-2.0 */
/* Raw system calls, kept in a file of their own so tests can replace them at link time. */
#ifndef RS_SYS_H
#define RS_SYS_H

#include <sys/types.h>
#include <linux/perf_event.h>

/* perf_event_open(2). Returns the fd or -errno. */
int rs_sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
			   unsigned long flags);

#endif
