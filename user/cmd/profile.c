// SPDX-License-Identifier: GPL-2.0
/*
 * 'rsample profile' (cmd.h): target, sampler, windows, writers.
 *
 * The first window begins when the BPF programs are attached. One-shot: one
 * window of -d. Continuous: windows end on multiples of --interval after the
 * start; each is written to DIR/<UTC start>.<suffix> through a temporary
 * file and a rename. SIGINT/SIGTERM end the current window early; it is
 * written like the others, then the run stops.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "stack/stack.h"
#include "lib/lib.h"
#include "out/out.h"
#include "cmd/cmd.h"
#include "cmd/cmd_priv.h"
#include "profile/profile.h"
#include "push/push.h"
#include "target/target.h"

#define POLL_MS 100 /* longest time between two looks at the clock and signals */
#define WAIT_MS 50  /* ...of which at most this long waiting for records */

struct run {
	const struct rs_opts *o;
	struct rs_resolved tgt;
	enum rs_format fmt;
	enum rs_group_by group;
	struct rs_ksyms *ksyms;
	struct rs_profwin *win;
	int64_t unix_minus_mono; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	uint64_t lost_on, lost_off;
	uint64_t samples, off_ns, off_count;
	uint64_t profiled_ns; /* the windows' lengths, summed */
	size_t windows, written, write_failures;
	bool fatal_write;
	struct rs_push *push;	      /* --push: the sender */
	struct rs_push_stats push_st; /* its final counts */
	struct rs_host_env host;      /* --host-root (target.h) */
};

/* What a writer needs for one window. */
struct out {
	const struct rs_profile *profs[2];
	size_t n;
	enum rs_format fmt;
	enum rs_group_by group;
	const char *title;
};

static void msg(const char *text)
{
	rs_msg("%s", text);
}

static int write_out(FILE *f, void *ctx)
{
	const struct out *c = ctx;

	switch (c->fmt) {
	case RS_FMT_SVG:
		return rs_write_svg(f, c->profs, c->n, c->group, c->title);
	case RS_FMT_PPROF:
		return rs_write_pprof(f, c->profs, c->n, c->group);
	case RS_FMT_SPEEDSCOPE:
		return rs_write_speedscope(f, c->profs, c->n, c->group, c->title);
	case RS_FMT_FOLDED:
	default:
		return rs_write_folded(f, c->profs, c->n, c->group);
	}
}

static enum rs_group_by parse_group(const char *s)
{
	if (s && !strcmp(s, "thread"))
		return RS_GROUP_THREAD;
	if (s && !strcmp(s, "process"))
		return RS_GROUP_PROCESS;
	return RS_GROUP_NONE;
}

/* Queues one window's profiles for --push; one line when profiles were dropped since the last. */
static void push(struct run *r, const struct rs_profile *const *profs, size_t n)
{
	struct rs_push_stats st;
	uint64_t since;

	for (size_t i = 0; i < n; i++)
		rs_push_profile(r->push, profs[i]);
	rs_push_stats(r->push, &st, &since);
	if (since)
		rs_msg("push: %" PRIu64 " profile%s dropped since the last interval (%" PRIu64
		       " in all): %s",
		       since, since == 1 ? "" : "s",
		       st.drop_full + st.drop_fail + st.drop_exit + st.drop_build, st.last_error);
}

/* The series' labels: namespace, pod and container of a cgroup target, and the node. */
static size_t push_labels(const struct run *r, struct rs_push_label *l, size_t max)
{
	struct rs_k8s_meta m = { 0 };
	const char *node = getenv("NODE_NAME");
	struct utsname u;
	size_t n = 0;

	if (r->tgt.cgroup.id)
		rs_k8s_meta_of(&r->host.env, r->tgt.cgroup.rel, &m);
	const char *kv[][2] = { { "namespace", m.ns },
				{ "pod", m.pod },
				{ "container", m.container[0] ? m.container : m.container_id } };
	for (size_t i = 0; i < 3 && n < max; i++) {
		if (!kv[i][1][0])
			continue;
		snprintf(l[n].key, sizeof(l[n].key), "%s", kv[i][0]);
		snprintf(l[n].value, sizeof(l[n].value), "%s", kv[i][1]);
		n++;
	}
	if ((!node || !*node) && !uname(&u))
		node = u.nodename;
	if (node && *node && n < max) {
		snprintf(l[n].key, sizeof(l[n].key), "node");
		snprintf(l[n].value, sizeof(l[n].value), "%s", node);
		n++;
	}
	return n;
}

