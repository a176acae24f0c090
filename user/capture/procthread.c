// SPDX-License-Identifier: GPL-2.0
/*
 * One thread of the BPF-free snapshot (proc_priv.h: rs_pthread_capture), as
 * one consistent moment.
 *
 * A blocked thread: /proc/PID/task/TID/syscall gives its syscall, sp and pc;
 * its user stack is copied from sp to the end of the stack mapping with
 * process_vm_readv(), which reads the memory without stopping it. The
 * syscall line and the context-switch counts are read again after the copy:
 * when either changed the thread ran meanwhile, and it is all done again
 * (RS_PT_TRIES times, then marked RS_TF_MOVED). A thread that is running
 * is left to a perf sample (procfs.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "arch/arch.h"
#include "capture/proc_priv.h"
#include "lib/lib.h"

#define RS_PT_TRIES 3

static bool gone(int e)
{
	return e == -ENOENT || e == -ESRCH;
}

static bool denied(int e)
{
	return e == -EACCES || e == -EPERM;
}

/* Keeps the first permission error and what it was reading; returns e. */
static int perm(struct rs_procfs *ps, int e, const struct rs_pthread_ref *ref, const char *file)
{
	if (!ps->perm_err) {
		ps->perm_err = e;
		ps->perm_mem = !file;
		if (file)
			snprintf(ps->perm_what, sizeof(ps->perm_what), "'/proc/%u/task/%u/%s'",
				 ref->tgid, ref->tid, file);
		else
			snprintf(ps->perm_what, sizeof(ps->perm_what),
				 "the memory of pid %u (thread %u)", ref->tgid, ref->tid);
	}
	return e;
}

/* Reads up to len bytes at addr of pid; the bytes read, or -errno. */
static ssize_t read_mem(uint32_t pid, uint64_t addr, void *dst, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t r = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);

	return r < 0 ? -errno : r;
}

/* How far above the copied window a thread's TCB is looked for: past a default 8 MiB stack. */
#define RS_TCB_SCAN_MAX (32u << 20)

/* The address of a TCB (rs_is_tcb()) in the n bytes at buf, which were at addr; 0 if none. */
static uint64_t find_tcb(const unsigned char *buf, uint64_t addr, size_t n)
{
	uint64_t a = (addr + RS_TCB_ALIGN - 1) & ~(uint64_t)(RS_TCB_ALIGN - 1);

	for (; a + RS_TCB_LEN <= addr + n; a += RS_TCB_ALIGN)
		if (rs_is_tcb(buf + (a - addr), a))
			return a;
	return 0;
}

/*
 * The TCB of a thread whose copied window (sp, len bytes, in ps->buf) ended
 * below it: read on from the window's end, RS_USTACK_TOP bytes at a time into
 * the room of the stack's top in ps->buf, up to end, at most
 * RS_TCB_SCAN_MAX bytes. 0 if none.
 */
static uint64_t tcb_above(struct rs_procfs *ps, const struct rs_pthread_ref *ref, uint64_t sp,
			  size_t len, uint64_t end)
{
	unsigned char *chunk = ps->buf + RS_USTACK_MAX;
	uint64_t a = (sp + len) & ~(uint64_t)(RS_TCB_ALIGN - 1), tcb = 0;

	for (uint64_t lim = sp + len + RS_TCB_SCAN_MAX; !tcb && a < end && a < lim;
	     a += RS_USTACK_TOP) {
		size_t n = end - a < RS_USTACK_TOP ? (size_t)(end - a) : RS_USTACK_TOP;
		ssize_t r = read_mem(ref->tid, a, chunk, n);

		if (r <= 0)
			break;
		tcb = find_tcb(chunk, a, (size_t)r);
	}
	return tcb;
}

/*
 * Where the frames of a stack end, as the BPF capture has it
 * (bpf/ustack.bpf.h: ustack_end_cap()): the end of the mapping holding sp,
 * which may be past the stack when the mapping merged with its neighbour
 * (Linux 6.1 does), capped for the group leader at the page of
 * mm->start_stack, for another thread at its TCB: glibc puts it at the top
 * of the thread's stack mapping, above the frames. Without the fs base
 * (only BPF reads it) the TCB is looked for in the stack, in the copied
 * window first, above it only when the window did not reach end.
 */
