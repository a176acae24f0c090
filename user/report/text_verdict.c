// SPDX-License-Identifier: GPL-2.0
/*
 * The text report's --compare lines (report_priv.h): the header's count of
 * verdicts, the threads that exited between the captures, and each group's
 * "[stuck 2.0s]" tag. The verdicts themselves are verdict.c's.
 */
#include <stdio.h>
#include "lib/lib.h"
#include "report/report.h"
#include "report/report_priv.h"

/* At most this many exited threads are named; the rest are counted. */
#define EXITED_SHOWN 8

void rs_text_put_compare(FILE *f, const struct rs_snapshot *s)
{
	static const enum rs_verdict shown[] = { RS_VERDICT_STUCK, RS_VERDICT_SPINNING,
						 RS_VERDICT_PROGRESSING, RS_VERDICT_IDLE,
						 RS_VERDICT_NEW };
	const struct rs_compare *c = &s->compare;
	size_t count[RS_VERDICT_EXITED + 1] = { 0 };
	char buf[32];

	if (!c->captures)
		return;
	for (size_t i = 0; i < s->n_procs; i++)
		for (size_t j = 0; j < s->procs[i].n_threads; j++)
			count[s->procs[i].threads[j].v.verdict]++;
	rs_format_duration(c->interval_ns, buf, sizeof(buf));
	fprintf(f, "compared %zu snapshots over %s:", c->captures, buf);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		fprintf(f, "%s %zu %s", i ? "," : "", count[shown[i]], rs_verdict_id(shown[i]));
	fprintf(f, ", %zu exited\n", c->n_exited);
	if (!c->n_exited)
		return;
	fputs_unlocked("exited between the snapshots:", f);
	for (size_t i = 0; i < c->n_exited && i < EXITED_SHOWN; i++) {
		fprintf(f, "%s pid %u tid %u ", i ? "," : "", c->exited[i].pid, c->exited[i].tid);
		rs_text_put_quoted(f, c->exited[i].name, sizeof(c->exited[i].name));
	}
	if (c->n_exited > EXITED_SHOWN)
		fprintf(f, " and %zu more", c->n_exited - EXITED_SHOWN);
	putc_unlocked('\n', f);
}

/* ns as a percent of a thread's interval (0 when unknown). */
static unsigned int pct_of(const struct rs_thread_verdict *v, uint64_t ns)
{
	if (!v->cpu_known || !v->wall_ns)
		return 0;
	return (unsigned int)((ns * 100 + v->wall_ns / 2) / v->wall_ns);
}

void rs_text_put_verdict(FILE *f, const struct rs_group *g)
{
	uint64_t wall = UINT64_MAX, switches = 0;
	unsigned int lo = UINT32_MAX, hi = 0, waited = 0;
	bool cpu_known = true;
	char buf[32];

	if (g->verdict == RS_VERDICT_NONE)
		return;
	for (size_t i = 0; i < g->n; i++) {
		const struct rs_thread_verdict *v = &g->threads[i]->v;
		unsigned int pct = pct_of(v, v->cpu_ns_delta), w = pct_of(v, v->runnable_ns_delta);

		wall = v->wall_ns < wall ? v->wall_ns : wall;
		switches += v->ctxsw_delta;
		lo = pct < lo ? pct : lo;
		hi = pct > hi ? pct : hi;
		waited = w > waited ? w : waited;
		cpu_known &= v->cpu_known;
	}
	fprintf(f, "  [%s", rs_verdict_id(g->verdict));
	switch (g->verdict) {
	case RS_VERDICT_STUCK:
		rs_format_duration(wall, buf, sizeof(buf));
		fprintf(f, " %s", buf);
		break;
	case RS_VERDICT_SPINNING:
	case RS_VERDICT_PROGRESSING:
		if (!cpu_known)
			fputs_unlocked(", CPU time unknown", f);
		else if (lo == hi)
			fprintf(f, " %u%% CPU", hi);
		else
			fprintf(f, " %u-%u%% CPU", lo, hi);
		/* a spinning thread on a busy node: the CPU it wanted and did not get */
		if (g->verdict == RS_VERDICT_SPINNING && cpu_known && waited)
			fprintf(f, ", up to %u%% waiting for one", waited);
		if (g->verdict == RS_VERDICT_PROGRESSING)
			fprintf(f, ", %llu switch%s", (unsigned long long)switches,
				switches == 1 ? "" : "es");
		break;
	default:
		break;
	}
	putc_unlocked(']', f);
}
