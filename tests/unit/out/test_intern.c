// SPDX-License-Identifier: GPL-2.0
/*
 * The writers' interning table (intern.c): dense indexes in order of first
 * appearance, binary keys, growth past many rehashes, and the hash the SVG's
 * colours depend on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "out/out_priv.h"

static void test_out_intern_order_and_growth(void **state)
{
	struct rs_intern t = { 0 };
	char key[32];
	size_t idx;

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < 20000; i++) {
			snprintf(key, sizeof(key), "key-%zu", i * 7919 % 20000);
			assert_int_equal(rs_intern_str(&t, key, &idx), 0);
			assert_int_equal(idx, i); /* new keys first, then the same indexes again */
		}
	}
	assert_int_equal(t.n, 20000);
	assert_string_equal(t.str[1], "key-7919");
	assert_int_equal(t.len[1], 8);
	assert_true(t.index.n_slots >= 2 * t.n);
	rs_intern_clear(&t);
	assert_null(t.str);
	assert_int_equal(t.n, 0);
	rs_intern_clear(NULL);
}

/* Keys are bytes: embedded NULs and prefixes are distinct keys. */
static void test_out_intern_binary_keys(void **state)
{
	static const char a[] = { 'x', 0, 'y' }, b[] = { 'x', 0, 'z' };
	struct rs_intern t = { 0 };
	size_t i1, i2, i3, i4, i5;

	(void)state;
	assert_int_equal(rs_intern(&t, a, sizeof(a), &i1), 0);
	assert_int_equal(rs_intern(&t, b, sizeof(b), &i2), 0);
	assert_int_equal(rs_intern(&t, a, 1, &i3), 0);
	assert_int_equal(rs_intern(&t, "", 0, &i4), 0);
	assert_int_equal(rs_intern(&t, a, sizeof(a), &i5), 0);
	assert_int_equal(i1, 0);
	assert_int_equal(i2, 1);
	assert_int_equal(i3, 2);
	assert_int_equal(i4, 3);
	assert_int_equal(i5, 0);
	assert_memory_equal(t.str[1], b, sizeof(b));
	assert_int_equal(t.str[2][1], '\0'); /* copies are NUL-terminated */
	rs_intern_clear(&t);
}

static void test_out_intern_hash(void **state)
{
	(void)state;
	/* FNV-1a 64 test vectors: the SVG's colours must not change between builds */
	assert_true(rs_hash("", 0) == 0xcbf29ce484222325ULL);
	assert_true(rs_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(rs_hash("foobar", 6) == 0x85944171f73967e8ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_intern_order_and_growth),
		cmocka_unit_test(test_out_intern_binary_keys),
		cmocka_unit_test(test_out_intern_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
