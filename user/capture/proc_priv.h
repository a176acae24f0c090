/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the BPF-free snapshot, the /proc backend of capture/
 * (rs_capture_procfs_run in capture.h): the parsers of the /proc files it
 * reads (procparse.c), the perf sample of a running thread without BPF
 * (perfsample.c), and what the driver's files share: procfs.c (the
 * snapshot, running threads), proclist.c (which threads), proctask.c (what
 * /proc says of a task) and procthread.c (a blocked thread's consistent
 * copy). Not for other stages.
 *
 * Parsers work on strings so the unit tests feed them fixtures. Each returns
 * 0 or -EINVAL (malformed text) and leaves *out unspecified on failure.
 */
#ifndef RS_PROC_PRIV_H
#define RS_PROC_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include "rsample.h"
#include "capture/capture.h"
#include "stack/stack.h"

/* ---- parsers (procparse.c) ---- */

/* What /proc/PID/task/TID/syscall says. */
enum rs_syscall_kind {
	RS_SC_RUNNING = 0, /* "running": runnable (or it moved while the kernel looked) */
	RS_SC_SYSCALL,	   /* "nr a0 a1 a2 a3 a4 a5 sp pc": blocked in syscall nr */
	RS_SC_NONE,	   /* "-1 sp pc": blocked, but not in a syscall (a page fault, a stop) */
};

struct rs_proc_syscall {
	enum rs_syscall_kind kind;
	int64_t nr;	  /* RS_SC_SYSCALL: the syscall number; else -1 */
	uint64_t args[6]; /* RS_SC_SYSCALL only */
	uint64_t sp, pc;  /* the user stack pointer and instruction pointer; 0 when running */
};

int rs_parse_syscall(const char *text, struct rs_proc_syscall *out);
/* Same facts (kind, nr, args, sp, pc): the thread did not move between two reads. */
bool rs_syscall_equal(const struct rs_proc_syscall *a, const struct rs_proc_syscall *b);

/* One line of /proc/PID/task/TID/stack: "[<0>] futex_wait+0x9a/0x150 [mod]". */
struct rs_kstack_line {
	char name[128];	 /* the symbol; empty when the kernel printed a bare address */
	char module[64]; /* "[mod]" as kallsyms spells it, or empty for the kernel proper */
	uint64_t off;	 /* offset into the symbol */
	uint64_t size;	 /* the symbol's size as the kernel computed it; 0 when not printed */
	uint64_t addr;	 /* the address in the "[<…>]" field or a bare "0x…" (0: hidden) */
};

int rs_parse_kstack_line(const char *line, struct rs_kstack_line *out);

/* The lines of /proc/PID/task/TID/status procfs.c uses. */
struct rs_proc_status {
	char state;	  /* "State:" letter */
	uint32_t tgid;	  /* "Tgid:" */
	uint32_t ns_tgid; /* last field of "NStgid:" (the innermost namespace) */
	uint32_t ns_tid;  /* last field of "NSpid:" */
	bool has_ns;	  /* NStgid and NSpid were present (Linux >= 4.1) */
	uint64_t nvcsw;	  /* "voluntary_ctxt_switches:" */
	uint64_t nivcsw;  /* "nonvoluntary_ctxt_switches:" */
	bool has_cap_eff; /* "CapEff:" was present... */
	uint64_t cap_eff; /* ...the effective capability set */
};

int rs_parse_status(const char *text, struct rs_proc_status *out);

/*
 * A "key : 1234.567890" line of /proc/PID/task/TID/sched (milliseconds with
 * six decimals), in nanoseconds. -ENOENT when the key is missing.
 */
int rs_parse_sched_ns(const char *text, const char *key, uint64_t *ns);

/* The inode of a namespace link's target, "pid:[4026531836]". */
int rs_parse_ns_link(const char *link, uint32_t *ino);

/* The inode of the namespace the link at path (/proc/PID/ns/pid) names, or 0. */
uint32_t rs_proc_ns_ino(const char *path);

/* The initial PID namespace's inode (PROC_PID_INIT_INO). */
#define RS_PIDNS_INIT_INO 0xEFFFFFFCu

/*
 * The task state bits (task->__state, task->exit_state) that give letter c
 * back through rs_state_letter() (snapshot/snapshot.h). -EINVAL for an unknown
 * letter.
 */
