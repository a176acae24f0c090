// SPDX-License-Identifier: GPL-2.0
/* stack/gdb/adaname.c: symbol-table names as gdb shows them when it reads them as Ada. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stack/gdb/gdb.h"
#include "stack/stack.h"

/*
 * Symbol-table names gdb 13 reads as GNAT-encoded Ada (the second column is
 * what its backtrace printed for a C function of that ELF name; NULL: printed
 * as it is). Recorded with gdb 13.1 from a binary of asm-named functions.
 */
static void test_ada_decode_as_gdb(void **state)
{
	static const char *const cases[][2] = {
		{ "isc__trampoline_run", "isc.trampoline_run" },
		{ "foo.part.0", "foo.part" },
		{ "bar.isra.0", "bar.isra" },
		{ "baz.cold", "baz[cold]" },
		{ "qux__2", "qux" },
		{ "ab__cd__ef", "ab.cd.ef" },
		{ "Upper__case", NULL },
		{ "endsB", "ends" },
		{ "taskTKB", "task" },
		{ "x___Xyz", "x" },
		{ "p$3", "p" },
		{ "lowertb", NULL },
		{ "a__b_E1s", "a.b" },
		{ "obj__opN__x", "obj.op.x" },
		{ "Oadd__x", "\"+\".x" },
		{ "nodigit__", NULL },
		{ "m__B_12__n", "m.n" },
		{ "plain_name", NULL },
		{ "trailing9", NULL },
		{ "ab__1c", "ab.1c" },
		{ "s__TK__t", "s..t" },
		{ "xXb", "x" },
		{ "yXbz", NULL },
		{ "uc__Ua5", "uc.\xc2\xa5"
			     "" },
		{ "q.lto_priv.0", "q.lto_priv" },
		{ "f.constprop.0.isra.0", "f.constprop.0.isra" },
		{ "g.constprop.0", "g.constprop" },
		{ "h.part.0.cold", "h.part[cold]" },
		{ "k.cold.1", "k.cold" },
		{ "w.localalias", "w[localalias]" },
		{ "v.localalias.0", "v.localalias" },
		{ "ngx_epoll_process_events", NULL },
		{ "Oand", "\"and\"" },
		{ "Ofoo", NULL },
		{ "Oexpon__q", "\"**\".q" },
		{ "a___b", NULL },
		{ "a___Xb", "a" },
		{ "z__12_3", "z" },
		{ "z$1_2", "z" },
		{ "mainB", "main" },
		{ "initTB", "init" },
		{ "helperN", "helper" },
		{ "helperN__x", "helper.x" },
		{ "fN__y", "f.y" },
		{ "__libc_like", NULL },
		{ "_start_like", NULL },
		{ "a.b.c", "a.b[c]" },
		{ "dot.9abc", NULL },
		{ "x..y", "x.[y]" },
		{ "nn__", NULL },
		{ "tail__x__", "tail.x__" },
		{ "WW0001F600x", "\xf0\x9f\x98\x80"
				 "x" },
		{ "zW00e9y", "z\xc3\xa9"
			     "y" },
		{ "zUzz", NULL },
		{ "uUqq", NULL },
		{ "a_E12b", "a" },
		{ "a__b__E3s_c", NULL },
		{ "veryXn", "very" },
		{ "veryXbn", "very" },
		{ "veryXq", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = rs_ada_decode(cases[i][0]);

		if ((got == NULL) != (cases[i][1] == NULL) || (got && strcmp(got, cases[i][1])))
			fail_msg("%s: \"%s\", want \"%s\"", cases[i][0], got ? got : "(as is)",
				 cases[i][1] ? cases[i][1] : "(as is)");
		free(got);
	}
	assert_null(rs_ada_decode(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ada_decode_as_gdb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
