// SPDX-License-Identifier: GPL-2.0
/* lib/duration.c: durations parsed from the command line and printed in reports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli/cli.h"
#include "lib/lib.h"

#define S(x)  ((uint64_t)(x)*1000000000ull)
#define MS(x) ((uint64_t)(x)*1000000ull)

static void test_duration_parse_table(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} cases[] = {
		{ "500ms", MS(500) },
		{ "10s", S(10) },
		{ "2m", S(120) },
		{ "1h", S(3600) },
		{ "1d", S(86400) },
		{ "250us", 250000 },
		{ "100ns", 100 },
		{ "1.5s", MS(1500) },
		{ "3", S(3) },
		{ "0", 0 },
		{ "0.5", MS(500) },
		{ ".25s", MS(250) },
		{ "0.25ms", 250000 },
		{ "1.000000001s", 1000000001 },
		{ "1.99999999999999999999s", 1999999999 },
		{ "2.5ns", 2 },
		{ "1m30s", S(90) },
		{ "1h2m3s", S(3723) },
		{ "1d2h3m4s5ms6us7ns", S(93784) + MS(5) + 6007 },
		{ "1m0.5s", MS(60500) },
		{ "3m12s", S(192) },
		{ "2h05m", S(7500) },
		{ "18446744073s", S(18446744073ull) },
		{ "18446744073709551615ns", UINT64_MAX },
		{ "007s", S(7) },
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ns = 12345;
		if (rs_parse_duration(cases[i].s, &ns))
			fail_msg("'%s' rejected", cases[i].s);
		if (ns != cases[i].ns)
			fail_msg("'%s' -> %llu, want %llu", cases[i].s, (unsigned long long)ns,
				 (unsigned long long)cases[i].ns);
	}
}

static void test_duration_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"-1s",
		"+1s",
		"1x",
		"s",
		"1.s",
		".",
		"1 s",
		" 1s",
		"1s ",
		"1m30",
		"1ss",
		"5mss",
		"1e3",
		"0x10",
		"1,5s",
		"ms",
		"1.5.s",
		"1..5s",
		"18446744074s",
		"18446744073709551616ns",
		"99999999999999999999",
		"213504d",
		"1sm30",
		/* each unit once, largest first, a fraction only in the last term */
		"1h1h",
		"1s1s",
		"1s1m",
		"30s1m",
		"1ms1s",
		"1ns1us",
		"1.5h30m",
		"0.5m1s",
		"1h2m3s4h",
	};
	uint64_t ns = 777;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rs_parse_duration(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(ns, 777); /* untouched */
	}
	assert_int_equal(rs_parse_duration(NULL, &ns), -EINVAL);
}

static void test_duration_format_table(void **state)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} cases[] = {
		{ 0, "0ns" },
		{ 999, "999ns" },
		{ 1000, "1.0us" },
		{ 2500, "2.5us" },
		{ 9999, "9.9us" },
		{ 10000, "10us" },
		{ 250000, "250us" },
		{ 999999, "999us" },
		{ MS(1), "1.0ms" },
		{ 1500000, "1.5ms" },
		{ 9999999, "9.9ms" },
		{ MS(15), "15ms" },
		{ 999999999, "999ms" },
		{ S(1), "1.0s" },
		{ S(2), "2.0s" },
		{ MS(12345), "12.3s" },
		{ 59999999999ull, "59.9s" },
		{ S(60), "1m00s" },
		{ S(192), "3m12s" },
		{ MS(431200), "7m11s" },
		{ S(3599), "59m59s" },
		{ S(3600), "1h00m" },
		{ S(7500), "2h05m" },
		{ S(86399), "23h59m" },
		{ S(86400), "1d00h" },
		{ S(3 * 86400 + 4 * 3600 + 59), "3d04h" },
		{ UINT64_MAX, "213503d23h" },
	};
	char buf[32];
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rs_format_duration(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
		/* what is printed parses back, never to more than the value */
		assert_int_equal(rs_parse_duration(buf, &back), 0);
		assert_true(back <= cases[i].ns);
	}
}

static void test_duration_format_small_buffer(void **state)
{
	char buf[4] = "xyz";

	(void)state;
	rs_format_duration(S(7500), buf, sizeof(buf));
	assert_string_equal(buf, "2h0");
	rs_format_duration(S(7500), buf, 1);
	assert_string_equal(buf, "");
	buf[0] = 'q';
	rs_format_duration(S(7500), buf, 0);
	assert_int_equal(buf[0], 'q');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse_table),
		cmocka_unit_test(test_duration_parse_rejects),
		cmocka_unit_test(test_duration_format_table),
		cmocka_unit_test(test_duration_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
