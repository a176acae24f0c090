// SPDX-License-Identifier: GPL-2.0
/*
 * profile/window.c and build.c: the window engine fed with hand-made records (no
 * BPF): routing of samples to windows, on-CPU and off-CPU sums into profiles.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "profile/profile_priv.h"
#include "out/out.h"
#include "profile/profile.h"

#define MS(x) ((uint64_t)(x)*1000000ull)
#define S(x)  ((uint64_t)(x)*1000000000ull)

static void test_window_routing(void **state)
{
	(void)state;
	assert_true(rs_window_has(S(10), S(10) - 1));
	assert_false(rs_window_has(S(10), S(10)));
	assert_false(rs_window_has(S(10), S(11)));
	assert_true(rs_window_has(UINT64_MAX, S(11))); /* no cut yet */
}

/* ---- the window engine, fed by hand ---- */

static struct rs_profwin *new_win(bool on, bool off)
{
	struct rs_profwin_cfg cfg = { .on_cpu = on,
				      .off_cpu = off,
				      .kernel = true,
				      .freq_hz = 100,
				      .target = "pid 42",
				      .proc_root = "/nonexistent" };
	struct rs_profwin *w = NULL;

	assert_int_equal(rs_profwin_new(&cfg, NULL, &w), 0);
	return w;
}

static void rec_init(struct rs_prof_rec *r, uint32_t type, uint32_t tid, uint64_t t)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->tgid = 42;
	r->tid = tid;
	r->time_ns = t;
	strcpy(r->comm, tid == 42 ? "main" : "worker");
	strcpy(r->pcomm, "main");
}

static const struct rs_psample *find_sample(const struct rs_profile *p, uint32_t tid, char st)
{
	for (size_t i = 0; i < p->n_samples; i++)
		if (p->samples[i].tid == tid && p->samples[i].state == st)
			return &p->samples[i];
	return NULL;
}

static bool has_frame(const struct rs_psample *s, const char *fn)
{
	for (size_t i = 0; i < s->n_frames; i++)
		if (s->frames[i].function && !strcmp(s->frames[i].function, fn))
			return true;
	return false;
}

static void test_profwin_oncpu_windows(void **state)
{
	struct rs_profwin *w = new_win(true, false);
	struct rs_profile on = { 0 }, off = { 0 };
	struct rs_sampler_ops ops = { 0 };
	const struct rs_psample *s;
	struct rs_prof_rec r;

	(void)state;
	rs_profwin_ops(w, &ops);
	rec_init(&r, RS_PREC_SAMPLE, 43, MS(100));
	ops.record(ops.ctx, &r, 0);
	r.time_ns = MS(200);
	ops.record(ops.ctx, &r, 0);
	rec_init(&r, RS_PREC_SAMPLE, 2, MS(210)); /* a kernel thread: no user stack to miss */
	r.flags = RS_TF_KTHREAD;
	ops.record(ops.ctx, &r, 0);
	/* the window is cut at 250 ms: a sample taken at 260 ms belongs to the next one */
	rs_profwin_set_cut(w, MS(250));
	rec_init(&r, RS_PREC_SAMPLE, 43, MS(240));
	ops.record(ops.ctx, &r, 0);
	/* taken while the rate was adapted down (or --max-cpu kept a share): its own weight */
	r.time_ns = MS(260);
	ops.record(ops.ctx, &r, MS(40));
	assert_int_equal(rs_profwin_build_window(w, 0, MS(250), 1000, 2, 0, &on, &off), 0);
	assert_int_equal(on.kind, RS_PROF_ONCPU);
	assert_string_equal(on.target, "pid 42");
	assert_int_equal(on.duration_ns, MS(250));
	assert_int_equal(on.start_unix_ns, 1000);
	assert_int_equal(on.lost, 2);
	assert_int_equal(on.freq_hz, 100);
	assert_int_equal(on.period_ns, MS(10));
	assert_int_equal(on.n_samples, 2);
	s = find_sample(&on, 43, 0);
	assert_non_null(s);
	assert_int_equal(s->count, 3);
	assert_int_equal(s->value_ns, MS(30));
	assert_int_equal(s->pid, 42);
	assert_string_equal(s->comm, "main");
	assert_string_equal(s->thread, "worker");
	assert_true(has_frame(s, "[user stack lost]"));
	s = find_sample(&on, 2, 0);
	assert_int_equal(s->n_frames, 0);
	rs_profile_clear(&on);

	/* the next window holds the sample that came after the cut */
	assert_int_equal(rs_profwin_build_window(w, MS(250), MS(500), 2000, 0, 0, &on, &off), 0);
	assert_int_equal(on.n_samples, 1);
	assert_int_equal(on.samples[0].count, 1);
	assert_int_equal(on.samples[0].value_ns, MS(40));
	rs_profile_clear(&on);
	assert_int_equal(rs_profwin_stats(w)->samples, 5);
	rs_profwin_free(w);
}

static void test_profwin_offcpu_sums(void **state)
{
	struct rs_profwin *w = new_win(false, true);
	struct rs_off_key k = { .tgid = 42, .tid = 43, .state = 'S' };
	struct rs_off_val v = { .ns = MS(300), .count = 2 };
	struct rs_profile on = { 0 }, off = { 0 };
	struct rs_sampler_ops ops = { 0 };
	const struct rs_psample *s;
	struct rs_prof_rec r;

	(void)state;
	strcpy(v.comm, "worker");
	strcpy(v.pcomm, "main");
	rs_profwin_ops(w, &ops);
	/* the kernel's sums for one key, and a still-blocked thread of the same key */
	ops.offcpu(ops.ctx, &k, &v);
	rec_init(&r, RS_PREC_BLOCK, 43, MS(500));
	r.state = 'S';
	r.ns = MS(200);
	ops.record(ops.ctx, &r, 0);
	/* another thread in D, whose user stack never arrived */
	k.tid = 44;
	k.state = 'D';
	k.ufp = 0xfeed;
	v.ns = MS(100);
	v.count = 1;
	ops.offcpu(ops.ctx, &k, &v);
	assert_int_equal(rs_profwin_build_window(w, 0, MS(500), 0, 0, 3, &on, &off), 0);
	assert_int_equal(off.kind, RS_PROF_OFFCPU);
	assert_int_equal(off.lost, 3);
	assert_int_equal(off.n_samples, 2);
	s = find_sample(&off, 43, 'S');
	assert_non_null(s);
	assert_int_equal(s->value_ns, MS(500));
	assert_int_equal(s->count, 3);
	assert_string_equal(s->thread, "worker");
	/* no kernel stack key for an off-CPU block: it was lost, and says so */
	assert_true(has_frame(s, "[kernel stack lost]"));
	assert_false(has_frame(s, "[user stack lost]"));
	s = find_sample(&off, 44, 'D');
	assert_non_null(s);
	assert_int_equal(s->value_ns, MS(100));
	assert_true(has_frame(s, "[user stack lost]"));
	assert_int_equal(rs_profwin_stats(w)->off_user_missing, 1);
	rs_profile_clear(&off);

	/* sums do not leak into the next window */
	assert_int_equal(rs_profwin_build_window(w, MS(500), S(1), 0, 0, 0, &on, &off), 0);
	assert_int_equal(off.n_samples, 0);
	rs_profile_clear(&off);
	rs_profwin_free(w);
}

/* ---- profile files ---- */

struct wctx {
	const char *text;
	int fail;
};

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_routing),
		cmocka_unit_test(test_profwin_oncpu_windows),
		cmocka_unit_test(test_profwin_offcpu_sums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
