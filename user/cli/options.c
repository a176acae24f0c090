// SPDX-License-Identifier: GPL-2.0
/*
 * The command line (README, rsample --help): parsed into struct rs_opts, no
 * globals of our own. Over 500 lines on purpose: every option's parsing and
 * every per-command check sit with the table of options they belong to, so
 * a new option is one place to edit; the help text is help.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/types.h>
#include "rsample.h"
#include "cli/cli.h"
#include "lib/lib.h"
#include "stack/stack.h"
#include "push/push.h"

#define RS_STACK_BYTES_MIN 4096u

enum {
	OPT_JSON = 256,
	OPT_NO_KERNEL,
	OPT_STACK_BYTES,
	OPT_THRESHOLD,
	OPT_ON_CPU,
	OPT_OFF_CPU,
	OPT_MIN_BLOCK,
	OPT_MAX_BLOCK,
	OPT_FORMAT,
	OPT_INTERVAL,
	OPT_OUT_DIR,
	OPT_GROUP_BY,
	OPT_MAX_CPU,
	OPT_CHECK,
	OPT_BACKEND,
	OPT_MAX_DEBUG_SIZE,
	OPT_SYMBOL_CACHE_SIZE,
	OPT_SYMBOLIZE_BUDGET,
	OPT_SORT,
	OPT_PUSH,
	OPT_PUSH_APP,
	OPT_PUSH_QUEUE,
	OPT_HOST_ROOT,
	OPT_COMPARE,
	OPT_CAPTURES,
	OPT_TIMINGS,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "tid", required_argument, NULL, 't' },
	{ "cgroup", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-kernel", no_argument, NULL, OPT_NO_KERNEL },
	{ "stack-bytes", required_argument, NULL, OPT_STACK_BYTES },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "on-cpu", no_argument, NULL, OPT_ON_CPU },
	{ "off-cpu", no_argument, NULL, OPT_OFF_CPU },
	{ "freq", required_argument, NULL, 'F' },
	{ "duration", required_argument, NULL, 'd' },
	{ "min-block", required_argument, NULL, OPT_MIN_BLOCK },
	{ "max-block", required_argument, NULL, OPT_MAX_BLOCK },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "group-by", required_argument, NULL, OPT_GROUP_BY },
	{ "max-cpu", required_argument, NULL, OPT_MAX_CPU },
	{ "verbose", no_argument, NULL, 'v' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "max-debug-size", required_argument, NULL, OPT_MAX_DEBUG_SIZE },
	{ "symbol-cache-size", required_argument, NULL, OPT_SYMBOL_CACHE_SIZE },
	{ "symbolize-budget", required_argument, NULL, OPT_SYMBOLIZE_BUDGET },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "push", required_argument, NULL, OPT_PUSH },
	{ "push-app", required_argument, NULL, OPT_PUSH_APP },
	{ "push-queue", required_argument, NULL, OPT_PUSH_QUEUE },
	{ "host-root", required_argument, NULL, OPT_HOST_ROOT },
	{ "compare", required_argument, NULL, OPT_COMPARE },
	{ "captures", required_argument, NULL, OPT_CAPTURES },
	{ "timings", no_argument, NULL, OPT_TIMINGS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* '+': stop at the first non-option (reported as unexpected); ':': we word the errors. */
static const char short_opts[] = "+:p:t:c:F:d:o:vhV";

static const char *const formats[] = { "folded", "svg", "pprof", "speedscope" };
static const char *const groupings[] = { "none", "process", "thread" };
static const char *const sorts[] = { [RS_SORT_RANK] = "rank", [RS_SORT_BLOCKED] = "blocked" };
static const char *const backends[] = {
	[RS_BACKEND_AUTO] = "auto", [RS_BACKEND_BPF] = "bpf", [RS_BACKEND_PROC] = "proc"
};

