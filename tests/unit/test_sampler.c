// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space half of 'rsample profile' without BPF: window aggregation,
 * the unwound-stack cache, window schedule and routing, the window engine
 * fed with hand-made records, and profile files (names, atomic writes).
 */
/* rs-test-objs: profagg profile_file profwin profbuild pidcache sampler sampler_window sys libbpf_log target cgroup cgroup_find cgroup_procfs */
/* rs-test-objs: profile utf8 ksyms maps proc elfopen symcache unwind symbolize demangle adaname */
/* rs-test-objs: model readfile tailcall callsite srcline dwname */
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

static void test_agg_sums_equal_keys(void **state)
{
	uint64_t a[] = { rs_key_ids(1, 2), 7, 0, 0x1000, 0x2000 };
	uint64_t b[] = { rs_key_ids(1, 2), 7, 0, 0x1000, 0x2001 };
	struct rs_agg g = { 0 };
	const struct rs_agg_entry *e;

	(void)state;
	assert_int_equal(rs_agg_add(&g, a, 5, 1, 10, "t", "p"), 0);
	assert_int_equal(rs_agg_add(&g, b, 5, 1, 20, "t", "p"), 0);
	assert_int_equal(rs_agg_add(&g, a, 5, 2, 30, NULL, NULL), 0);
	/* a prefix of a key is another key */
	assert_int_equal(rs_agg_add(&g, a, 4, 1, 0, "t", "p"), 0);
	assert_int_equal(g.n, 3);
	e = rs_agg_find(&g, a, 5);
	assert_non_null(e);
	assert_int_equal(e->count, 3);
	assert_int_equal(e->ns, 40);
	e = rs_agg_find(&g, b, 5);
	assert_int_equal(e->count, 1);
	assert_int_equal(e->ns, 20);
	assert_null(rs_agg_find(&g, b, 3));
	rs_agg_clear(&g);
	assert_int_equal(g.n, 0);
	rs_agg_clear(&g); /* twice is harmless */
}

static void test_agg_keeps_first_names(void **state)
{
	uint64_t k[] = { rs_key_ids(5, 6) };
	char long_name[32];
	struct rs_agg g = { 0 };

	(void)state;
	memset(long_name, 'x', sizeof(long_name)); /* not NUL-terminated within RS_COMM_LEN */
	assert_int_equal(rs_agg_add(&g, k, 1, 1, 0, "", NULL), 0);
	assert_int_equal(rs_agg_add(&g, k, 1, 1, 0, long_name, "proc"), 0);
	assert_int_equal(rs_agg_add(&g, k, 1, 1, 0, "later", "later"), 0);
	assert_int_equal(strlen(g.v[0].comm), RS_COMM_LEN);
	assert_string_equal(g.v[0].pcomm, "proc");
	rs_agg_clear(&g);
}

static void test_agg_grows(void **state)
{
	struct rs_agg g = { 0 };
	uint64_t k[2];

	(void)state;
	for (uint64_t i = 0; i < 20000; i++) {
		k[0] = i;
		k[1] = i * 7;
		assert_int_equal(rs_agg_add(&g, k, 2, 1, i, NULL, NULL), 0);
	}
	for (uint64_t i = 0; i < 20000; i += 997) {
		k[0] = i;
		k[1] = i * 7;
		assert_int_equal(rs_agg_find(&g, k, 2)->ns, i);
	}
	assert_int_equal(g.n, 20000);
	rs_agg_clear(&g);
}

static bool gone_odd(uint32_t tgid, void *ctx)
{
	(void)ctx;
	return tgid & 1;
}

