// SPDX-License-Identifier: GPL-2.0
/*
 * A process that must never appear in a profile of another target: one
 * thread burns CPU in outsider_spin(), another blocks and wakes every 10 ms
 * in outsider_nap(). Prints "ready" once running.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void outsider_spin(void)
{
	for (;;)
		sink++;
}

__attribute__((noinline)) void outsider_nap(void)
{
	struct timespec ts = { 0, 10000000 };

	for (;;)
		nanosleep(&ts, NULL);
}

static void *napper(void *arg)
{
	(void)arg;
	outsider_nap();
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, napper, NULL);
	printf("ready\n");
	fflush(stdout);
	outsider_spin();
}
