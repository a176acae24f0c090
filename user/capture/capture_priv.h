/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of capture/: the shared BPF loader (loader.c), the raw system
 * call seam (sys.c) and the sampler's state (sampler.c, sampler_window.c).
 * Not for other stages.
 */
#ifndef RS_CAPTURE_PRIV_H
#define RS_CAPTURE_PRIV_H

#include <sys/types.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>
#include "capture/capture.h"

/* ---- the loader (loader.c) ---- */

/*
 * One of rsample's BPF objects from open to load. Every object shares the
 * target filter of bpf/target.bpf.h and bpf/config.bpf.h (rodata filter_*, targ_*, stack_bytes,
 * want_kstack; maps targ_tgids, targ_tids, counters, records); what differs
 * between objects is data in struct rs_bpf_setup, not code.
 */
struct rs_bpf {
	struct bpf_object *obj;
	const char *what;	/* "snapshot", "profile": names the object in messages */
	int ncpu;		/* possible CPUs: per-CPU map sizes and counter sums */
	struct rs_kfeatures kf; /* the running kernel's: rs_bpf_features() */
	bool probed;
	const enum rs_kfeature *needs; /* what the object cannot load without... */
	size_t n_needs;		       /* ...named when a load fails */
	char refused[320]; /* rs_bpf_retry(): the verifier's reason for the failed load */
};

struct rs_bpf_setup {
	const struct rs_resolved *target;
	uint32_t stack_bytes;
	bool kernel_stacks;
	size_t ring_want;	    /* bytes the "records" ring buffer should hold... */
	size_t ring_max;	    /* ...at most (a power of two, at least 4 MiB is kept) */
	const char *const *per_cpu; /* NULL-terminated: arrays with one entry per possible CPU */
};

/*
 * Checks what every object needs (BTF), routes libbpf's log, and starts b
 * on obj (an opened skeleton's object, still owned by the skeleton). With
 * probe, the kernel's features are probed now, for the caller to choose
 * programs and flags from rs_bpf_features(); without, only when asked (a
 * probe parses the kernel's BTF: ~40 ms, a tenth of a snapshot, which
 * therefore probes only when its first load fails). The caller sets
 * b->needs. Returns 0 or -EOPNOTSUPP with a message naming cause and fix.
 */
int rs_bpf_begin(struct rs_bpf *b, struct bpf_object *obj, const char *what, bool probe, char *err,
		 size_t errlen);
/* The running kernel's features, probed on first use (and kept in b). */
const struct rs_kfeatures *rs_bpf_features(struct rs_bpf *b);
/*
 * Starts b again on obj, a fresh open of the same object after a load that
 * failed (its reason kept in b->refused): no new probe.
 */
void rs_bpf_retry(struct rs_bpf *b, struct bpf_object *obj);
/* Sets the shared configuration of s before load. Returns 0 or -errno (message in err). */
int rs_bpf_setup(struct rs_bpf *b, const struct rs_bpf_setup *s, char *err, size_t errlen);
/*
 * Sets the rodata variable var (size bytes, the size BTF gives it) before
 * load. Returns 0, -ENOENT when the object has no such variable, -EINVAL for
 * a size that is not the variable's.
 */
int rs_bpf_set(struct rs_bpf *b, const char *var, const void *val, size_t size);
#define RS_BPF_SET(b, var, v)                                                                      \
	({                                                                                         \
		__typeof__(v) rs_v_ = (v);                                                         \
		rs_bpf_set((b), (var), &rs_v_, sizeof(rs_v_));                                     \
	})
/*
 * After the skeleton's load returned load_err (0 or -errno): on failure,
 * the one-line message naming the cause (privilege, or which program the
 * kernel refused and how to see why); on success, fills the target sets.
 * Returns load_err, or the -errno of filling the sets.
 */
int rs_bpf_loaded(struct rs_bpf *b, int load_err, const struct rs_resolved *t, char *err,
		  size_t errlen);
/* Runs an iterator link to its end (its records go where its program sends them). 0 or -errno. */
int rs_bpf_iter_read(struct bpf_link *iter);
/*
 * Runs an iterator link to its end and appends what it printed to *buf
 * (malloc'd, grown; *len bytes so far, not NUL-terminated). 0 or -errno
 * (what was read stays in *buf, the caller's to free).
 */
int rs_bpf_iter_collect(struct bpf_link *iter, char **buf, size_t *len, size_t *cap);
/* Sums the per-CPU "counters" map into out[0..n). */
void rs_bpf_counters(const struct rs_bpf *b, uint64_t *out, size_t n);
/* A ring buffer on the object's "records" map calling cb(ctx, ...). 0 or -errno (message in err).
 */
int rs_bpf_ring(const struct rs_bpf *b, ring_buffer_sample_fn cb, void *ctx,
		struct ring_buffer **out, char *err, size_t errlen);

/* ---- raw system calls (sys.c), in a file of their own so tests can replace them ---- */

/* perf_event_open(2). Returns the fd or -errno. */
int rs_sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
			   unsigned long flags);

/* ---- self-protection (shed.c) ---- */

