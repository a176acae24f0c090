/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The folded format read back: what rs_write_folded() writes, and what other
 * tools write (unsorted, repeated stacks), for the writers' tests to check
 * round trips: test code, so it is not in librsample.
 */
#ifndef RS_TEST_FOLDED_PARSE_H
#define RS_TEST_FOLDED_PARSE_H

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "out/out_priv.h"

#define OFF_ROOT "[off-cpu]"

/* Parses "stack weight" in line[0..len); returns 0 or -EINVAL / -ENOMEM. */
static int parse_line(const char *line, size_t len, struct rs_stacks *st)
{
	const char *sp = NULL;
	uint64_t w = 0;
	size_t klen;
	char *key;
	enum rs_prof_kind kind = RS_PROF_ONCPU;

	for (size_t i = len; i-- > 0;) {
		if (line[i] == ' ') {
			sp = line + i;
			break;
		}
	}
	if (!sp || sp == line || sp + 1 == line + len)
		return -EINVAL;
	for (const char *p = sp + 1; p < line + len; p++) {
		if (*p < '0' || *p > '9' || w > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		w = w * 10 + (uint64_t)(*p - '0');
	}
	klen = (size_t)(sp - line);
	if (memchr(line, '\0', klen))
		return -EINVAL;
	if (klen >= sizeof(OFF_ROOT) - 1 && !memcmp(line, OFF_ROOT, sizeof(OFF_ROOT) - 1) &&
	    (klen == sizeof(OFF_ROOT) - 1 || line[sizeof(OFF_ROOT) - 1] == ';'))
		kind = RS_PROF_OFFCPU;
	key = strndup(line, klen);
	if (!key)
		return -ENOMEM;
	return rs_stacks_push(st, key, w, kind);
}

/*
 * Parses folded text ("a;b;c 12" lines, the weight after the last space) of
 * len bytes into sorted, merged stacks. Empty lines are skipped. A stack whose
 * root frame is "[off-cpu]" is an off-CPU one, any other on-CPU. Returns 0,
 * -EINVAL for a malformed line (its 1-based number in *bad_line when not
 * NULL) or -ENOMEM; *out is set on success only.
 */
static int rs_folded_parse(const char *text, size_t len, struct rs_stacks *out, size_t *bad_line)
{
	struct rs_stacks st = { 0 };
	size_t pos = 0, line_no = 0;
	int err = 0;

	while (pos < len && !err) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, l = end - pos;

		line_no++;
		if (l && text[pos + l - 1] == '\r')
			l--;
		if (l)
			err = parse_line(text + pos, l, &st);
		pos = end + 1;
	}
	if (err) {
		if (err == -EINVAL && bad_line)
			*bad_line = line_no;
		rs_stacks_clear(&st);
		return err;
	}
	rs_stacks_sort_merge(&st);
	*out = st;
	return 0;
}

#endif
