// SPDX-License-Identifier: GPL-2.0
/*
 * Profile files: formats, timestamped names, atomic writes and -o's target
 * (out.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "out/out.h"

static const struct {
	const char *name, *suffix;
	enum rs_format fmt;
} formats[] = {
	{ "folded", ".folded", RS_FMT_FOLDED },
	{ "svg", ".svg", RS_FMT_SVG },
	{ "pprof", ".pb.gz", RS_FMT_PPROF },
	{ "speedscope", ".speedscope.json", RS_FMT_SPEEDSCOPE },
};

int rs_format_parse(const char *name, enum rs_format *out)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(name, formats[i].name)) {
			*out = formats[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

const char *rs_format_suffix(enum rs_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fmt == f)
			return formats[i].suffix;
	return "";
}

int rs_profile_stamp(int64_t unix_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(unix_ns / 1000000000);
	struct tm tm;
	size_t n;

	if (unix_ns < 0 || len < 21 || !gmtime_r(&sec, &tm))
		return -EINVAL;
	n = strftime(buf, len, "%Y%m%dT%H%M%S", &tm);
	if (n != 15)
		return -EINVAL;
	snprintf(buf + n, len - n, ".%03dZ", (int)(unix_ns / 1000000 % 1000));
	return 0;
}

int rs_profile_path(const char *dir, int64_t unix_ns, enum rs_format f, char **out)
{
	const char *suffix = rs_format_suffix(f);
	char stamp[32];
	size_t dl = strlen(dir);
	int e;

	e = rs_profile_stamp(unix_ns, stamp, sizeof(stamp));
	if (e)
		return e;
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (int n = 0; n < 1000; n++) {
		char *p;
		int r = n ? asprintf(&p, "%.*s/%s-%d%s", (int)dl, dir, stamp, n, suffix)
			  : asprintf(&p, "%.*s/%s%s", (int)dl, dir, stamp, suffix);

		if (r < 0)
			return -ENOMEM;
		if (access(p, F_OK)) {
			*out = p;
			return 0;
		}
		free(p);
	}
	return -EEXIST;
}

/* "DIR/.NAME.XXXXXX" beside path. */
static char *temp_name(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *t = NULL;

	if (a && b && asprintf(&t, "%s/.%s.XXXXXX", dirname(a), basename(b)) < 0)
		t = NULL;
	free(a);
	free(b);
	return t;
}

static int fail(char *err, size_t errlen, const char *path, int e)
{
	snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-e));
	return e;
}

/* Writes what fn writes into fd (fsync'd with sync) and closes it. Returns 0 or -errno. */
static int write_fd(int fd, rs_write_fn fn, void *ctx, bool sync)
{
	FILE *f = fdopen(fd, "w");
	int e;

	if (!f) {
		e = -errno;
		close(fd);
		return e;
	}
	e = fn(f, ctx);
	if (e == -EIO && ferror(f) && errno)
		e = -errno;
	if (!e && fflush(f))
		e = -errno;
	if (!e && sync && fsync(fileno(f)))
		e = -errno;
	if (fclose(f) && !e)
		e = -errno;
	return e;
}

int rs_write_atomic(const char *path, rs_write_fn fn, void *ctx, char *err, size_t errlen)
{
	char *tmp = temp_name(path);
	mode_t mask;
	int fd, e;

	if (!tmp)
		return fail(err, errlen, path, -ENOMEM);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = -errno;
		free(tmp);
		return fail(err, errlen, path, e);
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	e = write_fd(fd, fn, ctx, true);
	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
	free(tmp);
	return e ? fail(err, errlen, path, e) : 0;
}

int rs_dir_check_writable(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char *tmp = NULL;
	int fd, e = 0;

	if (stat(dir, &st))
		e = -errno;
	else if (!S_ISDIR(st.st_mode))
		e = -ENOTDIR;
	else if (asprintf(&tmp, "%s/.rsample-probe.XXXXXX", dir) < 0)
		e = -ENOMEM;
	else if ((fd = mkstemp(tmp)) < 0)
		e = -errno;
	else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	if (e)
		snprintf(err, errlen, "cannot write to '%s': %s", dir, strerror(-e));
	return e;
}

/* Whether path is a name rs_write_atomic() may rename over: a regular file, or nothing yet. */
static int replaceable(const char *path, bool *out)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno != ENOENT)
			return -errno;
		*out = true;
		return 0;
	}
	*out = S_ISREG(st.st_mode);
	return 0;
}

int rs_output_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	bool regular = false;
	char *copy;
	int e;

	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot write the profile to '%s': %s (give a file name)",
			 path, strerror(EISDIR));
		return -EISDIR;
	}
	e = replaceable(path, &regular);
	if (e)
		return fail(err, errlen, path, e);
	if (!regular) /* a device, FIFO, socket or symlink: written in place */
		return access(path, W_OK) ? fail(err, errlen, path, -errno) : 0;
	copy = strdup(path);
	if (!copy)
		return fail(err, errlen, path, -ENOMEM);
	e = rs_dir_check_writable(dirname(copy), err, errlen);
	free(copy);
	return e;
}

/* Whether path is our own stdout (/dev/stdout, /proc/self/fd/1, or the file it points to). */
static bool is_stdout(const char *path)
{
	struct stat a, b;

	return !stat(path, &a) && !fstat(STDOUT_FILENO, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Writes into path as it is (no temporary, no rename): a device, FIFO,
 * socket or symlink. Our own stdout is written through its descriptor, so a
 * pipe, a terminal or a file opened for appending gets what it expects.
 */
static int write_in_place(const char *path, rs_write_fn fn, void *ctx)
{
	bool out = is_stdout(path);
	struct stat st;
	int fd, e;

	fd = out ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
		 : open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Another name for a regular file (a symlink to one): its old content goes. */
	if (!out && !fstat(fd, &st) && S_ISREG(st.st_mode) && ftruncate(fd, 0)) {
		e = -errno;
		close(fd);
		return e;
	}
	return write_fd(fd, fn, ctx, false);
}

int rs_write_output(const char *path, rs_write_fn fn, void *ctx, char *err, size_t errlen)
{
	bool regular = false;
	int e = replaceable(path, &regular);

	if (!e && regular)
		return rs_write_atomic(path, fn, ctx, err, errlen);
	if (!e)
		e = write_in_place(path, fn, ctx);
	return e ? fail(err, errlen, path, e) : 0;
}
