// SPDX-License-Identifier: GPL-2.0
/*
 * From a window's sums to rs_profile objects (profile_priv.h): kernel stack
 * keys read back from the kstacks map, fingerprints replaced by their unwound
 * user stacks, identical stacks merged, frames symbolized (kernel PCs with
 * kallsyms, user PCs from the process cache) and copied into the profile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack/stack.h"
#include "profile/profile_priv.h"
#include "lib/lib.h"

static bool kcache_eq(const void *ctx, size_t idx, const void *key)
{
	return ((const struct rs_profwin *)ctx)->kcache[idx].key == *(const uint64_t *)key;
}

/* The kernel stack with key, read from the kstacks map once per window. */
static const struct rs_kcache_ent *kstack_of(struct rs_profwin *w, uint64_t key)
{
	uint64_t h = rs_hash(&key, sizeof(key));
	size_t i = rs_htab_find(&w->kindex, h, kcache_eq, w, &key), n = 0;
	struct rs_kcache_ent *e;

	if (i != SIZE_MAX)
		return &w->kcache[i];
	if (rs_htab_reserve(&w->kindex, w->n_kcache + 1))
		return NULL;
	if (rs_grow(&w->kcache, &w->cap_kcache, w->n_kcache, sizeof(*w->kcache), 64))
		return NULL;
	e = &w->kcache[w->n_kcache];
	e->key = key;
	e->err =
	    w->sampler ? rs_sampler_kstack(w->sampler, key, e->ips, RS_KSTACK_MAX, &n) : -ENOENT;
	e->n = (uint32_t)n;
	rs_htab_add(&w->kindex, h, w->n_kcache++); /* cannot fail: reserved above */
	rs_u64map_set(&w->kused, key, w->window);
	return e;
}

/*
 * Kernel PCs of a key's kernel part; false when they could not be had. Key
 * 0: an on-CPU sample taken in user mode (none), or an off-CPU stack that
 * could not be kept (lost).
 */
static bool kernel_pcs(struct rs_profwin *w, enum rs_prof_kind kind, uint64_t key,
		       const uint64_t **ips, size_t *n)
{
	const struct rs_kcache_ent *e;

	*ips = NULL;
	*n = 0;
	if (!w->cfg.kernel)
		return true;
	if (!key)
		return kind == RS_PROF_ONCPU;
	e = kstack_of(w, key);
	if (!e || e->err)
		return false;
	*ips = e->ips;
	*n = e->n;
	return true;
}

/* Appends a resolved key (profile_priv.h) to res. */
static int add_resolved(struct rs_agg *res, uint64_t *buf, uint64_t ids, uint32_t state,
			uint32_t flags, const uint64_t *kips, size_t nk, const uint64_t *upcs,
			size_t nu, const struct rs_agg_entry *e)
{
	buf[0] = ids;
	buf[1] = state | (uint64_t)flags << 8;
	buf[2] = nk;
	buf[3] = nu;
	if (nk)
		memcpy(buf + RS_RKEY_HDR, kips, nk * sizeof(*kips));
	if (nu)
		memcpy(buf + RS_RKEY_HDR + nk, upcs, nu * sizeof(*upcs));
	return rs_agg_add(res, buf, RS_RKEY_HDR + nk + nu, e->count, e->ns, e->comm, e->pcomm);
}

static int resolve(struct rs_profwin *w, enum rs_prof_kind kind, struct rs_agg *res)
{
	uint64_t buf[RS_RKEY_HDR + RS_KSTACK_MAX + RS_MAX_UFRAMES];
	const struct rs_agg *src = kind == RS_PROF_ONCPU ? &w->on_cur : &w->off;
	int e = 0;

	for (size_t i = 0; i < src->n && !e; i++) {
		const struct rs_agg_entry *a = &src->v[i];
		const uint64_t *kips, *upcs = NULL;
		uint32_t flags = 0, state = 0;
		size_t nk, nu = 0;

		if (!kernel_pcs(w, kind, a->key[1], &kips, &nk)) {
			flags |= RS_RK_KERN_LOST;
			w->stats.kernel_lost++;
		}
		if (kind == RS_PROF_ONCPU) {
			flags |= (uint32_t)a->key[2];
			upcs = a->key + 3;
			nu = a->n_words - 3;
		} else {
			uint64_t ufp = a->key[3];
			const struct rs_ufp_entry *u =
			    ufp ? rs_ufpcache_get(&w->ufps, ufp, w->window) : NULL;

			state = (uint32_t)a->key[2];
			if (ufp && !u)
				w->stats.off_user_missing++;
			if (ufp && (!u || u->failed))
				flags |= RS_RK_USER_LOST;
			else if (u) {
				upcs = u->pcs;
				nu = u->n;
			}
		}
		if (flags & RS_RK_USER_LOST)
			w->stats.user_lost += a->count;
		e = add_resolved(res, buf, a->key[0], state, flags, kips, nk, upcs, nu, a);
	}
	return e;
}

/* Room for one more frame in s (capacity *cap). 0 or -ENOMEM. */
static int frame_room(struct rs_psample *s, size_t *cap)
{
	return rs_grow(&s->frames, cap, s->n_frames, sizeof(*s->frames), 16);
}

static int push_frame(struct rs_psample *s, size_t *cap, const struct rs_frame *f)
{
	if (frame_room(s, cap))
		return -ENOMEM;
	if (rs_frame_copy(&s->frames[s->n_frames], f))
		return -ENOMEM;
	s->n_frames++;
	return 0;
}

