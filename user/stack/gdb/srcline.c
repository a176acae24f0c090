// SPDX-License-Identifier: GPL-2.0
/*
 * The line of an address as gdb shows it (gdb.h).
 *
 * Several rows of a line table often share an address: a call inlined from a
 * header starts on the same instruction as the statement around it, and the
 * rows differ in file, line and is_stmt. libdw picks the last of them; gdb
 * builds its tables differently and picks another. So the CU's line program
 * is decoded here and the rows are kept as gdb's DWARF reader keeps them
 * (gdb/dwarf2/read.c: lnp_state_machine::record_line(), dwarf_record_line_p(),
 * dwarf_finish_line(); gdb/buildsym.c: buildsym_compunit::record_line()):
 *
 *  - one table per source file ("subfile": file entries with the same full
 *    name share one), rows in program order, then stably sorted by address
 *    with line-0 rows first among rows at the same address;
 *  - switching to another file at an address ends the previous file's table
 *    there: a line-0 row that first drops that file's rows at that address;
 *  - a row of another file at the same address as an is_stmt row, that is
 *    not is_stmt itself, is dropped (and does not end the previous file's
 *    table); so is every row with line 0;
 *  - a row for the same line and file as the last one is dropped when that
 *    line ever had a non-zero discriminator;
 *  - the end of a sequence ends the last file's table at its address;
 *  - sequences at address 0 (functions the linker dropped), or -1, are not
 *    recorded when the CU's code starts above 0.
 *
 * The search is gdb's find_pc_sect_line() (gdb/symtab.c): in each file's
 * table the last row at or before the address; among files the one whose row
 * has the highest address wins (the first file on a tie), rows with line 0
 * taking no part; a row that is not is_stmt gives way to an is_stmt row at
 * the same address just before it in that table. When the best row has line
 * 0 there is no line.
 *
 * Over 500 lines on purpose: the line-program decoder and the table builder
 * are one translation of gdb's reader, state machine and sorting together;
 * split, each half would need the other's private row types and rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <gelf.h>
#include "stack/gdb/gdb.h"

#define ROWS_MAX (1u << 22) /* rows held per cache before it is emptied */

struct lent {
	uint64_t pc;
	uint32_t line;
	uint32_t col;
	uint32_t file; /* index in the CU's Dwarf_Files */
	bool stmt;
};

struct lvec {
	struct lent *v;
	size_t n, cap;
};

/* One CU's tables: e[start[i] .. start[i + 1]) is file table i, in gdb's order. */
struct ltab {
	Dwarf *dbg;
	Dwarf_Off off;
	Dwarf_Files *files;
	struct lent *e;
	size_t *start;
	size_t nsub;
	bool bad; /* not decodable: callers use libdw's lines */
};

struct rs_lcache {
	struct ltab *t;
	size_t n, cap;
	size_t rows;
};

/* ---- reading the line program ------------------------------------------------ */

struct reader {
	const unsigned char *p, *end;
	bool err;
};

static uint64_t rd_fixed(struct reader *r, size_t n)
{
	uint64_t v = 0;

	if ((size_t)(r->end - r->p) < n) {
		r->err = true;
		r->p = r->end;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct reader *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (r->p < r->end) {
		unsigned char b = *r->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	r->err = true;
	return v;
}

static int64_t rd_sleb(struct reader *r)
{
	int64_t v = 0;
	unsigned int shift = 0;

	while (r->p < r->end) {
		unsigned char b = *r->p++;

		if (shift < 64)
			v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= -((int64_t)1 << shift);
			return v;
		}
	}
	r->err = true;
	return v;
}

/* The CU's line program: [*prog, *end) and its header fields. */
struct lhdr {
	unsigned int version;
	unsigned int min_inst, max_ops;
	bool default_stmt;
	int line_base;
	unsigned int line_range, opcode_base;
	const unsigned char *std_len; /* opcode_base - 1 entries */
	unsigned int addr_size;
};

static Elf_Data *debug_line(Dwarf *dbg)
{
	Elf *elf = dwarf_getelf(dbg);
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return NULL;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".debug_line"))
			continue;
		/* libdw decompressed it when it opened the file; anything else is not readable here
		 */
		if (sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_COMPRESSED))
			return NULL;
		return elf_getdata(scn, NULL);
	}
	return NULL;
}

