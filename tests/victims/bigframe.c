// SPDX-License-Identifier: GPL-2.0
/*
 * bigframe: main and a thread each wait in pause() below a function whose
 * frame (a 300 KiB buffer; 258 KiB in the thread) is larger than rsample's
 * default 64 KiB stack copy, and than the 256 KiB second copy, as exim's
 * main is: the outermost frames (main's caller, the thread's start) are
 * reachable only through the copy of the stack's top (in the thread, the
 * part of it the 256 KiB copy does not already hold: the thread's TLS and
 * struct pthread above its first frame take ~16.7 KiB on Debian 12's 6.1
 * guest, which is why the top copy is 32 KiB). A third
 * thread waits 600 calls deep (~80 KiB of small frames): it unwinds only
 * through the second, deeper copy. Compared with gdb by
 * tests/integration/run.py (GdbComparison).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define BIG  (300 * 1024)
#define EDGE (258 * 1024)

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

__attribute__((noinline)) static int recurse(int depth)
{
	volatile char pad[96];

	pad[0] = (char)depth;
	if (depth > 0)
		return recurse(depth - 1) + pad[0];
	wait_here(pad);
	return pad[0];
}

__attribute__((noinline)) static void edge_frame(void)
{
	volatile char buf[EDGE];

	memset((char *)buf, 1, sizeof(buf));
	wait_here(buf);
}

static void *worker(void *arg)
{
	(void)arg;
	edge_frame();
	return NULL;
}

static void *deep(void *arg)
{
	(void)arg;
	recurse(600);
	return NULL;
}

int main(void)
{
	pthread_t t, d;

	if (pthread_create(&t, NULL, worker, NULL) || pthread_create(&d, NULL, deep, NULL))
		return 1;
	big_frame();
	return 0;
}
