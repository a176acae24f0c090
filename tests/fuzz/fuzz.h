/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the libFuzzer targets (tests/fuzz/<target>.c): inputs as C
 * strings, and as memfds for parsers that read a path.
 */
#ifndef RS_FUZZ_H
#define RS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a malloc'd NUL-terminated string (an embedded NUL ends it early). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_dir[4096];

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fuzz_rmdir(void)
{
	nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A private temporary directory under $TMPDIR (run.sh: one it removes after
 * each target, as a crash skips atexit), made once and removed at exit.
 */
static inline const char *fuzz_tmpdir(void)
{
	if (!fuzz_dir[0]) {
		const char *tmp = getenv("TMPDIR");

		if (snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/rsfuzz.XXXXXX",
			     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(fuzz_dir))
			abort();
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_rmdir);
	}
	return fuzz_dir;
}

/*
 * A memfd for inputs that parsers read by path (no disk write per run): its
 * "/proc/self/fd/N" path in path[len]; fd returned. Aborts on failure, as
 * fuzz_fill() does: the harness failing is not a finding.
 */
static inline int fuzz_memfd(const char *name, char *path, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		abort();
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* Makes the memfd hold exactly data[0..size). */
static inline void fuzz_fill(int fd, const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
}

#endif
