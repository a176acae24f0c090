// SPDX-License-Identifier: GPL-2.0
/* Durations (lib/duration.c): -d, --threshold and the other duration options. */
#include "fuzz.h"
#include "lib/lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), buf[32];
	uint64_t ns = 0;

	if (!rs_parse_duration(s, &ns)) {
		uint64_t again;

		/* what reports print parses back */
		rs_format_duration(ns, buf, sizeof(buf));
		if (rs_parse_duration(buf, &again))
			abort();
	}
	free(s);
	return 0;
}
