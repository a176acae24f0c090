// SPDX-License-Identifier: GPL-2.0
/* Lexical path cleaning (lib/path.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "lib/lib.h"

static void expect_clean(const char *in, const char *want)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	rs_path_clean(buf);
	if (strcmp(buf, want))
		fail_msg("rs_path_clean('%s') = '%s', want '%s'", in, buf, want);
}

static void test_path_clean_absolute(void **state)
{
	(void)state;
	expect_clean("/", "/");
	expect_clean("//", "/");
	expect_clean("/a/b/", "/a/b");
	expect_clean("/a//./b", "/a/b");
	expect_clean("/a/missing/../b", "/a/b");
	expect_clean("/a/b/../..", "/");
	expect_clean("/..", "/");
	expect_clean("/../../a", "/a");
	expect_clean("/sys/fs/cgroup/x/../../cgroup/y", "/sys/fs/cgroup/y");
	expect_clean("/a/..b/c.", "/a/..b/c.");
}

static void test_path_clean_relative(void **state)
{
	(void)state;
	expect_clean("", ".");
	expect_clean(".", ".");
	expect_clean("./", ".");
	expect_clean("a/..", ".");
	expect_clean("a/./b/", "a/b");
	expect_clean("..", "..");
	expect_clean("a/../..", "..");
	expect_clean("../a/..", "..");
	expect_clean("../../a/b/../c", "../../a/c");
	expect_clean("pod/../../etc", "../etc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_clean_absolute),
		cmocka_unit_test(test_path_clean_relative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
