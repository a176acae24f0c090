// SPDX-License-Identifier: GPL-2.0
/* The /proc parsers of the BPF-free snapshot, on fixture strings and tests/fixtures/procfs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture/proc_priv.h"
#include "lib/lib.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"

#define FIX RS_FIXTURES "/procfs/"

static char *fixture(const char *name)
{
	char path[512], *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s%s", FIX, name);
	assert_int_equal(rs_read_file(path, &text, &len), 0);
	return text;
}

static void test_syscall_blocked_in_futex(void **state)
{
	struct rs_proc_syscall sc;
	char *text = fixture("syscall.dl-a");

	(void)state;
	assert_int_equal(rs_parse_syscall(text, &sc), 0);
	assert_int_equal(sc.kind, RS_SC_SYSCALL);
	assert_int_equal(sc.nr, 202);
	assert_int_equal(sc.args[0], 0x561580f29190ull);
	assert_int_equal(sc.args[1], 0x80);
	assert_int_equal(sc.args[2], 2);
	assert_int_equal(sc.args[5], 0);
	assert_int_equal(sc.sp, 0x7fc9a329de48ull);
	assert_int_equal(sc.pc, 0x7fc9a332812bull);
	free(text);
}

static void test_syscall_running(void **state)
{
	struct rs_proc_syscall sc;
	char *text = fixture("syscall.spin");

	(void)state;
	assert_int_equal(rs_parse_syscall(text, &sc), 0);
	assert_int_equal(sc.kind, RS_SC_RUNNING);
	assert_int_equal(sc.nr, -1);
	assert_int_equal(sc.sp, 0);
	assert_int_equal(rs_parse_syscall("running", &sc), 0);
	assert_int_equal(sc.kind, RS_SC_RUNNING);
	free(text);
}

static void test_syscall_blocked_outside_a_syscall(void **state)
{
	struct rs_proc_syscall sc;

	(void)state;
	assert_int_equal(rs_parse_syscall("-1 0x7ffd1c0e2f10 0x55d1c0ffee12\n", &sc), 0);
	assert_int_equal(sc.kind, RS_SC_NONE);
	assert_int_equal(sc.nr, -1);
	assert_int_equal(sc.sp, 0x7ffd1c0e2f10ull);
	assert_int_equal(sc.pc, 0x55d1c0ffee12ull);
	/* read(2) is number 0 */
	assert_int_equal(
	    rs_parse_syscall("0 0x3 0x7f14feb74ea8 0x8 0x0 0x0 0x0 0x7f14feb74e10 0x7f15004742ec\n",
			     &sc),
	    0);
	assert_int_equal(sc.kind, RS_SC_SYSCALL);
	assert_int_equal(sc.nr, 0);
	assert_int_equal(sc.args[0], 3);
}

static void test_syscall_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"runn",
		"running now",
		"202 0x1 0x2",				   /* too few fields */
		"202 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9", /* one too many */
		"-1 0x7ffd",
		"x 0x1 0x2",
		"202 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0xzz",
		"202 0x11111111111111111 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
		"99999999999 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
	};
	struct rs_proc_syscall sc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rs_parse_syscall(bad[i], &sc) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);
}

static void test_syscall_equal_sees_a_move(void **state)
{
	struct rs_proc_syscall a, b;

	(void)state;
	assert_int_equal(rs_parse_syscall("230 0x0 0x0 0x7f 0x7f 0x0 0x0 0x7ff0 0x7f12", &a), 0);
	assert_int_equal(rs_parse_syscall("230 0x0 0x0 0x7f 0x7f 0x0 0x0 0x7ff0 0x7f12\n", &b), 0);
	assert_true(rs_syscall_equal(&a, &b));
	assert_int_equal(rs_parse_syscall("230 0x0 0x0 0x7f 0x7f 0x0 0x0 0x7fe0 0x7f12", &b), 0);
	assert_false(rs_syscall_equal(&a, &b));
	assert_int_equal(rs_parse_syscall("running", &b), 0);
	assert_false(rs_syscall_equal(&a, &b));
}

