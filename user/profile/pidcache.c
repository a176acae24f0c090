// SPDX-License-Identifier: GPL-2.0
/* Processes met by a profile, with their symbolized PCs (pidcache.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "profile/profile_priv.h"
#include "lib/lib.h"

struct pcsym {
	uint64_t pc_word; /* 0: empty slot */
	struct rs_frame *frames;
	size_t n;
};

struct rs_pidinfo {
	struct rs_pidcache *cache;
	uint32_t pid;
	uint64_t starttime;   /* /proc/PID/stat field 22: tells a reused pid apart */
	uint64_t maps_hash;   /* of /proc/PID/maps when opened */
	struct rs_proc *proc; /* NULL when unreadable */
	int open_err;
	struct pcsym *pcs; /* open addressing on pc_word */
	size_t n_pcs, n_slots;
	uint64_t last_use; /* window */
};

struct rs_pidcache {
	char *proc_root;
	struct rs_symcache *sym;
	struct rs_pidinfo **v;
	size_t n, cap;
	uint64_t window;
	struct rs_unwound *uw; /* scratch */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Start time and maps hash of pid now; -ESRCH when it is gone. */
static int identify(const char *proc_root, uint32_t pid, uint64_t *starttime, uint64_t *maps_hash)
{
	char path[256], *text = NULL, *p;
	unsigned long long st = 0;
	size_t len;
	int e;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/stat", proc_root, pid);
	e = rs_read_file(path, &text, &len);
	if (e)
		return e == -ENOENT ? -ESRCH : e;
	/* the fields after the name in parentheses: state is field 3, starttime 22 */
	p = strrchr(text, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &st) != 1) {
		free(text);
		return -EINVAL;
	}
	free(text);
	*starttime = st;
	if (!maps_hash)
		return 0;
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/maps", proc_root, pid);
	e = rs_read_file(path, &text, &len);
	if (e)
		return e == -ENOENT ? -ESRCH : e;
	*maps_hash = hash_bytes(text, len);
	free(text);
	return 0;
}

static void pcs_clear(struct rs_pidinfo *pi)
{
	for (size_t i = 0; i < pi->n_slots; i++) {
		for (size_t j = 0; j < pi->pcs[i].n; j++)
			rs_frame_clear(&pi->pcs[i].frames[j]);
		free(pi->pcs[i].frames);
	}
	free(pi->pcs);
	pi->pcs = NULL;
	pi->n_pcs = pi->n_slots = 0;
}

static void pidinfo_free(struct rs_pidinfo *pi)
{
	if (!pi)
		return;
	pcs_clear(pi);
	rs_proc_free(pi->proc);
	free(pi);
}

/* (Re)opens pi's process. */
static void pidinfo_open(struct rs_pidcache *c, struct rs_pidinfo *pi)
{
	pcs_clear(pi);
	rs_proc_free(pi->proc);
	pi->proc = NULL;
	pi->open_err = identify(c->proc_root, pi->pid, &pi->starttime, &pi->maps_hash);
	if (!pi->open_err)
		pi->open_err = rs_proc_open(c->proc_root, pi->pid, c->sym, &pi->proc);
}

int rs_pidcache_new(const char *proc_root, struct rs_pidcache **out)
{
	struct rs_pidcache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->proc_root = strdup(proc_root);
	c->uw = malloc(sizeof(*c->uw));
	if (!c->proc_root || !c->uw || rs_symcache_new(&c->sym)) {
		rs_pidcache_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void rs_pidcache_free(struct rs_pidcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		pidinfo_free(c->v[i]);
	free(c->v);
	rs_symcache_free(c->sym); /* after every rs_proc opened with it */
	free(c->uw);
	free(c->proc_root);
	free(c);
}

struct rs_pidinfo *rs_pidcache_peek(struct rs_pidcache *c, uint32_t pid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i]->pid == pid)
			return c->v[i];
	return NULL;
}

struct rs_pidinfo *rs_pidcache_get(struct rs_pidcache *c, uint32_t pid)
{
	struct rs_pidinfo *pi = rs_pidcache_peek(c, pid);