static uint64_t frames_end(struct rs_procfs *ps, const struct rs_pthread_ref *ref, uint64_t sp,
			   size_t len, uint64_t end)
{
	uint64_t cap;

	if (ref->tid == ref->tgid) {
		cap = (ps->start_stack + 8 + 4095) & ~(uint64_t)4095;
	} else {
		cap = find_tcb(ps->buf, sp, len);
		if (!cap && sp + len < end)
			cap = tcb_above(ps, ref, sp, len, end);
	}
	return cap > sp && cap < end ? cap : end;
}

/*
 * The user stack from sp to the end of its frames (frames_end()), as the
 * BPF capture's final record has it: the used part whole up to
 * RS_USTACK_MAX (BPF copies threads deeper than --stack-bytes again with
 * that), else that much and the top RS_USTACK_TOP bytes too
 * (RS_TF_USTACK_TRUNC). Into ps->buf.
 */
static int user_stack(struct rs_procfs *ps, const struct rs_pthread_ref *ref, struct rs_task_rec *h)
{
	uint64_t sp = rs_regs_sp(&h->regs);
	const struct rs_map *m = rs_procfs_mapping(ps, ref->tgid, sp);
	uint64_t end = m ? m->end : 0, want, top;
	ssize_t r;

	h->ustack_len = h->utop_len = 0;
	h->utop_addr = 0;
	h->ustack_err = 0;
	h->flags &= ~RS_TF_USTACK_TRUNC;
	want = end > sp && end - sp <= RS_USTACK_MAX ? end - sp : RS_USTACK_MAX;
	r = read_mem(ref->tid, sp, ps->buf, (size_t)want);
	if (r <= 0) {
		h->ustack_err = r < 0 ? (int32_t)r : -EFAULT;
		return r < 0 ? (int)r : 0;
	}
	if (end)
		end = frames_end(ps, ref, sp, (size_t)r, end);
	if ((uint64_t)r > end - sp)
		r = (ssize_t)(end - sp); /* the rest is above the frames */
	h->ustack_len = (uint32_t)r;
	if (!end || end - sp > h->ustack_len)
		h->flags |= RS_TF_USTACK_TRUNC;
	if (!(h->flags & RS_TF_USTACK_TRUNC) || !end)
		return 0;
	top = end > RS_USTACK_TOP ? end - RS_USTACK_TOP : 0;
	if (top < sp + h->ustack_len)
		top = sp + h->ustack_len;
	if (top >= end)
		return 0;
	r = read_mem(ref->tid, top, ps->buf + h->ustack_len, (size_t)(end - top));
	if (r == (ssize_t)(end - top)) {
		h->utop_addr = top;
		h->utop_len = (uint32_t)r;
	}
	return 0;
}

/* Reads and parses /proc/TGID/task/TID/<name> with parse. 0, -ESRCH when malformed, or -errno. */
static int read_parsed(const struct rs_pthread_ref *ref, const char *name,
		       int (*parse)(const char *text, void *out), void *out)
{
	char path[96], *text = NULL;
	size_t len;
	int e;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/%s", ref->tgid, ref->tid, name);
	e = rs_read_file(path, &text, &len);
	if (!e && parse(text, out))
		e = -ESRCH; /* cut short: it is being reaped */
	free(text);
	return e;
}

static int parse_syscall(const char *text, void *out)
{
	return rs_parse_syscall(text, out);
}

static int parse_status(const char *text, void *out)
{
	return rs_parse_status(text, out);
}

/* sp, pc and what the syscall line says of the registers the model reads. */
static void set_regs(struct rs_task_rec *h, const struct rs_proc_syscall *sc)
{
	rs_regs_from_syscall(&h->regs, sc->kind == RS_SC_SYSCALL ? sc->nr : -1, sc->args, sc->sp,
			     sc->pc);
	h->flags |= RS_TF_REGS | RS_TF_REGS_SPIP;
}

static int emit(struct rs_procfs *ps, const struct rs_task_rec *h, struct rs_task_rec **out)
{
	size_t extra = (size_t)h->ustack_len + h->utop_len;
	struct rs_task_rec *r = malloc(sizeof(*r) + extra);

	if (!r)
		return -ENOMEM;
	memcpy(r, h, sizeof(*r));
	memcpy(r + 1, ps->buf, extra);
	*out = r;
	return 0;
}

