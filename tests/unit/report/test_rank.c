// SPDX-License-Identifier: GPL-2.0
/*
 * Suspicion ranking (rank.c): idle waits recognised from syscalls and
 * library frames, the rank of each reason, and the group order it gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "report/report.h"

#define NR_FUTEX	  202
#define NR_EPOLL_WAIT	  232
#define NR_IO_URING_ENTER 426
#define S(x)		  ((uint64_t)(x)*1000000000ull)

/* The thread start of a Rust std thread and of a C pthread: no frames of the program's own. */
#define RUST_START                                                                                 \
	"std::sys::backtrace::__rust_begin_short_backtrace<f, ()>",                                \
	    "core::ops::function::FnOnce::call_once<f, ()>",                                       \
	    "std::sys::thread::unix::{impl#2}::new::thread_start", "start_thread", "clone3"

static const char *const cv_wait[] = { "syscall", "std::sys::pal::unix::futex::futex_wait",
				       "std::sys::sync::condvar::futex::Condvar::wait" };

struct fx {
	struct rs_snapshot s;
	struct rs_process p;
	struct rs_thread t[8];
};

/* Thread i of the fixture: tid, blocked for blocked_ns in syscall nr, frames fns (innermost first).
 */
static struct rs_thread *add(struct fx *f, size_t i, uint32_t tid, int nr, uint64_t blocked_ns,
			     const char *const *fns, size_t n)
{
	struct rs_thread *t = &f->t[i];

	t->tid = t->ns_tid = tid;
	t->state = 'S';
	t->blocked_known = true;
	t->blocked_ns = blocked_ns;
	t->in_syscall = nr >= 0;
	t->syscall_nr = nr;
	t->uframes = calloc(n + 1, sizeof(*t->uframes));
	assert_non_null(t->uframes);
	for (size_t j = 0; j < n; j++) {
		t->uframes[j].function = strdup(fns[j]);
		t->uframes[j].addr = 0x1000 + j;
		assert_non_null(t->uframes[j].function);
	}
	t->n_uframes = n;
	f->p.pid = 42;
	f->p.threads = f->t;
	if (f->p.n_threads <= i)
		f->p.n_threads = i + 1;
	f->s.procs = &f->p;
	f->s.n_procs = 1;
	return t;
}

static void clear(struct fx *f)
{
	for (size_t i = 0; i < f->p.n_threads; i++)
		rs_thread_clear(&f->t[i]);
}

static void test_rank_reasons_in_order(void **state)
{
	(void)state;
	assert_int_equal(rs_rank_of(RS_RANK_DEADLOCK), 1);
	assert_int_equal(rs_rank_of(RS_RANK_LOCK_CONTENDED), 2);
	assert_int_equal(rs_rank_of(RS_RANK_HOLDS_LOCK), 3);
	assert_int_equal(rs_rank_of(RS_RANK_MAY_HOLD), 3);
	assert_int_equal(rs_rank_of(RS_RANK_UNINTERRUPTIBLE), 4);
	assert_int_equal(rs_rank_of(RS_RANK_LONG_BLOCK), 5);
	assert_int_equal(rs_rank_of(RS_RANK_OTHER), 6);
	assert_int_equal(rs_rank_of(RS_RANK_IDLE_REACTOR), 7);
	assert_int_equal(rs_rank_of(RS_RANK_IDLE_POOL), 7);
	assert_int_equal(rs_rank_of(RS_RANK_IDLE_PARK), 7);
	for (int r = 0; r < RS_RANK_N_REASONS; r++) {
		assert_non_null(rs_rank_id((enum rs_rank_reason)r));
		assert_non_null(rs_rank_text((enum rs_rank_reason)r));
	}
	assert_string_equal(rs_rank_id(RS_RANK_LOCK_CONTENDED), "lock_contended");
	assert_string_equal(rs_rank_text(RS_RANK_LOCK_CONTENDED), "lock contended");
	assert_string_equal(rs_rank_id(RS_RANK_N_REASONS), "other");
}

