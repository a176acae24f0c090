/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every stage uses and none owns: reading whole files, UTF-8, durations, byte counts,
 * JSON strings, the one hash function and the one hash table, the heap
 * populated ahead, and the "rsample: " prefix of messages. Depends on nothing else in user/.
 */
#ifndef RS_LIB_H
#define RS_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* ---- files (readfile.c) ---- */

/*
 * Reads a whole file to EOF (procfs files report st_size 0 and come in
 * pieces). *out is malloc'd and NUL-terminated, *len excludes the NUL; both
 * untouched on failure. Returns 0 or -errno.
 */
int rs_read_file(const char *path, char **out, size_t *len);

/* ---- paths (path.c) ---- */

/*
 * Cleans path in place, by its text alone (nothing is looked up, symlinks
 * are not followed): repeated '/', "." and a trailing '/' go, "name/.."
 * goes, ".." of the root of an absolute path is the root, and a relative
 * path keeps the leading ".." it cannot resolve. "" becomes ".". The result
 * is never longer.
 */
void rs_path_clean(char *path);

/* ---- UTF-8 (utf8.c) ---- */

/*
 * Length (2 to 4) of the valid UTF-8 sequence starting at s, which has n
 * bytes left, or 0 when it is not one (ASCII, stray continuation byte,
 * overlong form, surrogate, above U+10FFFF, cut short).
 */
size_t rs_utf8_seq_len(const char *s, size_t n);
/*
 * Writes at most len bytes of s (less at a NUL) to f for a human. Control
 * bytes and bytes that are not valid UTF-8 become \xNN, and when quoted, "
 * and \ get a backslash: names come from the target and must not drive the
 * terminal. The caller holds f's lock (flockfile) or is its only user
 * (open_memstream): the writes are the _unlocked stdio calls.
 */
void rs_fput_safe(FILE *f, const char *s, size_t len, bool quoted);
/*
 * Writes code point cp as UTF-8 to out (room for 4 bytes) and returns its
 * length, or 0 for a surrogate or a value above U+10FFFF.
 */
size_t rs_utf8_encode(uint32_t cp, char *out);
/*
 * Writes at most n bytes of s (less at a NUL) as a JSON string, quotes
 * included: '"', '\' and control bytes escaped, bytes that are not valid
 * UTF-8 as U+FFFD. f's lock as for rs_fput_safe.
 */
void rs_fput_json(FILE *f, const char *s, size_t n);

/* The value of one hex digit, or -1. */
static inline int rs_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- durations (duration.c) ---- */

/*
 * "500ms", "10s", "2m", "1h", "1d", "250us", "100ns", plain "3" = seconds,
 * "1.5s", and sums such as "1m30s" (what rs_format_duration() prints parses). Returns 0, or -EINVAL
 * (empty, negative, junk, a unit repeated or out of order as in "1h1h" or "1s1m", a fraction
 * before the last term, more than 64-bit nanoseconds); *ns is untouched on failure.
 */
int rs_parse_duration(const char *s, uint64_t *ns);
/*
 * Formats ns for humans, truncating (never rounding up): "350ns", "2.5us",
 * "250us", "1.5ms", "15ms", "2.0s", "59.9s", "3m12s", "2h05m", "3d04h".
 * Always NUL-terminates when len > 0.
 */
void rs_format_duration(uint64_t ns, char *buf, size_t len);
/* Clock c (CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID, ...) in nanoseconds. */
uint64_t rs_clock_ns(clockid_t c);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rs_mono_ns(void);
/* Sleeps until CLOCK_MONOTONIC reaches mono_ns (returns at once when it has), through signals. */
void rs_sleep_until_ns(uint64_t mono_ns);

/* ---- byte counts (size.c) ---- */

/*
 * "4096", "64k", "512M", "1G", "2T" (binary: k = 1024; upper case and a
 * trailing "B" or "iB" accepted, as in "1GiB"). Returns 0, or -EINVAL
 * (empty, junk, a sign, more than 64 bits); *out is untouched on failure.
 */
int rs_parse_size(const char *s, uint64_t *out);
/* Formats bytes for humans: "512 bytes", "64.0 KiB", "1.0 GiB". Always NUL-terminates when len > 0.
 */