static void test_kstack_lines(void **state)
{
	struct rs_kstack_line kl;
	char *text = fixture("stack.dl-a"), *line = text;
	size_t n = 0;

	(void)state;
	for (char *next; *line; line = next, n++) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		assert_int_equal(rs_parse_kstack_line(line, &kl), 0);
		assert_int_equal(kl.addr, 0);
		assert_string_equal(kl.module, "");
		if (n == 0) {
			assert_string_equal(kl.name, "futex_do_wait");
			assert_int_equal(kl.off, 0x46);
			assert_int_equal(kl.size, 0x90);
		}
	}
	assert_int_equal(n, 7);
	assert_string_equal(kl.name, "entry_SYSCALL_64_after_hwframe");
	assert_int_equal(kl.off, 0x76);
	free(text);
}

static void test_kstack_line_forms(void **state)
{
	struct rs_kstack_line kl;

	(void)state;
	/* a module's function */
	assert_int_equal(rs_parse_kstack_line("[<0>] ext4_file_read_iter+0x1f/0x1d0 [ext4]\n", &kl),
			 0);
	assert_string_equal(kl.name, "ext4_file_read_iter");
	assert_string_equal(kl.module, "[ext4]");
	assert_int_equal(kl.off, 0x1f);
	assert_int_equal(kl.size, 0x1d0);
	/* kernels before 4.17 (or kptr_restrict 0 on some) print the address */
	assert_int_equal(rs_parse_kstack_line("[<ffffffff810a1b2c>] schedule+0x35/0x80", &kl), 0);
	assert_int_equal(kl.addr, 0xffffffff810a1b2cull);
	assert_string_equal(kl.name, "schedule");
	/* the snapshot's naming iterator prints the address it was given, as /proc once did */
	assert_int_equal(
	    rs_parse_kstack_line("[<ffffffffc0a00150>] ext4_readdir+0x50/0x100 [ext4]\n", &kl), 0);
	assert_int_equal(kl.addr, 0xffffffffc0a00150ull);
	assert_string_equal(kl.name, "ext4_readdir");
	assert_int_equal(kl.off, 0x50);
	assert_string_equal(kl.module, "[ext4]");
	assert_int_equal(rs_parse_kstack_line("[<ffffffffc0a00010>] 0xffffffffc0a00010\n", &kl), 0);
	assert_string_equal(kl.name, "");
	assert_int_equal(kl.addr, 0xffffffffc0a00010ull);
	/* a name without offset, a bare address */
	assert_int_equal(rs_parse_kstack_line("[<0>] schedule", &kl), 0);
	assert_string_equal(kl.name, "schedule");
	assert_int_equal(kl.off, 0);
	assert_int_equal(kl.size, 0);
	assert_int_equal(rs_parse_kstack_line("[<0>] 0xffffffffc0a00010", &kl), 0);
	assert_string_equal(kl.name, "");
	assert_int_equal(kl.addr, 0xffffffffc0a00010ull);
	/* malformed */
	assert_int_equal(rs_parse_kstack_line("schedule+0x35/0x80", &kl), -EINVAL);
	assert_int_equal(rs_parse_kstack_line("[<0> schedule", &kl), -EINVAL);
	assert_int_equal(rs_parse_kstack_line("[<0>] schedule+zz/0x80", &kl), -EINVAL);
	assert_int_equal(rs_parse_kstack_line("[<0>] f+0x1/0x2 [mod", &kl), -EINVAL);
	assert_int_equal(rs_parse_kstack_line("[<0>] f+0x1/0x2 junk", &kl), -EINVAL);
}

