/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 'rsample profile' subcommand: resolves the target, samples it on-CPU
 * and/or off-CPU, and writes one profile (-o FILE or stdout), or one per
 * --interval into --out-dir until -d ends or SIGINT/SIGTERM arrives (the
 * partial last interval is written too).
 */
#ifndef RS_PROFILE_RUN_H
#define RS_PROFILE_RUN_H

#include "cli/cli.h"

/*
 * Runs the subcommand for options o (o->cmd == RS_CMD_PROFILE). Diagnostics
 * go to stderr, a profile without -o or --out-dir to stdout. Installs
 * SIGINT and SIGTERM handlers for its duration. Returns an RS_EXIT_* code:
 * OK; PARTIAL when samples or events were lost or an interval could not be
 * written; FATAL when the target is not found, BPF cannot load, or the
 * output cannot be written at all.
 */
int rs_profile_main(const struct rs_opts *o);

#endif
