// SPDX-License-Identifier: GPL-2.0
/* One thread's consistent copy (procthread.c): blocked, running, gone. */
#include <alloca.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
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

/*
 * A thread of ours blocked in read() on a stack that is the lower half of
 * one mapping, as a stack merged with its neighbour is: its frames end at
 * its TCB (pthread_self()), not at the mapping's end, whether the window
 * reaches the TCB (shallow) or only the copy of the stack's top does (deep).
 */
struct merged {
	int fd;		 /* the pipe's read end */
	size_t depth;	 /* bytes of stack used before blocking */
	uint64_t tcb;	 /* pthread_self() */
	uint32_t tid;	 /* gettid() */
	volatile int up; /* the thread is about to block */
};

static void *merged_thread(void *arg)
{
	struct merged *m = arg;
	char c, *deep = alloca(m->depth);

	deep[0] = 1;
	m->tcb = (uint64_t)pthread_self();
	m->tid = (uint32_t)syscall(SYS_gettid);
	__atomic_store_n(&m->up, 1, __ATOMIC_RELEASE);
	if (read(m->fd, &c, 1) < 0)
		return NULL;
	return deep[0] ? NULL : m;
}

static void merged_capture(size_t depth, struct rs_task_rec **out, uint64_t *tcb)
{
	const size_t half = 1u << 20;
	struct rs_capture_cfg cfg = { .stack_bytes = RS_USTACK_DEFAULT };
	char *map =
	    mmap(NULL, 2 * half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct merged m = { .depth = depth };
	struct timespec pause = { 0, 50000000 };
	enum rs_pthread_result res;
	struct rs_procfs ps;
	pthread_attr_t attr;
	pthread_t t;
	int fds[2];

	assert_true(map != MAP_FAILED);
	memset(map + half, 0x5a, half); /* the neighbour's data above the stack */
	assert_int_equal(pipe(fds), 0);
	m.fd = fds[0];
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstack(&attr, map, half), 0);
	assert_int_equal(pthread_create(&t, &attr, merged_thread, &m), 0);
	while (!__atomic_load_n(&m.up, __ATOMIC_ACQUIRE))
		nanosleep(&pause, NULL);
	nanosleep(&pause, NULL); /* into read() */
	procfs_init(&ps, &cfg, false);
	struct rs_pthread_ref ref = { (uint32_t)getpid(), m.tid, 0 };
	assert_int_equal(rs_pthread_capture(&ps, &ref, &res, out), 0);
	assert_int_equal(res, RS_PT_DONE);
	procfs_clear(&ps);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	close(fds[0]);
	close(fds[1]);
	munmap(map, 2 * half);
	*tcb = m.tcb;
}

static void test_procthread_stack_ends_at_tcb(void **state)
{
	struct rs_task_rec *r = NULL;
	uint64_t tcb;

	(void)state;
	/* shallow: the window holds the TCB and ends there */
	merged_capture(4096, &r, &tcb);
	assert_true(r->regs.sp < tcb);
	assert_int_equal(r->regs.sp + r->ustack_len, tcb);
	assert_false(r->flags & RS_TF_USTACK_TRUNC);
	assert_int_equal(r->utop_len, 0);
	free(r);
	/* deeper than the window: the copy of the top ends at the TCB */
	merged_capture(300 * 1024, &r, &tcb);
	assert_true(r->flags & RS_TF_USTACK_TRUNC);
	assert_int_equal(r->ustack_len, RS_USTACK_MAX);
	assert_int_equal(r->utop_len, RS_USTACK_TOP);
	assert_int_equal(r->utop_addr + r->utop_len, tcb);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procthread_blocked),
		cmocka_unit_test(test_procthread_running),
		cmocka_unit_test(test_procthread_stack_ends_at_tcb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