/* What its call keeps in user memory (rs_arg_peek_src()), as the BPF capture reads it. */
static void arg_peek(uint32_t tid, struct rs_task_rec *h)
{
	__u64 addr = 0;
	uint32_t n = rs_arg_peek_src(&h->regs, &addr);

	if (n && n <= sizeof(h->arg_peek) && read_mem(tid, addr, h->arg_peek, n) == (ssize_t)n) {
		h->arg_peek_len = n;
		h->flags |= RS_TF_ARG_PEEK;
	}
}

/* A thread found running: its facts without registers, for a perf sample to complete. */
static int running(struct rs_procfs *ps, struct rs_task_rec *h, enum rs_pthread_result *res,
		   struct rs_task_rec **out)
{
	memset(&h->regs, 0, sizeof(h->regs));
	h->flags &= ~(RS_TF_FUTEX_PEEK | RS_TF_ARG_PEEK | RS_TF_REGS | RS_TF_REGS_SPIP |
		      RS_TF_USTACK_TRUNC);
	h->ustack_len = h->utop_len = h->kstack_len = 0;
	h->state = 0;
	*res = RS_PT_RUNNING;
	return emit(ps, h, out);
}

int rs_pthread_capture(struct rs_procfs *ps, const struct rs_pthread_ref *ref,
		       enum rs_pthread_result *res, struct rs_task_rec **out)
{
	struct rs_proc_syscall sc, again;
	struct rs_proc_status stt, now;
	struct rs_task_rec h = { 0 };
	uint32_t state, exit_state;
	bool moved = true;
	uint64_t t;
	int e;

	*res = RS_PT_GONE;
	e = rs_proctask_fill(ps, ref, &h, &stt);
	if (gone(e))
		return 0;
	if (e)
		return denied(e) ? perm(ps, e, ref, "status") : e;
	if (h.flags & (RS_TF_KTHREAD | RS_TF_EXITING)) {
		rs_proctask_kstack(ps, ref, &h);
		*res = RS_PT_DONE;
		return emit(ps, &h, out);
	}
	for (int i = 0; i < RS_PT_TRIES && moved; i++) {
		e = read_parsed(ref, "syscall", parse_syscall, &sc);
		if (gone(e))
			return 0;
		if (e)
			return denied(e) ? perm(ps, e, ref, "syscall") : e;
		if (sc.kind == RS_SC_RUNNING)
			return running(ps, &h, res, out);
		t = rs_mono_ns();
		if (h.last_arrival_ns)
			h.now_ns += t - h.capture_ktime_ns; /* "now" moves with the capture */
		h.capture_ktime_ns = t;
		h.flags &= ~(RS_TF_FUTEX_PEEK | RS_TF_ARG_PEEK | RS_TF_REGS | RS_TF_REGS_SPIP);
		set_regs(&h, &sc);
		rs_proctask_kstack(ps, ref, &h);
		e = user_stack(ps, ref, &h);
		if (gone(e))
			return 0;
		if (denied(e))
			return perm(ps, e, ref, NULL);
		if (sc.kind == RS_SC_SYSCALL && sc.nr == RS_NR_FUTEX &&
		    read_mem(ref->tid, sc.args[0], h.futex_peek, sizeof(h.futex_peek)) ==
			sizeof(h.futex_peek))
			h.flags |= RS_TF_FUTEX_PEEK;
		if (sc.kind == RS_SC_SYSCALL)
			arg_peek(ref->tid, &h);
		/* Did it run meanwhile? Then the copy may mix two moments: again. */
		e = read_parsed(ref, "syscall", parse_syscall, &again);
		if (!e)
			e = read_parsed(ref, "status", parse_status, &now);
		if (gone(e))
			return 0;
		if (e)
			return denied(e) ? perm(ps, e, ref, "status") : e;
		moved = !rs_syscall_equal(&sc, &again) || now.nvcsw != stt.nvcsw ||
			now.nivcsw != stt.nivcsw;
		if (moved && again.kind == RS_SC_RUNNING)
			return running(ps, &h, res, out); /* it woke up: a perf sample's to tell */
		stt = now;
		h.nvcsw = now.nvcsw;
		h.nivcsw = now.nivcsw;
		/* the state that goes with the registers: after the copy, not before */
		if (!rs_state_from_letter(now.state, &state, &exit_state)) {
			h.state = state;
			h.exit_state = exit_state;
		}
	}
	if (moved) {
		h.flags |= RS_TF_MOVED;
		ps->n_moved++;
	}
	*res = RS_PT_DONE;
	return emit(ps, &h, out);
}
