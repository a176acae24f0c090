// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a file a target chose, and sizing the work it asks for.
 *
 * Every path that comes from a target (its maps, its build-id and
 * .gnu_debuglink names, a .dwo name or DW_AT_comp_dir, a .gnu_debugaltlink)
 * is resolved by openat2() with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
 * against a directory fd of the target's root (PROC/PID/root): absolute
 * symlinks and ".." stay inside that root, as they do for the target, and
 * /proc magic links are refused. The first open is O_PATH, which opens no
 * device and cannot block on a FIFO; only a regular file is then opened for
 * reading, through /proc/self/fd/N of that very inode. No path is ever
 * joined to a root by string, so there is nothing to fall back to on a
 * kernel without openat2 (before 5.6): such a kernel is refused by name.
 *
 * rs_elf_inflated_size() reads an ELF file's section headers only, so that
 * what libelf would decompress is known before anything is decompressed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"

/* Opens the inode behind O_PATH fd pathfd for reading when it is a regular file. */
static int reopen_regular(int pathfd)
{
	char self[64];
	struct stat a, b;
	int fd, err;

	if (fstat(pathfd, &a))
		return -errno;
	if (!S_ISREG(a.st_mode))
		return -RS_ENOTREG;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
	/* the same inode, never a path again; O_NONBLOCK in case it were not */
	fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &b) || !S_ISREG(b.st_mode) || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return -RS_ENOTREG;
	}
	if (fcntl(fd, F_SETFL, 0)) { /* clears O_NONBLOCK */
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int rs_open_in_root(int root_fd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int pfd, fd;

	if (root_fd < 0)
		return -EBADF;
	if (!path || !*path)
		return -ENOENT;
	pfd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (pfd < 0)
		return errno == EPERM ? -ENOSYS : -errno; /* EPERM: a seccomp filter without it */
	fd = reopen_regular(pfd);
	close(pfd);
	return fd;
}

int rs_open_proc_link(const char *path)
{
	int pfd = open(path, O_PATH | O_CLOEXEC), fd;

	if (pfd < 0)
		return -errno;
	fd = reopen_regular(pfd);
	close(pfd);
	return fd;
}

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return off <= INT64_MAX && pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/* One section header, whatever the class. */
struct shdr {
	uint64_t name, type, flags, offset, size, link;
};

static bool read_shdr(int fd, bool is64, uint64_t shoff, uint64_t i, struct shdr *s)
{
	if (is64) {
		Elf64_Shdr h;

		if (!read_at(fd, &h, sizeof(h), shoff + i * sizeof(h)))
			return false;
		*s = (struct shdr){ h.sh_name,	 h.sh_type, h.sh_flags,
				    h.sh_offset, h.sh_size, h.sh_link };
	} else {
		Elf32_Shdr h;

		if (!read_at(fd, &h, sizeof(h), shoff + i * sizeof(h)))
			return false;
		*s = (struct shdr){ h.sh_name,	 h.sh_type, h.sh_flags,
				    h.sh_offset, h.sh_size, h.sh_link };
	}
	return true;
}

/* An xz multibyte integer at *p (below end), or false. */
static bool xz_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 9 && *p < end; i++) {
		unsigned char b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* The most of an xz index read; real ones hold a few records. */
#define RS_XZ_INDEX_MAX 65536

/*
 * What the xz stream filling section s (.gnu_debugdata, MiniDebugInfo, which
 * libdwfl inflates for its symbol table) decompresses to, from the stream's
 * index: the sum of its blocks' uncompressed sizes. UINT64_MAX when the
 * section is not exactly one well-formed stream, so it is not trusted.
 */
static uint64_t xz_size(int fd, const struct shdr *s)
{
	unsigned char foot[12], idx[RS_XZ_INDEX_MAX];
	const unsigned char *p = idx, *end;
	uint64_t back, records, total = 0, blocks = 0;

	if (s->size < 24 || !read_at(fd, foot, sizeof(foot), s->offset + s->size - 12) ||
	    memcmp(foot + 10, "YZ", 2))
		return UINT64_MAX;
	back = ((uint64_t)foot[4] | (uint64_t)foot[5] << 8 | (uint64_t)foot[6] << 16 |
		(uint64_t)foot[7] << 24) *
		   4 +
	       4;
	if (back > sizeof(idx) || back + 24 > s->size ||
	    !read_at(fd, idx, back, s->offset + s->size - 12 - back) || idx[0])
		return UINT64_MAX;
	end = idx + back;
	p++;
	if (!xz_varint(&p, end, &records))
		return UINT64_MAX;
	for (uint64_t i = 0; i < records; i++) {
		uint64_t unpadded, size;

		if (!xz_varint(&p, end, &unpadded) || !xz_varint(&p, end, &size) ||
		    __builtin_add_overflow(total, size, &total) ||
		    __builtin_add_overflow(blocks, (unpadded + 3) & ~3ull, &blocks))
			return UINT64_MAX;
	}
	/* one stream: header (12), blocks, index, footer (12) fill the section */
	return 12 + blocks + back + 12 == s->size ? total : UINT64_MAX;
}

/* What section s would take decompressed: 0 when it is not compressed. */
static uint64_t inflated(int fd, bool is64, const struct shdr *s, const struct shdr *strtab)
{
	unsigned char hdr[12];
	char name[16];

	if (s->type == SHT_NOBITS || !s->size)
		return 0;
	if (s->flags & SHF_COMPRESSED) {
		if (is64) {
			Elf64_Chdr c;

			return read_at(fd, &c, sizeof(c), s->offset) ? c.ch_size : UINT64_MAX;
		} else {
			Elf32_Chdr c;

			return read_at(fd, &c, sizeof(c), s->offset) ? c.ch_size : UINT64_MAX;
		}
	}
	if (s->type != SHT_PROGBITS || !strtab || !read_at(fd, name, 8, strtab->offset + s->name))
		return 0;
	if (!memcmp(name, ".gnu_deb", 8) && read_at(fd, name, 15, strtab->offset + s->name) &&
	    !memcmp(name, ".gnu_debugdata", 15))
		return xz_size(fd, s);
	/* The GNU format: ".zdebug_*" holding "ZLIB" and the size, 64-bit big-endian. */
	if (memcmp(name, ".zdebug", 7))
		return 0;
	if (!read_at(fd, hdr, sizeof(hdr), s->offset) || memcmp(hdr, "ZLIB", 4))
		return 0; /* libelf reads it as it is */
	return (uint64_t)hdr[4] << 56 | (uint64_t)hdr[5] << 48 | (uint64_t)hdr[6] << 40 |
	       (uint64_t)hdr[7] << 32 | (uint64_t)hdr[8] << 24 | (uint64_t)hdr[9] << 16 |
	       (uint64_t)hdr[10] << 8 | hdr[11];
}

/* More section headers than this: not a file libelf should be given (real ones have thousands). */
#define RS_ELF_MAX_SECTIONS (1u << 20)

int rs_elf_inflated_size(int fd, uint64_t *out)
{
	unsigned char ident[EI_NIDENT];
	struct stat st;
	uint64_t shoff, shnum, strndx, total = 0;
	struct shdr s, strtab;
	bool is64, have_strtab;

	if (!read_at(fd, ident, sizeof(ident), 0) || memcmp(ident, ELFMAG, SELFMAG) ||
	    (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32))
		return -ENOEXEC;
	if (ident[EI_DATA] !=
	    (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB))
		return -EBADMSG;
	is64 = ident[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr e;

		if (!read_at(fd, &e, sizeof(e), 0))
			return -EBADMSG;
		shoff = e.e_shoff, shnum = e.e_shnum, strndx = e.e_shstrndx;
	} else {
		Elf32_Ehdr e;

		if (!read_at(fd, &e, sizeof(e), 0))
			return -EBADMSG;
		shoff = e.e_shoff, shnum = e.e_shnum, strndx = e.e_shstrndx;
	}
	if (!shoff) {
		*out = 0;
		return 0;
	}
	if ((!shnum || strndx == SHN_XINDEX) && !read_shdr(fd, is64, shoff, 0, &s))
		return -EBADMSG;
	if (!shnum) /* more than SHN_LORESERVE sections: the count is in section 0 */
		shnum = s.size;
	if (strndx == SHN_XINDEX)
		strndx = s.link;
	if (fstat(fd, &st) || shnum > RS_ELF_MAX_SECTIONS || shoff > (uint64_t)st.st_size ||
	    shoff + shnum * (is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) > (uint64_t)st.st_size)
		return -EBADMSG;
	have_strtab = strndx && strndx < shnum && read_shdr(fd, is64, shoff, strndx, &strtab);
	for (uint64_t i = 1; i < shnum; i++) {
		uint64_t n;

		if (!read_shdr(fd, is64, shoff, i, &s))
			return -EBADMSG;
		n = inflated(fd, is64, &s, have_strtab ? &strtab : NULL);
		if (__builtin_add_overflow(total, n, &total))
			total = UINT64_MAX;
	}
	*out = total;
	return 0;
}

/* The name of root_fd + path in messages: PROC/PID/root<path>, or path for the host's root. */
static void display_name(const struct rs_proc *p, int root_fd, const char *path, char *buf,
			 size_t len)
{
	if (root_fd == p->root_fd)
		snprintf(buf, len, "%s/%" PRIu32 "/root%s", p->proc_root, p->pid, path);
	else
		snprintf(buf, len, "%s", path);
}

bool rs_debug_size_ok(struct rs_proc *p, int fd, const char *name)
{
	char a[32], b[32];
	uint64_t n;
	int err = rs_elf_inflated_size(fd, &n);

	if (err == -ENOEXEC) /* not ELF: libelf decompresses nothing, it just says no */
		return true;
	if (err) {
		rs_proc_warn(
		    p, "'%s': its ELF section headers are unreadable or too many; not read", name);
		return false;
	}
	if (n <= p->max_debug_size)
		return true;
	if (n == UINT64_MAX) /* a size that could not be read: an xz stream we cannot size */
		snprintf(a, sizeof(a), "an unknown size");
	else
		rs_format_size(n, a, sizeof(a));
	rs_format_size(p->max_debug_size, b, sizeof(b));
	rs_proc_warn(
	    p,
	    "'%s': its compressed debug sections hold %s, over --max-debug-size %s; not read, its frames are named from the symbol table (raise --max-debug-size to read it)",
	    name, a, b);
	return false;
}

int rs_proc_open_file(struct rs_proc *p, int root_fd, const char *path, char **name)
{
	char shown[PATH_MAX];
	int fd = rs_open_in_root(root_fd, path);

	if (fd == -ENOSYS && !p->warned_openat2) {
		p->warned_openat2 = true;
		rs_proc_warn(
		    p,
		    "cannot open files inside pid %" PRIu32
		    "'s root: openat2() is not available (it needs Linux 5.6; rsample supports 5.14 and later), or a seccomp filter denies it",
		    p->pid);
	}
	if (fd < 0 && fd != -RS_ENOTREG)
		return fd;
	display_name(p, root_fd, path, shown, sizeof(shown));
	if (fd == -RS_ENOTREG) {
		rs_proc_warn(p, "'%s' is not a regular file (FIFO, device, directory…); not opened",
			     shown);
		return fd;
	}
	if (!rs_debug_size_ok(p, fd, shown)) {
		close(fd);
		return -EFBIG;
	}
	if (name && !(*name = strdup(shown))) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}
