// SPDX-License-Identifier: GPL-2.0
/*
 * The hang watch's rule (watch/watch.c): a block past the threshold at an
 * unknown site asks for a snapshot; an idle verdict silences the site; a
 * hang opens one incident, reported once, cleared once when the block ends;
 * D state and starvation need no snapshot verdict; exited processes are
 * forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "watch/watch.h"

#define S  1000000000ull
#define TH (2 * S)

static struct rs_watch_obs blocked(uint32_t tgid, uint32_t tid, uint64_t ns, int nr, uint64_t a0)
{
	struct rs_watch_obs o = { .tgid = tgid,
				  .tid = tid,
				  .state = 'S',
				  .blocked_known = true,
				  .blocked_ns = ns,
				  .in_syscall = true,
				  .syscall_nr = nr,
				  .arg0 = a0,
				  .switches = 10,
				  .sum_exec_ns = 1000 };

	strcpy(o.comm, "t");
	return o;
}

static struct rs_watch *new_watch(void)
{
	const struct rs_watch_cfg cfg = { .threshold_ns = TH };
	struct rs_watch *w = NULL;

	assert_int_equal(rs_watch_new(&cfg, &w), 0);
	return w;
}

static void test_watch_idle_site_never_reports(void **state)
{
	struct rs_watch *w = new_watch();
	struct rs_watch_events ev;
	const struct rs_watch_incident *inc;
	struct rs_watch_obs o = blocked(100, 101, 0, 202, 0x1000);

	(void)state;
	assert_int_equal(rs_watch_tick(w, 10 * S, &o, 1, &ev), 0);
	assert_int_equal(ev.n_snap, 0); /* not long enough yet */
	assert_int_equal(rs_watch_tick(w, 13 * S, &o, 1, &ev), 0);
	assert_int_equal(ev.n_snap, 1);
	assert_int_equal(ev.snap_tgids[0], 100);
	rs_watch_classify(w, 100, 101, RS_WATCH_IDLE, "idle: worker waiting for work");
	assert_false(rs_watch_open(w, 100, 13 * S, &inc));
	/* Woken and parked again at the same site: no snapshot any more. */
	o.switches++;
	assert_int_equal(rs_watch_tick(w, 14 * S, &o, 1, &ev), 0);
	assert_int_equal(rs_watch_tick(w, 30 * S, &o, 1, &ev), 0);
	assert_int_equal(ev.n_snap, 0);
	rs_watch_free(w);
}

static void test_watch_hang_once_then_cleared(void **state)
{
	struct rs_watch *w = new_watch();
	struct rs_watch_events ev;
	const struct rs_watch_incident *inc = NULL;
	struct rs_watch_obs o[2] = { blocked(100, 101, 0, 0, 7), blocked(100, 102, 0, 202, 8) };

	(void)state;
	assert_int_equal(rs_watch_tick(w, 10 * S, o, 2, &ev), 0);
	assert_int_equal(rs_watch_tick(w, 12 * S + 1, o, 2, &ev), 0);
	assert_int_equal(ev.n_snap, 1);
	rs_watch_classify(w, 100, 101, RS_WATCH_HANG, NULL);
	rs_watch_classify(w, 100, 102, RS_WATCH_IDLE, "idle");
	assert_true(rs_watch_open(w, 100, 12 * S + 1, &inc));
	assert_int_equal(inc->id, 1);
	assert_int_equal(inc->n_threads, 1);
	assert_int_equal(inc->threads[0].tid, 101);
	assert_int_equal(inc->threads[0].why, RS_WHY_BLOCKED);
	assert_true(inc->threads[0].blocked_ns >= TH);
	/* Still hung: neither a snapshot nor a second incident. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(rs_watch_tick(w, (13 + i) * S, o, 2, &ev), 0);
		assert_int_equal(ev.n_snap, 0);
		assert_int_equal(ev.n_cleared, 0);
		assert_false(rs_watch_open(w, 100, (13 + i) * S, &inc));
	}
	o[0].switches++; /* it woke */
	assert_int_equal(rs_watch_tick(w, 20 * S, o, 2, &ev), 0);
	assert_int_equal(ev.n_cleared, 1);
	assert_int_equal(ev.cleared[0].id, 1);
	assert_false(ev.cleared_exit[0]);
	assert_int_equal(rs_watch_tick(w, 21 * S, o, 2, &ev), 0);
	assert_int_equal(ev.n_cleared, 0);
	rs_watch_free(w);
}