static bool read_header(struct reader *r, struct lhdr *h)
{
	uint64_t len = rd_fixed(r, 4), hlen;
	unsigned int off_size = 4;
	const unsigned char *hstart;

	if (len == 0xffffffff) {
		off_size = 8;
		len = rd_fixed(r, 8);
	}
	if (r->err || len > (uint64_t)(r->end - r->p))
		return false;
	r->end = r->p + len;
	h->version = (unsigned int)rd_fixed(r, 2);
	if (h->version < 2 || h->version > 5)
		return false;
	h->addr_size = 8;
	if (h->version >= 5) {
		h->addr_size = (unsigned int)rd_fixed(r, 1);
		rd_fixed(r, 1); /* segment selector size */
	}
	hlen = rd_fixed(r, off_size);
	hstart = r->p;
	if (r->err || hlen > (uint64_t)(r->end - hstart))
		return false;
	h->min_inst = (unsigned int)rd_fixed(r, 1);
	h->max_ops = h->version >= 4 ? (unsigned int)rd_fixed(r, 1) : 1;
	h->default_stmt = rd_fixed(r, 1) != 0;
	h->line_base = (signed char)rd_fixed(r, 1);
	h->line_range = (unsigned int)rd_fixed(r, 1);
	h->opcode_base = (unsigned int)rd_fixed(r, 1);
	h->std_len = r->p;
	if (r->err || !h->line_range || !h->max_ops || !h->opcode_base ||
	    h->opcode_base - 1 > (size_t)(r->end - r->p))
		return false;
	r->p = hstart + hlen;
	return true;
}

/* ---- gdb's tables -------------------------------------------------------------- */

struct builder {
	struct lvec *sub;      /* per canonical file index */
	const uint32_t *canon; /* file index -> canonical index (the first with its name) */
	size_t nfiles;
	int err;
};

/* gdb's buildsym_compunit::record_line(). */
static void record(struct builder *b, uint32_t sub, uint32_t line, uint64_t pc, bool stmt,
		   uint32_t col, uint32_t file)
{
	struct lvec *v = &b->sub[sub];

	if (!line) {
		bool have = false;
		uint32_t last = 0;

		while (v->n) {
			have = true;
			last = v->v[v->n - 1].line;
			if (v->v[v->n - 1].pc != pc)
				break;
			v->n--;
		}
		if (!have || !last)
			return;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct lent *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv) {
			b->err = -ENOMEM;
			return;
		}
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] =
	    (struct lent){ .pc = pc, .line = line, .col = col, .file = file, .stmt = stmt };
}

#define NO_SUB UINT32_MAX

/* The state of gdb's lnp_state_machine for one sequence. */
struct lsm {
	uint64_t addr, last_addr;
	unsigned int op_index;
	uint64_t file;
	uint32_t line, last_line, col;
	bool stmt, stmt_at_addr, recording, nonzero_discr;
	unsigned int discr;
	uint32_t cur_sub, last_sub;
};

static bool file_ok(const struct builder *b, const struct lhdr *h, uint64_t file)
{
	return file < b->nfiles && (h->version >= 5 || file >= 1);
}

/* gdb's lnp_state_machine::record_line(). */
static void sm_record(struct builder *b, const struct lhdr *h, struct lsm *s, bool end_seq)
{
	if (file_ok(b, h, s->file) && (s->op_index == 0 || end_seq) && s->cur_sub != NO_SUB) {
		bool changed = s->last_sub != s->cur_sub;
		bool ignore = (changed && !end_seq && s->last_addr == s->addr && !s->stmt &&
			       s->stmt_at_addr) ||
			      (!end_seq && !s->line);

		if (((changed && !ignore) || end_seq) && s->last_sub != NO_SUB && s->recording)
			record(b, s->last_sub, 0, s->addr, true, 0, 0);
		if (!end_seq && !ignore) {
			if ((s->cur_sub != s->last_sub || s->line != s->last_line ||
			     !s->nonzero_discr) &&
			    s->recording)
				record(b, s->cur_sub, s->line, s->addr, s->stmt, s->col,
				       (uint32_t)s->file);
			s->last_sub = s->cur_sub;
			s->last_line = s->line;
		}
	}
	if (s->last_addr != s->addr) {
		s->stmt_at_addr = false;
		s->last_addr = s->addr;
	}
	s->stmt_at_addr |= s->stmt;
}