/* Starts the --push sender before anything is sampled. Returns 0 or -errno (said). */
static int push_start(struct run *r)
{
	struct rs_push_label labels[4];
	struct rs_push_cfg cfg = { .url = r->o->push_url,
				   .app = r->o->push_app ? r->o->push_app : "rsample",
				   .labels = labels,
				   .queue_max = r->o->push_queue };
	char err[1024];
	int e;

	cfg.n_labels = push_labels(r, labels, 4);
	e = rs_push_new(&cfg, &r->push, err, sizeof(err));
	if (e)
		msg(err);
	return e;
}

/* Writes one window's profiles where the options say. */
static void emit(struct run *r, struct rs_profile *on, struct rs_profile *off, int64_t start_unix)
{
	const struct rs_opts *o = r->o;
	struct out c = { .fmt = r->fmt, .group = r->group };
	char title[512], err[1024];
	char *path = NULL;
	int e;

	if (o->on_cpu)
		c.profs[c.n++] = on;
	if (o->off_cpu)
		c.profs[c.n++] = off;
	snprintf(title, sizeof(title), "rsample: %s of %s",
		 o->on_cpu && o->off_cpu ? "on-CPU and off-CPU time"
		 : o->on_cpu		 ? "on-CPU time"
					 : "off-CPU time",
		 r->tgt.desc);
	c.title = title;
	if (r->push)
		push(r, c.profs, c.n);
	if (o->out_dir) {
		e = rs_profile_path(o->out_dir, start_unix, r->fmt, &path);
		if (e) {
			rs_msg("cannot name a file in '%s': %s: interval skipped", o->out_dir,
			       strerror(-e));
			r->write_failures++;
			return;
		}
		e = rs_write_atomic(path, write_out, &c, err, sizeof(err));
		if (e) {
			rs_msg("%s: interval skipped", err);
			r->write_failures++;
		} else {
			r->written++;
		}
		free(path);
		return;
	}
	if (r->push)
		return;
	if (o->output) {
		e = rs_write_output(o->output, write_out, &c, err, sizeof(err));
		if (e)
			msg(err);
	} else {
		e = write_out(stdout, &c);
		if (!e && fflush(stdout))
			e = -errno;
		if (e)
			rs_msg("cannot write the profile to stdout: %s", strerror(-e));
	}
	if (e)
		r->fatal_write = true;
	else
		r->written++;
}

static void sum_profiles(struct run *r, const struct rs_profile *on, const struct rs_profile *off)
{
	for (size_t i = 0; r->o->on_cpu && i < on->n_samples; i++)
		r->samples += on->samples[i].count;
	for (size_t i = 0; r->o->off_cpu && i < off->n_samples; i++) {
		r->off_ns += off->samples[i].value_ns;
		r->off_count += off->samples[i].count;
	}
}

/* Ends the current window at now, writes it. Returns 0 or -errno (fatal). */
static int end_window(struct run *r, uint64_t start, uint64_t *end)
{
	struct rs_profile on = { 0 }, off = { 0 };
	bool partial = false;
	int e;

	*end = rs_mono_ns();
	e = rs_profwin_finish(r->win, start, *end, (int64_t)start + r->unix_minus_mono, &on, &off,
			      &partial);
	if (partial)
		rs_msg(
		    "the off-CPU sums of this interval may be incomplete: the window end failed");
	r->lost_on += on.lost;
	r->lost_off += off.lost;
	if (e) {
		rs_msg("cannot build the profile: %s", strerror(-e));
		return e;
	}
	r->windows++;
	r->profiled_ns += *end - start;
	sum_profiles(r, &on, &off);
	emit(r, &on, &off, (int64_t)start + r->unix_minus_mono);
	rs_profile_clear(&on);
	rs_profile_clear(&off);
	return 0;
}

/* For --pid/--tid: whether every target is gone (then the profile ends early). */
static bool targets_gone(const struct run *r)
{
	const uint32_t *ids = r->tgt.n_tgids ? r->tgt.tgids : r->tgt.tids;
	size_t n = r->tgt.n_tgids ? r->tgt.n_tgids : r->tgt.n_tids;
	char path[64];

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%" PRIu32, ids[i]);
		if (!access(path, F_OK))
			return false;
	}
	return true;
}

