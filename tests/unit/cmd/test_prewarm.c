// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF opened while the BPF object loads (cmd/prewarm.c): the thread opens
 * each process it is given and hands them over at the join, a process gone
 * leaves its slot empty, and its own capability drop leaves the calling
 * thread's capabilities as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "cmd/cmd_priv.h"

static void test_prewarm_hands_over_processes(void **state)
{
	uint64_t eff, prm, eff2, prm2;
	struct rs_prewarm *w = NULL;
	struct rs_proc **procs;
	uint32_t pids[2];
	pid_t child;
	size_t n;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child); /* reaped: its pid names no process */
	pids[0] = (uint32_t)getpid();
	pids[1] = (uint32_t)child;
	assert_int_equal(rs_caps_get(&eff, &prm), 0);
	assert_int_equal(rs_prewarm_start(pids, 2, NULL, 0, &w), 0);
	procs = rs_prewarm_join(w, &n);
	assert_int_equal(n, 2);
	assert_non_null(procs[0]);
	assert_int_equal(rs_proc_pid(procs[0]), getpid());
	assert_non_null(rs_proc_maps(procs[0]));
	assert_true(rs_proc_maps(procs[0])->n > 0);
	assert_null(procs[1]);
	/* joining again hands over the same slots */
	assert_ptr_equal(rs_prewarm_join(w, &n), procs);
	assert_int_equal(rs_caps_get(&eff2, &prm2), 0);
	assert_int_equal(eff2, eff);
	assert_int_equal(prm2, prm);
	rs_prewarm_free(w);
	assert_null(rs_prewarm_join(NULL, &n));
	assert_int_equal(n, 0);
	rs_prewarm_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prewarm_hands_over_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