/* Appends the kernel frame of pc: built in place, not copied. */
static int kernel_frame(struct rs_profwin *w, struct rs_psample *s, size_t *cap, uint64_t pc)
{
	if (frame_room(s, cap))
		return -ENOMEM;
	if (rs_kframe(w->ksyms, pc, &s->frames[s->n_frames]))
		return -ENOMEM;
	s->n_frames++;
	return 0;
}

/* Appends the user frames of the PC words w[0..n): the stack's frames, else addresses. */
static int user_frames(struct rs_pidinfo *pi, struct rs_psample *s, size_t *cap, const uint64_t *w,
		       size_t n)
{
	const struct rs_frame *fr = NULL;
	size_t nf = 0;
	int e = 0;

	if (pi)
		fr = rs_pidinfo_frames(pi, w, n, &nf);
	for (size_t i = 0; i < nf && !e; i++)
		e = push_frame(s, cap, &fr[i]);
	for (size_t i = 0; !nf && i < n && !e; i++) {
		struct rs_frame addr_only = { .addr = w[i] & ~RS_PC_ACTIVATION };

		e = push_frame(s, cap, &addr_only);
	}
	return e;
}

static void set_comm(char *dst, const char *src)
{
	memcpy(dst, src, RS_COMM_LEN + 1);
	if (!dst[0])
		strcpy(dst, "?");
}

/* Fills one psample from a resolved key. */
static int fill_sample(struct rs_profwin *w, enum rs_prof_kind kind, const struct rs_agg_entry *a,
		       struct rs_psample *s, uint64_t period_ns)
{
	static const struct rs_frame user_lost = { .function = (char *)"[user stack lost]" };
	static const struct rs_frame kern_lost = { .function = (char *)"[kernel stack lost]",
						   .kernel = true };
	const uint64_t *k = a->key;
	uint32_t flags = (uint32_t)(k[1] >> 8);
	size_t nk = k[2], nu = k[3], cap = 0;
	struct rs_pidinfo *pi;
	int e = 0;

	s->pid = k[0] >> 32;
	s->tid = (uint32_t)k[0];
	set_comm(s->comm, a->pcomm);
	set_comm(s->thread, a->comm);
	s->state = kind == RS_PROF_OFFCPU ? (char)(k[1] & 0xff) : 0;
	s->count = a->count;
	/* on-CPU: each sample's own weight (its rate's period over the share kept) */
	s->value_ns = a->ns ? a->ns : a->count * period_ns;
	if (flags & RS_RK_KERN_LOST)
		e = push_frame(s, &cap, &kern_lost);
	for (size_t i = 0; i < nk && !e; i++)
		e = kernel_frame(w, s, &cap, k[RS_RKEY_HDR + i]);
	pi = nu ? rs_pidcache_get(w->pids, s->pid) : NULL;
	if (nu && !e)
		e = user_frames(pi, s, &cap, k + RS_RKEY_HDR + nk, nu);
	if (!e && (flags & RS_RK_USER_LOST))
		e = push_frame(s, &cap, &user_lost);
	return e;
}

static bool has_pid(const struct rs_profile *p, uint32_t pid)
{
	for (size_t i = 0; i < p->n_mappings; i++)
		if (p->mappings[i].pid == pid)
			return true;
	return false;
}

/* The executable file mappings of each process in p, for pprof. */
static int add_mappings(struct rs_profwin *w, struct rs_profile *p)
{
	for (size_t i = 0; i < p->n_samples; i++) {
		uint32_t pid = p->samples[i].pid;
		struct rs_pidinfo *pi;
		const struct rs_maps *m;

		if (has_pid(p, pid) || !(pi = rs_pidcache_peek(w->pids, pid)) ||
		    !(m = rs_pidinfo_maps(pi)))
			continue;
		for (size_t j = 0; j < m->n; j++) {
			const struct rs_map *mp = &m->v[j];
			struct rs_pmapping *v;

			if (mp->perms[2] != 'x' || !mp->path || mp->path[0] != '/')
				continue;
			v = realloc(p->mappings, (p->n_mappings + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->mappings = v;
			v = &p->mappings[p->n_mappings];
			*v = (struct rs_pmapping){
				.pid = pid, .start = mp->start, .end = mp->end, .offset = mp->offset
			};
			v->file = strdup(mp->path);
			if (!v->file)
				return -ENOMEM;
			p->n_mappings++;
		}
	}
	return 0;
}

int rs_profwin_build(struct rs_profwin *w, enum rs_prof_kind kind, struct rs_profile *p)
{
	struct rs_agg res = { 0 };
	int e = 0;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (kind == RS_PROF_ONCPU) {
		p->freq_hz = w->cfg.freq_hz;
		p->period_ns = w->cfg.freq_hz ? 1000000000ull / w->cfg.freq_hz : 0;
	}
	if (w->cfg.target && !(p->target = strdup(w->cfg.target)))
		e = -ENOMEM;
	if (!e)
		e = resolve(w, kind, &res);
	if (!e && res.n) {
		p->samples = calloc(res.n, sizeof(*p->samples));
		if (!p->samples)
			e = -ENOMEM;
	}
	for (size_t i = 0; i < res.n && !e; i++) {
		e = fill_sample(w, kind, &res.v[i], &p->samples[i], p->period_ns);
		p->n_samples = i + 1; /* owned by p even when half filled */
	}
	if (!e)
		e = add_mappings(w, p);
	rs_agg_clear(&res);
	return e;
}
