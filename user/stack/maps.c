// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/maps parsing and address lookup (stack.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stack/stack.h"
#include "lib/lib.h"

#define DELETED_SUFFIX " (deleted)"

static const char *skip_spaces(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Parses a hex number ending at a character in stops; 0 or -EINVAL. */
static int parse_hex(const char **s, const char *end, const char *stops, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (p == end)
		return -EINVAL;
	for (; p < end && !strchr(stops, *p); p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -EINVAL;
		if (x >> 60)
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
	}
	if (p == *s)
		return -EINVAL;
	*s = p;
	*v = x;
	return 0;
}

/*
 * Copies a path field, undoing the kernel's "\012" escape of newlines and
 * stripping a " (deleted)" suffix. NULL on allocation failure.
 */
static char *copy_path(const char *s, size_t len, bool *deleted)
{
	size_t dl = strlen(DELETED_SUFFIX);
	char *out, *o;

	*deleted = len > dl && !memcmp(s + len - dl, DELETED_SUFFIX, dl);
	if (*deleted)
		len -= dl;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && len - i >= 4 && !memcmp(s + i, "\\012", 4)) {
			*o++ = '\n';
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Parses one line [s, end) into *m. 0 or -EINVAL / -ENOMEM. */
static int parse_line(const char *s, const char *end, struct rs_map *m)
{
	uint64_t maj, min;
	int err;

	memset(m, 0, sizeof(*m));
	if ((err = parse_hex(&s, end, "-", &m->start)) || s == end || *s++ != '-')
		return -EINVAL;
	if ((err = parse_hex(&s, end, " ", &m->end)) || m->end < m->start)
		return -EINVAL;
	s = skip_spaces(s, end);
	if (end - s < 4)
		return -EINVAL;
	memcpy(m->perms, s, 4);
	m->perms[4] = '\0';
	s = skip_spaces(s + 4, end);
	if (parse_hex(&s, end, " ", &m->offset))
		return -EINVAL;
	s = skip_spaces(s, end);
	if (parse_hex(&s, end, ":", &maj) || s == end || *s++ != ':' ||
	    parse_hex(&s, end, " ", &min) || maj > UINT32_MAX || min > UINT32_MAX)
		return -EINVAL;
	m->dev_major = (uint32_t)maj;
	m->dev_minor = (uint32_t)min;
	s = skip_spaces(s, end);
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++)
		m->inode = m->inode * 10 + (uint64_t)(*s - '0');
	if (s < end && *s != ' ' && *s != '\t')
		return -EINVAL;
	s = skip_spaces(s, end);
	if (s == end)
		return 0;
	m->path = copy_path(s, (size_t)(end - s), &m->deleted);
	return m->path ? 0 : -ENOMEM;
}

static int cmp_map(const void *a, const void *b)
{
	const struct rs_map *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

int rs_maps_parse(const char *text, struct rs_maps *out)
{
	struct rs_maps m = { 0 };
	size_t cap = 0;
	bool sorted = true;
	int err = 0;

	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		const char *end = nl ? nl : s + strlen(s);

		if (end == s) {
			s = nl ? nl + 1 : end;
			continue;
		}
		if (m.n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct rs_map *v = realloc(m.v, ncap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto cleanup;
			}
			m.v = v;
			cap = ncap;
		}
		err = parse_line(s, end, &m.v[m.n]);
		if (err)
			goto cleanup;
		if (m.n && m.v[m.n].start < m.v[m.n - 1].start)
			sorted = false;
		m.n++;
		s = nl ? nl + 1 : end;
	}
	if (!sorted)
		qsort(m.v, m.n, sizeof(*m.v), cmp_map);
	*out = m;
	return 0;
cleanup:
	rs_maps_clear(&m);
	return err;
}

int rs_maps_read(const char *path, struct rs_maps *out)
{
	char *buf = NULL;
	size_t len;
	int err;

	err = rs_read_file(path, &buf, &len);
	if (err)
		return err;
	err = rs_maps_parse(buf, out);
	free(buf);
	return err;
}

void rs_maps_clear(struct rs_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct rs_map *rs_maps_find(const struct rs_maps *m, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!m)
		return NULL;
	hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rs_map *e = &m->v[mid];

		if (addr < e->start)
			hi = mid;
		else if (addr >= e->end)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}