/* Which on-CPU samples the reader takes in to stay within a CPU budget. */
struct rs_shed {
	uint32_t pct;	      /* CPU allowed, percent of one CPU; 0: no limit */
	double keep;	      /* share of samples taken in, (0, 1] */
	double acc;	      /* running sum spreading the kept ones evenly */
	uint64_t wall0, cpu0; /* CLOCK_MONOTONIC and process CPU time the cycle began at */
};

/* Starts b with budget pct at wall_ns (CLOCK_MONOTONIC) and cpu_ns (the process's CPU time). */
void rs_shed_init(struct rs_shed *b, uint32_t pct, uint64_t wall_ns, uint64_t cpu_ns);
/*
 * Called at least every 100 ms or so: once a cycle of 100 ms has passed,
 * compares the CPU time used in it with the budget and adapts the share
 * kept (down at once, up at most twice per cycle, never below 1e-4), and
 * returns true (a cycle ended); else returns false.
 */
bool rs_shed_cycle(struct rs_shed *b, uint64_t wall_ns, uint64_t cpu_ns);
/* Whether to take in the next sample (false: drop it, counted by the caller). */
bool rs_shed_keep(struct rs_shed *b);

/* Hz: the kernel's sampling rate begins at most here, and never goes below it (or -F). */
#define RS_RATE_START 1000

#define RS_RATE_PROBE_CYCLES 10 /* calm cycles at the ceiling before it is raised */

/* The kernel's effective on-CPU sampling rate, adapted once per cycle. */
struct rs_rate {
	uint32_t want;	  /* -F */
	uint32_t cur;	  /* now */
	uint32_t floor;	  /* the lowest it may go */
	uint32_t lowest;  /* the lowest it went */
	uint32_t ceiling; /* the highest it may climb to now (below a rate that caused pressure) */
	uint32_t calm;	  /* calm cycles at the ceiling */
};

/* Starts r for -F want_hz (>= 1): at min(want_hz, RS_RATE_START), also its floor. */
void rs_rate_init(struct rs_rate *r, uint32_t want_hz);
/*
 * One cycle: under pressure halves the rate (not below the floor) and makes
 * that the ceiling; else doubles it up to the ceiling, and raises the
 * ceiling by a quarter (up to want) after RS_RATE_PROBE_CYCLES calm cycles
 * there. Returns the new rate.
 */
uint32_t rs_rate_step(struct rs_rate *r, bool pressure);

/* ---- the sampler (sampler.c: load, attach; sampler_window.c: reading, windows) ---- */

struct profile_bpf;

struct rs_sampler {
	struct rs_sampler_cfg cfg;
	struct rs_sampler_ops ops;
	struct rs_bpf bpf;
	struct profile_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links; /* perf links, then the others */
	size_t n_links;
	struct bpf_link *iter;
	uint64_t start_ns;
	/* Bounded reading (sampler_window.c): the callback stops the ring at until_ns. */
	uint64_t until_ns; /* CLOCK_MONOTONIC: take no more records from then on */
	bool stoppable;	   /* a poll (not a window end): *cfg.stop also ends it */
	bool discarding;   /* a window end out of time: drop samples, take in off-CPU records */
	uint64_t offcpu_until_ns; /* ... until then (CLOCK_MONOTONIC) */
	uint32_t tick;		  /* records since the clock was last read */
	size_t taken;		  /* records delivered or dropped in the current call */
	struct rs_shed shed;	  /* --max-cpu */
	struct rs_rate rate;	  /* the perf events' rate */
	/* the rate before its last change, and when it changed (CLOCK_MONOTONIC) */
	uint32_t prev_rate_hz;
	uint64_t rate_since_ns;
	int *perf_fds; /* one per attached CPU, owned by their links: for the period */
	size_t n_perf_fds;
	uint64_t lost_seen; /* RS_PCNT_SAMPLE_LOST at the last cycle */
	bool late;	    /* a poll returned late since the last cycle */
	struct rs_sampler_drops drops;
	bool task_work;
	bool task_work_refused; /* tried and refused: bpf.refused says why */
};

/* Runs the sweep iterator to its end (init: the start pass); its records go to the ring buffer. */
int rs_sampler_sweep(struct rs_sampler *s, bool init);

/* ---- kernel frames named by the kernel (knames.c) ---- */

struct snapshot_bpf;
struct rs_knames;
/*
 * Names the distinct kernel PCs of cap's records with the snapshot
 * object's name_kaddrs iterator (attached at the first call, kept in
 * *kn, which rs_knames_free() releases) and puts the table in
 * cap->ksyms. Nothing is said on failure: cap->ksyms stays NULL and the
 * caller reads /proc/kallsyms. 0 or -errno.
 */
int rs_knames_name(struct snapshot_bpf *skel, struct rs_knames **kn, struct rs_capture *cap);
/* Whether the object can name kernel frames (name_kaddrs loaded, not refused at attach). */
bool rs_knames_usable(const struct snapshot_bpf *skel, const struct rs_knames *kn);
void rs_knames_free(struct rs_knames *kn);
/* RSAMPLE_KSYMS=kallsyms: the kernel frames are named from /proc/kallsyms (tests compare). */
bool rs_knames_disabled(void);

#endif
