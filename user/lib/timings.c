// SPDX-License-Identifier: GPL-2.0
/*
 * Phase timings (lib.h): wall and CPU milliseconds summed per named phase,
 * printed on stderr by 'rsample snapshot --timings'.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lib/lib.h"

#define RS_PHASES_MAX 64

struct phase {
	char name[64];
	uint64_t wall_ns, cpu_ns;
	unsigned int count;
};

static atomic_bool enabled;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct phase phases[RS_PHASES_MAX];
static size_t n_phases;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rs_timings_enable(void)
{
	atomic_store(&enabled, true);
}

bool rs_timings_on(void)
{
	return atomic_load_explicit(&enabled, memory_order_relaxed);
}

void rs_tmark_start(struct rs_tmark *m)
{
	if (!rs_timings_on()) {
		m->wall_ns = m->cpu_ns = 0;
		return;
	}
	m->wall_ns = rs_mono_ns();
	m->cpu_ns = thread_cpu_ns();
}

void rs_timings_add(const struct rs_tmark *m, const char *fmt, ...)
{
	uint64_t wall, cpu;
	struct phase *ph = NULL;
	char name[sizeof(phases[0].name)];
	va_list ap;

	if (!rs_timings_on() || !m->wall_ns)
		return;
	wall = rs_mono_ns() - m->wall_ns;
	cpu = thread_cpu_ns() - m->cpu_ns;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_phases && !ph; i++)
		if (!strcmp(phases[i].name, name))
			ph = &phases[i];
	if (!ph && n_phases < RS_PHASES_MAX - 1) {
		ph = &phases[n_phases++];
		snprintf(ph->name, sizeof(ph->name), "%s", name);
	}
	if (!ph) { /* the last slot sums the rest */
		ph = &phases[RS_PHASES_MAX - 1];
		snprintf(ph->name, sizeof(ph->name), "other");
		n_phases = RS_PHASES_MAX;
	}
	ph->wall_ns += wall;
	ph->cpu_ns += cpu;
	ph->count++;
	pthread_mutex_unlock(&lock);
}

void rs_timings_print(const struct rs_tmark *since_start)
{
	struct timespec ts;
	uint64_t cpu = 0;

	if (!rs_timings_on())
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_phases; i++) {
		const struct phase *ph = &phases[i];

		if (ph->count > 1)
			rs_msg("timings: %-52s wall %8.2f ms  cpu %8.2f ms  (%u times)", ph->name,
			       (double)ph->wall_ns / 1e6, (double)ph->cpu_ns / 1e6, ph->count);
		else
			rs_msg("timings: %-52s wall %8.2f ms  cpu %8.2f ms", ph->name,
			       (double)ph->wall_ns / 1e6, (double)ph->cpu_ns / 1e6);
	}
	pthread_mutex_unlock(&lock);
	/* the whole process's CPU: every thread's, the drain thread's included */
	if (!clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		cpu = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	rs_msg("timings: %-52s wall %8.2f ms  cpu %8.2f ms", "total",
	       (double)(rs_mono_ns() - since_start->wall_ns) / 1e6, (double)cpu / 1e6);
}
