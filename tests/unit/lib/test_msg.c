// SPDX-License-Identifier: GPL-2.0
/* rs_msg (lib/msg.c): one prefixed line, whatever the message quotes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "lib/lib.h"

/* What rs_msg(fmt, arg) wrote on stderr. */
static char *said(const char *fmt, const char *arg)
{
	static char buf[512];
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	rs_msg(fmt, arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void test_msg_prefix_once(void **state)
{
	(void)state;
	assert_string_equal(said("%s", "no such pod"), "rsample: no such pod\n");
	assert_string_equal(said("rsample: %s", "x"), "rsample: x\n");
}

static void test_msg_one_line(void **state)
{
	(void)state;
	/* a --cgroup value or a container's path with a newline or an escape */
	assert_string_equal(said("unknown pod '%s'", "a\nrsample: fake"),
			    "rsample: unknown pod 'a\\x0arsample: fake'\n");
	assert_string_equal(said("'%s'", "\x1b[2J\r"), "rsample: '\\x1b[2J\\x0d'\n");
	/* a message that already ends in newlines (libdw's, a warning) */
	assert_string_equal(said("%s", "error: gone\n\n"), "rsample: error: gone\n");
	assert_string_equal(said("%s", "tab\tkept"), "rsample: tab\tkept\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_prefix_once),
		cmocka_unit_test(test_msg_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
