// SPDX-License-Identifier: GPL-2.0
/*
 * Profile capture (capture.h): loads bpf/profile.bpf.c, attaches it, drains
 * its ring buffer into the consumer and cuts off-CPU accounting into windows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/capture_priv.h"
#include "lib/lib.h"
#include "profile.skel.h"

_Static_assert(sizeof(struct rs_prof_rec) == 104 + sizeof(struct rs_regs), "rs_prof_rec layout");
_Static_assert(__builtin_offsetof(struct rs_prof_rec, kstack) == 32, "rs_prof_rec layout");
_Static_assert(__builtin_offsetof(struct rs_prof_rec, regs) == 104, "rs_prof_rec layout");
_Static_assert(sizeof(struct rs_kstack) == RS_KSTACK_MAX * 8, "rs_kstack layout");
_Static_assert(sizeof(struct rs_off_key) == 32, "rs_off_key layout");
_Static_assert(sizeof(struct rs_off_val) == 48, "rs_off_val layout");

#define CLOCK_EVERY 64 /* records dropped between two looks at the clock */

/* Whether the current call must return now (a record more is taken first). */
static bool out_of_time(struct rs_sampler *s)
{
	return rs_mono_ns() >= s->until_ns || (s->stoppable && s->cfg.stop && *s->cfg.stop);
}

/*
 * The ring buffer's callback. Returning a negative value makes libbpf
 * (1.1 and later) stop right after this record, counted as consumed, and
 * return that value from ring_buffer__poll()/__consume(): -ETIME is how a
 * call ends on time however fast records arrive.
 */
static uint64_t weight_ns(const struct rs_sampler *s, const struct rs_prof_rec *rec)
{
	uint32_t hz;

	if (rec->type != RS_PREC_SAMPLE)
		return 0;
	/* the rate changes once per cycle at most: a sample is from before or after */
	hz = rec->time_ns < s->rate_since_ns ? s->prev_rate_hz : s->rate.cur;
	if (!hz)
		hz = s->rate.cur;
	return (uint64_t)(1e9 / hz / s->shed.keep + 0.5);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct rs_sampler *s = ctx;
	const struct rs_prof_rec *rec = data;

	if (size < sizeof(*rec) || sizeof(*rec) + rec->ustack_len > size)
		return 0; /* malformed: cannot happen with a matching BPF object */
	s->taken++;
	if (s->discarding) {
		/*
		 * A window end out of time drops on-CPU samples, whose number -F sets,
		 * but takes in off-CPU records (blocks, user stacks: bounded by the
		 * target's threads and stacks) until the longer END_OFFCPU_NS, else
		 * the still-blocked threads the sweep just reported would be lost.
		 */
		uint64_t now =
		    ++s->tick >= CLOCK_EVERY || rec->type != RS_PREC_SAMPLE ? rs_mono_ns() : 0;

		if (now)
			s->tick = 0;
		if (rec->type == RS_PREC_SAMPLE)
			s->drops.late_samples++;
		else if (now < s->offcpu_until_ns && s->ops.record)
			s->ops.record(s->ops.ctx, rec, 0);
		else
			s->drops.late_other++;
		if (now >= s->offcpu_until_ns ||
		    (now >= s->until_ns && rec->type == RS_PREC_SAMPLE))
			return -ETIME;
		return 0;
	} else if (rec->type == RS_PREC_SAMPLE && !rs_shed_keep(&s->shed)) {
		s->drops.cpu++;
	} else {
		if (s->ops.record)
			s->ops.record(s->ops.ctx, rec, weight_ns(s, rec));
		s->tick = CLOCK_EVERY; /* a delivery costs more than a look at the clock */
	}
	if (++s->tick < CLOCK_EVERY)
		return 0;
	s->tick = 0;
	return out_of_time(s) ? -ETIME : 0;
}

static const char *const per_cpu_maps[] = { "sample_scratch", "iter_scratch", "switch_scratch",
					    NULL };

