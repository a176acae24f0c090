// SPDX-License-Identifier: GPL-2.0
/*
 * profile/agg.c: window sums, the unwound-stack cache by fingerprint, the u64 map
 * and the window schedule, without BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "profile/profile_priv.h"
#include "out/out.h"
#include "profile/profile.h"

#define MS(x) ((uint64_t)(x)*1000000ull)
#define S(x)  ((uint64_t)(x)*1000000000ull)

static void test_agg_sums_equal_keys(void **state)
{
	uint64_t a[] = { rs_key_ids(1, 2), 7, 0, 0x1000, 0x2000 };
	uint64_t b[] = { rs_key_ids(1, 2), 7, 0, 0x1000, 0x2001 };
	struct rs_agg g = { 0 };
	const struct rs_agg_entry *e;

	(void)state;
	assert_int_equal(rs_agg_add(&g, a, 5, 1, 10, "t", "p"), 0);
	assert_int_equal(rs_agg_add(&g, b, 5, 1, 20, "t", "p"), 0);
	assert_int_equal(rs_agg_add(&g, a, 5, 2, 30, NULL, NULL), 0);
	/* a prefix of a key is another key */
	assert_int_equal(rs_agg_add(&g, a, 4, 1, 0, "t", "p"), 0);
	assert_int_equal(g.n, 3);
	e = rs_agg_find(&g, a, 5);
	assert_non_null(e);
	assert_int_equal(e->count, 3);
	assert_int_equal(e->ns, 40);
	e = rs_agg_find(&g, b, 5);
	assert_int_equal(e->count, 1);
	assert_int_equal(e->ns, 20);
	assert_null(rs_agg_find(&g, b, 3));
	rs_agg_clear(&g);
	assert_int_equal(g.n, 0);
	rs_agg_clear(&g); /* twice is harmless */
}

static void test_agg_keeps_first_names(void **state)
{
	uint64_t k[] = { rs_key_ids(5, 6) };
	char long_name[32];
	struct rs_agg g = { 0 };

	(void)state;
	memset(long_name, 'x', sizeof(long_name)); /* not NUL-terminated within RS_COMM_LEN */
	assert_int_equal(rs_agg_add(&g, k, 1, 1, 0, "", NULL), 0);
	assert_int_equal(rs_agg_add(&g, k, 1, 1, 0, long_name, "proc"), 0);
	assert_int_equal(rs_agg_add(&g, k, 1, 1, 0, "later", "later"), 0);
	assert_int_equal(strlen(g.v[0].comm), RS_COMM_LEN);
	assert_string_equal(g.v[0].pcomm, "proc");
	rs_agg_clear(&g);
}

static void test_agg_grows(void **state)
{
	struct rs_agg g = { 0 };
	uint64_t k[2];

	(void)state;
	for (uint64_t i = 0; i < 20000; i++) {
		k[0] = i;
		k[1] = i * 7;
		assert_int_equal(rs_agg_add(&g, k, 2, 1, i, NULL, NULL), 0);
	}
	for (uint64_t i = 0; i < 20000; i += 997) {
		k[0] = i;
		k[1] = i * 7;
		assert_int_equal(rs_agg_find(&g, k, 2)->ns, i);
	}
	assert_int_equal(g.n, 20000);
	rs_agg_clear(&g);
}

static bool gone_odd(uint32_t tgid, void *ctx)
{
	(void)ctx;
	return tgid & 1;
}

