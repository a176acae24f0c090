// SPDX-License-Identifier: GPL-2.0
/*
 * ledger — a small multi-threaded "ledger service" that hangs in known places.
 * It is the C test victim of tests/integration (built with and without frame
 * pointers, and stripped with a .gnu_debuglink): every thread reaches its
 * blocking point through two or three functions of its own, so the expected
 * stack of each thread is known.
 *
 *   main       joins the first teller forever             (pthread_join)
 *   dl-a, dl-b two tellers in a lock-order deadlock        (pthread_mutex_lock)
 *   cv-wait    a dispatcher waiting for jobs nobody posts  (pthread_cond_wait)
 *   pipe-rd    reads commands from a pipe nobody writes    (read)
 *   epoll      an event loop on an empty epoll set         (epoll_wait)
 *   sleeper    a janitor sleeping for an hour              (nanosleep)
 *   spin       hashes a tree: recursion depth 10, then a busy loop at the leaf
 *   heartbeat  wakes every 1 ms and records the gaps between its wake-ups
 *   stats      writes the state file every 100 ms
 *
 * --threads N adds N more waiters in the same places (x-cv-1, x-pipe-2, ...),
 * for benchmarks at 10, 100 and 1000 threads.
 *
 * The victim is never signalled by the tests; it reports through the state
 * file given with --state (rewritten atomically every 100 ms):
 *
 *   pid <pid in its namespace>
 *   threads <total>
 *   ready <0|1>                     1 once every thread sits at its blocking point
 *   now <CLOCK_MONOTONIC ns>        when this file was written
 *   hb_count <n>                    heartbeat wake-ups since ready
 *   hb_max_gap_ns <ns>              longest interval between two wake-ups since ready (1 ms)
 *   hb_late_1ms <n>                 wake-ups more than 1 ms late since ready (interval > 2 ms)
 *   hb_late_10ms <n>                wake-ups more than 10 ms late since ready (interval > 11 ms)
 *   eintr_total <n>                 EINTR returns plus spurious wake-ups, all threads
 *   thread <name> <tid> <block_start_ns> <eintr> <spurious>
 *   slot <start_ns> <max_gap_ns> <wakeups>   heartbeat per 20 ms slot, the last ~10 s
 *
 * block_start_ns is CLOCK_MONOTONIC just before the thread's blocking call (0:
 * it does not block). tid is the thread's id in its own PID namespace.
 * Source lines the tests check carry markers "@L:<label>"; the suite finds the
 * line numbers from them, so keep each marked call on one line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* Keep the frames the tests assert: no inlining, cloning or IPA-derived noreturn. */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noipa))
#endif

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_MSEC	1000000ULL
#define HB_PERIOD_NS	NSEC_PER_MSEC
#define HB_SLOT_NS	(20 * NSEC_PER_MSEC)
#define HB_SLOTS	512
#define STATS_PERIOD_NS (100 * NSEC_PER_MSEC)
#define SETTLE_NS	(200 * NSEC_PER_MSEC)
#define TREE_DEPTH	10
#define EXTRA_STACK	(256 * 1024)

enum kind {
	K_MAIN,
	K_TELLER,
	K_DISPATCH,
	K_CONTROL,
	K_NET,
	K_JANITOR,
	K_HASHER,
	K_HEARTBEAT,
	K_STATS,
	K_EXTRA_CV,
	K_EXTRA_PIPE,
	K_EXTRA_EPOLL,
	K_EXTRA_SLEEP,
	K_EXTRA_MUTEX
};

struct worker {
	char name[16];
	enum kind kind;
	int index;
	pthread_t thread;
	_Atomic int tid; /* in the victim's own PID namespace */
	_Atomic uint64_t block_start_ns;
	_Atomic uint64_t eintr;
	_Atomic uint64_t spurious;
};

struct account {
	pthread_mutex_t lock;
	long balance;
};

struct job {
	struct job *next;
	long amount;
};

struct job_queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct job *head;
};

struct command {
	uint32_t op;
	uint32_t arg;
};

struct hb_slot {
	_Atomic uint64_t id; /* start_ns / HB_SLOT_NS */
	_Atomic uint64_t max_gap_ns;
	_Atomic uint64_t wakeups;
};

static struct worker *workers;
static size_t n_workers;
static const char *state_path;
static _Atomic size_t arrived;
static _Atomic int ready;

static struct account accounts[2] = {
	{ PTHREAD_MUTEX_INITIALIZER, 1000 },
	{ PTHREAD_MUTEX_INITIALIZER, 1000 },
};
static pthread_barrier_t tellers_hold_first;
static struct job_queue jobs = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL };
static int control_pipe[2] = { -1, -1 };
static int epoll_fd = -1;

