// SPDX-License-Identifier: GPL-2.0
/*
 * Symbolizes PCs of live fixture victims (tests/fixtures/unwind) and of this
 * test process: inline chains, symbol-table fallbacks, debuglink lookups,
 * Rust names, the vdso, unknown PCs and the shared cache; the line-table row
 * and the C++ names gdb shows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <gelf.h>
#include <cmocka.h>
#include "stack/gdb/gdb.h"
#include "stack/stack.h"
#include "stack/stack_priv.h"
#include "victim.h"

/* A started victim with its first sample and an rs_proc on it. */
struct live {
	struct victim v;
	struct victim_sample s;
	struct rs_proc *p;
};

static void live_start(struct live *l, const char *bin, const char *mode, struct rs_symcache *cache)
{
	memset(l, 0, sizeof(*l));
	victim_start(&l->v, bin, mode, NULL);
	victim_sample(&l->v, &l->s);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)l->v.pid, cache, &l->p), 0);
}

static void live_stop(struct live *l)
{
	rs_proc_free(l->p);
	free(l->s.stack);
	victim_stop(&l->v);
}

static void frames_clear(struct rs_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rs_frame_clear(&f[i]);
	free(f);
}

/* No module problem was recorded for the victim's own files. */
static void assert_no_warning_for(const struct rs_proc *p, const char *what)
{
	const char *w = rs_proc_warnings(p);

	if (w && strstr(w, what))
		fprintf(stderr, "warnings:\n%s", w);
	assert_true(!w || !strstr(w, what));
}

static void assert_module(const struct rs_frame *f, const char *bin)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s", VICTIM_DIR, bin);
	assert_non_null(f->module);
	assert_string_equal(f->module, want);
}

static void test_symbolize_inline_chain(void **state)
{
	struct rs_frame *f = NULL;
	struct live l;
	size_t n = 0;

	(void)state;
	live_start(&l, "victim_nofp", "inline", NULL);
	assert_int_equal(rs_symbolize(l.p, l.s.hdr.regs.ip, true, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].function, "inl_inner");
	assert_true(f[0].inlined);
	assert_at(&f[0], "tests/fixtures/unwind/victim.c", "inl-capture");
	assert_string_equal(f[1].function, "inl_outer");
	assert_true(f[1].inlined);
	assert_at(&f[1], "tests/fixtures/unwind/victim.c", "inl-call-inner");
	assert_string_equal(f[2].function, "inl_host");
	assert_false(f[2].inlined);
	assert_at(&f[2], "tests/fixtures/unwind/victim.c", "inl-call-outer");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(f[i].addr, l.s.hdr.regs.ip);
		assert_module(&f[i], "victim_nofp");
		assert_false(f[i].kernel);
	}
	assert_no_warning_for(l.p, "victim");
	frames_clear(f, n);
	live_stop(&l);
}

static void test_symbolize_cxx_qualified_names(void **state)
{
	struct rs_frame *f = NULL;
	struct live l;
	size_t n = 0;

	(void)state;
	live_start(&l, "victim_cxx", "cxx", NULL);
	assert_int_equal(rs_symbolize(l.p, l.s.hdr.regs.ip, true, &f, &n), 0);
	assert_int_equal(n, 2);
	/* extern "C": no linkage name, qualified from the enclosing namespace DIEs */
	assert_string_equal(f[0].function, "outer::inner::cxx_inner");
	assert_true(f[0].inlined);
	assert_at(&f[0], "tests/fixtures/unwind/victim.c", "cxx-capture");
	assert_string_equal(f[1].function, "outer::inner::cxx_host"); /* as gdb names it */
	assert_at(&f[1], "tests/fixtures/unwind/victim.c", "cxx-call-inner");
	frames_clear(f, n);
	live_stop(&l);
}

