// SPDX-License-Identifier: GPL-2.0
/*
 * The symbol cache: (build-id, ELF address, activation) -> symbolized frames,
 * a chained hash table shared by every rs_proc of a run. When it would grow
 * past its limit it is emptied: simple, bounded, and a snapshot's working set
 * is far smaller than the default limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proc_priv.h"

#define NBUCKETS_MIN 1024

struct entry {
	struct entry *next;
	uint64_t hash;
	uint64_t addr;
	bool activation;
	size_t build_id_len;
	unsigned char *build_id;
	struct rs_frame *frames;
	size_t n;
};

struct rs_symcache {
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	size_t max;
};

static uint64_t key_hash(const struct rs_symkey *k)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < k->build_id_len; i++)
		h = (h ^ k->build_id[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < sizeof(k->addr); i++)
		h = (h ^ ((k->addr >> (8 * i)) & 0xff)) * 0x100000001b3ull;
	return (h ^ k->activation) * 0x100000001b3ull;
}

static bool key_eq(const struct entry *e, uint64_t h, const struct rs_symkey *k)
{
	return e->hash == h && e->addr == k->addr && e->activation == k->activation &&
	       e->build_id_len == k->build_id_len &&
	       !memcmp(e->build_id, k->build_id, k->build_id_len);
}

static void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		rs_frame_clear(&e->frames[i]);
	free(e->frames);
	free(e->build_id);
	free(e);
}

static void clear_all(struct rs_symcache *c)
{
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i];

		while (e) {
			struct entry *next = e->next;

			entry_free(e);
			e = next;
		}
		c->buckets[i] = NULL;
	}
	c->count = 0;
}

int rs_symcache_new(struct rs_symcache **out)
{
	struct rs_symcache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->nbuckets = NBUCKETS_MIN;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return -ENOMEM;
	}
	c->max = RS_SYMCACHE_MAX;
	*out = c;
	return 0;
}

void rs_symcache_free(struct rs_symcache *c)
{
	if (!c)
		return;
	clear_all(c);
	free(c->buckets);
	free(c);
}

size_t rs_symcache_count(const struct rs_symcache *c)
{
	return c ? c->count : 0;
}

void rs_symcache_set_limit(struct rs_symcache *c, size_t max)
{
	c->max = max ? max : 1;
	if (c->count > c->max)
		clear_all(c);
}

const struct rs_frame *rs_symcache_get(struct rs_symcache *c, const struct rs_symkey *k, size_t *n)
{
	uint64_t h = key_hash(k);

	for (struct entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next) {
		if (key_eq(e, h, k)) {
			*n = e->n;
			return e->frames;
		}
	}
	return NULL;
}

/* Doubles the bucket array while the load factor is above 2 (best effort). */
static void maybe_grow(struct rs_symcache *c)
{
	size_t nb = c->nbuckets * 2;
	struct entry **b;

	if (c->count <= 2 * c->nbuckets)
		return;
	b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i];

		while (e) {
			struct entry *next = e->next;

			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = next;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int rs_symcache_put(struct rs_symcache *c, const struct rs_symkey *k, const struct rs_frame *frames,
		    size_t n)
{
	struct entry *e;
	int err = -ENOMEM;

	if (c->count >= c->max)
		clear_all(c);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->hash = key_hash(k);
	e->addr = k->addr;
	e->activation = k->activation;
	e->build_id_len = k->build_id_len;
	e->build_id = malloc(k->build_id_len ? k->build_id_len : 1);
	e->frames = calloc(n ? n : 1, sizeof(*e->frames));
	if (!e->build_id || !e->frames)
		goto cleanup;
	memcpy(e->build_id, k->build_id, k->build_id_len);
	for (; e->n < n; e->n++) {
		struct rs_frame *d = &e->frames[e->n];
		const struct rs_frame *s = &frames[e->n];

		*d = *s;
		d->function = d->module = d->file = NULL;
		d->addr = 0;
		if (dup_str(&d->function, s->function) || dup_str(&d->file, s->file)) {
			rs_frame_clear(d);
			goto cleanup;
		}
	}
	e->next = c->buckets[e->hash & (c->nbuckets - 1)];
	c->buckets[e->hash & (c->nbuckets - 1)] = e;
	c->count++;
	maybe_grow(c);
	return 0;
cleanup:
	entry_free(e);
	return err;
}
