// SPDX-License-Identifier: GPL-2.0
/*
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * one "sampled" profile per thread (RS_GROUP_THREAD), per process
 * (RS_GROUP_PROCESS) or one in all (RS_GROUP_NONE), for each kind; on-CPU
 * profiles first, then by pid and tid. On-CPU weights are samples (unit
 * "none"), off-CPU ones microseconds. Frames are shared, named as in folded
 * output ("_[k]", "_[i]" marks), one per (name, file) with the source file (or
 * the module when the file is unknown) and the lowest line seen in it, in
 * (name, file) order. Each profile's
 * samples are its distinct stacks, root first, in frame order, so the
 * time-ordered view reads like a flame graph. speedscope has no metadata
 * field: lost counts go into the file's name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "out/out_priv.h"
#include "lib/lib.h"

/* A function: frames are merged by name and file, as folded output merges them by name. */
struct sframe {
	char *name;
	const char *file; /* borrowed from the profile */
	uint32_t line;	  /* the lowest line seen (0: none), near the function's start */
};

/* One distinct stack of one profile (the unit its kind, pid and tid say). */
struct entry {
	enum rs_prof_kind kind;
	uint32_t pid, tid;
	const struct rs_psample *s; /* names the unit */
	uint32_t *stack;	    /* frame indexes, root first */
	size_t n;
	uint64_t raw;
};

struct ss {
	struct rs_intern keys; /* "name\0file" of each frame */
	struct sframe *fr;     /* parallel to keys */
	size_t cap_fr;
	uint32_t *rank;		  /* keys index -> output index */
	const struct sframe **by; /* output index -> frame */
	struct entry *e;
	size_t n_e;
	enum rs_group_by g;
};

static const char *frame_file(const struct rs_frame *fr)
{
	return fr->file ? fr->file : fr->module;
}

/* The key index of a frame (fr NULL: RS_NO_FRAMES), added when new. */
static int frame_idx(struct ss *ss, const struct rs_frame *fr, uint32_t *out)
{
	char *name = fr ? rs_frame_name(fr, RS_NAME_MARKS) : strdup(RS_NO_FRAMES), *key = NULL;
	const char *file = fr ? frame_file(fr) : NULL;
	uint32_t line = fr ? fr->line : 0;
	size_t idx, old_n = ss->keys.n;
	int len, err = 0;

	if (!name)
		return -ENOMEM;
	if (ss->keys.n == ss->cap_fr) {
		size_t cap = ss->cap_fr ? ss->cap_fr * 2 : 64;
		struct sframe *v = realloc(ss->fr, cap * sizeof(*v));

		if (v) {
			ss->fr = v;
			ss->cap_fr = cap;
		} else {
			err = -ENOMEM;
		}
	}
	len = err ? -1 : asprintf(&key, "%s%c%s", name, 0, file ? file : "");
	if (len < 0 || rs_intern(&ss->keys, key, (size_t)len, &idx))
		err = -ENOMEM;
	if (!err && idx == old_n) {
		ss->fr[idx] = (struct sframe){ name, file, line };
		name = NULL;
	} else if (!err && line && (!ss->fr[idx].line || line < ss->fr[idx].line)) {
		ss->fr[idx].line = line;
	}
	if (!err)
		*out = (uint32_t)idx;
	free(key);
	free(name);
	return err;
}

static int add_entry(struct ss *ss, const struct rs_psample *s, enum rs_prof_kind kind)
{
	size_t n = s->n_frames ? s->n_frames : 1;
	struct entry *e;
	int err = 0;

	if (!(ss->n_e & (ss->n_e - 1))) {
		e = realloc(ss->e, (ss->n_e ? ss->n_e * 2 : 1) * sizeof(*e));
		if (!e)
			return -ENOMEM;
		ss->e = e;
	}
	e = &ss->e[ss->n_e];
	*e = (struct entry){ .kind = kind,
			     .pid = s->pid,
			     .tid = s->tid,
			     .s = s,
			     .n = n,
			     .raw = rs_psample_raw_weight(kind, s) };
	if (ss->g == RS_GROUP_NONE)
		e->pid = 0;
	if (ss->g != RS_GROUP_THREAD)
		e->tid = 0;
	e->stack = malloc(n * sizeof(*e->stack));
	if (!e->stack)
		return -ENOMEM;
	ss->n_e++;
	if (!s->n_frames)
		return frame_idx(ss, NULL, &e->stack[0]);
	/* root first: the outermost frame is the last one */
	for (size_t i = 0; i < n && !err; i++)
		err = frame_idx(ss, &s->frames[n - 1 - i], &e->stack[i]);
	return err;
}

