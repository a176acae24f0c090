// SPDX-License-Identifier: GPL-2.0
/*
 * The profile window engine (profile.h): records in, per-window sums, and
 * the state that outlives windows. Turning sums into rs_profile objects is
 * build.c's part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/lib.h"
#include "profile/profile_priv.h"

#define LATE_USTACK_WAIT_MS 100 /* how long a window end waits for lazy user stacks */
#define UFP_KEEP_WINDOWS    4	/* unused fingerprints are forgotten after this many windows */
#define UFP_MAX		    32768
#define KSTACK_KEEP_WINDOWS 4		  /* kernel stacks unused this long may be dropped */
#define WARM_NS		    5000000000ull /* at most 5 s opening the named processes' files */
#define END_TAKE_NS	    50000000ull	  /* a window end takes in records for at most 50 ms */

int rs_profwin_new(const struct rs_profwin_cfg *cfg, const struct rs_ksyms *ksyms,
		   struct rs_profwin **out)
{
	struct rs_profwin *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->cfg.target = NULL;
	w->ksyms = ksyms;
	w->cut = UINT64_MAX;
	w->ufps.max = UFP_MAX;
	if (cfg->target && !(w->cfg.target = strdup(cfg->target)))
		goto fail;
	if (rs_pidcache_new(cfg->proc_root ? cfg->proc_root : "/proc", &w->pids))
		goto fail;
	rs_pidcache_set_max_debug_size(w->pids, cfg->max_debug_size);
	if (cfg->symbol_cache_bytes)
		rs_pidcache_set_symcache_bytes(w->pids, cfg->symbol_cache_bytes);
	*out = w;
	return 0;
fail:
	rs_profwin_free(w);
	return -ENOMEM;
}

void rs_profwin_free(struct rs_profwin *w)
{
	if (!w)
		return;
	rs_agg_clear(&w->on_cur);
	rs_agg_clear(&w->on_next);
	rs_agg_clear(&w->off);
	rs_ufpcache_clear(&w->ufps);
	rs_sampler_free(w->sampler); /* before the state its callbacks fill */
	rs_pidcache_free(w->pids);
	free(w->kcache);
	rs_htab_clear(&w->kindex);
	rs_u64map_clear(&w->kused);
	free((char *)w->cfg.target);
	free(w);
}

const struct rs_profwin_stats *rs_profwin_stats(const struct rs_profwin *w)
{
	return &w->stats;
}

uint64_t rs_profwin_unreadable(const struct rs_profwin *w)
{
	return rs_pidcache_problems(w->pids);
}

void rs_profwin_set_cut(struct rs_profwin *w, uint64_t cut_ns)
{
	w->cut = cut_ns;
}

/* Unwinds the user stack that follows rec into pcs; false when there is none to be had. */
static bool unwind_rec(struct rs_profwin *w, const struct rs_prof_rec *rec, uint64_t *pcs,
		       size_t *n)
{
	const struct rs_ustack us = { .regs = &rec->regs,
				      .stack = rec + 1,
				      .len = rec->ustack_len };
	struct rs_unwind_info info;
	struct rs_pidinfo *pi;

	*n = 0;
	if (!(rec->flags & RS_TF_REGS) || (rec->flags & RS_TF_KTHREAD) || !rec->ustack_len)
		return false;
	pi = rs_pidcache_get(w->pids, rec->tgid);
	if (!pi) {
		w->stats.dropped_nomem++;
		return false;
	}
	if (rs_pidinfo_unwind(pi, &us, pcs, RS_MAX_UFRAMES, n, &info) || !*n)
		return false;
	w->stats.user_unwound++;
	w->stats.user_incomplete += !info.complete;
	return true;
}

/* weight_ns: the CPU time the sample stands for (0: one -F period) */
static void on_sample(struct rs_profwin *w, const struct rs_prof_rec *rec, uint64_t weight_ns)
{
	uint64_t key[3 + RS_MAX_UFRAMES];
	struct rs_agg *a = rs_window_has(w->cut, rec->time_ns) ? &w->on_cur : &w->on_next;
	size_t n = 0;
	bool user = unwind_rec(w, rec, key + 3, &n);

	key[0] = rs_key_ids(rec->tgid, rec->tid);
	key[1] = rec->kstack;
	key[2] = !user && !(rec->flags & RS_TF_KTHREAD) ? RS_RK_USER_LOST : 0;
	if (!weight_ns && w->cfg.freq_hz)
		weight_ns = 1000000000ull / w->cfg.freq_hz;
	if (rs_agg_add(a, key, 3 + n, 1, weight_ns, rec->comm, rec->pcomm)) {
		w->stats.dropped_nomem++;
		return;
	}
	w->stats.samples++;
}

