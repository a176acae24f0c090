// SPDX-License-Identifier: GPL-2.0
/*
 * ELF and DWARF from a target (stack/proc.c, elfopen.c, symbolize.c): the
 * input is the file mapped executable in a fake process, opened and
 * symbolized through rs_proc_open() and rs_symbolize() as for a live one.
 * The fake PROC/1 has maps, map_files/<range> linking to the input (a memfd)
 * and an empty root, so no debug file of the target's is found.
 */
#include "fuzz.h"
#include <gelf.h>
#include <sys/stat.h>
#include "stack/stack.h"

#define LOW	0x400000ull
#define HIGH	0x1400000ull /* 16 MiB: larger than any input */
#define MAX_PCS 16

static int elf_fd = -1;

static void setup(const char *dir)
{
	char path[256], target[256], elf_path[64];
	struct stat st;
	FILE *f;

	elf_fd = fuzz_memfd("elf", elf_path, sizeof(elf_path));
	if (fstat(elf_fd, &st))
		abort();
	snprintf(path, sizeof(path), "%s/1", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/fsroot", dir);
	mkdir(path, 0700);
	snprintf(target, sizeof(target), "%s/fsroot", dir);
	snprintf(path, sizeof(path), "%s/1/root", dir);
	if (symlink(target, path))
		abort();
	snprintf(path, sizeof(path), "%s/1/map_files", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/1/map_files/%llx-%llx", dir, LOW, HIGH);
	if (symlink(elf_path, path))
		abort();
	snprintf(path, sizeof(path), "%s/1/maps", dir);
	f = fopen(path, "we");
	if (!f)
		abort();
	fprintf(f, "%llx-%llx r-xp 00000000 00:00 %llu /fuzz/elf\n", LOW, HIGH,
		(unsigned long long)st.st_ino);
	fclose(f);
}

/*
 * PCs worth symbolizing: the entry point and the first functions of the
 * symbol tables, each a few bytes in (inline chains, line rows), then fixed
 * offsets and one from the input's last bytes. Returns how many.
 */
static size_t pick_pcs(const uint8_t *data, size_t size, uint64_t *pcs)
{
	Elf *e = elf_memory((char *)data, size);
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t n = 0;
	uint32_t tail = 0;

	if (e && gelf_getehdr(e, &eh) && eh.e_entry < HIGH - LOW)
		pcs[n++] = LOW + eh.e_entry;
	while (e && n < MAX_PCS - 4 && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && n < MAX_PCS - 4; i++) {
			GElf_Sym sym;

			if (gelf_getsym(d, (int)i, &sym) && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
			    sym.st_value && sym.st_value < HIGH - LOW - 8)
				pcs[n++] = LOW + sym.st_value + (i % 8);
		}
	}
	elf_end(e);
	pcs[n++] = LOW;
	pcs[n++] = LOW + 0x1000;
	pcs[n++] = LOW + 0x10000;
	if (size >= 4)
		memcpy(&tail, data + size - 4, 4);
	pcs[n++] = LOW + tail % (HIGH - LOW);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	struct rs_proc *p = NULL;
	uint64_t pcs[MAX_PCS];
	size_t n_pcs;

	if (elf_fd < 0) {
		elf_version(EV_CURRENT);
		setup(dir);
	}
	n_pcs = pick_pcs(data, size, pcs);
	fuzz_fill(elf_fd, data, size);
	if (rs_proc_open(dir, 1, NULL, &p))
		return 0;
	for (size_t i = 0; i < n_pcs; i++) {
		for (int act = 0; act < 2; act++) {
			struct rs_frame *f = NULL;
			size_t n = 0;

			if (!rs_symbolize(p, pcs[i], act, &f, &n))
				rs_frames_free(f, n);
		}
	}
	rs_proc_free(p);
	return 0;
}
