// SPDX-License-Identifier: GPL-2.0
/* capture/shed.c: the --max-cpu share of samples kept, and the kernel's adapted rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "capture/capture_priv.h"

#define MS 1000000ull

static void test_shed_no_limit_keeps_all(void **state)
{
	struct rs_shed b;

	(void)state;
	rs_shed_init(&b, 0, 0, 0);
	assert_true(rs_shed_cycle(&b, 200 * MS, 200 * MS)); /* a whole CPU used: no budget */
	for (int i = 0; i < 1000; i++)
		assert_true(rs_shed_keep(&b));
}

static void test_shed_cycle_waits_100ms(void **state)
{
	struct rs_shed b;

	(void)state;
	rs_shed_init(&b, 50, 0, 0);
	assert_false(rs_shed_cycle(&b, 99 * MS, 99 * MS));
	assert_true(b.keep == 1.0);
	assert_true(rs_shed_cycle(&b, 100 * MS, 100 * MS));
}

static void test_shed_over_budget_keeps_share(void **state)
{
	struct rs_shed b;
	int kept = 0;

	(void)state;
	rs_shed_init(&b, 50, 0, 0);
	/* 100 ms of wall, 100 ms of CPU: twice the budget of 50% */
	rs_shed_cycle(&b, 100 * MS, 100 * MS);
	assert_true(b.keep > 0.49 && b.keep < 0.51);
	for (int i = 0; i < 1000; i++)
		kept += rs_shed_keep(&b);
	assert_int_equal(kept, 500); /* spread evenly: exactly one in two */
	/* 4x over again: a quarter of that */
	rs_shed_cycle(&b, 200 * MS, 300 * MS);
	assert_true(b.keep > 0.124 && b.keep < 0.126);
}

static void test_shed_recovers_at_most_twice(void **state)
{
	struct rs_shed b;

	(void)state;
	rs_shed_init(&b, 50, 0, 0);
	rs_shed_cycle(&b, 100 * MS, 800 * MS); /* 16x over: 1/16 */
	assert_true(b.keep < 0.07);
	rs_shed_cycle(&b, 200 * MS, 800 * MS); /* nothing used: twice as many, not all */
	assert_true(b.keep > 0.12 && b.keep < 0.13);
	for (int i = 0; i < 10; i++)
		rs_shed_cycle(&b, (300 + 100 * i) * MS, 800 * MS);
	assert_true(b.keep == 1.0);
}

static void test_shed_floor(void **state)
{
	struct rs_shed b;

	(void)state;
	rs_shed_init(&b, 1, 0, 0);
	for (int i = 1; i <= 10; i++)
		rs_shed_cycle(&b, i * 100 * MS, i * 100 * MS * 1000);
	assert_true(b.keep >= 1e-4 && b.keep < 1.1e-4);
}

static void test_rate_starts_low_and_climbs(void **state)
{
	struct rs_rate r;

	(void)state;
	rs_rate_init(&r, 100000);
	assert_int_equal(r.cur, 1000);
	assert_int_equal(rs_rate_step(&r, false), 2000);
	for (int i = 0; i < 10; i++)
		rs_rate_step(&r, false);
	assert_int_equal(r.cur, 100000); /* capped at -F */
	assert_int_equal(rs_rate_step(&r, true), 50000);
	for (int i = 0; i < 20; i++)
		rs_rate_step(&r, true);
	assert_int_equal(r.cur, 1000); /* never below 1000 Hz */
	assert_int_equal(r.lowest, 1000);
}

static void test_rate_ceiling_after_pressure(void **state)
{
	struct rs_rate r;

	(void)state;
	rs_rate_init(&r, 100000);
	for (int i = 0; i < 5; i++)
		rs_rate_step(&r, false); /* 32000 */
	assert_int_equal(rs_rate_step(&r, true), 16000);
	for (int i = 0; i < RS_RATE_PROBE_CYCLES - 1; i++)
		assert_int_equal(rs_rate_step(&r, false), 16000); /* not 32000 again at once */
	rs_rate_step(&r, false);			  /* the ceiling rises by a quarter... */
	assert_int_equal(rs_rate_step(&r, false), 20000); /* ...and the rate follows */
	for (int i = 0; i < 20 * RS_RATE_PROBE_CYCLES; i++)
		rs_rate_step(&r, false);
	assert_int_equal(r.cur, 100000); /* calm for long: back to -F */
}

static void test_rate_low_f_is_fixed(void **state)
{
	struct rs_rate r;

	(void)state;
	rs_rate_init(&r, 499);
	assert_int_equal(r.cur, 499);
	assert_int_equal(rs_rate_step(&r, true), 499);
	assert_int_equal(rs_rate_step(&r, false), 499);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shed_no_limit_keeps_all),
		cmocka_unit_test(test_shed_cycle_waits_100ms),
		cmocka_unit_test(test_shed_over_budget_keeps_share),
		cmocka_unit_test(test_shed_recovers_at_most_twice),
		cmocka_unit_test(test_shed_floor),
		cmocka_unit_test(test_rate_starts_low_and_climbs),
		cmocka_unit_test(test_rate_ceiling_after_pressure),
		cmocka_unit_test(test_rate_low_f_is_fixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