static void test_rank_idle_reactor(void **state)
{
	static const char *const reactor[] = { "epoll_wait", "mio::poll::Poll::poll",
					       "tokio::runtime::io::driver::Driver::turn",
					       RUST_START };
	static const char *const in_async[] = { "epoll_wait", "client::wait_reply",
						"client::fetch::{async_fn#0}", RUST_START };
	struct fx f = { 0 };
	struct rs_thread *t;

	(void)state;
	add(&f, 0, 10, NR_EPOLL_WAIT, S(9), reactor, 8);
	/* an epoll_wait below a future's poll blocks a worker inside async code: not idle */
	add(&f, 1, 11, NR_EPOLL_WAIT, S(9), in_async, 8);
	/* io_uring_enter waiting for completions is a reactor; submitting only is not */
	t = add(&f, 2, 12, NR_IO_URING_ENTER, S(9), reactor + 1, 7);
	t->syscall_args[2] = 1;
	t->syscall_args[3] = 1; /* IORING_ENTER_GETEVENTS */
	t = add(&f, 3, 13, NR_IO_URING_ENTER, S(9), reactor + 1, 7);
	t->syscall_args[2] = 1;
	/* a running thread is never idle */
	t = add(&f, 4, 14, NR_EPOLL_WAIT, 0, reactor, 8);
	t->state = 'R';
	t->on_cpu = true;
	assert_int_equal(rs_rank_idle(&f.t[0]), RS_RANK_IDLE_REACTOR);
	assert_int_equal(rs_rank_idle(&f.t[1]), RS_RANK_OTHER);
	assert_int_equal(rs_rank_idle(&f.t[2]), RS_RANK_IDLE_REACTOR);
	assert_int_equal(rs_rank_idle(&f.t[3]), RS_RANK_OTHER);
	assert_int_equal(rs_rank_idle(&f.t[4]), RS_RANK_OTHER);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[1], S(1)), RS_RANK_LONG_BLOCK);
	clear(&f);
}

static void test_rank_idle_worker_loop_and_park(void **state)
{
	static const char *const worker[] = { cv_wait[0],	   cv_wait[1],
					      cv_wait[2],	   "pool::Queue::pop",
					      "pool::worker_loop", "svc::main::{closure#1}",
					      RUST_START };
	static const char *const deep[] = { cv_wait[0],	     cv_wait[1],	 cv_wait[2],
					    "db::Pool::get", "svc::load_user",	 "svc::handle",
					    "svc::serve",    "svc::accept_loop", RUST_START };
	static const char *const c_worker[] = { "__futex_abstimed_wait_common",
						"___pthread_cond_wait",
						"queue_pop",
						"next_job",
						"dispatcher_thread",
						"start_thread",
						"clone3" };
	static const char *const plot[] = { "syscall", "parking_lot_core::parking_lot::park",
					    "scheduled_thread_pool::Worker::run", "start_thread",
					    "clone3" };
	static const char *const park[] = { "syscall",
					    "std::sys::pal::unix::futex::futex_wait",
					    "std::sys::sync::thread_parking::futex::Parker::park",
					    "std::thread::functions::park",
					    "svc::main",
					    "main" };
	struct fx f = { 0 };

	(void)state;
	add(&f, 0, 10, NR_FUTEX, S(9), worker, 11);
	add(&f, 1, 11, NR_FUTEX, S(9), deep, 13); /* five frames of its own below the wait */
	add(&f, 2, 12, NR_FUTEX, S(9), c_worker, 7);
	add(&f, 3, 13, NR_FUTEX, S(9), plot, 5);
	add(&f, 4, 14, NR_FUTEX, S(9), park, 6);
	add(&f, 5, 15, -1, S(9), worker, 11); /* not in a syscall: not waiting */
	assert_int_equal(rs_rank_idle(&f.t[0]), RS_RANK_IDLE_POOL);
	assert_int_equal(rs_rank_idle(&f.t[1]), RS_RANK_OTHER);
	assert_int_equal(rs_rank_idle(&f.t[2]), RS_RANK_IDLE_POOL);
	assert_int_equal(rs_rank_idle(&f.t[3]), RS_RANK_IDLE_POOL);
	assert_int_equal(rs_rank_idle(&f.t[4]), RS_RANK_IDLE_PARK);
	assert_int_equal(rs_rank_idle(&f.t[5]), RS_RANK_OTHER);
	clear(&f);
}

