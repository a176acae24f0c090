/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshots (snapshot.h): the model of threads and processes the report
 * writers print (model.c), built from the capture's raw records
 * (assemble.c: blocked-for, syscalls, kernel and user stacks), with lock
 * owners and deadlock cycles (locks.c) and syscall names and arguments
 * decoded (syscalls.c).
 */
#ifndef RS_SNAPSHOT_H
#define RS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"
#include "capture/capture.h"
#include "stack/stack.h"

/* ---- the model (model.c) ---- */

struct rs_wait;

/*
 * What comparing captures of a thread says (rsample --compare; rules in
 * report/verdict.c and the README's "Stuck, spinning, progressing, idle").
 * RS_VERDICT_NONE: a single snapshot, nothing compared.
 */
enum rs_verdict {
	RS_VERDICT_NONE = 0,
	RS_VERDICT_STUCK,	/* did not run: same site, no CPU time, no context switch */
	RS_VERDICT_SPINNING,	/* CPU time >= half the interval in the same code region */
	RS_VERDICT_PROGRESSING, /* ran (CPU or switches) and moved, or woke and slept again */
	RS_VERDICT_NEW,		/* not in the first capture: started meanwhile */
	RS_VERDICT_IDLE,	/* parked in a recognised idle wait (rs_rank_idle()) */
	RS_VERDICT_EXITED,	/* in the first capture, gone from the last */
};

/* A thread's comparison with its earlier captures (valid when verdict is not NONE). */
struct rs_thread_verdict {
	enum rs_verdict verdict;
	bool cpu_known;		    /* cpu_ns_delta is measured (both captures had CPU time) */
	uint64_t cpu_ns_delta;	    /* CPU time gained, first capture to last */
	uint64_t runnable_ns_delta; /* time gained runnable, waiting for a CPU (not running) */
	uint64_t ctxsw_delta;	    /* voluntary + involuntary switches gained */
	uint64_t wall_ns;	    /* between its first and last capture */
	bool same_site;		    /* blocked at the same site in every capture */
};

/* The kinds of lock whose contended word rs_locks_analyze() recognises. */
enum rs_lock_kind {
	RS_LOCK_NONE = 0,
	RS_LOCK_GLIBC_MUTEX, /* pthread_mutex_t with waiters (word 2, or a PI futex): owner recorded
			      */
	RS_LOCK_RUST_MUTEX,  /* Rust std's futex Mutex in state 2 (contended): no owner recorded */
	RS_LOCK_PARKING_LOT, /* parked in parking_lot's lock slow path (parked bit set): no owner,
			      * and the lock's address is not in the wait (it parks on its own
			      * futex) */
};

struct rs_thread {
	uint32_t tid, ns_tid;
	char name[RS_COMM_LEN + 1];
	char state;	/* 'R','S','D','T','t','Z','X','I','P' as /proc shows it */
	bool on_cpu;	/* running on a CPU when captured */
	bool from_perf; /* captured in its own context by a perf sample */
	bool blocked_known;
	uint64_t blocked_ns; /* time since it last left the CPU (0 when on CPU) */
	bool in_syscall;
	int syscall_nr;
	uint64_t syscall_args[6];
	uint64_t nvcsw, nivcsw;
	bool cpu_known;		  /* cpu_ns is the kernel's se.sum_exec_runtime (utime + stime) */
	uint64_t cpu_ns;	  /* CPU time used since it started */
	uint64_t run_delay_ns;	  /* time spent runnable, waiting for a CPU (0: not known) */
	uint64_t capture_ns;	  /* CLOCK_MONOTONIC at capture, for the snapshot's spread */
	struct rs_frame *kframes; /* innermost first */
	size_t n_kframes;
	struct rs_frame *uframes; /* innermost first, inline frames expanded */
	size_t n_uframes;
	struct rs_unwind_info unwind;
	bool ustack_lost;      /* its user stack could not be copied (the record's ustack_err) */
	bool futex_peek_valid; /* futex_peek holds the words at syscall_args[0] */
	uint32_t futex_peek[6];
	uint64_t user_sp; /* the user stack pointer captured (0: not known) */
	/*
	 * Lock analysis (locks.c): the lock word this thread waits on, when it
	 * shows contention, what that address is, and who holds the lock when
	 * the lock records it.
	 */
	enum rs_lock_kind lock_kind;	/* RS_LOCK_NONE: not waiting on a lock */
	uint64_t mutex_addr;		/* the lock word's address (0: not known, parking_lot) */
	struct rs_data_name lock_name;	/* what mutex_addr is: a data symbol, the heap… */
	bool futex_named;		/* in a futex wait: futex_name names its futex word */
	struct rs_data_name futex_name; /* what syscall_args[0] is (locks.c), any futex wait */
	bool waits_mutex;		/* the owner below is known: a glibc mutex's */
	uint32_t mutex_owner_ns_tid; /* the owner as the target sees it (gettid in its namespace) */
	uint32_t mutex_owner_tid;    /* the owner's host tid (always a captured thread) */
	uint32_t deadlock;	     /* > 0: member of that process's deadlock cycle number */
	/* What its call keeps in user memory, read at capture (rs_arg_peek_src()). */
	uint32_t arg_peek_len; /* 0: not read */
	uint64_t arg_peek[RS_ARG_PEEK_MAX / 8];
	bool blocker_valid;	    /* blocker is the kernel's task->blocker (D state) */
	uint64_t blocker;	    /* lock address | type (low 2 bits); 0: none */
	uint32_t blocker_owner_tid; /* host tid of that lock's owner, 0: not recorded */
	struct rs_wait *wait;	    /* what it waits on (waits.c), or NULL */
	struct rs_thread_verdict v; /* --compare: what the captures say (report/verdict.c) */
};

