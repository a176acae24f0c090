// SPDX-License-Identifier: GPL-2.0
/* One thread's consistent copy (procthread.c): blocked, running, gone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include "proc_test.h"

/* Blocked in clock_nanosleep: the syscall, sp and pc only, and its stack from sp. */
static void test_procthread_blocked(void **state)
{
	struct rs_capture_cfg cfg = { .stack_bytes = RS_USTACK_DEFAULT };
	pid_t pid = child_start("exec sleep 30");
	struct rs_pthread_ref ref = { (uint32_t)pid, (uint32_t)pid, 0 };
	enum rs_pthread_result res;
	struct rs_task_rec *r = NULL;
	struct rs_procfs ps;

	(void)state;
	procfs_init(&ps, &cfg, false);
	assert_int_equal(rs_pthread_capture(&ps, &ref, &res, &r), 0);
	assert_int_equal(res, RS_PT_DONE);
	assert_true((r->flags & (RS_TF_REGS | RS_TF_REGS_SPIP)) == (RS_TF_REGS | RS_TF_REGS_SPIP));
	assert_false(r->flags & (RS_TF_MOVED | RS_TF_ON_CPU));
	assert_int_equal(r->regs.orig_ax, SYS_clock_nanosleep);
	assert_true(r->regs.ip && r->regs.sp);
	assert_true(r->ustack_len > 0 && r->ustack_len <= RS_USTACK_MAX);
	assert_int_equal(r->regs.bx, 0); /* unknown, not made up */
	free(r);
	child_stop(pid);
	/* gone: no record, no error */
	r = NULL;
	assert_int_equal(rs_pthread_capture(&ps, &ref, &res, &r), 0);
	assert_int_equal(res, RS_PT_GONE);
	assert_null(r);
	procfs_clear(&ps);
}

/* Running: the facts without registers, for a perf sample to complete. */
static void test_procthread_running(void **state)
{
	struct rs_capture_cfg cfg = { .stack_bytes = RS_USTACK_DEFAULT };
	pid_t pid = child_start("while :; do :; done");
	struct rs_pthread_ref ref = { (uint32_t)pid, (uint32_t)pid, 0 };
	enum rs_pthread_result res = RS_PT_GONE;
	struct rs_task_rec *r = NULL;
	struct rs_procfs ps;

	(void)state;
	procfs_init(&ps, &cfg, false);
	/* on 2 CPUs it may be preempted now and then: a few looks */
	for (int i = 0; i < 20 && res != RS_PT_RUNNING; i++) {
		free(r);
		r = NULL;
		assert_int_equal(rs_pthread_capture(&ps, &ref, &res, &r), 0);
	}
	assert_int_equal(res, RS_PT_RUNNING);
	assert_false(r->flags & (RS_TF_REGS | RS_TF_REGS_SPIP));
	assert_int_equal(r->ustack_len, 0);
	assert_int_equal(r->tid, (uint32_t)pid);
	free(r);
	child_stop(pid);
	procfs_clear(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procthread_blocked),
		cmocka_unit_test(test_procthread_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
