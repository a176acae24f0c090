// SPDX-License-Identifier: GPL-2.0
/* Byte counts on the command line and in messages: "64k", "1G", "1.0 GiB". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/lib.h"

int rs_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t v = 0, mult = 1;
	const char *p = s, *u;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			return -EINVAL;
	if (*p) {
		u = strchr(units, *p | 0x20);
		if (!u || !*u)
			return -EINVAL;
		mult = 1ull << (10 * (u - units + 1));
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
	}
	if (*p || __builtin_mul_overflow(v, mult, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

void rs_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (!buf || !len)
		return;
	if (bytes < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
		return;
	}
	for (v /= 1024; v >= 1024 && i + 1 < sizeof(units) / sizeof(units[0]); i++)
		v /= 1024;
	snprintf(buf, len, "%.1f %s", v, units[i]);
}