int rs_state_from_letter(char c, uint32_t *state, uint32_t *exit_state);

/* ---- one perf sample of a running thread, without BPF (perfsample.c) ----
 *
 * A per-thread software cpu-clock event that records the user registers,
 * the user stack and the kernel callchain of the thread in its own context
 * (perf_event_open(2) through the seam in sys.c), and the parser of that
 * sample.
 */

/*
 * 10 us of the thread's own CPU time (cpu-clock's shortest): a thread that
 * runs only now and then is caught too. The event stops itself after that
 * one sample (PERF_EVENT_IOC_REFRESH 1), so the thread pays for one only.
 */
#define RS_PROC_PERF_PERIOD_NS 10000
/* The kernel's limit on sample_stack_user: sizes are u16, stacks 8-aligned. */
#define RS_PERF_STACK_MAX 65528
#define RS_PERF_SAMPLE_TYPE                                                                        \
	(PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_CALLCHAIN |            \
	 PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

/* The user registers perf records (arch.h: rs_perf_reg_table()), as a sample_regs_user mask. */
uint64_t rs_perf_regs_mask(void);
/*
 * The values of a sample's regs[] (one per bit of mask, lowest bit first)
 * into the matching fields of *r; fields perf does not record (orig_ax) are
 * left alone. The one place that maps perf's register order to struct rs_regs.
 */
void rs_perf_regs_to_rs(uint64_t mask, const uint64_t *vals, size_t n, struct rs_regs *r);

/* The attributes of the per-thread event; exclude_kernel when kernel is false. */
void rs_perf_attr_init(struct perf_event_attr *attr, uint32_t stack_bytes, bool kernel);

/* A PERF_RECORD_SAMPLE of RS_PERF_SAMPLE_TYPE, parsed. Pointers point into the record. */
struct rs_perf_sample {
	uint32_t pid, tid;
	uint64_t time_ns; /* the event's clock (CLOCK_MONOTONIC, see rs_perf_attr_init) */
	uint32_t cpu;
	bool user_mode;			/* the sample interrupted user code (header.misc) */
	uint64_t kstack[RS_KSTACK_MAX]; /* kernel callchain, innermost first, markers dropped */
	uint32_t kstack_len;
	bool regs_valid; /* abi was not PERF_SAMPLE_REGS_ABI_NONE (a kernel thread) */
	struct rs_regs regs;
	const void *stack; /* stack_len bytes copied from regs.sp upward */
	size_t stack_len;
};

/*
 * Parses one record (header included, len bytes) written with sample_type
 * and sample_regs_user regs_mask. Returns 0; -ENOENT when it is not a
 * PERF_RECORD_SAMPLE; -EINVAL when it is cut short or malformed.
 */
int rs_perf_parse_sample(const void *rec, size_t len, uint64_t sample_type, uint64_t regs_mask,
			 struct rs_perf_sample *out);

/* One armed event and its ring buffer. */
struct rs_perf_thread {
	int fd;
	uint32_t tid;
	void *ring;
	size_t ring_len;
	bool kernel; /* kernel samples and callchains allowed */
};

/*
 * Opens and arms the event on one thread and maps its ring. Tries with the
 * kernel included first and, when perf_event_paranoid forbids that
 * (-EACCES/-EPERM), user space only. Returns 0, or -errno of
 * perf_event_open() (-ESRCH: the thread exited) or mmap(); *t untouched on
 * failure.
 */
int rs_perf_thread_open(uint32_t tid, uint32_t stack_bytes, struct rs_perf_thread *t);
/*
 * Copies the first sample record of the ring into buf (cap bytes); other
 * records are skipped. Returns its length, 0 when none arrived yet, or
 * -EMSGSIZE when it does not fit.
 */
ssize_t rs_perf_thread_take(struct rs_perf_thread *t, void *buf, size_t cap);
/* Disarms, unmaps and closes; accepts a closed one (fd -1). */
void rs_perf_thread_close(struct rs_perf_thread *t);

/* ---- the driver (procfs.c, proclist.c, proctask.c, procthread.c) ---- */

/* One thread to capture. */
struct rs_pthread_ref {
	uint32_t tgid, tid;
	uint64_t cgroup_id; /* known from the cgroup walk; 0: read it from /proc */
};

struct rs_pthread_refs {
	struct rs_pthread_ref *v;
	size_t n, cap;
};

/* Per-CPU "now" on the clock /proc/PID/sched's se.exec_start uses (proctask.c). */
struct rs_sched_clock {
	int64_t *off; /* CLOCK_MONOTONIC - exec_start clock, per CPU */
	bool *known;
	int ncpu;
	bool unusable; /* our own /proc/thread-self/sched cannot be read */
};

struct rs_procfs {
	const struct rs_capture_cfg *cfg;
	struct rs_capture *cap;
	struct rs_ksyms *ksyms; /* with names; NULL: kernel stacks cannot be named */
	char *cg_mount;		/* the cgroup2 mount, for thread cgroup ids; may be NULL */
	struct rs_sched_clock clock;
	/* the maps of the process last read, for the stack mappings */
	uint32_t maps_pid;
	bool maps_ok;
	struct rs_maps maps;
	/* namespaces of the process last read */
	uint32_t ns_pid, pidns_ino;
	uint64_t start_stack; /* mm->start_stack of the task rs_proctask_fill() read last */
	/* last cgroup path and its id */
	char *cg_path;
	uint64_t cg_id;
	unsigned char *buf; /* RS_USTACK_MAX + RS_USTACK_TOP bytes of scratch */
	/* what went wrong, said once each */
	size_t n_exited;
	size_t n_moved;
	size_t n_unsampled;  /* running, no perf sample, still running afterwards */
	int perm_err;	     /* first permission error reading a target (-EPERM/-EACCES) */
	bool perm_mem;	     /* ...and it was process_vm_readv() of the target's memory */
	char perm_what[256]; /* what it was reading */
	bool kstack_said, perf_said;
};

/*
 * The threads of target t that the BPF filter would let through (a set of
 * tgids, of tids, or a cgroup subtree), sorted, each once, into *r (grown).
 * Threads and processes that are gone are left out. Returns 0, or -errno
 * with a message in err.
 */
int rs_procfs_list(const struct rs_resolved *t, struct rs_pthread_refs *r, char *err,
		   size_t errlen);

/*
 * What /proc says of a task, into *h (proctask.c): ids, name, state, flags,
 * cgroup, namespaces, switch counts and the blocked-since facts; the status
 * read in *st. Returns 0, -ENOENT/-ESRCH when it is gone, or the -errno of
 * a read (-EACCES/-EPERM).
 */
int rs_proctask_fill(struct rs_procfs *ps, const struct rs_pthread_ref *ref, struct rs_task_rec *h,
		     struct rs_proc_status *st);
/*
 * The kernel stack from /proc/PID/task/TID/stack, named back to addresses
 * into h->kstack (proctask.c). Problems are counted and said once in the
 * notes; nothing fails.
 */
void rs_proctask_kstack(struct rs_procfs *ps, const struct rs_pthread_ref *ref,
			struct rs_task_rec *h);
/* The mapping of pid holding addr, from ps->maps (re-read when pid changed or addr is not mapped).
 */
const struct rs_map *rs_procfs_mapping(struct rs_procfs *ps, uint32_t pid, uint64_t addr);
/* Appends a line to the capture's notes (cut short when full). */
void rs_procfs_note(struct rs_procfs *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees the clock's arrays. */
void rs_sched_clock_clear(struct rs_sched_clock *c);

/* Outcome of rs_pthread_capture(). */
enum rs_pthread_result {
	RS_PT_DONE = 0, /* *out holds the record */
	RS_PT_RUNNING,	/* runnable: *out holds the facts without registers; sample it */
	RS_PT_GONE,	/* the thread exited (*out untouched) */
};

/*
 * Captures one thread from /proc (procthread.c): what rs_proctask_fill()
 * reads, the kernel stack, and for a blocked thread sp/pc, its user stack
 * copied with process_vm_readv() and the futex words, retried while it
 * moves. Returns 0 with *res, or -ENOMEM, or -EPERM/-EACCES (ps->perm_what
 * says what could not be read). *out is malloc'd (header + stack bytes).
 */
int rs_pthread_capture(struct rs_procfs *ps, const struct rs_pthread_ref *ref,
		       enum rs_pthread_result *res, struct rs_task_rec **out);

#endif
