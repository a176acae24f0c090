// SPDX-License-Identifier: GPL-2.0
/*
 * User PC -> frames (stack.h). DWARF first: the DIEs whose ranges hold the
 * address give the inline chain (innermost first) and the function around
 * it; the line table gives the innermost file:line and each
 * inlined_subroutine's call_file / call_line the location in the frame it was
 * inlined into (as eu-addr2line -i and gdb do). Without DWARF: .symtab, then
 * .dynsym (dwfl_module_addrinfo). Results are cached by build-id in the
 * rs_symcache, so DWARF is read once per binary, not per process.
 *
 * Over 500 lines on purpose: the inline chain, the call-site lines and the
 * symbol-table fallback are one lookup that shares the module's DWARF
 * handles and the cache entry being filled; the gdb-specific naming and
 * lines already live in stack/gdb/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "stack/gdb/gdb.h"
#include "stack/stack.h"
#include "stack/stack_priv.h"
#include "lib/lib.h"

#define SCOPE_DEPTH_MAX 16
#define CHAIN_MAX	64
_Static_assert(CHAIN_MAX == RS_NESTED_DEPTH_MAX, "find_pc_nested() and its index walk alike");

struct fvec {
	struct rs_frame *v;
	size_t n, cap;
};

static void fvec_clear(struct fvec *fv)
{
	for (size_t i = 0; i < fv->n; i++)
		rs_frame_clear(&fv->v[i]);
	free(fv->v);
	fv->v = NULL;
	fv->n = fv->cap = 0;
}

/* Appends a zeroed frame; NULL on allocation failure. */
static struct rs_frame *fvec_push(struct fvec *fv)
{
	if (rs_grow(&fv->v, &fv->cap, fv->n, sizeof(*fv->v), 4))
		return NULL;
	memset(&fv->v[fv->n], 0, sizeof(fv->v[0]));
	return &fv->v[fv->n++];
}

static int set_str(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static const char *attr_string(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute attr;

	return dwarf_attr_integrate(die, name, &attr) ? dwarf_formstring(&attr) : NULL;
}

/* The function name of a subprogram or inlined_subroutine DIE of m as gdb shows it (dwname.c). */
static char *die_function(struct rs_mod *m, Dwarf_Die *die, int lang, bool *oom)
{
	return rs_dw_function_name(m ? &m->names : NULL, die, lang, oom);
}

/*
 * Sets *dst to file, joined to comp_dir when relative. libdw already joined
 * names of directory entry 0, which is comp_dir itself in DWARF 5: a relative
 * comp_dir ("./nptl", as glibc's debug-prefix-map leaves it) is not added twice.
 * 0 or -ENOMEM.
 */
static int set_path(char **dst, const char *comp_dir, const char *file)
{
	size_t dl, fl;

	if (!file || file[0] == '/' || !comp_dir || !comp_dir[0])
		return set_str(dst, file);
	dl = strlen(comp_dir);
	fl = strlen(file);
	if (fl > dl && !strncmp(file, comp_dir, dl) && file[dl] == '/')
		return set_str(dst, file);
	*dst = malloc(dl + fl + 2);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, comp_dir, dl);
	(*dst)[dl] = '/';
	memcpy(*dst + dl + 1, file, fl + 1);
	return 0;
}

/* Where a frame stands in the source. */
struct srcpos {
	const char *comp_dir;
	const char *file;
	int line, col;
};

/* Fills name, file, line and column of f; die may be NULL. 0 or -ENOMEM. */
static int fill(struct rs_mod *m, struct rs_frame *f, Dwarf_Die *die, int lang,
		const struct srcpos *pos)
{
	if (die) {
		bool oom;

		f->function = die_function(m, die, lang, &oom);
		if (oom)
			return -ENOMEM;
	}
	f->line = pos->line > 0 ? (uint32_t)pos->line : 0;
	f->column = pos->col > 0 ? (uint32_t)pos->col : 0;
	return set_path(&f->file, pos->comp_dir, pos->file);
}

