// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel text symbols from /proc/kallsyms: read once into one buffer, names
 * pointing into it, sorted by address and looked up by binary search. Or a
 * sparse table of exact addresses, each with the name and offset the kernel
 * printed for it (rs_ksyms_from_names()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/lib.h"
#include "stack/stack.h"

/*
 * kallsyms has no sizes: a symbol ends where the next one starts. The last
 * symbol of the kernel or of a module has no next one; addresses further than
 * this past its start are taken to be outside it.
 */
#define RS_KSYM_TAIL_MAX (64 * 1024)

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* "[mod]" or NULL for the kernel proper */
	uint32_t seq;	    /* line number, to keep ties in file order */
	uint8_t rank;	    /* among aliases: global (T) before weak (W) before local */
};

struct rs_ksyms {
	char *text; /* the file, modified in place: names point into it */
	struct ksym *syms;
	size_t n;
	struct ksym *names; /* rs_ksyms_load_names(): every text symbol, by name */
	size_t n_names;
	uint64_t *exact_off; /* rs_ksyms_from_names(): syms[i].addr's offset, exact lookups only */
};

static int type_rank(char t)
{
	switch (t) {
	case 'T':
		return 0;
	case 'W':
		return 1;
	case 't':
		return 2;
	case 'w':
		return 3;
	}
	return -1; /* not text: skipped */
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * Parses one NUL-terminated line "ffffffff81000000 T name[\t[module]]" in
 * place. Returns 1 for a text symbol (filled in *s), 0 to skip the line.
 * *zero is set when the address field is all zeroes.
 */
static int parse_line(char *line, struct ksym *s, bool *zero)
{
	uint64_t addr = 0;
	char *p = line, *name, *mod = NULL;
	int rank, h, digits = 0;

	*zero = false;
	for (; (h = rs_hexval(*p)) >= 0; p++, digits++)
		addr = addr << 4 | (uint64_t)h;
	if (!digits || digits > 16 || *p != ' ')
		return 0;
	rank = type_rank(p[1]);
	if (rank < 0 || p[2] != ' ')
		return 0;
	name = p + 3;
	p = name + strcspn(name, " \t");
	if (p == name)
		return 0;
	if (*p) {
		*p++ = '\0';
		p += strspn(p, " \t");
		if (*p == '[') {
			mod = p;
			p += strcspn(p, "]");
			if (*p == ']')
				p[1] = '\0';
			else
				mod = NULL;
		}
	}
	/* ftrace/CFI padding in front of functions: never a return address */
	if (!strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6))
		return 0;
	if (!addr) {
		*zero = true;
		return 0;
	}
	s->addr = addr;
	s->name = name;
	s->module = mod;
	s->rank = (uint8_t)rank;
	return 1;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	c = strcmp(x->module ? x->module : "", y->module ? y->module : "");
	if (c)
		return c;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

int rs_ksyms_parse(char *text, size_t len, bool names, struct rs_ksyms **out)
{
	struct rs_ksyms *k = NULL;
	size_t cap = 0, n_lines = 0, n_zero = 0, w;
	char *line, *next;
	bool zero;
	int err;

	k = calloc(1, sizeof(*k));
	if (!k) {
		free(text);
		return -ENOMEM;
	}
	k->text = text;
	for (line = text; line < text + len; line = next) {
		struct ksym s;

		/* by length, not strchr: an embedded NUL must not stop the walk (it looped) */
		next = memchr(line, '\n', (size_t)(text + len - line));
		if (next)
			*next++ = '\0';
		else
			next = text + len;
		if (!*line)
			continue;
		n_lines++;
		if (!parse_line(line, &s, &zero)) {
			n_zero += zero;
			continue;
		}
		if (k->n == cap) {
			struct ksym *v;

			cap = cap ? cap * 2 : 65536;
			v = realloc(k->syms, cap * sizeof(*v));
			if (!v) {
				err = -ENOMEM;
				goto err_free;
			}
			k->syms = v;
		}
		s.seq = (uint32_t)n_lines;
		k->syms[k->n++] = s;
	}
	if (!k->n) {
		/* all zero: kptr_restrict, or no CAP_SYSLOG; the caller says so */
		if (n_zero)
			err = -EPERM;
		else
			err = n_lines ? -EINVAL : -ENODATA;
		goto err_free;
	}
	if (names) {
		/* every name, aliases included: the kernel may print any of them */
		k->names = malloc(k->n * sizeof(*k->names));
		if (!k->names) {
			err = -ENOMEM;
			goto err_free;
		}
		memcpy(k->names, k->syms, k->n * sizeof(*k->names));
		k->n_names = k->n;
		qsort(k->names, k->n_names, sizeof(*k->names), cmp_name);
	}
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	/* aliases: keep the first (best ranked) name per address */
	for (size_t r = w = 1; r < k->n; r++)
		if (k->syms[r].addr != k->syms[w - 1].addr)
			k->syms[w++] = k->syms[r];
	k->n = w;
	*out = k;
	return 0;
err_free:
	rs_ksyms_free(k);
	return err;
}

static int load(const char *path, bool names, struct rs_ksyms **out)
{
	char *text = NULL;
	size_t len = 0;
	int err = rs_read_file(path, &text, &len);

	return err ? err : rs_ksyms_parse(text, len, names, out);
}

int rs_ksyms_load(const char *path, struct rs_ksyms **out)
{
	return load(path, false, out);
}

int rs_ksyms_load_names(const char *path, struct rs_ksyms **out)
{
	return load(path, true, out);
}

void rs_ksyms_free(struct rs_ksyms *k)
{
	if (!k)
		return;
	free(k->names);
	free(k->exact_off);
	free(k->syms);
	free(k->text);
	free(k);
}

static bool same_module(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static int cmp_kname(const void *a, const void *b)
{
	const struct rs_kname *x = a, *y = b;
	int c;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* duplicates: the same one kept whatever the order given */
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	c = strcmp(x->module ? x->module : "", y->module ? y->module : "");
	if (c)
		return c;
	return (x->off > y->off) - (x->off < y->off);
}

/* The length of module "[mod]" or "[mod build-id]" without the build-id, 0 for none. */
static size_t module_len(const char *m)
{
	size_t n;

	if (!m || m[0] != '[')
		return 0;
	n = strcspn(m, " ]");
	return m[n] ? n + 1 : 0;
}

int rs_ksyms_from_names(const struct rs_kname *v, size_t n, struct rs_ksyms **out)
{
	struct rs_kname *sorted = NULL;
	struct rs_ksyms *k = calloc(1, sizeof(*k));
	size_t bytes = 1, w = 0;
	char *p;
	int err = -ENOMEM;

	if (!k)
		return -ENOMEM;
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		goto err_free;
	for (size_t i = 0; i < n; i++)
		if (v[i].name && v[i].name[0])
			sorted[w++] = v[i]; /* unnamed: lookups answer NULL, as kallsyms would */
	n = w;
	qsort(sorted, n, sizeof(*sorted), cmp_kname);
	for (size_t i = 0; i < n; i++)
		bytes += strlen(sorted[i].name) + 1 + module_len(sorted[i].module) + 1;
	k->text = malloc(bytes);
	k->syms = calloc(n ? n : 1, sizeof(*k->syms));
	k->exact_off = calloc(n ? n : 1, sizeof(*k->exact_off));
	if (!k->text || !k->syms || !k->exact_off)
		goto err_free;
	p = k->text;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(sorted[i].name), mlen = module_len(sorted[i].module);
		struct ksym *s;

		if (k->n && k->syms[k->n - 1].addr == sorted[i].addr)
			continue;
		s = &k->syms[k->n];
		memcpy(p, sorted[i].name, len + 1);
		s->name = p;
		p += len + 1;
		if (mlen) {
			memcpy(p, sorted[i].module, mlen - 1);
			p[mlen - 1] = ']';
			p[mlen] = '\0';
			s->module = p;
			p += mlen + 1;
		}
		s->addr = sorted[i].addr;
		k->exact_off[k->n++] = sorted[i].off;
	}
	free(sorted);
	*out = k;
	return 0;
err_free:
	free(sorted);
	rs_ksyms_free(k);
	return err;
}

/* A sparse table's answer: the exact address or nothing. */
static const char *exact_lookup(const struct rs_ksyms *k, uint64_t addr, uint64_t *off,
				const char **module)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->n || k->syms[lo].addr != addr)
		return NULL;
	if (off)
		*off = k->exact_off[lo];
	if (module)
		*module = k->syms[lo].module;
	return k->syms[lo].name;
}

