// SPDX-License-Identifier: GPL-2.0
/* The symbol cache's bounds: CLOCK eviction by entry count and by memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stack/stack.h"
#include "stack/stack_priv.h"

static const unsigned char id[] = { 0xde, 0xad, 0xbe, 0xef };

static struct rs_symkey key(uint64_t addr)
{
	return (struct rs_symkey){ .build_id = id, .build_id_len = sizeof(id), .addr = addr };
}

/* Caches one frame for addr, named "f<addr>" with a name of pad more bytes. */
static void put(struct rs_symcache *c, uint64_t addr, size_t pad)
{
	char name[4096];
	struct rs_frame f = { .function = name, .file = "lib.rs", .line = (uint32_t)addr };
	struct rs_symkey k = key(addr);
	int len = snprintf(name, sizeof(name), "f%llu", (unsigned long long)addr);

	memset(name + len, 'x', pad);
	name[len + (int)pad] = '\0';
	assert_int_equal(rs_symcache_put(c, &k, &f, 1), 0);
}

/* Whether addr is cached, with the frame put() stored for it. */
static bool has(struct rs_symcache *c, uint64_t addr)
{
	struct rs_symkey k = key(addr);
	const struct rs_frame *f;
	char want[32];
	size_t n = 0;

	f = rs_symcache_get(c, &k, &n);
	if (!f)
		return false;
	snprintf(want, sizeof(want), "f%llu", (unsigned long long)addr);
	assert_int_equal(n, 1);
	assert_memory_equal(f->function, want, strlen(want));
	assert_string_equal(f->file, "lib.rs");
	assert_int_equal(f->line, (uint32_t)addr);
	return true;
}

static void test_symcache_evicts_unused_first(void **state)
{
	struct rs_symcache *c = NULL;
	size_t kept = 0;

	(void)state;
	assert_int_equal(rs_symcache_new(&c), 0);
	rs_symcache_set_limit(c, 100);
	for (uint64_t a = 0; a < 100; a++)
		put(c, a, 0);
	assert_int_equal(rs_symcache_count(c), 100);
	assert_int_equal(rs_symcache_evicted(c), 0);
	/* the working set: every tenth entry, used again */
	for (uint64_t a = 0; a < 100; a += 10)
		assert_true(has(c, a));
	put(c, 1000, 0); /* over the bound: evicts, not empties */
	assert_true(rs_symcache_count(c) <= 100);
	assert_true(rs_symcache_count(c) >= 80);
	assert_true(rs_symcache_evicted(c) >= 1);
	assert_true(has(c, 1000));
	for (uint64_t a = 0; a < 100; a += 10)
		assert_true(has(c, a));
	for (uint64_t a = 0; a < 100; a++)
		kept += has(c, a);
	assert_int_equal(kept + 1, rs_symcache_count(c));
	rs_symcache_free(c);
}

static void test_symcache_bounded_by_memory(void **state)
{
	struct rs_symcache *c = NULL;
	const size_t bound = 256 * 1024;

	(void)state;
	assert_int_equal(rs_symcache_new(&c), 0);
	rs_symcache_set_bytes(c, bound);
	for (uint64_t a = 0; a < 10000; a++) {
		put(c, a, 200);
		assert_true(rs_symcache_bytes(c) <= bound);
	}
	assert_true(rs_symcache_evicted(c) > 0);
	/* what is left is the latest, and most of the bound's worth of it */
	assert_true(has(c, 9999));
	assert_false(has(c, 0));
	assert_true(rs_symcache_bytes(c) >= bound / 2);
	/* shrinking evicts at once */
	rs_symcache_set_bytes(c, bound / 4);
	assert_true(rs_symcache_bytes(c) <= bound / 4);
	assert_true(rs_symcache_count(c) > 0);
	/* an entry bigger than the whole bound is not cached, and breaks nothing */
	rs_symcache_set_bytes(c, 1024);
	put(c, 20000, 3000);
	assert_false(has(c, 20000));
	assert_true(rs_symcache_bytes(c) <= 1024);
	rs_symcache_free(c);
}

static void test_symcache_working_set_that_fits_stays(void **state)
{
	struct rs_symcache *c = NULL;

	(void)state;
	assert_int_equal(rs_symcache_new(&c), 0);
	/* the default bound holds 100 000 ordinary entries: nothing is evicted */
	for (uint64_t a = 0; a < 100000; a++)
		put(c, a, 60);
	assert_int_equal(rs_symcache_evicted(c), 0);
	assert_int_equal(rs_symcache_count(c), 100000);
	assert_true(rs_symcache_bytes(c) < RS_SYMCACHE_BYTES_DEFAULT);
	for (uint64_t a = 0; a < 100000; a += 997)
		assert_true(has(c, a));
	rs_symcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symcache_evicts_unused_first),
		cmocka_unit_test(test_symcache_bounded_by_memory),
		cmocka_unit_test(test_symcache_working_set_that_fits_stays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
