// SPDX-License-Identifier: GPL-2.0
/*
 * Unwinds real stack samples: each fixture victim (tests/fixtures/unwind)
 * records its own registers and stack, then blocks; the sample is unwound
 * against the live process's maps and files, as a BPF record would be.
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
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "stack/stack.h"
#include "victim.h"

static void assert_victim_lines(const struct stack *st)
{
	assert_at(&st->f[0], "tests/fixtures/unwind/victim.c", "capture");
	assert_at(&st->f[1], "tests/fixtures/unwind/victim.c", "call-three");
	assert_at(&st->f[2], "tests/fixtures/unwind/victim.c", "call-two");
}

static const char *const main_stack[] = {
	"level_three",	      "level_two", "level_one", "main", "__libc_start_call_main",
	"__libc_start_main*", "_start",
};

static const char *const thread_stack[] = {
	"level_three", "level_two", "level_one", "thread_main", "start_thread", "clone3",
};

/* Starts bin in mode, unwinds its first sample with methods, checks nothing yet. */
static void run_limit(const char *bin, const char *mode, unsigned int methods, size_t max_window,
		      const char *limit, struct stack *st)
{
	struct victim v = { 0 };
	struct victim_sample s;
	struct rs_proc *p = NULL;
	size_t window;

	victim_start(&v, bin, mode, NULL);
	victim_sample(&v, &s);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)v.pid, NULL, &p), 0);
	rs_proc_set_unwind_methods(p, methods);
	window = max_window && max_window < s.hdr.len ? max_window : s.hdr.len;
	unwind_sample_limit(p, &s, window, limit, st);
	if (getenv("RS_TEST_VERBOSE")) {
		fprintf(stderr, "%s %s:\n", bin, mode);
		stack_print(st);
	}
	if (rs_proc_warnings(p))
		fprintf(stderr, "warnings:\n%s", rs_proc_warnings(p));
	rs_proc_free(p);
	free(s.stack);
	victim_stop(&v);
}

static void run(const char *bin, const char *mode, unsigned int methods, size_t max_window,
		struct stack *st)
{
	run_limit(bin, mode, methods, max_window, NULL, st);
}

static void test_unwind_nofp_main_thread_to_start(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_nofp", "main", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, main_stack, 7, true);
	assert_victim_lines(&st);
	assert_at(&st.f[3], "tests/fixtures/unwind/victim.c", "call-one");
	assert_string_equal(st.u.info.method, "dwarf");
	assert_true(st.u.info.complete);
	assert_string_equal(st.u.info.stop_reason, "end of stack");
	assert_true(st.u.activation[0]);
	assert_false(st.u.activation[1]);
	stack_clear(&st);
}