/* The call site of an inlined_subroutine: where the frame it was inlined into stands. */
static void call_site(Dwarf_Die *inl, Dwarf_Files *files, size_t nfiles, struct srcpos *pos)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	pos->file = NULL;
	pos->line = pos->col = 0;
	if (files && dwarf_attr(inl, DW_AT_call_file, &a) && !dwarf_formudata(&a, &w) && w < nfiles)
		pos->file = dwarf_filesrc(files, w, NULL, NULL);
	if (dwarf_attr(inl, DW_AT_call_line, &a) && !dwarf_formudata(&a, &w))
		pos->line = (int)w;
	if (dwarf_attr(inl, DW_AT_call_column, &a) && !dwarf_formudata(&a, &w))
		pos->col = (int)w;
}

static size_t underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* A function address and its symbol with the fewest leading underscores (the first such). */
struct rs_alias {
	GElf_Addr addr;
	int sym;
	size_t underscores;
};

static int cmp_alias(const void *a, const void *b)
{
	const struct rs_alias *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->underscores != y->underscores)
		return x->underscores < y->underscores ? -1 : 1;
	return (x->sym > y->sym) - (x->sym < y->sym);
}

/* m's function symbols by address, the best name first per address; false when unbuilt. */
static bool aliases_of(struct rs_mod *m, Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod);
	size_t w = 0;

	if (m->aliases || m->n_aliases == SIZE_MAX)
		return m->aliases;
	m->n_aliases = SIZE_MAX;
	if (n < 2 || !(m->aliases = malloc((size_t)n * sizeof(*m->aliases))))
		return false;
	for (int i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (s && GELF_ST_TYPE(sym.st_info) == STT_FUNC)
			m->aliases[w++] = (struct rs_alias){ addr, i, underscores(s) };
	}
	qsort(m->aliases, w, sizeof(*m->aliases), cmp_alias);
	m->n_aliases = w;
	return true;
}

/*
 * Among the function symbols at start, the one a person would call it: the
 * fewest leading underscores ("clone3", not "__clone3" or "__GI___clone3"),
 * as gdb shows it. Ties keep libdw's choice. Through the module's alias
 * index (a binary search) when there is one, else a scan of the symbols.
 */
static const char *public_alias(Dwfl_Module *mod, const char *name, GElf_Addr start)
{
	struct rs_mod *m = rs_mod_of(mod);
	int n;

	if (!underscores(name))
		return name;
	if (m && aliases_of(m, mod)) {
		size_t lo = 0, hi = m->n_aliases;

		while (lo < hi) { /* the first entry at start or above */
			size_t mid = lo + (hi - lo) / 2;

			if (m->aliases[mid].addr < start)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < m->n_aliases && m->aliases[lo].addr == start &&
		    m->aliases[lo].underscores < underscores(name)) {
			const char *s =
			    dwfl_module_getsym_info(mod, m->aliases[lo].sym, &(GElf_Sym){ 0 },
						    &(GElf_Addr){ 0 }, NULL, NULL, NULL);

			return s ? s : name;
		}
		return name;
	}
	n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n && underscores(name); i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (s && addr == start && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
		    underscores(s) < underscores(name))
			name = s;
	}
	return name;
}

/*
 * gas names an assembly function's DWARF after one of its symbols
 * ("__clone3"); the public alias ("clone3") is what gdb shows. NULL when
 * there is no better name.
 */
static char *asm_alias(Dwfl_Module *mod, Dwarf_Die *die, Dwarf_Addr bias, const char *name)
{
	const char *alias;
	Dwarf_Addr entry;

	if (dwarf_entrypc(die, &entry))
		return NULL;
	alias = public_alias(mod, name, entry + bias);
	return alias == name ? NULL : strdup(alias);
}

/* The DIEs containing an address, outermost first, as the DIE tree nests them. */
struct chain {
	Dwarf_Die die[CHAIN_MAX];
	int n;
};

