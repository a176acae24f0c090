/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side (capture.h): one loader (loader.c: kernel checks, target
 * setup, loading, error messages, iterators, counters) shared by the snapshot
 * capture (snapshot.c: bpf/snapshot.bpf.c's task iterator, and a per-thread
 * perf sample for threads that were on a CPU) and the profile sampler
 * (sampler.c, sampler_window.c: bpf/profile.bpf.c's on-CPU perf events and
 * off-CPU scheduler programs, streamed and cut into windows). Hands back raw
 * records (include/rsample.h); nothing here unwinds or symbolizes.
 *
 * Without BPF, the snapshot's records come from /proc (procfs.c, proclist.c,
 * proctask.c, procthread.c, perfsample.c, procparse.c: proc_priv.h), and
 * backend.c chooses between the two (--backend).
 */
#ifndef RS_CAPTURE_H
#define RS_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"
#include "target/target.h"

/* ---- snapshot (snapshot.c) ---- */

struct rs_ksyms;

struct rs_capture_cfg {
	const struct rs_resolved *target; /* tgids, tids or cgroup subtree; not owned */
	uint32_t stack_bytes;		  /* user stack bytes copied per thread */
	bool kernel_stacks;
	uint32_t oncpu_wait_ms; /* how long to wait for on-CPU threads' perf samples */
	size_t expect_threads;	/* sizing hint for the ring buffer, 0 = default */
	/*
	 * BPF: fail (-EOPNOTSUPP) rather than capture blocked threads without
	 * their user stacks (a kernel without sleepable task iterators, 5.18).
	 */
	bool need_blocked_stacks;
	/*
	 * BPF: also load find_holders, the task_file iterator a session's
	 * rs_capture_session_holders() runs (rsample watch); one snapshot
	 * scans /proc once instead and does not pay for its verification.
	 */
	bool find_holders;
};

struct rs_capture {
	struct rs_task_rec **recs; /* each malloc'd: header + ustack_len + utop_len bytes */
	size_t n;
	uint64_t counters[RS_CNT_MAX];
	uint64_t wall_ns;	  /* iterator start to last record */
	int64_t taken_at_unix_ns; /* CLOCK_REALTIME when the iterator started */
	size_t oncpu_missed;	  /* on-CPU threads with stale registers (no perf sample) */
	size_t exited;		  /* threads that exited before they were read: left out */
	char notes[1024];	  /* the /proc backend's non-fatal problems, one per line, or "" */
	bool partial;		  /* something the notes say was left out of the records */
	/*
	 * Names of this capture's kernel frames, when the backend had them
	 * (BPF: the kernel's own names of exactly these PCs; /proc: the
	 * kallsyms table it read), or NULL: the caller reads /proc/kallsyms.
	 * Owned: freed by rs_capture_free().
	 */
	struct rs_ksyms *ksyms;
};

/*
 * Runs one snapshot. Returns 0, or -errno with a one-line message naming
 * cause and fix in err (-EPERM: no privilege; -ENOSYS/-EOPNOTSUPP: kernel
 * lacks a feature). *out is malloc'd; untouched on failure.
 */
int rs_capture_run(const struct rs_capture_cfg *cfg, struct rs_capture **out, char *err,
		   size_t errlen);
void rs_capture_free(struct rs_capture *c);
/*
 * n snapshots, interval_ns apart (start to start, CLOCK_MONOTONIC), with
 * the BPF object loaded once (--compare): out[0..n) as rs_capture_run()'s
 * *out, each one's counters what it lost itself. On failure every capture
 * taken is freed and out[] is untouched past them. 0 or -errno as
 * rs_capture_run().
 */
int rs_capture_run_series(const struct rs_capture_cfg *cfg, size_t n, uint64_t interval_ns,
			  struct rs_capture **out, char *err, size_t errlen);

/*
 * A snapshot session (rsample watch): the BPF object loaded and the task
 * iterator attached once, run as often as wanted. rs_capture_session_new()
 * takes the arguments and errors of rs_capture_run(); *out is untouched on
 * failure. cfg is copied (cfg->target is not: it must outlive the session).
 */
