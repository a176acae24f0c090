// SPDX-License-Identifier: GPL-2.0
/* Command line and durations. */
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
#include "cli/cli.h"
#include "stack/stack.h"
#include "lib/lib.h"

#define S(x)  ((uint64_t)(x)*1000000000ull)
#define MS(x) ((uint64_t)(x)*1000000ull)

static char err[512];

static int parse_v(struct rs_opts *o, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"rsample";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return rs_opts_parse(argc, argv, o, err, sizeof(err));
}

#define PARSE(o, ...) parse_v(o, (const char *const[]){ __VA_ARGS__, NULL })

/* Parses args that must fail, and checks that the message names every expected word. */
static void expect_fail_v(const char *const *args, const char *const *words)
{
	struct rs_opts o;

	memset(err, 0, sizeof(err));
	assert_int_equal(parse_v(&o, args), -EINVAL);
	assert_true(strlen(err) > 10);
	assert_null(strchr(err, '\n'));
	/* the pointer to --help is rs_opts_usage_error()'s, said once */
	if (strstr(err, "rsample --help"))
		fail_msg("message '%s' points at --help itself", err);
	for (; *words; words++) {
		if (!strstr(err, *words))
			fail_msg("message '%s' lacks '%s'", err, *words);
	}
	/* nothing left to free, and freeing again is harmless */
	assert_null(o.target.pids);
	assert_null(o.format);
	rs_opts_free(&o);
}

#define WORDS(...)		 ((const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_FAIL(args, words) expect_fail_v(args, words)
#define ARGS(...)		 ((const char *const[]){ __VA_ARGS__, NULL })

static void test_opts_snapshot_defaults(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "--pid", "42"), 0);
	assert_int_equal(o.cmd, RS_CMD_SNAPSHOT);
	assert_int_equal(o.target.kind, RS_TARGET_PID);
	assert_int_equal(o.target.n_pids, 1);
	assert_int_equal(o.target.pids[0], 42);
	assert_false(o.json);
	assert_false(o.no_kernel);
	assert_false(o.timings);
	assert_false(o.help);
	assert_false(o.version);
	assert_int_equal(o.stack_bytes, 64 * 1024);
	assert_int_equal(o.threshold_ns, S(1));
	assert_int_equal(o.backend, RS_BACKEND_AUTO);
	rs_opts_free(&o);
	assert_null(o.target.pids);
}

static void test_opts_backend(void **state)
{
	static const struct {
		const char *arg;
		enum rs_backend want;
	} forms[] = {
		{ "auto", RS_BACKEND_AUTO },
		{ "bpf", RS_BACKEND_BPF },
		{ "proc", RS_BACKEND_PROC },
	};
	struct rs_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(PARSE(&o, "--pid", "42", "--backend", forms[i].arg), 0);
		assert_int_equal(o.backend, forms[i].want);
		rs_opts_free(&o);
	}
	assert_int_equal(PARSE(&o, "snapshot", "--backend=proc", "--tid", "7", "--json"), 0);
	assert_int_equal(o.backend, RS_BACKEND_PROC);
	assert_true(o.json);
	rs_opts_free(&o);
	/* the last one wins, as for every option */
	assert_int_equal(PARSE(&o, "--backend", "proc", "--backend", "bpf", "-p", "1"), 0);
	assert_int_equal(o.backend, RS_BACKEND_BPF);
	rs_opts_free(&o);
	EXPECT_FAIL(ARGS("--pid", "1", "--backend", "ebpf"),
		    WORDS("invalid --backend 'ebpf'", "auto, bpf or proc"));
	EXPECT_FAIL(ARGS("--pid", "1", "--backend", ""), WORDS("invalid --backend ''"));
	EXPECT_FAIL(ARGS("--pid", "1", "--backend"), WORDS("--backend", "needs a value"));
	/* the profiler has one capture only */
	EXPECT_FAIL(ARGS("profile", "--pid", "1", "--backend", "proc"),
		    WORDS("'--backend'", "only to 'rsample snapshot'"));
}