static int sframe_cmp(const struct sframe *x, const struct sframe *y)
{
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->file ? x->file : "", y->file ? y->file : "");
}

static int sframe_ptr_cmp(const void *a, const void *b)
{
	return sframe_cmp(*(const struct sframe *const *)a, *(const struct sframe *const *)b);
}

/* Unit, then stack by frame order (ranks), root first. */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	for (size_t i = 0; i < x->n && i < y->n; i++)
		if (x->stack[i] != y->stack[i])
			return x->stack[i] < y->stack[i] ? -1 : 1;
	return (x->n > y->n) - (x->n < y->n);
}

static bool same_unit(const struct entry *x, const struct entry *y)
{
	return x->kind == y->kind && x->pid == y->pid && x->tid == y->tid;
}

/* Sorts frames, renumbers stacks with the ranks, sorts and merges entries. */
static int order(struct ss *ss)
{
	const struct sframe **by = malloc((ss->keys.n + 1) * sizeof(*by));
	size_t out = 0;

	ss->by = by;
	ss->rank = malloc((ss->keys.n + 1) * sizeof(*ss->rank));
	if (!by || !ss->rank)
		return -ENOMEM;
	for (size_t i = 0; i < ss->keys.n; i++)
		by[i] = &ss->fr[i];
	qsort(by, ss->keys.n, sizeof(*by), sframe_ptr_cmp);
	for (size_t i = 0; i < ss->keys.n; i++)
		ss->rank[by[i] - ss->fr] = (uint32_t)i;
	for (size_t i = 0; i < ss->n_e; i++)
		for (size_t j = 0; j < ss->e[i].n; j++)
			ss->e[i].stack[j] = ss->rank[ss->e[i].stack[j]];
	if (!ss->n_e)
		return 0;
	qsort(ss->e, ss->n_e, sizeof(*ss->e), entry_cmp);
	for (size_t i = 1; i < ss->n_e; i++) {
		if (!entry_cmp(&ss->e[out], &ss->e[i])) {
			ss->e[out].raw += ss->e[i].raw;
			free(ss->e[i].stack);
		} else {
			ss->e[++out] = ss->e[i];
		}
	}
	ss->n_e = out + 1;
	return 0;
}

/* A JSON string of s with invalid UTF-8 and control bytes replaced. */
static int put_json_safe(FILE *f, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -ENOMEM;
	rs_name_sanitize(copy, 0);
	rs_fput_json(f, copy, SIZE_MAX);
	free(copy);
	return 0;
}

static int put_profile_name(FILE *f, const struct ss *ss, const struct entry *e)
{
	char *names[2] = { NULL, NULL }, *name = NULL;
	int n = rs_group_names(e->s, ss->g, 0, names), len;

	if (n < 0)
		return n;
	len = asprintf(&name, "%s: %s%s%s", rs_prof_kind_name(e->kind), n ? names[0] : "all",
		       n > 1 ? " / " : "", n > 1 ? names[1] : "");
	free(names[0]);
	free(names[1]);
	if (len < 0)
		return -ENOMEM;
	rs_fput_json(f, name, SIZE_MAX);
	free(name);
	return 0;
}

/* One profile: the entries [i, j) of one unit. */
static int put_profile(FILE *f, const struct ss *ss, size_t i, size_t j)
{
	enum rs_prof_kind k = ss->e[i].kind;
	uint64_t total = 0;
	bool first = true;
	int err;

	for (size_t e = i; e < j; e++)
		total += rs_weight_out(k, ss->e[e].raw);
	fputs_unlocked("    {\n      \"type\": \"sampled\",\n      \"name\": ", f);
	err = put_profile_name(f, ss, &ss->e[i]);
	if (err)
		return err;
	fprintf(f, ",\n      \"unit\": \"%s\",\n", k == RS_PROF_OFFCPU ? "microseconds" : "none");
	fprintf(f, "      \"startValue\": 0,\n      \"endValue\": %" PRIu64 ",\n", total);
	fputs_unlocked("      \"samples\": [", f);
	for (size_t e = i; e < j; e++) {
		if (!rs_weight_out(k, ss->e[e].raw))
			continue;
		fprintf(f, "%s\n        [", first ? "" : ",");
		for (size_t x = 0; x < ss->e[e].n; x++)
			fprintf(f, "%s%" PRIu32, x ? ", " : "", ss->e[e].stack[x]);
		putc_unlocked(']', f);
		first = false;
	}
	fputs_unlocked("\n      ],\n      \"weights\": [", f);
	first = true;
	for (size_t e = i; e < j; e++) {
		uint64_t w = rs_weight_out(k, ss->e[e].raw);

		if (w) {
			fprintf(f, "%s%" PRIu64, first ? "" : ", ", w);
			first = false;
		}
	}
	fputs_unlocked("]\n    }", f);
	return 0;
}

