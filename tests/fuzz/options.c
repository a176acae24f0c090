// SPDX-License-Identifier: GPL-2.0
/*
 * The command line (cli/options.c): every option value parser (pids, sizes,
 * durations, rates, formats, paths). The input is argv, words split at NUL.
 */
#include "fuzz.h"
#include "cli/cli.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct rs_opts o;
	size_t pos = 0;
	int argc = 0;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	argv[argc++] = (char *)"rsample";
	while (pos < size && argc <= MAX_ARGS) {
		argv[argc++] = s + pos;
		pos += strlen(s + pos) + 1;
	}
	argv[argc] = NULL;
	if (!rs_opts_parse(argc, argv, &o, err, sizeof(err)))
		rs_opts_free(&o);
	else if (!err[0])
		abort(); /* every failure says why */
	free(s);
	return 0;
}
