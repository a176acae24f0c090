// SPDX-License-Identifier: GPL-2.0
/* Processes met by a profile, with their symbolized PCs (profile_priv.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "profile/profile_priv.h"
#include "lib/lib.h"

/* One distinct user stack of a process and its frames. */
struct ustack {
	uint64_t *words; /* PC words, innermost first */
	size_t n_words;
	struct rs_frame *frames;
	size_t n_frames;
};

struct rs_pidinfo {
	struct rs_pidcache *cache;
	uint32_t pid;
	uint64_t starttime;   /* /proc/PID/stat field 22: tells a reused pid apart */
	uint64_t maps_hash;   /* of /proc/PID/maps when opened */
	struct rs_proc *proc; /* NULL when unreadable */
	int open_err;
	struct ustack *stacks;
	size_t n_stacks, cap_stacks, n_frames;
	struct rs_htab index; /* PC words -> stacks[] */
	uint64_t last_use;    /* window */
	size_t warned;	      /* bytes of rs_proc_warnings(proc) already on stderr */
	bool refused_said;    /* its /proc files were refused, said once */
};

struct rs_pidcache {
	char *proc_root;
	struct rs_symcache *sym;
	struct rs_pidinfo **v;
	size_t n, cap;
	uint64_t window;
	struct rs_unwound *uw;	 /* scratch */
	uint64_t max_debug_size; /* 0: rs_proc's default */
	uint64_t problems;	 /* lines said: something readable was not (rs_pidcache_problems) */
};

/* Says on stderr, once each, the problems rs_proc found since last time (refused files…). */
static void say_warnings(struct rs_pidinfo *pi)
{
	const char *w = rs_proc_warnings(pi->proc);
	char path[256];
	size_t len, said = 0;

	for (w = w ? w + pi->warned : NULL; w && *w; w += len + 1, pi->warned += len + 1) {
		len = strcspn(w, "\n");
		rs_msg("pid %" PRIu32 ": %.*s", pi->pid, (int)len, w);
		said++;
		if (!w[len])
			break;
	}
	/* what an exiting process could not give is churn, not a partial profile */
	snprintf(path, sizeof(path), "%s/%" PRIu32, pi->cache->proc_root, pi->pid);
	if (said && !access(path, F_OK))
		pi->cache->problems += said;
}

/* Start time and maps hash of pid now; -ESRCH when it is gone. */
static int identify(const char *proc_root, uint32_t pid, uint64_t *starttime, uint64_t *maps_hash)
{
	struct rs_proc_stat st;
	char path[256], *text = NULL;
	size_t len;
	int e;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/stat", proc_root, pid);
	e = rs_read_file(path, &text, &len);
	if (e)
		return e == -ENOENT ? -ESRCH : e;
	e = rs_parse_stat(text, &st);
	free(text);
	if (e)
		return e;
	*starttime = st.starttime;
	if (!maps_hash)
		return 0;
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/maps", proc_root, pid);
	e = rs_read_file(path, &text, &len);
	if (e)
		return e == -ENOENT ? -ESRCH : e;
	*maps_hash = rs_hash(text, len);
	free(text);
	return 0;
}

static void stacks_clear(struct rs_pidinfo *pi)
{
	for (size_t i = 0; i < pi->n_stacks; i++) {
		free(pi->stacks[i].words);
		rs_frames_free(pi->stacks[i].frames, pi->stacks[i].n_frames);
	}
	free(pi->stacks);
	pi->stacks = NULL;
	pi->n_stacks = pi->cap_stacks = pi->n_frames = 0;
	rs_htab_clear(&pi->index);
}

static void pidinfo_free(struct rs_pidinfo *pi)
{
	if (!pi)
		return;
	stacks_clear(pi);
	rs_proc_free(pi->proc);
	free(pi);
}

/* (Re)opens pi's process. */
static void pidinfo_open(struct rs_pidcache *c, struct rs_pidinfo *pi)
{
	stacks_clear(pi);
	rs_proc_free(pi->proc);
	pi->proc = NULL;
	pi->warned = 0;
	pi->open_err = identify(c->proc_root, pi->pid, &pi->starttime, &pi->maps_hash);
	if (!pi->open_err)
		pi->open_err = rs_proc_open(c->proc_root, pi->pid, c->sym, &pi->proc);
	if (!pi->open_err && c->max_debug_size)
		rs_proc_set_max_debug_size(pi->proc, c->max_debug_size);
	if ((pi->open_err == -EACCES || pi->open_err == -EPERM) && !pi->refused_said) {
		/* an exited process is churn; a refused one should have been readable */
		rs_msg(
		    "pid %" PRIu32 ": cannot read %s/%" PRIu32
		    "/maps: %s: its user stacks stay unnamed; reading another user's or a privileged process's files needs CAP_SYS_PTRACE",
		    pi->pid, c->proc_root, pi->pid, strerror(-pi->open_err));
		c->problems++;
		pi->refused_said = true;
	}
}

