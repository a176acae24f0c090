// SPDX-License-Identifier: GPL-2.0
/* Window aggregation, the unwound-stack cache and the window schedule (profagg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile_priv.h"

static uint64_t hash_words(const uint64_t *w, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= w[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

/* Finds the slot of key (an empty one when absent). */
static size_t agg_slot(const struct rs_agg *a, const uint64_t *key, size_t n, uint64_t h)
{
	size_t mask = a->n_slots - 1, i = h & mask;

	while (a->slot[i]) {
		const struct rs_agg_entry *e = &a->v[a->slot[i] - 1];

		if (e->hash == h && e->n_words == n && !memcmp(e->key, key, n * sizeof(*key)))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int agg_grow(struct rs_agg *a)
{
	size_t n_slots = a->n_slots ? a->n_slots * 2 : 64;
	uint32_t *slot = calloc(n_slots, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	free(a->slot);
	a->slot = slot;
	a->n_slots = n_slots;
	for (size_t k = 0; k < a->n; k++) {
		struct rs_agg_entry *e = &a->v[k];

		a->slot[agg_slot(a, e->key, e->n_words, e->hash)] = (uint32_t)k + 1;
	}
	return 0;
}

static void set_name(char *dst, const char *src)
{
	if (dst[0] || !src || !src[0])
		return;
	memcpy(dst, src, strnlen(src, RS_COMM_LEN));
	dst[RS_COMM_LEN] = '\0';
}

const struct rs_agg_entry *rs_agg_find(const struct rs_agg *a, const uint64_t *key, size_t n_words)
{
	size_t i;

	if (!a->n_slots)
		return NULL;
	i = agg_slot(a, key, n_words, hash_words(key, n_words));
	return a->slot[i] ? &a->v[a->slot[i] - 1] : NULL;
}

int rs_agg_add(struct rs_agg *a, const uint64_t *key, size_t n_words, uint64_t count, uint64_t ns,
	       const char *comm, const char *pcomm)
{
	uint64_t h = hash_words(key, n_words);
	struct rs_agg_entry *e;
	size_t i;

	if (a->n_slots && a->slot[i = agg_slot(a, key, n_words, h)]) {
		e = &a->v[a->slot[i] - 1];
		goto add;
	}
	if ((a->n + 1) * 2 > a->n_slots && agg_grow(a))
		return -ENOMEM;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct rs_agg_entry *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	e = &a->v[a->n];
	memset(e, 0, sizeof(*e));
	e->key = malloc(n_words ? n_words * sizeof(*key) : 1);
	if (!e->key)
		return -ENOMEM;
	if (n_words)
		memcpy(e->key, key, n_words * sizeof(*key));
	e->n_words = n_words;
	e->hash = h;
	a->slot[agg_slot(a, key, n_words, h)] = (uint32_t)++a->n;
add:
	e->count += count;
	e->ns += ns;
	set_name(e->comm, comm);
	set_name(e->pcomm, pcomm);
	return 0;
}

void rs_agg_clear(struct rs_agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].key);
	free(a->v);
	free(a->slot);
	memset(a, 0, sizeof(*a));
}

static size_t ufp_slot(const struct rs_ufpcache *c, uint64_t ufp)
{
	size_t mask = c->n_slots - 1, i = hash_words(&ufp, 1) & mask;

	while (c->slot[i] && c->v[c->slot[i] - 1].ufp != ufp)
		i = (i + 1) & mask;
	return i;
}

/* Rebuilds the slots for the first n entries into a table of n_slots. */
static int ufp_rehash(struct rs_ufpcache *c, size_t n_slots)
{
	uint32_t *slot = calloc(n_slots, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	free(c->slot);
	c->slot = slot;
	c->n_slots = n_slots;
	for (size_t k = 0; k < c->n; k++)
		c->slot[ufp_slot(c, c->v[k].ufp)] = (uint32_t)k + 1;
	return 0;
}

int rs_ufpcache_put(struct rs_ufpcache *c, uint64_t ufp, uint32_t tgid, const uint64_t *pcs,
		    uint32_t n, bool failed, uint64_t window)
{
	struct rs_ufp_entry *e;
	uint64_t *copy;
	size_t i;

	copy = malloc(n ? n * sizeof(*pcs) : 1);
	if (!copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, pcs, n * sizeof(*pcs));
	if (c->n_slots && c->slot[i = ufp_slot(c, ufp)]) {
		e = &c->v[c->slot[i] - 1];
		free(e->pcs);
		goto set;
	}
	if ((c->n + 1) * 2 > c->n_slots && ufp_rehash(c, c->n_slots ? c->n_slots * 2 : 64)) {
		free(copy);
		return -ENOMEM;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct rs_ufp_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			free(copy);
			return -ENOMEM;
		}
		c->v = v;
		c->cap = cap;
	}
	e = &c->v[c->n];
	c->slot[ufp_slot(c, ufp)] = (uint32_t)++c->n;
set:
	e->ufp = ufp;
	e->tgid = tgid;
	e->pcs = copy;
	e->n = n;
	e->failed = failed;
	e->last_use = window;
	return 0;
}

const struct rs_ufp_entry *rs_ufpcache_get(struct rs_ufpcache *c, uint64_t ufp, uint64_t window)
{
	struct rs_ufp_entry *e;
	size_t i;

	if (!c->n_slots || !c->slot[i = ufp_slot(c, ufp)])
		return NULL;
	e = &c->v[c->slot[i] - 1];
	if (e->last_use < window)
		e->last_use = window;
	return e;
}

static int cmp_use_desc(const void *a, const void *b)
{
	const struct rs_ufp_entry *x = a, *y = b;

	if (x->last_use != y->last_use)
		return x->last_use > y->last_use ? -1 : 1;
	return (x->ufp > y->ufp) - (x->ufp < y->ufp);
}

int rs_ufpcache_trim(struct rs_ufpcache *c, uint64_t keep_since,
		     bool (*gone)(uint32_t tgid, void *ctx), void *ctx, uint64_t **dropped,
		     size_t *n_dropped)
{
	size_t keep = 0, n_drop = 0;
	uint64_t *d;

	for (size_t i = 0; i < c->n; i++)
		n_drop += c->v[i].last_use < keep_since || (gone && gone(c->v[i].tgid, ctx));
	if (c->n - n_drop > c->max)
		n_drop = c->n; /* upper bound for the list below */
	if (!n_drop)
		return 0;
	d = realloc(*dropped, (*n_dropped + n_drop) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	*dropped = d;
	for (size_t i = 0; i < c->n; i++) {
		struct rs_ufp_entry *e = &c->v[i];

		if (e->last_use < keep_since || (gone && gone(e->tgid, ctx))) {
			d[(*n_dropped)++] = e->ufp;
			free(e->pcs);
		} else {
			c->v[keep++] = *e;
		}
	}
	c->n = keep;
	if (c->n > c->max) {
		qsort(c->v, c->n, sizeof(*c->v), cmp_use_desc);
		for (size_t i = c->max; i < c->n; i++) {
			d[(*n_dropped)++] = c->v[i].ufp;
			free(c->v[i].pcs);
		}
		c->n = c->max;
	}
	return ufp_rehash(c, c->n_slots ? c->n_slots : 64);
}

void rs_ufpcache_clear(struct rs_ufpcache *c)
{
	size_t max;

	if (!c)
		return;
	max = c->max;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].pcs);
	free(c->v);
	free(c->slot);
	memset(c, 0, sizeof(*c));
	c->max = max;
}

