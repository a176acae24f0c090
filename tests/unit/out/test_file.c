// SPDX-License-Identifier: GPL-2.0
/* out/file.c: formats and suffixes, timestamped names, atomic writes. */
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

/* ---- the window engine, fed by hand ---- */

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

static void read_back(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	buf[0] = 0;
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
}

static void test_write_output_in_place(void **state)
{
	char *dir = make_tmpdir(), file[512], link[512], sub[512], fifo[512], err[1024], buf[64];
	struct wctx ok = { "hello\n", 0 };
	struct stat st;

	(void)state;
	/* a character device is written, not replaced */
	assert_int_equal(rs_output_check("/dev/null", err, sizeof(err)), 0);
	assert_int_equal(rs_write_output("/dev/null", writer, &ok, err, sizeof(err)), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	/* a symlink to a regular file: written through, the link stays a link */
	snprintf(file, sizeof(file), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(rs_write_output(file, writer, &(struct wctx){ "old and longer\n", 0 }, err,
					 sizeof(err)),
			 0);
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(rs_write_output(link, writer, &ok, err, sizeof(err)), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	read_back(file, buf, sizeof(buf));
	assert_string_equal(buf, "hello\n"); /* the old content is gone */
	/* a FIFO without a reader is writable in place; it is not opened by the check */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(rs_output_check(fifo, err, sizeof(err)), 0);
	/* a directory, or a symlink to one, is refused with one line */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(rs_output_check(sub, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "Is a directory (give a file name)"));
	assert_null(strchr(err, '\n'));
	/* a regular file or a new name: checked through its directory */
	assert_int_equal(rs_output_check(file, err, sizeof(err)), 0);
	snprintf(buf, sizeof(buf), "%s", "/nonexistent-dir/x.folded");
	assert_int_equal(rs_output_check(buf, err, sizeof(err)), -ENOENT);
	assert_int_equal(rmdir(sub), 0);
	rm_tree(dir, (const char *const[]){ "target", "link", "fifo", NULL });
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_profile_stamp),
		cmocka_unit_test(test_profile_path_collisions),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_dir_check_writable),
		cmocka_unit_test(test_write_output_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
