/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line (cli.h): options parsed into struct rs_opts, --help, and
 * the exit codes it documents.
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "capture/capture.h"
#include "report/report.h"
#include "target/target.h"

/* Exit codes (documented by --help); the commands return them, main() passes them on. */
#define RS_EXIT_OK	0  /* done */
#define RS_EXIT_PARTIAL 1  /* done, but some threads or modules could not be read */
#define RS_EXIT_FATAL	2  /* no permission, BPF load failed, target not found */
#define RS_EXIT_USAGE	64 /* bad command line (EX_USAGE) */

#define RS_THRESHOLD_DEFAULT_NS	       1000000000ull  /* --threshold */
#define RS_FREQ_DEFAULT		       99	      /* profile -F */
#define RS_FREQ_MAX		       100000	      /* profile -F upper bound */
#define RS_MAX_CPU_DEFAULT	       50	      /* profile --max-cpu: half of one CPU */
#define RS_MAX_CPU_MAX		       10000	      /* --max-cpu upper bound (100 CPUs) */
#define RS_PROFILE_DURATION_DEFAULT_NS 10000000000ull /* profile -d */
#define RS_SYMBOLIZE_BUDGET_DEFAULT_NS 30000000000ull /* --symbolize-budget */
#define RS_CAPTURES_DEFAULT	       2	      /* --captures */
#define RS_CAPTURES_MAX		       100	      /* --captures upper bound */
#define RS_WATCH_THRESHOLD_DEFAULT_NS  10000000000ull /* watch --threshold */

enum rs_cmd { RS_CMD_SNAPSHOT = 0, RS_CMD_PROFILE, RS_CMD_CHECK, RS_CMD_WATCH };
struct rs_opts {
	enum rs_cmd cmd;
	struct rs_target target;
	bool help, version;
	bool verbose; /* -v: say which mechanisms the capture chose, on stderr */
	/* snapshot */
	bool json;
	bool no_kernel;
	bool timings;		      /* --timings: each phase's wall and CPU time on stderr */
	uint32_t stack_bytes;	      /* user stack bytes copied per thread */
	uint64_t threshold_ns;	      /* report: threads blocked at least this long are flagged */
	enum rs_report_sort sort;     /* --sort rank|blocked (report.h) */
	enum rs_backend backend;      /* --backend auto|bpf|proc (capture.h) */
	uint64_t symbolize_budget_ns; /* --symbolize-budget: DWARF is read for this long */
	uint64_t compare_ns;	      /* --compare DUR: captures this far apart; 0: one snapshot */
	uint32_t captures;	      /* --captures N: how many (default 2) */
	/* snapshot and profile */
	uint64_t max_debug_size;     /* --max-debug-size: per debug file (stack.h) */
	uint64_t symbol_cache_bytes; /* --symbol-cache-size: the symbol cache's memory (stack.h) */
	char *host_root; /* --host-root: where the node's / is seen (target.h), or NULL */
	/* profile (parsed now, used by the profile subcommand) */
	bool on_cpu, off_cpu;
	uint32_t freq_hz;
	uint32_t max_cpu_pct; /* rsample's own CPU budget, percent of one CPU; 0: no limit */
	/* duration 0: until interrupted (continuous mode without -d); max_block 0: no limit */
	uint64_t duration_ns, min_block_ns, max_block_ns, interval_ns; /* watch: interval = tick */
	char *format;		/* "folded", "svg", "pprof" or "speedscope" (from --format or -o) */
	char *output, *out_dir; /* NULL: stdout / no continuous mode (watch: no files) */
	/* root frames per "process", per "thread", or "none"; default thread for speedscope, else
	 * none */
	char *group_by;
	/* --push URL (continuous mode: each interval to Pyroscope), --push-app, --push-queue */
	char *push_url, *push_app;
	uint32_t push_queue; /* 0: RS_PUSH_QUEUE_DEFAULT */
};

/*
 * Parses argv into *o (zeroed first, defaults filled in). Returns 0, or
 * -EINVAL with a one-line reason in err (no "rsample: " prefix, no newline),
 * or -ENOMEM. Strings and arrays in *o are owned by *o (rs_opts_free());
 * on failure *o owns nothing. Uses getopt_long (resets optind and opterr
 * itself), so it may be called repeatedly, but not from two threads at once.
 */
int rs_opts_parse(int argc, char **argv, struct rs_opts *o, char *err, size_t errlen);
/* Frees what *o owns and zeroes it. Accepts NULL. */
void rs_opts_free(struct rs_opts *o);
/* Prints --help (synopsis, options, targets, durations, exit codes) to f. */
void rs_opts_usage(FILE *f);
/*
 * A usage error, as one line on stderr: err (from rs_opts_parse(), which
 * never points at --help itself) and where to look, said once.
 */
void rs_opts_usage_error(const char *err);

#endif
