// SPDX-License-Identifier: GPL-2.0
/*
 * The symbol cache: (build-id, ELF address, activation) -> symbolized frames,
 * and (caller and callee modules and addresses) -> tail-call sites, one
 * chained hash table shared by every rs_proc of a run. When it would grow
 * past its limit it is emptied: simple, bounded, and a snapshot's working set
 * is far smaller than the default limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"

#define ID_MAX 64 /* longest build-id a chain key holds */

/* Kinds of entry. */
#define KIND_FRAMES	0 /* a caller frame's symbols */
#define KIND_ACTIVATION 1 /* an exact PC's symbols */
#define KIND_CHAIN	2 /* tail-call sites */

/*
 * One entry. Symbols: key is the build-id, addr the ELF address, frames
 * the result. Chains: key is the rs_chainkey serialized, sites the result.
 */
struct entry {
	uint64_t addr;
	int kind;
	size_t key_len;
	unsigned char *key;
	struct rs_frame *frames;
	struct rs_chainsite *sites;
	size_t n;
};

struct rs_symcache {
	struct entry **v;
	size_t n, cap;
	struct rs_htab index; /* key -> v[] */
	size_t count;	      /* symbol entries */
	size_t nchains;	      /* chain entries */
	size_t max;
};

/* A key as the table sees it. */
struct key {
	const unsigned char *bytes;
	size_t len;
	uint64_t addr;
	int kind;
};

static uint64_t key_hash(const struct key *k)
{
	uint64_t h = rs_hash(k->bytes, k->len);

	return rs_hash_u64(rs_hash_u64(h, k->addr), (uint64_t)k->kind);
}

static bool key_eq(const void *ctx, size_t idx, const void *key)
{
	const struct entry *e = ((const struct rs_symcache *)ctx)->v[idx];
	const struct key *k = key;

	return e->addr == k->addr && e->kind == k->kind && e->key_len == k->len &&
	       !memcmp(e->key, k->bytes, k->len);
}

static struct key sym_key(const struct rs_symkey *k)
{
	return (struct key){ k->build_id, k->build_id_len, k->addr,
			     k->activation ? KIND_ACTIVATION : KIND_FRAMES };
}

/* Serializes k into buf (2 * (ID_MAX + 1) + 8 bytes); false when a build-id is too long. */
static bool chain_key(const struct rs_chainkey *k, unsigned char *buf, struct key *out)
{
	size_t len = 0;

	if (k->caller_id_len > ID_MAX || k->callee_id_len > ID_MAX)
		return false;
	buf[len++] = (unsigned char)k->caller_id_len;
	memcpy(buf + len, k->caller_id, k->caller_id_len);
	len += k->caller_id_len;
	buf[len++] = (unsigned char)k->callee_id_len;
	memcpy(buf + len, k->callee_id, k->callee_id_len);
	len += k->callee_id_len;
	memcpy(buf + len, &k->callee_addr, sizeof(k->callee_addr));
	len += sizeof(k->callee_addr);
	*out = (struct key){ buf, len, k->caller_addr, KIND_CHAIN };
	return true;
}

static void entry_free(struct entry *e)
{
	for (size_t i = 0; e->frames && i < e->n; i++)
		rs_frame_clear(&e->frames[i]);
	free(e->frames);
	free(e->sites);
	free(e->key);
	free(e);
}

static void clear_all(struct rs_symcache *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_free(c->v[i]);
	c->n = c->count = c->nchains = 0;
	rs_htab_reset(&c->index);
}

int rs_symcache_new(struct rs_symcache **out)
{
	struct rs_symcache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->max = RS_SYMCACHE_MAX;
	*out = c;
	return 0;
}

void rs_symcache_free(struct rs_symcache *c)
{
	if (!c)
		return;
	clear_all(c);
	free(c->v);
	rs_htab_clear(&c->index);
	free(c);
}

size_t rs_symcache_count(const struct rs_symcache *c)
{
	return c ? c->count : 0;
}

size_t rs_symcache_chains(const struct rs_symcache *c)
{
	return c ? c->nchains : 0;
}

void rs_symcache_set_limit(struct rs_symcache *c, size_t max)
{
	c->max = max ? max : 1;
	if (c->count + c->nchains > c->max)
		clear_all(c);
}

static struct entry *find(struct rs_symcache *c, const struct key *k)
{
	size_t i = rs_htab_find(&c->index, key_hash(k), key_eq, c, k);

	return i == SIZE_MAX ? NULL : c->v[i];
}

const struct rs_frame *rs_symcache_get(struct rs_symcache *c, const struct rs_symkey *k, size_t *n)
{
	struct key key = sym_key(k);
	struct entry *e = find(c, &key);

	if (!e)
		return NULL;
	*n = e->n;
	return e->frames;
}

const struct rs_chainsite *rs_symcache_chain_get(struct rs_symcache *c, const struct rs_chainkey *k,
						 size_t *n)
{
	unsigned char buf[2 * (ID_MAX + 1) + 8];
	struct entry *e;
	struct key key;

	if (!chain_key(k, buf, &key) || !(e = find(c, &key)))
		return NULL;
	*n = e->n;
	return e->sites;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* A new entry for k, not yet in the table (the table emptied first when full); NULL on ENOMEM. */
static struct entry *entry_new(struct rs_symcache *c, const struct key *k)
{
	struct entry *e;

	if (c->count + c->nchains >= c->max)
		clear_all(c);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->addr = k->addr;
	e->kind = k->kind;
	e->key_len = k->len;
	e->key = malloc(k->len ? k->len : 1);
	if (!e->key) {
		free(e);
		return NULL;
	}
	memcpy(e->key, k->bytes, k->len);
	return e;
}

/* Adds e (owned by the cache from now on, even on failure). 0 or -ENOMEM. */
static int insert(struct rs_symcache *c, struct entry *e)
{
	struct key k = { e->key, e->key_len, e->addr, e->kind };

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct entry **v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			entry_free(e);
			return -ENOMEM;
		}
		c->v = v;
		c->cap = cap;
	}
	if (rs_htab_add(&c->index, key_hash(&k), c->n)) {
		entry_free(e);
		return -ENOMEM;
	}
	c->v[c->n++] = e;
	if (e->kind == KIND_CHAIN)
		c->nchains++;
	else
		c->count++;
	return 0;
}

int rs_symcache_chain_put(struct rs_symcache *c, const struct rs_chainkey *k,
			  const struct rs_chainsite *sites, size_t n)
{
	unsigned char buf[2 * (ID_MAX + 1) + 8];
	struct entry *e;
	struct key key;

	if (!chain_key(k, buf, &key))
		return 0; /* not cacheable */
	e = entry_new(c, &key);
	if (!e)
		return -ENOMEM;
	e->sites = malloc((n ? n : 1) * sizeof(*sites));
	if (!e->sites) {
		entry_free(e);
		return -ENOMEM;
	}
	memcpy(e->sites, sites, n * sizeof(*sites));
	e->n = n;
	return insert(c, e);
}

int rs_symcache_put(struct rs_symcache *c, const struct rs_symkey *k, const struct rs_frame *frames,
		    size_t n)
{
	struct key key = sym_key(k);
	struct entry *e;
	int err = -ENOMEM;

	e = entry_new(c, &key);
	if (!e)
		return -ENOMEM;
	e->frames = calloc(n ? n : 1, sizeof(*e->frames));
	if (!e->frames)
		goto cleanup;
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
	return insert(c, e);
cleanup:
	entry_free(e);
	return err;
}
