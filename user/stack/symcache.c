// SPDX-License-Identifier: GPL-2.0
/*
 * The symbol cache: (build-id, ELF address, activation) -> symbolized frames,
 * and (caller and callee modules and addresses) -> tail-call sites, one
 * table (lib.h's rs_htab) shared by every rs_proc of a run, bounded by the
 * memory its entries take (and, for tests, by a count). When an insert would
 * pass a bound, CLOCK eviction: a hand sweeps the entries in insertion
 * order, an entry used since the hand last passed loses its mark and stays,
 * one not used goes, until the cache is down to 7/8 of its bounds; then the
 * survivors are indexed again (the table drops no single entry). A working
 * set that fits stays whole; one that does not keeps what is used again.
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
	size_t bytes; /* what it holds, allocations and its share of the index included */
	bool used;    /* looked up since the hand last passed it */
};

struct rs_symcache {
	struct entry **v;
	size_t n, cap;
	struct rs_htab index; /* key -> v[] */
	size_t count;	      /* symbol entries */
	size_t nchains;	      /* chain entries */
	size_t max;	      /* entries, symbols and chains */
	size_t bytes, max_bytes;
	size_t hand; /* CLOCK: the next entry to look at */
	size_t evicted;
};

/* What malloc takes for len bytes, roughly: its header and 16-byte rounding. */
static size_t alloc_bytes(size_t len)
{
	return (len + 8 + 15) & ~(size_t)15;
}

/* An entry's memory: itself, its key, results and strings, its v[] slot and index slots. */
static size_t entry_bytes(const struct entry *e)
{
	size_t b = alloc_bytes(sizeof(*e)) + alloc_bytes(e->key_len ? e->key_len : 1) +
		   sizeof(struct entry *) + 2 * (sizeof(uint32_t) + sizeof(uint64_t));

	if (e->sites)
		b += alloc_bytes((e->n ? e->n : 1) * sizeof(*e->sites));
	if (e->frames)
		b += alloc_bytes((e->n ? e->n : 1) * sizeof(*e->frames));
	for (size_t i = 0; e->frames && i < e->n; i++) {
		if (e->frames[i].function)
			b += alloc_bytes(strlen(e->frames[i].function) + 1);
		if (e->frames[i].file)
			b += alloc_bytes(strlen(e->frames[i].file) + 1);
	}
	return b;
}

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
	c->n = c->count = c->nchains = c->bytes = c->hand = 0;
	rs_htab_reset(&c->index);
}

/* Whether entries and bytes pass a bound. */
static bool over(const struct rs_symcache *c, size_t entries, size_t bytes)
{
	return entries > c->max || bytes > c->max_bytes;
}

/*
 * CLOCK, in one batch: frees entries until the cache is at 7/8 of both
 * bounds with room for one more entry of `more` bytes, then indexes the rest
 * again. 0 or -ENOMEM (then the cache is empty, but consistent).
 */
static int evict(struct rs_symcache *c, size_t more)
{
	size_t keep_n = c->max - c->max / 8, keep_b = c->max_bytes - c->max_bytes / 8, w = 0;
	size_t hand = c->hand < c->n ? c->hand : 0, seen = 0, new_hand = 0;
	bool *gone;

	if (keep_n < 1)
		keep_n = 1;
	gone = calloc(c->n ? c->n : 1, sizeof(*gone));
	if (!gone) {
		clear_all(c);
		return -ENOMEM;
	}
	/* two turns at most: the first clears every mark it passes */
	while (c->n && (c->count + c->nchains + 1 > keep_n || c->bytes + more > keep_b) &&
	       seen < 2 * c->n) {
		struct entry *e = c->v[hand];

		if (!gone[hand]) {
			if (e->used && seen < c->n) {
				e->used = false;
			} else {
				gone[hand] = true;
				c->bytes -= e->bytes;
				if (e->kind == KIND_CHAIN)
					c->nchains--;
				else
					c->count--;
			}
		}
		hand = (hand + 1) % c->n;
		seen++;
	}
	rs_htab_reset(&c->index);
	for (size_t r = 0; r < c->n; r++) {
		struct key k;

		if (r == hand)
			new_hand = w;
		if (gone[r]) {
			entry_free(c->v[r]);
			continue;
		}
		c->v[w] = c->v[r];
		k = (struct key){ c->v[w]->key, c->v[w]->key_len, c->v[w]->addr, c->v[w]->kind };
		if (rs_htab_add(&c->index, key_hash(&k), w)) {
			for (size_t i = r + 1; i < c->n; i++)
				if (!gone[i])
					entry_free(c->v[i]);
			c->n = w + 1;
			free(gone);
			clear_all(c);
			return -ENOMEM;
		}
		w++;
	}
	c->evicted += c->n - w;
	c->n = w;
	c->hand = new_hand < w ? new_hand : 0;
	free(gone);
	return 0;
}

int rs_symcache_new(struct rs_symcache **out)
{
	struct rs_symcache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->max = SIZE_MAX;
	c->max_bytes = RS_SYMCACHE_BYTES_DEFAULT;
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

size_t rs_symcache_bytes(const struct rs_symcache *c)
{
	return c ? c->bytes : 0;
}

size_t rs_symcache_evicted(const struct rs_symcache *c)
{
	return c ? c->evicted : 0;
}

void rs_symcache_set_limit(struct rs_symcache *c, size_t max)
{
	c->max = max ? max : 1;
	if (over(c, c->count + c->nchains, c->bytes))
		evict(c, 0);
}

void rs_symcache_set_bytes(struct rs_symcache *c, size_t bytes)
{
	c->max_bytes = bytes ? bytes : 1;
	if (over(c, c->count + c->nchains, c->bytes))
		evict(c, 0);
}

static struct entry *find(struct rs_symcache *c, const struct key *k)
{
	size_t i = rs_htab_find(&c->index, key_hash(k), key_eq, c, k);

	if (i == SIZE_MAX)
		return NULL;
	c->v[i]->used = true;
	return c->v[i];
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

/* A new entry for k, not yet in the table; NULL on ENOMEM. */
static struct entry *entry_new(const struct key *k)
{
	struct entry *e;

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

	e->bytes = entry_bytes(e);
	if (e->bytes > c->max_bytes) { /* would not fit alone: not cached */
		entry_free(e);
		return 0;
	}
	if (over(c, c->count + c->nchains + 1, c->bytes + e->bytes) && evict(c, e->bytes)) {
		entry_free(e);
		return -ENOMEM;
	}
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
	c->bytes += e->bytes;
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
	e = entry_new(&key);
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

	e = entry_new(&key);
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
