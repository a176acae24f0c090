// SPDX-License-Identifier: GPL-2.0
/* Durations on the command line and in reports: "500ms", "1m30s", "2h05m", "1.5s". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lib/lib.h"

#define NS_PER_US  1000ull
#define NS_PER_MS  1000000ull
#define NS_PER_S   1000000000ull
#define NS_PER_MIN (60 * NS_PER_S)
#define NS_PER_H   (60 * NS_PER_MIN)
#define NS_PER_DAY (24 * NS_PER_H)

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	/* longer suffixes first: "ms" before "m" and "s" */
	{ "ns", 1 },	     { "us", NS_PER_US }, { "ms", NS_PER_MS }, { "s", NS_PER_S },
	{ "m", NS_PER_MIN }, { "h", NS_PER_H },	  { "d", NS_PER_DAY },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parses one "<digits>[.<digits>]<unit>" term at *p, adds it to *total and
 * advances *p. A term may lack its unit (seconds) only when it is the whole
 * string (whole, and nothing follows it). Units strictly decrease from term to
 * term (*prev: the previous term's unit, updated), so "1h1h" and "1s1m" are
 * refused; only the last term may have a fraction ("1.5h30m" is refused).
 */
static int parse_term(const char **p, bool whole, uint64_t *prev, uint64_t *total)
{
	const char *s = *p;
	uint64_t ip = 0, frac = 0, frac_div = 1, unit = 0, v;
	size_t n_int = 0, n_frac = 0, i;

	for (; is_digit(*s); s++, n_int++) {
		if (__builtin_mul_overflow(ip, 10, &ip) ||
		    __builtin_add_overflow(ip, *s - '0', &ip))
			return -EINVAL;
	}
	if (*s == '.') {
		s++;
		for (; is_digit(*s); s++, n_frac++) {
			/* digits past ns precision cannot matter: keep 18 at most */
			if (frac_div >= 1000000000000000000ull)
				continue;
			frac = frac * 10 + (uint64_t)(*s - '0');
			frac_div *= 10;
		}
		if (!n_frac)
			return -EINVAL;
	}
	if (!n_int && !n_frac)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t l = strlen(units[i].suffix);

		if (!strncmp(s, units[i].suffix, l)) {
			unit = units[i].ns;
			s += l;
			break;
		}
	}
	if (!unit) {
		if (!whole || *s)
			return -EINVAL;
		unit = NS_PER_S;
	}
	if (unit >= *prev || (n_frac && *s))
		return -EINVAL;
	*prev = unit;
	if (__builtin_mul_overflow(ip, unit, &v))
		return -EINVAL;
	/* frac / frac_div of a unit; unit <= 3.6e12 and frac < 1e18 could overflow: split */
	if (frac) {
		uint64_t whole_part = unit / frac_div, rem = unit % frac_div, f;

		/* frac * unit / frac_div = frac * whole_part + frac * rem / frac_div */
		if (__builtin_mul_overflow(frac, whole_part, &f) ||
		    __builtin_add_overflow(v, f, &v))
			return -EINVAL;
		if (rem) {
			unsigned __int128 r = (unsigned __int128)frac * rem / frac_div;

			if (__builtin_add_overflow(v, (uint64_t)r, &v))
				return -EINVAL;
		}
	}
	if (__builtin_add_overflow(*total, v, total))
		return -EINVAL;
	*p = s;
	return 0;
}

int rs_parse_duration(const char *s, uint64_t *ns)
{
	uint64_t total = 0, prev = UINT64_MAX;
	const char *p = s;
	int err;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		err = parse_term(&p, p == s, &prev, &total);
		if (err)
			return err;
	}
	*ns = total;
	return 0;
}

void rs_format_duration(uint64_t ns, char *buf, size_t len)
{
	unsigned long long v = ns;

	if (!buf || !len)
		return;
	if (v < NS_PER_US)
		snprintf(buf, len, "%lluns", v);
	else if (v < 10 * NS_PER_US)
		snprintf(buf, len, "%llu.%lluus", v / NS_PER_US, v % NS_PER_US / 100);
	else if (v < NS_PER_MS)
		snprintf(buf, len, "%lluus", v / NS_PER_US);
	else if (v < 10 * NS_PER_MS)
		snprintf(buf, len, "%llu.%llums", v / NS_PER_MS, v % NS_PER_MS / (NS_PER_MS / 10));
	else if (v < NS_PER_S)
		snprintf(buf, len, "%llums", v / NS_PER_MS);
	else if (v < NS_PER_MIN)
		snprintf(buf, len, "%llu.%llus", v / NS_PER_S, v % NS_PER_S / (NS_PER_S / 10));
	else if (v < NS_PER_H)
		snprintf(buf, len, "%llum%02llus", v / NS_PER_MIN, v % NS_PER_MIN / NS_PER_S);
	else if (v < NS_PER_DAY)
		snprintf(buf, len, "%lluh%02llum", v / NS_PER_H, v % NS_PER_H / NS_PER_MIN);
	else
		snprintf(buf, len, "%llud%02lluh", v / NS_PER_DAY, v % NS_PER_DAY / NS_PER_H);
}

uint64_t rs_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rs_mono_ns(void)
{
	return rs_clock_ns(CLOCK_MONOTONIC);
}

void rs_sleep_until_ns(uint64_t mono_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(mono_ns / 1000000000ull),
			       .tv_nsec = (long)(mono_ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
