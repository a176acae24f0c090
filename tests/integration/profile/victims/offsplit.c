// SPDX-License-Identifier: GPL-2.0
/*
 * Off-CPU accuracy victim. WORKERS threads ("worker") each loop: 200 ms
 * blocked in block_x(), 100 ms blocked in block_y(); worker i starts i *
 * 100 ms late, so a window that cuts cycles short cuts them at different
 * phases. One thread ("stuck")
 * blocks for ever in wait_forever() from the start; one ("late") sleeps
 * LATE_S seconds in nanosleep, then blocks for ever in wait_late(). The main
 * thread waits in pthread_join(). Prints "ready" once every thread runs.
 * Built without frame pointers.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#define WORKERS 3

static int late_s = 2;
static int stuck_pipe[2], late_pipe[2];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) void block_x(void)
{
	sleep_ms(200);
	__asm__ volatile("");
}

__attribute__((noinline)) void block_y(void)
{
	sleep_ms(100);
	__asm__ volatile("");
}

__attribute__((noinline)) void wait_forever(void)
{
	char c;

	while (read(stuck_pipe[0], &c, 1) < 0)
		;
	__asm__ volatile("");
}

__attribute__((noinline)) void wait_late(void)
{
	char c;

	while (read(late_pipe[0], &c, 1) < 0)
		;
	__asm__ volatile("");
}

static void *worker(void *arg)
{
	prctl(PR_SET_NAME, "worker");
	sleep_ms(100 * (long)arg);
	for (;;) {
		block_x();
		block_y();
	}
	return NULL;
}

static void *stuck(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "stuck");
	wait_forever();
	return NULL;
}

static void *late(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "late");
	sleep_ms(late_s * 1000L);
	wait_late();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[WORKERS + 2];

	if (argc > 1)
		late_s = atoi(argv[1]);
	if (pipe(stuck_pipe) || pipe(late_pipe))
		return 1;
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(long)i);
	pthread_create(&t[WORKERS], NULL, stuck, NULL);
	pthread_create(&t[WORKERS + 1], NULL, late, NULL);
	printf("ready\n");
	fflush(stdout);
	pthread_join(t[0], NULL);
	return 0;
}
