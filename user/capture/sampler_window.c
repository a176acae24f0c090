// SPDX-License-Identifier: GPL-2.0
/*
 * Profile capture, reading side (capture.h): the ring buffer, the window
 * cut (sweep of still-blocked threads, swap and drain of the off-CPU sums),
 * the kernel stack map and the counters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include "capture/capture_priv.h"
#include "lib/lib.h"
#include "profile.skel.h"

/* Reads the iterator to its end; the records arrive through the ring buffer. */
int rs_sampler_sweep(struct rs_sampler *s, bool init)
{
	s->skel->bss->sweep_init = init;
	return rs_bpf_iter_read(s->iter);
}

#define END_DISCARD_NS 20000000ull   /* a window end out of time: at most this long dropping */
#define END_OFFCPU_NS  1000000000ull /* ... and taking in off-CPU records (see on_record) */

/* One ring_buffer__poll/consume whose -ETIME (on time, out of time) is no error. */
static int ring_result(int e)
{
	return e == -ETIME ? 0 : e < 0 ? e : 0;
}

#define LATE_NS	     50000000ull /* a poll that returns this long after its end: pressure */
#define OVERSLEEP_NS 10000000ull /* a wait that ends this long after its timeout: pressure */
#define CLOCK_EVERY  64		 /* records: fewer taken in a late wait, the wait was the delay */

/* Once per cycle: the kernel's rate down under pressure, else back up towards -F. */
static void adapt_rate(struct rs_sampler *s)
{
	uint64_t c[RS_PCNT_MAX], period;
	uint32_t before = s->rate.cur;
	bool pressure;

	rs_bpf_counters(&s->bpf, c, RS_PCNT_MAX);
	pressure = s->late || c[RS_PCNT_SAMPLE_LOST] > s->lost_seen || s->shed.keep < 1.0;
	s->lost_seen = c[RS_PCNT_SAMPLE_LOST];
	s->late = false;
	if (rs_rate_step(&s->rate, pressure) == before)
		return;
	s->prev_rate_hz = before;
	s->rate_since_ns = rs_mono_ns();
	period = 1000000000ull / s->rate.cur;
	for (size_t i = 0; i < s->n_perf_fds; i++)
		ioctl(s->perf_fds[i], PERF_EVENT_IOC_PERIOD, &period);
}

void rs_sampler_stop_oncpu(struct rs_sampler *s)
{
	for (size_t i = 0; i < s->n_perf_fds; i++)
		ioctl(s->perf_fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

int rs_sampler_poll(struct rs_sampler *s, int timeout_ms, uint64_t until_ns)
{
	int e = 0;

	if (rs_shed_cycle(&s->shed, rs_mono_ns(), rs_clock_ns(CLOCK_PROCESS_CPUTIME_ID)) &&
	    s->cfg.on_cpu)
		adapt_rate(s);
	s->until_ns = until_ns;
	s->stoppable = true;
	s->taken = 0;
	/* Records rarely wake us (see rb_flags() in profile.bpf.c): wait, then read. */
	if (timeout_ms > 0) {
		uint64_t t0 = rs_mono_ns();

		e = ring_result(ring_buffer__poll(s->rb, timeout_ms));
		/*
		 * Woken this late, with few records to read: the CPUs are busy with
		 * something else, such as the sampling interrupts themselves.
		 */
		if (rs_mono_ns() > t0 + timeout_ms * 1000000ull + OVERSLEEP_NS &&
		    s->taken < CLOCK_EVERY)
			s->late = true;
	}
	if (!e && rs_mono_ns() < until_ns && !(s->cfg.stop && *s->cfg.stop))
		e = ring_result(ring_buffer__consume(s->rb));
	s->stoppable = false;
	if (rs_mono_ns() > until_ns + LATE_NS)
		s->late = true;
	return e < 0 ? e : (int)(s->taken < INT32_MAX ? s->taken : INT32_MAX);
}

/*
 * Delivers the records produced so far until until_ns, then drops the on-CPU
 * samples still there (at most END_DISCARD_NS more) while still taking in
 * off-CPU records (at most END_OFFCPU_NS more). Returns 0 or -errno.
 */
static int take_rest(struct rs_sampler *s, uint64_t until_ns)
{
	int e;

	s->until_ns = until_ns;
	s->tick = 0;
	e = ring_buffer__consume(s->rb);
	if (e != -ETIME)
		return e < 0 ? e : 0;
	s->discarding = true;
	s->until_ns = rs_mono_ns() + END_DISCARD_NS;
	s->offcpu_until_ns = s->until_ns - END_DISCARD_NS + END_OFFCPU_NS;
	e = ring_result(ring_buffer__consume(s->rb));
	s->discarding = false;
	return e;
}

void rs_sampler_drops(const struct rs_sampler *s, struct rs_sampler_drops *out)
{
	*out = s->drops;
	out->keep = s->shed.keep;
	out->rate_hz = s->rate.cur;
	out->lowest_hz = s->rate.lowest;
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

int rs_sampler_end_window(struct rs_sampler *s, uint64_t end_ns, uint64_t until_ns)
{
	struct profile_bpf__bss *bss = s->skel->bss;
	uint32_t old;
	int e = 0, e2;

	if (!s->cfg.off_cpu)
		return take_rest(s, until_ns);
	old = bss->agg_idx & 1;
	bss->win_start = end_ns;
	__atomic_store_n(&bss->agg_idx, old ^ 1, __ATOMIC_SEQ_CST);
	e = rs_sampler_sweep(s, false);
	e2 = take_rest(s, until_ns);
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
