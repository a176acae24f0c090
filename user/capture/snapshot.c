// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot capture: load the BPF object, run the task iterator while a second
 * thread drains the ring buffer, then re-capture the threads that were on a
 * CPU in their own context with a short per-thread cpu-clock perf event.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/capture_priv.h"
#include "capture/proc_priv.h"
#include "lib/lib.h"
#include "stack/stack.h"
#include "snapshot.skel.h"

_Static_assert(sizeof(struct rs_holder_rec) == 24, "rs_holder_rec layout");
_Static_assert(sizeof(struct rs_regs) % 8 == 0, "rs_regs must be 8-byte sized");
_Static_assert(sizeof(struct rs_task_rec) % 8 == 0, "rs_task_rec must be 8-byte sized");
_Static_assert(__builtin_offsetof(struct rs_task_rec, cgroup_id) == 48, "rs_task_rec layout");
_Static_assert(__builtin_offsetof(struct rs_task_rec, regs) == 128, "rs_task_rec layout");
/* No holes around the arch-sized registers either. */
_Static_assert(__builtin_offsetof(struct rs_task_rec, kstack) == 128 + sizeof(struct rs_regs),
	       "rs_task_rec layout");
_Static_assert(sizeof(struct rs_task_rec) ==
		   128 + sizeof(struct rs_regs) + RS_KSTACK_MAX * 8 + 40 + RS_ARG_PEEK_MAX + 24,
	       "rs_task_rec layout");

#define RS_PERF_PERIOD_NS 100000 /* 100 us of the thread's own CPU time */

struct collector {
	struct rs_capture *cap;
	struct ring_buffer *rb;
	atomic_bool stop;
	int err;
	size_t perf_recs;
};

/* Ring buffer callback: keep a private copy of each record. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct rs_task_rec *rec = data;
	struct rs_capture *cap = c->cap;
	struct rs_task_rec *copy, **v;
	size_t len;

	if (size < sizeof(*rec) || rec->utop_len > RS_USTACK_TOP ||
	    sizeof(*rec) + rec->ustack_len + rec->utop_len > size)
		return 0; /* malformed: cannot happen with a matching BPF object */
	len = sizeof(*rec) + rec->ustack_len + rec->utop_len;
	copy = malloc(len);
	if (!copy) {
		c->err = -ENOMEM;
		return 0;
	}
	memcpy(copy, rec, len);
	v = realloc(cap->recs, (cap->n + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		c->err = -ENOMEM;
		return 0;
	}
	cap->recs = v;
	cap->recs[cap->n++] = copy;
	if (rec->flags & RS_TF_FROM_PERF)
		c->perf_recs++;
	return 0;
}

static void *drain_thread(void *arg)
{
	struct collector *c = arg;

	while (!atomic_load(&c->stop))
		ring_buffer__poll(c->rb, 20);
	ring_buffer__consume(c->rb);
	return NULL;
}

/* One iterator pass with the reader draining the ring meanwhile; 0 or -errno. */
static int run_drained(struct collector *c, struct bpf_link *link)
{
	pthread_t drain;
	int e;

	atomic_store(&c->stop, false);
	e = -pthread_create(&drain, NULL, drain_thread, c);
	if (e)
		return e;
	e = rs_bpf_iter_read(link);
	atomic_store(&c->stop, true);
	pthread_join(drain, NULL);
	return e;
}

static const char *const per_cpu_maps[] = { "iter_scratch", "perf_scratch", NULL };

/* What the snapshot cannot load without (what it can do without, its programs test). */
static const enum rs_kfeature snapshot_needs[] = { RS_KFEAT_BTF, RS_KFEAT_RINGBUF };

