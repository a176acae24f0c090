// SPDX-License-Identifier: GPL-2.0
/*
 * rsample: what every thread of a process or pod is doing right now, without
 * stopping it. main() only parses the command line and runs the command
 * (cmd/); the commands return the documented exit codes: 0 ok, 1 partial,
 * 2 fatal, 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"
#include "cmd/cmd.h"
#include "lib/lib.h"

/*
 * make static builds this file with RS_STATIC (static.mk): --version says so, and
 * DEBUGINFOD_URLS gets one line, as libdw reaches debuginfod through dlopen, which a
 * static executable cannot do (user/stack/elfopen.c never asks it there).
 */
#ifdef RS_STATIC
#define RS_LINKAGE " (static; no debuginfod)"
#else
#define RS_LINKAGE ""
#endif

static void static_notes(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (*RS_LINKAGE && urls && *urls)
		rs_msg("debuginfod is not available in the static build: DEBUGINFOD_URLS ignored, "
		       "debug info is read only from the target's files (use the dynamically "
		       "linked build/rsample for debuginfod)");
}

int main(int argc, char **argv)
{
	struct rs_opts o;
	char err[512] = "";
	int ret;

	if (rs_opts_parse(argc, argv, &o, err, sizeof(err))) {
		rs_opts_usage_error(err);
		return RS_EXIT_USAGE;
	}
	if (o.help) {
		rs_opts_usage(stdout);
		ret = RS_EXIT_OK;
	} else if (o.version) {
		printf("rsample %s%s\n", RS_VERSION, RS_LINKAGE);
		ret = RS_EXIT_OK;
	} else if (o.cmd == RS_CMD_CHECK) {
		static_notes();
		ret = rs_cmd_check(&o);
	} else if (o.cmd == RS_CMD_WATCH) {
		ret = rs_cmd_watch(&o);
	} else if (o.cmd == RS_CMD_PROFILE) {
		static_notes();
		ret = rs_cmd_profile(&o);
	} else {
		static_notes();
		ret = rs_cmd_snapshot(&o);
	}
	rs_opts_free(&o);
	return ret;
}