static void test_unwind_nofp_second_thread_to_clone3(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_nofp", "thread", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, thread_stack, 6, true);
	assert_victim_lines(&st);
	assert_at(&st.f[3], "tests/fixtures/unwind/victim.c", "call-one-thread");
	assert_string_equal(st.u.info.method, "dwarf");
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_through_signal_frame(void **state)
{
	struct stack st = { 0 };
	size_t restore = 0, host = 0;

	(void)state;
	run("victim_nofp", "signal", RS_UNWIND_ALL, 0, &st);
	assert_string_equal(st.f[0].function, "sig_handler");
	assert_at(&st.f[0], "tests/fixtures/unwind/victim.c", "sig-capture");
	for (size_t i = 1; i < st.n; i++) {
		/* glibc's __restore_rt, named as gdb names a signal trampoline's frame */
		if (!restore && st.f[i].function &&
		    !strcmp(st.f[i].function, "<signal handler called>"))
			restore = i;
		if (!host && name_matches(st.f[i].function, "sig_host"))
			host = i;
	}
	if (!restore || !host || restore > host)
		stack_print(&st);
	assert_true(restore && host && restore < host);
	assert_null(st.f[restore].file);
	assert_false(st.f[restore].inlined || st.f[restore].tailcall);
	/* the frame the signal interrupted has an exact PC, not a return address */
	assert_true(st.u.activation[restore + 1]);
	assert_false(st.u.activation[restore + 2]); /* its caller: a return address again */
	assert_at(&st.f[host], "tests/fixtures/unwind/victim.c", "sig-raise");
	assert_string_equal(st.f[host + 1].function, "main");
	assert_string_equal(st.f[st.n - 1].function, "_start");
	assert_string_equal(st.u.info.method, "dwarf");
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_fp_build_uses_dwarf(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_fp", "main", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, main_stack, 7, true);
	assert_victim_lines(&st);
	assert_string_equal(st.u.info.method, "dwarf");
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_non_pie_executable(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_nopie", "thread", RS_UNWIND_ALL, 0, &st);
	assert_true(st.u.pc[0] < 0x1000000); /* linked at 0x400000, not relocated */
	assert_names(&st, thread_stack, 6, true);
	assert_victim_lines(&st);
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_fp_fallback_without_dwarf(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_fp", "main", RS_UNWIND_FP, 0, &st);
	/* glibc has no frame pointers: the chain ends in __libc_start_call_main at best. */
	assert_names(&st, main_stack, 4, false);
	assert_victim_lines(&st);
	assert_string_equal(st.u.info.method, "fp");
	assert_true(st.u.activation[0]);
	for (size_t i = 1; i < st.u.n; i++)
		assert_false(st.u.activation[i]);
	stack_clear(&st);
}

static void test_unwind_fp_fallback_on_nofp_build_stops(void **state)
{
	struct stack st = { 0 };

	(void)state;
	/* Without frame pointers the chain is garbage: it must stop, not invent frames. */
	run("victim_nofp", "main", RS_UNWIND_FP, 0, &st);
	assert_true(st.u.n >= 1);
	assert_string_equal(st.f[0].function, "level_three");
	for (size_t i = 1; i < st.n; i++)
		assert_false(name_matches(st.f[i].function, "level_two"));
	assert_false(st.u.info.complete);
	assert_non_null(strstr(st.u.info.stop_reason, "frame pointer chain"));
	stack_clear(&st);
}

static void test_unwind_reports_missing_cfi(void **state)
{
	unsigned char stack[64] = { 0 };
	void *code = malloc(16); /* anonymous memory: no module, no CFI */
	struct rs_regs regs = { .ip = (uint64_t)(uintptr_t)code,
				.sp = (uint64_t)(uintptr_t)stack,
				.bp = 0 };
	struct rs_proc *p = NULL;
	struct rs_unwound u;

	(void)state;
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(
	    rs_stack_unwind(
		p, &(struct rs_ustack){ .regs = &regs, .stack = stack, .len = sizeof(stack) }, &u),
	    0);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.pc[0], regs.ip);
	assert_string_equal(u.info.method, "none");
	assert_false(u.info.complete);
	assert_int_equal(strncmp(u.info.stop_reason, "no CFI for ", 11), 0);
	rs_proc_free(p);
	free(code);
}

static void test_unwind_no_cfi_steps_by_frame_pointer(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_nocfi", "main", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, main_stack, 7, true);
	assert_null(st.f[0].file); /* built with -g0 */
	assert_string_equal(st.u.info.method, "dwarf+fp");
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_debuglink_stripped_build(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_dbg", "main", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, main_stack, 7, true);
	assert_victim_lines(&st);
	assert_string_equal(st.u.info.method, "dwarf");
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_window_too_small(void **state)
{
	struct stack st = { 0 };

	(void)state;
	run("victim_nofp", "main", RS_UNWIND_ALL, 64, &st);
	assert_false(st.u.info.complete);
	assert_string_equal(st.u.info.stop_reason,
			    "end of copied stack window (64 bytes; raise --stack-bytes)");
	assert_true(st.u.n >= 1 && st.u.n < 7);
	assert_string_equal(st.f[0].function, "level_three");
	stack_clear(&st);
	/* a copy --stack-bytes did not limit says what did */
	run_limit("victim_nofp", "main", RS_UNWIND_ALL, 64, "a perf sample copies at most 64 KiB",
		  &st);
	assert_false(st.u.info.complete);
	assert_string_equal(
	    st.u.info.stop_reason,
	    "end of copied stack window (64 bytes; a perf sample copies at most 64 KiB)");
	stack_clear(&st);
}

static double ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* 100 threads of one process, each unwound from its own registers and stack. */
static void test_unwind_many_threads_of_one_process(void **state)
{
	enum { N = 100 };
	static const char *const tail[] = { "threads_main", "start_thread", "clone3" };
	static const char *const head[] = { "level_three", "level_two", "level_one" };
	struct victim_sample *s = calloc(N, sizeof(*s));
	struct rs_symcache *cache = NULL;
	struct victim v = { 0 };
	struct rs_proc *p = NULL;
	struct timespec t0, t1;
	char n[8];

	(void)state;
	assert_non_null(s);
	snprintf(n, sizeof(n), "%d", N);
	victim_start(&v, "victim_nofp", "threads", n);
	for (int i = 0; i < N; i++)
		victim_sample(&v, &s[i]);
	assert_int_equal(rs_symcache_new(&cache), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)v.pid, cache, &p), 0);
	for (int i = 0; i < N; i++) {
		struct stack st = { 0 };
		size_t d = s[i].hdr.tag;

		unwind_sample(p, &s[i], s[i].hdr.len, &st);
		assert_names(&st, head, 3, false);
		assert_int_equal(st.n, 3 + 1 + d + 3);
		for (size_t k = 0; k <= d; k++)
			assert_string_equal(st.f[3 + k].function, "recurse");
		assert_at(&st.f[3], "tests/fixtures/unwind/victim.c", "recurse-base");
		if (d)
			assert_at(&st.f[4], "tests/fixtures/unwind/victim.c", "recurse-self");
		for (size_t k = 0; k < 3; k++)
			assert_true(name_matches(st.f[st.n - 3 + k].function, tail[k]));
		assert_true(st.u.info.complete);
		assert_int_equal(st.u.pc[0], s[i].hdr.regs.ip);
		stack_clear(&st);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "  %d threads: %.1f ms cold (files opened, debug info read)\n", N,
		ms(&t0, &t1));
	/* a second process of the same binary: files opened again, symbols from the cache */
	rs_proc_free(p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)v.pid, cache, &p), 0);
	for (int i = 0; i < N; i++) {
		struct stack st = { 0 };

		unwind_sample(p, &s[i], s[i].hdr.len, &st);
		assert_int_equal(st.n, 3 + 1 + s[i].hdr.tag + 3);
		assert_true(st.u.info.complete);
		stack_clear(&st);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "  %d threads: %.1f ms with a warm symbol cache\n", N, ms(&t0, &t1));
	rs_proc_free(p);
	rs_symcache_free(cache);
	for (int i = 0; i < N; i++)
		free(s[i].stack);
	free(s);
	victim_stop(&v);
}

static void test_unwind_rust_release_binary(void **state)
{
	/* capture() is #[inline(always)]: an inlined frame in level_c. */
	static const char *const rs_main[] = { "rsvictim::capture", "rsvictim::level_c",
					       "rsvictim::level_b", "rsvictim::level_a",
					       "rsvictim::main" };
	static const char *const rs_thread[] = { "rsvictim::capture", "rsvictim::level_c",
						 "rsvictim::level_b", "rsvictim::level_a" };
	struct stack st = { 0 };
	bool lang_start = false;

	(void)state;
	if (access(VICTIM_DIR "/rsvictim", X_OK))
		skip(); /* rustc was not found when the fixtures were built */
	run("rsvictim", "main", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, rs_main, 5, false);
	assert_true(st.f[0].inlined);
	assert_false(st.f[1].inlined);
	assert_at(&st.f[0], "tests/fixtures/unwind/rsvictim.rs", "rs-asm");
	assert_at(&st.f[1], "tests/fixtures/unwind/rsvictim.rs", "rs-capture");
	assert_at(&st.f[2], "tests/fixtures/unwind/rsvictim.rs", "rs-call-c");
	assert_at(&st.f[3], "tests/fixtures/unwind/rsvictim.rs", "rs-call-b");
	assert_at(&st.f[4], "tests/fixtures/unwind/rsvictim.rs", "rs-call-a");
	for (size_t i = 5; i < st.n; i++)
		lang_start |= name_matches(st.f[i].function, "std::rt::lang_start*");
	assert_true(lang_start);
	assert_true(name_matches(st.f[st.n - 1].function, "_start"));
	assert_true(name_matches(st.f[st.n - 4].function, "main"));
	assert_true(st.u.info.complete);
	assert_string_equal(st.u.info.method, "dwarf");
	stack_clear(&st);

	run("rsvictim", "thread", RS_UNWIND_ALL, 0, &st);
	assert_names(&st, rs_thread, 4, false);
	assert_true(name_matches(st.f[st.n - 2].function, "start_thread"));
	assert_true(name_matches(st.f[st.n - 1].function, "clone3"));
	assert_true(st.u.info.complete);
	stack_clear(&st);
}

static void test_unwind_process_gone(void **state)
{
	struct victim v = { 0 };
	struct rs_proc *p = (struct rs_proc *)&v;
	pid_t pid;

	(void)state;
	victim_start(&v, "victim_nofp", "main", NULL);
	pid = v.pid;
	victim_stop(&v);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)pid, NULL, &p), -ESRCH);
	assert_ptr_equal(p, (struct rs_proc *)&v); /* untouched on failure */
}