static void test_opts_sort(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "--pid", "42"), 0);
	assert_int_equal(o.sort, RS_SORT_RANK); /* the ranking is the default */
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "--pid", "42", "--sort", "blocked"), 0);
	assert_int_equal(o.sort, RS_SORT_BLOCKED);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "snapshot", "--sort=blocked", "--sort", "rank", "-p", "1"), 0);
	assert_int_equal(o.sort, RS_SORT_RANK);
	rs_opts_free(&o);
	EXPECT_FAIL(ARGS("--pid", "1", "--sort", "size"),
		    WORDS("invalid --sort 'size'", "rank", "blocked"));
	EXPECT_FAIL(ARGS("--pid", "1", "--sort"), WORDS("--sort", "needs a value"));
	EXPECT_FAIL(ARGS("profile", "--pid", "1", "--sort", "rank"),
		    WORDS("'--sort'", "only to 'rsample snapshot'"));
}

static void test_opts_snapshot_all_options(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "snapshot", "--cgroup", "default/backend-7d9f", "--json",
			       "--no-kernel", "--stack-bytes", "128k", "--threshold", "500ms"),
			 0);
	assert_int_equal(o.cmd, RS_CMD_SNAPSHOT);
	assert_int_equal(o.target.kind, RS_TARGET_CGROUP);
	assert_string_equal(o.target.cgroup_spec, "default/backend-7d9f");
	assert_true(o.json);
	assert_true(o.no_kernel);
	assert_int_equal(o.stack_bytes, 128 * 1024);
	assert_int_equal(o.threshold_ns, MS(500));
	rs_opts_free(&o);

	assert_int_equal(PARSE(&o, "--pid", "7"), 0);
	assert_int_equal(o.symbol_cache_bytes, RS_SYMCACHE_BYTES_DEFAULT);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "--pid", "7", "--symbol-cache-size", "256M"), 0);
	assert_int_equal(o.symbol_cache_bytes, 256ull << 20);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "--pid", "7", "--symbol-cache-size=2G"), 0);
	assert_int_equal(o.symbol_cache_bytes, 2ull << 30);
	rs_opts_free(&o);
	EXPECT_FAIL(ARGS("--pid", "1", "--symbol-cache-size", "100k"),
		    WORDS("--symbol-cache-size '100k'", "at least 1M"));
	EXPECT_FAIL(ARGS("--pid", "1", "--symbol-cache-size", "lots"),
		    WORDS("invalid --symbol-cache-size 'lots'"));
	assert_int_equal(PARSE(&o, "--pid", "7", "--timings"), 0);
	assert_true(o.timings);
	rs_opts_free(&o);
	EXPECT_FAIL(ARGS("profile", "--pid", "1", "--timings"),
		    WORDS("'--timings'", "only to 'rsample snapshot'"));

	/* --opt=value and option order do not matter */
	assert_int_equal(PARSE(&o, "--threshold=0", "--json", "--cgroup=/sys/fs/cgroup/x"), 0);
	assert_int_equal(o.threshold_ns, 0);
	assert_string_equal(o.target.cgroup_spec, "/sys/fs/cgroup/x");
	rs_opts_free(&o);
}

static void test_opts_target_forms(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-p", "1,2,3"), 0);
	assert_int_equal(o.target.kind, RS_TARGET_PID);
	assert_int_equal(o.target.n_pids, 3);
	assert_int_equal(o.target.pids[2], 3);
	rs_opts_free(&o);

	/* repeated --pid adds up; repeats are dropped */
	assert_int_equal(PARSE(&o, "--pid", "7", "--pid=8,7", "-p9"), 0);
	assert_int_equal(o.target.n_pids, 3);
	assert_int_equal(o.target.pids[0], 7);
	assert_int_equal(o.target.pids[1], 8);
	assert_int_equal(o.target.pids[2], 9);
	rs_opts_free(&o);

	assert_int_equal(PARSE(&o, "--tid", "4250"), 0);
	assert_int_equal(o.target.kind, RS_TARGET_TID);
	assert_int_equal(o.target.n_pids, 1);
	assert_int_equal(o.target.pids[0], 4250);
	rs_opts_free(&o);

	assert_int_equal(PARSE(&o, "-t", "2147483647"), 0);
	assert_int_equal(o.target.pids[0], 2147483647u);
	rs_opts_free(&o);

	assert_int_equal(PARSE(&o, "-c", "3f2a9c"), 0);
	assert_int_equal(o.target.kind, RS_TARGET_CGROUP);
	assert_string_equal(o.target.cgroup_spec, "3f2a9c");
	assert_null(o.target.pids);
	rs_opts_free(&o);
}

