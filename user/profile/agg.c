// SPDX-License-Identifier: GPL-2.0
/* Window aggregation, the unwound-stack cache and the window schedule (profile_priv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile_priv.h"

/* A key of n 64-bit words. */
struct words {
	const uint64_t *w;
	size_t n;
};

static uint64_t hash_words(const uint64_t *w, size_t n)
{
	return rs_hash(w, n * sizeof(*w));
}

static bool agg_eq(const void *ctx, size_t idx, const void *key)
{
	const struct rs_agg_entry *e = &((const struct rs_agg *)ctx)->v[idx];
	const struct words *k = key;

	return e->n_words == k->n && !memcmp(e->key, k->w, k->n * sizeof(*k->w));
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
	struct words k = { key, n_words };
	size_t i = rs_htab_find(&a->index, hash_words(key, n_words), agg_eq, a, &k);

	return i == SIZE_MAX ? NULL : &a->v[i];
}

int rs_agg_add(struct rs_agg *a, const uint64_t *key, size_t n_words, uint64_t count, uint64_t ns,
	       const char *comm, const char *pcomm)
{
	struct words k = { key, n_words };
	uint64_t h = hash_words(key, n_words);
	size_t i = rs_htab_find(&a->index, h, agg_eq, a, &k);
	struct rs_agg_entry *e;

	if (i != SIZE_MAX) {
		e = &a->v[i];
		goto add;
	}
	if (rs_htab_reserve(&a->index, a->n + 1))
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
	rs_htab_add(&a->index, h, a->n++); /* cannot fail: reserved above */
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
	rs_htab_clear(&a->index);
	memset(a, 0, sizeof(*a));
}

static bool ufp_eq(const void *ctx, size_t idx, const void *key)
{
	return ((const struct rs_ufpcache *)ctx)->v[idx].ufp == *(const uint64_t *)key;
}

static size_t ufp_find(const struct rs_ufpcache *c, uint64_t ufp)
{
	return rs_htab_find(&c->index, hash_words(&ufp, 1), ufp_eq, c, &ufp);
}

/* Indexes the entries again after some were dropped (cannot fail: the table only shrank). */
static void ufp_reindex(struct rs_ufpcache *c)
{
	rs_htab_reset(&c->index);
	for (size_t k = 0; k < c->n; k++)
		rs_htab_add(&c->index, hash_words(&c->v[k].ufp, 1), k);
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
	if ((i = ufp_find(c, ufp)) != SIZE_MAX) {
		e = &c->v[i];
		free(e->pcs);
		goto set;
	}
	if (rs_htab_reserve(&c->index, c->n + 1)) {
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
	rs_htab_add(&c->index, hash_words(&ufp, 1), c->n++); /* cannot fail: reserved above */
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
	size_t i = ufp_find(c, ufp);
	struct rs_ufp_entry *e;

	if (i == SIZE_MAX)
		return NULL;
	e = &c->v[i];
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
	ufp_reindex(c);
	return 0;
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
	rs_htab_clear(&c->index);
	memset(c, 0, sizeof(*c));
	c->max = max;
}

static bool u64_eq(const void *ctx, size_t idx, const void *key)
{
	return ((const struct rs_u64map *)ctx)->key[idx] == *(const uint64_t *)key;
}

int rs_u64map_set(struct rs_u64map *m, uint64_t key, uint64_t val)
{
	uint64_t h = hash_words(&key, 1);
	size_t i;

	if (!key)
		return -EINVAL;
	i = rs_htab_find(&m->index, h, u64_eq, m, &key);
	if (i != SIZE_MAX) {
		m->val[i] = val;
		return 0;
	}
	if (rs_htab_reserve(&m->index, m->n + 1))
		return -ENOMEM;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint64_t *k = realloc(m->key, cap * sizeof(*k)), *v;

		if (!k)
			return -ENOMEM;
		m->key = k;
		v = realloc(m->val, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->val = v;
		m->cap = cap;
	}
	m->key[m->n] = key;
	m->val[m->n] = val;
	rs_htab_add(&m->index, h, m->n++); /* cannot fail: reserved above */
	return 0;
}

bool rs_u64map_get(const struct rs_u64map *m, uint64_t key, uint64_t *val)
{
	size_t i = key ? rs_htab_find(&m->index, hash_words(&key, 1), u64_eq, m, &key) : SIZE_MAX;

	if (i == SIZE_MAX)
		return false;
	*val = m->val[i];
	return true;
}

size_t rs_u64map_drop_below(struct rs_u64map *m, uint64_t min)
{
	size_t keep = 0, dropped;

	for (size_t i = 0; i < m->n; i++) {
		if (m->val[i] < min)
			continue;
		m->key[keep] = m->key[i];
		m->val[keep++] = m->val[i];
	}
	dropped = m->n - keep;
	m->n = keep;
	rs_htab_reset(&m->index);
	for (size_t i = 0; i < m->n; i++)
		rs_htab_add(&m->index, hash_words(&m->key[i], 1), i); /* cannot fail: it shrank */
	return dropped;
}

void rs_u64map_clear(struct rs_u64map *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->val);
	rs_htab_clear(&m->index);
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