/* Our own kernel stack, as /proc shows it: every frame named back to the same name and offset. */
static void test_kstack_lines_of_our_own_thread(void **state)
{
	struct rs_ksyms *k = NULL;
	char *text = NULL, *line, *next;
	size_t len, n = 0;
	int e;

	(void)state;
	e = rs_ksyms_load_names("/proc/kallsyms", &k);
	if (e == -EPERM || geteuid() != 0) {
		rs_ksyms_free(k);
		skip(); /* addresses hidden: not root */
	}
	assert_int_equal(e, 0);
	assert_int_equal(rs_read_file("/proc/thread-self/stack", &text, &len), 0);
	for (line = text; *line; line = next) {
		struct rs_kstack_line kl;
		const char *name, *mod;
		uint64_t a, off;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		assert_int_equal(rs_parse_kstack_line(line, &kl), 0);
		assert_int_equal(rs_ksyms_addr(k, kl.name, kl.module, kl.off, kl.size, &a), 0);
		name = rs_ksyms_lookup(k, a, &off, &mod);
		assert_non_null(name);
		assert_int_equal(off, kl.off);
		assert_true(a >= 0xffff000000000000ull);
		n++;
	}
	assert_true(n >= 3);
	free(text);
	rs_ksyms_free(k);
}

static void test_status_own_namespace(void **state)
{
	struct rs_proc_status st;
	char *text = fixture("status.dl-a");

	(void)state;
	assert_int_equal(rs_parse_status(text, &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.tgid, 13319);
	assert_true(st.has_ns);
	assert_int_equal(st.ns_tgid, 13319);
	assert_int_equal(st.ns_tid, 13320);
	assert_int_equal(st.nvcsw, 2);
	assert_int_equal(st.nivcsw, 0);
	assert_true(st.has_cap_eff);
	assert_int_equal(st.cap_eff, 0x1fffeffffffull);
	free(text);
}

static void test_status_nested_namespace(void **state)
{
	struct rs_proc_status st;
	char *text = fixture("status.nested");

	(void)state;
	assert_int_equal(rs_parse_status(text, &st), 0);
	assert_int_equal(st.tgid, 13319);
	assert_int_equal(st.ns_tgid, 1); /* the innermost namespace: the last field */
	assert_int_equal(st.ns_tid, 2);
	free(text);
	/* before Linux 4.1: no NS lines */
	assert_int_equal(rs_parse_status("State:\tD (disk sleep)\nTgid:\t7\n"
					 "voluntary_ctxt_switches:\t3\n"
					 "nonvoluntary_ctxt_switches:\t4\n",
					 &st),
			 0);
	assert_false(st.has_ns);
	assert_false(st.has_cap_eff);
	assert_int_equal(st.state, 'D');
	assert_int_equal(st.nivcsw, 4);
	assert_int_equal(rs_parse_status("Tgid:\t7\n", &st), -EINVAL);
	assert_int_equal(rs_parse_status("State:\tS\nTgid:\tx\n", &st), -EINVAL);
}

static void test_stat_fields(void **state)
{
	struct rs_proc_stat st;
	char *text = fixture("stat.dl-a");

	(void)state;
	assert_int_equal(rs_parse_stat(text, &st), 0);
	assert_string_equal(st.comm, "dl-a");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.flags, 4194368); /* PF_FORKNOEXEC | PF_RANDOMIZE */
	assert_int_equal(st.starttime, 273835);
	assert_int_equal(st.startstack, 140730863081520ull);
	assert_int_equal(st.cpu, 1);
	free(text);
	/* a name with spaces and parentheses: the last ')' ends it */
	text = fixture("stat.paren");
	assert_int_equal(rs_parse_stat(text, &st), 0);
	assert_string_equal(st.comm, "we (ird) ) name");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.cpu, 1);
	assert_int_equal(st.starttime, 99);
	free(text);
	assert_int_equal(rs_parse_stat("42 (x) S 1 2", &st), -EINVAL);
	assert_int_equal(rs_parse_stat("42 x S 1 2", &st), -EINVAL);
}

