// SPDX-License-Identifier: GPL-2.0
/* The one hash function (FNV-1a) and the one hash table (lib.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lib.h"

#define FNV_PRIME 0x100000001b3ULL

uint64_t rs_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = RS_HASH_INIT;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t rs_hash_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= FNV_PRIME;
	}
	return h;
}

/* The slot of h: its entry when eq() finds key there, else the empty slot that ends the probe. */
static size_t probe(const struct rs_htab *t, uint64_t h, rs_htab_eq eq, const void *ctx,
		    const void *key)
{
	size_t mask = t->n_slots - 1, i = (size_t)(h ^ h >> 32) & mask;

	while (t->slot[i]) {
		if (eq && t->hash[i] == h && eq(ctx, t->slot[i] - 1, key))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

size_t rs_htab_find(const struct rs_htab *t, uint64_t h, rs_htab_eq eq, const void *ctx,
		    const void *key)
{
	size_t i;

	if (!t->n)
		return SIZE_MAX;
	i = probe(t, h, eq, ctx, key);
	return t->slot[i] ? t->slot[i] - 1 : SIZE_MAX;
}

int rs_htab_reserve(struct rs_htab *t, size_t n)
{
	struct rs_htab big = { 0 };

	if (n * 2 <= t->n_slots)
		return 0;
	if (n >= UINT32_MAX - 1)
		return -ENOMEM;
	big.n_slots = t->n_slots ? t->n_slots : 64;
	while (n * 2 > big.n_slots)
		big.n_slots *= 2;
	big.slot = calloc(big.n_slots, sizeof(*big.slot));
	big.hash = malloc(big.n_slots * sizeof(*big.hash));
	if (!big.slot || !big.hash) {
		rs_htab_clear(&big);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n_slots; i++) {
		size_t j;

		if (!t->slot[i])
			continue;
		j = probe(&big, t->hash[i], NULL, NULL, NULL);
		big.slot[j] = t->slot[i];
		big.hash[j] = t->hash[i];
	}
	big.n = t->n;
	rs_htab_clear(t);
	*t = big;
	return 0;
}

int rs_htab_add(struct rs_htab *t, uint64_t h, size_t idx)
{
	size_t i;

	if (idx >= UINT32_MAX - 1 || rs_htab_reserve(t, t->n + 1))
		return -ENOMEM;
	i = probe(t, h, NULL, NULL, NULL);
	t->slot[i] = (uint32_t)idx + 1;
	t->hash[i] = h;
	t->n++;
	return 0;
}

void rs_htab_reset(struct rs_htab *t)
{
	if (t->slot)
		memset(t->slot, 0, t->n_slots * sizeof(*t->slot));
	t->n = 0;
}

void rs_htab_clear(struct rs_htab *t)
{
	if (!t)
		return;
	free(t->slot);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}