void rs_format_size(uint64_t bytes, char *buf, size_t len);

/* ---- messages (msg.c) ---- */

/*
 * One line on stderr: "rsample: " (once, even when fmt's text already starts
 * with it), the formatted text, a newline.
 */
void rs_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- phase timings (timings.c): rsample snapshot --timings ---- */

/* A phase's start: wall and the calling thread's CPU clock. */
struct rs_tmark {
	uint64_t wall_ns, cpu_ns;
};

/* Turns the accounting on; until then rs_tmark_start() and rs_timings_add() cost a branch. */
void rs_timings_enable(void);
bool rs_timings_on(void);
void rs_tmark_start(struct rs_tmark *m);
/*
 * Adds the wall and CPU time since m to the phase named by fmt (phases of the
 * same name are summed, in the order first seen; at most 64 names, later
 * ones are summed under "other"). Thread-safe.
 */
void rs_timings_add(const struct rs_tmark *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One "rsample: timings: PHASE wall W ms cpu C ms" line per phase on stderr, then the total. */
void rs_timings_print(const struct rs_tmark *since_start);

/* ---- the heap (mem.c) ---- */

/*
 * Prepares malloc for a short command that allocates about bytes in all:
 * one arena for every thread, freed memory kept (not given back to the
 * kernel), and the heap grown by bytes (at most 512 MiB) with its pages
 * populated at once (MADV_POPULATE_WRITE) instead of faulted in one by one.
 * Call it once, before the threads and the heavy phases. 0, or -errno of
 * madvise() (-EINVAL before Linux 5.14: then the pages are faulted in as
 * they are used, as without it); malloc stays usable either way.
 */
int rs_heap_prepare(size_t bytes);

/* ---- growing arrays (grow.c) ---- */

/*
 * Makes room for element n (0-based) of the array *arrayp (a pointer to a
 * pointer) of elements of elem bytes, whose capacity is *cap: doubles it,
 * from first when it is 0, until it holds n + 1. 0 or -ENOMEM (the array is
 * left as it was).
 */
int rs_grow(void *arrayp, size_t *cap, size_t n, size_t elem, size_t first);

/* ---- hashing (hash.c) ---- */

/* FNV-1a (64 bits) of len bytes. */
uint64_t rs_hash(const void *key, size_t len);
/* FNV-1a continued over the 8 bytes of v (little-endian order), from h. */
uint64_t rs_hash_u64(uint64_t h, uint64_t v);
/* The FNV-1a offset basis: the h to start rs_hash_u64() chains from. */
#define RS_HASH_INIT 0xcbf29ce484222325ULL

/*
 * The one hash table: open addressing over entry numbers. The caller keeps
 * its entries in an array of its own and the table maps a 64-bit hash to
 * entry numbers (0 .. UINT32_MAX - 2); equality is the caller's, through a
 * callback. Kept at most half full. Entries are not removed one by one:
 * rs_htab_reset() and adding the survivors again is how a caller drops some.
 */
struct rs_htab {
	uint32_t *slot;	   /* entry number + 1, 0 when empty */
	uint64_t *hash;	   /* the hash of each slot's entry */
	size_t n, n_slots; /* entries; slots, a power of two */
};

/* Whether entry idx of ctx's array is the key (whose hash matched). */
typedef bool (*rs_htab_eq)(const void *ctx, size_t idx, const void *key);

/*
 * The entry number under hash h that eq() says is key, or SIZE_MAX. An empty
 * table finds nothing.
 */
size_t rs_htab_find(const struct rs_htab *t, uint64_t h, rs_htab_eq eq, const void *ctx,
		    const void *key);
/* Adds entry idx under hash h (no check for an equal one). Returns 0 or -ENOMEM. */
int rs_htab_add(struct rs_htab *t, uint64_t h, size_t idx);
/* Makes room for n entries in all, so that adding them cannot fail. Returns 0 or -ENOMEM. */
int rs_htab_reserve(struct rs_htab *t, size_t n);
/* Forgets every entry, keeping the slots. */
void rs_htab_reset(struct rs_htab *t);
/* Frees the slots; t is left empty. Accepts NULL. */
void rs_htab_clear(struct rs_htab *t);

#endif
