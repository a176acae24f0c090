// SPDX-License-Identifier: GPL-2.0
/* What /proc says of a task (proctask.c): ids, state, blocked-since, kernel stack, notes. */
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
#include <cmocka.h>
#include "proc_test.h"
#include "lib/lib.h"
#include "snapshot/snapshot.h"

/* A child asleep in the kernel: its facts as the BPF record would carry them. */
static void test_proctask_fill_sleeping_child(void **state)
{
	struct rs_capture_cfg cfg = { .kernel_stacks = true };
	pid_t pid = child_start("exec sleep 30");
	struct rs_pthread_ref ref = { (uint32_t)pid, (uint32_t)pid, 0 };
	struct rs_task_rec h = { 0 };
	struct rs_proc_status st;
	struct rs_procfs ps;

	(void)state;
	procfs_init(&ps, &cfg, true);
	assert_int_equal(rs_proctask_fill(&ps, &ref, &h, &st), 0);
	assert_int_equal(h.tgid, (uint32_t)pid);
	assert_int_equal(h.tid, (uint32_t)pid);
	assert_int_equal(h.ns_tid, (uint32_t)pid); /* our own PID namespace */
	assert_string_equal(h.comm, "sleep");
	assert_int_equal(rs_state_letter(h.state, h.exit_state), 'S');
	assert_true(h.pidns_ino && h.mntns_ino);
	assert_false(h.flags & (RS_TF_KTHREAD | RS_TF_EXITING));
	assert_true(h.last_arrival_ns && h.now_ns >= h.last_arrival_ns);
	/* asleep ~100 ms: blocked-since on its CPU's clock says so, within reason */
	assert_true(h.now_ns - h.last_arrival_ns > 20000000ull);
	assert_true(h.now_ns - h.last_arrival_ns < 10000000000ull);
	rs_proctask_kstack(&ps, &ref, &h);
	if (ps.ksyms && geteuid() == 0)
		assert_true(h.kstack_len > 0 && h.kstack[0] >= 0xffff000000000000ull);
	child_stop(pid);
	/* gone: said as such, not as an error */
	assert_int_equal(rs_proctask_fill(&ps, &ref, &h, &st), -ENOENT);
	procfs_clear(&ps);
}

/* A kernel thread is flagged (kthreadd is pid 2 in the initial PID namespace). */
static void test_proctask_kernel_thread(void **state)
{
	struct rs_capture_cfg cfg = { 0 };
	struct rs_pthread_ref ref = { 2, 2, 0 };
	struct rs_task_rec h = { 0 };
	struct rs_proc_status st;
	struct rs_procfs ps;
	char *comm = NULL;
	size_t len;

	(void)state;
	if (rs_read_file("/proc/2/comm", &comm, &len) || strncmp(comm, "kthreadd", 8)) {
		free(comm);
		skip(); /* another PID namespace */
	}
	free(comm);
	procfs_init(&ps, &cfg, false);
	assert_int_equal(rs_proctask_fill(&ps, &ref, &h, &st), 0);
	assert_true(h.flags & RS_TF_KTHREAD);
	procfs_clear(&ps);
}

/* The notes are lines, cut short (never overflowed) when they fill up. */
static void test_proctask_notes_cut_short(void **state)
{
	struct rs_capture_cfg cfg = { 0 };
	struct rs_procfs ps;
	size_t len;

	(void)state;
	procfs_init(&ps, &cfg, false);
	rs_procfs_note(&ps, "first %d", 1);
	assert_string_equal(ps.cap->notes, "first 1\n");
	for (int i = 0; i < 200; i++)
		rs_procfs_note(&ps, "a note that is rather long so the buffer fills: %d", i);
	len = strlen(ps.cap->notes);
	assert_true(len < sizeof(ps.cap->notes));
	assert_int_equal(ps.cap->notes[len - 1], '\n');
	procfs_clear(&ps);
}

/* The stack mapping of this thread, from our own maps; re-read for another pid. */
static void test_proctask_mapping(void **state)
{
	struct rs_capture_cfg cfg = { 0 };
	struct rs_procfs ps;
	const struct rs_map *m;
	int local;

	(void)state;
	procfs_init(&ps, &cfg, false);
	m = rs_procfs_mapping(&ps, (uint32_t)getpid(), (uint64_t)(uintptr_t)&local);
	assert_non_null(m);
	assert_true(m->start <= (uint64_t)(uintptr_t)&local &&
		    m->end > (uint64_t)(uintptr_t)&local);
	assert_null(rs_procfs_mapping(&ps, 0x3ffffff0, (uint64_t)(uintptr_t)&local));
	procfs_clear(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proctask_fill_sleeping_child),
		cmocka_unit_test(test_proctask_kernel_thread),
		cmocka_unit_test(test_proctask_notes_cut_short),
		cmocka_unit_test(test_proctask_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
