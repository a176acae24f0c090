// SPDX-License-Identifier: GPL-2.0
/*
 * Records to the model (snapshot/assemble.c) on recorded records: a fixture
 * victim records its own registers and stack, which become the user part of
 * an rs_task_rec as the BPF iterator would stream it; the kernel part comes
 * from the kallsyms fixture. Checked: processes and threads in order, the
 * state letter, blocked-for on the run-queue clock, the syscall, kernel
 * frames, the user frames down to _start, and what each kind of incomplete
 * record (kernel thread, stale on-CPU registers, zombie) says, and that
 * churn (exiting threads, exited processes) is counted, not reported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture/capture.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"
#include "victim.h"

#define KSYMS  RS_FIXTURES "/ksyms/kallsyms"
#define MS(x)  ((uint64_t)(x)*1000000ull)
#define TASK_S 1u /* TASK_INTERRUPTIBLE */

/* A record for tid of tgid, blocked since 'left' on a clock now reads 'now'. */
static struct rs_task_rec *record(uint32_t tgid, uint32_t tid, const char *comm,
				  const struct victim_sample *s)
{
	size_t len = s ? s->hdr.len : 0;
	struct rs_task_rec *r = calloc(1, sizeof(*r) + len);

	assert_non_null(r);
	r->tgid = r->ns_tgid = tgid;
	r->tid = r->ns_tid = tid;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	r->state = TASK_S;
	r->now_ns = MS(10000);
	r->last_arrival_ns = MS(6000);
	r->sum_exec_ns = MS(2500);
	r->prev_sum_exec_ns = MS(2000); /* last slice 500 ms: left the CPU at 6.5 s */
	r->nvcsw = 7;
	r->nivcsw = 3;
	r->capture_ktime_ns = MS(1) + tid;
	if (s) {
		r->regs = s->hdr.regs;
		r->flags |= RS_TF_REGS;
		r->ustack_len = (uint32_t)len;
		memcpy(r + 1, s->stack, len);
	}
	/* two kernel frames: a return address inside futex_wait_queue, then schedule */
	r->kstack[0] = 0xffffffff81003010ull;
	r->kstack[1] = 0xffffffff81002010ull;
	r->kstack_len = 2;
	return r;
}

static void capture_add(struct rs_capture *c, struct rs_task_rec *r)
{
	c->recs = realloc(c->recs, (c->n + 1) * sizeof(*c->recs));
	assert_non_null(c->recs);
	c->recs[c->n++] = r;
}

static const struct rs_thread *thread_of(const struct rs_process *p, uint32_t tid)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	fail_msg("no thread %u", tid);
	return NULL;
}

static void assert_user_names(const struct rs_thread *t, const char *const *want, size_t n)
{
	size_t i = 0;

	for (size_t j = 0; j < t->n_uframes && i < n; j++) {
		const char *fn = t->uframes[j].function ? t->uframes[j].function : "??";

		if (t->uframes[j].inlined)
			continue;
		if (!strcmp(fn, want[i]) || (want[i][strlen(want[i]) - 1] == '*' &&
					     !strncmp(fn, want[i], strlen(want[i]) - 1)))
			i++;
	}
	if (i != n)
		fail_msg("user frames of %u lack '%s' in order (%zu frames)", t->tid, want[i],
			 t->n_uframes);
}

/*
 * A live victim blocked with its own sample, and records of every kind around
 * it: the model has one process per tgid in pid order, threads as recorded,
 * and says for each incomplete record why its stack is missing.
 */
