// SPDX-License-Identifier: GPL-2.0
/*
 * deepspin: a thread that runs (on a CPU, never blocking) 900 calls deep in
 * a recursion, ~115 KiB of small frames: deeper than rsample's default
 * 64 KiB stack copy, within the 256 KiB one. A snapshot catches it with its
 * perf sample, in its own context; its stack must still be whole, down to
 * start_thread and clone3 (tests/integration/run.py, DeepRunningThread).
 *
 *   main       waits in pause()
 *   deep-spin  recurse(899) ... recurse(0), then spins in spin_leaf()
 *
 * The victim is never signalled by the tests; it reports through --state FILE
 * (written once the thread spins at the leaf): "depth 900", "ready 1"
 * (tests/integration/launch.py reads it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEPTH 900

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noipa))
#endif

static atomic_int at_leaf;
static volatile unsigned long spins;

NOINLINE static void spin_leaf(volatile char *pad)
{
	atomic_store(&at_leaf, 1);
	for (;;)				/* @L:deep-spin */
		spins += (unsigned long)pad[0]; /* @L:deep-spin-end */
}

/* Not a tail call: the addition after it keeps every frame on the stack. */
NOINLINE static int recurse(int depth)
{
	volatile char pad[96];

	pad[0] = (char)depth;
	if (depth > 0)
		return recurse(depth - 1) + pad[0]; /* @L:deep-recurse */
	spin_leaf(pad);				    /* @L:deep-leaf-call */
	return pad[0];
}

static void *deep_thread(void *arg)
{
	(void)arg;
	recurse(DEPTH - 1); /* @L:deep-thread */
	return NULL;
}

int main(int argc, char **argv)
{
	const char *state = NULL;
	pthread_t t;
	FILE *f;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
	if (!state) {
		fprintf(stderr, "usage: deepspin --state FILE\n");
		return 64;
	}
	if (pthread_create(&t, NULL, deep_thread, NULL))
		return 1;
	pthread_setname_np(t, "deep-spin");
	while (!atomic_load(&at_leaf))
		usleep(1000);
	f = fopen(state, "w");
	if (!f)
		return 1;
	fprintf(f, "depth %d\nready 1\n", DEPTH);
	fclose(f);
	for (;;)
		pause();
}
