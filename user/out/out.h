/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Profile output (out.h): the writers (folded.c, svg.c, pprof.c,
 * speedscope.c) of the model in profile/profile.h, and where their bytes go
 * (file.c): formats and their file suffixes, timestamped names for
 * continuous mode, and atomic writes (a temporary file in the same directory,
 * flushed to disk, then renamed over the final name), so a reader never sees
 * half a profile and a full disk leaves no debris.
 */
#ifndef RS_OUT_H
#define RS_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile/profile.h"

enum rs_group_by { RS_GROUP_NONE = 0, RS_GROUP_PROCESS, RS_GROUP_THREAD };
enum rs_format { RS_FMT_FOLDED = 0, RS_FMT_SVG, RS_FMT_PPROF, RS_FMT_SPEEDSCOPE };

/* ---- writers ---- */

/*
 * profs holds one or two profiles (on-CPU and/or off-CPU of
 * the same window); the caller keeps them. Output is deterministic: the same
 * data in any order gives the same bytes. Frames are named alike everywhere:
 * the function, else "module_basename+0xOFF", else "0xPC"; group_by adds
 * "comm (pid)" (RS_GROUP_PROCESS) and then "thread (tid)" (RS_GROUP_THREAD)
 * root frames (speedscope: one profile per process or thread instead). Each
 * returns 0, -EINVAL for n == 0, -ENOMEM, or -EIO for a stream error (errno
 * kept).
 *
 * folded: "root;...;leaf weight" lines in byte order, identical stacks summed;
 * on-CPU weights are samples, off-CPU ones microseconds (summed in ns, then
 * rounded; at least 1 for any time). Kernel frames are suffixed "_[k]",
 * inlined ones "_[i]", ';' in names becomes ':'. With both kinds, each stack
 * starts with "[on-cpu]" or "[off-cpu]" (units differ: compare within a kind).
 */
int rs_write_folded(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g);
/*
 * A self-contained interactive SVG flame graph (inline script and style, no
 * network): hover details, click to zoom, search with the matched share,
 * reset. One panel per kind, on-CPU warm, off-CPU blue; weights as in folded.
 * title NULL: "rsample flame graph"; the subtitle has the target, start and
 * duration, each panel's header its total and lost count.
 */
int rs_write_svg(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g,
		 const char *title);
/*
 * pprof: a gzip-compressed perftools.profiles.Profile (user/pprof.proto) via
 * protobuf-c. On-CPU [samples/count, cpu/nanoseconds], period cpu/nanoseconds;
 * off-CPU [waits/count, off_cpu/nanoseconds]; both: the four, zeros for the
 * other kind. Inline chains are one location's lines, mappings carry
 * build-ids, samples labels pid, tid, comm, thread, state; lost counts and the
 * target are comments (out/pprof.c has the details).
 */
int rs_write_pprof(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g);
/*
 * speedscope's file format: one sampled profile per thread (RS_GROUP_THREAD),
 * process (RS_GROUP_PROCESS) or in all (RS_GROUP_NONE), and kind; on-CPU unit
 * "none" (samples), off-CPU "microseconds". name NULL: the target; lost counts
 * are appended to it (the format has no metadata field).
 */
int rs_write_speedscope(FILE *f, const struct rs_profile *const *profs, size_t n,
			enum rs_group_by g, const char *name);

/* ---- files (file.c) ---- */

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
 * -o's target: a regular file or a new name is written with
 * rs_write_atomic(); anything else (a character device such as /dev/null,
 * a FIFO, a socket, a symlink such as /dev/stdout) is opened as it is and
 * written in place, never replaced. Returns 0 or -errno with "cannot write
 * 'PATH': CAUSE" in err.
 */
int rs_write_output(const char *path, rs_write_fn fn, void *ctx, char *err, size_t errlen);
/*
 * Checks, before anything is sampled, that rs_write_output() can write path:
 * -EISDIR for a directory (err: "cannot write the profile to 'PATH': Is a
 * directory (give a file name)"), else the errors of
 * rs_dir_check_writable() on its directory (a regular file or a new name)
 * or of access(W_OK) (anything else), with the message in err.
 */
int rs_output_check(const char *path, char *err, size_t errlen);
/*
 * Checks that files can be created in dir (creates and removes a temporary
 * file). Returns 0 or -errno with "cannot write to 'DIR': CAUSE" in err.
 */
int rs_dir_check_writable(const char *dir, char *err, size_t errlen);

#endif