static void test_assemble_recorded_records(void **state)
{
	static const char *const main_stack[] = {
		"level_three",	      "level_two", "level_one", "main", "__libc_start_call_main",
		"__libc_start_main*", "_start"
	};
	struct rs_assemble_cfg cfg = { .proc_root = "/proc", .kernel = true };
	struct rs_capture cap = { 0 };
	struct rs_snapshot snap = { 0 };
	struct victim v = { 0 };
	struct victim_sample s;
	struct rs_task_rec *r;
	const struct rs_thread *t;
	const struct rs_process *p;
	uint32_t pid;

	(void)state;
	victim_start(&v, "victim_nofp", "main", NULL);
	victim_sample(&v, &s);
	pid = (uint32_t)v.pid;
	assert_int_equal(rs_ksyms_load(KSYMS, (struct rs_ksyms **)&cfg.ksyms), 0);

	/* the sampled thread, blocked in read(2) on its stdin */
	r = record(pid, pid, "victim_nofp", &s);
	capture_add(&cap, r);
	/* the same process: a thread exiting (no user registers): churn, left out */
	r = record(pid, pid + 100000, "exiting", NULL);
	r->flags |= RS_TF_EXITING;
	capture_add(&cap, r);
	/* ... one that was running and no perf sample caught: stale registers */
	r = record(pid, pid + 100001, "spinner", &s);
	r->flags |= RS_TF_ON_CPU;
	capture_add(&cap, r);
	/* a kernel thread of another (smaller) tgid: no user stack at all */
	r = record(2, 2, "kthreadd", NULL);
	r->flags |= RS_TF_KTHREAD;
	capture_add(&cap, r);

	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_int_equal(snap.n_procs, 2);
	assert_int_equal(snap.procs[0].pid, 2); /* pid order */
	p = &snap.procs[1];
	assert_int_equal(p->pid, pid);
	assert_string_equal(p->comm, "victim_nofp");
	assert_non_null(p->exe);
	assert_non_null(strstr(p->exe, "victim_nofp"));
	assert_int_equal(p->n_threads, 2);
	assert_int_equal(snap.exited_threads, 1);

	t = thread_of(p, pid);
	assert_int_equal(t->state, 'S');
	assert_false(t->on_cpu);
	assert_true(t->blocked_known);
	assert_int_equal(t->blocked_ns, MS(3500)); /* 10 s - (6 s + 0.5 s) */
	assert_int_equal(t->nvcsw, 7);
	assert_int_equal(t->nivcsw, 3);
	assert_int_equal(t->n_kframes, 2);
	assert_string_equal(t->kframes[0].function, "futex_wait_queue");
	assert_string_equal(t->kframes[1].function, "schedule");
	assert_user_names(t, main_stack, sizeof(main_stack) / sizeof(main_stack[0]));
	assert_true(t->unwind.complete);

	for (size_t i = 0; i < p->n_threads; i++)
		assert_int_not_equal(p->threads[i].tid, pid + 100000);

	t = thread_of(p, pid + 100001);
	assert_true(t->on_cpu);
	assert_int_equal(t->blocked_ns, 0);
	assert_non_null(strstr(t->unwind.stop_reason, "registers may be stale"));

	t = &snap.procs[0].threads[0];
	assert_int_equal(t->n_uframes, 0);
	assert_string_equal(t->unwind.stop_reason, "kernel thread");
	assert_int_equal(snap.spread_ns, pid + 100001 - 2);

	rs_snapshot_clear(&snap);
	rs_ksyms_free((struct rs_ksyms *)cfg.ksyms);
	for (size_t i = 0; i < cap.n; i++)
		free(cap.recs[i]);
	free(cap.recs);
	free(s.stack);
	victim_stop(&v);
}

/*
 * Processes opened ahead (cfg.warm): the captured one's is taken (its slot
 * emptied) and gives the same frames; one the capture does not hold stays
 * the caller's.
 */
