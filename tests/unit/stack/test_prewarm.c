// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF opened ahead (stack/prewarm.c) on this test process: the executable
 * and libc only, nothing once told to stop, and the same frames afterwards, once
 * refreshed as the assembly does (stack/proc.c rs_proc_refresh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "stack/stack.h"
#include "stack/stack_priv.h"

static void test_prewarm_stopped_opens_nothing(void **state)
{
	struct rs_proc *p = NULL;
	atomic_bool stop;

	(void)state;
	atomic_init(&stop, true);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(rs_proc_prewarm(p, &stop), 0);
	for (size_t i = 0; i < p->n_mods; i++)
		assert_false(p->mods[i].dwarf_asked);
	rs_proc_free(p);
}

static void test_prewarm_then_same_frames(void **state)
{
	uint64_t pc = (uint64_t)(uintptr_t)&test_prewarm_then_same_frames;
	struct rs_proc *p = NULL;
	struct rs_frame *fr = NULL;
	size_t n = 0, exe = SIZE_MAX, libc = 0;
	atomic_bool stop;

	(void)state;
	atomic_init(&stop, false);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	for (size_t i = 0; i < p->n_mods && exe == SIZE_MAX; i++)
		if (strstr(p->mods[i].path, "test_prewarm"))
			exe = i;
	assert_int_equal(exe, 0); /* mapped lowest: the one opened first */
	for (size_t i = 0; i < p->n_mods; i++)
		libc += !strncmp(strrchr(p->mods[i].path, '/') ? strrchr(p->mods[i].path, '/') : "",
				 "/libc.so", 8);
	assert_int_equal(libc, 1);
	assert_int_equal(rs_proc_prewarm(p, &stop), 2); /* the executable and libc, no other */
	assert_true(p->mods[exe].dwarf_asked);
	for (size_t i = 0; i < p->n_mods; i++)
		if (strstr(p->mods[i].path, "libasan") || strstr(p->mods[i].path, "libdw"))
			assert_false(p->mods[i].dwarf_asked);
	/* as the assembly takes it: its modules then point into the maps read again */
	assert_int_equal(rs_proc_refresh(p), 0);
	assert_int_equal(rs_symbolize(p, pc, true, &fr, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].function, "test_prewarm_then_same_frames");
	assert_non_null(fr[0].file);
	assert_non_null(strstr(fr[0].file, "tests/unit/stack/test_prewarm.c"));
	assert_true(fr[0].line > 0);
	for (size_t i = 0; i < n; i++)
		rs_frame_clear(&fr[i]);
	free(fr);
	rs_proc_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prewarm_stopped_opens_nothing),
		cmocka_unit_test(test_prewarm_then_same_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
