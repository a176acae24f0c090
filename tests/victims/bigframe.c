// SPDX-License-Identifier: GPL-2.0
/*
 * bigframe: main and a thread each wait in pause() below a function whose
 * frame (a 300 KiB buffer) is larger than rsample's default 64 KiB stack
 * copy, as exim's main is. The outermost frames (main's caller, the thread's
 * start) are reachable only through the copy of the stack's top. Compared
 * with gdb by tests/integration/run.py (GdbComparison).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define BIG (300 * 1024)

static volatile int stop;

__attribute__((noinline)) static void wait_here(volatile char *buf)
{
	while (!stop)
		pause();
	buf[0]++;
}

__attribute__((noinline)) static void big_frame(void)
{
	volatile char buf[BIG];

	memset((char *)buf, 1, sizeof(buf));
	wait_here(buf);
}

static void *worker(void *arg)
{
	(void)arg;
	big_frame();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	big_frame();
	return 0;
}