static bool has(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void test_ufpcache_put_get_replace(void **state)
{
	struct rs_ufpcache c = { .max = 100 };
	uint64_t pcs[] = { 1, 2, 3 }, pcs2[] = { 9 };
	const struct rs_ufp_entry *e;

	(void)state;
	assert_null(rs_ufpcache_get(&c, 42, 0));
	assert_int_equal(rs_ufpcache_put(&c, 42, 10, pcs, 3, false, 0), 0);
	e = rs_ufpcache_get(&c, 42, 1);
	assert_non_null(e);
	assert_int_equal(e->n, 3);
	assert_int_equal(e->pcs[2], 3);
	assert_int_equal(e->last_use, 1);
	assert_int_equal(rs_ufpcache_put(&c, 42, 10, pcs2, 1, false, 2), 0);
	assert_int_equal(c.n, 1);
	e = rs_ufpcache_get(&c, 42, 2);
	assert_int_equal(e->n, 1);
	assert_int_equal(e->pcs[0], 9);
	assert_int_equal(rs_ufpcache_put(&c, 43, 10, NULL, 0, true, 2), 0);
	assert_true(rs_ufpcache_get(&c, 43, 2)->failed);
	rs_ufpcache_clear(&c);
	assert_int_equal(c.max, 100);
}

static void test_ufpcache_trim(void **state)
{
	struct rs_ufpcache c = { .max = 3 };
	uint64_t *dropped = NULL, pc = 1;
	size_t n = 0;

	(void)state;
	/* ufp i, tgid i, last used in window i */
	for (uint64_t i = 1; i <= 10; i++)
		assert_int_equal(rs_ufpcache_put(&c, i, (uint32_t)i, &pc, 1, false, i), 0);
	/*
	 * Unused since window 4: 1..3 go; odd tgids are gone: 5, 7, 9 go; of
	 * 4, 6, 8, 10, over the limit of 3, the least recently used (4) goes.
	 */
	assert_int_equal(rs_ufpcache_trim(&c, 4, gone_odd, NULL, &dropped, &n), 0);
	assert_int_equal(n, 7);
	assert_true(has(dropped, n, 1) && has(dropped, n, 3) && has(dropped, n, 9));
	assert_true(has(dropped, n, 4) && !has(dropped, n, 6));
	assert_int_equal(c.n, 3);
	assert_null(rs_ufpcache_get(&c, 4, 10));
	assert_non_null(rs_ufpcache_get(&c, 6, 10));
	assert_non_null(rs_ufpcache_get(&c, 10, 10));
	free(dropped);
	dropped = NULL;
	n = 0;
	/* nothing to drop: nothing changes */
	assert_int_equal(rs_ufpcache_trim(&c, 0, NULL, NULL, &dropped, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(c.n, 3);
	rs_ufpcache_clear(&c);
	free(dropped);
}

static void test_u64map(void **state)
{
	struct rs_u64map m = { 0 };
	uint64_t v = 0;

	(void)state;
	assert_int_equal(rs_u64map_set(&m, 0, 1), -EINVAL);
	assert_false(rs_u64map_get(&m, 5, &v));
	for (uint64_t k = 1; k <= 1000; k++)
		assert_int_equal(rs_u64map_set(&m, k * 0x9e3779b97f4a7c15ull, k % 10), 0);
	assert_int_equal(rs_u64map_set(&m, 0x9e3779b97f4a7c15ull, 9), 0); /* update */
	assert_int_equal(m.n, 1000);
	assert_true(rs_u64map_get(&m, 0x9e3779b97f4a7c15ull, &v));
	assert_int_equal(v, 9);
	/* values 0..4 go: 500 keys, minus key 1 (now 9) which stays */
	assert_int_equal(rs_u64map_drop_below(&m, 5), 499);
	assert_int_equal(m.n, 501);
	assert_false(rs_u64map_get(&m, 10 * 0x9e3779b97f4a7c15ull, &v));
	assert_true(rs_u64map_get(&m, 9 * 0x9e3779b97f4a7c15ull, &v));
	rs_u64map_clear(&m);
	assert_int_equal(m.n, 0);
}

static void test_window_schedule(void **state)
{
	(void)state;
	/* one-shot: no interval, ends at the stop */
	assert_int_equal(rs_window_end(S(100), 0, S(110), S(100)), S(110));
	/* until interrupted: never */
	assert_true(rs_window_end(S(100), 0, 0, S(105)) == UINT64_MAX);
	/* continuous: on multiples of the interval after the start, whatever the lateness */
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(100)), S(110));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(109)), S(110));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(110)), S(120));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(110) + MS(3)), S(120));
	assert_int_equal(rs_window_end(S(100), S(10), 0, S(99)), S(110));
	/* -d cuts the last window short */
	assert_int_equal(rs_window_end(S(100), S(10), S(125), S(121)), S(125));
	assert_int_equal(rs_window_end(S(100), S(10), S(125), S(111)), S(120));
	/* no overflow near the end of time */
	assert_true(rs_window_end(UINT64_MAX - 5, S(10), 0, UINT64_MAX - 1) == UINT64_MAX);
}

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
	ops.record(ops.ctx, &r);
	r.time_ns = MS(200);
	ops.record(ops.ctx, &r);
	rec_init(&r, RS_PREC_SAMPLE, 2, MS(210)); /* a kernel thread: no user stack to miss */
	r.flags = RS_TF_KTHREAD;
	ops.record(ops.ctx, &r);
	/* the window is cut at 250 ms: a sample taken at 260 ms belongs to the next one */
	rs_profwin_set_cut(w, MS(250));
	rec_init(&r, RS_PREC_SAMPLE, 43, MS(240));
	ops.record(ops.ctx, &r);
	r.time_ns = MS(260);
	ops.record(ops.ctx, &r);
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
	ops.record(ops.ctx, &r);
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

