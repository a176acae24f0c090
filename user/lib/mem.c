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
 *
 * A populated page still costs ~7 us at its first access from user space on
 * that PVM guest (the hypervisor fills its own page table then; 28 vs 12 ms
 * for libbpf's read and copy of the vmlinux BTF into populated pages, before
 * and after they were read once). So a thread of its own reads one byte of
 * each page, lowest first as malloc hands them out, while the main thread
 * starts loading the BPF object on the other CPU. Reads only: the pages
 * belong to malloc's free heap top, which nothing trims, and a chunk handed
 * out meanwhile is only read, never written. Where a first access costs
 * nothing more than a TLB miss (hardware nested paging), the thread ends in
 * well under a millisecond.
 */
#include <errno.h>
#include <pthread.h>
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

extern char end; /* the linker's: the end of the program's data, where the heap begins */

struct span {
	uintptr_t lo, hi;
};

/* Reads one byte of each page of a span (relaxed atomic loads: other threads write them). */
static void *read_pages(void *arg)
{
	struct span sp = *(struct span *)arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	free(arg);
	for (uintptr_t a = sp.lo; a < sp.hi; a += page)
		(void)__atomic_load_n((const unsigned char *)a, __ATOMIC_RELAXED);
	return NULL;
}

/* Starts read_pages over [lo, hi) on a detached thread; nothing when it cannot. */
static void start_reader(uintptr_t lo, uintptr_t hi)
{
	struct span *sp = malloc(sizeof(*sp));
	pthread_attr_t attr;
	pthread_t t;

	if (!sp)
		return;
	sp->lo = lo;
	sp->hi = hi;
	if (pthread_attr_init(&attr)) {
		free(sp);
		return;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64u << 10);
	if (pthread_create(&t, &attr, read_pages, sp))
		free(sp);
	pthread_attr_destroy(&attr);
}

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
	uintptr_t lo = UINTPTR_MAX, hi = 0;
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
		if ((uintptr_t)blocks[n] < lo)
			lo = (uintptr_t)blocks[n];
		if ((uintptr_t)blocks[n] + len > hi)
			hi = (uintptr_t)blocks[n] + len;
		n++;
		left -= len;
	}
	/* Freed in reverse: they join the top of the heap, which is no longer trimmed. */
	while (n)
		free(blocks[--n]);
	/*
	 * Only a span of glibc's own heap (between the program's end and the
	 * break) is read: it stays mapped. A sanitizer's or valgrind's malloc
	 * puts the blocks elsewhere, and there a read of freed memory would be
	 * an error.
	 */
	if (!err && hi > lo && lo >= (uintptr_t)&end && hi <= (uintptr_t)sbrk(0))
		start_reader(lo, hi);
	return err;
}
