// SPDX-License-Identifier: GPL-2.0
/*
 * speedscope output on the hand-built profiles, compared byte for byte with
 * tests/fixtures/profile/ .speedscope.json files (the exporter's version
 * aside), and read back by an independent parser (python3's json module)
 * that checks what speedscope needs: frame indexes in range, one weight per
 * sample, endValue the sum of the weights.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "out/out_priv.h"
#include "out_test.h"

/* Prints "profiles N frames M" and each profile's name, unit and sum on its own line. */
static const char checker[] =
    "python3 -c '\n"
    "import json, sys\n"
    "d = json.load(open(sys.argv[1]))\n"
    "assert d[\"$schema\"] == \"https://www.speedscope.app/file-format-schema.json\"\n"
    "assert d[\"exporter\"].startswith(\"rsample \") and d[\"activeProfileIndex\"] == 0\n"
    "frames = d[\"shared\"][\"frames\"]\n"
    "assert all(isinstance(f[\"name\"], str) for f in frames)\n"
    "print(\"profiles\", len(d[\"profiles\"]), \"frames\", len(frames))\n"
    "for p in d[\"profiles\"]:\n"
    "    assert p[\"type\"] == \"sampled\" and p[\"startValue\"] == 0\n"
    "    assert len(p[\"samples\"]) == len(p[\"weights\"]) > 0\n"
    "    assert all(0 <= i < len(frames) for s in p[\"samples\"] for i in s)\n"
    "    assert p[\"endValue\"] == sum(p[\"weights\"]) and min(p[\"weights\"]) > 0\n"
    "    print(p[\"name\"] + \"|\" + p[\"unit\"] + \"|\" + str(p[\"endValue\"]))\n"
    "' ";

/* Runs the checker; returns its output (malloc'd) after asserting it exited 0. */
static char *check_json(const char *json, size_t len)
{
	int status;
	char *out = pd_run_on(checker, json, len, &status);

	if (status)
		fail_msg("python3 rejected the JSON:\n%s", out);
	return out;
}

/* Replaces the exporter's version (the build's) with "VERSION". */
static size_t strip_version(char *s, size_t len)
{
	char *v = strstr(s, "\"exporter\": \"rsample "), *end;

	assert_non_null(v);
	v += strlen("\"exporter\": \"rsample ");
	end = strchr(v, '"');
	assert_non_null(end);
	memmove(v + 7, end, strlen(end) + 1);
	memcpy(v, "VERSION", 7);
	return len - (size_t)(end - v) + 7;
}

static void test_out_speedscope_both_by_thread(void **state)
{
	struct pd_state *st = *state;
	char *out, *checked;
	size_t len;

	out = PD_RENDER(&len, rs_write_speedscope(f, st->both, 2, RS_GROUP_THREAD, "demo"));
	checked = check_json(out, len);
	assert_string_equal(
	    checked, "profiles 7 frames 50\n"
		     "on-cpu: backend (4242) / backend (4242)|none|5\n"
		     "on-cpu: backend (4242) / tokio-rt-worker (4250)|none|175\n"
		     "on-cpu: envoy (5000) / envoy (5000)|none|40\n"
		     "on-cpu: envoy (5000) / wrk:worker_0 (5001)|none|7\n"
		     "off-cpu: backend (4242) / backend (4242)|microseconds|2500001\n"
		     "off-cpu: backend (4242) / tokio-rt-worker (4250)|microseconds|1200000\n"
		     "off-cpu: envoy (5000) / wrk:worker_0 (5001)|microseconds|35002\n");
	free(checked);
	/* lost counts in the name; frames merged by function and file, lowest line */
	assert_non_null(
	    strstr(out, "\"name\": \"demo (lost: 3 on-CPU samples, 1 off-CPU events)\""));
	assert_non_null(strstr(out, "{ \"name\": \"backend::cache::Cache::get\", \"file\": "
				    "\"src/cache.rs\", \"line\": 41 }"));
	assert_null(strstr(out, "\"line\": 45"));
	assert_non_null(strstr(out, "{ \"name\": \"operator\\\"\\\"_km(char const*)\""));
	assert_non_null(strstr(out, "{ \"name\": \"libfoo.so+0x1f30\", \"file\": "
				    "\"/usr/lib/libfoo.so\" }"));
	len = strip_version(out, len);
	pd_expect_file("both_thread.speedscope.json", out, len);
	/* the order samples come in does not matter */
	pd_reverse(&st->on);
	pd_reverse(&st->off);
	out = PD_RENDER(&len, rs_write_speedscope(f, st->both, 2, RS_GROUP_THREAD, "demo"));
	len = strip_version(out, len);
	pd_expect_file("both_thread.speedscope.json", out, len);
}