static void test_format_names(void **state)
{
	enum rs_format f;

	(void)state;
	assert_int_equal(rs_format_parse("svg", &f), 0);
	assert_int_equal(f, RS_FMT_SVG);
	assert_int_equal(rs_format_parse("speedscope", &f), 0);
	assert_string_equal(rs_format_suffix(f), ".speedscope.json");
	assert_string_equal(rs_format_suffix(RS_FMT_PPROF), ".pb.gz");
	assert_string_equal(rs_format_suffix(RS_FMT_FOLDED), ".folded");
	assert_int_equal(rs_format_parse("png", &f), -EINVAL);
}

static void test_profile_stamp(void **state)
{
	char buf[32];

	(void)state;
	/* 2025-11-26 19:08:12.123456789 UTC */
	assert_int_equal(rs_profile_stamp(1764184092123456789ll, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20251126T190812.123Z");
	assert_int_equal(rs_profile_stamp(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "19700101T000000.000Z");
	assert_int_equal(rs_profile_stamp(-1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(rs_profile_stamp(0, buf, 20), -EINVAL);
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/rsample-test-sampler-XXXXXX", *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void rm_tree(const char *dir, const char *const *names)
{
	char path[512];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0); /* fails if anything else was left behind */
}

static void test_profile_path_collisions(void **state)
{
	char *dir = make_tmpdir(), *p = NULL, *q = NULL, *r = NULL, want[512];
	FILE *f;

	(void)state;
	assert_int_equal(rs_profile_path(dir, 1764184092123456789ll, RS_FMT_SVG, &p), 0);
	snprintf(want, sizeof(want), "%s/20251126T190812.123Z.svg", dir);
	assert_string_equal(p, want);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	/* taken: the next free name */
	assert_int_equal(rs_profile_path(dir, 1764184092123456789ll, RS_FMT_SVG, &q), 0);
	snprintf(want, sizeof(want), "%s/20251126T190812.123Z-1.svg", dir);
	assert_string_equal(q, want);
	/* a trailing slash does not double */
	snprintf(want, sizeof(want), "%s/", dir);
	assert_int_equal(rs_profile_path(want, 0, RS_FMT_FOLDED, &r), 0);
	assert_null(strstr(r, "//"));
	rm_tree(dir, (const char *const[]){ "20251126T190812.123Z.svg", NULL });
	free(p);
	free(q);
	free(r);
	free(dir);
}

struct wctx {
	const char *text;
	int fail;
};

static int writer(FILE *f, void *ctx)
{
	const struct wctx *c = ctx;

	fputs(c->text, f);
	return c->fail;
}

static void test_write_atomic(void **state)
{
	char *dir = make_tmpdir(), path[512], err[1024], buf[64] = "";
	struct wctx ok = { "hello\n", 0 }, bad = { "half", -EIO };
	mode_t old_mask = umask(022);
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/p.folded", dir);
	assert_int_equal(rs_write_atomic(path, writer, &ok, err, sizeof(err)), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "hello\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644); /* the umask's, not mkstemp's 0600 */
	/* a failing writer leaves neither the file nor a temporary behind */
	snprintf(path, sizeof(path), "%s/q.folded", dir);
	assert_int_equal(rs_write_atomic(path, writer, &bad, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "cannot write '"));
	assert_non_null(strstr(err, "q.folded"));
	assert_int_equal(access(path, F_OK), -1);
	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/missing/x.svg", dir);
	assert_int_equal(rs_write_atomic(path, writer, &ok, err, sizeof(err)), -ENOENT);
	rm_tree(dir, (const char *const[]){ "p.folded", NULL });
	free(dir);
	umask(old_mask);
}

static void test_dir_check_writable(void **state)
{
	char *dir = make_tmpdir(), path[512], err[1024];
	FILE *f;

	(void)state;
	assert_int_equal(rs_dir_check_writable(dir, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(rs_dir_check_writable(path, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "cannot write to '"));
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(rs_dir_check_writable(path, err, sizeof(err)), -ENOENT);
	assert_null(strchr(err, '\n'));
	rm_tree(dir, (const char *const[]){ "file", NULL }); /* the probe file is gone */
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agg_sums_equal_keys),
		cmocka_unit_test(test_agg_keeps_first_names),
		cmocka_unit_test(test_agg_grows),
		cmocka_unit_test(test_ufpcache_put_get_replace),
		cmocka_unit_test(test_ufpcache_trim),
		cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_window_schedule),
		cmocka_unit_test(test_window_routing),
		cmocka_unit_test(test_profwin_oncpu_windows),
		cmocka_unit_test(test_profwin_offcpu_sums),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_profile_stamp),
		cmocka_unit_test(test_profile_path_collisions),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_dir_check_writable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
