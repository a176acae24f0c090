// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks: the aggregation folded and SVG output share. Samples become
 * "root;...;leaf" keys (group_by frames first, then user frames outermost
 * first, then kernel frames), identical keys are summed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "out/out_priv.h"

struct sbuf {
	char *s;
	size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (b->len + n + 2 > cap)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p)
			return -ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	if (b->len)
		b->s[b->len++] = ';';
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
	return 0;
}

/* Builds the key of one sample into b (reset first). */
static int sample_key(const struct rs_psample *s, enum rs_prof_kind kind, enum rs_group_by g,
		      unsigned int flags, struct sbuf *b)
{
	char *roots[2];
	int n_roots, err = 0;

	b->len = 0;
	if (flags & RS_STACKS_KIND_ROOT) {
		char root[16];

		snprintf(root, sizeof(root), "[%s]", rs_prof_kind_name(kind));
		err = sbuf_add(b, root);
	}
	n_roots = rs_group_names(s, g, RS_NAME_FOLDED, roots);
	if (n_roots < 0)
		return n_roots;
	for (int i = 0; i < n_roots; i++) {
		if (!err)
			err = sbuf_add(b, roots[i]);
		free(roots[i]);
	}
	for (size_t i = s->n_frames; i-- > 0 && !err;) {
		char *name = rs_frame_name(&s->frames[i], RS_NAME_MARKS | RS_NAME_FOLDED);

		err = name ? sbuf_add(b, name) : -ENOMEM;
		free(name);
	}
	if (!err && !s->n_frames)
		err = sbuf_add(b, RS_NO_FRAMES);
	return err;
}

int rs_stacks_push(struct rs_stacks *s, char *key, uint64_t weight, enum rs_prof_kind kind)
{
	/* capacity doubles at powers of two */
	if (!(s->n & (s->n - 1))) {
		struct rs_stack *v = realloc(s->v, (s->n ? s->n * 2 : 1) * sizeof(*v));

		if (!v) {
			free(key);
			return -ENOMEM;
		}
		s->v = v;
	}
	s->v[s->n++] = (struct rs_stack){ .key = key, .weight = weight, .kind = kind };
	return 0;
}

static int stack_cmp(const void *a, const void *b)
{
	const struct rs_stack *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

void rs_stacks_sort_merge(struct rs_stacks *s)
{
	size_t out = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), stack_cmp);
	for (size_t i = 1; i < s->n; i++) {
		if (!stack_cmp(&s->v[out], &s->v[i])) {
			s->v[out].weight += s->v[i].weight;
			free(s->v[i].key);
		} else {
			s->v[++out] = s->v[i];
		}
	}
	s->n = out + 1;
}

void rs_stacks_clear(struct rs_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].key);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int rs_stacks_build(const struct rs_profile *const *profs, size_t n, enum rs_group_by g,
		    unsigned int flags, struct rs_stacks *out)
{
	struct rs_stacks st = { 0 };
	struct sbuf b = { 0 };
	size_t keep = 0;
	int err = 0;

	for (size_t p = 0; p < n && !err; p++) {
		enum rs_prof_kind kind = profs[p]->kind;

		for (size_t i = 0; i < profs[p]->n_samples && !err; i++) {
			const struct rs_psample *s = &profs[p]->samples[i];
			uint64_t raw = rs_psample_raw_weight(kind, s);
			char *key;

			if (!raw)
				continue;
			err = sample_key(s, kind, g, flags, &b);
			if (err)
				break;
			key = strdup(b.s);
			err = key ? rs_stacks_push(&st, key, raw, kind) : -ENOMEM;
		}
	}
	free(b.s);
	if (err) {
		rs_stacks_clear(&st);
		return err;
	}
	/* sum raw weights, then round once per stack */
	rs_stacks_sort_merge(&st);
	for (size_t i = 0; i < st.n; i++) {
		st.v[i].weight = rs_weight_out(st.v[i].kind, st.v[i].weight);
		if (st.v[i].weight)
			st.v[keep++] = st.v[i];
		else
			free(st.v[i].key);
	}
	st.n = keep;
	*out = st;
	return 0;
}
