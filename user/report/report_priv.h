/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the text report's files (text*.c); not an interface for other modules. They
 * write with the _unlocked stdio calls: rs_report_text holds f's lock.
 */
#ifndef RS_REPORT_PRIV_H
#define RS_REPORT_PRIV_H

#include <stdio.h>
#include "report/report.h"

/*
 * Writes the thread list of group g: "  tid 4250 (ns 14) "name"" lines, or
 * for large groups "  tids 4300-4349, 4351 (ns …)" and "  names "w" x49, …".
 * Host ids only when no thread of the group has other ids in its namespace.
 * Returns 0 or -ENOMEM.
 */
int rs_text_put_threads(FILE *f, const struct rs_group *g);

/* s with what cannot be shown escaped (rs_fput_safe); and quoted, at most max bytes (text.c). */
void rs_text_put_str(FILE *f, const char *s);
void rs_text_put_quoted(FILE *f, const char *s, size_t max);
/* The "DEADLOCK:" lines of process p (text_locks.c). */
void rs_text_put_deadlocks(FILE *f, const struct rs_process *p);
/* The "lock:" lines of group g: owners where recorded, else the contended lock, named. */
void rs_text_put_locks(FILE *f, const struct rs_group *g);
/* The "holds:" lines of a group ranked RS_RANK_HOLDS_LOCK: each mutex it holds that a thread waits
 * for. */
void rs_text_put_holds(FILE *f, const struct rs_group *g);
/* The "may hold:" line of a group ranked RS_RANK_MAY_HOLD (nothing for others). */
void rs_text_put_may_hold(FILE *f, const struct rs_group *g);

/*
 * --compare (text_verdict.c): the header's "compared 2 snapshots over 2.0s: …"
 * and "exited between the snapshots:" lines (nothing for one snapshot), and
 * a group's "  [stuck 2.0s]" tag (nothing without a verdict).
 */
void rs_text_put_compare(FILE *f, const struct rs_snapshot *s);
void rs_text_put_verdict(FILE *f, const struct rs_group *g);

#endif
