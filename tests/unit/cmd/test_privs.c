// SPDX-License-Identifier: GPL-2.0
/*
 * The privilege drop after loading (cmd/privs.c): which capabilities are
 * kept for which needs, their names, and a real drop in a child process
 * (its /proc/self/status read back: CapEff, CapPrm, NoNewPrivs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "cmd/cmd_priv.h"
#include "lib/lib.h"

#define BIT(c)		     (1ull << (c))
#define DAC_OVERRIDE	     BIT(1)
#define DAC_READ_SEARCH	     BIT(2)
#define SYS_PTRACE	     BIT(19)
#define SYS_ADMIN	     BIT(21)
#define SYS_RESOURCE	     BIT(24)
#define SYSLOG		     BIT(34)
#define PERFMON		     BIT(38)
#define BPF		     BIT(39)
#define CHECKPOINT_RESTORE   BIT(40)
#define ALL_BUT_SYS_RESOURCE (0x1ffffffffffull & ~SYS_RESOURCE) /* root on this VM */

static void test_privs_keep_reading_targets_only(void **state)
{
	const struct rs_privs_need none = { 0 }, bpf = { .bpf_fds = true },
				   out = { .dac_override = true };

	(void)state;
	/* CAP_CHECKPOINT_RESTORE where the kernel has it: CAP_SYS_ADMIN goes */
	assert_int_equal(rs_privs_keep(ALL_BUT_SYS_RESOURCE, &none),
			 SYS_PTRACE | DAC_READ_SEARCH | CHECKPOINT_RESTORE);
	/* before 5.9: CAP_SYS_ADMIN is what opens map_files */
	assert_int_equal(rs_privs_keep(0xffffffffffull, &none),
			 SYS_PTRACE | DAC_READ_SEARCH | SYS_ADMIN);
	assert_int_equal(rs_privs_keep(ALL_BUT_SYS_RESOURCE, &bpf),
			 SYS_PTRACE | DAC_READ_SEARCH | CHECKPOINT_RESTORE | BPF);
	assert_int_equal(rs_privs_keep(ALL_BUT_SYS_RESOURCE, &out),
			 SYS_PTRACE | DAC_READ_SEARCH | CHECKPOINT_RESTORE | DAC_OVERRIDE);
	/* nothing is kept that was not there: the documented minimum stays the minimum */
	assert_int_equal(rs_privs_keep(BPF | PERFMON | SYS_PTRACE | CHECKPOINT_RESTORE, &none),
			 SYS_PTRACE | CHECKPOINT_RESTORE);
	assert_int_equal(rs_privs_keep(0, &bpf), 0);
	/* never kept: loading's and kallsyms' capabilities */
	assert_int_equal(rs_privs_keep(~0ull, &bpf) & (PERFMON | SYSLOG | SYS_RESOURCE | SYS_ADMIN),
			 0);
}

static void test_privs_names(void **state)
{
	char buf[256];

	(void)state;
	rs_caps_names(SYS_PTRACE | DAC_READ_SEARCH | CHECKPOINT_RESTORE, buf, sizeof(buf));
	assert_string_equal(buf, "CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_CHECKPOINT_RESTORE");
	rs_caps_names(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	rs_caps_names(BIT(5) | BPF, buf, sizeof(buf));
	assert_string_equal(buf, "capability 5, CAP_BPF");
	rs_caps_names(SYS_PTRACE | DAC_READ_SEARCH, buf, 10); /* cut short, terminated */
	assert_true(strlen(buf) < 10);
}

/* One "Name:\t<hex or number>" line of /proc/self/status. */
static uint64_t status_field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	assert_non_null(p);
	return strtoull(p + strlen(name), NULL, strstr(name, "Cap") ? 16 : 10);
}

/* In a child: drop, then read back what the kernel says this process holds. */
static void test_privs_drop_for_real(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	if (geteuid()) {
		skip();
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const struct rs_privs_cfg cfg = { .out_dir = "/tmp" };
		uint64_t eff, prm, kept = 0, want;
		char err[256], *text = NULL;
		size_t len;
		int bad = 0;

		if (rs_caps_get(&eff, &prm) || rs_privs_drop(&cfg, &kept, err, sizeof(err)) ||
		    rs_read_file("/proc/self/status", &text, &len))
			_exit(2);
		want = rs_privs_keep(prm, &(struct rs_privs_need){ 0 });
		bad |= kept != want;
		bad |= status_field(text, "CapEff:\t") != want;
		bad |= status_field(text, "CapPrm:\t") != want;
		bad |= status_field(text, "CapInh:\t") != 0;
		bad |= status_field(text, "CapAmb:\t") != 0;
		bad |= status_field(text, "NoNewPrivs:\t") != 1;
		free(text);
		_exit(bad ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privs_keep_reading_targets_only),
		cmocka_unit_test(test_privs_names),
		cmocka_unit_test(test_privs_drop_for_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
