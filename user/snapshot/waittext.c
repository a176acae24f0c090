// SPDX-License-Identifier: GPL-2.0
/* The plain words of a thread's wait: the text after the report's "waits on: " (snapshot_priv.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lib/lib.h"
#include "snapshot/snapshot_priv.h"

/* Whether the call waits to write (a pipe's other end is then its reader). */
static bool writes_call(const char *name)
{
	return !strncmp(name, "write", 5) || !strncmp(name, "pwrite", 6) ||
	       !strncmp(name, "send", 4);
}

static void duration(char *buf, size_t len, uint64_t ns)
{
	char d[32];

	rs_format_duration(ns, d, sizeof(d));
	rs_appendf(buf, len, "%s", d);
}

static const char *clock_name(int clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
		return "CLOCK_REALTIME";
	case CLOCK_MONOTONIC:
		return "CLOCK_MONOTONIC";
	case CLOCK_BOOTTIME:
		return "CLOCK_BOOTTIME";
	case CLOCK_TAI:
		return "CLOCK_TAI";
	}
	return "clock";
}

static void sleep_text(const struct rs_wait *w, char *buf, size_t len)
{
	rs_appendf(buf, len, "%s: ", w->call);
	if (!w->request_known) {
		rs_appendf(buf, len, "time left unknown (its request could not be read)");
		return;
	}
	if (!w->remaining_known) {
		duration(buf, len, w->request_ns);
		rs_appendf(buf, len,
			   " requested, time left unknown (how long it slept is not known)");
		return;
	}
	duration(buf, len, w->remaining_ns);
	if (w->absolute) {
		rs_appendf(buf, len, " left, until %s %" PRIu64 ".%03" PRIu64 "s (absolute)",
			   clock_name(w->clock), w->request_ns / 1000000000,
			   w->request_ns % 1000000000 / 1000000);
		return;
	}
	rs_appendf(buf, len, " of ");
	duration(buf, len, w->request_ns);
	rs_appendf(buf, len, " left");
}

static void child_text(const struct rs_wait *w, char *buf, size_t len)
{
	if (w->pid_arg > 0 || w->pidfd_pid)
		rs_appendf(buf, len, "%s: ", w->call);
	else if (w->pid_arg == -1)
		rs_appendf(buf, len, "%s(any child): ", w->call);
	else
		rs_appendf(buf, len, "%s(process group %" PRId64 "): ", w->call,
			   w->pid_arg ? -w->pid_arg : 0);
	if (!w->n_children) {
		if (w->pidfd_pid)
			rs_appendf(buf, len, "pidfd of pid %u, not among its children",
				   w->pidfd_pid);
		else if (w->pid_arg > 0)
			rs_appendf(buf, len, "child %" PRId64 " (its pid), not among its children",
				   w->pid_arg);
		else
			rs_appendf(buf, len, "no children");
		return;
	}
	if (w->pid_arg <= 0 && !w->pidfd_pid)
		rs_appendf(buf, len, "%zu child%s: ", w->n_children,
			   w->n_children == 1 ? "" : "ren");
	for (size_t i = 0; i < w->n_children; i++) {
		const struct rs_wait_child *c = &w->children[i];

		rs_appendf(buf, len, "%schild %u", i ? ", " : "", c->pid);
		if (c->ns_pid && c->ns_pid != c->pid)
			rs_appendf(buf, len, " (ns %u)", c->ns_pid);
		rs_appendf(buf, len, " \"%s\" (%c)", c->comm, c->state ? c->state : '?');
	}
}

static void thread_text(const struct rs_wait *w, char *buf, size_t len)
{
	if (w->tid)
		rs_appendf(buf, len, "thread %u \"%s\"", w->tid, w->name);
	else
		rs_appendf(buf, len, "thread ns tid %u, not among the captured threads", w->ns_tid);
}

/*
 * "futex 0x…: mutex ledger_lock, owner thread 123 "teller" (glibc records it)",
 * "futex 0x…: std Mutex asyncd::STATE (no owner recorded: waiters grouped)",
 * "futex 0x…: condition variable pool_cv+0x8", "futex 0x…: heap".
 */
