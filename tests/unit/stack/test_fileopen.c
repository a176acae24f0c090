// SPDX-License-Identifier: GPL-2.0
/* stack/fileopen.c: a target's files opened inside its root, and sized before libelf. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "stack/stack_priv.h"

struct tree {
	char dir[64]; /* <dir>/root is the root; <dir>/canary lies outside it */
	char root[96], canary[96];
	int root_fd;
};

static void path_in(const struct tree *t, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->root, rel);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char p[PATH_MAX];
	FILE *f;

	snprintf(t->dir, sizeof(t->dir), "/tmp/rsample-fileopen-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->root, sizeof(t->root), "%s/root", t->dir);
	snprintf(t->canary, sizeof(t->canary), "%s/canary", t->dir);
	mkdir(t->root, 0755);
	f = fopen(t->canary, "w");
	fputs("host secret\n", f);
	fclose(f);
	path_in(t, "file", p, sizeof(p));
	f = fopen(p, "w");
	fputs("in the root\n", f);
	fclose(f);
	path_in(t, "fifo", p, sizeof(p));
	mkfifo(p, 0600);
	path_in(t, "dir", p, sizeof(p));
	mkdir(p, 0755);
	path_in(t, "abs", p, sizeof(p));
	symlink(t->canary, p); /* absolute: the host's canary, were it resolved on the host */
	path_in(t, "rel", p, sizeof(p));
	symlink("../../../../../canary", p); /* climbs above the root */
	path_in(t, "inside", p, sizeof(p));
	symlink("/file", p); /* absolute, meant for the root */
	path_in(t, "magic", p, sizeof(p));
	symlink("/proc/self/root/etc/passwd", p);
	t->root_fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*state = t;
	alarm(20); /* a FIFO that blocks fails the test instead of hanging it */
	return t->root_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	static const char *const names[] = {
		"file", "fifo", "dir", "abs", "rel", "inside", "magic"
	};
	char p[PATH_MAX];

	alarm(0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in(t, names[i], p, sizeof(p));
		if (unlink(p))
			rmdir(p);
	}
	rmdir(t->root);
	unlink(t->canary);
	rmdir(t->dir);
	close(t->root_fd);
	free(t);
	return 0;
}

static void expect_content(int fd, const char *want)
{
	char buf[64] = "";

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	assert_string_equal(buf, want);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_fileopen_regular_files_only(void **state)
{
	struct tree *t = *state;

	expect_content(rs_open_in_root(t->root_fd, "/file"), "in the root\n");
	expect_content(rs_open_in_root(t->root_fd, "file"), "in the root\n");
	assert_int_equal(rs_open_in_root(t->root_fd, "/fifo"), -RS_ENOTREG);
	assert_int_equal(rs_open_in_root(t->root_fd, "/dir"), -RS_ENOTREG);
	assert_int_equal(rs_open_in_root(t->root_fd, "/none"), -ENOENT);
	assert_int_equal(rs_open_in_root(t->root_fd, ""), -ENOENT);
	assert_int_equal(rs_open_in_root(-1, "/file"), -EBADF);
}

static void test_fileopen_symlinks_stay_in_the_root(void **state)
{
	struct tree *t = *state;

	assert_int_equal(rs_open_in_root(t->root_fd, "/abs"), -ENOENT);
	assert_int_equal(rs_open_in_root(t->root_fd, "/rel"), -ENOENT);
	assert_int_equal(rs_open_in_root(t->root_fd, "/../../../canary"), -ENOENT);
	expect_content(rs_open_in_root(t->root_fd, "/inside"), "in the root\n");
	assert_int_equal(rs_open_in_root(t->root_fd, "/magic"), -ENOENT); /* no /proc here */
}

static void test_fileopen_devices_not_opened(void **state)
{
	struct tree *t = *state;
	int host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char self[64];
	int fd;

	assert_true(host >= 0);
	assert_int_equal(rs_open_in_root(host, "/dev/null"), -RS_ENOTREG);
	/* a /proc magic link inside the root is refused (RESOLVE_NO_MAGICLINKS) */
	assert_int_equal(rs_open_in_root(host, "/proc/self/exe"), -ELOOP);
	close(host);
	/* map_files-style links are followed, and what they lead to checked */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	assert_int_equal(rs_open_proc_link(self), -RS_ENOTREG);
	close(fd);
	fd = rs_open_in_root(t->root_fd, "/file");
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	expect_content(rs_open_proc_link(self), "in the root\n");
	close(fd);
}

/* An ELF file with sections (name, type, flags, contents). */
struct sec {
	const char *name;
	uint32_t type;
	uint64_t flags;
	const void *data;
	size_t len;
};

static int write_elf(const char *path, const struct sec *s, size_t n, bool truncate_shdrs)
{
	Elf64_Ehdr e = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				      EV_CURRENT },
			 .e_type = ET_EXEC,
			 .e_machine = EM_X86_64,
			 .e_version = EV_CURRENT,
			 .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_shentsize = sizeof(Elf64_Shdr) };
	Elf64_Shdr sh[8] = { { 0 } };
	char strtab[256] = "";
	size_t strlen_ = 1, off = sizeof(e);
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fseek(f, (long)off, SEEK_SET);
	for (size_t i = 0; i < n; i++) {
		sh[i + 1] = (Elf64_Shdr){ .sh_name = (uint32_t)strlen_,
					  .sh_type = s[i].type,
					  .sh_flags = s[i].flags,
					  .sh_offset = off,
					  .sh_size = s[i].len };
		strcpy(strtab + strlen_, s[i].name);
		strlen_ += strlen(s[i].name) + 1;
		if (s[i].len)
			fwrite(s[i].data, 1, s[i].len, f);
		off += s[i].len;
	}
	sh[n + 1] = (Elf64_Shdr){ .sh_name = (uint32_t)strlen_,
				  .sh_type = SHT_STRTAB,
				  .sh_offset = off,
				  .sh_size = strlen_ + 10 };
	strcpy(strtab + strlen_, ".shstrtab");
	strlen_ += 10;
	fwrite(strtab, 1, strlen_, f);
	off += strlen_;
	e.e_shoff = off;
	e.e_shnum = (uint16_t)(n + 2);
	e.e_shstrndx = (uint16_t)(n + 1);
	fwrite(sh, sizeof(sh[0]), truncate_shdrs ? 1 : n + 2, f);
	rewind(f);
	fwrite(&e, sizeof(e), 1, f);
	return fclose(f);
}

