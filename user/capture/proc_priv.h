/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the BPF-free snapshot, the /proc backend of capture/
 * (rs_capture_procfs_run in capture.h): the parsers of the /proc files it
 * reads (procparse.c), and what its files share. Not for other stages.
 *
 * Parsers work on strings so the unit tests feed them fixtures. Each returns
 * 0 or -EINVAL (malformed text) and leaves *out unspecified on failure.
 */
#ifndef RS_PROC_PRIV_H
#define RS_PROC_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The fields of /proc/PID/task/TID/stat procfs.c uses (man 5 proc). */
struct rs_proc_stat {
	char comm[16];	    /* field 2, without the parentheses, NUL-terminated */
	char state;	    /* field 3 */
	uint32_t flags;	    /* field 9: PF_* */
	uint64_t starttime; /* field 22: clock ticks after boot */
	int32_t cpu;	    /* field 39: CPU it last ran on */
};

int rs_parse_stat(const char *text, struct rs_proc_stat *out);

/*
 * A "key : 1234.567890" line of /proc/PID/task/TID/sched (milliseconds with
 * six decimals), in nanoseconds. -ENOENT when the key is missing.
 */
int rs_parse_sched_ns(const char *text, const char *key, uint64_t *ns);

/* The inode of a namespace link's target, "pid:[4026531836]". */
int rs_parse_ns_link(const char *link, uint32_t *ino);

/*
 * The task state bits (task->__state, task->exit_state) that give letter c
 * back through rs_state_letter() (snapshot/snapshot.h). -EINVAL for an unknown
 * letter.
 */
int rs_state_from_letter(char c, uint32_t *state, uint32_t *exit_state);

#endif