static void futex_text(const struct rs_wait *w, char *buf, size_t len)
{
	const char *name = w->symbol ? w->symbol : "unknown memory";

	if (w->lock_kind == RS_LOCK_PARKING_LOT) {
		rs_appendf(buf, len,
			   "futex: parking_lot lock (no owner recorded: waiters grouped)");
		return;
	}
	rs_appendf(buf, len, "futex 0x%" PRIx64 ": ", w->addr);
	if (w->lock_kind == RS_LOCK_GLIBC_MUTEX) {
		rs_appendf(buf, len, "mutex %s, owner ", name);
		if (w->ns_tid) {
			thread_text(w, buf, len);
			rs_appendf(buf, len, " (glibc records it)");
		} else {
			rs_appendf(buf, len, "not among its threads");
		}
	} else if (w->lock_kind) {
		rs_appendf(buf, len, "%s %s (no owner recorded: waiters grouped)",
			   w->lock_kind == RS_LOCK_RUST_MUTEX ? "Rust std Mutex"
							      : rs_lock_kind_text(w->lock_kind),
			   name);
	} else if (w->condvar) {
		rs_appendf(buf, len, "condition variable %s", name);
	} else {
		rs_appendf(buf, len, "%s", name);
	}
}

static void kernel_text(const struct rs_wait *w, char *buf, size_t len)
{
	if (w->call[0])
		rs_appendf(buf, len, "%s: ", w->call);
	rs_appendf(buf, len, "uninterruptible (D)");
	if (w->kfunc)
		rs_appendf(buf, len, " in %s", w->kfunc);
	if (w->wchan[0] && (!w->kfunc || strcmp(w->kfunc, w->wchan)))
		rs_appendf(buf, len, " (wchan %s)", w->wchan);
	if (!w->blocker_valid)
		return;
	rs_appendf(buf, len, ", on kernel %s 0x%" PRIx64, w->lock_type, w->blocker);
	if (w->owner_tid)
		rs_appendf(buf, len, " held by tid %u \"%s\"", w->owner_tid, w->owner_name);
	else
		rs_appendf(buf, len, " (no owner recorded)");
}

static void fds_text(const struct rs_fd_desc *fds, size_t n, uint32_t pid, char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		rs_appendf(buf, len, "%sfd %d ", i ? "; " : "", fds[i].fd);
		rs_fd_text(&fds[i], pid, true, buf, len);
	}
}

void rs_wait_text(const struct rs_wait *w, uint32_t pid, char *buf, size_t len)
{
	switch (w->kind) {
	case RS_WAIT_FD:
		rs_appendf(buf, len, "%s(fd %d): ", w->call, w->fd.fd);
		rs_fd_text(&w->fd, pid, !writes_call(w->call), buf, len);
		return;
	case RS_WAIT_EPOLL:
		rs_appendf(buf, len, "%s(fd %d): ", w->call, w->fd.fd);
		if (w->fd.type != RS_FD_EPOLL) {
			rs_fd_text(&w->fd, pid, true, buf, len);
			return;
		}
		rs_appendf(buf, len, "%zu fd%s", w->fd.total_tfds,
			   w->fd.total_tfds == 1 ? "" : "s");
		if (w->fd.n_tfds)
			rs_appendf(buf, len, ": ");
		fds_text(w->fd.tfds, w->fd.n_tfds, pid, buf, len);
		if (w->fd.n_tfds && w->fd.n_tfds < w->fd.total_tfds)
			rs_appendf(buf, len, "; %zu more", w->fd.total_tfds - w->fd.n_tfds);
		return;
	case RS_WAIT_POLL:
		rs_appendf(buf, len, "%s: %" PRIu64 " fd%s", w->call, w->nfds,
			   w->nfds == 1 ? "" : "s");
		if (!w->fds_known) {
			rs_appendf(buf, len, " (the set was not read)");
			return;
		}
		if (w->n_fds)
			rs_appendf(buf, len, "%s",
				   strstr(w->call, "select") ? ", read set: " : ": ");
		fds_text(w->fds, w->n_fds, pid, buf, len);
		return;
	case RS_WAIT_SLEEP:
		sleep_text(w, buf, len);
		return;
	case RS_WAIT_CHILD:
		child_text(w, buf, len);
		return;
	case RS_WAIT_JOIN:
		rs_appendf(buf, len, "pthread_join: ");
		thread_text(w, buf, len);
		return;
	case RS_WAIT_RWLOCK:
		rs_appendf(buf, len, "%s(0x%" PRIx64 "%s%s): ", w->call, w->addr,
			   w->symbol ? " " : "", w->symbol ? w->symbol : "");
		if (!w->ns_tid)
			rs_appendf(buf, len,
				   "no writer recorded (readers hold it; glibc keeps no reader)");
		else {
			rs_appendf(buf, len, "held for writing by ");
			thread_text(w, buf, len);
		}
		return;
	case RS_WAIT_KERNEL:
		kernel_text(w, buf, len);
		return;
	case RS_WAIT_FUTEX:
		futex_text(w, buf, len);
		return;
	}
}
