// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF-free snapshot end to end on real, blocked fixture victims
 * (tests/fixtures/unwind): the record /proc gives, then its stack unwound
 * from sp and pc only.
 */
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
#include <sys/wait.h>
#include <cmocka.h>
#include "capture/capture.h"
#include "lib/lib.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"
#include "victim.h"

/* The /proc backend on a victim blocked in read(2): its record, then its stack unwound. */
static void procfs_capture(const char *bin)
{
	struct victim v = { 0 };
	struct victim_sample s;
	uint32_t tgid;
	struct rs_resolved tgt = { .tgids = &tgid, .n_tgids = 1 };
	struct rs_capture_cfg cfg = { .target = &tgt,
				      .stack_bytes = RS_USTACK_DEFAULT,
				      .kernel_stacks = true,
				      .oncpu_wait_ms = 100 };
	struct rs_capture *cap = NULL;
	struct rs_proc *p = NULL;
	struct stack st = { 0 };
	const struct rs_task_rec *r;
	char err[1024] = "";
	struct timespec pause = { 0, 50000000 };
	static const char *const want[] = {
		"read|__libc_read|__GI___libc_read",
		"dump_sample",
		"level_three",
		"level_two",
		"level_one",
		"main",
		"__libc_start_call_main",
		"__libc_start_main*",
		"_start",
	};
	size_t at = 0;

	victim_start(&v, bin, "main", NULL);
	victim_sample(&v, &s);
	nanosleep(&pause, NULL); /* into its read(0) */
	tgid = (uint32_t)v.pid;
	assert_int_equal(rs_capture_procfs_run(&cfg, &cap, err, sizeof(err)), 0);
	assert_int_equal(cap->n, 1);
	r = cap->recs[0];
	assert_int_equal(r->tgid, tgid);
	assert_int_equal(r->tid, tgid);
	assert_int_equal(r->ns_tid, tgid);
	assert_true(r->pidns_ino && r->mntns_ino);
	assert_true((r->flags & (RS_TF_REGS | RS_TF_REGS_SPIP)) == (RS_TF_REGS | RS_TF_REGS_SPIP));
	assert_false(r->flags & (RS_TF_ON_CPU | RS_TF_FROM_PERF | RS_TF_MOVED));
	assert_int_equal(r->regs.orig_ax, 0); /* read */
	assert_int_equal(r->regs.di, 0);      /* from stdin */
	assert_int_equal(r->regs.dx, 1);
	assert_true(r->ustack_len > 0 && r->ustack_len <= RS_USTACK_MAX);
	assert_int_equal(rs_state_letter(r->state, r->exit_state), 'S');
	assert_true(r->last_arrival_ns && r->now_ns >= r->last_arrival_ns);
	assert_true(r->now_ns - r->last_arrival_ns < 60000000000ull);
	if (geteuid() == 0)
		assert_true(r->kstack_len > 0 && r->kstack[0] >= 0xffff000000000000ull);

	assert_int_equal(rs_proc_open("/proc", tgid, NULL, &p), 0);
	assert_int_equal(rs_stack_user(p,
				       &(struct rs_ustack){ .regs = &r->regs,
							    .stack = r + 1,
							    .len = r->ustack_len,
							    .sp_pc_only = true },
				       &st.u, &st.f, &st.n),
			 0);
	if (getenv("RS_TEST_VERBOSE"))
		stack_print(&st);
	/* glibc's read may show as an inline frame and its own: skip repeats */
	for (size_t i = 0; i < st.n && at < sizeof(want) / sizeof(want[0]); i++) {
		if (name_matches(st.f[i].function, want[at]))
			at++;
		else if (!at || !name_matches(st.f[i].function, want[at - 1]))
			break;
	}
	if (at != sizeof(want) / sizeof(want[0]))
		stack_print(&st);
	assert_int_equal(at, sizeof(want) / sizeof(want[0]));
	assert_true(st.u.info.complete);
	stack_clear(&st);
	rs_proc_free(p);
	rs_capture_free(cap);
	free(s.stack);
	victim_stop(&v);
}

static void test_procfs_capture_nofp(void **state)
{
	(void)state;
	procfs_capture("victim_nofp");
}

static void test_procfs_capture_fp(void **state)
{
	(void)state;
	procfs_capture("victim_fp");
}

