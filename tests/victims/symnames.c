// SPDX-License-Identifier: GPL-2.0
/*
 * symnames: C functions whose ELF names gdb does not print as they are
 * (GCC's clone suffixes, "__" inside a name: gdb reads them as GNAT-encoded
 * Ada), and some it does. Built without debug info, so every frame is named
 * from the symbol table; main's thread waits in pause() under the chain and
 * a second thread in a plain C function. Compared with gdb by
 * tests/integration/run.py (GdbComparison).
 */
#include <pthread.h>
#include <unistd.h>

#define NI __attribute__((noinline, used))
/* A function f whose symbol is sym, calling next (an asm label keeps the exact name). */
#define LINK(f, sym, next)                                                                         \
	NI void f(void) __asm__(sym);                                                              \
	void f(void)                                                                               \
	{                                                                                          \
		next();                                                                            \
		__asm__ volatile("");                                                              \
	}

static volatile int stop;

NI void wait_here(void)
{
	while (!stop)
		pause();
}

LINK(n01, "isc__trampoline_run", wait_here)
LINK(n02, "worker.part.0", n01)
LINK(n03, "parse.isra.0", n02)
LINK(n04, "flush.cold", n03)
LINK(n05, "step.constprop.0", n04)
LINK(n06, "dispatch.constprop.0.isra.0", n05)
LINK(n07, "run.lto_priv.0", n06)
LINK(n08, "ngx_like_process_events", n07)
LINK(n09, "mod__sub__fn", n08)
LINK(n10, "Mixed__Case", n09)
LINK(n11, "retry__2", n10)
LINK(n12, "endsB", n11)
LINK(n13, "loop$3", n12)
LINK(n14, "plain_name9", n13)
LINK(n15, "_leading__under", n14)

static void *other(void *arg)
{
	(void)arg;
	n05();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, other, NULL))
		return 1;
	n15();
	return 0;
}
