// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/maps (stack/maps.c): parsed, then looked up. */
#include "fuzz.h"
#include "stack/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct rs_maps m = { 0 };

	if (!rs_maps_parse(s, &m)) {
		for (size_t i = 0; i < m.n; i++) {
			const struct rs_map *f = rs_maps_find(&m, m.v[i].start);

			/* what is found holds the address */
			if (f && (f->start > m.v[i].start || f->end <= m.v[i].start))
				abort();
			rs_maps_find(&m, m.v[i].end);
		}
		rs_maps_find(&m, 0);
		rs_maps_find(&m, UINT64_MAX);
		rs_maps_clear(&m);
	}
	free(s);
	return 0;
}