struct rs_capture_session;

struct rs_capture_run_opts {
	/*
	 * The cheap pass: every target thread's record without user or
	 * kernel stack (scheduler facts, saved registers: the syscall and its
	 * arguments), no perf sample nor deep pass.
	 */
	bool light;
	const uint32_t *tgids; /* keep only these processes' records (n_tgids 0: all) */
	size_t n_tgids;
};

int rs_capture_session_new(const struct rs_capture_cfg *cfg, struct rs_capture_session **out,
			   char *err, size_t errlen);
/*
 * One capture (ro NULL: a full snapshot, as rs_capture_run()). The records'
 * counters are this run's only. Returns 0 or -errno with a message in err;
 * *out is malloc'd (rs_capture_free()), untouched on failure.
 */
int rs_capture_session_run(struct rs_capture_session *s, const struct rs_capture_run_opts *ro,
			   struct rs_capture **out, char *err, size_t errlen);
/* Detaches and frees everything. Accepts NULL. */
void rs_capture_session_free(struct rs_capture_session *s);
/*
 * Whether the session's captures name their own kernel frames (capture's
 * ksyms): false when the kernel refused the naming iterator, it was turned
 * off (RSAMPLE_KSYMS=kallsyms) or kernel stacks are not captured.
 */
bool rs_capture_session_names_kernel(const struct rs_capture_session *s);

/* An inode whose holders are looked for, on the filesystem of magic (RS_PIPEFS_MAGIC...). */
struct rs_holder_want {
	uint64_t ino;
	uint32_t magic;
};

/* What rs_capture_session_holders() found. */
struct rs_holder_scan {
	struct rs_holder_rec *recs; /* malloc'd: by pid, then fd, as /proc lists them */
	size_t n;
	uint64_t tables, files; /* processes (files tables) and open files walked */
};

/*
 * Every process's open files holding one of want[0..n) (the pipes and
 * sockets a wait report names), found by the session's task_file iterator
 * (attached at the first call, kept): the answers of a scan of every
 * /proc/PID/fd, without reading them. Returns 0 and *out (its recs the
 * caller's to free), or -errno with *out zeroed: -EOPNOTSUPP when the
 * kernel refused the iterator, rsample is not in the initial PID namespace
 * (the iterator would see only its own) or too many inodes are wanted
 * (RS_HOLDER_WANT_MAX), for the caller to scan /proc instead.
 */
int rs_capture_session_holders(struct rs_capture_session *s, const struct rs_holder_want *want,
			       size_t n, struct rs_holder_scan *out);

/*
 * The BPF-free snapshot (procfs.c): the same records from /proc, the user
 * stacks read with process_vm_readv(2) (the target is never stopped,
 * ptraced or signalled), the threads that were running sampled once each
 * by a per-thread perf event. A blocked thread's record has only ip and sp
 * of its registers (RS_TF_REGS_SPIP), and RS_TF_MOVED when it kept moving
 * while its stack was copied. Same arguments, outputs and errors as
 * rs_capture_run(); -EPERM/-EACCES when the target's threads cannot be
 * read, with cause and fix in err. Threads that exit meanwhile are left out
 * and said in (*out)->notes.
 */
int rs_capture_procfs_run(const struct rs_capture_cfg *cfg, struct rs_capture **out, char *err,
			  size_t errlen);

/* Which capture takes a snapshot (--backend). */
enum rs_backend { RS_BACKEND_AUTO = 0, RS_BACKEND_BPF, RS_BACKEND_PROC };

/*
 * Runs one snapshot with backend (backend.c). RS_BACKEND_AUTO tries BPF,
 * requiring blocked threads' user stacks, and when that fails for any
 * reason but -ENOMEM takes the /proc one: *used says which ran, and notice
 * holds the one line to print about it (why BPF could not, that /proc is
 * used; "" when nothing is to be said). Returns as rs_capture_run(); err
 * names both causes when both backends failed.
 */