static void sm_advance_line(struct lsm *s, int64_t delta)
{
	s->line += (uint32_t)delta;
	if (delta)
		s->nonzero_discr = s->discr != 0;
}

static void sm_advance_ops(const struct lhdr *h, struct lsm *s, uint64_t adj)
{
	s->addr += ((s->op_index + adj) / h->max_ops) * h->min_inst;
	s->op_index = (unsigned int)((s->op_index + adj) % h->max_ops);
}

/* Decodes the program (gdb's dwarf_decode_lines_1()); false when it is malformed. */
static bool decode(struct builder *b, const struct lhdr *h, struct reader *r, uint64_t lowpc)
{
	uint32_t cur_sub = NO_SUB;

	while (r->p < r->end && !b->err) {
		struct lsm s = { .file = 1,
				 .line = 1,
				 .stmt = h->default_stmt,
				 .recording = true,
				 .last_sub = NO_SUB };
		bool end_seq = false;

		if (file_ok(b, h, 1))
			cur_sub = b->canon[1];
		s.cur_sub = cur_sub;
		while (r->p < r->end && !end_seq && !b->err) {
			unsigned int op = *r->p++;

			if (op >= h->opcode_base) {
				unsigned int adj = op - h->opcode_base;

				sm_advance_ops(h, &s, adj / h->line_range);
				sm_advance_line(&s, h->line_base + (int)(adj % h->line_range));
				sm_record(b, h, &s, false);
				s.discr = 0;
				continue;
			}
			switch (op) {
			case 0: { /* extended opcode */
				uint64_t len = rd_uleb(r);
				const unsigned char *xend;
				unsigned int xop;

				if (r->err || !len || len > (uint64_t)(r->end - r->p))
					return false;
				xend = r->p + len;
				xop = *r->p++;
				if (xop >= DW_LNE_lo_user && xop <= DW_LNE_hi_user) {
					r->p = xend;
					break;
				}
				switch (xop) {
				case DW_LNE_end_sequence:
					s.recording = true;
					end_seq = true;
					break;
				case DW_LNE_set_address: {
					size_t n = (size_t)(xend - r->p);
					uint64_t a = n <= 8 ? rd_fixed(r, n) : 0;

					if (n > 8)
						return false;
					if ((a == 0 && lowpc > 0) || a == UINT64_MAX)
						s.recording = false;
					s.op_index = 0;
					s.addr = a;
					break;
				}
				case DW_LNE_define_file:
					r->p = xend; /* gdb adds a file entry; libdw's table has
							none */
					break;
				case DW_LNE_set_discriminator:
					s.discr = (unsigned int)rd_uleb(r);
					s.nonzero_discr |= s.discr != 0;
					break;
				default:
					return false;
				}
				if (r->p != xend)
					return false;
				break;
			}
			case DW_LNS_copy:
				sm_record(b, h, &s, false);
				s.discr = 0;
				break;
			case DW_LNS_advance_pc:
				sm_advance_ops(h, &s, rd_uleb(r));
				break;
			case DW_LNS_advance_line:
				sm_advance_line(&s, rd_sleb(r));
				break;
			case DW_LNS_set_file:
				s.file = rd_uleb(r);
				if (file_ok(b, h, s.file)) {
					s.last_sub = s.cur_sub;
					s.nonzero_discr = s.discr != 0;
					s.cur_sub = cur_sub = b->canon[s.file];
				}
				break;
			case DW_LNS_set_column:
				s.col = (uint32_t)rd_uleb(r);
				break;
			case DW_LNS_negate_stmt:
				s.stmt = !s.stmt;
				break;
			case DW_LNS_const_add_pc:
				sm_advance_ops(h, &s, (255 - h->opcode_base) / h->line_range);
				break;
			case DW_LNS_fixed_advance_pc:
				s.addr += rd_fixed(r, 2);
				s.op_index = 0;
				break;
			default:
				/* basic_block, prologue_end, epilogue_begin, isa, unknown: skipped
				 */
				for (unsigned int i = 0; op && i < h->std_len[op - 1]; i++)
					rd_uleb(r);
				break;
			}
			if (r->err)
				return false;
		}
		sm_record(b, h, &s, true);
	}
	return !b->err;
}

