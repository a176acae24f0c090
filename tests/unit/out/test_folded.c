// SPDX-License-Identifier: GPL-2.0
/*
 * Folded output and what it shares with the other writers (frame names,
 * group_by roots, weights), compared byte for byte with
 * the tests/fixtures/profile/ .folded files; the folded parser and the round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "out/out_priv.h"
#include "out_test.h"
#include "out/folded_parse.h"

static void test_out_folded_oncpu_by_thread(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *p[] = { &st->on };
	size_t len;
	char *out;

	out = PD_RENDER(&len, rs_write_folded(f, p, 1, RS_GROUP_THREAD));
	pd_expect_file("oncpu_thread.folded", out, len);
	/* the order samples come in does not matter */
	pd_reverse(&st->on);
	out = PD_RENDER(&len, rs_write_folded(f, p, 1, RS_GROUP_THREAD));
	pd_expect_file("oncpu_thread.folded", out, len);
}

static void test_out_folded_offcpu_ungrouped(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *p[] = { &st->off };
	size_t len;
	char *out;

	out = PD_RENDER(&len, rs_write_folded(f, p, 1, RS_GROUP_NONE));
	/* D and S episodes of one stack: 30000000 + 5000600 ns summed, then rounded */
	assert_non_null(strstr(out, ";weird:name<&>;read;entry_SYSCALL_64_after_hwframe_[k];"
				    "do_syscall_64_[k];ksys_read_[k];vfs_read_[k];filemap_read_[k];"
				    "folio_wait_bit_common_[k];io_schedule_[k] 35001\n"));
	pd_expect_file("offcpu_none.folded", out, len);
}

static void test_out_folded_both_by_process(void **state)
{
	struct pd_state *st = *state;
	size_t len;
	char *out;

	out = PD_RENDER(&len, rs_write_folded(f, st->both, 2, RS_GROUP_PROCESS));
	assert_true(!strncmp(out, "[off-cpu];backend (4242);", 25));
	assert_non_null(strstr(out, "\n[on-cpu];envoy (5000);"));
	pd_expect_file("both_process.folded", out, len);
}

static void test_out_folded_frame_names(void **state)
{
	struct rs_frame fr = { .addr = 0x7f0000101f30, .module = "/usr/lib/libfoo.so" };
	char *name;

	(void)state;
	/* unknown: module+ELF address, else module+PC, else PC */
	fr.sym_offset = 0x1f30;
	name = rs_frame_name(&fr, RS_NAME_MARKS);
	assert_string_equal(name, "libfoo.so+0x1f30");
	free(name);
	fr.sym_offset = 0;
	name = rs_frame_name(&fr, 0);
	assert_string_equal(name, "libfoo.so+0x7f0000101f30");
	free(name);
	fr.module = NULL;
	fr.kernel = true;
	name = rs_frame_name(&fr, RS_NAME_MARKS);
	assert_string_equal(name, "0x7f0000101f30_[k]");
	free(name);

	/* marks: kernel wins over inlined; none without RS_NAME_MARKS */
	fr.function = "f;g\n\x01h\xff\xc3\xa9";
	fr.inlined = true;
	name = rs_frame_name(&fr, RS_NAME_MARKS | RS_NAME_FOLDED);
	assert_string_equal(name, "f:g??h?\xc3\xa9_[k]");
	free(name);
	fr.kernel = false;
	name = rs_frame_name(&fr, RS_NAME_MARKS);
	assert_string_equal(name, "f;g??h?\xc3\xa9_[i]");
	free(name);
	name = rs_frame_name(&fr, 0);
	assert_string_equal(name, "f;g??h?\xc3\xa9");
	free(name);
}

static void test_out_folded_group_names(void **state)
{
	struct rs_psample s = { .pid = 7, .tid = 9, .comm = "a;b", .thread = "t\tx" };
	char *names[2];

	(void)state;
	assert_int_equal(rs_group_names(&s, RS_GROUP_NONE, 0, names), 0);
	assert_int_equal(rs_group_names(&s, RS_GROUP_PROCESS, RS_NAME_FOLDED, names), 1);
	assert_string_equal(names[0], "a:b (7)");
	free(names[0]);
	assert_int_equal(rs_group_names(&s, RS_GROUP_THREAD, 0, names), 2);
	assert_string_equal(names[0], "a;b (7)");
	assert_string_equal(names[1], "t?x (9)");
	free(names[0]);
	free(names[1]);
}

static void test_out_folded_weights(void **state)
{
	(void)state;
	assert_int_equal(rs_weight_out(RS_PROF_ONCPU, 1234), 1234);
	assert_int_equal(rs_weight_out(RS_PROF_OFFCPU, 0), 0);
	assert_int_equal(rs_weight_out(RS_PROF_OFFCPU, 1), 1);
	assert_int_equal(rs_weight_out(RS_PROF_OFFCPU, 1499), 1);
	assert_int_equal(rs_weight_out(RS_PROF_OFFCPU, 1500), 2);
	assert_int_equal(rs_weight_out(RS_PROF_OFFCPU, 2500000000ULL), 2500000);
}