int rs_capture_select(enum rs_backend backend, const struct rs_capture_cfg *cfg,
		      struct rs_capture **out, enum rs_backend *used, char *notice,
		      size_t noticelen, char *err, size_t errlen);
/*
 * rs_capture_select() for n captures interval_ns apart (--compare), into
 * out[0..n): the BPF object is loaded once for all of them; the /proc
 * backend runs n times. auto falls back to /proc only when the first BPF
 * capture cannot be taken; all captures come from one backend.
 */
int rs_capture_select_series(enum rs_backend backend, const struct rs_capture_cfg *cfg, size_t n,
			     uint64_t interval_ns, struct rs_capture **out, enum rs_backend *used,
			     char *notice, size_t noticelen, char *err, size_t errlen);

/* What the snapshot's programs use on this kernel (rs_capture_check()). */
struct rs_capture_mechanism {
	bool user_stacks_blocked; /* sleepable iterator: blocked threads' user stacks and futexes */
};

/*
 * Loads the snapshot's BPF programs, attaching nothing, as a snapshot would
 * on this kernel. Returns 0 and *m, or the -errno and message of the load
 * rs_capture_run() would fail with.
 */
int rs_capture_check(struct rs_capture_mechanism *m, char *err, size_t errlen);

/* ---- profile sampler (sampler.c, sampler_window.c) ---- */

/*
 * The BPF side of 'rsample profile': loads bpf/profile.bpf.c, attaches the
 * on-CPU perf events (software cpu-clock on every online CPU) and the off-CPU
 * scheduler programs, streams the records to a consumer and cuts the off-CPU
 * accounting into windows.
 *
 * Windows: the first begins when rs_sampler_start() attaches.
 * rs_sampler_end_window() ends the current one at a CLOCK_MONOTONIC instant W
 * and begins the next: threads still blocked at W are charged up to W
 * (RS_PREC_BLOCK records), the kernel's off-CPU sums of the window are
 * delivered through ops->offcpu and cleared. A block is charged once in
 * total, split between the windows it spans. On-CPU samples carry their own
 * time: the consumer puts a sample with time_ns >= W into the next window.
 */

struct rs_sampler_cfg {
	const struct rs_resolved *target; /* tgids, tids or cgroup subtree; not owned */
	bool on_cpu, off_cpu;
	uint32_t freq_hz;		     /* on-CPU samples per second per CPU */
	uint64_t min_block_ns, max_block_ns; /* max 0: no limit */
	uint32_t stack_bytes;		     /* user stack bytes copied at most */
	bool kernel_stacks;
	bool no_task_work;    /* use the tp_btf/sys_exit capture even if bpf_task_work exists */
	uint32_t max_cpu_pct; /* rsample's CPU budget, percent of one CPU (0: none): --max-cpu */
	/* When it becomes non-zero (a signal handler's flag), a poll returns within a record. */
	const volatile sig_atomic_t *stop;
};

/*
 * Records the reader dropped for lack of time, summed since the start
 * (the kernel's own losses, a full ring buffer, are in the counters).
 */
struct rs_sampler_drops {
	uint64_t cpu; /* on-CPU samples not taken in: over the --max-cpu budget */
	/* records still in the ring buffer when a window's end ran out of time: */
	uint64_t late_samples; /* on-CPU samples */
	uint64_t late_other;   /* off-CPU records (blocks, user stacks) */
	double keep;	       /* the share of on-CPU samples taken in at the last cycle, (0, 1] */
	/* The kernel's on-CPU rate, adapted to the load (-F at most): now, and the lowest. */
	uint32_t rate_hz, lowest_hz;
};

