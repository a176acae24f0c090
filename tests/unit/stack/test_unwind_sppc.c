// SPDX-License-Identifier: GPL-2.0
/*
 * Unwinding from sp and pc only (unwind_sppc.c, for the /proc backend):
 * the fixture victims' own samples with every other register thrown away
 * must give the frames the full registers give; rbp is recovered from the
 * stack where a frame needs it, and said.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "stack/stack.h"
#include "victim.h"

static const char *const main_stack[] = {
	"level_three",	      "level_two", "level_one", "main", "__libc_start_call_main",
	"__libc_start_main*", "_start",
};

/* Only what /proc/PID/task/TID/syscall would give: ip and sp; the rest is garbage. */
static struct rs_regs sp_pc_of(const struct rs_regs *full)
{
	struct rs_regs r;

	memset(&r, 0x5a, sizeof(r));
	r.ip = full->ip;
	r.sp = full->sp;
	return r;
}

static void unwind_spip(struct rs_proc *p, const struct victim_sample *s, size_t window,
			struct stack *st)
{
	struct rs_regs r = sp_pc_of(&s->hdr.regs);
	struct rs_ustack us = { .regs = &r, .stack = s->stack, .len = window, .sp_pc_only = true };

	assert_int_equal(rs_stack_user(p, &us, &st->u, &st->f, &st->n), 0);
	if (getenv("RS_TEST_VERBOSE"))
		stack_print(st);
}

/* Unwinds bin's first sample both ways; the same pcs, or the sp/pc walk a prefix of it. */
static void both(const char *bin, const char *mode, size_t window, struct stack *full,
		 struct stack *spip)
{
	struct victim v = { 0 };
	struct victim_sample s;
	struct rs_proc *p = NULL;

	victim_start(&v, bin, mode, NULL);
	victim_sample(&v, &s);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)v.pid, NULL, &p), 0);
	if (!window || window > s.hdr.len)
		window = s.hdr.len;
	unwind_sample(p, &s, window, full);
	unwind_spip(p, &s, window, spip);
	rs_proc_free(p);
	free(s.stack);
	victim_stop(&v);
}

static void assert_same_pcs(const struct stack *a, const struct stack *b)
{
	assert_int_equal(a->u.n, b->u.n);
	for (size_t i = 0; i < a->u.n; i++)
		assert_int_equal(a->u.pc[i], b->u.pc[i]);
}

static void test_sppc_nofp_needs_nothing_but_sp_pc(void **state)
{
	static const char *const modes[] = { "main", "thread", "signal", "inline" };

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct stack full = { 0 }, spip = { 0 };

		both("victim_nofp", modes[i], 0, &full, &spip);
		assert_same_pcs(&full, &spip);
		assert_string_equal(spip.u.info.method, "dwarf");
		assert_true(spip.u.info.complete);
		assert_int_equal(spip.u.guessed_from, SIZE_MAX); /* CFI restored all it needed */
		stack_clear(&full);
		stack_clear(&spip);
	}
}

static void test_sppc_rust_release(void **state)
{
	struct stack full = { 0 }, spip = { 0 };

	(void)state;
	if (access(VICTIM_DIR "/rsvictim", X_OK))
		skip(); /* built only when rustc is found */
	both("rsvictim", "main", 0, &full, &spip);
	assert_same_pcs(&full, &spip);
	assert_true(spip.u.info.complete);
	stack_clear(&full);
	stack_clear(&spip);
}

/* Frame pointers: the innermost frame's CFA is rbp-based, rbp is found in the stack. */
static void test_sppc_fp_recovers_rbp(void **state)
{
	struct stack full = { 0 }, spip = { 0 };

	(void)state;
	both("victim_fp", "main", 0, &full, &spip);
	assert_names(&spip, main_stack, 7, true);
	assert_same_pcs(&full, &spip);
	assert_true(spip.u.info.complete);
	assert_int_equal(spip.u.guessed_from, 1); /* level_two on: through the recovered rbp */
	stack_clear(&full);
	stack_clear(&spip);
}

/* No CFI at all: libdw steps by rbp, which only the stack can give. */
static void test_sppc_no_cfi_recovers_rbp(void **state)
{
	struct stack full = { 0 }, spip = { 0 };

	(void)state;
	both("victim_nocfi", "main", 0, &full, &spip);
	assert_names(&spip, main_stack, 7, true);
	assert_same_pcs(&full, &spip);
	assert_int_equal(spip.u.guessed_from, 1);
	stack_clear(&full);
	stack_clear(&spip);
}

/* A window without the frame record: no rbp to find, and it says why it stopped. */
static void test_sppc_fp_without_record_stops_and_says_why(void **state)
{
	struct stack full = { 0 }, spip = { 0 };

	(void)state;
	both("victim_fp", "main", 16, &full, &spip);
	assert_int_equal(spip.u.n, 1);
	assert_string_equal(spip.f[0].function, "level_three");
	assert_false(spip.u.info.complete);
	assert_int_equal(spip.u.guessed_from, SIZE_MAX);
	if (!strstr(spip.u.info.stop_reason, "rbp unknown"))
		fail_msg("stop reason '%s'", spip.u.info.stop_reason);
	stack_clear(&full);
	stack_clear(&spip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sppc_nofp_needs_nothing_but_sp_pc),
		cmocka_unit_test(test_sppc_rust_release),
		cmocka_unit_test(test_sppc_fp_recovers_rbp),
		cmocka_unit_test(test_sppc_no_cfi_recovers_rbp),
		cmocka_unit_test(test_sppc_fp_without_record_stops_and_says_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