static int put_file(FILE *f, const struct ss *ss, const struct rs_profile *const *profs, size_t n,
		    const char *name)
{
	uint64_t lost[2] = { 0, 0 }, shed[2] = { 0, 0 };
	char *full = NULL;
	int err, len;

	for (size_t i = 0; i < n; i++) {
		lost[profs[i]->kind == RS_PROF_OFFCPU] += profs[i]->lost;
		shed[profs[i]->kind == RS_PROF_OFFCPU] += profs[i]->shed;
	}
	if (!name)
		name = profs[0]->target ? profs[0]->target : "rsample profile";
	if (shed[0] || shed[1])
		len = asprintf(&full,
			       "%s (lost: %" PRIu64 " on-CPU samples, %" PRIu64
			       " off-CPU events; dropped for lack of time: %" PRIu64
			       " on-CPU samples, %" PRIu64 " off-CPU records)",
			       name, lost[0], lost[1], shed[0], shed[1]);
	else if (lost[0] || lost[1])
		len = asprintf(&full,
			       "%s (lost: %" PRIu64 " on-CPU samples, %" PRIu64 " off-CPU events)",
			       name, lost[0], lost[1]);
	else
		len = asprintf(&full, "%s", name);
	if (len < 0)
		return -ENOMEM;
	fputs_unlocked(
	    "{\n  \"$schema\": \"https://www.speedscope.app/file-format-schema.json\",\n", f);
	fputs_unlocked("  \"name\": ", f);
	err = put_json_safe(f, full);
	free(full);
	if (err)
		return err;
	fputs_unlocked(
	    ",\n  \"exporter\": \"rsample " RS_VERSION "\",\n  \"activeProfileIndex\": 0,\n", f);
	fputs_unlocked("  \"shared\": {\n    \"frames\": [", f);
	for (size_t r = 0; r < ss->keys.n && !err; r++) {
		const struct sframe *fr = ss->by[r];

		fprintf(f, "%s\n      { \"name\": ", r ? "," : "");
		rs_fput_json(f, fr->name, SIZE_MAX);
		if (fr->file) {
			fputs_unlocked(", \"file\": ", f);
			err = put_json_safe(f, fr->file);
		}
		if (fr->line)
			fprintf(f, ", \"line\": %" PRIu32, fr->line);
		fputs_unlocked(" }", f);
	}
	fputs_unlocked("\n    ]\n  },\n  \"profiles\": [", f);
	for (size_t i = 0, j; i < ss->n_e && !err; i = j) {
		for (j = i + 1; j < ss->n_e && same_unit(&ss->e[i], &ss->e[j]); j++)
			;
		fputs_unlocked(i ? ",\n" : "\n", f);
		err = put_profile(f, ss, i, j);
	}
	fputs_unlocked("\n  ]\n}\n", f);
	return err;
}

int rs_write_speedscope(FILE *f, const struct rs_profile *const *profs, size_t n,
			enum rs_group_by g, const char *name)
{
	struct ss ss = { .g = g };
	int err = 0;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n && !err; i++)
		for (size_t j = 0; j < profs[i]->n_samples && !err; j++)
			if (rs_psample_raw_weight(profs[i]->kind, &profs[i]->samples[j]))
				err = add_entry(&ss, &profs[i]->samples[j], profs[i]->kind);
	err = err ?: order(&ss);
	flockfile(f); /* once: the writers use the _unlocked stdio calls */
	err = err ?: put_file(f, &ss, profs, n, name);
	funlockfile(f);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
	for (size_t i = 0; i < ss.n_e; i++)
		free(ss.e[i].stack);
	for (size_t i = 0; i < ss.keys.n; i++)
		free(ss.fr ? ss.fr[i].name : NULL);
	free(ss.e);
	free(ss.fr);
	free(ss.rank);
	free(ss.by);
	rs_intern_clear(&ss.keys);
	return err;
}
