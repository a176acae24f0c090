// SPDX-License-Identifier: GPL-2.0
/* Lexical path cleaning (lib.h). */
#include <string.h>
#include "lib/lib.h"

void rs_path_clean(char *path)
{
	bool abs = path[0] == '/';
	size_t w = abs, up = 0; /* write offset; leading ".." kept in a relative path */
	const char *r = path;

	while (*r) {
		size_t n;

		while (*r == '/')
			r++;
		n = strcspn(r, "/");
		if (!n || (n == 1 && r[0] == '.')) {
			r += n;
			continue;
		}
		if (n == 2 && r[0] == '.' && r[1] == '.') {
			r += n;
			if (w > up + abs) { /* drop the last component written */
				while (w > up + abs && path[w - 1] != '/')
					w--;
				if (w > up + abs)
					w--; /* its separator */
				continue;
			}
			if (abs)
				continue; /* ".." of the root is the root */
			if (w)
				path[w++] = '/';
			memcpy(path + w, "..", 2);
			w += 2;
			up = w;
			continue;
		}
		if (w > abs)
			path[w++] = '/';
		memmove(path + w, r, n);
		w += n;
		r += n;
	}
	if (!w)
		path[w++] = '.';
	path[w] = '\0';
}
