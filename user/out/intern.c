// SPDX-License-Identifier: GPL-2.0
/*
 * Interning for the profile writers: pprof's string table, functions and
 * locations, speedscope's frames. Indexes follow first appearance, so output
 * is as deterministic as the order the writer visits things in.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "out/out_priv.h"

struct bytes {
	const void *p;
	size_t len;
};

static bool key_eq(const void *ctx, size_t idx, const void *key)
{
	const struct rs_intern *t = ctx;
	const struct bytes *k = key;

	return t->len[idx] == k->len && !memcmp(t->str[idx], k->p, k->len);
}

int rs_intern(struct rs_intern *t, const void *key, size_t len, size_t *idx)
{
	struct bytes k = { key, len };
	uint64_t h = rs_hash(key, len);
	size_t i = rs_htab_find(&t->index, h, key_eq, t, &k);
	char *copy;

	if (i != SIZE_MAX) {
		*idx = i;
		return 0;
	}
	if (t->n >= UINT32_MAX - 2)
		return -E2BIG;
	if (rs_htab_reserve(&t->index, t->n + 1))
		return -ENOMEM;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **str = realloc(t->str, cap * sizeof(*str));
		size_t *lens;

		if (!str)
			return -ENOMEM;
		t->str = str;
		lens = realloc(t->len, cap * sizeof(*lens));
		if (!lens)
			return -ENOMEM;
		t->len = lens;
		t->cap = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, len);
	copy[len] = '\0';
	t->str[t->n] = copy;
	t->len[t->n] = len;
	rs_htab_add(&t->index, h, t->n); /* cannot fail: reserved above */
	*idx = t->n++;
	return 0;
}

int rs_intern_str(struct rs_intern *t, const char *s, size_t *idx)
{
	return rs_intern(t, s, strlen(s), idx);
}

void rs_intern_clear(struct rs_intern *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->len);
	rs_htab_clear(&t->index);
	memset(t, 0, sizeof(*t));
}
