// SPDX-License-Identifier: GPL-2.0
/*
 * A heap touched in advance (lib.h). On a machine where the first touch of
 * a page costs a fault that takes microseconds (a VM's page tables kept by
 * its hypervisor: 12 us measured on a PVM guest), most of a one-shot
 * command's memory cost is the first touch of its heap: libbpf's copies of
 * the kernel's BTF, libdw's inflated debug sections, the records. glibc's
 * malloc also gives large blocks back to the kernel on free() (munmap, or
 * trimming the top of the heap) and takes them again, touched anew, a phase
 * later. rs_heap_prepare() has malloc keep what it got, in the one arena
 * every thread shares, and has the kernel fill the heap's pages in one call
 * (MADV_POPULATE_WRITE, Linux 5.14: no fault per page).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "lib/lib.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX):
 * blocks below it come from the heap, so the heap is made of blocks below it.
 */
#define BLOCK_MAX  (32u << 20)
#define BLOCKS_MAX 16

/* Populates the whole pages inside [p, p + len): 0 or -errno of madvise(). */
static int populate(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(page - 1);

	if (hi <= lo)
		return 0;
	return madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) ? -errno : 0;
}

int rs_heap_prepare(size_t bytes)
{
	void *blocks[BLOCKS_MAX];
	size_t n = 0, left = bytes;
	int err = 0;

	/* One arena: a thread's own would be a fresh mapping, touched page by page. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, BLOCK_MAX);
	mallopt(M_TRIM_THRESHOLD, (int)(BLOCK_MAX * BLOCKS_MAX));
	/* Blocks below the threshold, held together: the heap's top grows by their sum. */
	while (left && n < BLOCKS_MAX) {
		size_t len = left < BLOCK_MAX - 4096 ? left : BLOCK_MAX - 4096;

		blocks[n] = malloc(len);
		if (!blocks[n])
			break;
		if (!err)
			err = populate(blocks[n], len);
		n++;
		left -= len;
	}
	/* Freed in reverse: they join the top of the heap, which is no longer trimmed. */
	while (n)
		free(blocks[--n]);
	return err;
}