uint64_t rs_pidcache_problems(const struct rs_pidcache *c)
{
	return c->problems;
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

void rs_pidcache_set_max_debug_size(struct rs_pidcache *c, uint64_t bytes)
{
	c->max_debug_size = bytes;
}

void rs_pidcache_set_symcache_bytes(struct rs_pidcache *c, uint64_t bytes)
{
	rs_symcache_set_bytes(c->sym, (size_t)bytes);
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

struct words {
	const uint64_t *w;
	size_t n;
};

static bool stack_eq(const void *ctx, size_t idx, const void *key)
{
	const struct ustack *st = &((const struct rs_pidinfo *)ctx)->stacks[idx];
	const struct words *k = key;

	return st->n_words == k->n && !memcmp(st->words, k->w, k->n * sizeof(*k->w));
}

/*
 * The stack of PC words w[0..n), symbolized through the one stack path the
 * first time it is seen; NULL on -ENOMEM or when the process is unreadable.
 */
static struct ustack *stack_of(struct rs_pidinfo *pi, const uint64_t *w, size_t n)
{
	struct words k = { w, n };
	uint64_t h = rs_hash(w, n * sizeof(*w));
	size_t i = rs_htab_find(&pi->index, h, stack_eq, pi, &k);
	struct rs_unwound *u = pi->cache->uw;
	struct ustack *st;

	if (i != SIZE_MAX)
		return &pi->stacks[i];
	if (!pi->proc || n > RS_MAX_UFRAMES)
		return NULL;
	if (pi->n_frames >= RS_PIDCACHE_FRAMES_MAX)
		stacks_clear(pi);
	if (rs_grow(&pi->stacks, &pi->cap_stacks, pi->n_stacks, sizeof(*pi->stacks), 64))
		return NULL;
	if (rs_htab_reserve(&pi->index, pi->n_stacks + 1))
		return NULL;
	st = &pi->stacks[pi->n_stacks];
	memset(st, 0, sizeof(*st));
	st->words = malloc(n * sizeof(*w));
	if (!st->words)
		return NULL;
	memcpy(st->words, w, n * sizeof(*w));
	st->n_words = n;
	memset(&u->info, 0, sizeof(u->info));
	u->n = n;
	for (size_t j = 0; j < n; j++) {
		u->pc[j] = w[j] & ~RS_PC_ACTIVATION;
		u->activation[j] = w[j] & RS_PC_ACTIVATION;
	}
	/* A stack that cannot be symbolized (ENOMEM) keeps what it got: addresses at worst. */
	rs_stack_frames(pi->proc, u, &st->frames, &st->n_frames);
	say_warnings(pi);
	pi->n_frames += st->n_frames;
	rs_htab_add(&pi->index, h, pi->n_stacks); /* cannot fail: reserved above */
	pi->n_stacks++;
	return st;
}

int rs_pidinfo_unwind(struct rs_pidinfo *pi, const struct rs_ustack *us, uint64_t *pcs, size_t max,
		      size_t *n, struct rs_unwind_info *info)
{
	struct rs_unwound *u = pi->cache->uw;
	int e;

	*n = 0;
	if (!pi->proc)
		return pi->open_err ? pi->open_err : -ESRCH;
	e = rs_stack_unwind(pi->proc, us, u);
	say_warnings(pi);
	if (e)
		return e;
	*info = u->info;
	for (size_t i = 0; i < u->n && *n < max; i++)
		pcs[(*n)++] = u->pc[i] | (u->activation[i] ? RS_PC_ACTIVATION : 0);
	if (*n && !stack_of(pi, pcs, *n))
		return -ENOMEM;
	return 0;
}

const struct rs_frame *rs_pidinfo_frames(struct rs_pidinfo *pi, const uint64_t *words,
					 size_t n_words, size_t *n)
{
	const struct ustack *st = n_words ? stack_of(pi, words, n_words) : NULL;

	*n = st ? st->n_frames : 0;
	return st && st->n_frames ? st->frames : NULL;
}

void rs_pidinfo_warm(struct rs_pidinfo *pi, uint64_t until_ns)
{
	const struct rs_maps *m = rs_pidinfo_maps(pi);

	for (size_t i = 0; m && i < m->n && rs_mono_ns() < until_ns; i++) {
		const struct rs_map *mp = &m->v[i];
		struct rs_frame *frames = NULL;
		size_t n = 0;

		if (mp->perms[2] != 'x' || !mp->path || mp->path[0] != '/')
			continue;
		if (!rs_symbolize(pi->proc, mp->start, true, &frames, &n))
			rs_frames_free(frames, n);
	}
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
