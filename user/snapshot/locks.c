// SPDX-License-Identifier: GPL-2.0
/*
 * Lock words and what they say: the contended locks threads wait on (from
 * the futex words captured with each thread, and the frames that waited),
 * what each lock's address is, owners where the lock records one, and
 * deadlock cycles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

/* How far from the innermost user frame a lock's slow path is looked for. */
#define LOCK_FRAMES 8

const char *rs_lock_kind_id(enum rs_lock_kind k)
{
	static const char *const ids[] = { [RS_LOCK_GLIBC_MUTEX] = "glibc_mutex",
					   [RS_LOCK_RUST_MUTEX] = "rust_std_mutex",
					   [RS_LOCK_PARKING_LOT] = "parking_lot" };

	return k > RS_LOCK_NONE && k <= RS_LOCK_PARKING_LOT ? ids[k] : NULL;
}

const char *rs_lock_kind_text(enum rs_lock_kind k)
{
	static const char *const texts[] = { [RS_LOCK_GLIBC_MUTEX] = "mutex",
					     [RS_LOCK_RUST_MUTEX] = "std Mutex",
					     [RS_LOCK_PARKING_LOT] = "parking_lot lock" };

	return k > RS_LOCK_NONE && k <= RS_LOCK_PARKING_LOT ? texts[k] : NULL;
}

/* Whether one of t's innermost user frames is named with one of the words of names[]. */
static bool frame_has(const struct rs_thread *t, const char *const *names, size_t n)
{
	for (size_t i = 0; i < t->n_uframes && i < LOCK_FRAMES; i++) {
		const char *fn = t->uframes[i].function;

		for (size_t j = 0; fn && j < n; j++)
			if (strstr(fn, names[j]))
				return true;
	}
	return false;
}

/* The futex command of t's futex call, or -1 when t is not in one. */
static int futex_cmd(const struct rs_thread *t)
{
	if (!t->in_syscall || t->syscall_nr != RS_NR_FUTEX)
		return -1;
	return (int)((uint32_t)t->syscall_args[1] & FUTEX_CMD_MASK);
}

/*
 * The kind of contended lock t waits on, and for a glibc mutex the ns tid
 * its word names as owner (*owner, 0 when none).
 */
static enum rs_lock_kind lock_kind(const struct rs_thread *t, uint32_t *owner)
{
	/* std's futex Mutex (sys/sync/mutex/futex.rs; older std: sys/unix/locks/futex_mutex.rs) */
	static const char *const rust_mutex[] = { "::futex::Mutex::lock_contended",
						  "futex_mutex::Mutex::lock_contended" };
	static const char *const parking_lot[] = { "parking_lot::raw_mutex::RawMutex::lock_slow",
						   "parking_lot::raw_fair_mutex::",
						   "parking_lot::raw_rwlock::RawRwLock::lock_" };
	int cmd = futex_cmd(t);
	uint32_t lock = t->futex_peek[MUTEX_LOCK];
	bool wait = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;

	*owner = 0;
	if (cmd < 0)
		return RS_LOCK_NONE;
	/* parked on the thread's own futex: parking_lot set the parked bit before it slept */
	if (wait && frame_has(t, parking_lot, sizeof(parking_lot) / sizeof(parking_lot[0])))
		return RS_LOCK_PARKING_LOT;
	if (!t->futex_peek_valid)
		return RS_LOCK_NONE;
	if (cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2) {
		*owner = lock & FUTEX_TID_MASK; /* PI mutexes keep the owner in the lock word */
		return RS_LOCK_GLIBC_MUTEX;
	}
	/* Every lock below sleeps with value 2 ("locked, with waiters") on its word. */
	if (!wait || t->syscall_args[2] != 2 || lock != 2)
		return RS_LOCK_NONE;
	/*
	 * Rust's std Mutex: its word, then the poison flag and the data. Its
	 * frames tell it from a condvar whose counter happens to be 2.
	 */
	if (frame_has(t, rust_mutex, sizeof(rust_mutex) / sizeof(rust_mutex[0])))
		return RS_LOCK_RUST_MUTEX;
	/*
	 * lll_lock_wait. Other futex users can look alike, so the rest must look
	 * like a held glibc mutex: an owner, a user count and a known kind.
	 */
	if (!t->futex_peek[MUTEX_NUSERS] || (t->futex_peek[MUTEX_KIND] & ~MUTEX_KIND_BITS))
		return RS_LOCK_NONE;
	*owner = t->futex_peek[MUTEX_OWNER];
	return RS_LOCK_GLIBC_MUTEX;
}