static void test_opts_stack_bytes(void **state)
{
	static const struct {
		const char *arg;
		uint32_t bytes;
	} ok[] = {
		{ "4096", 4096 }, { "4k", 4096 },     { "64K", 65536 },
		{ "8192", 8192 }, { "256k", 262144 }, { "262144", 262144 },
	};
	static const char *const bad[] = { "4095", "3k",   "257k", "262145", "0",    "",
					   "k",	   "64kb", "1m",   "-4096",  "64 k", "0x1000" };
	struct rs_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(PARSE(&o, "--pid", "1", "--stack-bytes", ok[i].arg), 0);
		assert_int_equal(o.stack_bytes, ok[i].bytes);
		rs_opts_free(&o);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		EXPECT_FAIL(ARGS("--pid", "1", "--stack-bytes", bad[i]),
			    WORDS("--stack-bytes", quoted, "4096", "262144"));
	}
}

/* --max-debug-size (snapshot and profile) and --symbolize-budget (snapshot). */
static void test_opts_debug_bounds(void **state)
{
	static const char *const bad[] = { "0", "", "1.5G", "-1", "1X", "18446744073709551616" };
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "--pid", "1"), 0);
	assert_int_equal(o.max_debug_size, RS_MAX_DEBUG_SIZE_DEFAULT);
	assert_int_equal(o.symbolize_budget_ns, RS_SYMBOLIZE_BUDGET_DEFAULT_NS);
	rs_opts_free(&o);
	assert_int_equal(
	    PARSE(&o, "--pid", "1", "--max-debug-size", "4G", "--symbolize-budget", "500ms"), 0);
	assert_int_equal(o.max_debug_size, 4ull << 30);
	assert_int_equal(o.symbolize_budget_ns, MS(500));
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "--pid", "1", "--max-debug-size", "64k"), 0);
	assert_int_equal(o.max_debug_size, 65536);
	rs_opts_free(&o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		EXPECT_FAIL(ARGS("--pid", "1", "--max-debug-size", bad[i]),
			    WORDS("--max-debug-size", quoted, "suffix k, M, G or T"));
	}
	EXPECT_FAIL(ARGS("--pid", "1", "--symbolize-budget", "0"), WORDS("--symbolize-budget"));
	EXPECT_FAIL(ARGS("profile", "--pid", "1", "--symbolize-budget", "1s"),
		    WORDS("--symbolize-budget", "applies only to 'rsample snapshot'"));
}

static void test_opts_profile_defaults(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "profile", "--pid", "42"), 0);
	assert_int_equal(o.cmd, RS_CMD_PROFILE);
	assert_true(o.on_cpu);
	assert_false(o.off_cpu);
	assert_int_equal(o.freq_hz, 99);
	assert_int_equal(o.duration_ns, S(10));
	assert_int_equal(o.min_block_ns, 0);
	assert_int_equal(o.max_block_ns, 0);
	assert_int_equal(o.interval_ns, 0);
	assert_string_equal(o.format, "folded");
	assert_null(o.output);
	assert_null(o.out_dir);
	assert_int_equal(o.stack_bytes, 64 * 1024);
	assert_int_equal(o.max_cpu_pct, 50);
	rs_opts_free(&o);
}

static void test_opts_max_cpu(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--max-cpu", "0"), 0);
	assert_int_equal(o.max_cpu_pct, 0); /* no limit */
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--max-cpu=250"), 0);
	assert_int_equal(o.max_cpu_pct, 250);
	rs_opts_free(&o);
	/* a device without a suffix is written as folded, as stdout would be */
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "-o", "/dev/null"), 0);
	assert_string_equal(o.format, "folded");
	rs_opts_free(&o);
	memset(err, 0, sizeof(err));
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--max-cpu", "10001"), -EINVAL);
	assert_non_null(strstr(err, "invalid --max-cpu '10001'"));
	assert_int_equal(PARSE(&o, "--pid", "1", "--max-cpu", "5"), -EINVAL); /* profile only */
}

