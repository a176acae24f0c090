// SPDX-License-Identifier: GPL-2.0
/*
 * Stuck, spinning, progressing, idle (verdict.c): the rules on synthetic
 * pairs of captures of one thread, the matching of threads across
 * snapshots (new, exited), and the report's order and tags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "report/report.h"

#define NR_READ	      0
#define NR_FUTEX      202
#define NR_EPOLL_WAIT 232
#define MS(x)	      ((uint64_t)(x)*1000000ull)
#define S(x)	      ((uint64_t)(x)*1000000000ull)

static const char *const pipe_read[] = { "__libc_read", "blocked_on_pipe", "piper", "start_thread",
					 "clone3" };
static const char *const spin[] = { "spin_on_flag", "spinner", "start_thread", "clone3" };
static const char *const spin_helper[] = { "tick", "spin_on_flag", "spinner", "start_thread",
					   "clone3" };
static const char *const burn[] = { "burn_cpu", "progress_loop", "worker", "start_thread",
				    "clone3" };
static const char *const nap[] = { "__GI___nanosleep", "nap",	       "progress_loop",
				   "worker",	       "start_thread", "clone3" };
static const char *const reactor[] = { "epoll_wait", "reactor", "start_thread", "clone3" };

/* A thread captured at at_ns: blocked in nr (or running when nr < 0), frames fns. */
static void make(struct rs_thread *t, uint32_t tid, int nr, uint64_t at_ns, uint64_t cpu_ns,
		 uint64_t nvcsw, const char *const *fns, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->tid = t->ns_tid = tid;
	snprintf(t->name, sizeof(t->name), "t%u", tid);
	t->state = nr >= 0 ? 'S' : 'R';
	t->on_cpu = nr < 0;
	t->in_syscall = nr >= 0;
	t->syscall_nr = nr;
	t->syscall_args[0] = 3;
	t->capture_ns = at_ns;
	t->cpu_known = true;
	t->cpu_ns = cpu_ns;
	t->nvcsw = nvcsw;
	t->uframes = calloc(n, sizeof(*t->uframes));
	assert_non_null(t->uframes);
	for (size_t j = 0; j < n; j++) {
		t->uframes[j].function = strdup(fns[j]);
		t->uframes[j].addr = 0x1000 + 0x10 * j;
		assert_non_null(t->uframes[j].function);
	}
	t->n_uframes = n;
}

#define MAKE(t, tid, nr, at, cpu, nv, fns)                                                         \
	make(t, tid, nr, at, cpu, nv, fns, sizeof(fns) / sizeof(*fns))

static enum rs_verdict pair(const struct rs_thread *a, const struct rs_thread *b,
			    struct rs_thread_verdict *v)
{
	const struct rs_thread *seq[2] = { a, b };

	return rs_verdict_of(seq, 2, v);
}

static void test_verdict_stuck_needs_no_run(void **state)
{
	struct rs_thread a, b;
	struct rs_thread_verdict v;

	(void)state;
	MAKE(&a, 7, NR_READ, S(10), MS(5), 3, pipe_read);
	MAKE(&b, 7, NR_READ, S(12), MS(5), 3, pipe_read);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_STUCK);
	assert_true(v.same_site);
	assert_int_equal(v.cpu_ns_delta, 0);
	assert_int_equal(v.ctxsw_delta, 0);
	assert_int_equal(v.wall_ns, S(2));
	/* one voluntary switch: it woke and slept again at the same place */
	b.nvcsw = 4;
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	assert_true(v.same_site);
	assert_int_equal(v.ctxsw_delta, 1);
	/* CPU time without a switch (it ran on a CPU it never left): not stuck */
	b.nvcsw = 3;
	b.cpu_ns = MS(6);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	assert_int_equal(v.cpu_ns_delta, MS(1));
	rs_thread_clear(&a);
	rs_thread_clear(&b);
}

static void test_verdict_same_site(void **state)
{
	struct rs_thread a, b;

	(void)state;
	MAKE(&a, 7, NR_READ, S(10), 0, 0, pipe_read);
	MAKE(&b, 7, NR_READ, S(12), 0, 0, pipe_read);
	assert_true(rs_verdict_same_site(&a, &b));
	b.syscall_args[0] = 4; /* another fd */
	assert_false(rs_verdict_same_site(&a, &b));
	b.syscall_args[0] = 3;
	b.uframes[1].addr += 4; /* another call site in the same function */
	assert_false(rs_verdict_same_site(&a, &b));
	b.uframes[1].addr -= 4;
	b.syscall_nr = NR_FUTEX;
	assert_false(rs_verdict_same_site(&a, &b));
	b.syscall_nr = NR_READ;
	b.on_cpu = true;
	assert_false(rs_verdict_same_site(&a, &b));
	rs_thread_clear(&a);
	rs_thread_clear(&b);
}

