// SPDX-License-Identifier: GPL-2.0
/*
 * linecheck FILE: reads ELF addresses (hex, one a line) on stdin and prints
 * "ADDR FILE:LINE" (or "ADDR -" for no line) as rsample's srcline.c finds
 * them in FILE's DWARF (its debug file found by build-id or debuglink).
 * linecheck.py compares that with gdb's find_pc_line() for the same addresses.
 * linecheck --rows FILE prints every line-table row's address, with the
 * addresses just before and after it, for linecheck.py to ask both about
 * (only those inside a function symbol: padding between functions is no PC).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>
#include "stack/gdb/gdb.h"

static char *debuginfo_path = NULL;
static const Dwfl_Callbacks cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* Only addresses inside a function symbol can be a PC (or a PC - 1) of a frame. */
static bool in_function(Dwfl_Module *mod, Dwarf_Addr a)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, a, &off, &sym, NULL, NULL, NULL);

	return name && GELF_ST_TYPE(sym.st_info) == STT_FUNC && off < sym.st_size;
}

int main(int argc, char **argv)
{
	struct rs_lcache *cache = NULL;
	Dwfl_Module *mod;
	GElf_Addr mbias;
	char buf[64];
	Dwfl *dwfl;

	bool rows = argc == 3 && !strcmp(argv[1], "--rows");

	if (rows) {
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: linecheck [--rows] FILE < addresses\n");
		return 2;
	}
	dwfl = dwfl_begin(&cb);
	mod = dwfl ? dwfl_report_offline(dwfl, argv[1], argv[1], -1) : NULL;
	if (!mod || dwfl_report_end(dwfl, NULL, NULL)) {
		fprintf(stderr, "linecheck: %s: %s\n", argv[1], dwfl_errmsg(-1));
		return 1;
	}
	if (!dwfl_module_getelf(mod, &mbias)) {
		fprintf(stderr, "linecheck: %s: %s\n", argv[1], dwfl_errmsg(-1));
		return 1;
	}
	if (rows) {
		Dwarf_Die *cu = NULL;
		Dwarf_Addr bias;

		while ((cu = dwfl_module_nextcu(mod, cu, &bias))) {
			Dwarf_Lines *lines;
			size_t n;

			if (dwarf_getsrclines(cu, &lines, &n))
				continue;
			for (size_t i = 0; i < n; i++) {
				Dwarf_Addr a;

				if (dwarf_lineaddr(dwarf_onesrcline(lines, i), &a) || !a)
					continue;
				a += bias - mbias;
				for (uint64_t x = a - 1; x <= a + 1; x++)
					if (in_function(mod, x + mbias))
						printf("%" PRIx64 "\n", x);
			}
		}
		return 0;
	}
	while (fgets(buf, sizeof(buf), stdin)) {
		uint64_t a = strtoull(buf, NULL, 16);
		struct rs_srcline sl;
		Dwarf_Addr bias;
		Dwarf_Die *cu = dwfl_module_addrdie(mod, a + mbias, &bias);
		int r = cu ? rs_srcline_find(&cache, cu, a + mbias - bias, &sl) : 0;

		if (r == 1)
			printf("%" PRIx64 " %s:%d\n", a, sl.file, sl.line);
		else if (r == 0)
			printf("%" PRIx64 " -\n", a);
		else
			printf("%" PRIx64 " ERR%d\n", a, r);
	}
	rs_lcache_free(cache);
	dwfl_end(dwfl);
	return 0;
}
