/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The commands (cmd.h): each one's top level, from parsed options to an
 * exit code. Diagnostics go to stderr, the report or profile to stdout (or
 * the files the options name).
 */
#ifndef RS_CMD_H
#define RS_CMD_H

#include "cli/cli.h"

/*
 * 'rsample [snapshot]' (snapshot.c): resolves the target, captures every
 * thread once, unwinds and symbolizes, prints the hang report (text or
 * JSON). Returns an RS_EXIT_* code: OK; PARTIAL when some threads or modules
 * could not be read; FATAL when the target is not found, the capture cannot
 * run, or the report cannot be written.
 */
int rs_cmd_snapshot(const struct rs_opts *o);

/*
 * 'rsample profile' (profile.c): resolves the target, samples it on-CPU
 * and/or off-CPU, and writes one profile (-o FILE or stdout), or one per
 * --interval into --out-dir until -d ends or SIGINT/SIGTERM arrives (the
 * partial last interval is written too). Installs SIGINT and SIGTERM
 * handlers for its duration. Returns an RS_EXIT_* code: OK; PARTIAL when
 * samples or events were lost or an interval could not be written; FATAL
 * when the target is not found, BPF cannot load, or the output cannot be
 * written at all.
 */
int rs_cmd_profile(const struct rs_opts *o);

/*
 * 'rsample watch' (watch.c): loads the snapshot's BPF object once and, every
 * --interval until SIGINT/SIGTERM, looks at the target's threads without
 * stacks; a process with a thread blocked past --threshold in a wait that
 * is not idle (README "Hang watch") gets one report per incident (text, or
 * one JSON line with --json; a file in --out-dir too) and one "cleared:"
 * line when it ends. Installs SIGINT and SIGTERM handlers for its duration.
 * Returns RS_EXIT_OK when stopped by a signal, PARTIAL when an incident's
 * file could not be written, FATAL when the target is not found, BPF cannot
 * load, stdout fails or the watched cgroup is removed.
 */
int rs_cmd_watch(const struct rs_opts *o);

/*
 * 'rsample check' (check.c): what rsample can do on this kernel, and by
 * which mechanism, one line per capability on stdout (-v: the kernel
 * features too). The BPF objects are loaded, not attached, as the commands
 * would load them. Returns RS_EXIT_OK when everything works, PARTIAL when
 * something does not, FATAL when no snapshot can be taken.
 */
int rs_cmd_check(const struct rs_opts *o);

#endif
