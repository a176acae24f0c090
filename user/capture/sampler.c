// SPDX-License-Identifier: GPL-2.0
/*
 * Profile capture (sampler.h): loads bpf/profile.bpf.c, attaches it, drains
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
#include "capture/libbpf_log.h"
#include "capture/sampler_priv.h"
#include "capture/sys.h"

_Static_assert(sizeof(struct rs_prof_rec) == 264, "rs_prof_rec layout");
_Static_assert(__builtin_offsetof(struct rs_prof_rec, kstack) == 32, "rs_prof_rec layout");
_Static_assert(__builtin_offsetof(struct rs_prof_rec, regs) == 104, "rs_prof_rec layout");
_Static_assert(sizeof(struct rs_kstack) == RS_KSTACK_MAX * 8, "rs_kstack layout");
_Static_assert(sizeof(struct rs_off_key) == 32, "rs_off_key layout");
_Static_assert(sizeof(struct rs_off_val) == 48, "rs_off_val layout");

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct rs_sampler *s = ctx;
	const struct rs_prof_rec *rec = data;

	if (size < sizeof(*rec) || sizeof(*rec) + rec->ustack_len > size)
		return 0; /* malformed: cannot happen with a matching BPF object */
	if (s->ops.record)
		s->ops.record(s->ops.ctx, rec);
	return 0;
}

/*
 * Ring buffer bytes: half a second of samples on every CPU (the reader
 * drains it every 100 ms), a sample holding the used part of a stack (16 KiB
 * taken as typical), at least 4 MiB for lazy captures and still-blocked
 * threads, at most 64 MiB; a power of two. Losses are counted and reported.
 */
static size_t ring_size(const struct rs_sampler_cfg *cfg, int ncpu)
{
	uint64_t per =
	    sizeof(struct rs_prof_rec) + (cfg->stack_bytes < 16384 ? cfg->stack_bytes : 16384);
	uint64_t want = cfg->on_cpu ? (uint64_t)cfg->freq_hz * ncpu * per / 2 : 0;
	size_t sz = 4u << 20;

	while (sz < want && sz < (64u << 20))
		sz <<= 1;
	return sz;
}

static void configure(struct profile_bpf *skel, const struct rs_sampler_cfg *cfg, int ncpu,
		      bool task_work)
{
	struct profile_bpf__rodata *ro = skel->rodata;

	ro->filter_tgid = cfg->target->n_tgids > 0;
	ro->filter_tid = cfg->target->n_tids > 0;
	ro->filter_cgroup = cfg->target->cgroup.id != 0;
	ro->targ_cgid = cfg->target->cgroup.id;
	ro->targ_cglevel = cfg->target->cgroup.level;
	if (cfg->target->n_tgids == 1)
		ro->targ_tgid1 = cfg->target->tgids[0];
	if (cfg->target->n_tids == 1)
		ro->targ_tid1 = cfg->target->tids[0];
	ro->stack_bytes = cfg->stack_bytes;
	ro->want_kstack = cfg->kernel_stacks;
	ro->want_offcpu = cfg->off_cpu;
	ro->use_task_work = task_work;
	ro->min_block_ns = cfg->min_block_ns;
	ro->max_block_ns = cfg->max_block_ns;
	bpf_map__set_max_entries(skel->maps.records, ring_size(cfg, ncpu));
	bpf_map__set_max_entries(skel->maps.sample_scratch, ncpu);
	bpf_map__set_max_entries(skel->maps.iter_scratch, ncpu);
	bpf_program__set_autoload(skel->progs.oncpu, cfg->on_cpu);
	bpf_program__set_autoload(skel->progs.on_switch, cfg->off_cpu);
	bpf_program__set_autoload(skel->progs.sweep, cfg->off_cpu);
	bpf_program__set_autoload(skel->progs.on_exit, cfg->off_cpu && task_work);
	bpf_program__set_autoload(skel->progs.on_sys_exit, cfg->off_cpu && !task_work);
}

static void load_error(int e, char *err, size_t errlen)
{
	if (e == -EPERM || e == -EACCES)
		snprintf(
		    err, errlen,
		    "cannot load BPF programs: %s: run as root (or with CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)",
		    strerror(-e));
	else
		snprintf(
		    err, errlen,
		    "cannot load BPF programs: %s: the kernel lacks a feature rsample profile needs (Linux >= 6.1 with BTF, tp_btf, task storage and sleepable task iterators); RSAMPLE_DEBUG=1 shows the verifier log",
		    strerror(-e));
}

/* Puts the target cgroup in the cgroup array that bpf_current_task_under_cgroup() reads. */
static int set_cgroup(struct rs_sampler *s, char *err, size_t errlen)
{
	__u32 zero = 0;
	int fd, e = 0;

	fd = s->cfg.target->cgroup.path ? open(s->cfg.target->cgroup.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd < 0 ||
	    bpf_map_update_elem(bpf_map__fd(s->skel->maps.targ_cgrp), &zero, &fd, BPF_ANY))
		e = -errno;
	if (fd >= 0)
		close(fd);
	if (e)
		snprintf(err, errlen, "cannot open the cgroup '%s': %s",
			s->cfg.target->cgroup.path ? s->cfg.target->cgroup.path : "?", strerror(-e));
	return e;
}

/*
 * Opens and loads the object: with bpf_task_work first (Linux >= 6.18), then
 * with the tp_btf/sys_exit capture when that fails.
 */
static int load(struct rs_sampler *s, char *err, size_t errlen)
{
	bool tw = !s->cfg.no_task_work && s->cfg.off_cpu;
	int e;

	for (;;) {
		s->skel = profile_bpf__open();
		if (!s->skel) {
			e = -errno;
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
			return e;
		}
		configure(s->skel, &s->cfg, s->ncpu, tw);
		e = profile_bpf__load(s->skel);
		if (!e)
			break;
		profile_bpf__destroy(s->skel);
		s->skel = NULL;
		if (!tw || e == -EPERM || e == -EACCES) {
			load_error(e, err, errlen);
			return e;
		}
		tw = false;
	}
	s->task_work = tw;
	e = rs_resolved_fill_maps(s->cfg.target, bpf_map__fd(s->skel->maps.targ_tgids),
				  bpf_map__fd(s->skel->maps.targ_tids));
	if (e) {
		snprintf(err, errlen, "cannot fill the target map: %s (too many targets?)",
			strerror(-e));
		return e;
	}
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

	online = calloc(s->ncpu, sizeof(*online));
	if (!online)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f || !fgets(text, sizeof(text), f) || parse_cpu_list(text, online, s->ncpu)) {
		snprintf(err, errlen, "cannot read the online CPUs from '%s'", path);
		if (f)
			fclose(f);
		free(online);
		return -EIO;
	}
	fclose(f);
	for (int cpu = 0; cpu < s->ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_period = 1000000000ull / s->cfg.freq_hz,
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
	s->iter = bpf_program__attach_iter(s->skel->progs.sweep, NULL);
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

	rs_libbpf_log_setup();
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(
		    err, errlen,
		    "kernel BTF '/sys/kernel/btf/vmlinux' is missing: rsample needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux >= 6.1)");
		return -EOPNOTSUPP;
	}
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
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu < 1)
		s->ncpu = 1;
	e = load(s, err, errlen);
	if (e)
		goto fail;
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.records), on_record, s, NULL);
	if (!s->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(-e));
		goto fail;
	}
	s->start_ns = mono_ns();
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

void rs_sampler_free(struct rs_sampler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	bpf_link__destroy(s->iter);
	ring_buffer__free(s->rb);
	profile_bpf__destroy(s->skel);
	free(s);
}