/* Output file suffix -> format; longest suffixes first. */
static const struct {
	const char *suffix;
	const char *format;
} format_suffixes[] = {
	{ ".speedscope.json", "speedscope" },
	{ ".pb.gz", "pprof" },
	{ ".folded", "folded" },
	{ ".pprof", "pprof" },
	{ ".json", "speedscope" },
	{ ".svg", "svg" },
	{ ".txt", "folded" },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Decimal unsigned integer in [min, max], nothing else (no sign, no spaces). */
static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -EINVAL;
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool has_pid(const struct rs_target *t, uint32_t pid)
{
	for (size_t i = 0; i < t->n_pids; i++)
		if (t->pids[i] == pid)
			return true;
	return false;
}

/* Appends the PIDs of "PID[,PID...]" to t->pids, dropping repeats. */
static int parse_pid_list(const char *arg, struct rs_target *t, char *err, size_t errlen)
{
	char *copy, *tok, *save = NULL;
	uint32_t *v;
	size_t cap;
	int ret = 0;

	if (!*arg || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		return fail(err, errlen,
			    "invalid --pid '%s': expected PID[,PID...], e.g. 4242,4243", arg);
	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	cap = t->n_pids + 1;
	for (const char *c = arg; *c; c++)
		cap += *c == ',';
	v = realloc(t->pids, cap * sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto cleanup;
	}
	t->pids = v;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t pid;

		if (parse_uint(tok, 1, INT_MAX, &pid)) {
			ret = fail(
			    err, errlen,
			    "invalid pid '%s' in --pid '%s': expected PID[,PID...] with each PID a number from 1 to %d",
			    tok, arg, INT_MAX);
			goto cleanup;
		}
		if (!has_pid(t, (uint32_t)pid))
			t->pids[t->n_pids++] = (uint32_t)pid;
	}
cleanup:
	free(copy);
	return ret;
}

/* "65536", "64k", "64K": bytes of user stack to copy per thread. */
static int parse_stack_bytes(const char *s, uint32_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (rs_parse_size(s, &v) || v < RS_STACK_BYTES_MIN || v > RS_USTACK_MAX)
		return fail(
		    err, errlen,
		    "invalid --stack-bytes '%s': expected bytes from %u to %u, optionally with suffix k (e.g. 64k)",
		    s, RS_STACK_BYTES_MIN, RS_USTACK_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int parse_dur_opt(const char *name, const char *s, bool allow_zero, uint64_t *out, char *err,
			 size_t errlen)
{
	uint64_t ns;

	if (rs_parse_duration(s, &ns) || (!allow_zero && !ns))
		return fail(
		    err, errlen,
		    "invalid %s '%s': expected a %sduration such as 500ms, 10s, 2m, 1h or 1.5s",
		    name, s, allow_zero ? "" : "non-zero ");
	*out = ns;
	return 0;
}

static const char *format_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(s, formats[i]))
			return formats[i];
	return NULL;
}

static const char *format_from_path(const char *path)
{
	size_t l = strlen(path);

	for (size_t i = 0; i < sizeof(format_suffixes) / sizeof(format_suffixes[0]); i++) {
		size_t sl = strlen(format_suffixes[i].suffix);

		if (l > sl && !strcmp(path + l - sl, format_suffixes[i].suffix))
			return format_suffixes[i].format;
	}
	return NULL;
}

static int set_string(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* The spellings of the option getopt just returned, for messages: "-F/--freq", "--json". */
static const char *opt_name(int c, char *buf, size_t len)
{
	for (const struct option *lo = long_opts; lo->name; lo++) {
		if (lo->val != c)
			continue;
		if (c < 256)
			snprintf(buf, len, "-%c/--%s", c, lo->name);
		else
			snprintf(buf, len, "--%s", lo->name);
		return buf;
	}
	snprintf(buf, len, "-%c", c);
	return buf;
}

static bool is_profile_only(int c)
{
	switch (c) {
	case OPT_ON_CPU:
	case OPT_OFF_CPU:
	case 'F':
	case 'd':
	case OPT_MIN_BLOCK:
	case OPT_MAX_BLOCK:
	case OPT_FORMAT:
	case 'o':
	case OPT_INTERVAL:
	case OPT_OUT_DIR:
	case OPT_PUSH:
	case OPT_PUSH_APP:
	case OPT_PUSH_QUEUE:
	case OPT_GROUP_BY:
	case OPT_MAX_CPU:
		return true;
	}
	return false;
}

/* Options 'rsample watch' takes besides the target, -v, -h and -V. */
static bool is_watch_opt(int c)
{
	switch (c) {
	case OPT_JSON:
	case OPT_THRESHOLD:
	case OPT_OUT_DIR:
	case OPT_INTERVAL:
	case OPT_NO_KERNEL:
	case OPT_STACK_BYTES:
	case OPT_MAX_DEBUG_SIZE:
	case OPT_SYMBOLIZE_BUDGET:
	case OPT_SORT:
		return true;
	}
	return false;
}

static bool is_snapshot_only(int c)
{
	return c == OPT_JSON || c == OPT_THRESHOLD || c == OPT_BACKEND ||
	       c == OPT_SYMBOLIZE_BUDGET || c == OPT_SORT || c == OPT_COMPARE ||
	       c == OPT_CAPTURES || c == OPT_TIMINGS;
}

static int set_target(struct rs_target *t, enum rs_target_kind kind, const char *opt, char *err,
		      size_t errlen)
{
	if (t->kind != RS_TARGET_NONE && (t->kind != kind || kind != RS_TARGET_PID))
		return fail(
		    err, errlen,
		    "more than one target at '%s': give exactly one of --pid, --tid or --cgroup",
		    opt);
	t->kind = kind;
	return 0;
}

/* Whether path is a regular file or names nothing yet (the file -o would create). */
static bool is_regular_or_new(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? errno == ENOENT : S_ISREG(st.st_mode);
}

/* One option from getopt_long; its value (if any) in arg. */
static int apply_opt(int c, const char *arg, struct rs_opts *o, char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case 'p':
		if (set_target(&o->target, RS_TARGET_PID, "--pid", err, errlen))
			return -EINVAL;
		return parse_pid_list(arg, &o->target, err, errlen);
	case 't':
		if (set_target(&o->target, RS_TARGET_TID, "--tid", err, errlen))
			return -EINVAL;
		if (parse_uint(arg, 1, INT_MAX, &v))
			return fail(
			    err, errlen,
			    "invalid --tid '%s': expected one thread id, a number from 1 to %d",
			    arg, INT_MAX);
		o->target.pids = malloc(sizeof(*o->target.pids));
		if (!o->target.pids)
			return -ENOMEM;
		o->target.pids[0] = (uint32_t)v;
		o->target.n_pids = 1;
		return 0;
	case 'c':
		if (set_target(&o->target, RS_TARGET_CGROUP, "--cgroup", err, errlen))
			return -EINVAL;
		if (!*arg)
			return fail(
			    err, errlen,
			    "empty --cgroup: expected a cgroup path, pod UID, [namespace/]pod name or container id");
		return set_string(&o->target.cgroup_spec, arg);
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_NO_KERNEL:
		o->no_kernel = true;
		return 0;
	case OPT_TIMINGS:
		o->timings = true;
		return 0;
	case OPT_STACK_BYTES:
		return parse_stack_bytes(arg, &o->stack_bytes, err, errlen);
	case OPT_SYMBOLIZE_BUDGET:
		return parse_dur_opt("--symbolize-budget", arg, false, &o->symbolize_budget_ns, err,
				     errlen);
	case OPT_MAX_DEBUG_SIZE:
		if (rs_parse_size(arg, &o->max_debug_size) || !o->max_debug_size)
			return fail(
			    err, errlen,
			    "invalid --max-debug-size '%s': expected a size in bytes, optionally with suffix k, M, G or T (e.g. 4G)",
			    arg);
		return 0;
	case OPT_SYMBOL_CACHE_SIZE:
		if (rs_parse_size(arg, &o->symbol_cache_bytes) ||
		    o->symbol_cache_bytes < (1u << 20) || o->symbol_cache_bytes > SIZE_MAX)
			return fail(
			    err, errlen,
			    "invalid --symbol-cache-size '%s': expected a size of at least 1M, optionally with suffix k, M, G or T (e.g. 256M)",
			    arg);
		return 0;
	case OPT_THRESHOLD:
		return parse_dur_opt("--threshold", arg, true, &o->threshold_ns, err, errlen);
	case OPT_COMPARE:
		return parse_dur_opt("--compare", arg, false, &o->compare_ns, err, errlen);
	case OPT_CAPTURES:
		if (parse_uint(arg, 2, RS_CAPTURES_MAX, &v))
			return fail(
			    err, errlen,
			    "invalid --captures '%s': expected how many snapshots --compare takes, a number from 2 to %d",
			    arg, RS_CAPTURES_MAX);
		o->captures = (uint32_t)v;
		return 0;
	case OPT_ON_CPU:
		o->on_cpu = true;
		return 0;
	case OPT_OFF_CPU:
		o->off_cpu = true;
		return 0;
	case 'F':
		if (parse_uint(arg, 1, RS_FREQ_MAX, &v))
			return fail(
			    err, errlen,
			    "invalid -F '%s': expected samples per second, a number from 1 to %d",
			    arg, RS_FREQ_MAX);
		o->freq_hz = (uint32_t)v;
		return 0;
	case 'd':
		return parse_dur_opt("-d", arg, false, &o->duration_ns, err, errlen);
	case OPT_MAX_CPU:
		if (parse_uint(arg, 0, RS_MAX_CPU_MAX, &v))
			return fail(
			    err, errlen,
			    "invalid --max-cpu '%s': expected percent of one CPU, a number from 0 (no limit) to %d",
			    arg, RS_MAX_CPU_MAX);
		o->max_cpu_pct = (uint32_t)v;
		return 0;
	case OPT_MIN_BLOCK:
		return parse_dur_opt("--min-block", arg, true, &o->min_block_ns, err, errlen);
	case OPT_MAX_BLOCK:
		return parse_dur_opt("--max-block", arg, false, &o->max_block_ns, err, errlen);
	case OPT_FORMAT:
		if (!format_from_name(arg))
			return fail(
			    err, errlen,
			    "invalid --format '%s': expected folded, svg, pprof or speedscope",
			    arg);
		return set_string(&o->format, format_from_name(arg));
	case 'o':
		if (!*arg)
			return fail(err, errlen, "empty -o: expected a file name");
		return set_string(&o->output, arg);
	case OPT_INTERVAL:
		return parse_dur_opt("--interval", arg, false, &o->interval_ns, err, errlen);
	case OPT_OUT_DIR:
		if (!*arg)
			return fail(err, errlen, "empty --out-dir: expected a directory");
		return set_string(&o->out_dir, arg);
	case OPT_PUSH:
		if (!*arg)
			return fail(err, errlen,
				    "empty --push: expected the Pyroscope server's URL");
		return set_string(&o->push_url, arg);
	case OPT_PUSH_APP:
		if (!*arg || strpbrk(arg, "{}=,\" \t"))
			return fail(
			    err, errlen,
			    "invalid --push-app '%s': expected a name without spaces, braces, '=' or ','",
			    arg);
		return set_string(&o->push_app, arg);
	case OPT_PUSH_QUEUE:
		if (parse_uint(arg, 1, RS_PUSH_QUEUE_MAX, &v))
			return fail(err, errlen,
				    "invalid --push-queue '%s': expected profiles, 1 to %d", arg,
				    RS_PUSH_QUEUE_MAX);
		o->push_queue = (uint32_t)v;
		return 0;
	case OPT_HOST_ROOT:
		if (arg[0] != '/')
			return fail(
			    err, errlen,
			    "invalid --host-root '%s': expected the absolute path where the node's / is mounted (kubectl debug node: /host)",
			    arg);
		return set_string(&o->host_root, arg);
	case OPT_GROUP_BY:
		for (size_t i = 0; i < sizeof(groupings) / sizeof(groupings[0]); i++)
			if (!strcmp(arg, groupings[i]))
				return set_string(&o->group_by, arg);
		return fail(err, errlen,
			    "invalid --group-by '%s': expected thread, process or none", arg);
	case OPT_BACKEND:
		for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
			if (!strcmp(arg, backends[i])) {
				o->backend = (enum rs_backend)i;
				return 0;
			}
		}
		return fail(err, errlen, "invalid --backend '%s': expected auto, bpf or proc", arg);
	case OPT_SORT:
		for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
			if (!strcmp(arg, sorts[i])) {
				o->sort = (enum rs_report_sort)i;
				return 0;
			}
		}
		return fail(
		    err, errlen,
		    "invalid --sort '%s': expected rank (most likely the hang first) or blocked (deadlock, D, longest blocked first)",
		    arg);
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_CHECK:
		o->cmd = RS_CMD_CHECK;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	case 'V':
		o->version = true;
		return 0;
	}
	return fail(err, errlen, "unhandled option %d", c);
}

