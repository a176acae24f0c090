// SPDX-License-Identifier: GPL-2.0
/*
 * 'rsample watch' (cmd.h): the snapshot BPF object loaded once; every tick
 * a cheap pass of the task iterator (no stacks) feeds the watch's
 * bookkeeping (watch/watch.h); a process with a thread past --threshold at
 * a site not known idle gets a full snapshot through the snapshot command's
 * path (capture, rs_snapshot_build(), the reports), which classifies the
 * candidates; an incident is printed once, and its clearing in one line.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "cmd/cmd_priv.h"
#include "lib/lib.h"
#include "out/out.h"
#include "report/report.h"
#include "snapshot/snapshot.h"
#include "stack/stack.h"
#include "target/target.h"
#include "watch/watch.h"

struct wrun {
	const struct rs_opts *o;
	struct rs_resolved tgt;
	struct rs_capture_session *sess;
	struct rs_ksyms *ksyms; /* the fallback when a capture has no names of its kernel frames */
	bool ksyms_tried;
	struct rs_symcache *cache;
	struct rs_watch *w;
	int64_t unix_minus_mono;
	uint64_t reports;
	uint64_t ticks; /* ticks that saw the target */
	bool write_failed;
};

/* Reads /proc/kallsyms once, the first time a capture could not name its kernel frames. */
static void load_kallsyms(struct wrun *r)
{
	char err[512];
	int e;

	if (r->o->no_kernel || r->ksyms_tried)
		return;
	r->ksyms_tried = true;
	e = rs_ksyms_load("/proc/kallsyms", &r->ksyms);
	if (e) {
		rs_ksyms_explain("/proc/kallsyms", e, err, sizeof(err));
		rs_msg("%s", err);
		r->ksyms = NULL;
	}
}

/* The incident's header line of the text report. */
static void text_header(FILE *f, const struct rs_watch_incident *inc, uint64_t th)
{
	char dur[32], thr[32];

	rs_format_duration(th, thr, sizeof(thr));
	flockfile(f); /* for rs_fput_safe */
	fprintf(f, "hang %" PRIu64 ": pid %u \"", inc->id, inc->tgid);
	rs_fput_safe(f, inc->comm, sizeof(inc->comm), false);
	fprintf(f, "\", %zu thread%s past --threshold %s:", inc->n_threads,
		inc->n_threads == 1 ? "" : "s", thr);
	for (size_t i = 0; i < inc->n_threads; i++) {
		const struct rs_watch_thread *t = &inc->threads[i];
		const char *sc = t->in_syscall ? rs_syscall_name(t->syscall_nr) : NULL;

		rs_format_duration(t->blocked_ns, dur, sizeof(dur));
		fprintf(f, "%s tid %u \"", i ? ";" : "", t->tid);
		rs_fput_safe(f, t->comm, sizeof(t->comm), false);
		fprintf(f, "\" %s %s",
			t->why == RS_WHY_STARVED   ? "runnable without CPU for"
			: t->why == RS_WHY_D_STATE ? "in D state for"
						   : "blocked for",
			dur);
		if (sc && t->why != RS_WHY_STARVED)
			fprintf(f, " in %s", sc);
		if (t->reason[0])
			fprintf(f, " (%s)", t->reason);
		else if (t->why == RS_WHY_BLOCKED)
			fputs(" (not an idle wait)", f);
	}
	fputc('\n', f);
	funlockfile(f);
}

