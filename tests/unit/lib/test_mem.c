// SPDX-License-Identifier: GPL-2.0
/* The heap touched in advance (lib/mem.c): malloc stays whole around it, whatever the kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>
#include "lib/lib.h"

static long minor_faults(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* The kernel fills the pages in (it counts them as minor faults) before anything touches them. */
static void test_heap_prepare_populates(void **state)
{
	size_t len = 8u << 20;
	long before = minor_faults();
	int e;

	(void)state;
	e = rs_heap_prepare(len);
	if (e == -EINVAL)
		skip(); /* before Linux 5.14: nothing to populate with */
	assert_int_equal(e, 0);
	assert_true(minor_faults() - before >= (long)(len / 4096 / 2));
}

/* Populated (or -EINVAL before 5.14), then the memory is malloc's to hand out again. */
static void test_heap_prepare_then_malloc(void **state)
{
	size_t len = 3u << 20;
	unsigned char *p;
	int e;

	(void)state;
	e = rs_heap_prepare(40u << 20); /* two blocks: more than one may be */
	assert_true(e == 0 || e == -EINVAL);
	p = malloc(len);
	assert_non_null(p);
	memset(p, 0xa5, len);
	assert_int_equal(p[len - 1], 0xa5);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_prepare_populates),
		cmocka_unit_test(test_heap_prepare_then_malloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