/* A user stack for a fingerprint (a lazy capture, or a still-blocked thread's copy). */
static void on_ustack(struct rs_profwin *w, const struct rs_prof_rec *rec)
{
	uint64_t pcs[RS_MAX_UFRAMES];
	size_t n;
	bool ok = unwind_rec(w, rec, pcs, &n);

	if (rs_ufpcache_put(&w->ufps, rec->ufp, rec->tgid, pcs, n, !ok, w->window))
		w->stats.dropped_nomem++;
}

static void add_off(struct rs_profwin *w, uint32_t tgid, uint32_t tid, uint64_t kstack,
		    uint32_t state, uint64_t ufp, uint64_t count, uint64_t ns, const char *comm,
		    const char *pcomm)
{
	uint64_t key[4] = { rs_key_ids(tgid, tid), kstack, state, ufp };

	if (rs_agg_add(&w->off, key, 4, count, ns, comm, pcomm))
		w->stats.dropped_nomem++;
}

static void on_record(void *ctx, const struct rs_prof_rec *rec, uint64_t weight_ns)
{
	struct rs_profwin *w = ctx;

	switch (rec->type) {
	case RS_PREC_SAMPLE:
		on_sample(w, rec, weight_ns);
		break;
	case RS_PREC_USTACK:
		on_ustack(w, rec);
		break;
	case RS_PREC_BLOCK:
		if (rec->ustack_len)
			on_ustack(w, rec);
		add_off(w, rec->tgid, rec->tid, rec->kstack, rec->state, rec->ufp, 1, rec->ns,
			rec->comm, rec->pcomm);
		break;
	}
}

static void on_offcpu(void *ctx, const struct rs_off_key *k, const struct rs_off_val *v)
{
	add_off(ctx, k->tgid, k->tid, k->kstack, k->state, k->ufp, v->count, v->ns, v->comm,
		v->pcomm);
}

void rs_profwin_ops(struct rs_profwin *w, struct rs_sampler_ops *ops)
{
	ops->ctx = w;
	ops->record = on_record;
	ops->offcpu = on_offcpu;
}

/* Whether every off-CPU sum of the window has its user stack (or needs none). */
static bool ustacks_complete(struct rs_profwin *w)
{
	for (size_t i = 0; i < w->off.n; i++) {
		uint64_t ufp = w->off.v[i].key[3];

		if (ufp && !rs_ufpcache_get(&w->ufps, ufp, w->window))
			return false;
	}
	return true;
}

/*
 * A lazy capture runs when its thread returns to user space, usually within
 * microseconds of the wake-up that made it wanted: give late ones a moment.
 */
static void wait_late_ustacks(struct rs_profwin *w)
{
	uint64_t deadline = rs_mono_ns() + LATE_USTACK_WAIT_MS * 1000000ull;

	if (!w->sampler)
		return;
	while (!ustacks_complete(w) && rs_mono_ns() < deadline)
		if (rs_sampler_poll(w->sampler, 5, deadline) < 0)
			break;
}

static bool pid_gone(uint32_t tgid, void *ctx)
{
	return rs_pidcache_is_gone(tgid, ctx);
}

/* A kernel stack stays unless user space knows it and has not used it for a while. */
static bool keep_kstack(uint64_t key, void *ctx)
{
	struct rs_profwin *w = ctx;
	uint64_t last;

	return !rs_u64map_get(&w->kused, key, &last) || last + KSTACK_KEEP_WINDOWS >= w->window;
}

/*
 * The kernel keeps kernel stacks in a bounded map: when it is half full,
 * drop the stacks no window used lately (continuous mode over hours).
 */
static void prune_kstacks(struct rs_profwin *w)
{
	size_t n, max;

	if (!w->sampler || !w->cfg.kernel)
		return;
	rs_sampler_kstack_usage(w->sampler, &n, &max);
	if (n * 2 < max)
		return;
	rs_sampler_kstack_prune(w->sampler, keep_kstack, w);
	rs_u64map_drop_below(&w->kused,
			     w->window > KSTACK_KEEP_WINDOWS ? w->window - KSTACK_KEEP_WINDOWS : 0);
}

/* Drops what the next windows will not need, and tells the kernel. */
static void end_of_window(struct rs_profwin *w)
{
	uint64_t *dropped = NULL;
	size_t n_dropped = 0;

	rs_pidcache_refresh(w->pids);
	prune_kstacks(w);
	if (!rs_ufpcache_trim(&w->ufps,
			      w->window >= UFP_KEEP_WINDOWS ? w->window - UFP_KEEP_WINDOWS : 0,
			      pid_gone, w->pids, &dropped, &n_dropped) &&
	    w->sampler)
		rs_sampler_forget_ufp(w->sampler, dropped, n_dropped);
	free(dropped);
	rs_htab_reset(&w->kindex);
	w->n_kcache = 0;
	rs_agg_clear(&w->off);
	rs_agg_clear(&w->on_cur);
	w->on_cur = w->on_next;
	memset(&w->on_next, 0, sizeof(w->on_next));
	w->cut = UINT64_MAX;
	w->window++;
}

