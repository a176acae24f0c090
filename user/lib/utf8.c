// SPDX-License-Identifier: GPL-2.0
/* UTF-8 validation and printing for the report writers: names and paths come from the target as raw
 * bytes. */
#include <string.h>
#include "lib/lib.h"

size_t rs_utf8_seq_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (!n)
		return 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* the second byte's range excludes overlong forms, surrogates and > U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void rs_fput_safe(FILE *f, const char *s, size_t len, bool quoted)
{
	size_t i = 0, l;

	len = strnlen(s, len);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && (l = rs_utf8_seq_len(s + i, len - i))) {
			fwrite_unlocked(s + i, 1, l, f);
			i += l;
			continue;
		}
		if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (quoted && (c == '"' || c == '\\'))
			fprintf(f, "\\%c", c);
		else
			putc_unlocked(c, f);
		i++;
	}
}

size_t rs_utf8_encode(uint32_t cp, char *out)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

void rs_fput_json(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, l;

	n = strnlen(str, n);
	putc_unlocked('"', f);
	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c == '\n') {
			fputs_unlocked("\\n", f);
		} else if (c == '\t') {
			fputs_unlocked("\\t", f);
		} else if (c == '\r') {
			fputs_unlocked("\\r", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c >= 0x80) {
			l = rs_utf8_seq_len(str + i, n - i);
			if (!l) {
				fputs_unlocked("\\ufffd", f);
				i++;
				continue;
			}
			fwrite_unlocked(s + i, 1, l, f);
			i += l;
			continue;
		} else {
			putc_unlocked(c, f);
		}
		i++;
	}
	putc_unlocked('"', f);
}