/* Unwinds bin's main sample and checks the first four names; files must be absent. */
static void assert_names_without_dwarf(const char *bin)
{
	static const char *const want[] = { "level_three", "level_two", "level_one", "main" };
	struct stack st = { 0 };
	struct live l;

	live_start(&l, bin, "main", NULL);
	unwind_sample(l.p, &l.s, l.s.hdr.len, &st);
	assert_true(st.n >= 4);
	for (size_t i = 0; i < 4; i++) {
		if (!name_matches(st.f[i].function, want[i]))
			stack_print(&st);
		assert_true(name_matches(st.f[i].function, want[i]));
		assert_null(st.f[i].file);
		assert_int_equal(st.f[i].line, 0);
		assert_false(st.f[i].inlined);
		assert_module(&st.f[i], bin);
		/* sym_offset: from the symbol's start to the PC, inside the small function */
		assert_true(st.f[i].sym_offset > 0 && st.f[i].sym_offset < 0x200);
	}
	assert_true(st.u.info.complete);
	stack_clear(&st);
	live_stop(&l);
}

static void test_symbolize_symtab_fallback(void **state)
{
	(void)state;
	assert_names_without_dwarf("victim_symtab");
}

static void test_symbolize_dynsym_fallback(void **state)
{
	(void)state;
	assert_names_without_dwarf("victim_dynsym");
}

static void test_symbolize_rejects_wrong_debuglink_file(void **state)
{
	(void)state;
	assert_names_without_dwarf("victim_badlink");
}

static void test_symbolize_rejects_debuglink_with_wrong_crc(void **state)
{
	(void)state;
	assert_names_without_dwarf("victim_badcrc");
}

static void assert_debuglink_found(const char *bin)
{
	struct rs_frame *f = NULL;
	struct live l;
	size_t n = 0;

	live_start(&l, bin, "inline", NULL);
	assert_int_equal(rs_symbolize(l.p, l.s.hdr.regs.ip, true, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].function, "inl_inner");
	assert_at(&f[0], "tests/fixtures/unwind/victim.c", "inl-capture");
	assert_string_equal(f[2].function, "inl_host");
	assert_at(&f[2], "tests/fixtures/unwind/victim.c", "inl-call-outer");
	assert_module(&f[0], bin);
	frames_clear(f, n);
	live_stop(&l);
}

static void test_symbolize_debuglink_by_build_id(void **state)
{
	(void)state;
	assert_debuglink_found("victim_dbg");
}

static void test_symbolize_debuglink_by_crc(void **state)
{
	(void)state;
	assert_debuglink_found("victim_noid");
}

static void test_symbolize_deleted_binary(void **state)
{
	char dir[] = "/tmp/rs-test-XXXXXX", path[512], cmd[1024];
	struct stack st = { 0 };
	struct live l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/victim", dir);
	snprintf(cmd, sizeof(cmd), "cp %s/victim_nofp %s", VICTIM_DIR, path);
	assert_int_equal(system(cmd), 0);
	memset(&l, 0, sizeof(l));
	victim_start_path(&l.v, path, "main", NULL);
	victim_sample(&l.v, &l.s);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rs_proc_open("/proc", (uint32_t)l.v.pid, NULL, &l.p), 0);
	unwind_sample(l.p, &l.s, l.s.hdr.len, &st);
	assert_true(st.n >= 4);
	assert_string_equal(st.f[0].function, "level_three");
	assert_at(&st.f[0], "tests/fixtures/unwind/victim.c", "capture");
	assert_string_equal(st.f[0].module, path); /* " (deleted)" is not part of the name */
	assert_string_equal(st.f[3].function, "main");
	assert_true(st.u.info.complete);
	assert_no_warning_for(l.p, "victim");
	stack_clear(&st);
	live_stop(&l);
}

