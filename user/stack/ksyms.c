// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel text symbols from /proc/kallsyms: read once into one buffer, names
 * pointing into it, sorted by address and looked up by binary search.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

struct rs_ksyms_job {
	pthread_t thread;
	char *path;
	struct rs_ksyms *ks;
	int err;
};

static void *ksyms_thread(void *arg)
{
	struct rs_ksyms_job *j = arg;
	struct rs_tmark t;

	rs_tmark_start(&t);
	j->err = rs_ksyms_load(j->path, &j->ks);
	rs_timings_add(&t, "kallsyms (its own thread)");
	return NULL;
}

int rs_ksyms_start(const char *path, struct rs_ksyms_job **out)
{
	struct rs_ksyms_job *j = calloc(1, sizeof(*j));
	int e;

	if (!j || !(j->path = strdup(path))) {
		free(j);
		return -ENOMEM;
	}
	e = -pthread_create(&j->thread, NULL, ksyms_thread, j);
	if (e) {
		free(j->path);
		free(j);
		return e;
	}
	*out = j;
	return 0;
}

int rs_ksyms_join(struct rs_ksyms_job *j, struct rs_ksyms **ks)
{
	int e;

	pthread_join(j->thread, NULL);
	e = j->err;
	if (!e)
		*ks = j->ks;
	free(j->path);
	free(j);
	return e;
}

void rs_ksyms_free(struct rs_ksyms *k)
{
	if (!k)
		return;
	free(k->names);
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

const char *rs_ksyms_lookup(const struct rs_ksyms *k, uint64_t addr, uint64_t *off,
			    const char **module)
{
	size_t lo = 0, hi, i;
	const struct ksym *s;

	if (!k || !k->n || addr < k->syms[0].addr)
		return NULL;
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