/* An async task that blocks in a pool get, an idle worker, a task waiting on a lock. */
static const char *const holder[] = { cv_wait[0],
				      cv_wait[1],
				      cv_wait[2],
				      "pool::Pool::get",
				      "svc::checkout::{async_fn#0}",
				      "exec::poll_task",
				      "exec::worker_loop",
				      RUST_START };
static const char *const idle[] = { cv_wait[0],	       cv_wait[1],	    cv_wait[2],
				    "exec::next_task", "exec::worker_loop", RUST_START };
static const char *const lock[] = { "syscall", "lock_wait", "svc::audit::{async_fn#0}" };

static void test_rank_thread_rules(void **state)
{
	static const char *const plain[] = { "read", "svc::read_request", "start_thread" };
	struct fx f = { 0 };
	struct rs_thread *t;

	(void)state;
	add(&f, 0, 10, NR_FUTEX, S(3), holder, 12);
	add(&f, 1, 11, NR_FUTEX, S(9), idle, 10);
	t = add(&f, 2, 12, NR_FUTEX, S(3), lock, 3);
	t->lock_kind = RS_LOCK_RUST_MUTEX;
	t->mutex_addr = 0x5000;
	t = add(&f, 3, 13, 0, S(2), plain, 3);
	t->state = 'D';
	add(&f, 4, 14, 0, S(2), plain, 3);
	add(&f, 5, 15, 0, S(0), plain, 3);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[0], S(1)), RS_RANK_MAY_HOLD);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[1], S(1)), RS_RANK_IDLE_POOL);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[2], S(1)), RS_RANK_LOCK_CONTENDED);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[3], S(1)), RS_RANK_UNINTERRUPTIBLE);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[4], S(1)), RS_RANK_LONG_BLOCK);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[5], S(1)), RS_RANK_OTHER);
	/* without an unowned lock waited on, the holder is only a long block */
	f.t[2].lock_kind = RS_LOCK_NONE;
	assert_int_equal(rs_rank_thread(&f.p, &f.t[0], S(1)), RS_RANK_LONG_BLOCK);
	/* a glibc mutex whose recorded owner is thread 14: 14 holds it; no one "may" hold it */
	f.t[2].lock_kind = RS_LOCK_GLIBC_MUTEX;
	f.t[2].waits_mutex = true;
	f.t[2].mutex_owner_tid = 14;
	assert_int_equal(rs_rank_thread(&f.p, &f.t[4], S(1)), RS_RANK_HOLDS_LOCK);
	assert_int_equal(rs_rank_thread(&f.p, &f.t[0], S(1)), RS_RANK_LONG_BLOCK);
	f.t[2].deadlock = 1;
	assert_int_equal(rs_rank_thread(&f.p, &f.t[2], S(1)), RS_RANK_DEADLOCK);
	clear(&f);
}