static void test_opts_profile_all_options(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "profile", "-c", "pod-uid", "--off-cpu", "-F", "999", "-d",
			       "30s", "--min-block", "1ms", "--max-block", "10s", "--format",
			       "pprof", "-o", "out.bin", "--no-kernel", "--stack-bytes", "16k"),
			 0);
	assert_false(o.on_cpu); /* only --off-cpu was asked for */
	assert_true(o.off_cpu);
	assert_int_equal(o.freq_hz, 999);
	assert_int_equal(o.duration_ns, S(30));
	assert_int_equal(o.min_block_ns, MS(1));
	assert_int_equal(o.max_block_ns, S(10));
	assert_string_equal(o.format, "pprof");
	assert_string_equal(o.output, "out.bin");
	assert_true(o.no_kernel);
	assert_int_equal(o.stack_bytes, 16384);
	rs_opts_free(&o);

	assert_int_equal(
	    PARSE(&o, "profile", "-p", "1", "--on-cpu", "--off-cpu", "--freq=1", "--duration=1.5s"),
	    0);
	assert_true(o.on_cpu);
	assert_true(o.off_cpu);
	assert_int_equal(o.freq_hz, 1);
	assert_int_equal(o.duration_ns, MS(1500));
	rs_opts_free(&o);
}

static void test_opts_format_from_suffix(void **state)
{
	static const struct {
		const char *file, *format;
	} cases[] = {
		{ "cpu.svg", "svg" },
		{ "cpu.pb.gz", "pprof" },
		{ "cpu.pprof", "pprof" },
		{ "cpu.json", "speedscope" },
		{ "cpu.speedscope.json", "speedscope" },
		{ "cpu.folded", "folded" },
		{ "/tmp/a.b/cpu.txt", "folded" },
	};
	struct rs_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(PARSE(&o, "profile", "-p", "1", "-o", cases[i].file), 0);
		assert_string_equal(o.format, cases[i].format);
		assert_string_equal(o.output, cases[i].file);
		rs_opts_free(&o);
	}
	/* an explicit --format wins over the suffix */
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "-o", "x.svg", "--format", "folded"), 0);
	assert_string_equal(o.format, "folded");
	rs_opts_free(&o);

	EXPECT_FAIL(ARGS("profile", "-p", "1", "-o", "cpu.png"), WORDS("'cpu.png'", "--format"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-o", ".svg"), WORDS("'.svg'", "--format"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--format", "png"),
		    WORDS("'png'", "folded, svg, pprof or speedscope"));
}

static void test_opts_watch(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "watch", "--cgroup", "pod"), 0);
	assert_int_equal(o.cmd, RS_CMD_WATCH);
	assert_int_equal(o.threshold_ns, S(10)); /* watch's own default */
	assert_int_equal(o.interval_ns, S(1));	 /* a quarter, at most 1 s */
	rs_opts_free(&o);

	assert_int_equal(PARSE(&o, "watch", "-p", "1", "--threshold", "2s", "--json", "--out-dir",
			       "/var/x", "--no-kernel"),
			 0);
	assert_int_equal(o.threshold_ns, S(2));
	assert_int_equal(o.interval_ns, S(2) / 4);
	assert_true(o.json && o.no_kernel);
	assert_string_equal(o.out_dir, "/var/x");
	rs_opts_free(&o);

	assert_int_equal(PARSE(&o, "watch", "-p", "1", "--threshold", "100ms"), 0);
	assert_int_equal(o.interval_ns, 50000000); /* at least 50 ms */
	rs_opts_free(&o);

	EXPECT_FAIL(ARGS("watch", "-p", "1", "--threshold", "0"), WORDS("--threshold", "watch"));
	EXPECT_FAIL(ARGS("watch", "-p", "1", "-F", "99"), WORDS("-F", "watch"));
	EXPECT_FAIL(ARGS("watch", "-p", "1", "--backend", "proc"), WORDS("--backend", "watch"));
	EXPECT_FAIL(ARGS("watch"), WORDS("no target"));
}

