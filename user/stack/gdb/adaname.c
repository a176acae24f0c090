// SPDX-License-Identifier: GPL-2.0
/*
 * gdb's reading of a symbol-table name as a GNAT-encoded Ada name (gdb.h).
 *
 * gdb offers every symbol-table ("minimal") symbol to each language's
 * demangler in turn, Ada last. The Ada decoder (gdb/ada-lang.c: ada_decode())
 * accepts far more than GNAT output: a C symbol whose decoding differs from
 * it and is not rejected is taken as Ada and printed decoded. So gdb shows
 * GCC's clones "foo.part.0", "foo.isra.0", "foo.constprop.0" as "foo.part",
 * "foo.isra", "foo.constprop", "foo.cold" as "foo[cold]", and BIND's
 * "isc__trampoline_run" as "isc.trampoline_run". This is the same decoding,
 * written from gdb 13's observed behaviour and the GNAT encoding rules:
 *
 *  - no decoding when the name starts with '_' or '<' (after a leading '.',
 *    "_ada_" or "___ghost_" is skipped);
 *  - a trailing ".<letters>" is a compiler suffix, shown as "[letters]";
 *  - trailing digits after '.', '$', "___" or "__" go; so does a trailing 'N'
 *    after a lowercase letter or digit;
 *  - a "___" must be "___X..." (cut there) or the name is not decoded;
 *  - trailing "TKB", then "TB", then "B" go; then "__<digits>" (digits and
 *    single '_' between digits) or "$<digits>";
 *  - in the rest: leading non-letters are copied; at the start of each name
 *    part an operator ("Oadd" -> "\"+\"") is decoded; "TK__" counts as "__";
 *    "__B_<digits>__" as "__"; "_E<digits>[bs]" (then end or '_') goes; the
 *    'N' of "<lowercase/digits>N__" goes; "U<2 hex>" is a Latin-1 character,
 *    "W<4 hex>" and "WW<8 hex>" UTF-32 ones; 'X' after a letter or digit must
 *    be followed by [bn]* to the end (dropped) or the name is not decoded;
 *    "__" becomes '.';
 *  - the result must hold no uppercase letter and no space.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "stack/gdb/gdb.h"
#include "lib/lib.h"

struct out {
	char *s;
	size_t n;
};

static bool a_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool a_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool a_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool a_alpha(char c)
{
	return a_lower(c) || a_upper(c);
}

static bool a_alnum(char c)
{
	return a_alpha(c) || a_digit(c);
}

static void put(struct out *o, char c)
{
	o->s[o->n++] = c;
}

static void puts_(struct out *o, const char *s)
{
	while (*s)
		put(o, *s++);
}

/* n hex digits at s as a code point, UTF-8 into o; false when not valid. */
static bool put_hex_char(struct out *o, const char *s, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++) {
		int h = rs_hexval(s[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	if (v == 0)
		return true; /* gdb appends the converted string: nothing */
	n = (int)rs_utf8_encode(v, o->s + o->n);
	o->n += (size_t)n;
	return n > 0;
}

static const char *const ada_ops[][2] = {
	{ "Oadd", "\"+\"" },	{ "Osubtract", "\"-\"" }, { "Omultiply", "\"*\"" },
	{ "Odivide", "\"/\"" }, { "Omod", "\"mod\"" },	  { "Orem", "\"rem\"" },
	{ "Oexpon", "\"**\"" }, { "Olt", "\"<\"" },	  { "Ole", "\"<=\"" },
	{ "Ogt", "\">\"" },	{ "Oge", "\">=\"" },	  { "Oeq", "\"=\"" },
	{ "One", "\"/=\"" },	{ "Oand", "\"and\"" },	  { "Oor", "\"or\"" },
	{ "Oxor", "\"xor\"" },	{ "Oconcat", "\"&\"" },	  { "Oabs", "\"abs\"" },
	{ "Onot", "\"not\"" },
};

/* The length of name without the trailing parts gdb drops; -1: not decodable. */
static int trim(const char *e, int len, int *suffix)
{
	const char *p;
	int i;

	/* ".<letters>" at the end: a compiler suffix ("foo.cold") */
	for (i = len - 1; i > 0 && a_alpha(e[i]); i--)
		;
	if (i > 0 && e[i] == '.') {
		*suffix = i + 1;
		len = i;
	}
	/* digits after '.', '$', "___" or "__" */
	if (len > 1 && a_digit(e[len - 1])) {
		for (i = len - 2; i > 0 && a_digit(e[i]); i--)
			;
		if (i >= 0 && (e[i] == '.' || e[i] == '$'))
			len = i;
		else if (i >= 2 && !strncmp(e + i - 2, "___", 3))
			len = i - 2;
		else if (i >= 1 && !strncmp(e + i - 1, "__", 2))
			len = i - 1;
	}
	/* protected object subprograms: a trailing 'N' */
	if (len > 1 && e[len - 1] == 'N' && (a_digit(e[len - 2]) || a_lower(e[len - 2])))
		len--;
	p = strstr(e, "___");
	if (p && p - e < len - 3) {
		if (p[3] != 'X')
			return -1;
		len = (int)(p - e);
	}
	if (len > 3 && !strncmp(e + len - 3, "TKB", 3))
		len -= 3;
	if (len > 2 && !strncmp(e + len - 2, "TB", 2))
		len -= 2;
	if (len > 1 && e[len - 1] == 'B')
		len--;
	if (len > 1 && a_digit(e[len - 1])) {
		for (i = len - 2;
		     (i >= 0 && a_digit(e[i])) || (i >= 1 && e[i] == '_' && a_digit(e[i - 1])); i--)
			;
		if (i > 1 && e[i] == '_' && e[i - 1] == '_')
			len = i - 1;
		else if (i >= 0 && e[i] == '$')
			len = i;
	}
	return len;
}

/* The decoded body of e[0, len) into o; false when gdb would not decode it. */
static bool body(const char *e, int len, struct out *o)
{
	bool start = true;
	int i;

	for (i = 0; i < len && !a_alpha(e[i]); i++)
		put(o, e[i]);
	while (i < len) {
		if (start && e[i] == 'O') {
			size_t k, n = sizeof(ada_ops) / sizeof(ada_ops[0]);

			for (k = 0; k < n; k++) {
				int ol = (int)strlen(ada_ops[k][0]);

				if (!strncmp(ada_ops[k][0] + 1, e + i + 1, ol - 1) &&
				    !a_alnum(e[i + ol])) {
					puts_(o, ada_ops[k][1]);
					i += ol;
					break;
				}
			}
			start = false;
			if (k < n)
				continue;
		}
		start = false;
		if (i < len - 4 && !strncmp(e + i, "TK__", 4))
			i += 2;
		if (len - i > 5 && !strncmp(e + i, "__B_", 4) && a_digit(e[i + 4])) {
			int k = i + 5;

			while (k < len && a_digit(e[k]))
				k++;
			if (len - k > 2 && e[k] == '_' && e[k + 1] == '_')
				i = k;
		}
		if (len - i > 3 && e[i] == '_' && e[i + 1] == 'E' && a_digit(e[i + 2])) {
			int k = i + 3;

			while (k < len && a_digit(e[k]))
				k++;
			if (k < len && (e[k] == 'b' || e[k] == 's')) {
				k++;
				if (k == len || e[k] == '_')
					i = k;
			}
		}
		if (e[i] == 'N' && e[i + 1] == '_' && e[i + 2] == '_') {
			int k = i - 1;

			while (k >= 0 && (a_digit(e[k]) || a_lower(e[k])))
				k--;
			if (k < 0 || (k > 0 && e[k] == '_' && e[k - 1] == '_'))
				i++;
		}
		if (e[i] == 'U' && rs_hexval(e[i + 1]) >= 0) {
			if (put_hex_char(o, e + i + 1, 2)) {
				i += 3;
				continue;
			}
		} else if (e[i] == 'W' && e[i + 1] == 'W' && rs_hexval(e[i + 2]) >= 0) {
			if (put_hex_char(o, e + i + 2, 8)) {
				i += 10;
				continue;
			}
		} else if (e[i] == 'W' && rs_hexval(e[i + 1]) >= 0) {
			if (put_hex_char(o, e + i + 1, 4)) {
				i += 5;
				continue;
			}
		}
		if (e[i] == 'X' && i && a_alnum(e[i - 1])) {
			do
				i++;
			while (i < len && (e[i] == 'b' || e[i] == 'n'));
			if (i < len)
				return false;
		} else if (i < len - 2 && e[i] == '_' && e[i + 1] == '_') {
			put(o, '.');
			start = true;
			i += 2;
		} else {
			put(o, e[i++]);
		}
	}
	return true;
}

char *rs_ada_decode(const char *name)
{
	const char *e = name;
	struct out o = { 0 };
	int len, suffix = -1;

	if (e[0] == '.')
		e++;
	if (!strncmp(e, "_ada_", 5))
		e += 5;
	if (!strncmp(e, "___ghost_", 9))
		e += 9;
	if (e[0] == '_' || e[0] == '<' || !e[0])
		return NULL;
	len = trim(e, (int)strlen(e), &suffix);
	if (len < 0)
		return NULL;
	/* each input byte gives at most 4 output bytes (UTF-8 of a hex escape) or an operator */
	o.s = malloc(4 * strlen(e) + 16);
	if (!o.s)
		return NULL;
	if (!body(e, len, &o))
		goto no;
	for (size_t i = 0; i < o.n; i++)
		if (a_upper(o.s[i]) || o.s[i] == ' ')
			goto no;
	if (suffix >= 0) {
		put(&o, '[');
		puts_(&o, e + suffix);
		put(&o, ']');
	}
	put(&o, '\0');
	if (!strcmp(o.s, name))
		goto no;
	return o.s;
no:
	free(o.s);
	return NULL;
}