	if (pi) {
		pi->last_use = c->window;
		return pi;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct rs_pidinfo **v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	pi = calloc(1, sizeof(*pi));
	if (!pi)
		return NULL;
	pi->cache = c;
	pi->pid = pid;
	pi->last_use = c->window;
	pidinfo_open(c, pi);
	if (pi->open_err == -ENOMEM) {
		pidinfo_free(pi);
		return NULL;
	}
	c->v[c->n++] = pi;
	return pi;
}

static size_t pcs_slot(const struct rs_pidinfo *pi, uint64_t w)
{
	size_t mask = pi->n_slots - 1, i = (w * 0x9e3779b97f4a7c15ULL) >> 20 & mask;

	while (pi->pcs[i].pc_word && pi->pcs[i].pc_word != w)
		i = (i + 1) & mask;
	return i;
}

static int pcs_grow(struct rs_pidinfo *pi)
{
	struct rs_pidinfo tmp = *pi;

	tmp.n_slots = pi->n_slots ? pi->n_slots * 2 : 256;
	tmp.pcs = calloc(tmp.n_slots, sizeof(*tmp.pcs));
	if (!tmp.pcs)
		return -ENOMEM;
	for (size_t i = 0; i < pi->n_slots; i++)
		if (pi->pcs[i].pc_word)
			tmp.pcs[pcs_slot(&tmp, pi->pcs[i].pc_word)] = pi->pcs[i];
	free(pi->pcs);
	pi->pcs = tmp.pcs;
	pi->n_slots = tmp.n_slots;
	return 0;
}

/* Symbolizes the PC word w once; a failure leaves it unknown (shown as an address). */
static int symbolize_once(struct rs_pidinfo *pi, uint64_t w)
{
	struct pcsym *s;
	int e;

	if (pi->n_slots && pi->pcs[pcs_slot(pi, w)].pc_word)
		return 0;
	if (pi->n_pcs >= RS_PIDCACHE_PCS_MAX)
		pcs_clear(pi);
	if ((pi->n_pcs + 1) * 2 > pi->n_slots && pcs_grow(pi))
		return -ENOMEM;
	s = &pi->pcs[pcs_slot(pi, w)];
	e = rs_symbolize(pi->proc, w & ~RS_PC_ACTIVATION, w & RS_PC_ACTIVATION, &s->frames, &s->n);
	if (e == -ENOMEM)
		return e;
	s->pc_word = w;
	pi->n_pcs++;
	return 0;
}

int rs_pidinfo_unwind(struct rs_pidinfo *pi, const struct rs_regs *regs, const void *stack,
		      size_t len, uint64_t *pcs, size_t max, size_t *n, struct rs_unwind_info *info)
{
	struct rs_unwound *u = pi->cache->uw;
	int e;

	*n = 0;
	if (!pi->proc)
		return pi->open_err ? pi->open_err : -ESRCH;
	e = rs_unwind(pi->proc, regs, stack, len, u);
	if (e)
		return e;
	*info = u->info;
	for (size_t i = 0; i < u->n && *n < max; i++) {
		uint64_t w = u->pc[i] | (u->activation[i] ? RS_PC_ACTIVATION : 0);

		e = symbolize_once(pi, w);
		if (e)
			return e;
		pcs[(*n)++] = w;
	}
	return 0;
}

const struct rs_frame *rs_pidinfo_frames(struct rs_pidinfo *pi, uint64_t pc_word, size_t *n)
{
	struct pcsym *s;

	*n = 0;
	if (pi->proc && symbolize_once(pi, pc_word))
		return NULL;
	if (!pi->n_slots)
		return NULL;
	s = &pi->pcs[pcs_slot(pi, pc_word)];
	if (!s->pc_word)
		return NULL;
	*n = s->n;
	return s->frames;
}

const struct rs_maps *rs_pidinfo_maps(const struct rs_pidinfo *pi)
{
	return pi->proc ? rs_proc_maps(pi->proc) : NULL;
}

size_t rs_pidcache_refresh(struct rs_pidcache *c)
{
	size_t keep = 0, dropped = 0;

	c->window++;
	for (size_t i = 0; i < c->n; i++) {
		struct rs_pidinfo *pi = c->v[i];
		uint64_t st = 0, mh = 0;
		int e = identify(c->proc_root, pi->pid, &st, &mh);

		if (e || st != pi->starttime || c->window - pi->last_use > RS_PIDCACHE_IDLE) {
			pidinfo_free(pi);
			dropped++;
			continue;
		}
		if (mh != pi->maps_hash || (!pi->proc && pi->open_err != -ESRCH))
			pidinfo_open(c, pi);
		c->v[keep++] = pi;
	}
	c->n = keep;
	return dropped;
}

bool rs_pidcache_is_gone(uint32_t pid, void *ctx)
{
	struct rs_pidcache *c = ctx;
	char path[256];

	if (rs_pidcache_peek(c, pid))
		return false;
	snprintf(path, sizeof(path), "%s/%" PRIu32, c->proc_root, pid);
	return access(path, F_OK) != 0;
}

size_t rs_pidcache_count(const struct rs_pidcache *c)
{
	return c->n;
}