static void test_verdict_spinning(void **state)
{
	struct rs_thread a, b, c;
	struct rs_thread_verdict v;

	(void)state;
	/* 1.9 s of CPU in 2 s, both captures in spin_on_flag */
	MAKE(&a, 8, -1, S(10), S(1), 0, spin);
	MAKE(&b, 8, -1, S(12), S(1) + MS(1900), 0, spin);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_SPINNING);
	assert_int_equal(v.cpu_ns_delta, MS(1900));
	/* a helper it calls is innermost in one capture: the same region */
	MAKE(&c, 8, -1, S(12), S(1) + MS(1900), 0, spin_helper);
	assert_true(rs_verdict_same_region(&a, &c));
	assert_int_equal(pair(&a, &c, &v), RS_VERDICT_SPINNING);
	/* a busy node: 0.4 s on a CPU and 0.8 s waiting for one is still half the interval */
	b.cpu_ns = S(1) + MS(400);
	b.run_delay_ns = MS(800);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_SPINNING);
	assert_int_equal(v.runnable_ns_delta, MS(800));
	/* under half: 0.4 s + 0.5 s of 2 s */
	b.run_delay_ns = MS(500);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	/* exactly half counts */
	b.run_delay_ns = MS(600);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_SPINNING);
	/* 5 sleeps for its 0.4 s of CPU (over RS_SPIN_SLEEPS_PER_CPU_S): not a busy loop */
	b.nvcsw = 5;
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	b.nvcsw = 4;
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_SPINNING);
	/* involuntary switches (preemption, sched_yield) do not count as sleeps */
	b.nivcsw = 500;
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_SPINNING);
	/* CPU time unknown: never spinning */
	b.cpu_known = false;
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	assert_false(v.cpu_known);
	rs_thread_clear(&a);
	rs_thread_clear(&b);
	rs_thread_clear(&c);
}

static void test_verdict_progressing(void **state)
{
	struct rs_thread a, b;
	struct rs_thread_verdict v;

	(void)state;
	/* 1 s of CPU in 2 s, 100 sleeps, computing in one capture, sleeping in the other */
	MAKE(&a, 9, -1, S(10), S(3), 400, burn);
	MAKE(&b, 9, 230, S(12), S(4), 500, nap);
	assert_false(rs_verdict_same_region(&a, &b));
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	assert_int_equal(v.ctxsw_delta, 100);
	assert_false(v.same_site);
	/*
	 * a starved node: 0.2 s of CPU, 1.7 s waiting for one, 20 sleeps (10 a wall second,
	 * 100 a CPU second), both captures computing: it sleeps after every 10 ms it gets
	 */
	rs_thread_clear(&b);
	MAKE(&b, 9, -1, S(12), S(3) + MS(200), 420, burn);
	a.run_delay_ns = MS(100);
	b.run_delay_ns = MS(1800);
	assert_true(rs_verdict_same_region(&a, &b));
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	/* all CPU in the same function, but 100 sleeps: progressing still */
	rs_thread_clear(&b);
	MAKE(&b, 9, -1, S(12), S(4) + MS(900), 500, burn);
	a.run_delay_ns = b.run_delay_ns = 0;
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_PROGRESSING);
	rs_thread_clear(&a);
	rs_thread_clear(&b);
}

static void test_verdict_idle_wins(void **state)
{
	struct rs_thread a, b;
	struct rs_thread_verdict v;

	(void)state;
	MAKE(&a, 10, NR_EPOLL_WAIT, S(10), MS(3), 50, reactor);
	MAKE(&b, 10, NR_EPOLL_WAIT, S(12), MS(3), 50, reactor);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_IDLE);
	/* it woke in between and is parked again: idle */
	b.nvcsw = 80;
	b.cpu_ns = MS(9);
	assert_int_equal(pair(&a, &b, &v), RS_VERDICT_IDLE);
	assert_int_equal(v.ctxsw_delta, 30);
	rs_thread_clear(&a);
	rs_thread_clear(&b);
}