static void test_symbolize_rust_name_demangled(void **state)
{
	struct rs_frame *f = NULL;
	struct live l;
	size_t n = 0;

	(void)state;
	if (access(VICTIM_DIR "/rsvictim", X_OK))
		skip(); /* rustc was not found when the fixtures were built */
	live_start(&l, "rsvictim", "main", NULL);
	assert_int_equal(rs_symbolize(l.p, l.s.hdr.regs.ip, true, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].function, "rsvictim::capture");
	assert_true(f[0].inlined);
	assert_string_equal(f[1].function, "rsvictim::level_c");
	assert_false(f[1].inlined);
	assert_at(&f[1], "tests/fixtures/unwind/rsvictim.rs", "rs-capture");
	frames_clear(f, n);
	live_stop(&l);

	/*
	 * line-tables-only DWARF names functions "level_c", in no namespace: gdb
	 * shows that bare name (it never takes a Rust name from the symbol table)
	 */
	f = NULL;
	n = 0;
	live_start(&l, "rsvictim_lt", "main", NULL);
	assert_int_equal(rs_symbolize(l.p, l.s.hdr.regs.ip, true, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].function, "capture"); /* inlined: no symbol of its own */
	assert_true(f[0].inlined);
	assert_string_equal(f[1].function, "level_c");
	assert_at(&f[1], "tests/fixtures/unwind/rsvictim.rs", "rs-capture");
	frames_clear(f, n);
	live_stop(&l);
}