const char *rs_ksyms_lookup(const struct rs_ksyms *k, uint64_t addr, uint64_t *off,
			    const char **module)
{
	size_t lo = 0, hi, i;
	const struct ksym *s;

	if (!k || !k->n || addr < k->syms[0].addr)
		return NULL;
	if (k->exact_off)
		return exact_lookup(k, addr, off, module);
	/* last symbol starting at or below addr */
	hi = k->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	i = lo;
	s = &k->syms[i];
	if ((i + 1 == k->n || !same_module(s->module, k->syms[i + 1].module)) &&
	    addr - s->addr >= RS_KSYM_TAIL_MAX)
		return NULL;
	if (off)
		*off = addr - s->addr;
	if (module)
		*module = s->module;
	return s->name;
}

void rs_ksyms_explain(const char *path, int err, char *buf, size_t len)
{
	const char *why = strerror(-err);

	char *restrict_text = NULL;
	size_t n;
	/* kptr_restrict 1 shows addresses to CAP_SYSLOG, 2 to nobody */
	bool to_nobody = !rs_read_file("/proc/sys/kernel/kptr_restrict", &restrict_text, &n) &&
			 restrict_text[0] == '2';

	free(restrict_text);
	if (err == -EPERM)
		why =
		    geteuid() ? "its addresses are hidden from users other than root"
		    : to_nobody
			? "its addresses are hidden even from root (sysctl kernel.kptr_restrict=2; 1 shows them to CAP_SYSLOG)"
			: "its addresses are hidden from this process: grant it CAP_SYSLOG";
	snprintf(buf, len,
		 "cannot read kernel symbols from '%s': %s: kernel frames are shown as addresses",
		 path, why);
}

