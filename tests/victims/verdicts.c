// SPDX-License-Identifier: GPL-2.0
/*
 * verdicts — one thread of each kind rsample --compare tells apart
 * (tests/integration/verdicts.py):
 *
 *   spinner   busy-waits in spin_on_flag() for a flag nobody sets: spinning
 *   piper     read()s a pipe whose write end this process keeps and never
 *             writes: stuck
 *   holder    takes ledger_lock, then sleeps in hold_and_sleep(): stuck
 *   waiter    pthread_mutex_lock(&ledger_lock), held by holder: stuck
 *   worker    progress_loop(): computes ~10 ms in burn_cpu(), sleeps 10 ms in
 *             nap(), forever: progressing
 *   pool-0/1  pool_worker(): pthread_cond_wait for work that never comes: idle
 *   reactor   epoll_wait(-1) on an eventfd nobody signals: idle
 *   main      pthread_join()s spinner: stuck
 *
 * It reports through --state FILE once every thread has started: each
 * thread's id as it sees it ("tid_<name> N"), then "ready 1". Nothing here is
 * ever signalled.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 8

static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static int pool_work; /* never set: the pool stays idle */
static volatile int stop_flag;
static volatile unsigned long sink;
static int pipe_fds[2], epoll_fd;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct {
	const char *name;
	pid_t tid;
} tids[NTHREADS + 1];
static int n_tids;

/* Records the calling thread's name and id. */
static void started(const char *name)
{
	prctl(PR_SET_NAME, name);
	pthread_mutex_lock(&mu);
	tids[n_tids].name = name;
	tids[n_tids++].tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static void spin_on_flag(void)
{
	while (!stop_flag)
		sink++;
}

static void *spinner(void *arg)
{
	(void)arg;
	started("spinner");
	spin_on_flag();
	return NULL;
}

__attribute__((noinline)) static void blocked_on_pipe(void)
{
	char c;

	while (read(pipe_fds[0], &c, 1) != 0)
		;
}

static void *piper(void *arg)
{
	(void)arg;
	started("piper");
	blocked_on_pipe();
	return NULL;
}

__attribute__((noinline)) static void hold_and_sleep(void)
{
	struct timespec ts = { 3600, 0 };

	pthread_mutex_lock(&ledger_lock);
	for (;;)
		nanosleep(&ts, NULL);
}

static void *holder(void *arg)
{
	(void)arg;
	started("holder");
	hold_and_sleep();
	return NULL;
}

__attribute__((noinline)) static void lock_waiter(void)
{
	pthread_mutex_lock(&ledger_lock);
	pthread_mutex_unlock(&ledger_lock);
}

static void *waiter(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	(void)arg;
	started("waiter");
	/* holder first: it must own the lock before this thread waits on it */
	while (pthread_mutex_trylock(&ledger_lock) == 0) {
		pthread_mutex_unlock(&ledger_lock);
		nanosleep(&ts, NULL);
	}
	lock_waiter();
	return NULL;
}

/* About 10 ms of this thread's own CPU time. */
__attribute__((noinline)) static void burn_cpu(void)
{
	uint64_t end = thread_cpu_ns() + 10 * 1000 * 1000;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i * 7;
}

__attribute__((noinline)) static void nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void progress_loop(void)
{
	for (;;) {
		burn_cpu();
		nap();
	}
}

static void *worker(void *arg)
{
	(void)arg;
	started("worker");
	progress_loop();
	return NULL;
}

static void *pool_worker(void *arg)
{
	started((const char *)arg);
	pthread_mutex_lock(&pool_mu);
	while (!pool_work)
		pthread_cond_wait(&pool_cv, &pool_mu);
	pthread_mutex_unlock(&pool_mu);
	return NULL;
}

static void *reactor(void *arg)
{
	struct epoll_event ev;

	(void)arg;
	started("reactor");
	for (;;)
		epoll_wait(epoll_fd, &ev, 1, -1);
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const pool_names[] = { "pool-0", "pool-1" };
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t spin_thread, t;
	const char *state = NULL;
	FILE *f;
	int efd;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
	if (!state || pipe(pipe_fds))
		return 1;
	efd = eventfd(0, 0);
	epoll_fd = epoll_create1(0);
	ev.data.fd = efd;
	if (efd < 0 || epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, efd, &ev))
		return 1;
	tids[n_tids].name = "main";
	tids[n_tids++].tid = (pid_t)syscall(SYS_gettid);
	if (pthread_create(&spin_thread, NULL, spinner, NULL) ||
	    pthread_create(&t, NULL, piper, NULL) || pthread_create(&t, NULL, holder, NULL) ||
	    pthread_create(&t, NULL, waiter, NULL) || pthread_create(&t, NULL, worker, NULL) ||
	    pthread_create(&t, NULL, pool_worker, (void *)pool_names[0]) ||
	    pthread_create(&t, NULL, pool_worker, (void *)pool_names[1]) ||
	    pthread_create(&t, NULL, reactor, NULL))
		return 1;
	pthread_mutex_lock(&mu);
	while (n_tids < NTHREADS + 1)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	f = fopen(state, "w");
	if (!f)
		return 1;
	for (int i = 0; i < n_tids; i++)
		fprintf(f, "tid_%s %d\n", tids[i].name, (int)tids[i].tid);
	fprintf(f, "ready 1\n");
	if (fclose(f))
		return 1;
	pthread_join(spin_thread, NULL);
	return 0;
}