/* Where records go. Every callback is called from rs_sampler_poll/end_window only. */
struct rs_sampler_ops {
	void *ctx;
	/*
	 * RS_PREC_SAMPLE, _USTACK, _BLOCK; rec->ustack_len stack bytes follow rec.
	 * weight_ns (RS_PREC_SAMPLE): the CPU time the sample stands for, the
	 * period of the rate it was taken at divided by the share of samples
	 * --max-cpu kept then, so that totals stay right while the rate adapts;
	 * 0 for other records.
	 */
	void (*record)(void *ctx, const struct rs_prof_rec *rec, uint64_t weight_ns);
	/* One off-CPU sum of the window being ended. */
	void (*offcpu)(void *ctx, const struct rs_off_key *k, const struct rs_off_val *v);
};

struct rs_sampler;

/*
 * Loads, configures and attaches; the first window begins. Returns 0 or
 * -errno with a one-line message naming cause and fix in err (-EPERM: no
 * privilege; -EOPNOTSUPP: kernel lacks a feature). ops is copied. *out is
 * untouched on failure.
 */
int rs_sampler_start(const struct rs_sampler_cfg *cfg, const struct rs_sampler_ops *ops,
		     struct rs_sampler **out, char *err, size_t errlen);
/* The CLOCK_MONOTONIC time the first window began. */
uint64_t rs_sampler_start_ns(const struct rs_sampler *s);
/* Whether user stacks of blocks are captured with bpf_task_work (else at syscall exit). */
bool rs_sampler_uses_task_work(const struct rs_sampler *s);
/*
 * Why the kernel refused the bpf_task_work capture (the verifier's words),
 * when the sampler fell back to the sys_exit one; NULL when it did not.
 */
const char *rs_sampler_task_work_refused(const struct rs_sampler *s);

/* What the profile's programs use on this kernel (rs_sampler_check()). */
struct rs_sampler_mechanism {
	bool task_work;		  /* off-CPU user stacks by bpf_task_work, else at syscall exit */
	bool user_stacks_blocked; /* threads blocked before the profile began: their user stacks */
	char task_work_refused[320]; /* "" or why the kernel refused bpf_task_work */
};

/*
 * Loads the profile's BPF programs for off_cpu (else on-CPU) profiling,
 * attaching nothing, as rs_sampler_start() would on this kernel. Returns 0
 * and *m, or the -errno and message rs_sampler_start() would fail with.
 */
int rs_sampler_check(bool off_cpu, struct rs_sampler_mechanism *m, char *err, size_t errlen);
/*
 * Waits up to timeout_ms (0: not at all) and delivers the records available
 * then, until until_ns (CLOCK_MONOTONIC) or cfg->stop: what is left stays in
 * the ring buffer for the next call. On-CPU samples beyond the --max-cpu
 * budget are dropped undelivered (rs_sampler_drops()). The kernel wakes the
 * reader only when the ring buffer fills up, so call this at least every
 * 100 ms or so. Returns the number of records taken, or -errno (-EINTR when
 * a signal came).
 */
int rs_sampler_poll(struct rs_sampler *s, int timeout_ms, uint64_t until_ns);
/*
 * Ends the current window at end_ns (CLOCK_MONOTONIC, not in the future;
 * the caller routes samples taken from then on to the next window): charges
 * the threads still blocked up to end_ns, delivers the records produced so
 * far until until_ns, drops (and counts as late) those still there then, and
 * delivers the window's off-CPU sums. Returns within 20 ms of until_ns, 0
 * or -errno (the window's off-CPU sums may be incomplete).
 */
int rs_sampler_end_window(struct rs_sampler *s, uint64_t end_ns, uint64_t until_ns);
/*
 * Stops the on-CPU perf events (no more samples from now on; the rest of
 * the sampler goes on): before the last window's end, so that at a high
 * rate the end and the teardown do not compete with the interrupts.
 */
void rs_sampler_stop_oncpu(struct rs_sampler *s);
/* What the reader dropped for lack of time since the start. */
void rs_sampler_drops(const struct rs_sampler *s, struct rs_sampler_drops *out);
/*
 * The kernel stack with key (innermost first) into ips[0..max), its length
 * in *n. Returns 0, -ENOENT when the key is unknown (dropped), -EINVAL for 0.
 */