/* Opens, configures and loads the snapshot object; 0 or -errno with a message in err. */
/* Opens the snapshot object and sets it up for cfg; 0 or -errno with a message in err. */
static int open_obj(const struct rs_capture_cfg *cfg, struct rs_bpf *b, bool first,
		    struct snapshot_bpf **out, char *err, size_t errlen)
{
	/* Twice the records of the threads there are now, each with a typical 16 KiB of stack. */
	size_t per =
	    sizeof(struct rs_task_rec) + (cfg->stack_bytes < 16384 ? cfg->stack_bytes : 16384);
	struct rs_bpf_setup setup = {
		.target = cfg->target,
		.stack_bytes = cfg->stack_bytes,
		.kernel_stacks = cfg->kernel_stacks,
		.ring_want = (cfg->expect_threads ? cfg->expect_threads : 256) * per * 2,
		.ring_max = 256u << 20,
		.per_cpu = per_cpu_maps,
	};
	int e = 0;

	*out = snapshot_bpf__open();
	if (!*out) {
		e = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
		return e;
	}
	if (first)
		e = rs_bpf_begin(b, (*out)->obj, "snapshot", false, err, errlen);
	else
		rs_bpf_retry(b, (*out)->obj);
	if (!e)
		e = rs_bpf_setup(b, &setup, err, errlen);
	/*
	 * A preallocated hash map costs its size at creation (65 536 entries: a
	 * few ms); it only holds the threads being captured again, so size it
	 * to the target with room for threads started since it was resolved.
	 */
	if (!e && cfg->expect_threads)
		e = bpf_map__set_max_entries((*out)->maps.want_oncpu,
					     cfg->expect_threads * 2 + 1024 < 65536
						 ? cfg->expect_threads * 2 + 1024
						 : 65536);
	if (e && !*err)
		snprintf(err, errlen, "cannot size the BPF map 'want_oncpu': %s", strerror(-e));
	b->needs = snapshot_needs;
	b->n_needs = sizeof(snapshot_needs) / sizeof(snapshot_needs[0]);
	return e;
}

/*
 * Opens, configures and loads the snapshot object; 0 or -errno with a
 * message in err. The sleepable iterator is tried first; only when the
 * kernel refuses it are its features probed, and without sleepable task
 * iterators (before 5.18) the other program is loaded: no user stacks of
 * threads that are not running. With cfg->find_holders, a refused load is
 * tried again without that program, which only spares the wait report a
 * /proc scan.
 */
static int load(const struct rs_capture_cfg *cfg, struct rs_bpf *b, struct snapshot_bpf **out,
		char *err, size_t errlen)
{
	struct snapshot_bpf *skel = NULL;
	bool sleepable = true, holders = cfg->find_holders, first = true;
	bool knames = cfg->kernel_stacks && !rs_knames_disabled(), no_sleep;
	int e;

	for (;;) {
		e = open_obj(cfg, b, first, &skel, err, errlen);
		if (e)
			goto fail;
		first = false;
		bpf_program__set_autoload(skel->progs.dump_task, sleepable);
		bpf_program__set_autoload(skel->progs.dump_task_nosleep, !sleepable);
		bpf_program__set_autoload(skel->progs.find_holders, holders);
		bpf_program__set_autoload(skel->progs.name_kaddrs, knames);
		e = snapshot_bpf__load(skel);
		if (!e)
			break;
		no_sleep = sleepable && !rs_bpf_features(b)->iter_task_sleepable;
		if (!no_sleep && !knames && !holders)
			break;
		snapshot_bpf__destroy(skel);
		skel = NULL;
		/*
		 * Without the holders' iterator the /proc scan finds them, without
		 * name_kaddrs /proc/kallsyms names the kernel frames: not worth failing for.
		 */
		if (!no_sleep) {
			if (knames)
				knames = false;
			else
				holders = false;
			continue;
		}
		if (cfg->need_blocked_stacks) {
			const struct rs_kfeatures *kf = rs_bpf_features(b);

			snprintf(
			    err, errlen,
			    "this kernel (Linux %s) lacks %s (Linux %s): the BPF snapshot would have no user stacks of blocked threads",
			    *kf->release ? kf->release : "unknown",
			    rs_kfeature_name(RS_KFEAT_ITER_TASK_SLEEPABLE),
			    rs_kfeature_since(RS_KFEAT_ITER_TASK_SLEEPABLE));
			return -EOPNOTSUPP;
		}
		sleepable = false;
	}
	e = rs_bpf_loaded(b, e, cfg->target, err, errlen);
	if (e)
		goto fail;
	*out = skel;
	return 0;
fail:
	snapshot_bpf__destroy(skel);
	return e;
}

