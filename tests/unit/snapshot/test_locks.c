// SPDX-License-Identifier: GPL-2.0
/* Contended lock words, mutex owners and deadlock cycles from captured futex words (locks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "snapshot/snapshot.h"
#include "stack/stack.h"

#define NR_FUTEX	202
#define WAIT_PRIVATE	0x80
#define LOCK_PI_PRIVATE 0x86

struct fixture {
	struct rs_process p;
	struct rs_thread t[6];
};

static struct rs_thread *thread(struct fixture *f, size_t i, uint32_t tid, uint32_t ns_tid)
{
	struct rs_thread *t = &f->t[i];

	t->tid = tid;
	t->ns_tid = ns_tid;
	t->state = 'S';
	f->p.threads = f->t;
	if (f->p.n_threads <= i)
		f->p.n_threads = i + 1;
	return t;
}

/* A thread in lll_lock_wait on a glibc mutex at addr whose owner field says owner_ns. */
static void waits(struct rs_thread *t, uint64_t addr, uint32_t owner_ns)
{
	t->in_syscall = true;
	t->syscall_nr = NR_FUTEX;
	t->syscall_args[0] = addr;
	t->syscall_args[1] = WAIT_PRIVATE;
	t->syscall_args[2] = 2;
	t->futex_peek_valid = true;
	t->futex_peek[0] = 2;	     /* locked, with waiters */
	t->futex_peek[2] = owner_ns; /* __owner */
	t->futex_peek[3] = 1;	     /* __nusers */
}

static void test_locks_two_thread_cycle_is_a_deadlock(void **state)
{
	struct fixture f = { 0 };

	(void)state;
	waits(thread(&f, 0, 100, 4), 0x1000, 5);
	waits(thread(&f, 1, 101, 5), 0x2000, 4);
	thread(&f, 2, 102, 6);
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_int_equal(f.p.n_deadlocks, 1);
	assert_true(f.t[0].waits_mutex);
	assert_int_equal(f.t[0].mutex_addr, 0x1000);
	assert_int_equal(f.t[0].mutex_owner_tid, 101); /* ns tid 5 is host tid 101 */
	assert_int_equal(f.t[1].mutex_owner_tid, 100);
	assert_int_equal(f.t[0].deadlock, 1);
	assert_int_equal(f.t[1].deadlock, 1);
	assert_false(f.t[2].waits_mutex);
	assert_int_equal(f.t[2].deadlock, 0);
}

static void test_locks_chain_without_cycle_names_owner_only(void **state)
{
	struct fixture f = { 0 };

	(void)state;
	waits(thread(&f, 0, 100, 4), 0x1000, 5); /* waits for 5, which waits for 6 */
	waits(thread(&f, 1, 101, 5), 0x2000, 6);
	thread(&f, 2, 102, 6); /* 6 runs */
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_int_equal(f.p.n_deadlocks, 0);
	assert_int_equal(f.t[0].mutex_owner_tid, 101);
	assert_int_equal(f.t[1].mutex_owner_tid, 102);
	assert_int_equal(f.t[0].deadlock + f.t[1].deadlock, 0);
}

static void test_locks_three_thread_cycle_and_a_bystander(void **state)
{
	struct fixture f = { 0 };

	(void)state;
	waits(thread(&f, 0, 10, 1), 0x10, 2);
	waits(thread(&f, 1, 11, 2), 0x20, 3);
	waits(thread(&f, 2, 12, 3), 0x30, 1);
	waits(thread(&f, 3, 13, 4), 0x10, 2); /* waits on the cycle, is not in it */
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_int_equal(f.p.n_deadlocks, 1);
	assert_int_equal(f.t[0].deadlock, 1);
	assert_int_equal(f.t[1].deadlock, 1);
	assert_int_equal(f.t[2].deadlock, 1);
	assert_int_equal(f.t[3].deadlock, 0);
	assert_int_equal(f.t[3].mutex_owner_tid, 11);
}

