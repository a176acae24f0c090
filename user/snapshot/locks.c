// SPDX-License-Identifier: GPL-2.0
/* Lock owners and deadlock cycles from the futex words captured with each thread. */
#include <stddef.h>
#include "snapshot/snapshot.h"
#include "rsample.h"

#define FUTEX_WAIT	  0
#define FUTEX_LOCK_PI	  6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_LOCK_PI2	  13
#define FUTEX_CMD_MASK	  0x7f
#define FUTEX_TID_MASK	  0x3fffffffu

/* glibc's pthread_mutex_t: int __lock, unsigned __count, int __owner, unsigned __nusers, int __kind
 */
enum { MUTEX_LOCK = 0, MUTEX_OWNER = 2, MUTEX_NUSERS = 3, MUTEX_KIND = 4 };
/* __kind: type in the low 2 bits, then robust, PI, PP, pshared and elision flags */
#define MUTEX_KIND_BITS 0x3f3u

static struct rs_thread *by_ns_tid(struct rs_process *p, uint32_t ns_tid)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (p->threads[i].ns_tid == ns_tid)
			return &p->threads[i];
	return NULL;
}

/* The ns tid owning the mutex t waits for, or 0 when t is not waiting for one. */
static uint32_t mutex_owner(const struct rs_thread *t)
{
	uint32_t cmd, lock;

	if (!t->in_syscall || t->syscall_nr != RS_NR_FUTEX || !t->futex_peek_valid)
		return 0;
	cmd = (uint32_t)t->syscall_args[1] & FUTEX_CMD_MASK;
	lock = t->futex_peek[MUTEX_LOCK];
	if (cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2)
		return lock & FUTEX_TID_MASK; /* PI mutexes keep the owner in the lock word */
	/*
	 * lll_lock_wait sleeps with value 2 ("locked, with waiters") on the lock
	 * word. Other futex users (condvars, Rust's std Mutex, whose data follows
	 * its word) can look alike, so the rest must look like a held glibc mutex:
	 * an owner, a user count and a known kind.
	 */
	if ((cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET) || t->syscall_args[2] != 2 || lock != 2)
		return 0;
	if (!t->futex_peek[MUTEX_NUSERS] || (t->futex_peek[MUTEX_KIND] & ~MUTEX_KIND_BITS))
		return 0;
	return t->futex_peek[MUTEX_OWNER];
}

void rs_locks_analyze(struct rs_process *p)
{
	for (size_t i = 0; i < p->n_threads; i++) {
		struct rs_thread *t = &p->threads[i], *o;
		uint32_t owner = mutex_owner(t);

		/* Only an owner among this process's threads is believed. */
		if (!owner || (int32_t)owner < 0 || !(o = by_ns_tid(p, owner)) || o == t)
			continue;
		t->waits_mutex = true;
		t->mutex_addr = t->syscall_args[0];
		t->mutex_owner_ns_tid = owner;
		t->mutex_owner_tid = o->tid;
	}
	/* A wait-for chain that comes back to where it started is a deadlock. */
	for (size_t i = 0; i < p->n_threads; i++) {
		struct rs_thread *start = &p->threads[i], *t = start;
		size_t steps = 0;

		if (!start->waits_mutex || start->deadlock)
			continue;
		do {
			t = t->waits_mutex ? by_ns_tid(p, t->mutex_owner_ns_tid) : NULL;
		} while (t && t != start && !t->deadlock && ++steps <= p->n_threads);
		if (t != start)
			continue;
		p->n_deadlocks++;
		do {
			t->deadlock = p->n_deadlocks;
			t = by_ns_tid(p, t->mutex_owner_ns_tid);
		} while (t != start);
	}
}
