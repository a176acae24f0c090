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

uint64_t rs_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t find_slot(const struct rs_intern *t, const void *key, size_t len)
{
	size_t mask = t->n_slots - 1, i = rs_hash(key, len) & mask;

	while (t->slot[i]) {
		size_t k = t->slot[i] - 1;

		if (t->len[k] == len && !memcmp(t->str[k], key, len))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int grow(struct rs_intern *t)
{
	size_t n_slots = t->n_slots ? t->n_slots * 2 : 64;
	uint32_t *slot = calloc(n_slots, sizeof(*slot));
	struct rs_intern tmp = *t;

	if (!slot)
		return -ENOMEM;
	tmp.slot = slot;
	tmp.n_slots = n_slots;
	for (size_t k = 0; k < t->n; k++)
		slot[find_slot(&tmp, t->str[k], t->len[k])] = (uint32_t)k + 1;
	free(t->slot);
	t->slot = slot;
	t->n_slots = n_slots;
	return 0;
}

int rs_intern(struct rs_intern *t, const void *key, size_t len, size_t *idx)
{
	size_t i;
	char *copy;

	if (t->n_slots && t->slot[i = find_slot(t, key, len)]) {
		*idx = t->slot[i] - 1;
		return 0;
	}
	if (t->n >= UINT32_MAX - 1)
		return -E2BIG;
	if ((t->n + 1) * 2 > t->n_slots && grow(t))
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
	t->slot[find_slot(t, key, len)] = (uint32_t)t->n + 1;
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
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