static void test_locks_ignores_futexes_without_owner(void **state)
{
	struct fixture f = { 0 };
	struct rs_thread *t;

	(void)state;
	/* A condvar or Rust std Mutex: value 0/1 on the word, no owner to read. */
	t = thread(&f, 0, 100, 4);
	waits(t, 0x1000, 5);
	t->syscall_args[2] = 1;
	t->futex_peek[0] = 1;
	/* The lock was released between the syscall and the read: word no longer 2. */
	t = thread(&f, 1, 101, 5);
	waits(t, 0x2000, 4);
	t->futex_peek[0] = 0;
	/* Rust's std Mutex<u64>: word 2, then poison flag and the data (1000 = no tid here). */
	t = thread(&f, 3, 103, 7);
	waits(t, 0x4000, 1000);
	t->futex_peek[3] = 0;
	/* Data that happens to hold a captured tid still fails the user count. */
	t = thread(&f, 4, 104, 8);
	waits(t, 0x5000, 4);
	t->futex_peek[3] = 0;
	/* An unknown kind is not a glibc mutex. */
	t = thread(&f, 5, 105, 9);
	waits(t, 0x6000, 4);
	t->futex_peek[4] = 0x10000;
	/* No captured words at all. */
	t = thread(&f, 2, 102, 6);
	waits(t, 0x3000, 4);
	t->futex_peek_valid = false;
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	for (size_t i = 0; i < 6; i++)
		assert_false(f.t[i].waits_mutex);
	assert_int_equal(f.p.n_deadlocks, 0);
}

static void test_locks_pi_mutex_owner_from_lock_word(void **state)
{
	struct fixture f = { 0 };
	struct rs_thread *t, *u;

	(void)state;
	t = thread(&f, 0, 100, 4);
	waits(t, 0x1000, 0);
	t->syscall_args[1] = LOCK_PI_PRIVATE;
	t->futex_peek[0] = 0x80000000u | 7; /* FUTEX_WAITERS | owner tid 7 */
	thread(&f, 1, 107, 7);
	u = thread(&f, 2, 108, 8);
	waits(u, 0x2000, 0);
	u->syscall_args[1] = LOCK_PI_PRIVATE;
	u->futex_peek[0] = 0x80000000u | 99; /* owner not among the captured threads */
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_true(t->waits_mutex);
	assert_int_equal(t->mutex_owner_ns_tid, 7);
	assert_int_equal(t->mutex_owner_tid, 107);
	assert_false(u->waits_mutex); /* only a captured owner is believed */
}

/* Frames innermost first, named fns[0..n); the thread owns them (freed by rs_thread_clear()). */
static void frames(struct rs_thread *t, const char *const *fns, size_t n)
{
	t->uframes = calloc(n, sizeof(*t->uframes));
	assert_non_null(t->uframes);
	for (size_t i = 0; i < n; i++) {
		t->uframes[i].function = strdup(fns[i]);
		assert_non_null(t->uframes[i].function);
	}
	t->n_uframes = n;
}

static void clear_threads(struct fixture *f)
{
	for (size_t i = 0; i < f->p.n_threads; i++)
		rs_thread_clear(&f->t[i]);
}

static const char *const rust_lock[] = { "syscall", "std::sys::pal::unix::futex::futex_wait",
					 "std::sys::sync::mutex::futex::Mutex::lock_contended",
					 "asyncd::handlers::audit::{async_fn#0}" };

