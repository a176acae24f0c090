// SPDX-License-Identifier: GPL-2.0
/*
 * Tail-call frames (rs_stack_frames) on live fixture victims
 * (tests/fixtures/unwind/victim.c, modes tailcall*): the frames gdb's
 * "bt" shows for functions that left through a jmp, checked against what
 * gdb 13 prints for the same victims.
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
#include "stack/stack.h"
#include "stack/stack_priv.h"
#include "victim.h"

#define SRC "tests/fixtures/unwind/victim.c"

/* A victim started in a mode, its first sample unwound and symbolized. */
struct live {
	struct victim v;
	struct victim_sample s;
	struct rs_proc *p;
	struct stack st;
};

static void live_start(struct live *l, const char *bin, const char *mode, struct rs_symcache *cache)
{
	memset(l, 0, sizeof(*l));
	victim_start(&l->v, bin, mode, NULL);
	victim_sample(&l->v, &l->s);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)l->v.pid, cache, &l->p), 0);
	unwind_sample(l->p, &l->s, l->s.hdr.len, &l->st);
}

static void live_stop(struct live *l)
{
	stack_clear(&l->st);
	rs_proc_free(l->p);
	free(l->s.stack);
	victim_stop(&l->v);
}

/* Frames [0, n) carry the tail-call flag exactly where want says 't'. */
static void assert_tailcalls(const struct stack *st, const char *want)
{
	size_t n = strlen(want);

	assert_true(st->n >= n);
	for (size_t i = 0; i < n; i++) {
		if (st->f[i].tailcall != (want[i] == 't'))
			stack_print(st);
		assert_int_equal(st->f[i].tailcall, want[i] == 't');
		if (st->f[i].tailcall)
			assert_false(st->f[i].inlined);
	}
}

static void test_tailcall_chain_between_caller_frames(void **state)
{
	static const char *const bins[] = { "victim_nofp", "victim_fp", "victim_cxx" };
	static const char *const want[] = { "level_three*", "tc_leaf*", "tc_mid*", "tc_top*",
					    "main" };

	(void)state;
	for (size_t b = 0; b < sizeof(bins) / sizeof(bins[0]); b++) {
		struct live l;
		char mod[512];

		live_start(&l, bins[b], "tailcall", NULL);
		assert_names(&l.st, want, 5, false);
		assert_tailcalls(&l.st, "..tt.");
		assert_at(&l.st.f[1], SRC, "tc-leaf");
		assert_at(&l.st.f[2], SRC, "tc-mid");
		assert_at(&l.st.f[3], SRC, "tc-top");
		assert_at(&l.st.f[4], SRC, "tc-call");
		/* two frames more than the stack holds; each at its own site's return PC */
		assert_int_equal(l.st.n, l.st.u.n + 2);
		snprintf(mod, sizeof(mod), "%s/%s", VICTIM_DIR, bins[b]);
		for (size_t i = 2; i < 4; i++) {
			assert_string_equal(l.st.f[i].module, mod);
			for (size_t j = 0; j < l.st.u.n; j++)
				assert_true(l.st.f[i].addr != l.st.u.pc[j]);
		}
		assert_true(l.st.f[2].addr != l.st.f[3].addr);
		live_stop(&l);
	}
}

static void test_tailcall_innermost_frame(void **state)
{
	static const char *const want[] = { "tc_inner", "tc_inner_top", "main" };
	struct live l;

	(void)state;
	live_start(&l, "victim_nofp", "tailcall-inner", NULL);
	assert_names(&l.st, want, 3, false);
	assert_tailcalls(&l.st, ".t.");
	assert_at(&l.st.f[0], SRC, "tc-inner-capture");
	assert_at(&l.st.f[1], SRC, "tc-inner-top");
	assert_at(&l.st.f[2], SRC, "tc-inner-call");
	live_stop(&l);
}

static void test_tailcall_ambiguous_chain_shows_nothing(void **state)
{
	static const char *const want[] = { "level_three", "tc_leaf", "main" };
	struct live l;

	(void)state;
	live_start(&l, "victim_nofp", "tailcall-fork", NULL);
	assert_names(&l.st, want, 3, false);
	assert_tailcalls(&l.st, "...");
	assert_at(&l.st.f[2], SRC, "tc-fork-call");
	assert_int_equal(l.st.n, l.st.u.n);
	live_stop(&l);
}

static void test_tailcall_common_end_of_chains_kept(void **state)
{
	static const char *const want[] = { "level_three", "tc_leaf", "tc_join", "main" };
	struct live l;

	(void)state;
	live_start(&l, "victim_nofp", "tailcall-join", NULL);
	assert_names(&l.st, want, 4, false);
	assert_tailcalls(&l.st, "..t.");
	assert_at(&l.st.f[2], SRC, "tc-join");
	assert_at(&l.st.f[3], SRC, "tc-join-call");
	live_stop(&l);
}

static void test_tailcall_needs_dwarf(void **state)
{
	static const char *const want[] = { "level_three", "tc_leaf", "main" };
	struct live l;

	(void)state;
	live_start(&l, "victim_symtab", "tailcall", NULL);
	assert_names(&l.st, want, 3, false);
	assert_tailcalls(&l.st, "...");
	live_stop(&l);
}

static void test_tailcall_cache_shared_across_processes(void **state)
{
	struct rs_symcache *cache = NULL;
	struct live a, b;
	size_t chains;

	(void)state;
	assert_int_equal(rs_symcache_new(&cache), 0);
	live_start(&a, "victim_nofp", "tailcall", cache);
	chains = rs_symcache_chains(cache);
	assert_int_equal(chains, a.st.u.n - 1); /* one per frame and caller, most of them empty */
	live_start(&b, "victim_nofp", "tailcall", cache);
	assert_int_equal(rs_symcache_chains(cache), chains); /* all hits */
	assert_int_equal(a.st.n, b.st.n);
	for (size_t i = 0; i < a.st.n; i++) {
		assert_string_equal(a.st.f[i].function, b.st.f[i].function);
		assert_int_equal(a.st.f[i].line, b.st.f[i].line);
		assert_int_equal(a.st.f[i].tailcall, b.st.f[i].tailcall);
	}
	/* the same places in each process's own mapping of the victim */
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(a.st.f[i].addr - a.st.f[4].addr, b.st.f[i].addr - b.st.f[4].addr);
	assert_true(b.st.f[2].tailcall && b.st.f[3].tailcall);
	live_stop(&a);
	live_stop(&b);
	rs_symcache_free(cache);
}

static void test_tailcall_rejects_null(void **state)
{
	struct rs_unwound u = { 0 };
	struct rs_frame *f = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(rs_stack_frames(NULL, &u, &f, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tailcall_chain_between_caller_frames),
		cmocka_unit_test(test_tailcall_innermost_frame),
		cmocka_unit_test(test_tailcall_ambiguous_chain_shows_nothing),
		cmocka_unit_test(test_tailcall_common_end_of_chains_kept),
		cmocka_unit_test(test_tailcall_needs_dwarf),
		cmocka_unit_test(test_tailcall_cache_shared_across_processes),
		cmocka_unit_test(test_tailcall_rejects_null),
	};

	unsetenv("DEBUGINFOD_URLS"); /* no network in unit tests */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
