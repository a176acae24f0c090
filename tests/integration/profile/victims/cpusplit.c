// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU accuracy victim: burns CPU in burn_three() and burn_one() at a 3:1
 * split, both through the same leaf spin(), so a profile gets the split right
 * only if it unwinds past spin() (built without frame pointers).
 * Prints "ready" on stdout once running; runs until killed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint64_t sink;
static volatile uint64_t unit = 10000000; /* volatile: no constant propagation into spin() */

__attribute__((noinline)) static uint64_t spin(uint64_t n)
{
	uint64_t x = n;

	for (uint64_t i = 0; i < n; i++) {
		x += i * 2654435761u;
		x ^= x >> 13;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

__attribute__((noinline)) void burn_three(void)
{
	sink += spin(3 * unit);
	__asm__ volatile("");
}

__attribute__((noinline)) void burn_one(void)
{
	sink += spin(unit);
	__asm__ volatile("");
}

int main(void)
{
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		burn_three();
		burn_one();
	}
}