int rs_sampler_kstack(struct rs_sampler *s, uint64_t key, uint64_t *ips, size_t max, size_t *n);
/* How many kernel stacks the kernel holds now, and at most. */
void rs_sampler_kstack_usage(struct rs_sampler *s, size_t *n, size_t *max);
/*
 * Deletes the kernel stacks whose keys keep(key, ctx) rejects (the consumer
 * no longer references them). Returns how many were deleted.
 */
size_t rs_sampler_kstack_prune(struct rs_sampler *s, bool (*keep)(uint64_t key, void *ctx),
			       void *ctx);
/* Tells the kernel user space forgot these fingerprints: their stacks are captured again. */
void rs_sampler_forget_ufp(struct rs_sampler *s, const uint64_t *ufp, size_t n);
/* Sums the per-CPU counters into out[0..RS_PCNT_MAX). */
void rs_sampler_counters(struct rs_sampler *s, uint64_t *out);
/* Detaches and frees everything. Accepts NULL. */
void rs_sampler_free(struct rs_sampler *s);

/* ---- /proc/PID/stat (procparse.c) ---- */

/* The fields of /proc/PID[/task/TID]/stat rsample uses (man 5 proc). */
struct rs_proc_stat {
	char comm[16];	     /* field 2, without the parentheses, NUL-terminated */
	char state;	     /* field 3 */
	uint32_t flags;	     /* field 9: PF_* */
	uint64_t starttime;  /* field 22: clock ticks after boot */
	uint64_t startstack; /* field 28: mm->start_stack, where exec left argc (0: not shown) */
	int32_t cpu;	     /* field 39: CPU it last ran on */
};

int rs_parse_stat(const char *text, struct rs_proc_stat *out);

/* rs_proc_stat.flags: do_exit() has begun (include/linux/sched.h) */
#define RS_PF_EXITING 0x00000004u

/* ---- the kernel's features (kfeatures.c) ----
 *
 * What the running kernel offers the BPF programs, decided before they are
 * loaded: from its BTF (types, fields, kfuncs) and from probe loads. The
 * loader turns the answers into rodata flags and autoload choices;
 * `rsample --check` prints them.
 */

/* What a kernel may lack; rs_kfeature_name() and rs_kfeature_since() describe each. */
enum rs_kfeature {
	RS_KFEAT_BTF,		      /* kernel BTF (CONFIG_DEBUG_INFO_BTF) */
	RS_KFEAT_TP_BTF,	      /* BTF-typed tracepoints, tp_btf/ (5.5) */
	RS_KFEAT_RINGBUF,	      /* BPF_MAP_TYPE_RINGBUF and its helpers (5.8) */
	RS_KFEAT_GET_TASK_STACK,      /* bpf_get_task_stack() (5.9) */
	RS_KFEAT_TASK_STORAGE,	      /* BPF_MAP_TYPE_TASK_STORAGE for tracing (5.11) */
	RS_KFEAT_TASK_PT_REGS,	      /* bpf_task_pt_regs() (5.15) */
	RS_KFEAT_FIND_VMA,	      /* bpf_find_vma() (5.17) */
	RS_KFEAT_COPY_FROM_USER_TASK, /* bpf_copy_from_user_task() (5.18) */
	RS_KFEAT_ITER_TASK_SLEEPABLE, /* sleepable task iterators, iter.s/task (5.18) */
	RS_KFEAT_SWITCH_PREV_STATE,   /* sched_switch's prev_state argument (5.18) */
	RS_KFEAT_TASK_WORK,	      /* bpf_task_work_schedule_resume_impl() (6.18) */
	RS_KFEAT_MAX,
};

