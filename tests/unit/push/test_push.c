// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for push.c: the sender's queue, retries and drops, with the
 * transport (transport.c) replaced by the fake below: this file defines
 * rs_push_http_init() and rs_push_http_post(), so the linker never takes
 * transport.o from the archive.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "lib/lib.h"
#include "push/push.h"
#include "push/push_priv.h"
#include "profile_data.h"

/* The fake server: answers[i] for the i-th request (0: hang until aborted), then 200. */
static long answers[16];
static size_t n_answers;
static atomic_int calls;

int rs_push_http_init(char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return 0;
}

int rs_push_http_post(const struct rs_push_req *r, uint64_t timeout_ns, atomic_bool *abort,
		      long *status, char *body, size_t bodylen, char *err, size_t errlen)
{
	int i = atomic_fetch_add(&calls, 1);
	long a = (size_t)i < n_answers ? answers[i] : 200;
	uint64_t end = rs_mono_ns() + timeout_ns;

	(void)r;
	snprintf(body, bodylen, "fake body\nsecond line");
	if (a == 0) {
		while (!atomic_load(abort) && rs_mono_ns() < end)
			usleep(1000);
		snprintf(err, errlen, "aborted");
		return atomic_load(abort) ? -ECANCELED : -ETIMEDOUT;
	}
	if (a < 0) {
		snprintf(err, errlen, "Couldn't connect to server");
		return (int)a;
	}
	*status = a;
	return 0;
}

static struct rs_profile prof;

static int setup(void **state)
{
	(void)state;
	memset(&prof, 0, sizeof(prof));
	pd_build_oncpu(&prof);
	atomic_store(&calls, 0);
	n_answers = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rs_profile_clear(&prof);
	return 0;
}

static struct rs_push *start(size_t queue, uint64_t flush_ns)
{
	struct rs_push_cfg cfg = { .url = "http://127.0.0.1:1",
				   .app = "rsample",
				   .queue_max = queue,
				   .flush_ns = flush_ns,
				   .backoff_min_ns = 2000000,
				   .backoff_max_ns = 8000000 };
	struct rs_push *s = NULL;
	char err[256];

	assert_int_equal(rs_push_new(&cfg, &s, err, sizeof(err)), 0);
	return s;
}

static void test_push_retries_then_sends(void **state)
{
	struct rs_push_stats st;
	struct rs_push *s;

	(void)state;
	answers[0] = 503, answers[1] = -ECONNREFUSED, answers[2] = 429, n_answers = 3;
	s = start(4, 2000000000ull);
	assert_int_equal(rs_push_profile(s, &prof), 0);
	assert_int_equal(rs_push_profile(s, &prof), 0);
	rs_push_free(s, &st);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.retries, 3);
	assert_int_equal(st.drop_full + st.drop_fail + st.drop_exit + st.drop_build, 0);
}

static void test_push_4xx_drops_at_once(void **state)
{
	struct rs_push_stats st;
	struct rs_push *s;

	(void)state;
	answers[0] = 400, n_answers = 1;
	s = start(4, 2000000000ull);
	assert_int_equal(rs_push_profile(s, &prof), 0);
	rs_push_free(s, &st);
	assert_int_equal(atomic_load(&calls), 1);
	assert_int_equal(st.drop_fail, 1);
	assert_int_equal(st.retries, 0);
	/* the status and the body's first line, for the message */
	assert_non_null(strstr(st.last_error, "the server answered HTTP 400: fake body"));
	assert_null(strstr(st.last_error, "second line"));
}

static void test_push_full_queue_drops_oldest_and_flush_is_bounded(void **state)
{
	struct rs_push_stats st;
	struct rs_push *s;
	uint64_t since, t0;

	(void)state;
	answers[0] = 0, n_answers = 1; /* the first request hangs */
	s = start(2, 200000000ull);
	for (int i = 0; i < 5; i++)
		assert_int_equal(rs_push_profile(s, &prof), 0);
	/* 1 in flight (or about to be), at most 2 waiting: at least 2 pushed out */
	rs_push_stats(s, &st, &since);
	assert_true(st.drop_full >= 2);
	assert_int_equal(since, st.drop_full);
	rs_push_stats(s, &st, &since);
	assert_int_equal(since, 0); /* said once */
	t0 = rs_mono_ns();
	rs_push_free(s, &st);
	assert_true(rs_mono_ns() - t0 < 2000000000ull); /* 200 ms flush, then aborted */
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.drop_full + st.drop_exit, 5);
	assert_non_null(strstr(st.last_error, "not sent within the flush time at exit"));
}

static void test_push_bad_url(void **state)
{
	struct rs_push_cfg cfg = { .url = "pyroscope:4040" };
	struct rs_push *s = NULL;
	char err[256];

	(void)state;
	assert_int_equal(rs_push_new(&cfg, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "invalid --push URL 'pyroscope:4040'"));
	cfg.url = "http:///ingest";
	assert_int_equal(rs_push_new(&cfg, &s, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_retries_then_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_4xx_drops_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_push_full_queue_drops_oldest_and_flush_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_bad_url, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
