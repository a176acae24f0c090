/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmocka helpers shared by the profile writers' tests: fixtures in
 * tests/fixtures/profile/, the two hand-built profiles, rendering a writer
 * into memory. Include after <cmocka.h>.
 */
#ifndef RS_TEST_OUT_TEST_H
#define RS_TEST_OUT_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "profile_data.h"

#define PFIX RS_FIXTURES "/profile/"

/* The on-CPU and off-CPU profiles, built for every test and freed after it. */
struct pd_state {
	struct rs_profile on, off;
	const struct rs_profile *both[2];
};

static inline int pd_setup(void **state)
{
	struct pd_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -1;
	pd_build_oncpu(&st->on);
	pd_build_offcpu(&st->off);
	st->both[0] = &st->on;
	st->both[1] = &st->off;
	*state = st;
	return 0;
}

static inline int pd_teardown(void **state)
{
	struct pd_state *st = *state;

	rs_profile_clear(&st->on);
	rs_profile_clear(&st->off);
	free(st);
	return 0;
}

/* Reverses the samples of p: writers must not depend on the order they come in. */
static inline void pd_reverse(struct rs_profile *p)
{
	for (size_t i = 0; i < p->n_samples / 2; i++) {
		struct rs_psample tmp = p->samples[i];

		p->samples[i] = p->samples[p->n_samples - 1 - i];
		p->samples[p->n_samples - 1 - i] = tmp;
	}
	for (size_t i = 0; i < p->n_mappings / 2; i++) {
		struct rs_pmapping tmp = p->mappings[i];

		p->mappings[i] = p->mappings[p->n_mappings - 1 - i];
		p->mappings[p->n_mappings - 1 - i] = tmp;
	}
}

static inline char *pd_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		fail_msg("cannot open '%s'", path);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Compares got with tests/fixtures/profile/<name>; on a difference writes
 * got to $(OUT)/tests/actual-<name> and fails with the diff command. Frees got.
 */
static inline void pd_expect_file(const char *name, char *got, size_t got_len)
{
	char path[512], actual[512];
	size_t want_len;
	char *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", PFIX, name);
	want = pd_slurp(path, &want_len);
	if (want_len != got_len || memcmp(want, got, got_len)) {
		snprintf(actual, sizeof(actual), "%s/tests/actual-%s", RS_BUILD, name);
		f = fopen(actual, "w");
		if (f) {
			fwrite(got, 1, got_len, f);
			fclose(f);
		}
		free(want);
		free(got);
		fail_msg("output differs from %s: diff -u %s %s", path, path, actual);
	}
	free(want);
	free(got);
}

/*
 * Runs the shell command cmd with the path of a temporary file holding
 * data[0..len) appended (an independent checker, python3 here). Returns what
 * it printed (malloc'd, NUL-terminated) and its wait status in *status.
 */
static inline char *pd_run_on(const char *cmd, const char *data, size_t len, int *status)
{
	char tmp[] = "/tmp/rs-out-XXXXXX", *line, *out = NULL;
	size_t cap = 0, n = 0, r;
	int fd = mkstemp(tmp);
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_true(asprintf(&line, "%s %s", cmd, tmp) > 0);
	p = popen(line, "r");
	if (!p)
		fail_msg("cannot run '%s': %s", cmd, strerror(errno));
	do {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 1024;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		r = fread(out + n, 1, cap - n - 1, p);
		n += r;
	} while (r);
	out[n] = '\0';
	*status = pclose(p);
	unlink(tmp);
	free(line);
	return out;
}

/* Runs a writer into memory; the result is NUL-terminated and malloc'd. */
#define PD_RENDER(len, call_with_f)                                                                \
	({                                                                                         \
		char *_buf = NULL;                                                                 \
		FILE *f = open_memstream(&_buf, (len));                                            \
		assert_non_null(f);                                                                \
		assert_int_equal((call_with_f), 0);                                                \
		assert_int_equal(fclose(f), 0);                                                    \
		_buf;                                                                              \
	})

#endif
