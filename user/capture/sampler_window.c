// SPDX-License-Identifier: GPL-2.0
/*
 * Profile capture, reading side (capture.h): the ring buffer, the window
 * cut (sweep of still-blocked threads, swap and drain of the off-CPU sums),
 * the kernel stack map and the counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "capture/capture_priv.h"
#include "profile.skel.h"

/* Reads the iterator to its end; the records arrive through the ring buffer. */
int rs_sampler_sweep(struct rs_sampler *s, bool init)
{
	s->skel->bss->sweep_init = init;
	return rs_bpf_iter_read(s->iter);
}

int rs_sampler_poll(struct rs_sampler *s, int timeout_ms)
{
	int n = 0, m;

	/* Records rarely wake us (see rb_flags() in profile.bpf.c): wait, then read. */
	if (timeout_ms > 0)
		n = ring_buffer__poll(s->rb, timeout_ms);
	if (n < 0)
		return n;
	m = ring_buffer__consume(s->rb);
	return m < 0 ? m : n + m;
}

/* Delivers and deletes every entry of one aggregation map (no writer uses it any more). */
static int drain_agg(struct rs_sampler *s, struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	struct rs_off_key k, next;
	struct rs_off_val v;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v) && s->ops.offcpu)
			s->ops.offcpu(s->ops.ctx, &next, &v);
		k = next;
		prev = &k;
	}
	if (errno != ENOENT)
		return -errno;
	/* Deleting while walking would restart the walk: delete afterwards. */
	while (!bpf_map_get_next_key(fd, NULL, &next))
		if (bpf_map_delete_elem(fd, &next))
			return -errno;
	return 0;
}

int rs_sampler_end_window(struct rs_sampler *s, uint64_t end_ns)
{
	struct profile_bpf__bss *bss = s->skel->bss;
	uint32_t old;
	int e = 0, e2;

	if (!s->cfg.off_cpu) {
		e = ring_buffer__consume(s->rb);
		return e < 0 ? e : 0;
	}
	old = bss->agg_idx & 1;
	bss->win_start = end_ns;
	__atomic_store_n(&bss->agg_idx, old ^ 1, __ATOMIC_SEQ_CST);
	e = rs_sampler_sweep(s, false);
	e2 = ring_buffer__consume(s->rb);
	if (!e && e2 < 0)
		e = e2;
	e2 = drain_agg(s, old ? s->skel->maps.agg1 : s->skel->maps.agg0);
	return e ? e : e2;
}

int rs_sampler_kstack(struct rs_sampler *s, uint64_t key, uint64_t *ips, size_t max, size_t *n)
{
	struct rs_kstack ks;
	size_t i;

	if (!key)
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.kstacks), &key, &ks))
		return -errno;
	for (i = 0; i < RS_KSTACK_MAX && i < max && ks.ip[i]; i++)
		ips[i] = ks.ip[i];
	*n = i;
	return 0;
}

void rs_sampler_kstack_usage(struct rs_sampler *s, size_t *n, size_t *max)
{
	int fd = bpf_map__fd(s->skel->maps.kstacks);
	__u64 key, next;
	void *prev = NULL;

	*n = 0;
	*max = bpf_map__max_entries(s->skel->maps.kstacks);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		(*n)++;
		key = next;
		prev = &key;
	}
}

size_t rs_sampler_kstack_prune(struct rs_sampler *s, bool (*keep)(uint64_t key, void *ctx),
			       void *ctx)
{
	int fd = bpf_map__fd(s->skel->maps.kstacks);
	__u64 *drop = NULL, key, next;
	size_t n = 0, cap = 0, done = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!keep(next, ctx)) {
			if (n == cap) {
				size_t c = cap ? cap * 2 : 256;
				__u64 *v = realloc(drop, c * sizeof(*v));

				if (!v)
					break;
				drop = v;
				cap = c;
			}
			drop[n++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n; i++)
		done += !bpf_map_delete_elem(fd, &drop[i]);
	free(drop);
	return done;
}

void rs_sampler_forget_ufp(struct rs_sampler *s, const uint64_t *ufp, size_t n)
{
	int fd = bpf_map__fd(s->skel->maps.useen);

	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &ufp[i]);
}

void rs_sampler_counters(struct rs_sampler *s, uint64_t *out)
{
	rs_bpf_counters(&s->bpf, out, RS_PCNT_MAX);
}