static void test_opts_continuous_mode(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--interval", "1m", "--out-dir", "/var/x",
			       "--format", "svg"),
			 0);
	assert_int_equal(o.interval_ns, S(60));
	assert_string_equal(o.out_dir, "/var/x");
	assert_int_equal(o.duration_ns, 0); /* until interrupted */
	assert_string_equal(o.format, "svg");
	rs_opts_free(&o);

	assert_int_equal(
	    PARSE(&o, "profile", "-p", "1", "--interval", "1m", "--out-dir", "d", "-d", "1h"), 0);
	assert_int_equal(o.duration_ns, S(3600));
	assert_string_equal(o.format, "folded");
	rs_opts_free(&o);

	EXPECT_FAIL(ARGS("profile", "-p", "1", "--interval", "1m"),
		    WORDS("--interval", "--out-dir"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--out-dir", "d"), WORDS("--interval", "--out-dir"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--interval", "1m", "--out-dir", "d", "-o", "x.svg"),
		    WORDS("'x.svg'", "'d'"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--interval", "1m", "--out-dir", "d", "-d", "10s"),
		    WORDS("--interval 1m00s", "-d 10.0s"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--interval", "0", "--out-dir", "d"),
		    WORDS("--interval", "'0'", "non-zero"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--interval", "1m", "--out-dir", ""),
		    WORDS("--out-dir"));
}

static void test_opts_help_and_version(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "--help"), 0);
	assert_true(o.help);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "-h"), 0);
	assert_true(o.help);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "--help"), 0);
	assert_true(o.help);
	assert_int_equal(o.cmd, RS_CMD_PROFILE);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "--version"), 0);
	assert_true(o.version);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "-V"), 0);
	assert_true(o.version);
	rs_opts_free(&o);
	/* --help does not excuse a bad option */
	EXPECT_FAIL(ARGS("--help", "--bogus"), WORDS("'--bogus'"));
}

/* 'rsample check' and its alias '--check' take no target; -v goes with every command. */
static void test_opts_check_and_verbose(void **state)
{
	struct rs_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "check"), 0);
	assert_int_equal(o.cmd, RS_CMD_CHECK);
	assert_false(o.verbose);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "--check", "-v"), 0);
	assert_int_equal(o.cmd, RS_CMD_CHECK);
	assert_true(o.verbose);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "check", "--verbose"), 0);
	assert_true(o.verbose);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--off-cpu", "-v"), 0);
	assert_int_equal(o.cmd, RS_CMD_PROFILE);
	assert_true(o.verbose);
	rs_opts_free(&o);
	EXPECT_FAIL(ARGS("check", "--pid", "1"), WORDS("'-p/--pid'", "'rsample check'"));
	EXPECT_FAIL(ARGS("--pid", "1", "--check"), WORDS("takes no target"));
	EXPECT_FAIL(ARGS("profile", "--check"), WORDS("'rsample check'"));
	EXPECT_FAIL(ARGS("check", "--json"), WORDS("'--json'"));
	EXPECT_FAIL(ARGS("check", "extra"), WORDS("'extra'"));
}

static void test_opts_group_by(void **state)
{
	static const struct {
		const char *format, *want;
	} defaults[] = {
		{ "folded", "none" },
		{ "svg", "none" },
		{ "pprof", "none" },
		{ "speedscope", "thread" },
	};
	struct rs_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		assert_int_equal(PARSE(&o, "profile", "-p", "1", "--format", defaults[i].format),
				 0);
		assert_string_equal(o.group_by, defaults[i].want);
		rs_opts_free(&o);
	}
	/* the default follows the format the -o suffix implies */
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "-o", "x.speedscope.json"), 0);
	assert_string_equal(o.group_by, "thread");
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--group-by", "process", "-o", "x.json"),
			 0);
	assert_string_equal(o.group_by, "process");
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "-p", "1", "--group-by=thread"), 0);
	assert_string_equal(o.group_by, "thread");
	assert_string_equal(o.format, "folded");
	rs_opts_free(&o);
	assert_int_equal(
	    PARSE(&o, "profile", "-p", "1", "--group-by", "none", "--format", "speedscope"), 0);
	assert_string_equal(o.group_by, "none");
	rs_opts_free(&o);
	/* snapshots never group this way */
	assert_int_equal(PARSE(&o, "--pid", "1"), 0);
	assert_null(o.group_by);
	rs_opts_free(&o);
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--group-by", "pod"),
		    WORDS("--group-by", "'pod'", "thread, process or none"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--group-by", ""), WORDS("--group-by", "''"));
	EXPECT_FAIL(ARGS("--pid", "1", "--group-by", "thread"),
		    WORDS("'--group-by'", "rsample profile"));
}