/* What each kind of profile cannot load without (what it can do without, its programs test). */
static const enum rs_kfeature oncpu_needs[] = { RS_KFEAT_BTF, RS_KFEAT_RINGBUF };
static const enum rs_kfeature offcpu_needs[] = { RS_KFEAT_BTF, RS_KFEAT_RINGBUF, RS_KFEAT_TP_BTF,
						 RS_KFEAT_TASK_STORAGE };

/* The profile's own settings, and which programs load. */
static int configure(struct rs_sampler *s, bool task_work, char *err, size_t errlen)
{
	const struct rs_sampler_cfg *cfg = &s->cfg;
	struct profile_bpf *skel = s->skel;
	const struct rs_kfeatures *kf = &s->bpf.kf;
	/*
	 * Ring buffer: half a second of samples on every CPU (the reader drains
	 * it every 100 ms), a sample holding the used part of a stack (16 KiB
	 * taken as typical), at least 4 MiB for lazy captures and still-blocked
	 * threads, at most 64 MiB. Losses are counted and reported.
	 */
	uint64_t per =
	    sizeof(struct rs_prof_rec) + (cfg->stack_bytes < 16384 ? cfg->stack_bytes : 16384);
	struct rs_bpf_setup setup = {
		.target = cfg->target,
		.stack_bytes = cfg->stack_bytes,
		.kernel_stacks = cfg->kernel_stacks,
		.ring_want = cfg->on_cpu ? (uint64_t)cfg->freq_hz * s->bpf.ncpu * per / 2 : 0,
		.ring_max = 64u << 20,
		.per_cpu = per_cpu_maps,
	};
	int e = rs_bpf_setup(&s->bpf, &setup, err, errlen);

	if (e)
		return e;
	s->bpf.needs = cfg->off_cpu ? offcpu_needs : oncpu_needs;
	s->bpf.n_needs = cfg->off_cpu ? sizeof(offcpu_needs) / sizeof(offcpu_needs[0])
				      : sizeof(oncpu_needs) / sizeof(oncpu_needs[0]);
	skel->rodata->want_offcpu = cfg->off_cpu;
	skel->rodata->use_task_work = task_work;
	skel->rodata->switch_has_prev_state = kf->switch_prev_state;
	skel->rodata->min_block_ns = cfg->min_block_ns;
	skel->rodata->max_block_ns = cfg->max_block_ns;
	bpf_program__set_autoload(skel->progs.oncpu, cfg->on_cpu);
	bpf_program__set_autoload(skel->progs.on_switch, cfg->off_cpu);
	/* Without sleepable iterators (5.18) the sweep copies no user stacks: the other program. */
	bpf_program__set_autoload(skel->progs.sweep, cfg->off_cpu && kf->iter_task_sleepable);
	bpf_program__set_autoload(skel->progs.sweep_nosleep,
				  cfg->off_cpu && !kf->iter_task_sleepable);
	bpf_program__set_autoload(skel->progs.on_exit, cfg->off_cpu && task_work);
	bpf_program__set_autoload(skel->progs.on_sys_exit, cfg->off_cpu && !task_work);
	return 0;
}

