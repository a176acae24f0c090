// SPDX-License-Identifier: GPL-2.0
/*
 * A self-contained interactive SVG flame graph: root at the bottom, children
 * above their parent in name order, widths proportional to weight. One panel
 * per kind (on-CPU in warm colours, off-CPU in blues), each with its own total
 * and zoom, under an "all" frame. Colours follow a hash of the name, so the
 * same function has the same colour in every file. Frames narrower than
 * MIN_PX are left out (with their children), as flamegraph.pl does. Style and
 * script are inline (out_svg_script.c): no network, opens in any browser.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "out/out_priv.h"

#define SVG_W	   1200
#define XPAD	   10
#define FRAME_H	   16
#define CHAR_W	   7.08 /* 0.59 x 12 px, as the script's CW */
#define MIN_PX	   0.1
#define HEAD_H	   60
#define PANEL_HEAD 22
#define PANEL_GAP  14
#define FOOT_H	   24
#define HELP	   "Hover for details, click to zoom, Ctrl+F or / to search, Esc to reset"

struct node {
	const char *name; /* points into a stack key; not NUL-terminated */
	size_t len;
	uint32_t child, sib, last; /* first child, next sibling, last child; 0 for none */
	uint64_t total;
};

/* The frames of one kind: node 0 is "all". */
struct tree {
	struct node *v;
	size_t n, cap;
	enum rs_prof_kind kind;
	unsigned int n_groups; /* rows of group_by frames above "all" */
	unsigned int depth;    /* the highest row drawn */
	uint64_t count;	       /* on-CPU samples / off-CPU blocking episodes */
	uint64_t lost;
	uint64_t shed; /* dropped by rsample for lack of time */
	uint32_t freq_hz;
};

static int tree_add(struct tree *t, const char *name, size_t len, uint32_t *out)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct node *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = (struct node){ .name = name, .len = len };
	*out = (uint32_t)t->n++;
	return 0;
}

static bool node_is(const struct node *nd, const char *name, size_t len)
{
	return nd->len == len && !memcmp(nd->name, name, len);
}

/* Adds the stack "a;b;c" of weight w under the root. */
static int tree_insert(struct tree *t, const char *key, uint64_t w)
{
	uint32_t cur = 0, c;
	int err;

	t->v[0].total += w;
	for (const char *p = key;;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);

		/* input is sorted: the child wanted is most often the last one added */
		c = t->v[cur].last;
		if (c && !node_is(&t->v[c], p, len))
			for (c = t->v[cur].child; c && !node_is(&t->v[c], p, len); c = t->v[c].sib)
				;
		if (!c) {
			err = tree_add(t, p, len, &c);
			if (err)
				return err;
			if (t->v[cur].last)
				t->v[t->v[cur].last].sib = c;
			else
				t->v[cur].child = c;
			t->v[cur].last = c;
		}
		t->v[c].total += w;
		cur = c;
		if (!semi)
			return 0;
		p = semi + 1;
	}
}

static int node_cmp(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a, *y = *(const struct node *const *)b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Relinks every node's children in name order. */
static int tree_sort(struct tree *t)
{
	struct node **tmp = malloc(t->n * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = 0;

		for (uint32_t c = t->v[i].child; c; c = t->v[c].sib)
			tmp[k++] = &t->v[c];
		if (k < 2)
			continue;
		qsort(tmp, k, sizeof(*tmp), node_cmp);
		t->v[i].child = (uint32_t)(tmp[0] - t->v);
		for (size_t j = 0; j + 1 < k; j++)
			tmp[j]->sib = (uint32_t)(tmp[j + 1] - t->v);
		tmp[k - 1]->sib = 0;
		t->v[i].last = (uint32_t)(tmp[k - 1] - t->v);
	}
	free(tmp);
	return 0;
}

static double px_per_unit(const struct tree *t)
{
	return (double)(SVG_W - 2 * XPAD) / (double)t->v[0].total;
}

static void tree_depth(struct tree *t, uint32_t i, unsigned int depth)
{
	if ((double)t->v[i].total * px_per_unit(t) < MIN_PX)
		return;
	if (depth > t->depth)
		t->depth = depth;
	for (uint32_t c = t->v[i].child; c; c = t->v[c].sib)
		tree_depth(t, c, depth + 1);
}

static void put_xml(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			fputs_unlocked("&amp;", f);
			break;
		case '<':
			fputs_unlocked("&lt;", f);
			break;
		case '>':
			fputs_unlocked("&gt;", f);
			break;
		case '"':
			fputs_unlocked("&quot;", f);
			break;
		case '\'':
			fputs_unlocked("&apos;", f);
			break;
		default:
			putc_unlocked(s[i], f);
		}
	}
}

/* A sanitized copy of s (control bytes and invalid UTF-8 replaced) as XML text. */
static int put_xml_str(FILE *f, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -ENOMEM;
	rs_name_sanitize(copy, 0);
	put_xml(f, copy, strlen(copy));
	free(copy);
	return 0;
}