static void test_assemble_takes_warm_process(void **state)
{
	static const char *const main_stack[] = { "level_three", "level_two", "level_one", "main" };
	struct rs_assemble_cfg cfg = { .proc_root = "/proc", .kernel = false };
	struct rs_proc *warm[2] = { NULL, NULL };
	struct rs_capture cap = { 0 };
	struct rs_snapshot snap = { 0 };
	struct victim v = { 0 };
	struct victim_sample s;
	atomic_bool stop;
	uint32_t pid;

	(void)state;
	atomic_init(&stop, false);
	victim_start(&v, "victim_nofp", "main", NULL);
	victim_sample(&v, &s);
	pid = (uint32_t)v.pid;
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &warm[0]), 0);
	assert_int_equal(rs_proc_open("/proc", pid, NULL, &warm[1]), 0);
	assert_true(rs_proc_prewarm(warm[1], &stop) > 0);
	cfg.warm = warm;
	cfg.n_warm = 2;
	capture_add(&cap, record(pid, pid, "victim_nofp", &s));

	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_null(warm[1]);
	assert_non_null(warm[0]);
	assert_int_equal(snap.n_procs, 1);
	assert_user_names(thread_of(&snap.procs[0], pid), main_stack,
			  sizeof(main_stack) / sizeof(main_stack[0]));

	rs_snapshot_clear(&snap);
	rs_proc_free(warm[0]);
	free(cap.recs[0]);
	free(cap.recs);
	free(s.stack);
	victim_stop(&v);
}

/*
 * Records of the /proc backend: sp and pc only, every other register junk.
 * The model says so (sp_pc_only, moved), and with frame pointers says from
 * which user frame on rbp was recovered from the stack.
 */
static void test_assemble_proc_records(void **state)
{
	static const char *const main_stack[] = {
		"level_three",	      "level_two", "level_one", "main", "__libc_start_call_main",
		"__libc_start_main*", "_start"
	};
	static const char *const bins[] = { "victim_nofp", "victim_fp" };

	(void)state;
	for (size_t b = 0; b < 2; b++) {
		struct rs_assemble_cfg cfg = { .proc_root = "/proc" };
		struct rs_capture cap = { 0 };
		struct rs_snapshot snap = { 0 };
		struct victim v = { 0 };
		struct victim_sample s;
		const struct rs_thread *t;
		struct rs_task_rec *r;
		uint32_t pid;

		victim_start(&v, bins[b], "main", NULL);
		victim_sample(&v, &s);
		pid = (uint32_t)v.pid;
		r = record(pid, pid, bins[b], &s);
		memset(&r->regs, 0x5a, sizeof(r->regs));
		r->regs.ip = s.hdr.regs.ip;
		r->regs.sp = s.hdr.regs.sp;
		r->flags |= RS_TF_REGS_SPIP | (b ? RS_TF_MOVED : 0);
		capture_add(&cap, r);
		assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
		t = thread_of(&snap.procs[0], pid);
		assert_user_names(t, main_stack, sizeof(main_stack) / sizeof(main_stack[0]));
		assert_true(t->unwind.complete);
		assert_true(t->unwind.sp_pc_only);
		assert_int_equal(t->unwind.moved, b == 1);
		/* frame pointers: level_three's CFA needs rbp, found for level_two on */
		assert_int_equal(t->unwind.guessed, b == 1);
		if (b)
			assert_string_equal(t->uframes[t->unwind.guessed_frame].function,
					    "level_two");
		rs_snapshot_clear(&snap);
		free(cap.recs[0]);
		free(cap.recs);
		free(s.stack);
		victim_stop(&v);
	}
}

/* --no-kernel: no kernel frames; a process gone before its maps were read: churn, left out. */
static void test_assemble_no_kernel_and_gone_process(void **state)
{
	struct rs_assemble_cfg cfg = { .proc_root = "/proc", .kernel = false };
	struct rs_capture cap = { 0 };
	struct rs_snapshot snap = { 0 };
	const struct rs_process *p;

	(void)state;
	/* pid_max is at most 2^22: this tgid cannot exist */
	capture_add(&cap, record(4999999, 4999999, "gone", NULL));
	capture_add(&cap, record(getpid(), getpid(), "self", NULL));
	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_int_equal(snap.n_procs, 1);
	assert_int_equal(snap.exited_procs, 1);
	assert_int_equal(snap.exited_threads, 0);
	p = &snap.procs[0];
	assert_int_equal(p->pid, getpid());
	assert_int_equal(p->threads[0].n_kframes, 0);
	assert_null(p->error);
	rs_snapshot_clear(&snap);
	for (size_t i = 0; i < cap.n; i++)
		free(cap.recs[i]);
	free(cap.recs);
}