/* Puts the target cgroup in the cgroup array that bpf_current_task_under_cgroup() reads. */
static int set_cgroup(struct rs_sampler *s, char *err, size_t errlen)
{
	__u32 zero = 0;
	int fd, e = 0;

	fd = s->cfg.target->cgroup.path
		 ? open(s->cfg.target->cgroup.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
		 : -1;
	if (fd < 0 ||
	    bpf_map_update_elem(bpf_map__fd(s->skel->maps.targ_cgrp), &zero, &fd, BPF_ANY))
		e = -errno;
	if (fd >= 0)
		close(fd);
	if (e)
		snprintf(err, errlen, "cannot open the cgroup '%s': %s",
			 s->cfg.target->cgroup.path ? s->cfg.target->cgroup.path : "?",
			 strerror(-e));
	return e;
}

/*
 * Opens and loads the object: with bpf_task_work first where the kernel has
 * it (Linux >= 6.18), then, when the kernel refuses that for any reason
 * (some builds take task_work callbacks only from sleepable programs), with
 * the tp_btf/sys_exit capture.
 */
static int load(struct rs_sampler *s, char *err, size_t errlen)
{
	bool tw = !s->cfg.no_task_work && s->cfg.off_cpu, first = true;
	int e = 0;

	for (;;) {
		s->skel = profile_bpf__open();
		if (!s->skel) {
			e = -errno;
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
			return e;
		}
		if (first) {
			e = rs_bpf_begin(&s->bpf, s->skel->obj, "profile", true, err, errlen);
		} else {
			rs_bpf_retry(&s->bpf, s->skel->obj);
			e = 0;
		}
		first = false;
		tw = tw && s->bpf.kf.task_work;
		if (!e)
			e = configure(s, tw, err, errlen);
		if (e)
			return e;
		e = profile_bpf__load(s->skel);
		if (!e || !tw)
			break;
		profile_bpf__destroy(s->skel);
		s->skel = NULL;
		tw = false;
		s->task_work_refused = true;
	}
	e = rs_bpf_loaded(&s->bpf, e, s->cfg.target, err, errlen);
	if (e)
		return e;
	s->task_work = tw;
	if (s->cfg.target->cgroup.id)
		e = set_cgroup(s, err, errlen);
	return e;
}

static int add_link(struct rs_sampler *s, struct bpf_link *l)
{
	struct bpf_link **v = realloc(s->links, (s->n_links + 1) * sizeof(*v));

	if (!v) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	s->links = v;
	s->links[s->n_links++] = l;
	return 0;
}

/* Marks the CPUs of a list such as "0-3,5" in online[0..n). Returns 0 or -EINVAL. */
static int parse_cpu_list(const char *text, bool *online, int n)
{
	const char *p = text;

	while (*p && *p != '\n') {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p || lo < 0)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1 || hi < lo)
				return -EINVAL;
			p = end;
		}
		for (long c = lo; c <= hi && c < n; c++)
			online[c] = true;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* One cpu-clock event per online CPU; the bpf_link owns each perf fd once attached. */
static int attach_perf(struct rs_sampler *s, char *err, size_t errlen)
{
	const char *path = "/sys/devices/system/cpu/online";
	char text[1024] = "";
	bool *online;
	int attached = 0, e = 0;
	FILE *f;

	online = calloc(s->bpf.ncpu, sizeof(*online));
	s->perf_fds = calloc(s->bpf.ncpu, sizeof(*s->perf_fds));
	if (!online || !s->perf_fds) {
		free(online);
		return -ENOMEM;
	}
	f = fopen(path, "re");
	if (!f || !fgets(text, sizeof(text), f) || parse_cpu_list(text, online, s->bpf.ncpu)) {
		snprintf(err, errlen, "cannot read the online CPUs from '%s'", path);
		if (f)
			fclose(f);
		free(online);
		return -EIO;
	}
	fclose(f);
	for (int cpu = 0; cpu < s->bpf.ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_period = 1000000000ull / s->rate.cur,
		};
		struct bpf_link *l;
		int pfd;

		if (!online[cpu])
			continue;
		pfd = rs_sys_perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (pfd < 0) {
			e = pfd;
			snprintf(
			    err, errlen,
			    "cannot open a cpu-clock perf event on CPU %d: %s (perf_event_paranoid, or no CAP_PERFMON)",
			    cpu, strerror(-e));
			break;
		}
		l = bpf_program__attach_perf_event(s->skel->progs.oncpu, pfd);
		if (!l) {
			e = -errno;
			close(pfd);
			snprintf(err, errlen, "cannot attach to the perf event of CPU %d: %s", cpu,
				 strerror(-e));
			break;
		}
		e = add_link(s, l);
		if (e)
			break;
		s->perf_fds[s->n_perf_fds++] = pfd;
		attached++;
	}
	free(online);
	if (!e && !attached) {
		snprintf(err, errlen, "no online CPU to sample");
		e = -ENODEV;
	}
	return e;
}

