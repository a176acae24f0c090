// SPDX-License-Identifier: GPL-2.0
/*
 * Load victim: one thread per online CPU, each burning CPU in spin_leaf()
 * under spin_mid() and spin_outer() (no frame pointers: every sample needs
 * a DWARF unwind). Prints "ready" once every thread runs; runs until killed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t spin_leaf(uint64_t x)
{
	for (int i = 0; i < 1000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

__attribute__((noinline)) static uint64_t spin_mid(uint64_t x)
{
	return spin_leaf(x) + 1;
}

__attribute__((noinline)) static void *spin_outer(void *arg)
{
	uint64_t x = (uintptr_t)arg | 1;

	for (;;)
		sink += x = spin_mid(x);
	return NULL;
}

int main(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t t;

	for (long i = 1; i < n; i++)
		pthread_create(&t, NULL, spin_outer, (void *)(uintptr_t)i);
	printf("ready\n");
	fflush(stdout);
	spin_outer(NULL);
}
