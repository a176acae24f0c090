// SPDX-License-Identifier: GPL-2.0
/* Growing arrays (lib/grow.c): room for element n, doubling, untouched on overflow. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "lib/lib.h"

static void test_grow_doubles_from_first(void **state)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(rs_grow(&v, &cap, 0, sizeof(*v), 4), 0);
	assert_int_equal(cap, 4);
	v[3] = 3; /* ASan: the room is really there */
	assert_int_equal(rs_grow(&v, &cap, 3, sizeof(*v), 4), 0);
	assert_int_equal(cap, 4); /* already room */
	assert_int_equal(rs_grow(&v, &cap, 4, sizeof(*v), 4), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(v[3], 3); /* kept */
	assert_int_equal(rs_grow(&v, &cap, 100, sizeof(*v), 4), 0);
	assert_int_equal(cap, 128);
	v[100] = 100;
	free(v);
}

static void test_grow_refuses_overflow(void **state)
{
	char *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(rs_grow(&v, &cap, SIZE_MAX / 2, 8, 4), -ENOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_doubles_from_first),
		cmocka_unit_test(test_grow_refuses_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
