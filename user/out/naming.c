// SPDX-License-Identifier: GPL-2.0
/*
 * The one way every writer names frames, group_by roots and weights
 * (out_priv.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "out/out_priv.h"
#include "lib/lib.h"

void rs_name_sanitize(char *s, unsigned int flags)
{
	size_t len = strlen(s), i = 0, l;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && (l = rs_utf8_seq_len(s + i, len - i))) {
			i += l;
			continue;
		}
		if (c < 0x20 || c >= 0x7f)
			s[i] = '?';
		else if (c == ';' && (flags & RS_NAME_FOLDED))
			s[i] = ':';
		i++;
	}
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

char *rs_frame_name(const struct rs_frame *fr, unsigned int flags)
{
	const char *mark = "";
	char *name = NULL;
	int len;

	if (flags & RS_NAME_MARKS) {
		if (fr->kernel)
			mark = "_[k]";
		else if (fr->inlined)
			mark = "_[i]";
	}
	if (fr->function)
		len = asprintf(&name, "%s%s", fr->function, mark);
	else if (fr->module)
		len = asprintf(&name, "%s+%#" PRIx64 "%s", basename_of(fr->module),
			       fr->sym_offset ? fr->sym_offset : fr->addr, mark);
	else
		len = asprintf(&name, "%#" PRIx64 "%s", fr->addr, mark);
	if (len < 0)
		return NULL;
	rs_name_sanitize(name, flags);
	return name;
}

int rs_group_names(const struct rs_psample *s, enum rs_group_by g, unsigned int flags,
		   char *names[2])
{
	int n = 0;

	names[0] = names[1] = NULL;
	if (g == RS_GROUP_NONE)
		return 0;
	if (asprintf(&names[n], "%.*s (%" PRIu32 ")", RS_COMM_LEN, s->comm, s->pid) < 0)
		return -ENOMEM;
	rs_name_sanitize(names[n++], flags);
	if (g == RS_GROUP_THREAD) {
		if (asprintf(&names[n], "%.*s (%" PRIu32 ")", RS_COMM_LEN, s->thread, s->tid) < 0) {
			free(names[0]);
			names[0] = NULL;
			return -ENOMEM;
		}
		rs_name_sanitize(names[n++], flags);
	}
	return n;
}

bool rs_profs_mixed(const struct rs_profile *const *profs, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (profs[i]->kind != profs[0]->kind)
			return true;
	return false;
}

const char *rs_prof_kind_name(enum rs_prof_kind k)
{
	return k == RS_PROF_OFFCPU ? "off-cpu" : "on-cpu";
}

uint64_t rs_psample_raw_weight(enum rs_prof_kind k, const struct rs_psample *s)
{
	return k == RS_PROF_OFFCPU ? s->value_ns : s->count;
}

uint64_t rs_weight_out(enum rs_prof_kind k, uint64_t raw)
{
	uint64_t us;

	if (k != RS_PROF_OFFCPU)
		return raw;
	us = raw / 1000 + (raw % 1000 >= 500);
	return us || !raw ? us : 1;
}