/* Cross-option rules, checked once everything is parsed. */
static int check_profile(struct rs_opts *o, bool duration_set, char *err, size_t errlen)
{
	char a[32], b[32];
	const char *fmt;

	if (!o->on_cpu && !o->off_cpu)
		o->on_cpu = true;
	if ((o->min_block_ns || o->max_block_ns) && !o->off_cpu)
		return fail(err, errlen, "--min-block and --max-block need --off-cpu");
	if (o->max_block_ns && o->max_block_ns < o->min_block_ns) {
		rs_format_duration(o->max_block_ns, a, sizeof(a));
		rs_format_duration(o->min_block_ns, b, sizeof(b));
		return fail(err, errlen, "--max-block %s is shorter than --min-block %s", a, b);
	}
	if ((o->push_app || o->push_queue) && !o->push_url)
		return fail(err, errlen, "--push-app and --push-queue need --push URL");
	if (o->push_url && !o->interval_ns)
		return fail(
		    err, errlen,
		    "--push needs --interval DUR: continuous mode sends one profile per interval");
	if (o->push_url && o->output)
		return fail(
		    err, errlen,
		    "-o '%s' and --push exclude each other: continuous mode sends each interval (add --out-dir DIR to keep files too)",
		    o->output);
	if (!o->interval_ns != !(o->out_dir || o->push_url))
		return fail(
		    err, errlen,
		    "continuous mode needs --interval DUR and --out-dir DIR, --push URL or both");
	if (o->out_dir && o->output)
		return fail(
		    err, errlen,
		    "-o '%s' and --out-dir '%s' exclude each other: continuous mode writes one file per interval into the directory",
		    o->output, o->out_dir);
	if (o->interval_ns) {
		if (!duration_set)
			o->duration_ns = 0; /* until interrupted */
		else if (o->interval_ns > o->duration_ns) {
			rs_format_duration(o->interval_ns, a, sizeof(a));
			rs_format_duration(o->duration_ns, b, sizeof(b));
			return fail(err, errlen, "--interval %s is longer than -d %s", a, b);
		}
	}
	if (!o->format) {
		fmt = "folded";
		if (o->output) {
			fmt = format_from_path(o->output);
			/* A device, FIFO, socket, /dev/stdout: folded, as on stdout (a directory is
			 * refused by the profile's output check, before sampling). */
			if (!fmt && !is_regular_or_new(o->output))
				fmt = "folded";
			if (!fmt)
				return fail(
				    err, errlen,
				    "cannot tell the format of -o '%s' from its suffix: add --format folded|svg|pprof|speedscope, or name it .folded, .txt, .svg, .pb.gz, .pprof or .json",
				    o->output);
		}
		if (set_string(&o->format, fmt))
			return -ENOMEM;
	}
	if (!o->group_by &&
	    set_string(&o->group_by, !strcmp(o->format, "speedscope") ? "thread" : "none"))
		return -ENOMEM;
	return 0;
}

