// SPDX-License-Identifier: GPL-2.0
/*
 * 'rsample [snapshot]' (cmd.h): target, capture, records to model, report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "lib/lib.h"
#include "report/report.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"
#include "target/target.h"

static bool report_losses(const struct rs_capture *cap)
{
	bool lost = false;

	if (cap->counters[RS_CNT_RINGBUF_FULL]) {
		rs_msg(
		    "%llu threads were not captured: the ring buffer was full (lower --stack-bytes)",
		    (unsigned long long)cap->counters[RS_CNT_RINGBUF_FULL]);
		lost = true;
	}
	if (cap->counters[RS_CNT_USTACK_FAIL]) {
		rs_msg(
		    "the user stack of %llu threads could not be copied: their user frames are missing",
		    (unsigned long long)cap->counters[RS_CNT_USTACK_FAIL]);
		lost = true;
	}
	if (cap->oncpu_missed)
		rs_msg(
		    "%zu threads kept running and were not caught by a perf sample: their user stacks may be stale",
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

			rs_msg("pid %u: %.*s", p->pid, (int)len, e);
			e += len + (e[len] == '\n');
		}
	}
}

/* The capture's own non-fatal notes, one line each. */
static void report_notes(const struct rs_capture *cap)
{
	const char *e = cap->notes;

	while (*e) {
		size_t len = strcspn(e, "\n");

		if (len)
			rs_msg("%.*s", (int)len, e);
		e += len + (e[len] == '\n');
	}
}

int rs_cmd_snapshot(const struct rs_opts *o)
{
	struct rs_capture_cfg cfg = { 0 };
	struct rs_assemble_cfg acfg = { .proc_root = "/proc", .kernel = !o->no_kernel };
	struct rs_report_opts ropts = { .no_kernel = o->no_kernel,
					.threshold_ns = o->threshold_ns };
	struct rs_snapshot snap = { 0 };
	struct rs_resolved tgt = { 0 };
	struct rs_capture *cap = NULL;
	struct rs_ksyms *ksyms = NULL;
	struct rs_symcache *cache = NULL;
	enum rs_backend used = RS_BACKEND_BPF;
	char err[2048] = "", notice[1200] = "";
	int ret = RS_EXIT_FATAL, e;

	e = rs_target_resolve(&o->target, "/proc", NULL, &tgt, err, sizeof(err));
	if (e) {
		rs_msg("%s", err);
		goto cleanup;
	}

	cfg.target = &tgt;
	cfg.stack_bytes = o->stack_bytes;
	cfg.kernel_stacks = !o->no_kernel;
	cfg.oncpu_wait_ms = 100;
	cfg.expect_threads = tgt.expect_threads;

	e = rs_capture_select(o->backend, &cfg, &cap, &used, notice, sizeof(notice), err,
			      sizeof(err));
	if (e) {
		rs_msg("%s", err);
		goto cleanup;
	}
	if (notice[0])
		rs_msg("%s", notice);
	report_notes(cap);
	if (!cap->n && !tgt.cgroup.id) {
		rs_msg(
		    "%s was not captured: it exited, or the kernel hides it from this PID namespace",
		    tgt.desc);
		goto cleanup;
	}
	if (!cap->n)
		rs_msg("%s has no processes right now", tgt.desc);

	if (!o->no_kernel) {
		e = rs_ksyms_load("/proc/kallsyms", &ksyms);
		if (e && used != RS_BACKEND_PROC) { /* the /proc capture said so in its notes */
			char why[256];

			rs_ksyms_explain("/proc/kallsyms", e, why, sizeof(why));
			rs_msg("%s", why);
		}
	}
	if (rs_symcache_new(&cache))
		cache = NULL;

	snap.target = tgt.desc;
	tgt.desc = NULL;
	snap.taken_at_unix_ns = cap->taken_at_unix_ns;
	snap.duration_ns = cap->wall_ns;
	snap.backend = used == RS_BACKEND_PROC ? "proc" : "bpf";
	memcpy(snap.counters, cap->counters, sizeof(snap.counters));
	acfg.ksyms = ksyms;
	acfg.cache = cache;
	acfg.max_debug_size = o->max_debug_size;
	acfg.deadline_ns = rs_mono_ns() + o->symbolize_budget_ns;
	e = rs_assemble(cap, &acfg, &snap);
	if (e) {
		rs_msg("cannot build the report: %s", strerror(-e));
		goto cleanup;
	}
	if (report_losses(cap) || cap->partial || (!o->no_kernel && !ksyms))
		snap.partial = true;
	report_process_errors(&snap);

	e = o->json ? rs_report_json(stdout, &snap, &ropts) : rs_report_text(stdout, &snap, &ropts);
	if (!e && fflush(stdout))
		e = -errno;
	if (e) {
		rs_msg("cannot write the report to stdout: %s", strerror(-e));
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