static void test_sched_fields(void **state)
{
	char *text = fixture("sched.dl-a");
	uint64_t ns = 0;

	(void)state;
	assert_int_equal(rs_parse_sched_ns(text, "se.exec_start", &ns), 0);
	assert_true(ns > 1000000000ull);
	assert_int_equal(rs_parse_sched_ns(text, "se.sum_exec_runtime", &ns), 0);
	assert_int_equal(rs_parse_sched_ns(text, "no.such_key", &ns), -ENOENT);
	free(text);
	assert_int_equal(
	    rs_parse_sched_ns("se.exec_start      :    786415.336423\n", "se.exec_start", &ns), 0);
	assert_int_equal(ns, 786415336423ull);
	/* a key that is a prefix of another line's key does not match it */
	assert_int_equal(rs_parse_sched_ns("se.exec_start_x : 1.000000\n", "se.exec_start", &ns),
			 -ENOENT);
	assert_int_equal(rs_parse_sched_ns("se.exec_start : 1.5\n", "se.exec_start", &ns), -EINVAL);
}

static void test_ns_links(void **state)
{
	uint32_t ino = 0;

	(void)state;
	assert_int_equal(rs_parse_ns_link("pid:[4026531836]", &ino), 0);
	assert_int_equal(ino, 4026531836u);
	assert_int_equal(rs_parse_ns_link("mnt:[4026531841]", &ino), 0);
	assert_int_equal(ino, 4026531841u);
	assert_int_equal(rs_parse_ns_link("pid:[]", &ino), -EINVAL);
	assert_int_equal(rs_parse_ns_link("pid:[12", &ino), -EINVAL);
	assert_int_equal(rs_parse_ns_link("pid:[99999999999]", &ino), -EINVAL);
}

/* Every letter /proc shows comes back from the bits, as the BPF records carry them. */
static void test_state_letters_round_trip(void **state)
{
	const char *letters = "RSDTtXZPI";
	uint32_t st, ex;

	(void)state;
	for (const char *c = letters; *c; c++) {
		assert_int_equal(rs_state_from_letter(*c, &st, &ex), 0);
		if (rs_state_letter(st, ex) != *c)
			fail_msg("'%c' -> %#x/%#x -> '%c'", *c, st, ex, rs_state_letter(st, ex));
	}
	assert_int_equal(rs_state_from_letter('?', &st, &ex), -EINVAL);
}

/*
 * Kernel bits /proc never shows read as the kernel's get_task_state() reads
 * them: a thread caught mid-wakeup (TASK_WAKING, seen under 6.1 in a guest)
 * is R, not '?'.
 */
static void test_state_letter_transient_bits(void **state)
{
	(void)state;
	assert_int_equal(rs_state_letter(0x200, 0), 'R');  /* TASK_WAKING */
	assert_int_equal(rs_state_letter(0x800, 0), 'R');  /* TASK_NEW */
	assert_int_equal(rs_state_letter(0x1000, 0), 'D'); /* TASK_RTLOCK_WAIT */
	assert_int_equal(rs_state_letter(0x102, 0), 'D');  /* TASK_KILLABLE */
	assert_int_equal(rs_state_letter(0x104, 0), 'T');  /* TASK_STOPPED */
	assert_int_equal(rs_state_letter(0x402, 0), 'I');  /* TASK_IDLE */
	assert_int_equal(rs_state_letter(0x201, 0), 'S');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_blocked_in_futex),
		cmocka_unit_test(test_state_letter_transient_bits),
		cmocka_unit_test(test_syscall_running),
		cmocka_unit_test(test_syscall_blocked_outside_a_syscall),
		cmocka_unit_test(test_syscall_malformed),
		cmocka_unit_test(test_syscall_equal_sees_a_move),
		cmocka_unit_test(test_kstack_lines),
		cmocka_unit_test(test_kstack_line_forms),
		cmocka_unit_test(test_kstack_lines_of_our_own_thread),
		cmocka_unit_test(test_status_own_namespace),
		cmocka_unit_test(test_status_nested_namespace),
		cmocka_unit_test(test_stat_fields),
		cmocka_unit_test(test_sched_fields),
		cmocka_unit_test(test_ns_links),
		cmocka_unit_test(test_state_letters_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