static int loop(struct run *r)
{
	const struct rs_opts *o = r->o;
	uint64_t t0 = rs_profwin_start_ns(r->win), start = t0, end, now, last_check = t0;
	uint64_t stop = o->duration_ns ? t0 + o->duration_ns : 0;
	bool gone = false;
	int e;

	for (;;) {
		uint64_t due = rs_window_end(t0, o->interval_ns, stop, start);

		while (!rs_cmd_stop && !gone && (now = rs_mono_ns()) < due) {
			uint64_t left_ms = (due - now) / 1000000 + 1,
				 until = now + POLL_MS * 1000000ull;

			/*
			 * Waits at most half the period, takes records in for the rest: returns
			 * by until (or due, or a signal) however fast records come.
			 */
			e = rs_profwin_poll(r->win, left_ms < WAIT_MS ? (int)left_ms : WAIT_MS,
					    until < due ? until : due);
			if (e < 0 && e != -EINTR) {
				rs_msg("cannot read the ring buffer: %s", strerror(-e));
				return e;
			}
			if (now - last_check >= 1000000000ull) {
				last_check = now;
				gone = targets_gone(r);
			}
		}
		if (rs_cmd_stop || gone || !o->interval_ns || (stop && rs_mono_ns() >= stop))
			rs_profwin_last_window(r->win);
		e = end_window(r, start, &end);
		if (e)
			return e;
		if (r->fatal_write || rs_cmd_stop || gone || (stop && end >= stop) ||
		    !o->interval_ns)
			break;
		start = end;
	}
	if (gone)
		rs_msg("%s exited: the profile ends early", r->tgt.desc);
	return 0;
}

static void report(struct run *r)
{
	const struct rs_profwin_stats *st = rs_profwin_stats(r->win);
	struct rs_sampler_drops d;
	uint64_t c[RS_PCNT_MAX];
	char dur[32], on[96], off[128];

	rs_profwin_counters(r->win, c);
	rs_profwin_drops(r->win, &d);
	rs_format_duration(r->off_ns, dur, sizeof(dur));
	snprintf(on, sizeof(on), ", %" PRIu64 " on-CPU samples (%" PRIu64 " lost)", r->samples,
		 r->lost_on);
	snprintf(off, sizeof(off), ", %s off-CPU in %" PRIu64 " waits (%" PRIu64 " events lost)",
		 dur, r->off_count, r->lost_off);
	rs_msg("%s: %zu interval%s, %.3f s%s%s", r->tgt.desc, r->windows,
	       r->windows == 1 ? "" : "s", r->profiled_ns / 1e9, r->o->on_cpu ? on : "",
	       r->o->off_cpu ? off : "");
	if (r->lost_on)
		rs_msg(
		    "%" PRIu64
		    " on-CPU samples were lost: the ring buffer was full (lower -F or --stack-bytes)",
		    r->lost_on);
	if (c[RS_PCNT_AGG_FULL])
		rs_msg(
		    "%" PRIu64
		    " blocks (%.3f s) were lost: the off-CPU sums map was full (raise --min-block)",
		    c[RS_PCNT_AGG_FULL], c[RS_PCNT_AGG_FULL_NS] / 1e9);
	if (c[RS_PCNT_STORAGE_FAIL])
		rs_msg("%" PRIu64 " blocks were not seen: no per-thread state could be created",
		       c[RS_PCNT_STORAGE_FAIL]);
	if (c[RS_CNT_RINGBUF_FULL])
		rs_msg(
		    "%" PRIu64
		    " records of blocked threads or user stacks were lost: the ring buffer was full (lower --stack-bytes)",
		    c[RS_CNT_RINGBUF_FULL]);
	if (st->off_user_missing || c[RS_PCNT_CAPTURE_FAIL] || c[RS_PCNT_CAPTURE_MOVED])
		rs_msg("%" PRIu64
		       " off-CPU stacks have no user part ('[user stack lost]'): %" PRIu64
		       " captures could not be scheduled, %" PRIu64 " threads ran on before theirs",
		       st->off_user_missing, c[RS_PCNT_CAPTURE_FAIL], c[RS_PCNT_CAPTURE_MOVED]);
	if (c[RS_CNT_KSTACK_FAIL] || st->kernel_lost)
		rs_msg("%" PRIu64 " kernel stacks could not be recorded and %" PRIu64
		       " not read back ('[kernel stack lost]')",
		       c[RS_CNT_KSTACK_FAIL], st->kernel_lost);
	if (c[RS_CNT_USTACK_FAIL])
		rs_msg("%" PRIu64 " user stacks could not be copied (pages not resident)",
		       c[RS_CNT_USTACK_FAIL]);
	if (c[RS_PCNT_SWITCHIN_UNSEEN])
		rs_msg(
		    "%" PRIu64
		    " wake-ups had no sched_switch event; their blocks were closed from scheduler statistics",
		    c[RS_PCNT_SWITCHIN_UNSEEN]);
	if (c[RS_PCNT_KSTACK_FULL])
		rs_msg("%" PRIu64 " kernel stacks were not kept: the kernel stack map was full",
		       c[RS_PCNT_KSTACK_FULL]);
	if (st->user_incomplete)
		rs_msg(
		    "%" PRIu64 " of %" PRIu64
		    " user stacks stopped before their outermost frame (no CFI, or deeper than --stack-bytes)",
		    st->user_incomplete, st->user_unwound);
	if (d.cpu || d.late_samples || d.late_other ||
	    (r->o->on_cpu && d.lowest_hz < r->o->freq_hz))
		rs_msg(
		    "kept up by dropping work: on-CPU sampling at %" PRIu32
		    " Hz at the end (lowest %" PRIu32 ", -F %" PRIu32 "); %" PRIu64
		    " samples dropped over --max-cpu %" PRIu32 "%%, %" PRIu64
		    " samples and %" PRIu64
		    " off-CPU records dropped at an interval's end (lower -F or raise --max-cpu)",
		    d.rate_hz, d.lowest_hz, r->o->freq_hz, d.cpu, r->o->max_cpu_pct, d.late_samples,
		    d.late_other);
	if (st->dropped_nomem)
		rs_msg("%" PRIu64 " records were dropped: out of memory", st->dropped_nomem);
	if (r->write_failures)
		rs_msg("%zu of %zu intervals could not be written", r->write_failures, r->windows);
	if (r->o->push_url) {
		const struct rs_push_stats *p = &r->push_st;
		uint64_t dropped = p->drop_full + p->drop_fail + p->drop_exit + p->drop_build;

		rs_msg("push to %s: %" PRIu64 " of %" PRIu64 " profiles sent, %" PRIu64
		       " retries, %" PRIu64 " dropped (%" PRIu64 " queue full, %" PRIu64
		       " failed, %" PRIu64 " not sent within %llu s at exit, %" PRIu64
		       " not built)%s%s",
		       r->o->push_url, p->sent, p->queued, p->retries, dropped, p->drop_full,
		       p->drop_fail, p->drop_exit, RS_PUSH_FLUSH_NS / 1000000000ull, p->drop_build,
		       dropped ? "; last: " : "", dropped ? p->last_error : "");
	}
}