struct rs_process {
	uint32_t pid, ns_pid;
	char comm[RS_COMM_LEN + 1];
	char *exe; /* path as the target sees it, or NULL */
	uint32_t pidns_ino, mntns_ino;
	uint64_t cgroup_id;
	char *cgroup; /* cgroup v2 path relative to the mount, or NULL */
	struct rs_thread *threads;
	size_t n_threads;
	char *error;	      /* non-fatal problem reading this process, or NULL */
	uint32_t n_deadlocks; /* mutex wait-for cycles found among its threads */
	bool exited;	      /* it exited during the snapshot (rs_assemble() drops it) */
	bool denied;	      /* its mappings were refused to rsample (EACCES, EPERM) */
};

struct rs_snapshot {
	struct rs_process *procs;
	size_t n_procs;
	char *target;		  /* what the user asked for, e.g. "cgroup /kubepods/pod…" */
	int64_t taken_at_unix_ns; /* wall clock when the snapshot began */
	uint64_t duration_ns;	  /* capture wall time, iterator start to last record */
	uint64_t spread_ns;	  /* last capture - first capture among threads */
	uint64_t counters[RS_CNT_MAX];
	bool partial; /* some thread or module could not be read */
	/* Churn, not failure: processes and threads that exited during the snapshot, left out. */
	size_t exited_procs, exited_threads;
	const char *backend; /* "bpf" or "proc" (static string; NULL: not said) */
	/* --compare: this is the last of several captures (report/verdict.c) */
	struct rs_compare {
		size_t captures;      /* 0: a single snapshot */
		uint64_t interval_ns; /* first capture to last */
		/* threads of the first capture gone from the last, by pid then tid */
		struct rs_gone_thread {
			uint32_t pid, tid, ns_tid;
			char name[RS_COMM_LEN + 1];
		} * exited;
		size_t n_exited;
	} compare;
};

/* Frees the arrays of a thread / process / snapshot and everything they own. Accept NULL. */
void rs_thread_clear(struct rs_thread *t);
void rs_process_clear(struct rs_process *p);
void rs_snapshot_clear(struct rs_snapshot *s);

/* Maps a kernel task __state/exit_state to the letter /proc/PID/stat shows. */
char rs_state_letter(uint32_t state, uint32_t exit_state);

/* ---- from records to the model (assemble.c) ---- */

struct rs_assemble_cfg {
	const char *proc_root;	      /* "/proc" */
	const struct rs_ksyms *ksyms; /* NULL: kernel frames stay addresses */
	bool kernel;		      /* keep kernel frames */
	struct rs_symcache *cache;    /* may be NULL */
	uint64_t max_debug_size;      /* --max-debug-size; 0: RS_MAX_DEBUG_SIZE_DEFAULT */
	uint64_t deadline_ns;	      /* rs_mono_ns() of the end of --symbolize-budget; 0: none */
	/*
	 * Processes opened ahead (rs_proc_prewarm), with cache: a process's is
	 * taken (its slot set to NULL, then freed by the assembly) when its
	 * modules are still those mapped (rs_proc_refresh), else it is opened
	 * anew. The rest stay the caller's.
	 */
	struct rs_proc **warm;
	size_t n_warm;
};

