// SPDX-License-Identifier: GPL-2.0
/* Growing arrays (lib.h): the one doubling realloc every growing array in user/ shares. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "lib/lib.h"

int rs_grow(void *arrayp, size_t *cap, size_t n, size_t elem, size_t first)
{
	void **array = arrayp;
	size_t c = *cap;
	void *v;

	if (n < c)
		return 0;
	c = c ? c : first;
	while (c <= n) {
		if (c > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		c *= 2;
	}
	v = realloc(*array, c * elem);
	if (!v)
		return -ENOMEM;
	*array = v;
	*cap = c;
	return 0;
}
