// SPDX-License-Identifier: GPL-2.0
/*
 * Fixed CPU work for the on-CPU overhead benchmark (profile_bench.py).
 *
 * cpuwork ITERATIONS: waits for one byte (or EOF) on stdin so the benchmark can
 * attach a profiler to a process that already exists, then runs ITERATIONS
 * rounds through a few nested, non-inlined functions and prints
 * "cpu_s wall_s checksum" (its own CPU time and wall time for the work only).
 * Built -O2 -fomit-frame-pointer: no frame pointers, so profilers that want a
 * user stack must unwind with DWARF/CFI.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;

static NOINLINE uint64_t leaf(uint64_t x, int n)
{
	for (int i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

static NOINLINE uint64_t mid_a(uint64_t x)
{
	return leaf(x, 48) + 1;
}

static NOINLINE uint64_t mid_b(uint64_t x)
{
	return leaf(x ^ 0x9e3779b97f4a7c15ull, 80) * 3;
}

static NOINLINE uint64_t outer(uint64_t x)
{
	uint64_t a = mid_a(x);

	return (a & 1) ? mid_b(a) : mid_a(a ^ x);
}

static NOINLINE uint64_t work(uint64_t iters)
{
	uint64_t x = 88172645463325252ull;

	for (uint64_t i = 0; i < iters; i++)
		x = outer(x + i);
	return x;
}

static double secs(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t iters;
	double c0, w0, c1, w1;
	char go;

	if (argc != 2 || !(iters = strtoull(argv[1], NULL, 0))) {
		fprintf(stderr, "usage: cpuwork ITERATIONS (starts after one byte on stdin)\n");
		return 2;
	}
	if (read(0, &go, 1) < 0)
		return 1;
	w0 = secs(CLOCK_MONOTONIC);
	c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
	sink = work(iters);
	c1 = secs(CLOCK_PROCESS_CPUTIME_ID);
	w1 = secs(CLOCK_MONOTONIC);
	printf("%.6f %.6f %llu\n", c1 - c0, w1 - w0, (unsigned long long)sink);
	return 0;
}
