/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_OPTS_H
#define RS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rs_cmd { RS_CMD_SNAPSHOT = 0, RS_CMD_PROFILE };
enum rs_target_kind { RS_TARGET_NONE = 0, RS_TARGET_PID, RS_TARGET_TID, RS_TARGET_CGROUP };

struct rs_target {
	enum rs_target_kind kind;
	uint32_t *pids;		/* RS_TARGET_PID: n_pids entries; RS_TARGET_TID: one entry */
	size_t n_pids;
	char *cgroup_spec;	/* RS_TARGET_CGROUP */
};

struct rs_opts {
	enum rs_cmd cmd;
	struct rs_target target;
	bool help, version;
	/* snapshot */
	bool json;
	bool no_kernel;
	uint32_t stack_bytes;	/* user stack bytes copied per thread */
	uint64_t threshold_ns;	/* report: threads blocked at least this long are flagged */
	/* profile (parsed now, used by the profile subcommand) */
	bool on_cpu, off_cpu;
	uint32_t freq_hz;
	uint64_t duration_ns, min_block_ns, max_block_ns, interval_ns;
	char *format, *output, *out_dir;
};

/*
 * Parses argv into *o (zeroed first, defaults filled in). Returns 0, or
 * -EINVAL with a one-line reason in err. Strings in *o are owned by *o.
 */
int rs_opts_parse(int argc, char **argv, struct rs_opts *o, char *err, size_t errlen);
void rs_opts_free(struct rs_opts *o);
/* Prints --help to f. */
void rs_opts_usage(FILE *f);

/* "500ms", "10s", "2m", "1h", "250us", "100ns", plain "3" = seconds, "1.5s". 0 or -EINVAL. */
int rs_parse_duration(const char *s, uint64_t *ns);
/* Formats ns for humans: "431s", "2.0s", "15ms", "3m12s". */
void rs_format_duration(uint64_t ns, char *buf, size_t len);

#endif