/* Bytes from addr to the next symbol of the table, or RS_KSYM_TAIL_MAX after the last one. */
static uint64_t span_of(const struct rs_ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->n || !same_module(k->syms[lo].module, lo ? k->syms[lo - 1].module : NULL))
		return RS_KSYM_TAIL_MAX;
	return k->syms[lo].addr - addr;
}

int rs_ksyms_addr(const struct rs_ksyms *k, const char *name, const char *module, uint64_t off,
		  uint64_t size, uint64_t *addr)
{
	struct ksym key = { .name = name, .module = module && *module ? module : NULL };
	uint64_t best_diff = UINT64_MAX, best = 0;
	size_t lo = 0, hi;

	if (!k || !k->names)
		return -EOPNOTSUPP;
	hi = k->n_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct ksym probe = k->names[mid];

		probe.addr = 0;
		if (cmp_name(&probe, &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * Static functions of different files can share a name: take the one the
	 * printed offset fits in whose extent is closest to the printed size (ours
	 * runs to the next function, the kernel's to its __pfx_ padding).
	 */
	for (size_t i = lo; i < k->n_names && !strcmp(k->names[i].name, name) &&
			    same_module(k->names[i].module, key.module);
	     i++) {
		uint64_t span = span_of(k, k->names[i].addr), diff;

		if (off >= span)
			continue;
		diff = !size ? 0 : span >= size ? span - size : UINT64_MAX - 1;
		if (diff < best_diff) {
			best_diff = diff;
			best = k->names[i].addr;
		}
	}
	if (best_diff == UINT64_MAX)
		return -ENOENT;
	*addr = best + off;
	return 0;
}
