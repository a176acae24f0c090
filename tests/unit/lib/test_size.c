// SPDX-License-Identifier: GPL-2.0
/* lib/size.c: byte counts parsed from the command line and printed in messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "lib/lib.h"

static void test_size_parse_table(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} cases[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "64k", 65536 },
		{ "64K", 65536 },
		{ "512M", 512ull << 20 },
		{ "1G", 1ull << 30 },
		{ "1GiB", 1ull << 30 },
		{ "1gB", 1ull << 30 },
		{ "2t", 2ull << 40 },
		{ "16777215T", 16777215ull << 40 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 7;

		assert_int_equal(rs_parse_size(cases[i].s, &v), 0);
		if (v != cases[i].v)
			fail_msg("'%s': %llu, want %llu", cases[i].s, (unsigned long long)v,
				 (unsigned long long)cases[i].v);
	}
}

static void test_size_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",	"k",   "-1",  "+1",  " 1",    "1 ",	   "1.5G",
		"1x",	"1kk", "1iB", "1Gi", "1KiBB", "16777216T", "18446744073709551616",
		"0x10",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 7;

		if (rs_parse_size(bad[i], &v) != -EINVAL || v != 7)
			fail_msg("'%s' accepted", bad[i]);
	}
	assert_int_equal(rs_parse_size(NULL, NULL), -EINVAL);
}

static void test_size_format_table(void **state)
{
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = {
		{ 0, "0 bytes" },	    { 1023, "1023 bytes" },
		{ 4096, "4.0 KiB" },	    { 512ull << 20, "512.0 MiB" },
		{ 3ull << 29, "1.5 GiB" },  { 20ull << 30, "20.0 GiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rs_format_size(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
	buf[0] = 'q';
	rs_format_size(4096, buf, 0);
	assert_int_equal(buf[0], 'q');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_parse_table),
		cmocka_unit_test(test_size_parse_rejects),
		cmocka_unit_test(test_size_format_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