/* Written, parsed back and written again: the same bytes and the same stacks. */
static void test_out_folded_round_trip(void **state)
{
	struct pd_state *st = *state;
	struct rs_stacks built, parsed;
	size_t len, len2;
	char *out, *out2;

	for (int g = RS_GROUP_NONE; g <= RS_GROUP_THREAD; g++) {
		out = PD_RENDER(&len, rs_write_folded(f, st->both, 2, (enum rs_group_by)g));
		assert_int_equal(rs_stacks_build(st->both, 2, g, RS_STACKS_KIND_ROOT, &built), 0);
		assert_int_equal(rs_folded_parse(out, len, &parsed, NULL), 0);
		assert_int_equal(parsed.n, built.n);
		for (size_t i = 0; i < built.n; i++) {
			assert_string_equal(parsed.v[i].key, built.v[i].key);
			assert_int_equal(parsed.v[i].weight, built.v[i].weight);
			assert_int_equal(parsed.v[i].kind, built.v[i].kind);
		}
		out2 = NULL;
		{
			FILE *f = open_memstream(&out2, &len2);

			assert_non_null(f);
			for (size_t i = 0; i < parsed.n; i++)
				fprintf(f, "%s %lu\n", parsed.v[i].key,
					(unsigned long)parsed.v[i].weight);
			assert_int_equal(fclose(f), 0);
		}
		assert_int_equal(len2, len);
		assert_memory_equal(out2, out, len);
		free(out);
		free(out2);
		rs_stacks_clear(&built);
		rs_stacks_clear(&parsed);
	}
}

/* Input other tools write: unsorted, repeated, CRLF, spaces in names, no final newline. */
static void test_out_folded_parse_foreign(void **state)
{
	static const char in[] = "main;b c 3\r\n\n[off-cpu];x 5\nmain;a 1\nmain;b c 4\n[off-cpu] 2";
	struct rs_stacks s;

	(void)state;
	assert_int_equal(rs_folded_parse(in, sizeof(in) - 1, &s, NULL), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[0].key, "[off-cpu]");
	assert_int_equal(s.v[0].weight, 2);
	assert_int_equal(s.v[0].kind, RS_PROF_OFFCPU);
	assert_string_equal(s.v[1].key, "[off-cpu];x");
	assert_int_equal(s.v[1].kind, RS_PROF_OFFCPU);
	assert_string_equal(s.v[2].key, "main;a");
	assert_int_equal(s.v[2].kind, RS_PROF_ONCPU);
	assert_string_equal(s.v[3].key, "main;b c");
	assert_int_equal(s.v[3].weight, 7);
	rs_stacks_clear(&s);
}

static void test_out_folded_parse_errors(void **state)
{
	static const char *const bad[] = {
		"a;b 1\nnoweight\n",	    "a;b 1\n\na;b 1x\n", "a;b 1\nx -1\n",
		"a 18446744073709551616\n", "a 1\n 5\n",	 "a;b \n",
	};
	static const size_t line[] = { 2, 3, 2, 1, 2, 1 };
	struct rs_stacks s = { 0 };
	size_t at;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		at = 0;
		assert_int_equal(rs_folded_parse(bad[i], strlen(bad[i]), &s, &at), -EINVAL);
		assert_int_equal(at, line[i]);
		assert_null(s.v);
	}
	/* the largest weight parses */
	assert_int_equal(rs_folded_parse("a 18446744073709551615", 22, &s, NULL), 0);
	assert_true(s.v[0].weight == UINT64_MAX);
	rs_stacks_clear(&s);
	assert_int_equal(rs_folded_parse("", 0, &s, NULL), 0);
	assert_int_equal(s.n, 0);
}

static void test_out_folded_write_error(void **state)
{
	struct pd_state *st = *state;
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	assert_int_equal(rs_write_folded(f, st->both, 2, RS_GROUP_THREAD), -EIO);
	fclose(f);
	assert_int_equal(rs_write_folded(stdout, st->both, 0, RS_GROUP_THREAD), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_folded_oncpu_by_thread, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_folded_offcpu_ungrouped, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_folded_both_by_process, pd_setup,
						pd_teardown),
		cmocka_unit_test(test_out_folded_frame_names),
		cmocka_unit_test(test_out_folded_group_names),
		cmocka_unit_test(test_out_folded_weights),
		cmocka_unit_test_setup_teardown(test_out_folded_round_trip, pd_setup, pd_teardown),
		cmocka_unit_test(test_out_folded_parse_foreign),
		cmocka_unit_test(test_out_folded_parse_errors),
		cmocka_unit_test_setup_teardown(test_out_folded_write_error, pd_setup, pd_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