static void test_symbolize_unknown_pc(void **state)
{
	struct rs_proc *p = NULL;
	struct rs_frame *f = NULL;
	void *heap = malloc(64);
	size_t n = 0;

	(void)state;
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(rs_symbolize(p, 0x10, false, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_null(f[0].function);
	assert_null(f[0].module);
	assert_null(f[0].file);
	assert_int_equal(f[0].addr, 0x10);
	assert_int_equal(rs_symbolize(p, (uint64_t)(uintptr_t)heap, true, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_null(f[1].function);
	assert_null(f[1].file);
	assert_int_equal(rs_symbolize(NULL, 0x10, true, &f, &n), -EINVAL);
	frames_clear(f, n);
	rs_proc_free(p);
	free(heap);
}

static void test_symbolize_unnamed_address_gives_elf_offset(void **state)
{
	const struct rs_maps *maps;
	struct rs_frame *f = NULL;
	uint64_t base = 0;
	struct live l;
	size_t n = 0;

	(void)state;
	live_start(&l, "victim_dynsym", "main", NULL);
	maps = rs_proc_maps(l.p);
	for (size_t i = 0; i < maps->n && !base; i++)
		if (maps->v[i].path && strstr(maps->v[i].path, "/victim_dynsym") &&
		    !maps->v[i].offset)
			base = maps->v[i].start;
	assert_true(base != 0);
	/* the ELF header: inside the module, in no symbol */
	assert_int_equal(rs_symbolize(l.p, base + 0x10, true, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_null(f[0].function);
	assert_module(&f[0], "victim_dynsym");
	assert_int_equal(f[0].sym_offset, 0x10); /* PIE: the load bias is the base */
	frames_clear(f, n);
	live_stop(&l);
}

static void test_symbolize_own_function(void **state)
{
	uint64_t pc = (uint64_t)(uintptr_t)&test_symbolize_own_function;
	struct rs_proc *p = NULL;
	struct rs_frame *f = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(rs_symbolize(p, pc, true, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].function, "test_symbolize_own_function");
	assert_non_null(f[0].file);
	assert_non_null(strstr(f[0].file, "tests/unit/stack/test_symbolize.c"));
	assert_non_null(strstr(f[0].module, "test_symbolize"));
	frames_clear(f, n);
	rs_proc_free(p);
}

/* Finds a function of this process's vdso through its .dynsym. */
static uint64_t own_vdso_function(void)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	const GElf_Ehdr *eh = (const GElf_Ehdr *)base;
	uint64_t found = 0;
	Elf_Scn *scn = NULL;
	size_t size;
	char *copy;
	Elf *elf;

	assert_true(base != 0);
	/* the image ends with its section headers */
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	copy = malloc(size);
	assert_non_null(copy);
	memcpy(copy, (const void *)base, size);
	elf_version(EV_CURRENT);
	elf = elf_memory(copy, size);
	assert_non_null(elf);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, "__vdso_clock_gettime"))
				found = base + sym.st_value;
		}
	}
	elf_end(elf);
	free(copy);
	assert_true(found != 0);
	return found;
}

static void test_symbolize_vdso(void **state)
{
	struct rs_proc *p = NULL;
	struct rs_frame *f = NULL;
	size_t n = 0;
	uint64_t pc;

	(void)state;
	if (!getauxval(AT_SYSINFO_EHDR))
		skip(); /* no vdso here (valgrind hides it) */
	pc = own_vdso_function();
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(rs_symbolize(p, pc + 4, true, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_true(name_matches(f[0].function, "__vdso_clock_gettime|clock_gettime"));
	assert_int_equal(f[0].sym_offset, 4);
	assert_string_equal(f[0].module, "[vdso]");
	frames_clear(f, n);
	rs_proc_free(p);
}

static void test_symbolize_cache_shared_across_processes(void **state)
{
	struct rs_symcache *cache = NULL;
	struct stack a = { 0 }, b = { 0 };
	struct live la, lb;
	size_t filled;

	(void)state;
	assert_int_equal(rs_symcache_new(&cache), 0);
	live_start(&la, "victim_nofp", "main", cache);
	live_start(&lb, "victim_nofp", "main", cache);
	assert_int_equal(rs_symcache_count(cache), 0);
	unwind_sample(la.p, &la.s, la.s.hdr.len, &a);
	filled = rs_symcache_count(cache);
	assert_int_equal(filled, a.u.n);
	unwind_sample(lb.p, &lb.s, lb.s.hdr.len, &b);
	assert_int_equal(rs_symcache_count(cache), filled); /* all hits */
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.f[i].function, b.f[i].function);
		assert_int_equal(a.f[i].line, b.f[i].line);
		assert_string_equal(a.f[i].module, b.f[i].module);
		assert_int_equal(b.f[i].addr, b.u.pc[i]); /* each process keeps its own PCs */
	}
	/* again, from the cache: the same frames */
	stack_clear(&b);
	unwind_sample(lb.p, &lb.s, lb.s.hdr.len, &b);
	assert_string_equal(b.f[0].function, "level_three");
	assert_at(&b.f[0], "tests/fixtures/unwind/victim.c", "capture");
	stack_clear(&a);
	stack_clear(&b);
	live_stop(&la);
	live_stop(&lb);
	rs_symcache_free(cache);
	rs_symcache_free(NULL);
}

static void test_symbolize_cache_is_bounded(void **state)
{
	struct rs_symcache *cache = NULL;
	struct stack st = { 0 };
	struct live l;

	(void)state;
	assert_int_equal(rs_symcache_new(&cache), 0);
	rs_symcache_set_limit(cache, 3);
	live_start(&l, "victim_nofp", "main", cache);
	unwind_sample(l.p, &l.s, l.s.hdr.len, &st);
	assert_int_equal(st.u.n, 7);
	assert_true(rs_symcache_count(cache) >= 1 && rs_symcache_count(cache) <= 3);
	assert_string_equal(st.f[6].function, "_start");
	stack_clear(&st);
	live_stop(&l);
	rs_symcache_free(cache);
}

/* The address of symbol name in the ELF file at path (its .symtab), or 0. */
static uint64_t elf_symbol(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	uint64_t addr = 0;

	while (elf && !addr && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !addr; i++) {
			GElf_Sym sym;
			const char *s;

			if (gelf_getsym(d, (int)i, &sym) &&
			    (s = elf_strptr(elf, sh.sh_link, sym.st_name)) && !strcmp(s, name))
				addr = sym.st_value;
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return addr;
}

/* Starts VICTIM_DIR/bin, which blocks in pause(); its pid once it sleeps. */
static pid_t start_pausing(const char *bin)
{
	char path[512], stat[64], buf[512];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", VICTIM_DIR, bin);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(stat, "r");
		char *rp;

		if (f && fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && rp[2] == 'S') {
			fclose(f);
			return pid;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	fail_msg("%s did not start", bin);
	return -1;
}

static void stop_pausing(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = s ? strlen(s) : 0, b = strlen(tail);

	return s && a >= b && !strcmp(s + a - b, tail);
}

/*
 * Several line-table rows at one address (lines.s): the row gdb shows, not
 * libdw's last one. The CU has no .debug_aranges: found by its own ranges.
 */
static void test_symbolize_line_choice_as_gdb(void **state)
{
	static const struct {
		unsigned int off;
		bool activation;
		const char *file;
		int line;
	} want[] = {
		{ 0, true, "/src/a.c", 10 },
		/* a.c:11 is dropped as b.h:20 starts at its address; b.h:21 and a.c:12
		 * there are no is_stmt rows: gdb takes b.h:20 (libdw: a.c:12) */
		{ 1, true, "/src/b.h", 20 },
		{ 2, true, "/src/b.h", 20 },
		{ 2, false, "/src/b.h", 20 }, /* a return address: looked up at f+1 */
		{ 3, true, "/src/a.c", 13 },
		{ 4, true, "/src/a.c", 13 },
		{ 5, true, "/src/b.h", 30 }, /* not is_stmt, but alone at its address */
		{ 6, true, "/src/a.c", 14 },
	};
	static const char *const bins[] = { "lines", "lines5" };

	(void)state;
	for (size_t b = 0; b < sizeof(bins) / sizeof(bins[0]); b++) {
		char path[512];
		struct rs_proc *p = NULL;
		uint64_t f;
		pid_t pid;

		snprintf(path, sizeof(path), "%s/%s", VICTIM_DIR, bins[b]);
		f = elf_symbol(path, "f"); /* linked -no-pie: its address in the process too */
		assert_true(f != 0);
		pid = start_pausing(bins[b]);
		assert_int_equal(rs_proc_open("/proc", (uint32_t)pid, NULL, &p), 0);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			struct rs_frame *fr = NULL;
			size_t n = 0;

			assert_int_equal(
			    rs_symbolize(p, f + want[i].off, want[i].activation, &fr, &n), 0);
			assert_int_equal(n, 1);
			if (!ends_with(fr[0].file, want[i].file) ||
			    fr[0].line != (uint32_t)want[i].line)
				fail_msg("%s f+%u: %s:%u, want %s:%d", bins[b], want[i].off,
					 fr[0].file, fr[0].line, want[i].file, want[i].line);
			assert_string_equal(fr[0].function, "f");
			frames_clear(fr, n);
		}
		rs_proc_free(p);
		stop_pausing(pid);
	}
}

/* C++ names as gdb 13 prints them in a backtrace (names.cc, checked against gdb). */
static void test_symbolize_cxx_names_as_gdb(void **state)
{
	static const char *const want[][2] = {
		/* gdb's C++ name parser reads these: shown without parameters */
		{ "_ZNK2ns1S2cmEi", "ns::S::cm" },
		{ "_ZN2ns1SlsEi", "ns::S::operator<<" },
		{ "_ZN2ns1SltERKS0_", "ns::S::operator<" },
		{ "_ZN2ns3ArrILi3EE1aERA3_i", "ns::Arr<3>::a" },
		{ "_Z3tplIM1KKFiiEEvT_", "tpl<int (K::*)(int) const>" },
		{ "_Z4tplcILc65EEvv", "tplc<(char)65>" },
		{ "_ZN12_GLOBAL__N_14anonEi", "(anonymous namespace)::anon" },
		{ "cfunc", "cfunc" },
		/* it cannot read ABI tags and function types in template arguments */
		{ "_Z2mkB5cxx11i", "mk[abi:cxx11](int)" },
		{ "_ZN2ns5fnargESt8functionIFilEE", "ns::fnarg(std::function<int (long)>)" },
		{ "_Z2vfSt8functionIFvvEE", "vf(std::function<void ()>)" },
		/* no linkage name: the lambda's class is unnamed, in main's DIE */
		{ "_ZZ4mainENKUlvE_clEv", "operator()" },
		/* no linkage name, "<lambda()>": parameters from the DWARF types */
		{ "_ZN2ns1S2tfIZ4mainEUlvE_EEvT_", "ns::S::tf<main()::<lambda()> >(struct {...})" },
	};
	static char *debuginfo_path;
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	struct rs_dwcache *cache = NULL;
	char path[512];
	Dwfl_Module *mod;
	GElf_Addr mbias;
	Dwfl *dwfl;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/names_cxx", VICTIM_DIR);
	dwfl = dwfl_begin(&cb);
	assert_non_null(dwfl);
	/* our fd: libdw opens nothing itself outside a target's root (dwopen.c) */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	mod = dwfl_report_offline(dwfl, "names_cxx", path, fd);
	assert_non_null(mod);
	assert_int_equal(dwfl_report_end(dwfl, NULL, NULL), 0);
	assert_non_null(dwfl_module_getelf(mod, &mbias));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t addr = elf_symbol(path, want[i][0]);
		Dwarf_Addr bias;
		Dwarf_Die *cu, fn;

		if (!addr)
			fail_msg("no symbol %s", want[i][0]);
		addr += mbias;
		cu = dwfl_module_addrdie(mod, addr, &bias);
		assert_non_null(cu);
		assert_int_equal(rs_dwarf_function(NULL, cu, addr - bias, &fn), 0);
		/* with and without the parents cache */
		for (int c = 0; c < 2; c++) {
			bool oom = true;
			char *name =
			    rs_dw_function_name(c ? &cache : NULL, &fn, dwarf_srclang(cu), &oom);

			assert_false(oom);
			if (!name || strcmp(name, want[i][1]))
				fail_msg("%s: \"%s\", want \"%s\"", want[i][0], name, want[i][1]);
			free(name);
		}
	}
	rs_dwcache_free(cache);
	dwfl_end(dwfl);
}

/* What gdb's C++ name parser reads (then a backtrace leaves the parameters out). */
static void test_symbolize_gdb_cxx_parser(void **state)
{
	static const char *const reads[] = {
		"ns::S::cm(int) const",
		"ns::S::operator<<(int)",
		"ns::S::operator<(ns::S const&)",
		"(anonymous namespace)::anon(int)",
		"std::vector<int, std::allocator<int> >::push_back(int const&)",
		"tpl<void (*)(int)>(void (*)(int))",
		"tpl<int (K::*)(int) const>(int (K::*)(int) const)",
		"tpla<int (*) [2]>(int (*) [2])",
		"arr(char (*) [4])",
		"tplc<(char)65>()",
	};
	static const char *const fails[] = {
		"main::{lambda()#1}::operator()() const",
		"mk[abi:cxx11](int)",
		"vf(std::function<void ()>)",
		"ns::fnarg(std::function<int (long)>)",
		"std::thread::_State_impl<std::thread::_Invoker<std::tuple<main()::<lambda()> > > >"
		"::_M_run(void)",
		"foo(int) [clone .isra.0]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (!rs_gdb_cp_parses(reads[i]))
			fail_msg("gdb reads \"%s\"", reads[i]);
	for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++)
		if (rs_gdb_cp_parses(fails[i]))
			fail_msg("gdb cannot read \"%s\"", fails[i]);
}

/* gdb prints integer literal suffixes in lower case; clang's DW_AT_name has them upper. */
static void test_symbolize_cxx_literal_suffixes(void **state)
{
	static const char *const cases[][2] = {
		{ "_M_invoke<0UL>", "_M_invoke<0ul>" },
		{ "sleep_for<long, std::ratio<3600L, 1L> >",
		  "sleep_for<long, std::ratio<3600l, 1l> >" },
		{ "f<0x10ULL, 7u>", "f<0x10ull, 7u>" },
		{ "A1L::B2UL<x3L>", "A1L::B2UL<x3L>" }, /* identifiers, not literals */
		{ "g<12LU>(int)", "g<12lu>(int)" },
		{ "h<5Lx>", "h<5Lx>" }, /* not a suffix */
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		rs_cxx_canon_literals(buf);
		if (strcmp(buf, cases[i][1]))
			fail_msg("\"%s\" -> \"%s\", want \"%s\"", cases[i][0], buf, cases[i][1]);
	}
}

/*
 * The function index of a CU is walked only as far as the PCs asked need
 * (cuindex.c): the same names whether a PC lies before the walk's end (found
 * among what was walked) or after it (the walk goes on), in either order.
 */
static void test_symbolize_function_index_any_order(void **state)
{
	const uint64_t pcs[] = {
		(uint64_t)(uintptr_t)&test_symbolize_inline_chain,
		(uint64_t)(uintptr_t)&test_symbolize_own_function,
		(uint64_t)(uintptr_t)&test_symbolize_cxx_literal_suffixes,
		(uint64_t)(uintptr_t)&test_symbolize_function_index_any_order,
	};
	const char *const want[] = {
		"test_symbolize_inline_chain",
		"test_symbolize_own_function",
		"test_symbolize_cxx_literal_suffixes",
		"test_symbolize_function_index_any_order",
	};
	const size_t n_pcs = sizeof(pcs) / sizeof(pcs[0]);

	(void)state;
	for (int reverse = 0; reverse < 2; reverse++) {
		struct rs_proc *p = NULL;

		/* a process of its own each time: its modules' indexes start empty */
		assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
		for (size_t k = 0; k < 2 * n_pcs; k++) {
			size_t i = reverse ? n_pcs - 1 - k % n_pcs : k % n_pcs;
			struct rs_frame *f = NULL;
			size_t n = 0;

			assert_int_equal(rs_symbolize(p, pcs[i], true, &f, &n), 0);
			assert_int_equal(n, 1);
			if (!f[0].function || strcmp(f[0].function, want[i]))
				fail_msg("pc %zu (%s order): \"%s\", want \"%s\"", i,
					 reverse ? "reverse" : "source", f[0].function, want[i]);
			frames_clear(f, n);
		}
		rs_proc_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbolize_inline_chain),
		cmocka_unit_test(test_symbolize_cxx_qualified_names),
		cmocka_unit_test(test_symbolize_symtab_fallback),
		cmocka_unit_test(test_symbolize_dynsym_fallback),
		cmocka_unit_test(test_symbolize_rejects_wrong_debuglink_file),
		cmocka_unit_test(test_symbolize_rejects_debuglink_with_wrong_crc),
		cmocka_unit_test(test_symbolize_debuglink_by_build_id),
		cmocka_unit_test(test_symbolize_debuglink_by_crc),
		cmocka_unit_test(test_symbolize_deleted_binary),
		cmocka_unit_test(test_symbolize_rust_name_demangled),
		cmocka_unit_test(test_symbolize_unknown_pc),
		cmocka_unit_test(test_symbolize_unnamed_address_gives_elf_offset),
		cmocka_unit_test(test_symbolize_own_function),
		cmocka_unit_test(test_symbolize_vdso),
		cmocka_unit_test(test_symbolize_cache_shared_across_processes),
		cmocka_unit_test(test_symbolize_cache_is_bounded),
		cmocka_unit_test(test_symbolize_line_choice_as_gdb),
		cmocka_unit_test(test_symbolize_cxx_names_as_gdb),
		cmocka_unit_test(test_symbolize_gdb_cxx_parser),
		cmocka_unit_test(test_symbolize_cxx_literal_suffixes),
		cmocka_unit_test(test_symbolize_function_index_any_order),
	};

	unsetenv("DEBUGINFOD_URLS"); /* no network in unit tests */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