static void test_opts_usage_documents_everything(void **state)
{
	static const char *const words[] = {
		"--pid PID[,PID...]",
		"--tid TID",
		"--cgroup SPEC",
		"--json",
		"--no-kernel",
		"--stack-bytes N",
		"--threshold DUR",
		"--on-cpu",
		"--off-cpu",
		"-F, --freq HZ",
		"-d, --duration DUR",
		"--min-block DUR",
		"--max-block DUR",
		"--format FMT",
		"-o, --output FILE",
		"--interval DUR",
		"--out-dir DIR",
		"--group-by G",
		"--backend B",
		"--sort ORDER",
		"--max-debug-size SIZE",
		"--symbolize-budget DUR",
		"auto",
		"proc",
		"--help",
		"--version",
		"rsample [snapshot] TARGET",
		"rsample profile TARGET",
		"500ms",
		"\n  0   ok\n",
		"\n  1   done, but partial",
		"\n  2   fatal: no permission",
		"\n  64  usage error\n",
	};
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	rs_opts_usage(f);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strstr(text, words[i]))
			fail_msg("--help lacks '%s'", words[i]);
	/* fits a 100-column terminal */
	for (line = text; *line;) {
		size_t l = strcspn(line, "\n");

		if (l > 100)
			fail_msg("--help line too long: %.*s", (int)l, line);
		line += l + (line[l] == '\n');
	}
	free(text);
}

static void test_opts_target_errors(void **state)
{
	(void)state;
	EXPECT_FAIL(ARGS("--json"), WORDS("no target", "--pid", "--tid", "--cgroup"));
	EXPECT_FAIL(ARGS("profile"), WORDS("no target"));
	EXPECT_FAIL(ARGS("--pid", "abc"), WORDS("'abc'", "PID[,PID...]"));
	EXPECT_FAIL(ARGS("--pid", "0"), WORDS("'0'", "PID[,PID...]"));
	EXPECT_FAIL(ARGS("--pid", "-1"), WORDS("'-1'"));
	EXPECT_FAIL(ARGS("--pid", "1.5"), WORDS("'1.5'"));
	EXPECT_FAIL(ARGS("--pid", "1,,2"), WORDS("'1,,2'"));
	EXPECT_FAIL(ARGS("--pid", "1,"), WORDS("'1,'"));
	EXPECT_FAIL(ARGS("--pid", ",1"), WORDS("',1'"));
	EXPECT_FAIL(ARGS("--pid", ""), WORDS("--pid", "PID[,PID...]"));
	EXPECT_FAIL(ARGS("--pid", "1,99999999999"), WORDS("'99999999999'"));
	EXPECT_FAIL(ARGS("--pid", "2147483648"), WORDS("'2147483648'"));
	EXPECT_FAIL(ARGS("--tid", "1,2"), WORDS("--tid", "'1,2'"));
	EXPECT_FAIL(ARGS("--tid", "0"), WORDS("--tid", "'0'"));
	EXPECT_FAIL(ARGS("--cgroup", ""), WORDS("--cgroup"));
	EXPECT_FAIL(ARGS("--pid", "1", "--tid", "2"), WORDS("more than one target", "'--tid'"));
	EXPECT_FAIL(ARGS("--tid", "1", "--tid", "2"), WORDS("more than one target"));
	EXPECT_FAIL(ARGS("--cgroup", "a", "-c", "b"), WORDS("more than one target"));
	EXPECT_FAIL(ARGS("--cgroup", "a", "--pid", "1"), WORDS("more than one target", "'--pid'"));
}

static void test_opts_syntax_errors(void **state)
{
	(void)state;
	EXPECT_FAIL(ARGS("snap", "--pid", "1"),
		    WORDS("'snap'", "snapshot, profile, watch or check"));
	EXPECT_FAIL(ARGS("--pid", "1", "--bogus"), WORDS("'--bogus'"));
	EXPECT_FAIL(ARGS("--pid", "1", "-x"), WORDS("'-x'"));
	EXPECT_FAIL(ARGS("--pid", "1", "-hx"), WORDS("'-x'"));
	EXPECT_FAIL(ARGS("--pid"), WORDS("'--pid'", "needs a value"));
	EXPECT_FAIL(ARGS("-p"), WORDS("'-p'", "needs a value"));
	EXPECT_FAIL(ARGS("--pid", "1", "--threshold"), WORDS("'--threshold'", "needs a value"));
	EXPECT_FAIL(ARGS("--pid", "1", "--json=yes"), WORDS("'--json'", "takes no value"));
	EXPECT_FAIL(ARGS("--pid", "1", "stray"), WORDS("unexpected argument 'stray'"));
	EXPECT_FAIL(ARGS("--pid", "1", "profile"), WORDS("'profile'", "comes first"));
	EXPECT_FAIL(ARGS("--pid", "1", "--", "x"), WORDS("'x'"));
	/* options of the other command */
	EXPECT_FAIL(ARGS("--pid", "1", "--on-cpu"), WORDS("'--on-cpu'", "rsample profile"));
	EXPECT_FAIL(ARGS("--pid", "1", "-F", "99"), WORDS("'-F/--freq'", "rsample profile"));
	EXPECT_FAIL(ARGS("--pid", "1", "-o", "x.svg"), WORDS("'-o/--output'", "rsample profile"));
	EXPECT_FAIL(ARGS("--pid", "1", "--interval", "1s"),
		    WORDS("'--interval'", "rsample profile"));
	EXPECT_FAIL(ARGS("profile", "--pid", "1", "--json"), WORDS("'--json'", "rsample snapshot"));
	EXPECT_FAIL(ARGS("profile", "--pid", "1", "--threshold", "1s"),
		    WORDS("'--threshold'", "rsample snapshot"));
}

