/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the text report's files (report_text*.c); not an interface for other modules. */
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

#endif
