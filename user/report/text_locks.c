// SPDX-License-Identifier: GPL-2.0
/*
 * The text report's lock lines: deadlock cycles, the lock a group waits on
 * (named as a data symbol when it is one), and for a group that may hold a
 * lock, the unowned contended locks of its process.
 */
#include <inttypes.h>
#include <string.h>
#include "report/report.h"
#include "report/report_priv.h"
#include "lib/lib.h"

static const struct rs_thread *thread_by_tid(const struct rs_process *p, uint32_t tid)
{
	for (size_t i = 0; i < p->n_threads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

/* " (asyncd::STATE)": what the lock's address is, when it is more than unknown memory. */
static void put_lock_name(FILE *f, const struct rs_thread *t)
{
	char name[256];

	if (t->lock_name.region == RS_DATA_UNKNOWN)
		return;
	rs_data_name_format(&t->lock_name, name, sizeof(name));
	fputs_unlocked(" (", f);
	rs_text_put_str(f, name);
	putc_unlocked(')', f);
}

/* "DEADLOCK: tid 12 "a" waits for mutex 0x… (m) held by tid 13 "b", which waits for … tid 12" */
void rs_text_put_deadlocks(FILE *f, const struct rs_process *p)
{
	for (uint32_t d = 1; d <= p->n_deadlocks; d++) {
		const struct rs_thread *start = NULL, *t;

		for (size_t i = 0; i < p->n_threads && !start; i++)
			if (p->threads[i].deadlock == d)
				start = &p->threads[i];
		if (!start)
			continue;
		fputs_unlocked("  DEADLOCK: ", f);
		t = start;
		do {
			fprintf(f, "tid %u ", t->tid);
			rs_text_put_quoted(f, t->name, sizeof(t->name));
			fprintf(f, "%s waits for mutex 0x%" PRIx64, t == start ? "" : ", which",
				t->mutex_addr);
			put_lock_name(f, t);
			fputs_unlocked(" held by ", f);
			t = thread_by_tid(p, t->mutex_owner_tid);
		} while (t && t != start);
		fprintf(f, "tid %u\n", start->tid);
	}
}

/* "std Mutex 0x55… (asyncd::STATE)", or "parking_lot lock (address not in the wait)" */
static void put_lock_word(FILE *f, const struct rs_thread *t)
{
	rs_text_put_str(f, rs_lock_kind_text(t->lock_kind));
	if (!t->mutex_addr) {
		fputs_unlocked(" (address not in the wait)", f);
		return;
	}
	fprintf(f, " 0x%" PRIx64, t->mutex_addr);
	put_lock_name(f, t);
}

/*
 * One line per thread of the group that waits for a mutex held by another
 * captured thread; one line for the group's contended lock that records no
 * owner (the group key keeps one such lock per group).
 */
void rs_text_put_locks(FILE *f, const struct rs_group *g)
{
	bool unowned = false;

	for (size_t i = 0; i < g->n; i++) {
		const struct rs_thread *t = g->threads[i], *o;

		o = t->waits_mutex ? thread_by_tid(g->proc, t->mutex_owner_tid) : NULL;
		if (!o) {
			unowned |= t->lock_kind != RS_LOCK_NONE;
			continue;
		}
		fprintf(f, "  lock: tid %u waits for mutex 0x%" PRIx64, t->tid, t->mutex_addr);
		put_lock_name(f, t);
		fprintf(f, " held by tid %u ", o->tid);
		rs_text_put_quoted(f, o->name, sizeof(o->name));
		fputs_unlocked(t->deadlock ? "  [deadlock]\n" : "\n", f);
	}
	if (!unowned)
		return;
	for (size_t i = 0; i < g->n; i++) {
		const struct rs_thread *t = g->threads[i];

		if (t->waits_mutex || !t->lock_kind)
			continue;
		fprintf(f, "  lock: %zu thread%s wait%s for ", g->n, g->n == 1 ? "" : "s",
			g->n == 1 ? "s" : "");
		put_lock_word(f, t);
		fputs_unlocked(t->lock_kind == RS_LOCK_GLIBC_MUTEX
				   ? ", contended; its owner is not captured\n"
				   : ", contended; owner not recorded\n",
			       f);
		return;
	}
}

/*
 * For a group that may hold a lock: the contended locks of its process
 * that record no owner, each said once, with how many threads wait on it.
 */
void rs_text_put_may_hold(FILE *f, const struct rs_group *g)
{
	const struct rs_process *p = g->proc;
	size_t said = 0;

	if (g->reason != RS_RANK_MAY_HOLD)
		return;
	fputs_unlocked("  may hold:", f);
	for (size_t i = 0; i < p->n_threads; i++) {
		const struct rs_thread *t = &p->threads[i];
		size_t waiters = 0;
		bool seen = false;

		if (!t->lock_kind || t->waits_mutex)
			continue;
		for (size_t j = 0; j < p->n_threads; j++) {
			const struct rs_thread *u = &p->threads[j];
			bool same = u->lock_kind == t->lock_kind && !u->waits_mutex &&
				    u->mutex_addr == t->mutex_addr;

			seen |= same && j < i;
			waiters += same;
		}
		if (seen)
			continue;
		fputs_unlocked(said++ ? "; " : " ", f);
		put_lock_word(f, t);
		fprintf(f, ", %zu waiting", waiters);
	}
	fputs_unlocked(" (these locks record no owner)\n", f);
}

void rs_text_put_holds(FILE *f, const struct rs_group *g)
{
	const struct rs_process *p = g->proc;

	if (g->reason != RS_RANK_HOLDS_LOCK)
		return;
	for (size_t i = 0; i < g->n; i++) {
		for (size_t j = 0; j < p->n_threads; j++) {
			const struct rs_thread *u = &p->threads[j];

			if (!u->waits_mutex || u->mutex_owner_tid != g->threads[i]->tid)
				continue;
			fprintf(f, "  holds: tid %u holds mutex 0x%" PRIx64, g->threads[i]->tid,
				u->mutex_addr);
			put_lock_name(f, u);
			fprintf(f, ", which tid %u ", u->tid);
			rs_text_put_quoted(f, u->name, sizeof(u->name));
			fputs_unlocked(" waits for\n", f);
		}
	}
}