/*
 * Builds s->procs from the capture: one process per tgid (sorted by pid),
 * threads sorted by tid, each unwound and symbolized. Problems with one
 * process or thread are recorded in the model (p->error, unwind.stop_reason,
 * s->partial), not returned. Churn is not a problem: threads that were
 * exiting when captured (rs_rec_exiting()) and processes gone before their
 * mappings or modules could be read are left out and counted in
 * s->exited_threads and s->exited_procs; a zombie stays, with
 * RS_ZOMBIE_REASON as its stop reason. Returns 0 or -ENOMEM. The capture is
 * not modified.
 */
int rs_assemble(const struct rs_capture *cap, const struct rs_assemble_cfg *cfg,
		struct rs_snapshot *s);

/* The unwind stop reason of a zombie thread: it has no user stack to read. */
#define RS_ZOMBIE_REASON "zombie: the thread has exited and waits to be reaped (no user stack)"

/*
 * Time since the thread of r last left a CPU (0 when on_cpu): its last
 * arrival plus the length of that last slice, on the run-queue clock the
 * record's now_ns was read from. False when the record cannot tell.
 */
bool rs_rec_blocked_ns(const struct rs_task_rec *r, bool on_cpu, uint64_t *ns);

/* Whether the record is of a thread that was exiting (not a zombie, not a kernel thread). */
bool rs_rec_exiting(const struct rs_task_rec *r);
/*
 * Whether t lacks user frames that should have been read (what makes a
 * snapshot partial): not a kernel thread, not a zombie.
 */
bool rs_thread_incomplete(const struct rs_thread *t);

/* ---- locks (locks.c) ---- */

/*
 * Finds each thread of p that waits on a lock word showing contention: a
 * glibc pthread mutex (futex wait on lock word 2 of a held mutex, or a PI
 * futex), Rust std's futex Mutex in state 2 (below its lock_contended), a
 * parking_lot lock's slow path. Sets lock_kind, mutex_addr and lock_name
 * (through rs_name_data_addr() on proc, which may be NULL). For a glibc
 * mutex it also names the thread that holds it, read from the mutex itself
 * at capture time, when that owner is one of the process's captured
 * threads; then numbers the wait-for cycles (deadlocks) among them
 * (p->n_deadlocks). Locks without an owner field (Rust's std Mutex,
 * parking_lot) never get one; condvars and plain futexes are left alone.
 * Call after the threads' frames are built. 0 or -ENOMEM.
 */
int rs_locks_analyze(struct rs_process *p, struct rs_proc *proc);
/* The lock kind as a JSON word: "glibc_mutex", "rust_std_mutex", "parking_lot"; NULL for none. */
const char *rs_lock_kind_id(enum rs_lock_kind k);
/* The lock kind for people: "mutex", "std Mutex", "parking_lot lock"; NULL for none. */
const char *rs_lock_kind_text(enum rs_lock_kind k);

/* ---- what each thread waits on (waits.c) ---- */

/* A process holding an fd: a pipe's other end, a socket's peer. */
struct rs_fd_holder {
	uint32_t pid;
	char comm[RS_COMM_LEN + 1];
	int fd;
	bool reads, writes; /* its fd's access mode (fdinfo flags) */
};

enum rs_fd_type { RS_FD_UNKNOWN, RS_FD_FILE, RS_FD_PIPE, RS_FD_SOCKET, RS_FD_EPOLL, RS_FD_ANON };

/* Sockets as /proc/PID/net/{tcp,tcp6,udp,udp6,unix} show them. */
struct rs_sock_info {
	char proto[16];	 /* "TCP", "TCP6", "UDP", "UDP6", "UNIX", "UNIX-DGRAM", "UNIX-SEQ" */
	char local[64];	 /* "127.0.0.1:8080", "[::1]:22", a unix path or "" */
	char remote[64]; /* "" when not connected */
	char state[16];	 /* "LISTEN", "ESTABLISHED", … ("" for unix datagrams) */
	uint64_t inode;
};

