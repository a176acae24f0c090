// SPDX-License-Identifier: GPL-2.0
/* The folded-format reader the output tests use (tests/unit/out/folded_parse.h). */
#include "fuzz.h"
#include "out/folded_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_stacks st;
	size_t bad = 0;

	if (!rs_folded_parse((const char *)data, size, &st, &bad))
		rs_stacks_clear(&st);
	return 0;
}