struct rs_kfeatures {
	char release[65]; /* uname -r; "" when only BTF was read */
	/* Present, and usable by the kind of program rsample uses it in. */
	bool btf;
	bool tp_btf;
	bool ringbuf;
	bool get_task_stack;
	bool task_storage;
	bool task_pt_regs;
	bool find_vma;
	bool copy_from_user_task;
	bool iter_task_sleepable;
	bool switch_prev_state;
	bool task_work;	      /* bpf_task_work_schedule_resume_impl(), what the programs call */
	bool task_work_plain; /* bpf_task_work_schedule_resume() (4 arguments): the later name */
	/* Layout facts the programs handle by CO-RE; known for messages and tests. */
	bool pt_regs_csx;      /* pt_regs.cs is a u16 beside csx (6.9, FRED); else unsigned long */
	bool task_state_new;   /* task_struct.__state (5.14); else state */
	bool cgroup_ancestors; /* cgroup.ancestors[] (6.0); else ancestor_ids[] */
	/* CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON, in effect */
	bool privileged;
	bool root;	  /* effective uid 0 (a container's root may lack them) */
	uint64_t cap_eff; /* the effective capability set */
};

/* Capabilities rsample asks rs_kfeatures_cap() about (linux/capability.h numbers). */
#define RS_CAP_SYS_PTRACE	  19
#define RS_CAP_SYS_ADMIN	  21
#define RS_CAP_SYSLOG		  34
#define RS_CAP_PERFMON		  38
#define RS_CAP_BPF		  39
#define RS_CAP_CHECKPOINT_RESTORE 40

/* Whether capability cap is in f's effective set. */
bool rs_kfeatures_cap(const struct rs_kfeatures *f, int cap);

/*
 * Fills *out from the kernel BTF at btf_path alone (raw BTF or an ELF file
 * with a .BTF section; NULL: the running kernel's, as libbpf finds it): no
 * bpf(2) call, no uname. Facts only a probe load can settle are taken from
 * BTF (a sleepable task iterator from bpf_copy_from_user_task(), added in
 * the same release). Returns 0, or -errno when the BTF cannot be read; *out
 * is zeroed first, so then only btf == false is set.
 */
int rs_kfeatures_from_btf(const char *btf_path, struct rs_kfeatures *out);

/*
 * Fills only what *out says of this process and kernel without BTF: the
 * release, cap_eff, privileged and root (the rest zeroed).
 */
void rs_kfeatures_self(struct rs_kfeatures *out);

/*
 * Fills *out for the running kernel: rs_kfeatures_self(), its BTF as above, then,
 * when privileged (CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON), probe loads
 * for program types, map types and helpers. Without privileges, or where a
 * probe cannot run (EPERM), the answer from BTF stands. Returns 0, or
 * -errno when the kernel BTF cannot be read (*out then holds the release
 * and btf == false).
 */
int rs_kfeatures_probe(struct rs_kfeatures *out);

/* Whether f has feature id (false for ids out of range). */
bool rs_kfeature_present(const struct rs_kfeatures *f, enum rs_kfeature id);

/* What feature id is, for messages ("task local storage"); "?" for ids out of range. */
const char *rs_kfeature_name(enum rs_kfeature id);

/* The Linux version that added feature id ("5.11"); "?" for ids out of range. */
const char *rs_kfeature_since(enum rs_kfeature id);

/*
 * Writes the features among need[0..n) that f lacks into buf as
 * "name (Linux X.Y), name (Linux X.Y)", NUL-terminated and cut to len
 * bytes ("" when none is missing). Returns how many are missing.
 */
size_t rs_kfeatures_missing(const struct rs_kfeatures *f, const enum rs_kfeature *need, size_t n,
			    char *buf, size_t len);

/*
 * The one-line message for err (-errno) from loading the programs of what
 * (such as "off-CPU profiling") that need need[0..n), into buf: what the
 * kernel lacks, else a lack of privileges, else which program the verifier
 * refused (prog, "" when unknown) and why (reason, "" when unknown).
 */
void rs_kfeatures_load_error(const struct rs_kfeatures *f, int err, const char *what,
			     const enum rs_kfeature *need, size_t n, const char *prog,
			     const char *reason, char *buf, size_t len);

#endif