/* Index of the latest record of each tid; later records (perf, retry) win. */
static void dedup(struct rs_capture *cap)
{
	size_t w = 0;

	for (size_t i = 0; i < cap->n; i++) {
		struct rs_task_rec *r = cap->recs[i];
		bool replaced = false;

		for (size_t j = 0; j < w; j++) {
			if (cap->recs[j]->tid != r->tid)
				continue;
			/* A perf sample beats the stale iterator record; a retry beats neither. */
			if (!(cap->recs[j]->flags & RS_TF_FROM_PERF)) {
				free(cap->recs[j]);
				cap->recs[j] = r;
			} else {
				free(r);
			}
			replaced = true;
			break;
		}
		if (!replaced)
			cap->recs[w++] = r;
	}
	cap->n = w;
}

/*
 * Threads that were running when the iterator saw them: arm a per-thread
 * cpu-clock event so the BPF program captures them in their own context.
 * The bpf_link owns each perf fd once attached.
 */
static int recapture_oncpu(struct snapshot_bpf *skel, struct collector *c,
			   const struct rs_capture_cfg *cfg, struct bpf_link *iter_link)
{
	struct rs_capture *cap = c->cap;
	struct bpf_link **links = NULL;
	size_t nwant = 0, nlinks = 0, before = c->perf_recs;
	int want_fd = bpf_map__fd(skel->maps.want_oncpu);
	struct rs_tmark tm;
	uint64_t deadline;
	__u8 one = 1;
	int e = 0;

	links = calloc(cap->n ? cap->n : 1, sizeof(*links));
	if (!links)
		return -ENOMEM;
	rs_tmark_start(&tm);
	for (size_t i = 0; i < cap->n; i++) {
		struct rs_task_rec *r = cap->recs[i];
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_period = RS_PERF_PERIOD_NS,
		};
		struct bpf_link *l;
		int pfd;

		if (!(r->flags & RS_TF_ON_CPU) || (r->flags & (RS_TF_KTHREAD | RS_TF_EXITING)))
			continue;
		if (bpf_map_update_elem(want_fd, &r->tid, &one, BPF_ANY))
			continue;
		nwant++;
		pfd = rs_sys_perf_event_open(&attr, (pid_t)r->tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (pfd < 0)
			continue; /* exited meanwhile; the retry pass below decides */
		l = bpf_program__attach_perf_event(skel->progs.sample_oncpu, pfd);
		if (!l) {
			close(pfd);
			continue;
		}
		links[nlinks++] = l;
	}
	rs_timings_add(&tm, "capture: per-thread perf events open+attach");
	if (!nwant)
		goto cleanup;

	rs_tmark_start(&tm);
	deadline = rs_mono_ns() + (uint64_t)cfg->oncpu_wait_ms * 1000000ull;
	while (c->perf_recs - before < nwant && rs_mono_ns() < deadline)
		ring_buffer__poll(c->rb, 5);
	rs_timings_add(&tm, "capture: waiting for perf samples");
	rs_tmark_start(&tm);
	for (size_t i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	nlinks = 0;
	ring_buffer__consume(c->rb);
	rs_timings_add(&tm, "capture: perf events close");

	/* Threads that went to sleep meanwhile now have valid saved registers. */
	if (c->perf_recs - before < nwant) {
		size_t n0 = cap->n;

		skel->bss->retry_mode = true;
		e = rs_bpf_iter_read(iter_link);
		skel->bss->retry_mode = false;
		ring_buffer__consume(c->rb);
		for (size_t i = n0; i < cap->n; i++)
			if (cap->recs[i]->flags & RS_TF_ON_CPU)
				cap->oncpu_missed++;
	}
cleanup:
	for (size_t i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	free(links);
	return e;
}

/*
 * Threads whose used stack went past --stack-bytes: copied again, in one more
 * iterator pass over only them, with the largest window (RS_USTACK_MAX), so a
 * deep stack unwinds as far as gdb's. Blocked threads' stacks hold still;
 * their new record replaces the first (dedup()). A thread the perf sample
 * caught had that window copied in the sample itself (sample_oncpu), at the
 * moment of its registers: a copy now would be of a stack that has moved
 * since. One the iterator saw running that no sample caught has stale
 * registers whatever is copied. The reader runs meanwhile.
 */
static int recapture_deep(struct snapshot_bpf *skel, struct collector *c,
			  const struct rs_capture_cfg *cfg, struct bpf_link *iter_link)
{
	struct rs_capture *cap = c->cap;
	int want_fd = bpf_map__fd(skel->maps.want_oncpu);
	size_t nwant = 0;
	__u8 one = 1;
	int e;

	if (cfg->stack_bytes >= RS_USTACK_MAX)
		return 0;
	for (size_t i = 0; i < cap->n; i++) {
		const struct rs_task_rec *r = cap->recs[i];

		if (!(r->flags & RS_TF_USTACK_TRUNC) || !r->ustack_len ||
		    (r->flags & (RS_TF_FROM_PERF | RS_TF_ON_CPU | RS_TF_KTHREAD | RS_TF_EXITING)))
			continue;
		if (!bpf_map_update_elem(want_fd, &r->tid, &one, BPF_ANY))
			nwant++;
	}
	if (!nwant)
		return 0;
	skel->bss->retry_mode = true;
	skel->bss->deep_bytes = RS_USTACK_MAX;
	e = run_drained(c, iter_link);
	skel->bss->retry_mode = false;
	skel->bss->deep_bytes = 0;
	return e;
}

int rs_capture_check(struct rs_capture_mechanism *m, char *err, size_t errlen)
{
	static const struct rs_resolved none;
	const struct rs_capture_cfg cfg = {
		.target = &none,
		.stack_bytes = RS_USTACK_DEFAULT,
		.kernel_stacks = true,
	};
	struct snapshot_bpf *skel = NULL;
	struct rs_bpf b;
	int e = load(&cfg, &b, &skel, err, errlen);

	memset(m, 0, sizeof(*m));
	if (!e)
		m->user_stacks_blocked = bpf_program__autoload(skel->progs.dump_task);
	snapshot_bpf__destroy(skel);
	return e;
}

struct rs_capture_session {
	struct rs_capture_cfg cfg;
	struct rs_bpf b;
	struct snapshot_bpf *skel;
	struct bpf_link *iter_link;
	struct collector c;
	uint64_t counters[RS_CNT_MAX]; /* the counters at the end of the last run */
	struct bpf_link *holders_link; /* find_holders, attached at its first use */
	uint64_t *want_keys;	       /* the inodes in want_inodes now */
	size_t n_keys;
	bool
	    holders_failed; /* find_holders cannot run here: rs_capture_session_holders() says so */
	struct rs_knames *knames; /* name_kaddrs, attached at its first use */
};

int rs_capture_session_new(const struct rs_capture_cfg *cfg, struct rs_capture_session **out,
			   char *err, size_t errlen)
{
	struct rs_capture_session *s = calloc(1, sizeof(*s));
	struct rs_tmark tm;
	int e;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	rs_tmark_start(&tm);
	e = load(cfg, &s->b, &s->skel, err, errlen);
	rs_timings_add(&tm, "bpf: open, load, verify (maps created)");
	if (e)
		goto fail;
	rs_tmark_start(&tm);
	e = rs_bpf_ring(&s->b, on_record, &s->c, &s->c.rb, err, errlen);
	rs_timings_add(&tm, "bpf: ring buffer mmap");
	if (e)
		goto fail;
	rs_tmark_start(&tm);
	s->iter_link = bpf_program__attach_iter(bpf_program__autoload(s->skel->progs.dump_task)
						    ? s->skel->progs.dump_task
						    : s->skel->progs.dump_task_nosleep,
						NULL);
	if (!s->iter_link) {
		e = -errno;
		snprintf(err, errlen, "cannot attach the task iterator: %s (needs Linux >= 6.1)",
			 strerror(-e));
		goto fail;
	}
	rs_timings_add(&tm, "bpf: iterator attach");
	*out = s;
	return 0;
fail:
	rs_capture_session_free(s);
	return e;
}

/* Keeps only the records of the tgids in keep[0..n) (n 0: all). */
static void keep_tgids(struct rs_capture *cap, const uint32_t *keep, size_t n)
{
	size_t w = 0;

	if (!n)
		return;
	for (size_t i = 0; i < cap->n; i++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			found = cap->recs[i]->tgid == keep[j];
		if (found)
			cap->recs[w++] = cap->recs[i];
		else
			free(cap->recs[i]);
	}
	cap->n = w;
}

int rs_capture_session_run(struct rs_capture_session *s, const struct rs_capture_run_opts *ro,
			   struct rs_capture **out, char *err, size_t errlen)
{
	struct collector *c = &s->c;
	struct rs_capture *cap = NULL;
	uint64_t now_cnt[RS_CNT_MAX];
	struct timespec now;
	struct rs_tmark tm;
	uint64_t t0;
	int e;

	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->cap = cap;
	c->err = 0;
	c->perf_recs = 0;
	s->skel->bss->light_mode = ro && ro->light;
	clock_gettime(CLOCK_REALTIME, &now);
	cap->taken_at_unix_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	t0 = rs_mono_ns();
	rs_tmark_start(&tm);
	e = run_drained(c, s->iter_link);
	rs_timings_add(&tm, "capture: task iterator pass");
	s->skel->bss->light_mode = false;
	if (e) {
		snprintf(err, errlen, "cannot read the task iterator: %s", strerror(-e));
		goto cleanup;
	}
	if (ro)
		keep_tgids(cap, ro->tgids, ro->n_tgids);
	if (!ro || !ro->light) {
		e = recapture_oncpu(s->skel, c, &s->cfg, s->iter_link);
		if (e) {
			snprintf(err, errlen, "cannot re-read on-CPU threads: %s", strerror(-e));
			goto cleanup;
		}
		rs_tmark_start(&tm);
		e = recapture_deep(s->skel, c, &s->cfg, s->iter_link);
		rs_timings_add(&tm, "capture: deep-stack pass");
		if (e) {
			snprintf(err, errlen, "cannot re-read threads with deep stacks: %s",
				 strerror(-e));
			goto cleanup;
		}
	}
	cap->wall_ns = rs_mono_ns() - t0;
	if (c->err) {
		e = c->err;
		snprintf(err, errlen, "cannot keep the captured records: %s", strerror(-e));
		goto cleanup;
	}
	dedup(cap);
	/* Before the caller drops its privileges: only the kernel can name its frames. */
	if (s->cfg.kernel_stacks)
		rs_knames_name(s->skel, &s->knames, cap);

	/* This run's share of the session's counters. */
	rs_bpf_counters(&s->b, now_cnt, RS_CNT_MAX);
	for (size_t i = 0; i < RS_CNT_MAX; i++) {
		cap->counters[i] = now_cnt[i] - s->counters[i];
		s->counters[i] = now_cnt[i];
	}
	*out = cap;
	cap = NULL;
cleanup:
	c->cap = NULL;
	rs_capture_free(cap);
	return e;
}

/* Replaces the inodes in want_inodes with want[0..n). 0 or -errno. */
static int set_wanted(struct rs_capture_session *s, const struct rs_holder_want *want, size_t n)
{
	int fd = bpf_map__fd(s->skel->maps.want_inodes);
	uint64_t *keys;

	for (size_t i = 0; i < s->n_keys; i++)
		bpf_map_delete_elem(fd, &s->want_keys[i]);
	s->n_keys = 0;
	keys = realloc(s->want_keys, (n ? n : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	s->want_keys = keys;
	for (size_t i = 0; i < n; i++) {
		uint32_t magic = want[i].magic;

		if (bpf_map_update_elem(fd, &want[i].ino, &magic, BPF_ANY))
			return -errno;
		keys[s->n_keys++] = want[i].ino;
	}
	return 0;
}

int rs_capture_session_holders(struct rs_capture_session *s, const struct rs_holder_want *want,
			       size_t n, struct rs_holder_scan *out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int e;

	memset(out, 0, sizeof(*out));
	if (s->holders_failed || !bpf_program__autoload(s->skel->progs.find_holders) ||
	    n > RS_HOLDER_WANT_MAX)
		return -EOPNOTSUPP;
	if (!s->holders_link) {
		/*
		 * The iterator walks the tasks of rsample's PID namespace and names
		 * them by their pid in the initial one: only there is that /proc's.
		 */
		if (rs_proc_ns_ino("/proc/self/ns/pid") != RS_PIDNS_INIT_INO) {
			s->holders_failed = true;
			return -EOPNOTSUPP;
		}
		s->holders_link = bpf_program__attach_iter(s->skel->progs.find_holders, NULL);
		if (!s->holders_link) {
			s->holders_failed = true;
			return -errno;
		}
	}
	e = set_wanted(s, want, n);
	if (e)
		return e;
	s->skel->bss->holder_tables = 0;
	s->skel->bss->holder_files = 0;
	s->skel->bss->holder_last_task = 0;
	e = rs_bpf_iter_collect(s->holders_link, &buf, &len, &cap);
	if (e) {
		free(buf);
		return e;
	}
	out->recs = (struct rs_holder_rec *)buf;
	out->n = len / sizeof(struct rs_holder_rec);
	out->tables = s->skel->bss->holder_tables;
	out->files = s->skel->bss->holder_files;
	return 0;
}

bool rs_capture_session_names_kernel(const struct rs_capture_session *s)
{
	return s->cfg.kernel_stacks && rs_knames_usable(s->skel, s->knames);
}

void rs_capture_session_free(struct rs_capture_session *s)
{
	if (!s)
		return;
	bpf_link__destroy(s->holders_link);
	rs_knames_free(s->knames);
	free(s->want_keys);
	bpf_link__destroy(s->iter_link);
	ring_buffer__free(s->c.rb);
	snapshot_bpf__destroy(s->skel);
	free(s);
}

int rs_capture_run_series(const struct rs_capture_cfg *cfg, size_t n, uint64_t interval_ns,
			  struct rs_capture **out, char *err, size_t errlen)
{
	struct rs_capture_session *s = NULL;
	uint64_t t0 = 0;
	size_t done = 0;
	int e = rs_capture_session_new(cfg, &s, err, errlen);

	for (; !e && done < n; done++) {
		if (done)
			rs_sleep_until_ns(t0 + done * interval_ns);
		else
			t0 = rs_mono_ns();
		e = rs_capture_session_run(s, NULL, &out[done], err, errlen);
		if (e)
			break;
	}
	if (e)
		while (done)
			rs_capture_free(out[--done]);
	rs_capture_session_free(s);
	return e;
}

int rs_capture_run(const struct rs_capture_cfg *cfg, struct rs_capture **out, char *err,
		   size_t errlen)
{
	return rs_capture_run_series(cfg, 1, 0, out, err, errlen);
}

void rs_capture_free(struct rs_capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->recs[i]);
	free(c->recs);
	rs_ksyms_free(c->ksyms);
	free(c);
}