static int attach_prog(struct rs_sampler *s, struct bpf_program *p, char *err, size_t errlen)
{
	struct bpf_link *l = bpf_program__attach(p);
	int e;

	if (!l) {
		e = -errno;
		snprintf(err, errlen, "cannot attach '%s': %s (needs Linux >= 6.1 with BTF)",
			 bpf_program__name(p), strerror(-e));
		return e;
	}
	return add_link(s, l);
}

static int attach_offcpu(struct rs_sampler *s, char *err, size_t errlen)
{
	int e;

	e = attach_prog(s, s->skel->progs.on_switch, err, errlen);
	if (!e)
		e = attach_prog(s,
				s->task_work ? s->skel->progs.on_exit : s->skel->progs.on_sys_exit,
				err, errlen);
	if (e)
		return e;
	s->iter = bpf_program__attach_iter(bpf_program__autoload(s->skel->progs.sweep)
					       ? s->skel->progs.sweep
					       : s->skel->progs.sweep_nosleep,
					   NULL);
	if (!s->iter) {
		e = -errno;
		snprintf(err, errlen, "cannot attach the task iterator: %s (needs Linux >= 6.1)",
			 strerror(-e));
		return e;
	}
	/* Threads that were blocked before we attached. */
	e = rs_sampler_sweep(s, true);
	if (e)
		snprintf(err, errlen, "cannot read the task iterator: %s", strerror(-e));
	return e;
}

int rs_sampler_start(const struct rs_sampler_cfg *cfg, const struct rs_sampler_ops *ops,
		     struct rs_sampler **out, char *err, size_t errlen)
{
	struct rs_sampler *s;
	int e;

	if (!cfg->freq_hz && cfg->on_cpu) {
		snprintf(err, errlen, "the sampling frequency must not be 0");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->ops = *ops;
	e = load(s, err, errlen);
	if (e)
		goto fail;
	e = rs_bpf_ring(&s->bpf, on_record, s, &s->rb, err, errlen);
	if (e)
		goto fail;
	s->start_ns = rs_mono_ns();
	rs_shed_init(&s->shed, cfg->max_cpu_pct, s->start_ns,
		     rs_clock_ns(CLOCK_PROCESS_CPUTIME_ID));
	rs_rate_init(&s->rate, cfg->freq_hz ? cfg->freq_hz : 1);
	s->skel->bss->win_start = s->start_ns;
	if (cfg->off_cpu) {
		e = attach_offcpu(s, err, errlen);
		if (e)
			goto fail;
	}
	if (cfg->on_cpu) {
		e = attach_perf(s, err, errlen);
		if (e)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	rs_sampler_free(s);
	return e;
}

uint64_t rs_sampler_start_ns(const struct rs_sampler *s)
{
	return s->start_ns;
}

bool rs_sampler_uses_task_work(const struct rs_sampler *s)
{
	return s->task_work;
}

const char *rs_sampler_task_work_refused(const struct rs_sampler *s)
{
	return s->task_work_refused ? s->bpf.refused : NULL;
}

int rs_sampler_check(bool off_cpu, struct rs_sampler_mechanism *m, char *err, size_t errlen)
{
	static const struct rs_resolved none;
	struct rs_sampler s = {
		.cfg = {
			.target = &none,
			.on_cpu = !off_cpu,
			.off_cpu = off_cpu,
			.freq_hz = 1,
			.stack_bytes = RS_USTACK_DEFAULT,
			.kernel_stacks = true,
			.no_task_work = getenv("RSAMPLE_NO_TASK_WORK") != NULL,
		},
	};
	int e = load(&s, err, errlen);

	memset(m, 0, sizeof(*m));
	if (!e) {
		m->task_work = s.task_work;
		m->user_stacks_blocked = bpf_program__autoload(s.skel->progs.sweep);
		if (s.task_work_refused)
			snprintf(m->task_work_refused, sizeof(m->task_work_refused), "%s",
				 s.bpf.refused);
	}
	profile_bpf__destroy(s.skel);
	return e;
}

void rs_sampler_free(struct rs_sampler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	free(s->perf_fds);
	bpf_link__destroy(s->iter);
	ring_buffer__free(s->rb);
	profile_bpf__destroy(s->skel);
	free(s);
}
