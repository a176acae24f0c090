// SPDX-License-Identifier: GPL-2.0
/*
 * What gdb's C++ name parser (cp-name-parser.y) cannot read, and the literal
 * suffixes its canonicalizer lowers (gdb.h): whether a backtrace shows a C++
 * name with or without its parameters.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "stack/gdb/gdb.h"

static bool raw_parses(const char *s)
{
	int angle = 0; /* template argument list depth */

	if (!s)
		return false;
	for (const char *p = s; *p; p++) {
		if (!strncmp(p, "(anonymous namespace)", 21)) {
			p += 20; /* one name to the parser */
			continue;
		}
		switch (*p) {
		case '(':
			/*
			 * a function type as a template argument: "std::function<int (long)>";
			 * pointer declarators ("void (*)(int)", "int (K::*)(int) const",
			 * "int (*) [2]") and casts ("(char)65") read
			 */
			if (angle > 0 && p - s >= 2 && p[-1] == ' ' &&
			    (isalnum((unsigned char)p[-2]) || strchr("_>*&", p[-2]))) {
				const char *q = p + 1;
				int depth = 1;

				for (; *q && depth; q++)
					depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
				if (depth || (q[-2] != '*' && q[-2] != '&'))
					return false;
			}
			break;
		case '>':
			if (p > s && p[-1] != '-' && angle > 0)
				angle--;
			break;
		case '{':
		case '}':
		case '"':
		case ';':
		case '#':
		case '\\':
			return false;
		case '[':
			/* an array bound or "[]" reads; "[abi:cxx11]", "[clone .isra.0]" do not */
			if (p[1] != ']' && (p[1] < '0' || p[1] > '9'))
				return false;
			break;
		case '<':
			/* a type or name cannot start with '<': "<lambda()>", "<unnamed struct>" */
			if (p == s || strchr("<:(, ", p[-1]))
				return false;
			angle++;
			break;
		default:
			break;
		}
	}
	return true;
}

static bool ends_with_operator(const char *s, const char *p)
{
	return p - s >= 8 && !strncmp(p - 8, "operator", 8);
}

/* raw_parses() without false alarms on "operator<" and "operator<<". */
bool rs_gdb_cp_parses(const char *s)
{
	const char *p;

	if (!s)
		return false;
	if (!raw_parses(s)) {
		/* retry with operator< / operator<< / operator<= masked */
		char *copy = strdup(s);
		bool ok;

		if (!copy)
			return false;
		for (p = s; (p = strstr(p, "operator<")); p++)
			if (ends_with_operator(s, p + 8))
				for (size_t i = 8; copy[p - s + i] == '<' || copy[p - s + i] == '=';
				     i++)
					copy[p - s + i] = 'x';
		ok = raw_parses(copy);
		free(copy);
		return ok;
	}
	return true;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* See dwname.h. Only literals count: a digit run not inside an identifier. */
void rs_cxx_canon_literals(char *s)
{
	for (char *p = s; *p; p++) {
		char *q = p, *suf;

		if (!isdigit((unsigned char)*p) || (p > s && ident_char(p[-1])))
			continue;
		if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
			q += 2;
			while (isxdigit((unsigned char)*q))
				q++;
		} else {
			while (isdigit((unsigned char)*q))
				q++;
		}
		suf = q;
		while (*q && strchr("uUlL", *q))
			q++;
		if (q > suf && !ident_char(*q))
			for (char *c = suf; c < q; c++)
				*c = (char)tolower((unsigned char)*c);
		p = q - 1;
	}
}
