/* SPDX-License-Identifier: GPL-2.0 */
/* What the /proc backend's unit tests share: an rs_procfs as rs_capture_procfs_run() sets it up. */
#ifndef RS_PROC_TEST_H
#define RS_PROC_TEST_H

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "capture/proc_priv.h"

extern char **environ;

static inline void procfs_init(struct rs_procfs *ps, struct rs_capture_cfg *cfg, bool names)
{
	memset(ps, 0, sizeof(*ps));
	ps->cfg = cfg;
	ps->cap = calloc(1, sizeof(*ps->cap));
	ps->buf = malloc(RS_USTACK_MAX + RS_USTACK_TOP);
	assert_non_null(ps->cap);
	assert_non_null(ps->buf);
	if (names && rs_ksyms_load_names("/proc/kallsyms", &ps->ksyms))
		ps->ksyms = NULL;
}

static inline void procfs_clear(struct rs_procfs *ps)
{
	rs_capture_free(ps->cap);
	rs_ksyms_free(ps->ksyms);
	rs_maps_clear(&ps->maps);
	rs_sched_clock_clear(&ps->clock);
	free(ps->cg_mount);
	free(ps->cg_path);
	free(ps->buf);
}

/* Starts /bin/sh -c script (our own child, killed by child_stop()). */
static inline pid_t child_start(const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct timespec pause = { 0, 100000000 };
	pid_t pid;

	assert_int_equal(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ), 0);
	nanosleep(&pause, NULL);
	return pid;
}

static inline void child_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#endif
