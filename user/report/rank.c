// SPDX-License-Identifier: GPL-2.0
/*
 * Suspicion ranking (README "Suspicion ranking"): why a thread is most
 * likely the hang, or only idle. Built on what the snapshot knows: lock
 * words (snapshot/locks.c), states, blocked-for, the syscall and the user
 * frames. Idle waits are recognised from library frames and syscalls, never
 * from the program's own function names.
 */
#include <stdbool.h>
#include <string.h>
#include "report/report.h"
#include "rsample.h"

/* How many user frames from the innermost a wait's library frames are looked for in. */
#define WAIT_FRAMES 12
/* A worker loop's wait for work: at most this many of the program's own frames below it. */
#define WORKER_LOOP_FRAMES 4

#define FUTEX_CMD_MASK	       0x7f
#define FUTEX_LOCK_PI	       6
#define FUTEX_LOCK_PI2	       13
#define IORING_ENTER_GETEVENTS 1u

static const struct {
	unsigned int rank;
	const char *id, *text;
} reasons[RS_RANK_N_REASONS] = {
	[RS_RANK_DEADLOCK] = { 1, "deadlock", "deadlock" },
	[RS_RANK_LOCK_CONTENDED] = { 2, "lock_contended", "lock contended" },
	[RS_RANK_HOLDS_LOCK] = { 3, "holds_lock", "holds a lock others wait for" },
	[RS_RANK_MAY_HOLD] = { 3, "may_hold_lock", "may hold a contended lock" },
	[RS_RANK_UNINTERRUPTIBLE] = { 4, "uninterruptible", "D state" },
	[RS_RANK_LONG_BLOCK] = { 5, "long_block", "long block" },
	[RS_RANK_OTHER] = { 6, "other", "other" },
	[RS_RANK_IDLE_REACTOR] = { 7, "idle_reactor", "idle: reactor, nothing ready" },
	[RS_RANK_IDLE_POOL] = { 7, "idle_pool", "idle: worker waiting for work" },
	[RS_RANK_IDLE_PARK] = { 7, "idle_park", "idle: parked" },
};

unsigned int rs_rank_of(enum rs_rank_reason r)
{
	return r < RS_RANK_N_REASONS ? reasons[r].rank : reasons[RS_RANK_OTHER].rank;
}

const char *rs_rank_id(enum rs_rank_reason r)
{
	return r < RS_RANK_N_REASONS ? reasons[r].id : reasons[RS_RANK_OTHER].id;
}

const char *rs_rank_text(enum rs_rank_reason r)
{
	return r < RS_RANK_N_REASONS ? reasons[r].text : reasons[RS_RANK_OTHER].text;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * A frame of async code: an async fn or block's body (DWARF names it
 * "f::{async_fn#0}"), or a Future's poll as the symbol table names it.
 */
static bool is_async_frame(const char *fn)
{
	return strstr(fn, "{async_fn#") || strstr(fn, "{async_block#") ||
	       strstr(fn, "{async_closure#") || strstr(fn, "Future>::poll");
}

/* The last path component of a function name, its generic arguments left out: its length. */
static size_t last_component(const char *fn, const char **out)
{
	const char *end = strchr(fn, '<'), *p, *start = fn;

	if (!end)
		end = fn + strlen(fn);
	for (p = fn; p + 1 < end; p++)
		if (p[0] == ':' && p[1] == ':')
			start = p + 2;
	*out = start;
	return (size_t)(end - start);
}

/* std::thread::park, a runtime's Parker::park / park_timeout (not parking_lot's lock queue). */
static bool is_park_frame(const char *fn)
{
	const char *last;
	size_t n = last_component(fn, &last);

	if (strstr(fn, "parking_lot_core::"))
		return false;
	return (n == 4 && !strncmp(last, "park", 4)) ||
	       (n == 12 && !strncmp(last, "park_timeout", 12)) ||
	       (n == 13 && !strncmp(last, "park_deadline", 13));
}

/*
 * A condition variable's wait: Rust std's and parking_lot's Condvar, glibc's
 * pthread_cond_*wait; or parking_lot's park queue outside a lock (a lock's
 * slow path is a lock wait, found first), where its Condvar was inlined.
 */
static bool is_condvar_frame(const char *fn)
{
	return strstr(fn, "Condvar::wait") || (strstr(fn, "pthread_cond_") && strstr(fn, "wait")) ||
	       starts_with(fn, "parking_lot_core::parking_lot::park");
}

