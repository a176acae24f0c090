// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms (stack/ksyms.c): loaded with names, then looked up both ways. */
#include "fuzz.h"
#include "stack/stack.h"
#include "stack/stack_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_ksyms *k = NULL;
	const char *name, *mod;
	uint64_t off, addr;
	struct rs_frame f;

	if (rs_ksyms_parse(fuzz_str(data, size), size, size && data[0] & 1, &k))
		return 0;
	/* addresses around each 8-byte group of the input, and the extremes */
	for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
		memcpy(&addr, data + i, 8);
		name = rs_ksyms_lookup(k, addr, &off, &mod);
		if (name && !rs_ksyms_addr(k, name, mod, off, 0, &addr))
			rs_ksyms_addr(k, name, mod, off, off + 1, &addr);
	}
	rs_ksyms_lookup(k, 0, NULL, NULL);
	rs_ksyms_lookup(k, UINT64_MAX, NULL, NULL);
	if (!rs_kframe(k, UINT64_MAX - 1, &f))
		rs_frame_clear(&f);
	rs_ksyms_addr(k, "", NULL, 0, 0, &addr);
	rs_ksyms_free(k);
	return 0;
}
