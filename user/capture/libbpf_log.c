// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("RSAMPLE_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void rs_libbpf_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}
