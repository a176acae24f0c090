// SPDX-License-Identifier: GPL-2.0
/* Unit tests for ingest.c: Pyroscope's POST /ingest request for one profile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "push/push.h"
#include "profile_data.h"

static const struct rs_push_label labels[] = {
	{ "namespace", "default" },
	{ "pod", "web-0" },
	{ "container", "a,b=c{d}" }, /* characters that would end a label are replaced */
	{ "node", "node 1" },
};

static const struct rs_push_cfg cfg = {
	.url = "http://pyroscope:4040/",
	.app = "rsample",
	.labels = labels,
	.n_labels = 4,
};

static void test_ingest_oncpu_request(void **state)
{
	struct rs_profile p = { 0 };
	struct rs_push_req r;
	const char *b;

	(void)state;
	pd_build_oncpu(&p);
	assert_int_equal(rs_push_req_build(&cfg, &p, &r), 0);
	/* start 1700000000.123 s, 10 s long */
	assert_string_equal(
	    r.url,
	    "http://pyroscope:4040/ingest?name=rsample%7Bnamespace%3Ddefault%2Cpod%3Dweb-0%2Ccontainer%3Da_b_c_d_%2Cnode%3Dnode%201%7D&from=1700000000&until=1700000010&format=pprof&sampleRate=99&spyName=rsample");
	assert_true(!strncmp(r.content_type, "multipart/form-data; boundary=rsample-", 38));
	b = strchr(r.content_type, '=') + 1;
	assert_true(!strncmp(r.body, "--", 2) && !strncmp(r.body + 2, b, strlen(b)));
	assert_non_null(strstr(r.body, "Content-Disposition: form-data; name=\"profile\"; "
				       "filename=\"profile.pb.gz\"\r\n"));
	assert_non_null(memmem(r.body, r.len, "\r\n\r\n\x1f\x8b", 6)); /* gzip'd */
	assert_null(memmem(r.body, r.len, "sample_type_config", 18));
	assert_true(r.len > 4 && !memcmp(r.body + r.len - 4, "--\r\n", 4));
	assert_string_equal(r.what, "on-CPU profile of 22:13:20-22:13:30 UTC");
	rs_push_req_clear(&r);
	rs_profile_clear(&p);
}

static void test_ingest_offcpu_names_its_sample_types(void **state)
{
	struct rs_profile p = { 0 };
	struct rs_push_req r;

	(void)state;
	pd_build_offcpu(&p);
	assert_int_equal(rs_push_req_build(&cfg, &p, &r), 0);
	assert_null(strstr(r.url, "sampleRate"));
	assert_non_null(memmem(r.body, r.len,
			       "name=\"sample_type_config\"; filename=\"sample_type_config.json\"",
			       61));
	assert_non_null(memmem(r.body, r.len, "\"display-name\":\"off_cpu\"", 24));
	rs_push_req_clear(&r);
	rs_profile_clear(&p);
}

static void test_ingest_urlencode(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	rs_push_urlencode(f, "a-b_c.d~e f/g&h=%");
	fclose(f);
	assert_string_equal(buf, "a-b_c.d~e%20f%2Fg%26h%3D%25");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_oncpu_request),
		cmocka_unit_test(test_ingest_offcpu_names_its_sample_types),
		cmocka_unit_test(test_ingest_urlencode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