/* The "incident" member of the JSON document; malloc'd, or NULL. */
static char *incident_json(const struct wrun *r, const struct rs_watch_incident *inc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "\"incident\": {\"id\": %" PRIu64 ", \"pid\": %u, \"comm\": ", inc->id,
		inc->tgid);
	rs_fput_json(f, inc->comm, strnlen(inc->comm, sizeof(inc->comm)));
	fprintf(f,
		", \"threshold_ns\": %" PRIu64 ", \"since_unix_ns\": %" PRId64
		", \"opened_unix_ns\": %" PRId64 ", \"threads\": [",
		r->o->threshold_ns, (int64_t)inc->since_ns + r->unix_minus_mono,
		(int64_t)inc->opened_ns + r->unix_minus_mono);
	for (size_t i = 0; i < inc->n_threads; i++) {
		const struct rs_watch_thread *t = &inc->threads[i];
		const char *sc = t->in_syscall ? rs_syscall_name(t->syscall_nr) : NULL;

		fprintf(f, "%s{\"tid\": %u, \"comm\": ", i ? ", " : "", t->tid);
		rs_fput_json(f, t->comm, strnlen(t->comm, sizeof(t->comm)));
		fprintf(f,
			", \"why\": \"%s\", \"state\": \"%c\", \"blocked_ns\": %" PRIu64
			", \"syscall\": ",
			rs_watch_why_id(t->why), t->state, t->blocked_ns);
		if (sc)
			rs_fput_json(f, sc, strlen(sc));
		else
			fputs("null", f);
		fputs(", \"reason\": ", f);
		if (t->reason[0])
			rs_fput_json(f, t->reason, strlen(t->reason));
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputs("]}", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct incident_out {
	const struct rs_snapshot *snap;
	const struct rs_report_opts *ropts;
};

static int write_incident(FILE *f, void *ctx)
{
	const struct incident_out *io = ctx;

	return rs_report_json(f, io->snap, io->ropts);
}

/* The incident's file in --out-dir, written atomically. */
static void write_file(struct wrun *r, const struct rs_watch_incident *inc,
		       const struct rs_snapshot *snap, const struct rs_report_opts *ropts)
{
	struct rs_report_opts fo = *ropts;
	struct incident_out io = { .snap = snap, .ropts = &fo };
	char path[4096], stamp[32], err[4200];
	time_t t = (time_t)(snap->taken_at_unix_ns / 1000000000);
	struct tm tm;

	fo.one_line = false;
	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		snprintf(stamp, sizeof(stamp), "%" PRId64, snap->taken_at_unix_ns);
	snprintf(path, sizeof(path), "%s/hang-%s-%u-%" PRIu64 ".json", r->o->out_dir, stamp,
		 inc->tgid, inc->id);
	if (rs_write_atomic(path, write_incident, &io, err, sizeof(err))) {
		rs_msg("%s: incident %" PRIu64 " is on stdout only", err, inc->id);
		r->write_failed = true;
	}
}

/* Whether the snapshot calls thread t of p an idle wait, and the reason's words. */
static enum rs_watch_verdict verdict(const struct rs_process *p, const struct rs_thread *t,
				     uint64_t th, const char **reason)
{
	enum rs_rank_reason why = rs_rank_thread(p, t, th);

	*reason = rs_rank_text(why);
	if (rs_rank_of(why) == rs_rank_of(RS_RANK_IDLE_POOL))
		return RS_WATCH_IDLE;
	/* A timed sleep, or a wait for a thread or child: the one waited for is the hang. */
	if (t->wait && (t->wait->kind == RS_WAIT_SLEEP || t->wait->kind == RS_WAIT_JOIN ||
			t->wait->kind == RS_WAIT_CHILD)) {
		*reason = t->wait->kind == RS_WAIT_SLEEP  ? "idle: timed sleep"
			  : t->wait->kind == RS_WAIT_JOIN ? "idle: joining a thread"
							  : "idle: waiting for a child";
		return RS_WATCH_IDLE;
	}
	if (why == RS_RANK_OTHER || why == RS_RANK_LONG_BLOCK)
		*reason = NULL; /* the header says "not an idle wait" */
	return RS_WATCH_HANG;
}

/* One snapshot of the processes in tgids; classifies, then reports what opened. */
static int snapshot_and_report(struct wrun *r, const uint32_t *tgids, size_t n)
{
	const struct rs_opts *o = r->o;
	struct rs_capture_run_opts ro = { .tgids = tgids, .n_tgids = n };
	struct rs_report_opts ropts = { .no_kernel = o->no_kernel,
					.threshold_ns = o->threshold_ns,
					.sort = o->sort,
					.one_line = true };
	struct rs_snapshot snap = { 0 };
	struct rs_capture *cap = NULL;
	char err[2048];
	uint64_t now, cpu0 = rs_clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall0 = rs_mono_ns();
	int e;

	e = rs_capture_session_run(r->sess, &ro, &cap, err, sizeof(err));
	if (e) {
		rs_msg("%s", err);
		return e;
	}
	snap.target = strdup(r->tgt.desc);
	if (!snap.target) {
		e = -ENOMEM; /* said by tick() */
		goto cleanup;
	}
	if (!cap->ksyms)
		load_kallsyms(r);
	/* Not built (it said why): its candidates are looked at again at the next tick. */
	if (rs_snapshot_build(o, cap, RS_BACKEND_BPF, r->ksyms, r->cache, NULL, 0, NULL, 0, r->sess,
			      &snap)) {
		for (size_t k = 0; k < n; k++)
			rs_watch_classify_rest(r->w, tgids[k]);
		goto cleanup;
	}
	for (size_t k = 0; k < n; k++) {
		const struct rs_process *p = NULL;

		for (size_t i = 0; i < snap.n_procs; i++)
			if (snap.procs[i].pid == tgids[k])
				p = &snap.procs[i];
		/* Every pending thread of the process: those not in the snapshot are gone. */
		for (size_t i = 0; p && i < p->n_threads; i++) {
			const char *reason = NULL;
			enum rs_watch_verdict v =
			    verdict(p, &p->threads[i], o->threshold_ns, &reason);

			rs_watch_classify(r->w, p->pid, p->threads[i].tid, v, reason);
		}
	}
	now = rs_mono_ns();
	for (size_t k = 0; k < n; k++) {
		const struct rs_watch_incident *inc;
		struct rs_snapshot one = snap;
		char *extra = NULL;

		rs_watch_classify_rest(r->w, tgids[k]);
		if (!rs_watch_open(r->w, tgids[k], now, &inc))
			continue;
		/* The report of the incident's process alone. */
		one.n_procs = 0;
		for (size_t i = 0; i < snap.n_procs; i++)
			if (snap.procs[i].pid == inc->tgid) {
				one.procs = &snap.procs[i];
				one.n_procs = 1;
			}
		if (o->json || o->out_dir)
			extra = incident_json(r, inc);
		ropts.extra_json = extra;
		if (o->json) {
			e = rs_report_json(stdout, &one, &ropts);
		} else {
			text_header(stdout, inc, o->threshold_ns);
			e = rs_report_text(stdout, &one, &ropts);
			fputc('\n', stdout);
		}
		if (o->out_dir)
			write_file(r, inc, &one, &ropts);
		free(extra);
		if (!e && fflush(stdout))
			e = -errno;
		if (e) {
			rs_msg("cannot write the report to stdout: %s", strerror(-e));
			goto cleanup;
		}
		r->reports++;
		if (o->verbose)
			rs_msg("hang %" PRIu64 ": snapshot and report took %.2f ms of CPU, %.2f ms",
			       inc->id,
			       (double)(rs_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e6,
			       (double)(rs_mono_ns() - wall0) / 1e6);
	}
cleanup:
	rs_snapshot_clear(&snap);
	rs_capture_free(cap);
	return e;
}

static void print_cleared(const struct wrun *r, const struct rs_watch_incident *inc, bool exited,
			  uint64_t now)
{
	char dur[32];

	rs_format_duration(now - inc->since_ns, dur, sizeof(dur));
	if (r->o->json) {
		printf("{\"cleared\": {\"id\": %" PRIu64 ", \"pid\": %u, \"duration_ns\": %" PRIu64
		       ", \"exited\": %s}}\n",
		       inc->id, inc->tgid, now - inc->since_ns, exited ? "true" : "false");
	} else {
		flockfile(stdout); /* for rs_fput_safe */
		printf("cleared: hang %" PRIu64 " of pid %u \"", inc->id, inc->tgid);
		rs_fput_safe(stdout, inc->comm, sizeof(inc->comm), false);
		printf("\" after %s%s\n", dur, exited ? " (the process exited)" : "");
		funlockfile(stdout);
	}
	fflush(stdout);
}

/* Whether the cgroup watched was removed. */
static bool cgroup_gone(const struct wrun *r)
{
	struct stat st;

	return r->tgt.cgroup.path && stat(r->tgt.cgroup.path, &st) && errno == ENOENT;
}

static int tick(struct wrun *r)
{
	const struct rs_capture_run_opts light = { .light = true };
	struct rs_watch_obs *obs = NULL;
	struct rs_watch_events ev;
	struct rs_capture *cap = NULL;
	char err[2048];
	uint64_t now;
	int e;

	e = rs_capture_session_run(r->sess, &light, &cap, err, sizeof(err));
	if (e) {
		rs_msg("%s", err);
		return e;
	}
	now = rs_mono_ns();
	if (!cap->n && !r->tgt.cgroup.id) {
		e = -ESRCH; /* every process of --pid/--tid exited */
		goto cleanup;
	}
	obs = calloc(cap->n ? cap->n : 1, sizeof(*obs));
	if (!obs) {
		e = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < cap->n; i++)
		rs_watch_obs_from_rec(cap->recs[i], &obs[i]);
	e = rs_watch_tick(r->w, now, obs, cap->n, &ev);
	if (e)
		goto cleanup;
	for (size_t i = 0; i < ev.n_cleared; i++)
		print_cleared(r, &ev.cleared[i], ev.cleared_exit[i], now);
	if (ev.n_snap)
		e = snapshot_and_report(r, ev.snap_tgids, ev.n_snap);
cleanup:
	if (e == -ENOMEM)
		rs_msg("out of memory while watching");
	free(obs);
	rs_capture_free(cap);
	return e;
}

static int start(struct wrun *r)
{
	const struct rs_opts *o = r->o;
	struct rs_watch_cfg wcfg = { .threshold_ns = o->threshold_ns };
	struct rs_capture_cfg cfg = { .target = &r->tgt,
				      .stack_bytes = o->stack_bytes,
				      .kernel_stacks = !o->no_kernel,
				      .oncpu_wait_ms = 100,
				      .expect_threads = r->tgt.expect_threads,
				      .need_blocked_stacks = true,
				      .find_holders = true };
	char err[2048] = "", thr[32], every[32];
	int e;

	if (o->out_dir && rs_dir_check_writable(o->out_dir, err, sizeof(err))) {
		rs_msg("%s", err);
		return -EINVAL;
	}
	e = rs_capture_session_new(&cfg, &r->sess, err, sizeof(err));
	if (e) {
		rs_msg("%s", err);
		return e;
	}
	/* the captures name their own kernel frames; else kallsyms now, before the first report */
	if (!rs_capture_session_names_kernel(r->sess))
		load_kallsyms(r);
	if (rs_symcache_new(&r->cache))
		r->cache = NULL;
	if (rs_watch_new(&wcfg, &r->w)) {
		rs_msg("out of memory");
		return -ENOMEM;
	}
	r->unix_minus_mono = (int64_t)rs_clock_ns(CLOCK_REALTIME) - (int64_t)rs_mono_ns();
	rs_format_duration(o->threshold_ns, thr, sizeof(thr));
	rs_format_duration(o->interval_ns, every, sizeof(every));
	rs_msg("watching %s: threads blocked over %s, checked every %s; SIGINT or SIGTERM stops",
	       r->tgt.desc, thr, every);
	return 0;
}

int rs_cmd_watch(const struct rs_opts *o)
{
	struct rs_cmd_signals sigs;
	struct wrun r = { .o = o };
	char err[2048] = "";
	int ret = RS_EXIT_FATAL, e;

	if (rs_target_resolve(&o->target, "/proc", NULL, &r.tgt, err, sizeof(err))) {
		rs_msg("%s", err);
		return RS_EXIT_FATAL;
	}
	rs_cmd_signals_catch(&sigs);
	if (start(&r))
		goto cleanup;
	while (!rs_cmd_stop) {
		uint64_t next = rs_mono_ns() + o->interval_ns;
		struct timespec ts;

		e = tick(&r);
		if (e == -ESRCH) {
			rs_msg(r.ticks
				   ? "%s exited: nothing left to watch"
				   : "%s was not captured: it exited, or the kernel hides it from "
				     "this PID namespace",
			       r.tgt.desc);
			if (!r.ticks)
				goto cleanup; /* never seen: as a snapshot, fatal */
			break;
		}
		if (e)
			goto cleanup;
		r.ticks++;
		if (cgroup_gone(&r)) {
			rs_msg("cgroup '%s' was removed while watching: nothing left to watch",
			       r.tgt.cgroup.rel ? r.tgt.cgroup.rel : r.tgt.cgroup.path);
			goto cleanup;
		}
		while (!rs_cmd_stop && rs_mono_ns() < next) {
			uint64_t left = next - rs_mono_ns();

			if (left > 100000000)
				left = 100000000;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)left;
			nanosleep(&ts, NULL);
		}
	}
	ret = r.write_failed ? RS_EXIT_PARTIAL : RS_EXIT_OK;
cleanup:
	rs_cmd_signals_restore(&sigs);
	rs_watch_free(r.w);
	rs_capture_session_free(r.sess);
	rs_symcache_free(r.cache);
	rs_ksyms_free(r.ksyms);
	rs_resolved_clear(&r.tgt);
	return ret;
}