static struct hb_slot hb_slots[HB_SLOTS];
static _Atomic uint64_t hb_count, hb_max_gap_ns, hb_late_1ms, hb_late_10ms;

static _Atomic unsigned long janitor_cycles;
static volatile int hash_stop;
static volatile uint64_t hash_sink;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void fatal(const char *what)
{
	fprintf(stderr, "ledger: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The thread is about to block: record when, and count it as arrived. */
static void mark_blocked(struct worker *w)
{
	atomic_store(&w->tid, gettid());
	atomic_store(&w->block_start_ns, mono_ns());
	atomic_fetch_add(&arrived, 1);
}

/* The thread is about to run forever without blocking. */
static void mark_running(struct worker *w)
{
	atomic_store(&w->tid, gettid());
	atomic_fetch_add(&arrived, 1);
}

/* ---- ledger: two tellers transfer in opposite directions (lock-order deadlock) ---- */

static NOINLINE int lock_pair(struct worker *w, struct account *from, struct account *to)
{
	int err = pthread_mutex_lock(&from->lock);

	if (err)
		return err;
	/* Both tellers hold their first lock before taking the second, every run. */
	pthread_barrier_wait(&tellers_hold_first);
	mark_blocked(w);
	err = pthread_mutex_lock(&to->lock); /* @L:dl-lock */
	if (err)
		pthread_mutex_unlock(&from->lock);
	return err;
}

static NOINLINE int post_transfer(struct worker *w, struct account *from, struct account *to,
				  long amount)
{
	int err = lock_pair(w, from, to); /* @L:dl-post */

	if (err)
		return err;
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
	return 0;
}

static NOINLINE void *teller_thread(void *arg)
{
	struct worker *w = arg;
	struct account *from = &accounts[w->index], *to = &accounts[!w->index];
	int err = post_transfer(w, from, to, 100); /* @L:dl-entry */

	if (err)
		fprintf(stderr, "ledger: transfer failed: %s\n", strerror(err));
	return NULL;
}

/* ---- dispatcher: waits for jobs on a condition variable ---- */

static NOINLINE struct job *queue_pop(struct worker *w, struct job_queue *q)
{
	struct job *j;

	pthread_mutex_lock(&q->lock);
	mark_blocked(w);
	while (!q->head) {
		pthread_cond_wait(&q->nonempty, &q->lock); /* @L:cv-wait */
		if (!q->head)
			atomic_fetch_add(&w->spurious, 1);
	}
	j = q->head;
	q->head = j->next;
	pthread_mutex_unlock(&q->lock);
	return j;
}

static NOINLINE long next_job(struct worker *w, struct job_queue *q)
{
	struct job *j = queue_pop(w, q); /* @L:cv-next */
	long amount = j->amount;

	free(j);
	return amount;
}

static NOINLINE void *dispatcher_thread(void *arg)
{
	struct worker *w = arg;
	long total = 0;

	for (;;) {
		long amount = next_job(w, &jobs); /* @L:cv-entry */

		if (amount < 0)
			break;
		total += amount;
	}
	return (void *)total;
}

/* ---- control: reads fixed-size commands from a pipe ---- */

static NOINLINE ssize_t read_full(struct worker *w, int fd, void *buf, size_t len)
{
	size_t got = 0;

	mark_blocked(w);
	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got); /* @L:pipe-read */

		if (r < 0 && errno == EINTR) {
			atomic_fetch_add(&w->eintr, 1);
			continue;
		}
		if (r <= 0)
			return got ? (ssize_t)got : r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static NOINLINE int read_command(struct worker *w, int fd, struct command *cmd)
{
	ssize_t n = read_full(w, fd, cmd, sizeof(*cmd)); /* @L:pipe-cmd */

	return n == (ssize_t)sizeof(*cmd) ? 0 : -1;
}

static NOINLINE void *control_thread(void *arg)
{
	struct worker *w = arg;
	struct command cmd;
	unsigned long handled = 0;

	while (read_command(w, control_pipe[0], &cmd) == 0) /* @L:pipe-entry */
		handled += cmd.op;
	return (void *)handled;
}

/* ---- network: an event loop on an epoll set with nothing registered ---- */

static NOINLINE int wait_events(struct worker *w, int epfd, struct epoll_event *ev, int max)
{
	mark_blocked(w);
	for (;;) {
		int n = epoll_wait(epfd, ev, max, -1); /* @L:epoll-wait */

		if (n >= 0 || errno != EINTR)
			return n;
		atomic_fetch_add(&w->eintr, 1);
	}
}

static NOINLINE int event_loop(struct worker *w, int epfd)
{
	struct epoll_event ev[16];
	unsigned long events = 0;

	for (;;) {
		int n = wait_events(w, epfd, ev, 16); /* @L:epoll-loop */

		if (n < 0)
			return -1;
		events += (unsigned long)n;
		if (events == ~0UL)
			return 0;
	}
}

static NOINLINE void *net_thread(void *arg)
{
	struct worker *w = arg;

	if (event_loop(w, epoll_fd) < 0) /* @L:epoll-entry */
		perror("ledger: epoll_wait");
	return NULL;
}

/* ---- janitor: compacts the ledger once an hour ---- */

static NOINLINE int nap(struct worker *w, time_t seconds)
{
	struct timespec req = { seconds, 0 }, rem;

	mark_blocked(w);
	while (nanosleep(&req, &rem) < 0) { /* @L:sleep */
		if (errno != EINTR)
			return -1;
		atomic_fetch_add(&w->eintr, 1);
		req = rem;
	}
	return 0;
}

static NOINLINE int janitor_cycle(struct worker *w)
{
	int err = nap(w, 3600); /* @L:sleep-cycle */

	if (err)
		return err;
	atomic_fetch_add(&janitor_cycles, 1);
	return 0;
}

static NOINLINE void *janitor_thread(void *arg)
{
	struct worker *w = arg;
	unsigned long cycles = 0;

	while (janitor_cycle(w) == 0) /* @L:sleep-entry */
		cycles++;
	return (void *)cycles;
}

/* ---- hasher: CPU-bound, recursion then a busy loop at the leaf ---- */

static NOINLINE uint64_t hash_leaf(struct worker *w, uint64_t x)
{
	mark_running(w);
	while (!hash_stop) { /* @L:spin-leaf-begin */
		for (int i = 0; i < 4096; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		hash_sink = x;
	} /* @L:spin-leaf-end */
	return x;
}

static NOINLINE uint64_t hash_tree(struct worker *w, int depth, uint64_t seed)
{
	uint64_t h;

	if (depth == 0)
		return hash_leaf(w, seed) ^ seed; /* @L:spin-leaf-call */

	h = hash_tree(w, depth - 1, seed * 31 + (uint64_t)depth); /* @L:spin-recurse */
	return h ^ (uint64_t)depth;
}

static NOINLINE void *hasher_thread(void *arg)
{
	struct worker *w = arg;

	hash_sink = hash_tree(w, TREE_DEPTH - 1, 0x9e3779b97f4a7c15ULL); /* @L:spin-entry */
	return NULL;
}

/* ---- heartbeat: every 1 ms, records the gaps between wake-ups ---- */

static void hb_record(uint64_t now, uint64_t gap)
{
	uint64_t id = now / HB_SLOT_NS;
	struct hb_slot *s = &hb_slots[id % HB_SLOTS];

	if (atomic_load_explicit(&s->id, memory_order_relaxed) != id) {
		atomic_store_explicit(&s->max_gap_ns, 0, memory_order_relaxed);
		atomic_store_explicit(&s->wakeups, 0, memory_order_relaxed);
		atomic_store_explicit(&s->id, id, memory_order_release);
	}
	if (gap > atomic_load_explicit(&s->max_gap_ns, memory_order_relaxed))
		atomic_store_explicit(&s->max_gap_ns, gap, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->wakeups, 1, memory_order_relaxed);
	if (!atomic_load_explicit(&ready, memory_order_relaxed))
		return;
	atomic_fetch_add_explicit(&hb_count, 1, memory_order_relaxed);
	if (gap > atomic_load_explicit(&hb_max_gap_ns, memory_order_relaxed))
		atomic_store_explicit(&hb_max_gap_ns, gap, memory_order_relaxed);
	if (gap > HB_PERIOD_NS + NSEC_PER_MSEC)
		atomic_fetch_add_explicit(&hb_late_1ms, 1, memory_order_relaxed);
	if (gap > HB_PERIOD_NS + 10 * NSEC_PER_MSEC)
		atomic_fetch_add_explicit(&hb_late_10ms, 1, memory_order_relaxed);
}

static NOINLINE void *heartbeat_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t prev = mono_ns(), next = prev;

	mark_running(w);
	for (;;) {
		struct timespec ts;
		uint64_t now;
		int err;

		next += HB_PERIOD_NS;
		ts.tv_sec = (time_t)(next / NSEC_PER_SEC);
		ts.tv_nsec = (long)(next % NSEC_PER_SEC);
		err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* @L:hb-sleep */
		if (err == EINTR)
			atomic_fetch_add(&w->eintr, 1);
		now = mono_ns();
		hb_record(now, now - prev);
		prev = now;
		if (now > next) /* late: no burst of catch-up wake-ups */
			next = now;
	}
	return NULL;
}

/* ---- stats: the state file the tests read ---- */

static int write_state(void)
{
	char tmp[4096];
	uint64_t now = mono_ns(), eintr_total = 0;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n_workers; i++)
		eintr_total += atomic_load(&workers[i].eintr) + atomic_load(&workers[i].spurious);
	fprintf(f, "pid %d\nthreads %zu\nready %d\nnow %llu\n", getpid(), n_workers,
		atomic_load(&ready), (unsigned long long)now);
	fprintf(f, "hb_count %llu\nhb_max_gap_ns %llu\nhb_late_1ms %llu\nhb_late_10ms %llu\n",
		(unsigned long long)atomic_load(&hb_count),
		(unsigned long long)atomic_load(&hb_max_gap_ns),
		(unsigned long long)atomic_load(&hb_late_1ms),
		(unsigned long long)atomic_load(&hb_late_10ms));
	fprintf(f, "eintr_total %llu\n", (unsigned long long)eintr_total);
	for (size_t i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		fprintf(f, "thread %s %d %llu %llu %llu\n", w->name, atomic_load(&w->tid),
			(unsigned long long)atomic_load(&w->block_start_ns),
			(unsigned long long)atomic_load(&w->eintr),
			(unsigned long long)atomic_load(&w->spurious));
	}
	for (uint64_t id = now / HB_SLOT_NS - (HB_SLOTS - 8); id <= now / HB_SLOT_NS; id++) {
		struct hb_slot *s = &hb_slots[id % HB_SLOTS];

		if (atomic_load_explicit(&s->id, memory_order_acquire) != id)
			continue;
		fprintf(
		    f, "slot %llu %llu %llu\n", (unsigned long long)(id * HB_SLOT_NS),
		    (unsigned long long)atomic_load_explicit(&s->max_gap_ns, memory_order_relaxed),
		    (unsigned long long)atomic_load_explicit(&s->wakeups, memory_order_relaxed));
	}
	if (fclose(f) != 0 || rename(tmp, state_path) != 0)
		return -errno;
	return 0;
}

static NOINLINE void *stats_thread(void *arg)
{
	struct worker *w = arg;

	mark_running(w);
	for (;;) {
		if (write_state() < 0)
			perror("ledger: cannot write the state file");
		sleep_ns(STATS_PERIOD_NS);
	}
	return NULL;
}

/* ---- extra waiters for --threads N, spread over the same blocking points ---- */

static NOINLINE int audit_account(struct worker *w, struct account *a)
{
	long balance;
	int err;

	mark_blocked(w);
	err = pthread_mutex_lock(&a->lock); /* @L:x-mutex */
	if (err)
		return err;
	balance = a->balance;
	pthread_mutex_unlock(&a->lock);
	return balance < 0;
}

static NOINLINE void *extra_thread(void *arg)
{
	struct worker *w = arg;
	struct command cmd;
	long r = 0;

	switch (w->kind) {
	case K_EXTRA_CV:
		r = next_job(w, &jobs);
		break;
	case K_EXTRA_PIPE:
		r = read_command(w, control_pipe[0], &cmd);
		break;
	case K_EXTRA_EPOLL:
		r = event_loop(w, epoll_fd);
		break;
	case K_EXTRA_SLEEP:
		r = janitor_cycle(w);
		break;
	default:
		r = audit_account(w, &accounts[0]);
		break;
	}
	if (r < 0)
		fprintf(stderr, "ledger: %s stopped\n", w->name);
	return (void *)r;
}

/* ---- main ---- */

static void *(*const start_routine[])(void *) = {
	[K_TELLER] = teller_thread,	  [K_DISPATCH] = dispatcher_thread,
	[K_CONTROL] = control_thread,	  [K_NET] = net_thread,
	[K_JANITOR] = janitor_thread,	  [K_HASHER] = hasher_thread,
	[K_HEARTBEAT] = heartbeat_thread, [K_STATS] = stats_thread,
	[K_EXTRA_CV] = extra_thread,	  [K_EXTRA_PIPE] = extra_thread,
	[K_EXTRA_EPOLL] = extra_thread,	  [K_EXTRA_SLEEP] = extra_thread,
	[K_EXTRA_MUTEX] = extra_thread,
};

static void start_worker(struct worker *w, size_t stack)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	err = pthread_create(&w->thread, &attr, start_routine[w->kind], w);
	pthread_attr_destroy(&attr);
	if (err) {
		errno = err;
		fatal("pthread_create");
	}
	pthread_setname_np(w->thread, w->name);
}

