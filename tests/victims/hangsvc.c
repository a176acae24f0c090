// SPDX-License-Identifier: GPL-2.0
/*
 * A service that runs normally, then hangs (the watch tests): two pool
 * workers idle in a condvar wait, woken in turn by a ticker every 200 ms; a
 * reactor in epoll_wait on an eventfd nobody writes; a worker that does a
 * little work every 50 ms. After HANG seconds the worker hangs:
 *   pipe:  it blocks reading a pipe nobody writes;
 *   mutex: another thread takes a mutex and sleeps holding it, the worker
 *          blocks locking it.
 * It reports through the state file (tests/integration/launch.py reads it;
 * rewritten to a temporary file and renamed): "ready 1" once started, then
 * "hang_ns N" (CLOCK_REALTIME) the moment it hangs. With RECOVER > 0 the
 * hang ends RECOVER seconds later (a byte written to the pipe, the mutex
 * unlocked): "recovered_ns N", and the worker works on.
 *
 *   flap:  (the watch benchmark) ten more pool workers; the worker blocks
 *          on the pipe again and again, HANG milliseconds each time (a
 *          rescuer writes a byte every HANG ms), working 100 ms between:
 *          one incident per block when HANG is over the threshold.
 *
 * usage: hangsvc --state FILE pipe|mutex|flap HANG RECOVER
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static unsigned pool_jobs;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long state_counter;
static int hang_pipe[2];
static const char *marker;
static int hang_s, recover_s;
static int mutex_mode, flap_mode;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static pthread_mutex_t mark_lock = PTHREAD_MUTEX_INITIALIZER;
static long long hang_ns, recovered_ns;

/* "hang", "recovered" or "ready": the state file rewritten with what is known. */
static void mark(const char *what)
{
	char tmp[4096];
	struct timespec now;
	long long ns;
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &now);
	ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	pthread_mutex_lock(&mark_lock);
	if (!strcmp(what, "hang"))
		hang_ns = ns;
	else if (!strcmp(what, "recovered"))
		recovered_ns = ns;
	snprintf(tmp, sizeof(tmp), "%s.tmp", marker);
	f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "ready 1\n");
		if (hang_ns)
			fprintf(f, "hang_ns %lld\n", hang_ns);
		if (recovered_ns)
			fprintf(f, "recovered_ns %lld\n", recovered_ns);
		fclose(f);
		rename(tmp, marker);
	}
	pthread_mutex_unlock(&mark_lock);
}

static void *pool_worker(void *arg)
{
	prctl(PR_SET_NAME, arg);
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while (!pool_jobs)
			pthread_cond_wait(&pool_cond, &pool_lock);
		pool_jobs--;
		pthread_mutex_unlock(&pool_lock);
	}
	return NULL;
}

static void *reactor(void *arg)
{
	int ep = epoll_create1(0), ev = eventfd(0, 0);
	struct epoll_event e = { .events = EPOLLIN }, out[8];

	(void)arg;
	prctl(PR_SET_NAME, "reactor");
	epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
	for (;;)
		epoll_wait(ep, out, 8, -1);
	return NULL;
}

static void *holder(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "holder");
	pthread_mutex_lock(&state_lock);
	mark("hang");
	if (recover_s > 0) {
		sleep_ms(recover_s * 1000L);
		pthread_mutex_unlock(&state_lock);
		mark("recovered");
	} else {
		for (;;)
			sleep_ms(3600 * 1000L);
	}
	return NULL;
}

static void *rescuer(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "rescuer");
	sleep_ms(recover_s * 1000L);
	if (write(hang_pipe[1], "x", 1) != 1)
		abort();
	return NULL;
}

static void *flap_rescuer(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "rescuer");
	for (;;) {
		sleep_ms(hang_s);
		if (write(hang_pipe[1], "x", 1) != 1)
			abort();
	}
	return NULL;
}

static void *flap_worker(void *arg)
{
	char c;

	(void)arg;
	prctl(PR_SET_NAME, "worker");
	for (;;) {
		if (read(hang_pipe[0], &c, 1) != 1)
			abort();
		sleep_ms(100);
	}
	return NULL;
}

static void *worker(void *arg)
{
	struct timespec t0, now;
	pthread_t t;
	char c;

	(void)arg;
	prctl(PR_SET_NAME, "worker");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		sleep_ms(50);
		pthread_mutex_lock(&state_lock);
		state_counter++;
		pthread_mutex_unlock(&state_lock);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!hang_s || now.tv_sec - t0.tv_sec < hang_s)
			continue;
		hang_s = 0;
		if (mutex_mode) {
			pthread_create(&t, NULL, holder, NULL);
			while (!pthread_mutex_trylock(&state_lock)) /* until the holder has it */
				pthread_mutex_unlock(&state_lock), sleep_ms(1);
			pthread_mutex_lock(&state_lock); /* the hang */
			pthread_mutex_unlock(&state_lock);
		} else {
			if (recover_s > 0)
				pthread_create(&t, NULL, rescuer, NULL);
			mark("hang");
			if (read(hang_pipe[0], &c, 1) != 1) /* the hang */
				abort();
			mark("recovered");
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 6 || strcmp(argv[1], "--state") ||
	    (strcmp(argv[3], "pipe") && strcmp(argv[3], "mutex") && strcmp(argv[3], "flap"))) {
		fprintf(stderr, "usage: hangsvc --state FILE pipe|mutex|flap HANG RECOVER\n");
		return 64;
	}
	marker = argv[2];
	mutex_mode = !strcmp(argv[3], "mutex");
	flap_mode = !strcmp(argv[3], "flap");
	hang_s = atoi(argv[4]);
	recover_s = atoi(argv[5]);
	if (pipe(hang_pipe))
		return 1;
	pthread_create(&t, NULL, pool_worker, "pool-0");
	pthread_create(&t, NULL, pool_worker, "pool-1");
	pthread_create(&t, NULL, reactor, NULL);
	if (flap_mode) {
		static char names[10][16];

		for (int i = 0; i < 10; i++) {
			snprintf(names[i], sizeof(names[i]), "pool-%d", i + 2);
			pthread_create(&t, NULL, pool_worker, names[i]);
		}
		pthread_create(&t, NULL, flap_worker, NULL);
		pthread_create(&t, NULL, flap_rescuer, NULL);
	} else {
		pthread_create(&t, NULL, worker, NULL);
	}
	mark("ready");
	for (;;) {
		sleep_ms(200);
		pthread_mutex_lock(&pool_lock);
		pool_jobs++;
		pthread_cond_signal(&pool_cond);
		pthread_mutex_unlock(&pool_lock);
	}
}