static uint64_t push_dropped(const struct run *r)
{
	const struct rs_push_stats *p = &r->push_st;

	return p->drop_full + p->drop_fail + p->drop_exit + p->drop_build;
}

/* Checks where the profile goes before sampling anything. */
static int check_output(const struct rs_opts *o)
{
	char err[1024];
	int e = 0;

	if (o->out_dir)
		e = rs_dir_check_writable(o->out_dir, err, sizeof(err));
	else if (o->output)
		e = rs_output_check(o->output, err, sizeof(err));
	if (e)
		msg(err);
	return e;
}

/*
 * Which capture of off-CPU user stacks the sampler took: said once when the
 * kernel refused bpf_task_work (the profile works, with a different cost),
 * and always with -v.
 */
static void say_offcpu_path(const struct rs_sampler *s, bool verbose)
{
	const char *refused = rs_sampler_task_work_refused(s);

	if (refused)
		rs_msg(
		    "the kernel refused bpf_task_work (%s): off-CPU user stacks are taken at the blocking syscall's exit instead",
		    refused);
	else if (verbose)
		rs_msg("off-CPU user stacks: %s", rs_sampler_uses_task_work(s)
						      ? "by bpf_task_work when the thread next runs"
						      : "at the blocking syscall's exit");
}

/*
 * Attached, every perf event open, kallsyms read: from here on only the
 * targets are read, BPF maps looked up and the output written.
 */
static int drop_privs(const struct rs_opts *o, char *err, size_t errlen)
{
	struct rs_privs_cfg cfg = { .bpf_fds = true, .verbose = o->verbose };
	char *copy = NULL;
	uint64_t kept;
	int e;

	if (o->out_dir) {
		cfg.out_dir = o->out_dir;
	} else if (o->output) {
		copy = strdup(o->output);
		if (!copy) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		cfg.out_dir = dirname(copy);
	}
	e = rs_privs_drop(&cfg, &kept, err, errlen);
	free(copy);
	return e;
}

