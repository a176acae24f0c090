// SPDX-License-Identifier: GPL-2.0
/*
 * forker — a service that churns, as a pre-forking server or a job runner
 * does: the test victim of the exit-code tests (tests/integration/churn.py).
 * Its long-lived threads wait in known places while two others keep starting
 * short-lived processes and threads, so that a snapshot always races with
 * some that exit under it.
 *
 *   main       waits in pause()
 *   keep-read  reads a pipe nobody writes                (read)
 *   keep-sleep sleeps for an hour                        (nanosleep)
 *   keep-cond  waits on a condvar nobody signals         (pthread_cond_wait)
 *   spawner    forks a child every ~0.5 ms; the child sleeps 0-2 ms and exits;
 *              spawner reaps it at once                  (wait4)
 *   threader   creates and joins a thread that lives 0-1 ms, over and over
 *
 * --zombie also forks one child that exits at once and is never reaped: a
 * zombie for the whole run.
 *
 * The victim is never signalled by the tests; it reports through --state FILE
 * (written once, when the churn runs): "pid <ns pid>", "zombie <ns pid>" with
 * --zombie, "ready 1" (tests/integration/launch.py reads it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noipa))
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pipefd[2];

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static NOINLINE void *keep_read(void *arg)
{
	char c;

	(void)arg;
	while (read(pipefd[0], &c, 1) != 0)
		;
	return NULL;
}

static NOINLINE void *keep_sleep(void *arg)
{
	(void)arg;
	for (;;)
		nap_us(3600L * 1000000);
	return NULL;
}

static NOINLINE void *keep_cond(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return NULL;
}

static NOINLINE void *spawner(void *arg)
{
	unsigned seed = 1;

	(void)arg;
	for (;;) {
		pid_t pid = fork();

		if (pid == 0) {
			nap_us(rand_r(&seed) % 2000);
			_exit(0);
		}
		seed = seed * 1103515245 + 12345;
		if (pid > 0)
			waitpid(pid, NULL, 0);
		nap_us(500);
	}
	return NULL;
}

static void *short_lived(void *arg)
{
	nap_us((long)(uintptr_t)arg);
	return NULL;
}

static NOINLINE void *threader(void *arg)
{
	unsigned seed = 2;

	(void)arg;
	for (;;) {
		pthread_t t;

		if (!pthread_create(&t, NULL, short_lived,
				    (void *)(uintptr_t)(rand_r(&seed) % 1000)))
			pthread_join(t, NULL);
	}
	return NULL;
}

static void start(const char *name, void *(*fn)(void *))
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, NULL)) {
		fprintf(stderr, "forker: cannot start %s\n", name);
		exit(1);
	}
	pthread_setname_np(t, name);
}

int main(int argc, char **argv)
{
	const char *state = NULL;
	pid_t zombie = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
		else if (!strcmp(argv[i], "--zombie"))
			zombie = -1;
	}
	if (!state || pipe(pipefd)) {
		fprintf(stderr, "usage: forker --state FILE [--zombie]\n");
		return 64;
	}
	start("keep-read", keep_read);
	start("keep-sleep", keep_sleep);
	start("keep-cond", keep_cond);
	if (zombie && (zombie = fork()) == 0)
		_exit(0);
	/* The launcher finds this process by its executable: let it, before any child exists. */
	nap_us(300000);
	start("spawner", spawner);
	start("threader", threader);
	f = fopen(state, "w");
	if (!f)
		return 1;
	fprintf(f, "pid %d\n", getpid());
	if (zombie > 0)
		fprintf(f, "zombie %d\n", zombie);
	fprintf(f, "ready 1\n");
	fclose(f);
	for (;;)
		pause();
}