static void test_unwind_without_registers(void **state)
{
	struct rs_regs regs = { 0 };
	struct rs_proc *p = NULL;
	struct rs_unwound u;

	(void)state;
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(rs_stack_unwind(p, &(struct rs_ustack){ .regs = &regs }, &u), 0);
	assert_int_equal(u.n, 0);
	assert_string_equal(u.info.method, "none");
	assert_false(u.info.complete);
	assert_int_equal(rs_stack_unwind(p, &(struct rs_ustack){ 0 }, &u), -EINVAL);
	rs_proc_free(p);
	rs_proc_free(NULL);
}

/*
 * No module can be opened (a process whose files are all out of reach):
 * libdwfl's "Couldn't find architecture of any ELF" is said in our words,
 * beside each module's own reason.
 */
static void test_unwind_no_module_opened(void **state)
{
	char dir[] = "/tmp/rsample-unwind-XXXXXX", path[128];
	uint64_t stack[64] = { 0 };
	struct rs_regs regs = { 0 };
	struct rs_proc *p = NULL;
	struct rs_unwound u;
	const char *w;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/4242", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/4242/maps", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("55550000-55551000 r-xp 00000000 08:01 1234  /no/such/binary\n", f);
	fclose(f);
	regs.ip = 0x55550100;
	regs.sp = 0x7ffd0000;
	assert_int_equal(rs_proc_open(dir, 4242, NULL, &p), 0);
	assert_int_equal(
	    rs_stack_unwind(
		p, &(struct rs_ustack){ .regs = &regs, .stack = stack, .len = sizeof(stack) }, &u),
	    0);
	w = rs_proc_warnings(p);
	assert_non_null(w);
	assert_non_null(
	    strstr(w, "cannot unwind with DWARF: none of its 1 modules could be opened"));
	assert_non_null(strstr(w, "/no/such/binary"));
	assert_null(strstr(w, "Couldn't find architecture"));
	rs_proc_free(p);
	unlink(path);
	snprintf(path, sizeof(path), "%s/4242", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwind_nofp_main_thread_to_start),
		cmocka_unit_test(test_unwind_no_module_opened),
		cmocka_unit_test(test_unwind_nofp_second_thread_to_clone3),
		cmocka_unit_test(test_unwind_through_signal_frame),
		cmocka_unit_test(test_unwind_fp_build_uses_dwarf),
		cmocka_unit_test(test_unwind_non_pie_executable),
		cmocka_unit_test(test_unwind_fp_fallback_without_dwarf),
		cmocka_unit_test(test_unwind_fp_fallback_on_nofp_build_stops),
		cmocka_unit_test(test_unwind_no_cfi_steps_by_frame_pointer),
		cmocka_unit_test(test_unwind_reports_missing_cfi),
		cmocka_unit_test(test_unwind_debuglink_stripped_build),
		cmocka_unit_test(test_unwind_window_too_small),
		cmocka_unit_test(test_unwind_many_threads_of_one_process),
		cmocka_unit_test(test_unwind_rust_release_binary),
		cmocka_unit_test(test_unwind_process_gone),
		cmocka_unit_test(test_unwind_without_registers),
	};

	unsetenv("DEBUGINFOD_URLS"); /* no network in unit tests */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