static void test_locks_rust_mutex_state_2_has_no_owner(void **state)
{
	static const char *const condvar[] = { "syscall", "std::sys::pal::unix::futex::futex_wait",
					       "std::sys::sync::condvar::futex::Condvar::wait" };
	struct fixture f = { 0 };
	struct rs_thread *t, *u, *v;

	(void)state;
	/* std's Mutex<u64> word 2, its data holding what looks like a glibc owner and count */
	t = thread(&f, 0, 100, 4);
	waits(t, 0x1000, 5);
	frames(t, rust_lock, 4);
	thread(&f, 1, 101, 5);
	/* a Condvar whose counter happens to be 2: a futex wait on value 2, not a lock */
	u = thread(&f, 2, 102, 6);
	waits(u, 0x2000, 0);
	u->futex_peek[3] = 0;
	frames(u, condvar, 3);
	/* the same lock frames, the word already 0 (released since): not contended */
	v = thread(&f, 3, 103, 7);
	waits(v, 0x1000, 0);
	v->futex_peek[0] = 0;
	frames(v, rust_lock, 4);
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_int_equal(t->lock_kind, RS_LOCK_RUST_MUTEX);
	assert_int_equal(t->mutex_addr, 0x1000);
	assert_false(t->waits_mutex); /* never an owner: std's Mutex records none */
	assert_int_equal(t->mutex_owner_tid, 0);
	assert_int_equal(t->lock_name.region, RS_DATA_UNKNOWN); /* no process to name it in */
	assert_int_equal(u->lock_kind, RS_LOCK_NONE);
	assert_int_equal(v->lock_kind, RS_LOCK_NONE);
	assert_int_equal(f.p.n_deadlocks, 0);
	assert_string_equal(rs_lock_kind_id(t->lock_kind), "rust_std_mutex");
	assert_string_equal(rs_lock_kind_text(t->lock_kind), "std Mutex");
	assert_null(rs_lock_kind_id(RS_LOCK_NONE));
	clear_threads(&f);
}

static void test_locks_parking_lot_parked_without_address(void **state)
{
	static const char *const parked[] = {
		"syscall", "parking_lot_core::thread_parker::imp::ThreadParker::futex_wait",
		"parking_lot_core::parking_lot::park",
		"parking_lot::raw_mutex::RawMutex::lock_slow", "service::handler"
	};
	struct fixture f = { 0 };
	struct rs_thread *t;

	(void)state;
	/* parked on its own ThreadParker word (1), not the lock's: the words say nothing */
	t = thread(&f, 0, 100, 4);
	waits(t, 0x7f0000001000, 0);
	t->syscall_args[2] = 1;
	t->futex_peek[0] = 1;
	t->futex_peek_valid = false;
	frames(t, parked, 5);
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_int_equal(t->lock_kind, RS_LOCK_PARKING_LOT);
	assert_int_equal(t->mutex_addr, 0); /* the lock's address is not in the wait */
	assert_false(t->waits_mutex);
	clear_threads(&f);
}

static void test_locks_glibc_mutex_kind_and_unknown_owner(void **state)
{
	struct fixture f = { 0 };

	(void)state;
	waits(thread(&f, 0, 100, 4), 0x1000, 5);  /* owner 5 captured */
	waits(thread(&f, 1, 101, 5), 0x2000, 77); /* owner 77 is not a captured thread */
	assert_int_equal(rs_locks_analyze(&f.p, NULL), 0);
	assert_int_equal(f.t[0].lock_kind, RS_LOCK_GLIBC_MUTEX);
	assert_true(f.t[0].waits_mutex);
	assert_int_equal(f.t[1].lock_kind, RS_LOCK_GLIBC_MUTEX);
	assert_int_equal(f.t[1].mutex_addr, 0x2000);
	assert_false(f.t[1].waits_mutex);
	assert_int_equal(f.t[1].mutex_owner_tid, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locks_two_thread_cycle_is_a_deadlock),
		cmocka_unit_test(test_locks_chain_without_cycle_names_owner_only),
		cmocka_unit_test(test_locks_three_thread_cycle_and_a_bystander),
		cmocka_unit_test(test_locks_ignores_futexes_without_owner),
		cmocka_unit_test(test_locks_pi_mutex_owner_from_lock_word),
		cmocka_unit_test(test_locks_rust_mutex_state_2_has_no_owner),
		cmocka_unit_test(test_locks_parking_lot_parked_without_address),
		cmocka_unit_test(test_locks_glibc_mutex_kind_and_unknown_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