static void test_verdict_three_captures(void **state)
{
	struct rs_thread a, b, c;
	const struct rs_thread *seq[3] = { &a, &b, &c };
	struct rs_thread_verdict v;

	(void)state;
	MAKE(&a, 7, NR_READ, S(10), MS(5), 3, pipe_read);
	MAKE(&b, 7, NR_READ, S(11), MS(5), 3, pipe_read);
	MAKE(&c, 7, NR_READ, S(12), MS(5), 3, pipe_read);
	assert_int_equal(rs_verdict_of(seq, 3, &v), RS_VERDICT_STUCK);
	assert_int_equal(v.wall_ns, S(2));
	/* the middle capture saw it elsewhere: not the same site throughout */
	b.syscall_args[0] = 9;
	rs_verdict_of(seq, 3, &v);
	assert_false(v.same_site);
	rs_thread_clear(&a);
	rs_thread_clear(&b);
	rs_thread_clear(&c);
}

/* Two snapshots of pid 42: tids 7 (stuck), 8 (spinning), 11 (exits) then 7, 8, 12 (new). */
static void test_verdict_apply_new_exited_and_order(void **state)
{
	struct rs_thread t0[3], t1[3];
	struct rs_process p0 = { .pid = 42, .threads = t0, .n_threads = 3 };
	struct rs_process p1 = { .pid = 42, .threads = t1, .n_threads = 3 };
	struct rs_snapshot s0 = { .procs = &p0, .n_procs = 1 };
	struct rs_snapshot s1 = { .procs = &p1, .n_procs = 1 };
	struct rs_snapshot *caps[2] = { &s0, &s1 };
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct rs_group *g = NULL;
	size_t n = 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	MAKE(&t0[0], 7, NR_READ, S(10), MS(5), 3, pipe_read);
	MAKE(&t0[1], 8, -1, S(10), S(1), 0, spin);
	MAKE(&t0[2], 11, NR_READ, S(10), MS(5), 3, pipe_read);
	MAKE(&t1[0], 7, NR_READ, S(12), MS(5), 3, pipe_read);
	MAKE(&t1[1], 8, -1, S(12), S(2) + MS(900), 0, spin);
	MAKE(&t1[2], 12, -1, S(12), MS(100), 0, burn);
	assert_int_equal(rs_verdicts_apply(caps, 1), -EINVAL);
	assert_int_equal(rs_verdicts_apply(caps, 2), 0);
	assert_int_equal(t1[0].v.verdict, RS_VERDICT_STUCK);
	assert_int_equal(t1[1].v.verdict, RS_VERDICT_SPINNING);
	assert_int_equal(t1[2].v.verdict, RS_VERDICT_NEW);
	assert_int_equal(s1.compare.captures, 2);
	assert_int_equal(s1.compare.interval_ns, S(2));
	assert_int_equal(s1.compare.n_exited, 1);
	assert_int_equal(s1.compare.exited[0].tid, 11);
	assert_string_equal(s1.compare.exited[0].name, "t11");
	assert_string_equal(rs_verdict_id(RS_VERDICT_EXITED), "exited");
	assert_null(rs_verdict_id(RS_VERDICT_NONE));

	/* stuck first, then spinning, then new */
	assert_int_equal(rs_report_group_by(&s1, &o, &g, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(g[0].verdict, RS_VERDICT_STUCK);
	assert_int_equal(g[1].verdict, RS_VERDICT_SPINNING);
	assert_int_equal(g[2].verdict, RS_VERDICT_NEW);
	rs_report_groups_free(g, n);

	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(rs_report_text(f, &s1, &o), 0);
	fclose(f);
	assert_non_null(strstr(out, "compared 2 snapshots over 2.0s: 1 stuck, 1 spinning, 0 "
				    "progressing, 0 idle, 1 new, 1 exited\n"));
	assert_non_null(strstr(out, "exited between the snapshots: pid 42 tid 11 \"t11\"\n"));
	assert_non_null(strstr(out, "  [stuck 2.0s]\n"));
	assert_non_null(strstr(out, "  [spinning 95% CPU]\n"));
	assert_non_null(strstr(out, "  [new]\n"));
	assert_true(strstr(out, "[stuck") < strstr(out, "[spinning"));
	free(out);

	for (size_t i = 0; i < 3; i++) {
		rs_thread_clear(&t0[i]);
		rs_thread_clear(&t1[i]);
	}
	free(s1.compare.exited);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_stuck_needs_no_run),
		cmocka_unit_test(test_verdict_same_site),
		cmocka_unit_test(test_verdict_spinning),
		cmocka_unit_test(test_verdict_progressing),
		cmocka_unit_test(test_verdict_idle_wins),
		cmocka_unit_test(test_verdict_three_captures),
		cmocka_unit_test(test_verdict_apply_new_exited_and_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
