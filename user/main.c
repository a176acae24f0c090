// SPDX-License-Identifier: GPL-2.0
/*
 * rsample: what every thread of a process or pod is doing right now, without
 * stopping it. main() only wires the modules together and maps errors to the
 * documented exit codes: 0 ok, 1 partial, 2 fatal, 64 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot/snapshot.h"
#include "capture/capture.h"
#include "stack/stack.h"
#include "cli/cli.h"
#include "cmd/cmd.h"
#include "report/report.h"
#include "target/target.h"

/* Modules write bare messages; some already carry the program name. */
static void die_msg(const char *msg)
{
	if (!strncmp(msg, "rsample: ", 9))
		msg += 9;
	fprintf(stderr, "rsample: %s\n", msg);
}

static bool report_losses(const struct rs_capture *cap)
{
	bool lost = false;

	if (cap->counters[RS_CNT_RINGBUF_FULL]) {
		fprintf(stderr,
			"rsample: %llu threads were not captured: the ring buffer was full (lower --stack-bytes)\n",
			(unsigned long long)cap->counters[RS_CNT_RINGBUF_FULL]);
		lost = true;
	}
	if (cap->counters[RS_CNT_USTACK_FAIL]) {
		fprintf(stderr,
			"rsample: the user stack of %llu threads could not be copied: their user frames are missing\n",
			(unsigned long long)cap->counters[RS_CNT_USTACK_FAIL]);
		lost = true;
	}
	if (cap->oncpu_missed)
		fprintf(stderr,
			"rsample: %zu threads kept running and were not caught by a perf sample: their user stacks may be stale\n",
			cap->oncpu_missed);
	return lost;
}

static void report_process_errors(const struct rs_snapshot *s)
{
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct rs_process *p = &s->procs[i];
		const char *e = p->error;

		while (e && *e) {
			size_t len = strcspn(e, "\n");

			fprintf(stderr, "rsample: pid %u: %.*s\n", p->pid, (int)len, e);
			e += len + (e[len] == '\n');
		}
	}
}

static int run_snapshot(const struct rs_opts *o)
{
	struct rs_capture_cfg cfg = { 0 };
	struct rs_assemble_cfg acfg = { .proc_root = "/proc", .kernel = !o->no_kernel };
	struct rs_report_opts ropts = { .no_kernel = o->no_kernel, .threshold_ns = o->threshold_ns };
	struct rs_snapshot snap = { 0 };
	struct rs_resolved tgt = { 0 };
	struct rs_capture *cap = NULL;
	struct rs_ksyms *ksyms = NULL;
	struct rs_symcache *cache = NULL;
	char err[2048] = "";
	int ret = RS_EXIT_FATAL, e;

	e = rs_target_resolve(&o->target, "/proc", NULL, &tgt, err, sizeof(err));
	if (e) {
		die_msg(err);
		goto cleanup;
	}

	cfg.target = &tgt;
	cfg.stack_bytes = o->stack_bytes;
	cfg.kernel_stacks = !o->no_kernel;
	cfg.oncpu_wait_ms = 100;
	cfg.expect_threads = tgt.expect_threads;

	e = rs_capture_run(&cfg, &cap, err, sizeof(err));
	if (e) {
		die_msg(err);
		goto cleanup;
	}
	if (!cap->n && !tgt.cgroup.id) {
		fprintf(stderr,
			"rsample: %s was not captured: it exited, or the kernel hides it from this PID namespace\n",
			tgt.desc);
		goto cleanup;
	}
	if (!cap->n)
		fprintf(stderr, "rsample: %s has no processes right now\n", tgt.desc);

	if (!o->no_kernel) {
		e = rs_ksyms_load("/proc/kallsyms", &ksyms);
		if (e)
			fprintf(stderr,
				"rsample: cannot read kernel symbols from '/proc/kallsyms': %s: kernel frames are shown as addresses (run as root)\n",
				e == -EPERM ? "addresses are hidden" : strerror(-e));
	}
	if (rs_symcache_new(&cache))
		cache = NULL;

	snap.target = tgt.desc;
	tgt.desc = NULL;
	snap.taken_at_unix_ns = cap->taken_at_unix_ns;
	snap.duration_ns = cap->wall_ns;
	memcpy(snap.counters, cap->counters, sizeof(snap.counters));
	acfg.ksyms = ksyms;
	acfg.cache = cache;
	e = rs_assemble(cap, &acfg, &snap);
	if (e) {
		fprintf(stderr, "rsample: cannot build the report: %s\n", strerror(-e));
		goto cleanup;
	}
	if (report_losses(cap) || (!o->no_kernel && !ksyms))
		snap.partial = true;
	report_process_errors(&snap);

	e = o->json ? rs_report_json(stdout, &snap, &ropts) : rs_report_text(stdout, &snap, &ropts);
	if (!e && fflush(stdout))
		e = -errno;
	if (e) {
		fprintf(stderr, "rsample: cannot write the report to stdout: %s\n", strerror(-e));
		goto cleanup;
	}
	ret = snap.partial ? RS_EXIT_PARTIAL : RS_EXIT_OK;
cleanup:
	rs_snapshot_clear(&snap);
	rs_capture_free(cap);
	rs_symcache_free(cache);
	rs_ksyms_free(ksyms);
	rs_resolved_clear(&tgt);
	return ret;
}

int main(int argc, char **argv)
{
	struct rs_opts o;
	char err[512] = "";
	int ret;

	if (rs_opts_parse(argc, argv, &o, err, sizeof(err))) {
		die_msg(err);
		fprintf(stderr, "Try 'rsample --help' for more information.\n");
		return RS_EXIT_USAGE;
	}
	if (o.help) {
		rs_opts_usage(stdout);
		ret = RS_EXIT_OK;
	} else if (o.version) {
		printf("rsample %s\n", RS_VERSION);
		ret = RS_EXIT_OK;
	} else if (o.cmd == RS_CMD_PROFILE) {
		ret = rs_profile_main(&o);
	} else {
		ret = run_snapshot(&o);
	}
	rs_opts_free(&o);
	return ret;
}
