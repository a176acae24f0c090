// SPDX-License-Identifier: GPL-2.0
/*
 * ELF and DWARF from a target (stack/proc.c, elfopen.c, symbolize.c): the
 * input is the file mapped executable in a fake process, opened and
 * symbolized through rs_proc_open() and rs_symbolize() as for a live one.
 * The fake PROC/1 has maps, map_files/<range> pointing at the input and an
 * empty root, so no debug file of the target's is found.
 */
#include "fuzz.h"
#include <sys/stat.h>
#include "stack/stack.h"

#define LOW  0x400000ull
#define HIGH 0x1400000ull /* 16 MiB: larger than any input */

static char elf_path[128];

static void setup(const char *dir)
{
	char path[256], target[256];
	struct stat st;
	FILE *f;

	snprintf(elf_path, sizeof(elf_path), "%s/elf", dir);
	fuzz_write(elf_path, (const uint8_t *)"", 0);
	if (stat(elf_path, &st))
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t offs[] = { 0, 0x40, 0x1000, 0x1139, 0x2000, 0x10000, 0 };
	const char *dir = fuzz_tmpdir();
	struct rs_proc *p = NULL;
	uint32_t tail = 0;

	if (!elf_path[0])
		setup(dir);
	fuzz_write(elf_path, data, size);
	if (size >= 4)
		memcpy(&tail, data + size - 4, 4);
	offs[6] = tail % (HIGH - LOW);
	if (rs_proc_open(dir, 1, NULL, &p))
		return 0;
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct rs_frame *f = NULL;
		size_t n = 0;

		for (int act = 0; act < 2; act++) {
			if (!rs_symbolize(p, LOW + offs[i], act, &f, &n))
				rs_frames_free(f, n);
			f = NULL;
			n = 0;
		}
	}
	rs_proc_free(p);
	return 0;
}