/* The label that fits w px, as the script's fit(): the name, "nam..", or nothing. */
static void put_label(FILE *f, const char *name, size_t len, double w)
{
	double room = (w - 6) / CHAR_W;
	size_t chars = 0, cut = 0, keep;

	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)name[i] & 0xc0) != 0x80;
	if ((double)chars <= room) {
		put_xml(f, name, len);
		return;
	}
	if (room < 3)
		return;
	keep = (size_t)room - 2;
	for (chars = 0; cut < len; cut++) {
		if (((unsigned char)name[cut] & 0xc0) != 0x80 && chars++ == keep)
			break;
	}
	put_xml(f, name, cut);
	fputs_unlocked("..", f);
}

/* "2.50 s", "35.00 ms" or "400 us" for a time in microseconds. */
static void fmt_us(char *buf, size_t size, uint64_t us)
{
	if (us >= 1000000)
		snprintf(buf, size, "%.2f s", (double)us / 1e6);
	else if (us >= 1000)
		snprintf(buf, size, "%.2f ms", (double)us / 1e3);
	else
		snprintf(buf, size, "%" PRIu64 " us", us);
}

static void frame_fill(const struct tree *t, const struct node *nd, unsigned int depth, char *buf,
		       size_t size)
{
	uint64_t h = rs_hash(nd->name, nd->len);
	double a = (double)(h & 0xffff) / 65535, b = (double)((h >> 16) & 0xffff) / 65535,
	       c = (double)((h >> 32) & 0xffff) / 65535;
	bool off = t->kind == RS_PROF_OFFCPU;
	bool kernel = nd->len > 4 && !memcmp(nd->name + nd->len - 4, "_[k]", 4);
	int r, g, bl;

	if (depth <= t->n_groups) { /* "all" and the group_by frames: greys */
		r = 190 + (int)(20 * a);
		g = r;
		bl = off ? r + 25 : r - 10;
	} else if (off && kernel) {
		r = 60 + (int)(50 * a), g = 160 + (int)(60 * b), bl = 210 + (int)(45 * c);
	} else if (off) {
		r = (int)(90 * a), g = 90 + (int)(80 * b), bl = 190 + (int)(65 * c);
	} else if (kernel) {
		r = 225 + (int)(30 * a), g = 120 + (int)(80 * b), bl = 30 + (int)(40 * c);
	} else {
		r = 205 + (int)(50 * a), g = (int)(230 * b), bl = (int)(55 * c);
	}
	snprintf(buf, size, "rgb(%d,%d,%d)", r, g, bl);
}

static void put_frame(FILE *f, const struct tree *t, uint32_t i, unsigned int depth, uint64_t x,
		      int base_y)
{
	const struct node *nd = &t->v[i];
	double scale = px_per_unit(t), px = XPAD + (double)x * scale, w = (double)nd->total * scale;
	double pct = 100.0 * (double)nd->total / (double)t->v[0].total;
	char fill[32], amount[64];
	int y = base_y - (int)depth * FRAME_H;

	if (w < MIN_PX)
		return;
	if (t->kind == RS_PROF_OFFCPU) {
		fmt_us(amount, sizeof(amount), nd->total);
		snprintf(amount + strlen(amount), sizeof(amount) - strlen(amount), " off-CPU");
	} else {
		snprintf(amount, sizeof(amount), "%" PRIu64 " samples", nd->total);
	}
	frame_fill(t, nd, depth, fill, sizeof(fill));
	fprintf(f, "<g class=\"f\" data-x=\"%" PRIu64 "\" data-w=\"%" PRIu64 "\"><title>", x,
		nd->total);
	put_xml(f, nd->name, nd->len);
	fprintf(f, "\n%s, %.2f%%</title>", amount, pct);
	fprintf(f, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
		px, y, w, FRAME_H - 1, fill);
	fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", px + 3, y + 10.5);
	put_label(f, nd->name, nd->len, w);
	fputs_unlocked("</text></g>\n", f);
	for (uint32_t c = nd->child; c; c = t->v[c].sib) {
		put_frame(f, t, c, depth + 1, x, base_y);
		x += t->v[c].total;
	}
}

static int panel_height(const struct tree *t)
{
	return PANEL_HEAD + (int)(t->depth + 1) * FRAME_H + PANEL_GAP;
}