/*
 * Appends to c the path from parent's children down to the innermost DIE
 * whose ranges hold pc; true when one was found. Walks into namespaces and
 * types (C++ and Rust nest function definitions there) and imported units
 * without recording them. dwarf_getscopes() is not used: past an inlined
 * instance it returns the scopes of the abstract definition, not the
 * functions it was inlined into.
 */
static bool find_pc(Dwarf_Die *parent, Dwarf_Addr pc, struct chain *c, int depth)
{
	Dwarf_Die child, imported;
	Dwarf_Attribute a;

	if (depth > CHAIN_MAX || dwarf_child(parent, &child))
		return false;
	do {
		switch (rs_die_kind(dwarf_tag(&child))) {
		case RS_DIE_CODE:
			if (dwarf_haspc(&child, pc) <= 0)
				break;
			if (c->n < CHAIN_MAX) {
				c->die[c->n++] = child;
				find_pc(&c->die[c->n - 1], pc, c, depth + 1);
			}
			return true;
		case RS_DIE_CONTAINER:
			if (find_pc(&child, pc, c, depth + 1))
				return true;
			break;
		case RS_DIE_IMPORT:
			if (dwarf_attr(&child, DW_AT_import, &a) &&
			    dwarf_formref_die(&a, &imported) &&
			    find_pc(&imported, pc, c, depth + 1))
				return true;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/*
 * find_pc() for a function defined where find_pc() does not look: a member
 * function of a class local to another function (a lambda's operator(),
 * whose class gcc nests in the enclosing function's DIE), whose ranges the
 * enclosing function's do not hold. Searches every DIE under parent.
 */
static bool find_pc_nested(Dwarf_Die *parent, Dwarf_Addr pc, struct chain *c, int depth)
{
	Dwarf_Die child;

	if (depth > CHAIN_MAX || dwarf_child(parent, &child))
		return false;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_subprogram && dwarf_haspc(&child, pc) > 0) {
			c->n = 0;
			c->die[c->n++] = child;
			find_pc(&c->die[0], pc, c, depth + 1);
			return true;
		}
		if (dwarf_haschildren(&child) > 0 && find_pc_nested(&child, pc, c, depth + 1))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool has_function(const struct chain *c)
{
	for (int i = 0; i < c->n; i++)
		if (dwarf_tag((Dwarf_Die *)&c->die[i]) == DW_TAG_subprogram)
			return true;
	return false;
}

/* The chain of DIEs holding pc, outermost first (see find_pc()). */
static void find_chain(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr pc, struct chain *c)
{
	Dwarf_Die top;
	int r = m ? rs_cu_top_die(m, cu, pc, &top) : -1;

	if (r > 0) {
		c->n = 0;
		c->die[c->n++] = top;
		find_pc(&c->die[0], pc, c, 1);
	} else if (r < 0) {
		find_pc(cu, pc, c, 0);
	}
	if (!has_function(c)) {
		struct chain *d = calloc(1, sizeof(*d));
		Dwarf_Die sub;
		int depth = 0;

		r = d && m ? rs_cu_nested_die(m, cu, pc, &sub, &depth) : -1;
		if (d && r > 0) { /* what find_pc_nested() would find, from the index */
			d->die[d->n++] = sub;
			find_pc(&d->die[0], pc, d, depth + 1);
			*c = *d;
		} else if (d && r < 0 && find_pc_nested(cu, pc, d, 0)) {
			*c = *d;
		}
		free(d);
	}
}

int rs_dwarf_function(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Die *out)
{
	struct chain *c = calloc(1, sizeof(*c));
	int err = -ENOENT;

	if (!c)
		return -ENOMEM;
	find_chain(m, cu, addr, c);
	for (int i = c->n - 1; i >= 0 && err; i--) {
		if (dwarf_tag(&c->die[i]) == DW_TAG_subprogram) {
			*out = c->die[i];
			err = 0;
		}
	}
	free(c);
	return err;
}

/*
 * The file:line of addr as gdb shows it (srcline.c); libdw's row when the
 * line program cannot be decoded here. 0 or -ENOMEM.
 */
static int line_of(Dwfl_Module *mod, Dwarf_Die *cu, uint64_t addr, Dwarf_Addr bias,
		   struct srcpos *pos)
{
	struct rs_mod *m = rs_mod_of(mod);
	struct rs_srcline sl;
	Dwfl_Line *dl;
	int r = m ? rs_srcline_find(&m->lines, cu, addr - bias, &sl) : -ENOENT;

	if (r == -ENOMEM)
		return r;
	if (r >= 0) {
		pos->file = sl.file;
		pos->line = sl.line;
		pos->col = sl.col;
		return 0;
	}
	dl = dwfl_module_getsrc(mod, addr);
	if (dl)
		pos->file = dwfl_lineinfo(dl, NULL, &pos->line, &pos->col, NULL, NULL);
	return 0;
}

static bool cu_has_ranges(Dwarf_Die *cu)
{
	return dwarf_hasattr(cu, DW_AT_ranges) ||
	       (dwarf_hasattr(cu, DW_AT_low_pc) && dwarf_hasattr(cu, DW_AT_high_pc));
}

/*
 * Frames from DWARF for addr (innermost first). Leaves fv empty when the
 * module has no DWARF for addr; the last frame's function is NULL when no
 * subprogram covers addr (the caller then asks the symbol table).
 */
static int dwarf_frames(Dwfl_Module *mod, uint64_t addr, struct fvec *fv)
{
	Dwarf_Files *files = NULL;
	struct srcpos pos = { 0 };
	struct chain *c = NULL;
	Dwarf_Addr bias;
	Dwarf_Die *cu, *unit, split;
	size_t nfiles = 0;
	int lang, err = 0;
	bool done = false;

	cu = rs_addrdie(mod, addr, &bias);
	if (!cu)
		return 0;
	/* Line table and comp_dir from the skeleton; DIEs from the split unit. */
	unit = rs_unit_die(cu, &split);
	lang = dwarf_srclang(unit);
	pos.comp_dir = attr_string(cu, DW_AT_comp_dir);
	err = line_of(mod, cu, addr, bias, &pos);
	if (err)
		return err;
	if (dwarf_getsrcfiles(unit, &files, &nfiles))
		files = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	find_chain(rs_mod_of(mod), unit, addr - bias, c);
	for (int i = c->n - 1; i >= 0 && !done && !err; i--) {
		int tag = dwarf_tag(&c->die[i]);
		struct rs_frame *f;

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		f = fvec_push(fv);
		if (!f) {
			err = -ENOMEM;
			break;
		}
		err = fill(rs_mod_of(mod), f, &c->die[i], lang, &pos);
		if (tag == DW_TAG_subprogram) {
			char *sym = NULL;

			if (!err && lang == DW_LANG_Mips_Assembler && f->function)
				sym = asm_alias(mod, &c->die[i], bias, f->function);
			if (sym) {
				free(f->function);
				f->function = sym;
			}
			done = true;
		} else {
			f->inlined = true;
			call_site(&c->die[i], files, nfiles, &pos);
		}
	}
	free(c);
	/*
	 * A line but no function: .debug_aranges may give a CU an address its own
	 * ranges leave out (rustc's main shim), whose nearest row is some other
	 * code's. gdb takes a CU only by its ranges and shows no line then.
	 */
	if (!done && !fv->n && pos.file && cu_has_ranges(cu) && dwarf_haspc(cu, addr - bias) != 1)
		pos.file = NULL;
	if (!err && !done && (pos.file || fv->n)) {
		/* Line info but no enclosing function (assembly, or a function without DWARF). */
		struct rs_frame *f = fvec_push(fv);

		err = f ? fill(NULL, f, NULL, lang, &pos) : -ENOMEM;
	}
	return err;
}

/* Names the outermost frame from .symtab / .dynsym when DWARF did not. */
static int symtab_name(Dwfl_Module *mod, uint64_t addr, uint64_t pc, struct rs_frame *f)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *name;

	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name)
		return 0;
	name = public_alias(mod, name, addr - off);
	/* gdb keeps a Rust symbol's hash (legacy) and crate disambiguators (v0) here. */
	f->function = rs_demangle(name, RS_DEMANGLE_PARAMS | RS_DEMANGLE_KEEP_HASH);
	if (!f->function)
		return -ENOMEM;
	if (!strcmp(f->function, name)) {
		/* Not C++ or Rust: gdb then tries it as a GNAT-encoded Ada name. */
		char *ada = rs_ada_decode(name);

		if (ada) {
			free(f->function);
			f->function = ada;
		}
	}
	f->sym_offset = off + (pc - addr);
	return 0;
}

static int lookup(Dwfl_Module *mod, uint64_t addr, uint64_t pc, bool dwarf, struct fvec *fv)
{
	struct rs_mod *m = rs_mod_of(mod);
	struct rs_frame *last;
	int err = 0;

	if (mod && dwarf)
		err = dwarf_frames(mod, addr, fv);
	if (!err && !fv->n && !fvec_push(fv))
		err = -ENOMEM;
	if (err)
		return err;
	last = &fv->v[fv->n - 1];
	if (mod && !last->function)
		err = symtab_name(mod, addr, pc, last);
	if (!err && !last->function && m) {
		/* Unknown function: the ELF address, for module+0xoffset. */
		GElf_Addr bias;

		last->sym_offset = dwfl_module_getelf(mod, &bias) ? pc - bias : pc - m->low;
	}
	return err;
}

/* Appends copies of src to *frames / *n with addr and module set. */
static int append(struct rs_frame **frames, size_t *n, const struct rs_frame *src, size_t count,
		  uint64_t pc, const char *module)
{
	struct rs_frame *v = realloc(*frames, (*n + count) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*frames = v;
	for (size_t i = 0; i < count; i++) {
		struct rs_frame *d = &v[*n];

		*d = src[i];
		d->function = d->file = d->module = NULL;
		d->addr = pc;
		d->kernel = false;
		if (set_str(&d->function, src[i].function) || set_str(&d->file, src[i].file) ||
		    set_str(&d->module, module)) {
			rs_frame_clear(d);
			return -ENOMEM;
		}
		(*n)++;
	}
	return 0;
}

static int symbolize(struct rs_proc *p, uint64_t pc, bool activation, struct rs_frame **frames,
		     size_t *n)
{
	uint64_t addr = activation || !pc ? pc : pc - 1;
	const struct rs_frame *cached = NULL;
	struct rs_symkey key = { .activation = activation };
	const unsigned char *bits;
	struct fvec fv = { 0 };
	const struct rs_map *map;
	const char *module;
	Dwfl_Module *mod;
	struct rs_mod *m;
	GElf_Addr vaddr;
	size_t count = 0;
	int len, err;
	bool late;

	if (!p || !frames || !n)
		return -EINVAL;
	mod = dwfl_addrmodule(p->dwfl, addr);
	m = rs_mod_of(mod);
	map = rs_maps_find(&p->maps, pc);
	module = m ? m->path : map ? map->path : NULL;
	if (m && p->cache && (len = dwfl_module_build_id(mod, &bits, &vaddr)) > 0) {
		key.build_id = bits;
		key.build_id_len = (size_t)len;
		key.addr = pc - m->low;
		cached = rs_symcache_get(p->cache, &key, &count);
		if (cached)
			return append(frames, n, cached, count, pc, module);
	}
	late = rs_proc_past_deadline(p);
	err = lookup(mod, addr, pc, !late, &fv);
	if (!err && key.build_id && !late)
		err = rs_symcache_put(p->cache, &key, fv.v, fv.n);
	if (!err)
		err = append(frames, n, fv.v, fv.n, pc, module);
	fvec_clear(&fv);
	return err;
}

/* libdw reads p's files (a .dwo, a DWZ file) only inside p's root (dwopen.c). */
int rs_symbolize(struct rs_proc *p, uint64_t pc, bool activation, struct rs_frame **frames,
		 size_t *n)
{
	struct rs_proc *prev = rs_root_enter(p);
	int err = symbolize(p, pc, activation, frames, n);

	rs_root_leave(prev);
	return err;
}