/*
 * Churn against failure: a thread that was exiting is left out and counted;
 * a zombie stays and says so, neither makes the snapshot partial; a live
 * thread whose registers are missing does, and is what rs_thread_incomplete()
 * finds; the same thread gone by the time it is assembled is churn again.
 */
static void test_assemble_churn_is_not_partial(void **state)
{
	struct rs_assemble_cfg cfg = { .proc_root = "/proc", .kernel = false };
	uint32_t self = (uint32_t)getpid();
	struct rs_capture cap = { 0 };
	struct rs_snapshot snap = { 0 };
	struct rs_task_rec *exiting = record(self, 4000001, "exiting", NULL);
	struct rs_task_rec *dead = record(self, 4000002, "dead", NULL);
	struct rs_task_rec *zombie = record(self, 4000003, "zombie", NULL);
	const struct rs_process *p;

	(void)state;
	exiting->flags |= RS_TF_EXITING;
	dead->exit_state = 0x10;   /* EXIT_DEAD */
	zombie->exit_state = 0x20; /* EXIT_ZOMBIE */
	zombie->flags |= RS_TF_EXITING;
	capture_add(&cap, exiting);
	capture_add(&cap, dead);
	capture_add(&cap, zombie);
	assert_true(rs_rec_exiting(exiting));
	assert_true(rs_rec_exiting(dead));
	assert_false(rs_rec_exiting(zombie));
	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_int_equal(snap.n_procs, 1);
	assert_int_equal(snap.exited_threads, 2);
	assert_int_equal(snap.exited_procs, 0);
	p = &snap.procs[0];
	assert_int_equal(p->n_threads, 1);
	assert_int_equal(p->threads[0].state, 'Z');
	assert_string_equal(p->threads[0].unwind.stop_reason, RS_ZOMBIE_REASON);
	assert_false(rs_thread_incomplete(&p->threads[0]));
	assert_false(snap.partial);
	rs_snapshot_clear(&snap);

	/* a thread alive (this one), without registers: that is a failure */
	cap.recs[2]->exit_state = 0;
	cap.recs[2]->flags &= ~RS_TF_EXITING;
	cap.recs[2]->tid = self;
	memset(&snap, 0, sizeof(snap));
	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_int_equal(snap.n_procs, 1);
	assert_int_equal(snap.procs[0].n_threads, 1);
	assert_true(rs_thread_incomplete(&snap.procs[0].threads[0]));
	assert_true(snap.partial);
	rs_snapshot_clear(&snap);

	cap.recs[2]->tid = 4000005; /* no such thread (any more) */
	memset(&snap, 0, sizeof(snap));
	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_int_equal(snap.n_procs, 0); /* nothing left of it but churn */
	assert_int_equal(snap.exited_procs, 1);
	assert_false(snap.partial);
	rs_snapshot_clear(&snap);
	for (size_t i = 0; i < cap.n; i++)
		free(cap.recs[i]);
	free(cap.recs);
}

/* Only exiting threads left: the process counts as exited, not its threads. */
static void test_assemble_all_threads_exiting(void **state)
{
	struct rs_assemble_cfg cfg = { .proc_root = "/proc", .kernel = false };
	struct rs_capture cap = { 0 };
	struct rs_snapshot snap = { 0 };
	struct rs_task_rec *r = record((uint32_t)getpid(), 4000004, "last", NULL);

	(void)state;
	r->flags |= RS_TF_EXITING;
	capture_add(&cap, r);
	assert_int_equal(rs_assemble(&cap, &cfg, &snap), 0);
	assert_int_equal(snap.n_procs, 0);
	assert_int_equal(snap.exited_procs, 1);
	assert_int_equal(snap.exited_threads, 0);
	assert_false(snap.partial);
	rs_snapshot_clear(&snap);
	free(r);
	free(cap.recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assemble_recorded_records),
		cmocka_unit_test(test_assemble_takes_warm_process),
		cmocka_unit_test(test_assemble_proc_records),
		cmocka_unit_test(test_assemble_no_kernel_and_gone_process),
		cmocka_unit_test(test_assemble_churn_is_not_partial),
		cmocka_unit_test(test_assemble_all_threads_exiting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
