// SPDX-License-Identifier: GPL-2.0
/*
 * The thread list of one group in the text report: each thread on its own
 * line for small groups, tid ranges and name counts for large ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"
#include "report/report_priv.h"
#include "lib/lib.h"

#define TIDS_LISTED_MAX 4  /* groups up to this size list each thread on its own line */
#define RANGES_MAX	16 /* "tids 1-4, 7, 9-12": pieces shown before "... (+N more)" */
#define NAMES_MAX	8  /* distinct names shown for a large group */

static void put_name(FILE *f, const char *name, size_t max)
{
	putc_unlocked('"', f);
	rs_fput_safe(f, name, max, true);
	putc_unlocked('"', f);
}

/* "4300-4349, 4351" from n ids; consecutive ids become ranges. */
static void put_ranges(FILE *f, const struct rs_group *g, bool ns)
{
	size_t pieces = 0, i = 0, j;

	while (i < g->n) {
		uint32_t first = ns ? g->threads[i]->ns_tid : g->threads[i]->tid, last = first;

		for (j = i + 1; j < g->n; j++) {
			uint32_t v = ns ? g->threads[j]->ns_tid : g->threads[j]->tid;

			if (v != last + 1)
				break;
			last = v;
		}
		if (pieces == RANGES_MAX) {
			fprintf(f, ", ... (+%zu more)", g->n - i);
			return;
		}
		fprintf(f, pieces ? ", %u" : "%u", first);
		if (last != first)
			fprintf(f, "-%u", last);
		pieces++;
		i = j;
	}
}

static int cmp_name(const void *pa, const void *pb)
{
	const struct rs_thread *const *a = pa, *const *b = pb;

	return strncmp((*a)->name, (*b)->name, sizeof((*a)->name));
}

/* Names of a large group: "tokio-runtime-w" x49, "main" x1. */
static int put_names(FILE *f, const struct rs_group *g)
{
	const struct rs_thread **v;
	size_t(*runs)[2]; /* {index into v, count} */
	size_t n_runs = 0;

	v = malloc(g->n * sizeof(*v));
	runs = malloc(g->n * sizeof(*runs));
	if (!v || !runs) {
		free(v);
		free(runs);
		return -ENOMEM;
	}
	memcpy(v, g->threads, g->n * sizeof(*v));
	qsort(v, g->n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < g->n; i++) {
		if (i && !cmp_name(&v[i], &v[i - 1])) {
			runs[n_runs - 1][1]++;
			continue;
		}
		runs[n_runs][0] = i;
		runs[n_runs++][1] = 1;
	}
	/* most frequent first; qsort above made ties alphabetical: keep them (stable pass) */
	for (size_t i = 1; i < n_runs; i++) {
		size_t r[2] = { runs[i][0], runs[i][1] }, j = i;

		for (; j > 0 && runs[j - 1][1] < r[1]; j--)
			memcpy(runs[j], runs[j - 1], sizeof(runs[j]));
		memcpy(runs[j], r, sizeof(r));
	}
	fputs_unlocked("  names ", f);
	for (size_t i = 0; i < n_runs && i < NAMES_MAX; i++) {
		const struct rs_thread *t = v[runs[i][0]];

		if (i)
			fputs_unlocked(", ", f);
		put_name(f, t->name, sizeof(t->name));
		fprintf(f, " x%zu", runs[i][1]);
	}
	if (n_runs > NAMES_MAX)
		fprintf(f, ", ... (+%zu more)", n_runs - NAMES_MAX);
	putc_unlocked('\n', f);
	free(v);
	free(runs);
	return 0;
}

int rs_text_put_threads(FILE *f, const struct rs_group *g)
{
	bool ns_differ = false;

	for (size_t i = 0; i < g->n; i++)
		ns_differ |= g->threads[i]->ns_tid && g->threads[i]->ns_tid != g->threads[i]->tid;
	if (g->n <= TIDS_LISTED_MAX) {
		for (size_t i = 0; i < g->n; i++) {
			const struct rs_thread *t = g->threads[i];

			fprintf(f, "  tid %u", t->tid);
			if (ns_differ)
				fprintf(f, " (ns %u)", t->ns_tid);
			putc_unlocked(' ', f);
			put_name(f, t->name, sizeof(t->name));
			putc_unlocked('\n', f);
		}
		return 0;
	}
	fputs_unlocked("  tids ", f);
	put_ranges(f, g, false);
	if (ns_differ) {
		fputs_unlocked(" (ns ", f);
		put_ranges(f, g, true);
		putc_unlocked(')', f);
	}
	putc_unlocked('\n', f);
	return put_names(f, g);
}