static bool has(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void test_ufpcache_put_get_replace(void **state)
{
	struct rs_ufpcache c = { .max = 100 };
	uint64_t pcs[] = { 1, 2, 3 }, pcs2[] = { 9 };
	const struct rs_ufp_entry *e;

	(void)state;
	assert_null(rs_ufpcache_get(&c, 42, 0));
	assert_int_equal(rs_ufpcache_put(&c, 42, 10, pcs, 3, false, 0), 0);
	e = rs_ufpcache_get(&c, 42, 1);
	assert_non_null(e);
	assert_int_equal(e->n, 3);
	assert_int_equal(e->pcs[2], 3);
	assert_int_equal(e->last_use, 1);
	assert_int_equal(rs_ufpcache_put(&c, 42, 10, pcs2, 1, false, 2), 0);
	assert_int_equal(c.n, 1);
	e = rs_ufpcache_get(&c, 42, 2);
	assert_int_equal(e->n, 1);
	assert_int_equal(e->pcs[0], 9);
	assert_int_equal(rs_ufpcache_put(&c, 43, 10, NULL, 0, true, 2), 0);
	assert_true(rs_ufpcache_get(&c, 43, 2)->failed);
	rs_ufpcache_clear(&c);
	assert_int_equal(c.max, 100);
}

static void test_ufpcache_trim(void **state)
{
	struct rs_ufpcache c = { .max = 3 };
	uint64_t *dropped = NULL, pc = 1;
	size_t n = 0;

	(void)state;
	/* ufp i, tgid i, last used in window i */
	for (uint64_t i = 1; i <= 10; i++)
		assert_int_equal(rs_ufpcache_put(&c, i, (uint32_t)i, &pc, 1, false, i), 0);
	/*
	 * Unused since window 4: 1..3 go; odd tgids are gone: 5, 7, 9 go; of
	 * 4, 6, 8, 10, over the limit of 3, the least recently used (4) goes.
	 */
	assert_int_equal(rs_ufpcache_trim(&c, 4, gone_odd, NULL, &dropped, &n), 0);
	assert_int_equal(n, 7);
	assert_true(has(dropped, n, 1) && has(dropped, n, 3) && has(dropped, n, 9));
	assert_true(has(dropped, n, 4) && !has(dropped, n, 6));
	assert_int_equal(c.n, 3);
	assert_null(rs_ufpcache_get(&c, 4, 10));
	assert_non_null(rs_ufpcache_get(&c, 6, 10));
	assert_non_null(rs_ufpcache_get(&c, 10, 10));
	free(dropped);
	dropped = NULL;
	n = 0;
	/* nothing to drop: nothing changes */
	assert_int_equal(rs_ufpcache_trim(&c, 0, NULL, NULL, &dropped, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(c.n, 3);
	rs_ufpcache_clear(&c);
	free(dropped);
}

static void test_u64map(void **state)
{
	struct rs_u64map m = { 0 };
	uint64_t v = 0;

	(void)state;
	assert_int_equal(rs_u64map_set(&m, 0, 1), -EINVAL);
	assert_false(rs_u64map_get(&m, 5, &v));
	for (uint64_t k = 1; k <= 1000; k++)
		assert_int_equal(rs_u64map_set(&m, k * 0x9e3779b97f4a7c15ull, k % 10), 0);
	assert_int_equal(rs_u64map_set(&m, 0x9e3779b97f4a7c15ull, 9), 0); /* update */
	assert_int_equal(m.n, 1000);
	assert_true(rs_u64map_get(&m, 0x9e3779b97f4a7c15ull, &v));
	assert_int_equal(v, 9);
	/* values 0..4 go: 500 keys, minus key 1 (now 9) which stays */
	assert_int_equal(rs_u64map_drop_below(&m, 5), 499);
	assert_int_equal(m.n, 501);
	assert_false(rs_u64map_get(&m, 10 * 0x9e3779b97f4a7c15ull, &v));
	assert_true(rs_u64map_get(&m, 9 * 0x9e3779b97f4a7c15ull, &v));
	rs_u64map_clear(&m);
	assert_int_equal(m.n, 0);
}

static void test_window_schedule(void **state)
{
	(void)state;
	/* one-shot: no interval, ends at the stop */
	assert_int_equal(rs_window_end(S(100), 0, S(110), S(100)), S(110));
	/* until interrupted: never */
	assert_true(rs_window_end(S(100), 0, 0, S(105)) == UINT64_MAX);
	/* continuous: on multiples of the interval after the start, whatever the lateness */
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(100)), S(110));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(109)), S(110));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(110)), S(120));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(110) + MS(3)), S(120));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(99)), S(110));
	/* -d cuts the last window short */
	assert_int_equal(rs_window_end(S(100), S(10), S(125), S(121)), S(125));
	assert_int_equal(rs_window_end(S(100), S(10), S(125), S(111)), S(120));
	/* no overflow near the end of time */
	assert_true(rs_window_end(UINT64_MAX - 5, S(10), 0, UINT64_MAX - 1) == UINT64_MAX);
}

/* ---- the window engine, fed by hand ---- */

/* ---- profile files ---- */

struct wctx {
	const char *text;
	int fail;
};

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agg_sums_equal_keys),
		cmocka_unit_test(test_agg_keeps_first_names),
		cmocka_unit_test(test_agg_grows),
		cmocka_unit_test(test_ufpcache_put_get_replace),
		cmocka_unit_test(test_ufpcache_trim),
		cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_window_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
