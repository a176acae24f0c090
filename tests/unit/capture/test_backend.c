// SPDX-License-Identifier: GPL-2.0
/* --backend: which capture ran, and what is said about it (rs_capture_select). */
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
#include "capture/capture.h"

/* This very process: one thread, blocked in nothing but readable. */
static void select_self(enum rs_backend b, int *e, enum rs_backend *used, char *notice, size_t nlen,
			char *err, size_t elen, size_t *n)
{
	uint32_t tgid = (uint32_t)getpid();
	struct rs_resolved tgt = { .tgids = &tgid, .n_tgids = 1 };
	struct rs_capture_cfg cfg = { .target = &tgt,
				      .stack_bytes = RS_USTACK_DEFAULT,
				      .oncpu_wait_ms = 100 };
	struct rs_capture *cap = NULL;

	*e = rs_capture_select(b, &cfg, &cap, used, notice, nlen, err, elen);
	*n = cap ? cap->n : 0;
	rs_capture_free(cap);
}

static void test_backend_proc_is_proc_and_quiet(void **state)
{
	char notice[512] = "x", err[1024] = "";
	enum rs_backend used = RS_BACKEND_BPF;
	size_t n;
	int e;

	(void)state;
	select_self(RS_BACKEND_PROC, &e, &used, notice, sizeof(notice), err, sizeof(err), &n);
	assert_int_equal(e, 0);
	assert_int_equal(used, RS_BACKEND_PROC);
	assert_string_equal(notice, "");
	assert_int_equal(n, 1);
}

/* auto: BPF when it loads here; otherwise /proc, and never without a notice saying why. */
static void test_backend_auto_says_when_it_falls_back(void **state)
{
	char notice[512] = "x", err[1024] = "";
	enum rs_backend used;
	size_t n;
	int e;

	(void)state;
	select_self(RS_BACKEND_AUTO, &e, &used, notice, sizeof(notice), err, sizeof(err), &n);
	assert_int_equal(e, 0);
	assert_true(n >= 1);
	if (used == RS_BACKEND_BPF) {
		assert_string_equal(notice, "");
	} else {
		assert_int_equal(used, RS_BACKEND_PROC);
		assert_non_null(strstr(notice, "snapshot from /proc, not BPF: "));
		assert_true(strlen(notice) > strlen("snapshot from /proc, not BPF: "));
		assert_null(strchr(notice, '\n'));
	}
}

/* bpf: no fallback; a failure is the BPF capture's own message. */
static void test_backend_bpf_never_falls_back(void **state)
{
	char notice[512] = "x", err[1024] = "";
	enum rs_backend used;
	size_t n;
	int e;

	(void)state;
	select_self(RS_BACKEND_BPF, &e, &used, notice, sizeof(notice), err, sizeof(err), &n);
	assert_int_equal(used, RS_BACKEND_BPF);
	assert_string_equal(notice, "");
	if (e) {
		assert_non_null(strstr(err, "BPF"));
		assert_null(strstr(err, "/proc fallback"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_proc_is_proc_and_quiet),
		cmocka_unit_test(test_backend_auto_says_when_it_falls_back),
		cmocka_unit_test(test_backend_bpf_never_falls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