static void test_opts_value_errors(void **state)
{
	(void)state;
	EXPECT_FAIL(ARGS("--pid", "1", "--threshold", "5x"), WORDS("--threshold", "'5x'", "500ms"));
	EXPECT_FAIL(ARGS("--pid", "1", "--threshold", "-1s"), WORDS("'-1s'"));
	EXPECT_FAIL(ARGS("--pid", "1", "--threshold", ""), WORDS("--threshold", "''"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-d", "0"), WORDS("-d", "'0'", "non-zero"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-d", "ten"), WORDS("-d", "'ten'"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-F", "0"), WORDS("-F", "'0'", "100000"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-F", "100001"), WORDS("'100001'"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-F", "9x"), WORDS("'9x'"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--min-block", "1ms"),
		    WORDS("--min-block", "--off-cpu"));
	EXPECT_FAIL(
	    ARGS("profile", "-p", "1", "--off-cpu", "--min-block", "1s", "--max-block", "10ms"),
	    WORDS("--max-block 10ms", "--min-block 1.0s"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "--off-cpu", "--max-block", "0"),
		    WORDS("--max-block", "'0'"));
	EXPECT_FAIL(ARGS("profile", "-p", "1", "-o", ""), WORDS("-o"));
}

static void test_opts_reparse_after_error(void **state)
{
	struct rs_opts o;

	(void)state;
	/* an error in the middle of a cluster must not leak getopt state into the next call */
	EXPECT_FAIL(ARGS("-Vx", "-p", "1"), WORDS("'-x'"));
	assert_int_equal(PARSE(&o, "-p", "5"), 0);
	assert_int_equal(o.target.pids[0], 5);
	assert_false(o.version);
	rs_opts_free(&o);
	assert_int_equal(PARSE(&o, "profile", "-Vp", "6"), 0);
	assert_true(o.version);
	assert_int_equal(o.target.pids[0], 6);
	rs_opts_free(&o);
	rs_opts_free(NULL);
}

/* A usage error is one line on stderr, pointing at --help once. */
static void test_opts_usage_error_one_line(void **state)
{
	char buf[512] = "";
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	(void)state;
	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	rs_opts_usage_error("unknown or ambiguous option '--bogus'");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	fclose(tmp);
	buf[n] = '\0';
	assert_string_equal(
	    buf, "rsample: unknown or ambiguous option '--bogus' (see 'rsample --help')\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_snapshot_defaults),
		cmocka_unit_test(test_opts_snapshot_all_options),
		cmocka_unit_test(test_opts_backend),
		cmocka_unit_test(test_opts_sort),
		cmocka_unit_test(test_opts_target_forms),
		cmocka_unit_test(test_opts_stack_bytes),
		cmocka_unit_test(test_opts_debug_bounds),
		cmocka_unit_test(test_opts_profile_defaults),
		cmocka_unit_test(test_opts_max_cpu),
		cmocka_unit_test(test_opts_profile_all_options),
		cmocka_unit_test(test_opts_format_from_suffix),
		cmocka_unit_test(test_opts_continuous_mode),
		cmocka_unit_test(test_opts_watch),
		cmocka_unit_test(test_opts_help_and_version),
		cmocka_unit_test(test_opts_check_and_verbose),
		cmocka_unit_test(test_opts_group_by),
		cmocka_unit_test(test_opts_usage_documents_everything),
		cmocka_unit_test(test_opts_target_errors),
		cmocka_unit_test(test_opts_syntax_errors),
		cmocka_unit_test(test_opts_value_errors),
		cmocka_unit_test(test_opts_reparse_after_error),
		cmocka_unit_test(test_opts_usage_error_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