static void test_rank_group_order(void **state)
{
	static const char *const reactor[] = { "epoll_wait", "svc::reactor_loop", RUST_START };
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct fx f = { 0 };
	struct rs_group *g = NULL;
	size_t n = 0;

	(void)state;
	/* the idle ones blocked longest: the old order put them first */
	add(&f, 0, 10, NR_EPOLL_WAIT, S(90), reactor, 7);
	add(&f, 1, 11, NR_FUTEX, S(90), idle, 10);
	add(&f, 2, 12, NR_FUTEX, S(90), idle, 10);
	add(&f, 3, 13, NR_FUTEX, S(5), holder, 12);
	/* identical stacks on two locks: two groups, the lock more threads wait on first */
	for (size_t i = 4; i < 7; i++) {
		struct rs_thread *t =
		    add(&f, i, (uint32_t)(10 + i), NR_FUTEX, S(i < 6 ? 4 : 6), lock, 3);

		t->lock_kind = RS_LOCK_RUST_MUTEX;
		t->mutex_addr = i < 6 ? 0x5000 : 0x6000;
		t->syscall_args[0] = t->mutex_addr;
	}
	assert_int_equal(rs_report_group_by(&f.s, &o, &g, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(g[0].reason, RS_RANK_LOCK_CONTENDED);
	assert_int_equal(g[0].n, 2);
	assert_int_equal(g[0].threads[0]->mutex_addr, 0x5000);
	assert_int_equal(g[1].reason, RS_RANK_LOCK_CONTENDED);
	assert_int_equal(g[1].threads[0]->mutex_addr, 0x6000);
	assert_int_equal(g[2].reason, RS_RANK_MAY_HOLD);
	assert_int_equal(g[2].threads[0]->tid, 13);
	assert_int_equal(g[3].reason, RS_RANK_IDLE_POOL);
	assert_int_equal(g[3].n, 2);
	assert_int_equal(g[4].reason, RS_RANK_IDLE_REACTOR);
	rs_report_groups_free(g, n);

	/* --sort blocked: the old order, longest blocked first */
	o.sort = RS_SORT_BLOCKED;
	assert_int_equal(rs_report_group_by(&f.s, &o, &g, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(g[0].max_blocked_ns, S(90));
	assert_int_equal(g[1].max_blocked_ns, S(90));
	assert_int_equal(g[2].max_blocked_ns, S(6));
	assert_int_equal(g[4].max_blocked_ns, S(4));
	rs_report_groups_free(g, n);
	clear(&f);
}

/* The text report says why: the tag, the lock a group waits on, what a holder holds. */
static void test_rank_text_lines(void **state)
{
	static const char *const plain[] = { "read", "svc::read_request", "start_thread" };
	static const char *const glibc[] = { "__lll_lock_wait", "pthread_mutex_lock",
					     "svc::audit" };
	struct rs_report_opts o = { .threshold_ns = S(1), .no_kernel = true };
	struct fx f = { 0 };
	struct rs_thread *t;
	char *out = NULL;
	size_t len = 0;
	FILE *mem;

	(void)state;
	t = add(&f, 0, 10, NR_FUTEX, S(3), glibc, 3);
	t->lock_kind = RS_LOCK_GLIBC_MUTEX;
	t->mutex_addr = t->syscall_args[0] = 0x5000;
	t->waits_mutex = true;
	t->mutex_owner_tid = 11;
	t->lock_name.region = RS_DATA_SYMBOL;
	t->lock_name.symbol = strdup("accounts");
	assert_non_null(t->lock_name.symbol);
	add(&f, 1, 11, 0, S(3), plain, 3);
	t = add(&f, 2, 12, NR_FUTEX, S(3), lock, 3);
	t->lock_kind = RS_LOCK_RUST_MUTEX;
	t->mutex_addr = t->syscall_args[0] = 0x6000;
	t->lock_name.region = RS_DATA_HEAP;
	add(&f, 3, 13, NR_FUTEX, S(3), holder, 12);
	mem = open_memstream(&out, &len);
	assert_non_null(mem);
	assert_int_equal(rs_report_text(mem, &f.s, &o), 0);
	fclose(mem);
	assert_non_null(strstr(out, "[rank: lock contended]\n  tid 10 \"\"\n"));
	assert_non_null(
	    strstr(out, "  lock: tid 10 waits for mutex 0x5000 (accounts) held by tid 11"));
	assert_non_null(strstr(out, "[rank: holds a lock others wait for]"));
	assert_non_null(strstr(
	    out, "  holds: tid 11 holds mutex 0x5000 (accounts), which tid 10 \"\" waits for\n"));
	assert_non_null(strstr(out,
			       "  lock: 1 thread waits for std Mutex 0x6000 (heap), contended; "
			       "owner not recorded\n"));
	assert_non_null(strstr(out, "[rank: may hold a contended lock]"));
	assert_non_null(strstr(out, "  may hold: std Mutex 0x6000 (heap), 1 waiting (these locks "
				    "record no owner)\n"));
	assert_null(strstr(out, "held by tid 13")); /* no owner claimed for std's Mutex */
	free(out);
	clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_reasons_in_order),
		cmocka_unit_test(test_rank_idle_reactor),
		cmocka_unit_test(test_rank_idle_worker_loop_and_park),
		cmocka_unit_test(test_rank_thread_rules),
		cmocka_unit_test(test_rank_group_order),
		cmocka_unit_test(test_rank_text_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