/* A process that is gone: no records, no error (the caller says it was not captured). */
static void test_procfs_target_gone(void **state)
{
	uint32_t tgid = 0x3ffffff0;
	struct rs_resolved tgt = { .tgids = &tgid, .n_tgids = 1 };
	struct rs_capture_cfg cfg = { .target = &tgt, .stack_bytes = RS_USTACK_DEFAULT };
	struct rs_capture *cap = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(rs_capture_procfs_run(&cfg, &cap, err, sizeof(err)), 0);
	assert_int_equal(cap->n, 0);
	rs_capture_free(cap);
}

/* A thread that runs is sampled by its own perf event: registers and stack from its context. */
static void test_procfs_running_thread_sampled(void **state)
{
	struct victim v = { 0 };
	uint32_t tgid;
	struct rs_resolved tgt = { .tgids = &tgid, .n_tgids = 1 };
	struct rs_capture_cfg cfg = { .target = &tgt,
				      .stack_bytes = RS_USTACK_DEFAULT,
				      .kernel_stacks = true,
				      .oncpu_wait_ms = 500 };
	struct rs_capture *cap = NULL;
	const struct rs_task_rec *r;
	struct timespec pause = { 0, 50000000 };
	char err[1024] = "";

	(void)state;
	victim_start_path(&v, "/bin/sh", "-c", "while :; do :; done");
	nanosleep(&pause, NULL);
	tgid = (uint32_t)v.pid;
	assert_int_equal(rs_capture_procfs_run(&cfg, &cap, err, sizeof(err)), 0);
	assert_int_equal(cap->n, 1);
	r = cap->recs[0];
	if (!(r->flags & RS_TF_FROM_PERF))
		fail_msg("not sampled: flags %#x, notes '%s'", r->flags, cap->notes);
	assert_true(r->flags & RS_TF_ON_CPU);
	assert_false(r->flags & (RS_TF_REGS_SPIP | RS_TF_MOVED));
	assert_int_equal(cap->counters[RS_CNT_PERF_SAMPLES], 1);
	if (r->flags & RS_TF_USER_MODE) {
		assert_true(r->flags & RS_TF_REGS);
		assert_true(r->regs.ip && r->regs.sp && r->ustack_len > 0);
	}
	rs_capture_free(cap);
	victim_stop(&v);
}

/*
 * Without the right to read the target (an unprivileged user reading a
 * root process): one line naming what, why and the fix, never "as root"
 * advice to root.
 */
static void test_procfs_no_permission_says_why(void **state)
{
	struct victim v = { 0 };
	struct victim_sample s;
	char msg[1024] = "";
	int fds[2], status;
	pid_t child;

	(void)state;
	if (geteuid() != 0)
		skip(); /* needs a root target and a way to drop to another user */
	victim_start(&v, "victim_nofp", "main", NULL);
	victim_sample(&v, &s);
	assert_int_equal(pipe(fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		uint32_t tgid = (uint32_t)v.pid;
		struct rs_resolved tgt = { .tgids = &tgid, .n_tgids = 1 };
		struct rs_capture_cfg cfg = { .target = &tgt, .stack_bytes = RS_USTACK_DEFAULT };
		struct rs_capture *cap = NULL;
		char err[1024] = "";
		int e;

		close(fds[0]);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		e = rs_capture_procfs_run(&cfg, &cap, err, sizeof(err));
		rs_capture_free(cap);
		if (write(fds[1], err, strlen(err)) < 0)
			_exit(4);
		_exit(e == -EPERM || e == -EACCES ? 0 : 5);
	}
	close(fds[1]);
	assert_true(read(fds[0], msg, sizeof(msg) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child: status %#x, message '%s'", status, msg);
	assert_null(strchr(msg, '\n'));
	assert_non_null(strstr(msg, "cannot read "));
	assert_non_null(strstr(msg, "CAP_SYS_PTRACE"));
	free(s.stack);
	victim_stop(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_capture_nofp),
		cmocka_unit_test(test_procfs_capture_fp),
		cmocka_unit_test(test_procfs_target_gone),
		cmocka_unit_test(test_procfs_running_thread_sampled),
		cmocka_unit_test(test_procfs_no_permission_says_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