/* One fd of a waiting thread's process, decoded through /proc/PID/fd and fdinfo. */
struct rs_fd_desc {
	int fd;
	enum rs_fd_type type;
	char *link; /* the readlink text: a path, "pipe:[123]", "socket:[456]"… NULL: unreadable */
	uint64_t inode; /* pipe and socket inode */
	bool reads, writes;
	/* pipe: the other fds holding it (bounded) and whether any may write */
	struct rs_fd_holder *holders;
	size_t n_holders;
	bool writer_open; /* some fd (this process's or another's) has it open for writing */
	bool holders_cut; /* the scan stopped at its bound: holders may be missing */
	/*
	 * socket: its line; for a connected one whose other end is in the same
	 * tables (loopback), that end's inode, its holders in holders[]
	 */
	bool sock_found;
	struct rs_sock_info sock;
	uint64_t peer_inode;
	/* epoll: its registered fds (tfd lines), the first few decoded */
	struct rs_fd_desc *tfds;
	size_t n_tfds, total_tfds;
};

enum rs_wait_kind {
	RS_WAIT_FD,	/* read/recv/accept/write/connect…: one fd */
	RS_WAIT_EPOLL,	/* epoll_wait: fd is the epoll fd */
	RS_WAIT_POLL,	/* poll/ppoll/select/pselect6: fds from the captured words, else a count */
	RS_WAIT_SLEEP,	/* nanosleep/clock_nanosleep */
	RS_WAIT_CHILD,	/* wait4/waitid */
	RS_WAIT_JOIN,	/* pthread_join: the joined thread */
	RS_WAIT_RWLOCK, /* pthread_rwlock_rdlock/wrlock: its writer */
	RS_WAIT_KERNEL, /* D state: the kernel's own blocker information */
	RS_WAIT_FUTEX,	/* any other futex wait: a mutex, a condvar, a raw futex, named */
};

struct rs_wait_child {
	uint32_t pid, ns_pid;
	char comm[RS_COMM_LEN + 1];
	char state;
};

struct rs_wait {
	enum rs_wait_kind kind;
	char call[32]; /* the syscall's name, or "pthread_join", "pthread_rwlock_wrlock"… */
	char *text;    /* the plain words of the report's "waits on:" line */
	/* FD, EPOLL; POLL: fds[0..n_fds) decoded from the captured set */
	struct rs_fd_desc fd;
	struct rs_fd_desc *fds;
	size_t n_fds;
	uint64_t nfds; /* POLL: the call's fd count */
	bool fds_known;
	/* SLEEP */
	bool request_known, remaining_known, absolute;
	int clock;
	uint64_t request_ns, remaining_ns; /* relative request; time left */
	/*
	 * CHILD: the pid argument as wait4 takes it, as the target sees it (> 0: that
	 * child, -1: any, 0: its own process group, < -1: group -pid_arg; waitid's
	 * idtype and id read so), pidfd_pid the host pid of waitid(P_PIDFD)'s
	 * process (0: none or unreadable), and the children that match
	 */
	int64_t pid_arg;
	uint32_t pidfd_pid;
	struct rs_wait_child *children;
	size_t n_children;
	/* JOIN, RWLOCK: the address waited on (the joined thread's tid word, the rwlock) */
	uint64_t addr;
	uint32_t tid, ns_tid; /* the joined thread / the rwlock's writer; 0: not known */
	char name[RS_COMM_LEN + 1];
	/*
	 * RWLOCK: the data symbol holding addr ("rw", "TABLE+0x40"), NULL when
	 * addr is in no symbol; FUTEX: what addr is in any region ("ledger_lock",
	 * "heap", "stack of tid 12"), from the lock analysis' futex_name.
	 */
	char *symbol;
	const char *region; /* RWLOCK, FUTEX: rs_data_region_name() of addr; NULL: unknown */
	/* FUTEX: the lock it is (RS_LOCK_NONE: none), or a condvar wait */
	enum rs_lock_kind lock_kind;
	bool condvar;
	/* KERNEL */
	char wchan[64];
	const char *kfunc;     /* the innermost kernel frame's function, or NULL */
	bool blocker_valid;    /* the kernel recorded a blocker (task->blocker) */
	uint64_t blocker;      /* its lock address */
	const char *lock_type; /* "mutex", "semaphore", "rwsem (read)", "rwsem (write)" */
	uint32_t owner_tid;    /* the lock's owner (host tid), 0: not recorded */
	char owner_name[RS_COMM_LEN + 1];
};

