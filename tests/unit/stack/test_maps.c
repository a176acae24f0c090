// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stack/stack.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&buf, &len, '\0', f) > 0, 1);
	fclose(f);
	return buf;
}

/* One mapping in the .expected format: start end perms offset dev inode deleted path. */
static void format_map(const struct rs_map *m, char *out, size_t len)
{
	int r = snprintf(out, len, "%" PRIx64 " %" PRIx64 " %s %" PRIx64 " %x:%x %" PRIu64 " %d ",
			 m->start, m->end, m->perms, m->offset, m->dev_major, m->dev_minor,
			 m->inode, m->deleted);

	for (const char *s = m->path ? m->path : "-"; *s && r + 3 < (int)len; s++) {
		if (*s == '\n') {
			out[r++] = '\\';
			out[r++] = 'n';
		} else {
			out[r++] = *s;
		}
	}
	out[r] = '\0';
}

static void test_maps_parse_tricky_lines(void **state)
{
	char *text = slurp(RS_FIXTURES "/maps/tricky.maps");
	char *expected = slurp(RS_FIXTURES "/maps/tricky.expected");
	struct rs_maps m = { 0 };
	char *save = NULL, *line;
	size_t i = 0;

	(void)state;
	assert_int_equal(rs_maps_parse(text, &m), 0);
	for (line = strtok_r(expected, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char got[512];

		if (line[0] == '#')
			continue;
		assert_true(i < m.n);
		format_map(&m.v[i++], got, sizeof(got));
		assert_string_equal(got, line);
	}
	assert_int_equal(i, m.n);
	assert_int_equal(m.n, 15);
	rs_maps_clear(&m);
	free(text);
	free(expected);
}

static void test_maps_find_boundaries(void **state)
{
	char *text = slurp(RS_FIXTURES "/maps/tricky.maps");
	struct rs_maps m = { 0 };
	const struct rs_map *e;

	(void)state;
	assert_int_equal(rs_maps_parse(text, &m), 0);
	assert_null(rs_maps_find(&m, 0));
	assert_null(rs_maps_find(&m, 0x3fffff));
	e = rs_maps_find(&m, 0x400000);
	assert_non_null(e);
	assert_int_equal(e->start, 0x400000);
	e = rs_maps_find(&m, 0x400fff);
	assert_int_equal(e->start, 0x400000);
	e = rs_maps_find(&m, 0x401000);
	assert_int_equal(e->start, 0x401000);
	assert_string_equal(e->perms, "r-xp");
	assert_null(rs_maps_find(&m, 0x402000)); /* gap before the data segment */
	e = rs_maps_find(&m, 0x7f0000000800);
	assert_string_equal(e->path, "/opt/my app/lib with  spaces.so");
	assert_null(rs_maps_find(&m, 0x7f0000002000));
	e = rs_maps_find(&m, 0x7ffc00020ff8);
	assert_string_equal(e->path, "[stack]");
	e = rs_maps_find(&m, 0xffffffffff600800);
	assert_string_equal(e->path, "[vsyscall]");
	assert_null(rs_maps_find(&m, 0xffffffffff601000));
	assert_null(rs_maps_find(NULL, 0x400000));
	rs_maps_clear(&m);
	free(text);
}

static void test_maps_parse_sorts_unsorted_input(void **state)
{
	const char *text = "7000-8000 r-xp 00000000 08:01 3 /b\n"
			   "1000-2000 r--p 00000000 08:01 2 /a\n"
			   "3000-4000 rw-p 00000000 00:00 0\n";
	struct rs_maps m = { 0 };

	(void)state;
	assert_int_equal(rs_maps_parse(text, &m), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.v[0].start, 0x1000);
	assert_int_equal(m.v[1].start, 0x3000);
	assert_null(m.v[1].path);
	assert_int_equal(m.v[2].start, 0x7000);
	assert_string_equal(rs_maps_find(&m, 0x7800)->path, "/b");
	rs_maps_clear(&m);
}

static void test_maps_parse_rejects_malformed_line(void **state)
{
	static const char *const bad[] = {
		"1000-2000 r-xp 00000000 08:01 3 /a\nnot a maps line\n",
		"1000 r-xp 00000000 08:01 3 /a\n",
		"2000-1000 r-xp 00000000 08:01 3 /a\n",
		"1000-2000 r-xp 00000000 0801 3 /a\n",
		"1000-2000 r-xp 0000zz00 08:01 3 /a\n",
		"1000-2000 r-x\n",
		"1000-2000 r-xp 00000000 08:01 x3 /a\n",
	};
	struct rs_maps m = { .v = (struct rs_map *)&bad, .n = 42 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rs_maps_parse(bad[i], &m), -EINVAL);
		/* *out untouched on failure */
		assert_ptr_equal(m.v, (struct rs_map *)&bad);
		assert_int_equal(m.n, 42);
	}
}

static void test_maps_parse_empty_text(void **state)
{
	struct rs_maps m = { 0 };

	(void)state;
	assert_int_equal(rs_maps_parse("", &m), 0);
	assert_int_equal(m.n, 0);
	assert_null(rs_maps_find(&m, 0x1000));
	rs_maps_clear(&m);
	rs_maps_clear(NULL);
}

static void test_maps_read_self_and_missing(void **state)
{
	struct rs_maps m = { 0 };
	const struct rs_map *e;
	int local;

	(void)state;
	assert_int_equal(rs_maps_read("/nonexistent/maps", &m), -ENOENT);
	assert_int_equal(rs_maps_read("/proc/self/maps", &m), 0);
	e = rs_maps_find(&m, (uint64_t)(uintptr_t)&local);
	assert_non_null(e); /* "[stack]", or anonymous under valgrind */
	assert_int_equal(e->perms[0], 'r');
	assert_int_equal(e->perms[1], 'w');
	e = rs_maps_find(&m, (uint64_t)(uintptr_t)&test_maps_read_self_and_missing);
	assert_non_null(e);
	assert_int_equal(e->perms[2], 'x');
	assert_non_null(strstr(e->path, "test_maps"));
	rs_maps_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_parse_tricky_lines),
		cmocka_unit_test(test_maps_find_boundaries),
		cmocka_unit_test(test_maps_parse_sorts_unsorted_input),
		cmocka_unit_test(test_maps_parse_rejects_malformed_line),
		cmocka_unit_test(test_maps_parse_empty_text),
		cmocka_unit_test(test_maps_read_self_and_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