static void test_watch_d_state_needs_no_verdict(void **state)
{
	struct rs_watch *w = new_watch();
	struct rs_watch_events ev;
	const struct rs_watch_incident *inc = NULL;
	struct rs_watch_obs o = blocked(100, 101, 3 * S, 0, 3);

	(void)state;
	o.state = 'D';
	assert_int_equal(rs_watch_tick(w, 10 * S, &o, 1, &ev), 0);
	assert_int_equal(ev.n_snap, 1); /* for the report */
	assert_true(rs_watch_open(w, 100, 10 * S, &inc));
	assert_int_equal(inc->threads[0].why, RS_WHY_D_STATE);
	assert_int_equal(inc->since_ns, 7 * S);
	rs_watch_free(w);
}

static void test_watch_starved_process(void **state)
{
	struct rs_watch *w = new_watch();
	struct rs_watch_events ev;
	const struct rs_watch_incident *inc = NULL;
	struct rs_watch_obs o = blocked(100, 101, 0, 0, 0);

	(void)state;
	o.state = 'R';
	o.in_syscall = false;
	assert_int_equal(rs_watch_tick(w, 10 * S, &o, 1, &ev), 0);
	o.blocked_ns = S;
	assert_int_equal(rs_watch_tick(w, 11 * S, &o, 1, &ev), 0);
	assert_int_equal(ev.n_snap, 0);
	o.blocked_ns = 2 * S + 1;
	assert_int_equal(rs_watch_tick(w, 12 * S + 1, &o, 1, &ev), 0);
	assert_int_equal(ev.n_snap, 1);
	assert_true(rs_watch_open(w, 100, 12 * S + 1, &inc));
	assert_int_equal(inc->threads[0].why, RS_WHY_STARVED);
	rs_watch_free(w);
}

static void test_watch_exited_process_forgotten(void **state)
{
	struct rs_watch *w = new_watch();
	struct rs_watch_events ev;
	const struct rs_watch_incident *inc = NULL;
	struct rs_watch_obs o = blocked(100, 101, 5 * S, 0, 9);
	size_t procs, threads, sites;

	(void)state;
	assert_int_equal(rs_watch_tick(w, 10 * S, &o, 1, &ev), 0);
	rs_watch_classify(w, 100, 101, RS_WATCH_HANG, "lock contended");
	assert_true(rs_watch_open(w, 100, 10 * S, &inc));
	assert_string_equal(inc->threads[0].reason, "lock contended");
	assert_int_equal(rs_watch_tick(w, 11 * S, NULL, 0, &ev), 0);
	assert_int_equal(ev.n_cleared, 1);
	assert_true(ev.cleared_exit[0]);
	rs_watch_usage(w, &procs, &threads, &sites);
	assert_int_equal(procs, 0);
	assert_int_equal(threads, 0);
	rs_watch_free(w);
}

static void test_watch_sites_bounded(void **state)
{
	const struct rs_watch_cfg cfg = { .threshold_ns = TH, .max_sites = 4 };
	struct rs_watch *w = NULL;
	struct rs_watch_events ev;
	size_t procs, threads, sites;

	(void)state;
	assert_int_equal(rs_watch_new(&cfg, &w), 0);
	for (uint64_t i = 0; i < 10; i++) {
		struct rs_watch_obs o = blocked(100, 101, 5 * S, 202, i);

		assert_int_equal(rs_watch_tick(w, (10 + i) * S, &o, 1, &ev), 0);
		assert_int_equal(ev.n_snap, 1);
		rs_watch_classify(w, 100, 101, RS_WATCH_IDLE, "idle");
	}
	rs_watch_usage(w, &procs, &threads, &sites);
	assert_int_equal(sites, 4);
	rs_watch_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_idle_site_never_reports),
		cmocka_unit_test(test_watch_hang_once_then_cleared),
		cmocka_unit_test(test_watch_d_state_needs_no_verdict),
		cmocka_unit_test(test_watch_starved_process),
		cmocka_unit_test(test_watch_exited_process_forgotten),
		cmocka_unit_test(test_watch_sites_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