/* The captured threads' stack pointers, for naming addresses on a stack. */
static struct rs_thread_sp *thread_sps(const struct rs_process *p)
{
	struct rs_thread_sp *v = calloc(p->n_threads + 1, sizeof(*v));

	for (size_t i = 0; v && i < p->n_threads; i++) {
		v[i].tid = p->threads[i].tid;
		v[i].sp = p->threads[i].user_sp;
	}
	return v;
}

/*
 * Names t's lock address: as an earlier waiter on the same address was
 * named (many threads wait on one lock; a symbol table is searched once per
 * lock), else through rs_name_data_addr() with the threads' stack pointers
 * (*sps, made on first use). 0 or -ENOMEM.
 */
static int name_lock(struct rs_process *p, struct rs_proc *proc, struct rs_thread *t,
		     struct rs_thread_sp **sps)
{
	for (struct rs_thread *u = p->threads; u < t; u++)
		if (u->lock_kind && u->mutex_addr == t->mutex_addr)
			return rs_data_name_copy(&t->lock_name, &u->lock_name);
	if (!*sps && !(*sps = thread_sps(p)))
		return -ENOMEM;
	return rs_name_data_addr(proc, t->mutex_addr, *sps, p->n_threads, &t->lock_name);
}

/*
 * Names the futex word of every thread in a futex wait (futex_name): a
 * lock waiter's is its lock_name; others (condvars, joins, rwlocks, raw
 * futexes) as an earlier waiter on the same word was named, else through
 * rs_name_data_addr(). 0 or -ENOMEM.
 */
static int name_futexes(struct rs_process *p, struct rs_proc *proc, struct rs_thread_sp **sps)
{
	for (size_t i = 0; i < p->n_threads; i++) {
		struct rs_thread *t = &p->threads[i], *u;
		const char *name = t->in_syscall ? rs_syscall_name(t->syscall_nr) : NULL;
		uint64_t addr = t->syscall_args[0];
		int err;

		if (!name || strcmp(name, "futex") || t->on_cpu)
			continue;
		for (u = p->threads; u < t; u++)
			if (u->futex_named && u->syscall_args[0] == addr)
				break;
		if (u < t)
			err = rs_data_name_copy(&t->futex_name, &u->futex_name);
		else if (t->lock_kind && t->lock_kind != RS_LOCK_PARKING_LOT)
			err = rs_data_name_copy(&t->futex_name, &t->lock_name);
		else if (!*sps && !(*sps = thread_sps(p)))
			err = -ENOMEM;
		else
			err = rs_name_data_addr(proc, addr, *sps, p->n_threads, &t->futex_name);
		if (err)
			return err;
		t->futex_named = true;
	}
	return 0;
}

int rs_locks_analyze(struct rs_process *p, struct rs_proc *proc)
{
	struct rs_thread_sp *sps = NULL;
	int err = 0;

	for (size_t i = 0; i < p->n_threads; i++) {
		struct rs_thread *t = &p->threads[i], *o;
		uint32_t owner;

		t->lock_kind = lock_kind(t, &owner);
		if (!t->lock_kind)
			continue;
		if (t->lock_kind != RS_LOCK_PARKING_LOT) {
			t->mutex_addr = t->syscall_args[0];
			err = name_lock(p, proc, t, &sps);
			if (err)
				break;
		}
		/* Only an owner among this process's threads is believed. */
		if (!owner || (int32_t)owner < 0 || !(o = by_ns_tid(p, owner)) || o == t)
			continue;
		t->waits_mutex = true;
		t->mutex_owner_ns_tid = owner;
		t->mutex_owner_tid = o->tid;
	}
	if (!err)
		err = name_futexes(p, proc, &sps);
	free(sps);
	if (err)
		return err;
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
	return 0;
}