/* watch: a threshold above 0 (default 10s); the tick a quarter of it, 50 ms to 1 s. */
static int check_watch(struct rs_opts *o, bool threshold_set, char *err, size_t errlen)
{
	if (!threshold_set)
		o->threshold_ns = RS_WATCH_THRESHOLD_DEFAULT_NS;
	if (!o->threshold_ns)
		return fail(
		    err, errlen,
		    "invalid --threshold 0 for 'rsample watch': give how long a thread may stay blocked, e.g. 10s");
	if (!o->interval_ns) {
		o->interval_ns = o->threshold_ns / 4;
		if (o->interval_ns < 50000000)
			o->interval_ns = 50000000;
		if (o->interval_ns > 1000000000)
			o->interval_ns = 1000000000;
	}
	return 0;
}

static int parse(int argc, char **argv, struct rs_opts *o, char *err, size_t errlen)
{
	char name[32];
	bool duration_set = false, threshold_set = false;
	int c, first = 1, ret;

	if (argc > 1 && !strcmp(argv[1], "snapshot")) {
		first = 2;
	} else if (argc > 1 && !strcmp(argv[1], "profile")) {
		o->cmd = RS_CMD_PROFILE;
		first = 2;
	} else if (argc > 1 && !strcmp(argv[1], "check")) {
		o->cmd = RS_CMD_CHECK;
		first = 2;
	} else if (argc > 1 && !strcmp(argv[1], "watch")) {
		o->cmd = RS_CMD_WATCH;
		first = 2;
	} else if (argc > 1 && argv[1][0] != '-') {
		return fail(err, errlen,
			    "unknown command '%s': expected snapshot, profile, watch or check",
			    argv[1]);
	}
	/* getopt_long skips argv[0]: hand it the words after the command name */
	argc -= first - 1;
	argv += first - 1;
	optind = 0; /* glibc: a full reset, also of the scan position inside "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		const char *word = argv[optind - 1];

		if (c == '?') {
			const char *eq = strchr(word, '=');

			if (strncmp(word, "--", 2))
				return fail(err, errlen, "unknown option '-%c'", optopt);
			if (optopt && eq)
				return fail(err, errlen, "option '%.*s' takes no value",
					    (int)(eq - word), word);
			return fail(err, errlen, "unknown or ambiguous option '%s'", word);
		}
		if (c == ':')
			return fail(err, errlen, "option '%s' needs a value",
				    word[0] == '-' ? word : opt_name(optopt, name, sizeof(name)));
		if (c == OPT_CHECK && first == 2 && o->cmd != RS_CMD_CHECK)
			return fail(err, errlen,
				    "option '--check' is a command of its own: 'rsample check'");
		if (o->cmd == RS_CMD_CHECK && c != 'v' && c != 'h' && c != 'V' && c != OPT_CHECK)
			return fail(err, errlen, "option '%s' does not apply to 'rsample check'",
				    opt_name(c, name, sizeof(name)));
		if (o->cmd == RS_CMD_WATCH && !is_watch_opt(c) && c != 'v' && c != 'h' &&
		    c != 'V' && c != 'p' && c != 't' && c != 'c')
			return fail(err, errlen, "option '%s' does not apply to 'rsample watch'",
				    opt_name(c, name, sizeof(name)));
		if (o->cmd == RS_CMD_WATCH && c == OPT_THRESHOLD)
			threshold_set = true;
		if (o->cmd == RS_CMD_SNAPSHOT && is_profile_only(c))
			return fail(err, errlen, "option '%s' applies only to 'rsample profile'",
				    opt_name(c, name, sizeof(name)));
		if (o->cmd == RS_CMD_PROFILE && is_snapshot_only(c))
			return fail(err, errlen, "option '%s' applies only to 'rsample snapshot'",
				    opt_name(c, name, sizeof(name)));
		duration_set |= c == 'd';
		ret = apply_opt(c, optarg, o, err, errlen);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "snapshot") || !strcmp(argv[optind], "profile") ||
		    !strcmp(argv[optind], "check") || !strcmp(argv[optind], "watch"))
			return fail(
			    err, errlen,
			    "unexpected argument '%s': the command comes first, as in 'rsample %s --pid PID'",
			    argv[optind], argv[optind]);
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	}
	if (o->cmd == RS_CMD_CHECK && o->target.kind != RS_TARGET_NONE)
		return fail(
		    err, errlen,
		    "'rsample check' takes no target: it checks this kernel, not a process");
	if (o->help || o->version || o->cmd == RS_CMD_CHECK)
		return 0;
	if (o->target.kind == RS_TARGET_NONE)
		return fail(
		    err, errlen,
		    "no target: give one of --pid PID[,PID...], --tid TID or --cgroup SPEC");
	if (o->cmd == RS_CMD_PROFILE)
		return check_profile(o, duration_set, err, errlen);
	if (o->captures && !o->compare_ns)
		return fail(err, errlen,
			    "--captures needs --compare DUR: the time between the snapshots");
	if (!o->captures)
		o->captures = RS_CAPTURES_DEFAULT;
	if (o->cmd == RS_CMD_WATCH)
		return check_watch(o, threshold_set, err, errlen);
	return 0;
}

int rs_opts_parse(int argc, char **argv, struct rs_opts *o, char *err, size_t errlen)
{
	int ret;

	memset(o, 0, sizeof(*o));
	if (err && errlen)
		err[0] = '\0';
	o->cmd = RS_CMD_SNAPSHOT;
	o->stack_bytes = RS_USTACK_DEFAULT;
	o->threshold_ns = RS_THRESHOLD_DEFAULT_NS;
	o->freq_hz = RS_FREQ_DEFAULT;
	o->max_cpu_pct = RS_MAX_CPU_DEFAULT;
	o->duration_ns = RS_PROFILE_DURATION_DEFAULT_NS;
	o->max_debug_size = RS_MAX_DEBUG_SIZE_DEFAULT;
	o->symbol_cache_bytes = RS_SYMCACHE_BYTES_DEFAULT;
	o->symbolize_budget_ns = RS_SYMBOLIZE_BUDGET_DEFAULT_NS;
	ret = parse(argc, argv, o, err, errlen);
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory while parsing the command line");
	if (ret)
		rs_opts_free(o);
	return ret;
}

void rs_opts_free(struct rs_opts *o)
{
	if (!o)
		return;
	free(o->target.pids);
	free(o->target.cgroup_spec);
	free(o->format);
	free(o->output);
	free(o->out_dir);
	free(o->group_by);
	free(o->push_url);
	free(o->push_app);
	free(o->host_root);
	memset(o, 0, sizeof(*o));
}