static void wait_arrived(size_t n)
{
	uint64_t deadline = mono_ns() + 30 * NSEC_PER_SEC;

	while (atomic_load(&arrived) < n) {
		if (mono_ns() > deadline) {
			fprintf(stderr, "ledger: only %zu of %zu threads arrived\n",
				atomic_load(&arrived), n);
			exit(1);
		}
		sleep_ns(NSEC_PER_MSEC);
	}
}

static NOINLINE int wait_workers(struct worker *self, struct worker *first)
{
	void *ret;
	int err;

	atomic_store(&self->tid, gettid());
	atomic_store(&self->block_start_ns, mono_ns());
	atomic_store(&ready, 1);
	err = pthread_join(first->thread, &ret); /* @L:main-join */
	return err ? -err : 0;
}

static NOINLINE int serve(size_t n_core, unsigned long exit_after_ms)
{
	int err;

	/* Start order: the tellers deadlock before anyone else can touch their locks. */
	for (size_t i = 1; i < n_workers; i++) {
		if (i == n_core)
			wait_arrived(n_core - 1);
		start_worker(&workers[i], i < n_core ? 0 : EXTRA_STACK);
	}
	if (exit_after_ms) {
		sleep_ns(exit_after_ms * NSEC_PER_MSEC);
		exit(0);
	}
	wait_arrived(n_workers - 1);
	sleep_ns(SETTLE_NS);
	err = wait_workers(&workers[0], &workers[1]); /* @L:main-serve */
	if (err)
		fprintf(stderr, "ledger: pthread_join: %s\n", strerror(-err));
	return err;
}