static void put_panel(FILE *f, const struct tree *t, int idx, int top)
{
	int base_y = top + PANEL_HEAD + (int)t->depth * FRAME_H;
	uint64_t total = t->v[0].total;
	char head[224], amount[64], shed[64] = "";

	if (t->shed)
		snprintf(shed, sizeof(shed), ", %" PRIu64 " dropped for lack of time", t->shed);
	if (t->kind == RS_PROF_OFFCPU) {
		fmt_us(amount, sizeof(amount), total);
		snprintf(head, sizeof(head),
			 "off-CPU: %s blocked in %" PRIu64 " waits (%" PRIu64 " lost%s)", amount,
			 t->count, t->lost, shed);
	} else {
		snprintf(head, sizeof(head),
			 "on-CPU: %" PRIu64 " samples at %" PRIu32 " Hz (%" PRIu64 " lost%s)",
			 total, t->freq_hz, t->lost, shed);
	}
	fprintf(f,
		"<g class=\"panel\" id=\"panel%d\" data-kind=\"%s\" data-total=\"%" PRIu64
		"\" data-base=\"%d\">\n",
		idx, rs_prof_kind_name(t->kind), total, base_y);
	fprintf(f, "<text class=\"ph\" x=\"%d\" y=\"%d\">%s</text>\n", XPAD, top + 14, head);
	fprintf(f, "<text class=\"matched\" x=\"%d\" y=\"%d\"></text>\n", SVG_W - XPAD, top + 14);
	if (total)
		put_frame(f, t, 0, 0, 0, base_y);
	fputs_unlocked("</g>\n", f);
}

static int put_head(FILE *f, const struct rs_profile *p, const char *title, int height)
{
	char when[64] = "";
	time_t sec = (time_t)(p->start_unix_ns / 1000000000);
	struct tm tm;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" onload=\"rs_init()\">\n",
		SVG_W, height, SVG_W, height);
	fprintf(f, "<style>\n%s</style>\n<script><![CDATA[\n%s]]></script>\n", rs_svg_style,
		rs_svg_script);
	fputs_unlocked("<rect width=\"100%\" height=\"100%\" fill=\"#f6f6f2\"/>\n", f);
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"24\">", SVG_W / 2);
	if (put_xml_str(f, title ? title : "rsample flame graph"))
		return -ENOMEM;
	fprintf(f, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"44\">", SVG_W / 2);
	if (p->target && *p->target) {
		if (put_xml_str(f, p->target))
			return -ENOMEM;
		fputs_unlocked(", ", f);
	}
	if (p->start_unix_ns > 0 && gmtime_r(&sec, &tm))
		strftime(when, sizeof(when), "from %Y-%m-%d %H:%M:%S UTC, ", &tm);
	fprintf(f, "%s%.2f s</text>\n", when, (double)p->duration_ns / 1e9);
	fprintf(f, "<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"24\">Reset Zoom</text>\n", XPAD);
	fprintf(f,
		"<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" "
		"text-anchor=\"end\">Search</text>\n",
		SVG_W - XPAD);
	return 0;
}

static int tree_build(struct tree *t, const struct rs_stacks *st,
		      const struct rs_profile *const *profs, size_t n, enum rs_group_by g)
{
	uint32_t root;
	int err;

	err = tree_add(t, "all", 3, &root);
	for (size_t i = 0; i < st->n && !err; i++)
		if (st->v[i].kind == t->kind)
			err = tree_insert(t, st->v[i].key, st->v[i].weight);
	if (!err)
		err = tree_sort(t);
	if (err)
		return err;
	t->n_groups = g == RS_GROUP_THREAD ? 2 : g == RS_GROUP_PROCESS ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		if (profs[i]->kind != t->kind)
			continue;
		t->lost += profs[i]->lost;
		t->shed += profs[i]->shed;
		if (!t->freq_hz)
			t->freq_hz = profs[i]->freq_hz;
		for (size_t j = 0; j < profs[i]->n_samples; j++)
			t->count += profs[i]->samples[j].count;
	}
	if (t->v[0].total)
		tree_depth(t, 0, 0);
	return 0;
}

int rs_write_svg(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g,
		 const char *title)
{
	struct tree trees[2] = { { .kind = RS_PROF_ONCPU }, { .kind = RS_PROF_OFFCPU } };
	bool present[2] = { false, false };
	struct rs_stacks st = { 0 };
	int err, height = HEAD_H + FOOT_H, top = HEAD_H, idx = 0;

	if (!n)
		return -EINVAL;
	err = rs_stacks_build(profs, n, g, 0, &st);
	for (size_t i = 0; i < n; i++)
		present[profs[i]->kind == RS_PROF_OFFCPU] = true;
	for (int k = 0; k < 2 && !err; k++) {
		if (!present[k])
			continue;
		err = tree_build(&trees[k], &st, profs, n, g);
		height += panel_height(&trees[k]);
	}
	flockfile(f); /* once: the writers use the _unlocked stdio calls */
	if (!err)
		err = put_head(f, profs[0], title, height);
	if (!err) {
		for (int k = 0; k < 2; k++) {
			if (!present[k])
				continue;
			put_panel(f, &trees[k], idx++, top);
			top += panel_height(&trees[k]);
		}
		fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\">%s</text>\n</svg>\n", XPAD,
			height - 8, HELP);
		if (fflush(f) || ferror(f))
			err = -EIO;
	}
	funlockfile(f);
	free(trees[0].v);
	free(trees[1].v);
	rs_stacks_clear(&st);
	return err;
}