/* Frames of the language's runtime and thread start, not the program's own. */
static bool is_runtime_frame(const char *fn)
{
	static const char *const prefixes[] = {
		"std::", "core::",	 "alloc::", "start_thread",
		"clone", "__libc_start", "_start",  "__GI___clone"
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (starts_with(fn, prefixes[i]))
			return true;
	return false;
}

static bool in_syscall_named(const struct rs_thread *t, const char *name)
{
	const char *n = t->in_syscall ? rs_syscall_name(t->syscall_nr) : NULL;

	return n && !strcmp(n, name);
}

static bool reactor_wait(const struct rs_thread *t)
{
	if (in_syscall_named(t, "epoll_wait") || in_syscall_named(t, "epoll_pwait") ||
	    in_syscall_named(t, "epoll_pwait2"))
		return true;
	/* io_uring_enter(fd, to_submit, min_complete, flags, …) waiting for completions */
	return in_syscall_named(t, "io_uring_enter") && t->syscall_args[2] &&
	       (t->syscall_args[3] & IORING_ENTER_GETEVENTS);
}

enum rs_rank_reason rs_rank_idle(const struct rs_thread *t)
{
	size_t cv = SIZE_MAX, own = 0;

	if (t->state != 'S' || t->on_cpu || !t->in_syscall)
		return RS_RANK_OTHER;
	for (size_t i = 0; i < t->n_uframes; i++)
		if (t->uframes[i].function && is_async_frame(t->uframes[i].function))
			return RS_RANK_OTHER; /* blocking inside async code is never idle */
	if (reactor_wait(t))
		return RS_RANK_IDLE_REACTOR;
	if (!in_syscall_named(t, "futex"))
		return RS_RANK_OTHER;
	for (size_t i = 0; i < t->n_uframes && i < WAIT_FRAMES; i++) {
		const char *fn = t->uframes[i].function;

		if (!fn)
			continue;
		if (is_park_frame(fn))
			return RS_RANK_IDLE_PARK;
		if (is_condvar_frame(fn))
			cv = i;
	}
	if (cv == SIZE_MAX)
		return RS_RANK_OTHER;
	/* the program's own frames between the wait and the thread's start: a worker loop's few */
	for (size_t i = cv + 1; i < t->n_uframes; i++) {
		const char *fn = t->uframes[i].function;

		if (!fn || !is_runtime_frame(fn))
			own++;
	}
	return own <= WORKER_LOOP_FRAMES ? RS_RANK_IDLE_POOL : RS_RANK_OTHER;
}

/* Whether another thread of p waits on a mutex t is recorded to hold. */
static bool holds_waited_lock(const struct rs_process *p, const struct rs_thread *t)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (&p->threads[i] != t && p->threads[i].waits_mutex &&
		    p->threads[i].mutex_owner_tid == t->tid)
			return true;
	return false;
}

/* Whether another thread of p waits on a contended lock that names no owner. */
static bool unowned_waiters(const struct rs_process *p, const struct rs_thread *t)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (&p->threads[i] != t && p->threads[i].lock_kind && !p->threads[i].waits_mutex)
			return true;
	return false;
}

/* A futex wait that is no lock's: a condvar, a channel, a pool's get, a park. */
static bool futex_wait(const struct rs_thread *t)
{
	uint32_t cmd = (uint32_t)t->syscall_args[1] & FUTEX_CMD_MASK;

	return t->state == 'S' && !t->on_cpu && in_syscall_named(t, "futex") &&
	       cmd != FUTEX_LOCK_PI && cmd != FUTEX_LOCK_PI2;
}

enum rs_rank_reason rs_rank_thread(const struct rs_process *p, const struct rs_thread *t,
				   uint64_t threshold_ns)
{
	enum rs_rank_reason idle;

	if (t->deadlock)
		return RS_RANK_DEADLOCK;
	if (t->lock_kind)
		return RS_RANK_LOCK_CONTENDED;
	if (holds_waited_lock(p, t))
		return RS_RANK_HOLDS_LOCK;
	if (t->state == 'D')
		return RS_RANK_UNINTERRUPTIBLE;
	idle = rs_rank_idle(t);
	if (idle != RS_RANK_OTHER)
		return idle;
	if (futex_wait(t) && unowned_waiters(p, t))
		return RS_RANK_MAY_HOLD;
	if (t->state != 'R' && !t->on_cpu && t->blocked_known && t->blocked_ns >= threshold_ns)
		return RS_RANK_LONG_BLOCK;
	return RS_RANK_OTHER;
}