static int start(struct run *r)
{
	const struct rs_opts *o = r->o;
	struct rs_profwin_cfg wcfg = { .on_cpu = o->on_cpu,
				       .off_cpu = o->off_cpu,
				       .kernel = !o->no_kernel,
				       .freq_hz = o->freq_hz,
				       .proc_root = "/proc",
				       .max_debug_size = o->max_debug_size,
				       .symbol_cache_bytes = o->symbol_cache_bytes };
	struct rs_sampler_cfg scfg = {
		.target = &r->tgt,
		.on_cpu = o->on_cpu,
		.off_cpu = o->off_cpu,
		.freq_hz = o->freq_hz,
		.min_block_ns = o->min_block_ns,
		.max_block_ns = o->max_block_ns,
		.stack_bytes = o->stack_bytes,
		.kernel_stacks = !o->no_kernel,
		.no_task_work = getenv("RSAMPLE_NO_TASK_WORK") != NULL,
		.max_cpu_pct = o->max_cpu_pct,
		.stop = &rs_cmd_stop,
	};
	char err[1024];
	int e;

	if (!o->no_kernel) {
		e = rs_ksyms_load("/proc/kallsyms", &r->ksyms);
		if (e) {
			char why[256];

			rs_ksyms_explain("/proc/kallsyms", e, why, sizeof(why));
			rs_msg("%s", why);
		}
	}
	wcfg.target = r->tgt.desc;
	e = rs_profwin_new(&wcfg, r->ksyms, &r->win);
	if (e) {
		msg("out of memory");
		return e;
	}
	e = rs_profwin_start(r->win, &scfg, err, sizeof(err));
	if (e) {
		msg(err);
		return e;
	}
	if (o->off_cpu)
		say_offcpu_path(rs_profwin_sampler(r->win), o->verbose);
	e = drop_privs(o, err, sizeof(err));
	if (e) {
		msg(err);
		return e;
	}
	if (o->verbose)
		rs_msg("sampling %s now", r->tgt.desc);
	r->unix_minus_mono = (int64_t)(rs_clock_ns(CLOCK_REALTIME) - rs_mono_ns());
	if (o->out_dir || o->push_url) {
		char every[32];

		rs_format_duration(o->interval_ns, every, sizeof(every));
		rs_msg(
		    "profiling %s %s '%s' every %s; SIGINT or SIGTERM %s the last interval and stops",
		    r->tgt.desc, o->out_dir ? "into" : "pushing to",
		    o->out_dir ? o->out_dir : o->push_url, every, o->out_dir ? "writes" : "pushes");
	}
	return 0;
}

int rs_cmd_profile(const struct rs_opts *o)
{
	struct rs_cmd_signals sigs;
	struct run r = { .o = o };
	char err[2048] = "";
	int ret = RS_EXIT_FATAL;

	if (rs_format_parse(o->format ? o->format : "folded", &r.fmt)) {
		rs_msg("unknown format '%s'", o->format);
		return RS_EXIT_USAGE;
	}
	r.group = parse_group(o->group_by);
	if (check_output(o))
		return RS_EXIT_FATAL;
	if (rs_host_env_init(&r.host, o->host_root, err, sizeof(err)) ||
	    rs_target_resolve(&o->target, "/proc", &r.host.env, &r.tgt, err, sizeof(err))) {
		msg(err);
		rs_host_env_clear(&r.host);
		return RS_EXIT_FATAL;
	}
	rs_cmd_signals_catch(&sigs);
	if (o->push_url && push_start(&r))
		goto cleanup;
	if (start(&r))
		goto cleanup;
	if (loop(&r) || r.fatal_write)
		goto cleanup;
	rs_push_free(r.push, &r.push_st);
	r.push = NULL;
	report(&r);
	ret = r.lost_on || r.lost_off || r.write_failures || push_dropped(&r) ||
		      rs_profwin_unreadable(r.win)
		  ? RS_EXIT_PARTIAL
		  : RS_EXIT_OK;
cleanup:
	rs_push_free(r.push, NULL);
	rs_cmd_signals_restore(&sigs);
	rs_profwin_free(r.win);
	rs_ksyms_free(r.ksyms);
	rs_resolved_clear(&r.tgt);
	rs_host_env_clear(&r.host);
	return ret;
}
