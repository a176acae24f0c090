// SPDX-License-Identifier: GPL-2.0
/* The "rsample: " prefix of every message on stderr, in one place. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lib.h"

#define PREFIX "rsample: "

void rs_msg(const char *fmt, ...)
{
	char *text = NULL;
	const char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	s = n < 0 ? fmt : text;
	if (!strncmp(s, PREFIX, strlen(PREFIX)))
		s += strlen(PREFIX);
	fprintf(stderr, PREFIX "%s\n", s);
	free(text);
}
