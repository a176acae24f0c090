/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_HEX_H
#define RS_HEX_H

/* The value of one hex digit, or -1. */
static inline int rs_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