static size_t u64_slot(const uint64_t *keys, size_t n_slots, uint64_t key)
{
	size_t mask = n_slots - 1, i = hash_words(&key, 1) & mask;

	while (keys[i] && keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

/* Rebuilds m into n_slots slots, keeping the keys whose value is at least min. */
static int u64_rehash(struct rs_u64map *m, size_t n_slots, uint64_t min, size_t *dropped)
{
	uint64_t *keys = calloc(n_slots, sizeof(*keys)), *vals = calloc(n_slots, sizeof(*vals));
	size_t n = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_slots; i++) {
		size_t j;

		if (!m->key[i])
			continue;
		if (m->val[i] < min) {
			(*dropped)++;
			continue;
		}
		j = u64_slot(keys, n_slots, m->key[i]);
		keys[j] = m->key[i];
		vals[j] = m->val[i];
		n++;
	}
	free(m->key);
	free(m->val);
	m->key = keys;
	m->val = vals;
	m->n = n;
	m->n_slots = n_slots;
	return 0;
}

int rs_u64map_set(struct rs_u64map *m, uint64_t key, uint64_t val)
{
	size_t i, dropped = 0;

	if (!key)
		return -EINVAL;
	if ((m->n + 1) * 2 > m->n_slots &&
	    u64_rehash(m, m->n_slots ? m->n_slots * 2 : 64, 0, &dropped))
		return -ENOMEM;
	i = u64_slot(m->key, m->n_slots, key);
	if (!m->key[i]) {
		m->key[i] = key;
		m->n++;
	}
	m->val[i] = val;
	return 0;
}

bool rs_u64map_get(const struct rs_u64map *m, uint64_t key, uint64_t *val)
{
	size_t i;

	if (!key || !m->n_slots)
		return false;
	i = u64_slot(m->key, m->n_slots, key);
	if (!m->key[i])
		return false;
	*val = m->val[i];
	return true;
}

size_t rs_u64map_drop_below(struct rs_u64map *m, uint64_t min)
{
	size_t dropped = 0;

	if (!m->n_slots || u64_rehash(m, m->n_slots, min, &dropped))
		return 0;
	return dropped;
}

void rs_u64map_clear(struct rs_u64map *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

uint64_t rs_window_end(uint64_t start_ns, uint64_t interval_ns, uint64_t stop_ns, uint64_t now_ns)
{
	uint64_t end = UINT64_MAX;

	if (interval_ns) {
		uint64_t k = now_ns > start_ns ? (now_ns - start_ns) / interval_ns + 1 : 1;

		if (k <= (UINT64_MAX - start_ns) / interval_ns)
			end = start_ns + k * interval_ns;
	}
	if (stop_ns && stop_ns < end)
		end = stop_ns;
	return end;
}
