/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where profiles go: formats and their file suffixes, timestamped names for
 * continuous mode, and atomic writes (a temporary file in the same
 * directory, flushed to disk, then renamed over the final name), so a
 * reader never sees half a profile and a full disk leaves no debris.
 */
#ifndef RS_PROFILE_FILE_H
#define RS_PROFILE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile/profile.h"

/* "folded", "svg", "pprof" or "speedscope" to a format. Returns 0 or -EINVAL. */
int rs_format_parse(const char *name, enum rs_format *out);
/* The file suffix of a format: ".folded", ".svg", ".pb.gz", ".speedscope.json". */
const char *rs_format_suffix(enum rs_format f);

/*
 * The UTC time unix_ns as "YYYYmmddTHHMMSS.mmmZ" (sorts by time, no ':'
 * for file systems that refuse it). Returns 0 or -EINVAL (time out of
 * range, or len < 21).
 */
int rs_profile_stamp(int64_t unix_ns, char *buf, size_t len);
/*
 * The file for the window that began at unix_ns in dir:
 * "DIR/<stamp><suffix>", or "DIR/<stamp>-N<suffix>" (N = 1, 2, ...) when
 * the name is taken. *out is malloc'd. Returns 0, -ENOMEM, or -EEXIST after
 * 1000 tries.
 */
int rs_profile_path(const char *dir, int64_t unix_ns, enum rs_format f, char **out);

/* Writes the content of a file to f; 0 or -errno. */
typedef int (*rs_write_fn)(FILE *f, void *ctx);
/*
 * Creates path atomically with what fn writes: a temporary ".NAME.XXXXXX"
 * beside it, fsync'd, renamed over path. On failure nothing is left behind
 * and err holds "cannot write 'PATH': CAUSE". Returns 0 or -errno (-ENOSPC,
 * -EDQUOT, -EROFS, -EACCES, -EIO, ...).
 */
int rs_write_atomic(const char *path, rs_write_fn fn, void *ctx, char *err, size_t errlen);
/*
 * Checks that files can be created in dir (creates and removes a temporary
 * file). Returns 0 or -errno with "cannot write to 'DIR': CAUSE" in err.
 */
int rs_dir_check_writable(const char *dir, char *err, size_t errlen);

#endif