static void test_fileopen_inflated_size(void **state)
{
	struct tree *t = *state;
	Elf64_Chdr ch = { .ch_type = ELFCOMPRESS_ZLIB, .ch_size = 1000, .ch_addralign = 1 };
	const unsigned char zdebug[] = { 'Z', 'L', 'I', 'B', 0, 0, 0, 0, 0, 0, 0x13, 0x88, 0x78 };
	const unsigned char zplain[] = { 'n', 'o', 't', ' ', 'z' };
	const struct sec secs[] = {
		{ ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, "\xc3", 1 },
		{ ".debug_str", SHT_PROGBITS, SHF_COMPRESSED, &ch, sizeof(ch) },
		{ ".zdebug_info", SHT_PROGBITS, 0, zdebug, sizeof(zdebug) }, /* 5000 */
		{ ".zdebug_line", SHT_PROGBITS, 0, zplain, sizeof(zplain) }, /* no header: raw */
		{ ".bss", SHT_NOBITS, SHF_ALLOC | SHF_COMPRESSED, NULL, 0 },
	};
	char path[PATH_MAX];
	uint64_t n = 7;
	int fd;

	path_in(t, "elf", path, sizeof(path));
	assert_int_equal(write_elf(path, secs, sizeof(secs) / sizeof(secs[0]), false), 0);
	fd = rs_open_in_root(t->root_fd, "/elf");
	assert_true(fd >= 0);
	assert_int_equal(rs_elf_inflated_size(fd, &n), 0);
	assert_int_equal(n, 6000);
	close(fd);

	assert_int_equal(write_elf(path, secs, sizeof(secs) / sizeof(secs[0]), true), 0);
	fd = rs_open_in_root(t->root_fd, "/elf");
	assert_int_equal(rs_elf_inflated_size(fd, &n), -EBADMSG);
	close(fd);
	unlink(path);

	fd = rs_open_in_root(t->root_fd, "/file");
	assert_int_equal(rs_elf_inflated_size(fd, &n), -ENOEXEC);
	close(fd);
}

/* libdw's own open() calls (dwopen.c): refused with no process set, inside its root with one. */
static void test_fileopen_libdw_confined(void **state)
{
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	struct rs_proc *p = NULL, *prev;
	char exe[PATH_MAX];
	ssize_t len;
	Dwfl *dwfl;

	(void)state;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';
	dwfl = dwfl_begin(&cb);
	assert_non_null(dwfl);
	assert_null(dwfl_report_offline(dwfl, "none", exe, -1));
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	prev = rs_root_enter(p);
	assert_non_null(dwfl_report_offline(dwfl, "self", exe, -1));
	rs_root_leave(prev);
	dwfl_end(dwfl);
	rs_proc_free(p);
	/* everybody else's open() is the plain system call */
	len = open(exe, O_RDONLY | O_CLOEXEC);
	assert_true(len >= 0);
	close((int)len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fileopen_regular_files_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileopen_symlinks_stay_in_the_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fileopen_devices_not_opened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileopen_inflated_size, setup, teardown),
		cmocka_unit_test(test_fileopen_libdw_confined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
