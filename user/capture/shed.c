// SPDX-License-Identifier: GPL-2.0
/*
 * Self-protection of the profile reader (capture_priv.h): which on-CPU
 * samples are taken in, so that rsample's own CPU time stays within
 * --max-cpu whatever the rate.
 *
 * Each cycle (at least SHED_CYCLE_NS) compares the CPU time rsample used
 * with what the budget allowed for that stretch of wall time, and scales
 * the share of samples kept: down at once when over, up by at most a
 * factor of two per cycle when under. Kept samples are spread evenly over
 * the records (a running sum, no randomness), so the profile keeps its
 * shape; the rest are counted and dropped without being unwound.
 *
 * Unwinding is not the only cost: at tens of kHz the sampling interrupts
 * themselves (and, in a VM, their exits) can take the CPUs from everyone,
 * rsample included. So the kernel's rate adapts too (rs_rate_step): it
 * starts at no more than RS_RATE_START Hz (1000), doubles every calm cycle
 * up to -F, and halves, not below 1000 Hz, in a cycle with pressure
 * (samples lost in a full ring buffer, samples shed for --max-cpu, a poll
 * that returned late, or a wait woken 10 ms past its timeout with little
 * to read: the CPUs were busy elsewhere, at 100 kHz with the interrupts
 * themselves). A rate that caused pressure is a ceiling for a
 * while: after RS_RATE_PROBE_CYCLES calm cycles it rises by a quarter.
 */
#include "capture/capture_priv.h"

#define SHED_CYCLE_NS 100000000ull /* 100 ms: the reader's poll period */
#define SHED_MIN_KEEP 1e-4	   /* never below one sample in 10 000 */

void rs_shed_init(struct rs_shed *b, uint32_t pct, uint64_t wall_ns, uint64_t cpu_ns)
{
	b->pct = pct;
	b->keep = 1.0;
	b->acc = 0.0;
	b->wall0 = wall_ns;
	b->cpu0 = cpu_ns;
}

bool rs_shed_cycle(struct rs_shed *b, uint64_t wall_ns, uint64_t cpu_ns)
{
	double allowed, used, ratio;

	if (wall_ns < b->wall0 + SHED_CYCLE_NS)
		return false;
	if (!b->pct) {
		b->wall0 = wall_ns;
		return true;
	}
	allowed = (double)(wall_ns - b->wall0) * b->pct / 100.0;
	used = cpu_ns > b->cpu0 ? (double)(cpu_ns - b->cpu0) : 0.0;
	b->wall0 = wall_ns;
	b->cpu0 = cpu_ns;
	ratio = used > 0 ? allowed / used : 2.0;
	if (ratio > 2.0)
		ratio = 2.0;
	b->keep *= ratio;
	if (b->keep > 1.0)
		b->keep = 1.0;
	if (b->keep < SHED_MIN_KEEP)
		b->keep = SHED_MIN_KEEP;
	return true;
}

bool rs_shed_keep(struct rs_shed *b)
{
	b->acc += b->keep;
	if (b->acc < 1.0)
		return false;
	b->acc -= 1.0;
	return true;
}

void rs_rate_init(struct rs_rate *r, uint32_t want_hz)
{
	r->want = want_hz;
	r->floor = want_hz < RS_RATE_START ? want_hz : RS_RATE_START;
	r->cur = r->floor;
	r->lowest = r->cur;
	r->ceiling = want_hz;
	r->calm = 0;
}

uint32_t rs_rate_step(struct rs_rate *r, bool pressure)
{
	if (pressure) {
		/* what caused pressure is not tried again soon: the ceiling is the rate halved */
		r->cur = r->cur / 2 > r->floor ? r->cur / 2 : r->floor;
		r->ceiling = r->cur;
		r->calm = 0;
	} else if (r->cur < r->ceiling) {
		r->cur = r->cur > r->ceiling / 2 ? r->ceiling : r->cur * 2;
	} else if (++r->calm >= RS_RATE_PROBE_CYCLES && r->ceiling < r->want) {
		/* calm at the ceiling for a while: probe a quarter higher */
		r->ceiling = r->ceiling > r->want / 5 * 4 ? r->want : r->ceiling / 4 * 5;
		r->calm = 0;
	}
	if (r->cur < r->lowest)
		r->lowest = r->cur;
	return r->cur;
}
