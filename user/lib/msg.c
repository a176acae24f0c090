// SPDX-License-Identifier: GPL-2.0
/*
 * The "rsample: " prefix of every message on stderr, in one place, and the
 * promise that a message is one line: what it quotes (a --cgroup value, a
 * path a container chose, a libdw error) may hold newlines or terminal
 * escapes, which are written as \xNN; trailing newlines are dropped.
 */
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
	n = (int)strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	flockfile(stderr);
	fputs(PREFIX, stderr);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			putc_unlocked(c, stderr);
	}
	putc_unlocked('\n', stderr);
	funlockfile(stderr);
	free(text);
}