static void usage(void)
{
	fprintf(stderr, "usage: ledger --state FILE [--threads N] [--exit-after MS]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum kind kind;
	} core[] = {
		{ "dl-a", K_TELLER },	  { "dl-b", K_TELLER },		{ "cv-wait", K_DISPATCH },
		{ "pipe-rd", K_CONTROL }, { "epoll", K_NET },		{ "sleeper", K_JANITOR },
		{ "spin", K_HASHER },	  { "heartbeat", K_HEARTBEAT }, { "stats", K_STATS },
	};
	static const char *const extra_names[] = { "cv", "pipe", "epoll", "sleep", "mutex" };
	static const enum kind extra_kinds[] = { K_EXTRA_CV, K_EXTRA_PIPE, K_EXTRA_EPOLL,
						 K_EXTRA_SLEEP, K_EXTRA_MUTEX };
	unsigned long extra = 0, exit_after_ms = 0;
	size_t n_core = 1 + sizeof(core) / sizeof(core[0]);
	const char *slash;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state_path = argv[++i];
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			extra = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--exit-after") && i + 1 < argc)
			exit_after_ms = strtoul(argv[++i], NULL, 10);
		else
			usage();
	}
	if (!state_path || extra > 100000)
		usage();

	n_workers = n_core + extra;
	workers = calloc(n_workers, sizeof(*workers));
	if (!workers)
		fatal("calloc");
	slash = strrchr(argv[0], '/');
	snprintf(workers[0].name, sizeof(workers[0].name), "%s", slash ? slash + 1 : argv[0]);
	workers[0].kind = K_MAIN;
	for (size_t i = 1; i < n_core; i++) {
		snprintf(workers[i].name, sizeof(workers[i].name), "%s", core[i - 1].name);
		workers[i].kind = core[i - 1].kind;
		workers[i].index = (int)i - 1; /* tellers: 0 and 1 */
	}
	for (size_t i = n_core; i < n_workers; i++) {
		size_t k = (i - n_core) % 5;

		snprintf(workers[i].name, sizeof(workers[i].name), "x-%s-%zu", extra_names[k],
			 i - n_core + 1);
		workers[i].kind = extra_kinds[k];
	}

	if (pthread_barrier_init(&tellers_hold_first, NULL, 2))
		fatal("pthread_barrier_init");
	if (pipe(control_pipe) < 0)
		fatal("pipe");
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		fatal("epoll_create1");

	r = serve(n_core, exit_after_ms); /* @L:main-entry */
	return r ? 1 : 0;
}