static int cmp_lent(const void *a, const void *b)
{
	const struct lent *x = a, *y = b;

	if (x->pc == y->pc && (x->line == 0) != (y->line == 0))
		return x->line == 0 ? -1 : 1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* qsort is not stable: sorts (entry, position) pairs, then copies the entries back. */
struct lpos {
	struct lent e;
	size_t pos;
};

static int cmp_lpos(const void *a, const void *b)
{
	const struct lpos *x = a, *y = b;
	int c = cmp_lent(&x->e, &y->e);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int stable_sort(struct lvec *v)
{
	struct lpos *tmp;
	bool sorted = true;

	for (size_t i = 1; i < v->n && sorted; i++)
		sorted = cmp_lent(&v->v[i - 1], &v->v[i]) <= 0;
	if (sorted)
		return 0;
	tmp = malloc(v->n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++)
		tmp[i] = (struct lpos){ .e = v->v[i], .pos = i };
	qsort(tmp, v->n, sizeof(*tmp), cmp_lpos);
	for (size_t i = 0; i < v->n; i++)
		v->v[i] = tmp[i].e;
	free(tmp);
	return 0;
}

struct fname {
	const char *name;
	uint32_t idx;
};

static int cmp_fname(const void *a, const void *b)
{
	const struct fname *x = a, *y = b;
	int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* canon[i]: the lowest file index with file i's full name (gdb's subfile identity). */
static uint32_t *canonical_files(Dwarf_Files *files, size_t n)
{
	struct fname *v = malloc(n * sizeof(*v));
	uint32_t *canon = malloc(n * sizeof(*canon));

	if (!v || !canon) {
		free(v);
		free(canon);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (struct fname){ .name = dwarf_filesrc(files, i, NULL, NULL),
				       .idx = (uint32_t)i };
	qsort(v, n, sizeof(*v), cmp_fname);
	for (size_t i = 0; i < n; i++) {
		bool same = i && v[i].name && v[i - 1].name && !strcmp(v[i].name, v[i - 1].name);

		canon[v[i].idx] = same ? canon[v[i - 1].idx] : v[i].idx;
	}
	free(v);
	return canon;
}

/*
 * The lowest address of the CU's code, as gdb takes it for its GC'd-sequence
 * check: like gdb, ranges that start at 0 (dropped functions) are not code.
 */
static uint64_t cu_lowpc(Dwarf_Die *cu)
{
	Dwarf_Addr low = 0, base, start, end, best = UINT64_MAX;
	ptrdiff_t off = 0;

	if (!dwarf_lowpc(cu, &low) && low)
		return low;
	while ((off = dwarf_ranges(cu, off, &base, &start, &end)) > 0)
		if (start && start < best && end > start)
			best = start;
	return best == UINT64_MAX ? low : best;
}

static int build(struct ltab *t, Dwarf_Die *cu, Dwarf_Word off)
{
	struct builder b = { 0 };
	struct reader r;
	struct lhdr h;
	Elf_Data *d;
	size_t nfiles, total = 0;
	uint32_t *canon = NULL;
	int err = 0;

	t->bad = true;
	if (dwarf_getsrcfiles(cu, &t->files, &nfiles) || !nfiles)
		return 0;
	d = debug_line(t->dbg);
	if (!d || !d->d_buf || off >= d->d_size)
		return 0;
	r = (struct reader){ .p = (const unsigned char *)d->d_buf + off,
			     .end = (const unsigned char *)d->d_buf + d->d_size };
	if (!read_header(&r, &h))
		return 0;
	canon = canonical_files(t->files, nfiles);
	b.sub = calloc(nfiles, sizeof(*b.sub));
	if (!canon || !b.sub) {
		err = -ENOMEM;
		goto out;
	}
	b.canon = canon;
	b.nfiles = nfiles;
	if (!decode(&b, &h, &r, cu_lowpc(cu))) {
		err = b.err;
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (b.sub[i].n)
			t->nsub++;
		total += b.sub[i].n;
	}
	t->e = malloc((total ? total : 1) * sizeof(*t->e));
	t->start = malloc((t->nsub + 1) * sizeof(*t->start));
	if (!t->e || !t->start) {
		err = -ENOMEM;
		goto out;
	}
	t->nsub = 0;
	total = 0;
	for (size_t i = 0; i < nfiles && !err; i++) {
		if (!b.sub[i].n)
			continue;
		err = stable_sort(&b.sub[i]);
		t->start[t->nsub++] = total;
		memcpy(t->e + total, b.sub[i].v, b.sub[i].n * sizeof(*t->e));
		total += b.sub[i].n;
	}
	t->start[t->nsub] = total;
	t->bad = err != 0;
out:
	if (b.sub)
		for (size_t i = 0; i < nfiles; i++)
			free(b.sub[i].v);
	free(b.sub);
	free(canon);
	return err;
}

static size_t tab_rows(const struct ltab *t)
{
	return t->start ? t->start[t->nsub] : 0;
}

static void tab_free(struct ltab *t)
{
	free(t->e);
	free(t->start);
}

/* ---- the cache ------------------------------------------------------------------ */

void rs_lcache_free(struct rs_lcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		tab_free(&c->t[i]);
	free(c->t);
	free(c);
}

static int tab_cmp(const struct ltab *t, Dwarf *dbg, Dwarf_Off off)
{
	if (t->dbg != dbg)
		return (uintptr_t)t->dbg < (uintptr_t)dbg ? -1 : 1;
	return t->off < off ? -1 : t->off > off;
}

/* The decoded tables of cu (decoding them on first use), or NULL on allocation failure. */
static struct ltab *get_tab(struct rs_lcache **cp, Dwarf_Die *cu, Dwarf_Off off, int *err)
{
	Dwarf *dbg = dwarf_cu_getdwarf(cu->cu);
	struct rs_lcache *c = *cp;
	size_t lo = 0, hi;
	struct ltab *t;

	if (!c) {
		c = *cp = calloc(1, sizeof(*c));
		if (!c) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = tab_cmp(&c->t[mid], dbg, off);

		if (!r)
			return &c->t[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (c->rows > ROWS_MAX) {
		for (size_t i = 0; i < c->n; i++)
			tab_free(&c->t[i]);
		c->n = c->rows = 0;
		lo = 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct ltab *v = realloc(c->t, cap * sizeof(*v));

		if (!v) {
			*err = -ENOMEM;
			return NULL;
		}
		c->t = v;
		c->cap = cap;
	}
	t = &c->t[lo];
	memmove(t + 1, t, (c->n - lo) * sizeof(*t));
	c->n++;
	*t = (struct ltab){ .dbg = dbg, .off = off };
	*err = build(t, cu, off);
	c->rows += tab_rows(t);
	return t;
}

/* gdb's find_pc_sect_line() over the tables of t. */
static const struct lent *best_row(const struct ltab *t, uint64_t pc)
{
	const struct lent *best = NULL;

	for (size_t s = 0; s < t->nsub; s++) {
		const struct lent *first = t->e + t->start[s], *last = t->e + t->start[s + 1];
		const struct lent *lo = first, *hi = last, *prev;

		while (lo < hi) { /* upper bound */
			const struct lent *mid = lo + (hi - lo) / 2;

			if (pc < mid->pc)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (lo == first)
			continue;
		prev = lo - 1;
		if (!prev->line || (best && prev->pc <= best->pc))
			continue;
		best = prev;
		if (!best->stmt) {
			const struct lent *tmp = best;

			while (tmp > first && (tmp - 1)->pc == tmp->pc && (tmp - 1)->line &&
			       !tmp->stmt)
				tmp--;
			if (tmp->stmt)
				best = tmp;
		}
	}
	return best;
}

int rs_srcline_find(struct rs_lcache **cache, Dwarf_Die *cu, Dwarf_Addr addr,
		    struct rs_srcline *out)
{
	const struct lent *best;
	Dwarf_Attribute a;
	struct ltab *t;
	Dwarf_Word off;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!cache || !cu || !dwarf_attr(cu, DW_AT_stmt_list, &a) || dwarf_formudata(&a, &off))
		return -ENOENT;
	t = get_tab(cache, cu, off, &err);
	if (err)
		return err;
	if (!t || t->bad)
		return -ENOENT;
	best = best_row(t, addr);
	if (!best || !best->line)
		return 0;
	out->file = dwarf_filesrc(t->files, best->file, NULL, NULL);
	out->line = (int)best->line;
	out->col = (int)best->col;
	return 1;
}
