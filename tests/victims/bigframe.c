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
 * through the second, deeper copy. A fourth, "merged", waits below the
 * 258 KiB frame too, on a stack that is the lower half of one 2 MiB mapping:
 * as a thread's stack looks once its mapping merged with the one above it
 * (Linux before 6.7 merges a glibc stack with an anonymous neighbour), so
 * the mapping's end is 1 MiB past the stack's top, and only the thread's own
 * TCB (its struct pthread, where its fs base points) tells where the top
 * is. Compared with gdb by tests/integration/run.py (GdbComparison).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define BIG  (300 * 1024)
#define EDGE (258 * 1024)
#define HALF (1024 * 1024) /* the merged thread's stack, and the mapping above it */

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

static void *merged(void *arg)
{
	(void)arg;
	edge_frame();
	return NULL;
}

/* The merged thread: its stack the lower half of a mapping whose upper half is other data. */
static int start_merged(pthread_t *m)
{
	char *map =
	    mmap(NULL, 2 * HALF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_attr_t attr;
	int e;

	if (map == MAP_FAILED)
		return 1;
	memset(map + HALF, 0x5a, HALF);
	if (pthread_attr_init(&attr) || pthread_attr_setstack(&attr, map, HALF))
		return 1;
	e = pthread_create(m, &attr, merged, NULL);
	pthread_attr_destroy(&attr);
	return e;
}

int main(void)
{
	pthread_t t, d, m;

	if (pthread_create(&t, NULL, worker, NULL) || pthread_create(&d, NULL, deep, NULL) ||
	    start_merged(&m))
		return 1;
	big_frame();
	return 0;
}
