// SPDX-License-Identifier: GPL-2.0
/*
 * rsample: what every thread of a process or pod is doing right now, without
 * stopping it. main() only parses the command line and runs the command
 * (cmd/); the commands return the documented exit codes: 0 ok, 1 partial,
 * 2 fatal, 64 usage.
 */
#include <stdio.h>
#include "cli/cli.h"
#include "cmd/cmd.h"
#include "lib/lib.h"

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
		printf("rsample %s\n", RS_VERSION);
		ret = RS_EXIT_OK;
	} else if (o.cmd == RS_CMD_CHECK) {
		ret = rs_cmd_check(&o);
	} else if (o.cmd == RS_CMD_WATCH) {
		ret = rs_cmd_watch(&o);
	} else if (o.cmd == RS_CMD_PROFILE) {
		ret = rs_cmd_profile(&o);
	} else {
		ret = rs_cmd_snapshot(&o);
	}
	rs_opts_free(&o);
	return ret;
}