int rs_profwin_build_window(struct rs_profwin *w, uint64_t start_ns, uint64_t end_ns,
			    int64_t start_unix_ns, uint64_t lost_on, uint64_t lost_off,
			    struct rs_profile *on, struct rs_profile *off)
{
	int e = 0;

	if (w->cfg.off_cpu)
		wait_late_ustacks(w);
	if (w->cfg.on_cpu) {
		e = rs_profwin_build(w, RS_PROF_ONCPU, on);
		on->start_unix_ns = start_unix_ns;
		on->duration_ns = end_ns - start_ns;
		on->lost += lost_on;
	}
	if (!e && w->cfg.off_cpu) {
		e = rs_profwin_build(w, RS_PROF_OFFCPU, off);
		off->start_unix_ns = start_unix_ns;
		off->duration_ns = end_ns - start_ns;
		off->lost += lost_off;
	}
	if (e) {
		if (w->cfg.on_cpu)
			rs_profile_clear(on);
		if (w->cfg.off_cpu)
			rs_profile_clear(off);
	}
	end_of_window(w);
	return e;
}

int rs_profwin_start(struct rs_profwin *w, const struct rs_sampler_cfg *cfg, char *err,
		     size_t errlen)
{
	uint64_t until = rs_mono_ns() + WARM_NS;
	struct rs_sampler_ops ops;

	/*
	 * A process's first sample costs the most (its maps, its ELF and debug
	 * files: 0.7 s for libc's on a loaded machine), and no deadline can cut
	 * one record short: for the processes named, pay that before the first
	 * window begins (for WARM_NS at most), not inside it.
	 */
	for (size_t i = 0; i < cfg->target->n_tgids; i++) {
		struct rs_pidinfo *pi = rs_pidcache_get(w->pids, cfg->target->tgids[i]);

		if (pi)
			rs_pidinfo_warm(pi, until);
	}
	rs_profwin_ops(w, &ops);
	return rs_sampler_start(cfg, &ops, &w->sampler, err, errlen);
}

const struct rs_sampler *rs_profwin_sampler(const struct rs_profwin *w)
{
	return w->sampler;
}

uint64_t rs_profwin_start_ns(const struct rs_profwin *w)
{
	return rs_sampler_start_ns(w->sampler);
}

int rs_profwin_poll(struct rs_profwin *w, int timeout_ms, uint64_t until_ns)
{
	return rs_sampler_poll(w->sampler, timeout_ms, until_ns);
}

void rs_profwin_last_window(struct rs_profwin *w)
{
	rs_sampler_stop_oncpu(w->sampler);
}

void rs_profwin_drops(const struct rs_profwin *w, struct rs_sampler_drops *out)
{
	rs_sampler_drops(w->sampler, out);
}

void rs_profwin_counters(struct rs_profwin *w, uint64_t *out)
{
	rs_sampler_counters(w->sampler, out);
}

int rs_profwin_finish(struct rs_profwin *w, uint64_t start_ns, uint64_t end_ns,
		      int64_t start_unix_ns, struct rs_profile *on, struct rs_profile *off,
		      bool *partial)
{
	uint64_t c[RS_PCNT_MAX], lost_on, lost_off;
	struct rs_sampler_drops d;
	int e;

	rs_profwin_set_cut(w, end_ns);
	*partial = rs_sampler_end_window(w->sampler, end_ns, end_ns + END_TAKE_NS) != 0;
	rs_sampler_counters(w->sampler, c);
	lost_on = c[RS_PCNT_SAMPLE_LOST] - w->cnt[RS_PCNT_SAMPLE_LOST];
	/* off-CPU: blocks the sums map had no room for, blocks never seen, records lost */
	lost_off = c[RS_PCNT_AGG_FULL] - w->cnt[RS_PCNT_AGG_FULL] + c[RS_PCNT_STORAGE_FAIL] -
		   w->cnt[RS_PCNT_STORAGE_FAIL] + c[RS_CNT_RINGBUF_FULL] -
		   w->cnt[RS_CNT_RINGBUF_FULL];
	memcpy(w->cnt, c, sizeof(c));
	rs_sampler_drops(w->sampler, &d);
	e = rs_profwin_build_window(w, start_ns, end_ns, start_unix_ns, lost_on, lost_off, on, off);
	if (!e && w->cfg.on_cpu)
		on->shed = d.cpu + d.late_samples - w->shed_on;
	if (!e && w->cfg.off_cpu)
		off->shed = d.late_other - w->shed_off;
	w->shed_on = d.cpu + d.late_samples;
	w->shed_off = d.late_other;
	return e;
}