static void test_out_speedscope_by_process_and_none(void **state)
{
	struct pd_state *st = *state;
	char *out, *checked;
	size_t len;

	out = PD_RENDER(&len, rs_write_speedscope(f, st->both, 2, RS_GROUP_PROCESS, NULL));
	checked = check_json(out, len);
	assert_string_equal(checked, "profiles 4 frames 50\n"
				     "on-cpu: backend (4242)|none|180\n"
				     "on-cpu: envoy (5000)|none|47\n"
				     "off-cpu: backend (4242)|microseconds|3700001\n"
				     "off-cpu: envoy (5000)|microseconds|35002\n");
	/* no name: the target */
	assert_non_null(strstr(out, "\"name\": \"cgroup /kubepods/pod-demo (lost: "));
	free(checked);
	free(out);

	out = PD_RENDER(&len, rs_write_speedscope(f, st->both, 2, RS_GROUP_NONE, NULL));
	checked = check_json(out, len);
	assert_string_equal(checked, "profiles 2 frames 50\n"
				     "on-cpu: all|none|227\n"
				     "off-cpu: all|microseconds|3735003\n");
	free(checked);
	free(out);
}

static void test_out_speedscope_names(void **state)
{
	struct rs_profile p = { .kind = RS_PROF_ONCPU };
	const struct rs_profile *pp[] = { &p };
	struct rs_psample *s;
	char *out, *checked;
	size_t len;

	(void)state;
	s = pd_sample(&p, 1, 2, "a\"b", "t\\x", 0, 3, 0);
	pd_u(s, 0x10, "ctl\x01name\xff", "/bin/\"q\"", NULL, 0, false);
	pd_sample(&p, 1, 2, "a\"b", "t\\x", 0, 1, 0); /* no frames */
	out = PD_RENDER(&len, rs_write_speedscope(f, pp, 1, RS_GROUP_THREAD, "n\"\n"));
	checked = check_json(out, len);
	assert_string_equal(checked, "profiles 1 frames 2\n"
				     "on-cpu: a\"b (1) / t\\x (2)|none|4\n");
	assert_non_null(strstr(out, "\"name\": \"n\\\"?\",")); /* nothing lost: the name alone */
	assert_non_null(strstr(out, "{ \"name\": \"ctl?name?\", \"file\": \"/bin/\\\"q\\\"\" }"));
	assert_non_null(strstr(out, "{ \"name\": \"[no frames]\" }"));
	free(checked);
	free(out);
	rs_profile_clear(&p);
}

/* The checker is not a rubber stamp. */
static void test_out_speedscope_checker_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"$schema\": \"https://www.speedscope.app/file-format-schema.json\", "
		"\"exporter\": \"rsample x\", \"activeProfileIndex\": 0, "
		"\"shared\": {\"frames\": [{\"name\": \"a\"}]}, \"profiles\": [{\"type\": "
		"\"sampled\", \"name\": \"p\", \"unit\": \"none\", \"startValue\": 0, "
		"\"endValue\": %d, \"samples\": [[%d]], \"weights\": [3]}]}",
	};
	char json[512], *out;
	int status;

	(void)state;
	snprintf(json, sizeof(json), bad[0], 3, 0);
	free(pd_run_on(checker, json, strlen(json), &status));
	assert_int_equal(status, 0);
	snprintf(json, sizeof(json), bad[0], 4, 0); /* endValue is not the sum */
	out = pd_run_on(checker, json, strlen(json), &status);
	assert_int_not_equal(status, 0);
	free(out);
	snprintf(json, sizeof(json), bad[0], 3, 1); /* no frame 1 */
	out = pd_run_on(checker, json, strlen(json), &status);
	assert_int_not_equal(status, 0);
	free(out);
}

static void test_out_speedscope_errors(void **state)
{
	struct pd_state *st = *state;
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	assert_int_equal(rs_write_speedscope(f, st->both, 2, RS_GROUP_THREAD, NULL), -EIO);
	fclose(f);
	assert_int_equal(rs_write_speedscope(stdout, st->both, 0, RS_GROUP_THREAD, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_speedscope_both_by_thread, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_speedscope_by_process_and_none, pd_setup,
						pd_teardown),
		cmocka_unit_test(test_out_speedscope_names),
		cmocka_unit_test(test_out_speedscope_checker_rejects),
		cmocka_unit_test_setup_teardown(test_out_speedscope_errors, pd_setup, pd_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