/*
 * Finds, for every thread of s that waits in a call people block in, what it
 * waits on, from the captured syscall arguments and words and from /proc
 * under proc_root (read only: fd links, fdinfo, net tables, children,
 * wchan; no process is stopped). Who holds a pipe's other end (a loopback
 * socket's peer) is asked of sess's task_file iterator when sess is not
 * NULL and the kernel runs it, else found by a scan of every /proc/PID/fd:
 * the same answers. Fills t->wait (NULL for the others) and, when st is not
 * NULL, what it cost. Returns 0 or -ENOMEM.
 */
struct rs_waits_stats {
	size_t waits;	 /* threads given a wait */
	size_t searched; /* fds whose holders were searched: pipes, loopback sockets' other ends */
	size_t scanned_procs, scanned_fds; /* what that one scan read */
	bool by_iterator;		   /* the scan was sess's iterator's, not /proc's */
	uint64_t ns;			   /* the analysis's wall time */
};
int rs_waits_analyze(struct rs_snapshot *s, const char *proc_root, struct rs_capture_session *sess,
		     struct rs_waits_stats *st);
/* Frees w and everything it owns (its fds, holders, children, text). Accepts NULL. */
void rs_wait_free(struct rs_wait *w);

/*
 * Parsers of what /proc hands over, for the analysis and its tests. Each
 * takes the file's text (NUL-terminated).
 * A net table (tcp, tcp6, udp, udp6: proto says which and how addresses
 * read; "UNIX" for net/unix) indexed by inode, so that looking up every
 * socket a snapshot's threads wait on does not walk the table each time.
 * rs_net_table_new: the index of text (which the caller keeps, unchanged, as
 * long as the index). 0 or -ENOMEM; *out untouched on failure.
 */
struct rs_net_table;
int rs_net_table_new(const char *text, const char *proto, struct rs_net_table **out);
/* Accepts NULL. The text stays the caller's. */
void rs_net_table_free(struct rs_net_table *t);
/*
 * The first line of t whose inode is ino, into *out. Returns 0, or -ENOENT
 * when no line has it, -EINVAL when the text is not such a table.
 */
int rs_net_table_find(const struct rs_net_table *t, uint64_t ino, struct rs_sock_info *out);
/* rs_net_table_find() on a table indexed for this one lookup. -ENOMEM too. */
int rs_net_find(const char *text, const char *proto, uint64_t ino, struct rs_sock_info *out);
/*
 * The other end of connected socket s in table text (s's own table, in the
 * same network namespace: a loopback peer): the line whose local and remote
 * addresses are s's remote and local, into *out. 0, -ENOENT (not connected,
 * a unix socket, no such line), -EINVAL (not such a table).
 */
int rs_net_find_peer(const char *text, const struct rs_sock_info *s, struct rs_sock_info *out);
/*
 * fdinfo text: its "flags:" (octal, as open(2) flags) into *flags; every
 * "tfd:" line's fd into tfds[0..max) and the count of tfd lines into *n_tfds
 * (may exceed max). Returns 0, or -EINVAL without a flags line.
 */
int rs_fdinfo_parse(const char *text, unsigned *flags, int *tfds, size_t max, size_t *n_tfds);

/* ---- syscalls (syscalls.c) ---- */

/* Name of syscall nr on this architecture (static string), or NULL. Thread-safe. */
const char *rs_syscall_name(int nr);
/*
 * How many of args[] syscall nr takes (for futex: its op in args[1] decides),
 * or 6 when not known. rs_syscall_describe() prints this many.
 */
int rs_syscall_nargs(int nr, const uint64_t args[6]);
/*
 * Writes "futex(0x7f12…, FUTEX_WAIT_PRIVATE, 2, NULL)" style text: the name and
 * its arguments, decoded for the calls people block in (futex, read, write,
 * epoll_wait/pwait, poll, ppoll, select, nanosleep, clock_nanosleep, wait4,
 * accept, recvfrom, connect…), hex for the rest; "syscall_<nr>(…)" with six hex
 * arguments when nr is unknown. Cut to fit len, always NUL-terminated (len > 0).
 */
void rs_syscall_describe(int nr, const uint64_t args[6], char *buf, size_t len);

#endif
