// SPDX-License-Identifier: GPL-2.0
/*
 * libdwfl's find_elf and find_debuginfo callbacks for a target process.
 *
 * ELF files: PROC/PID/map_files/<range> (the very file that is mapped, across
 * mount namespaces and after deletion), else PROC/PID/root/<path> when its
 * inode is the mapped one, else the host's <path> when device and inode are
 * the mapped ones.
 *
 * Debug files, with root = PROC/PID/root then the host's "/":
 * <root>/usr/lib/debug/.build-id/xx/yyyy.debug, then the .gnu_debuglink name
 * in <dir>, <dir>/.debug and <root>/usr/lib/debug/<dir>, where <dir> is the
 * file's directory as the target sees it; every candidate must carry the
 * module's build-id (or, without one, match the debuglink CRC). Then
 * dwfl_standard_find_debuginfo(), which asks debuginfod, when DEBUGINFOD_URLS
 * is set. DWZ alternate files (.gnu_debugaltlink) are found the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>
#include <elfutils/libdwelf.h>
#include <zlib.h>
#include "stack/stack_priv.h"

#define BUILD_ID_MAX 64

struct build_id {
	unsigned char bits[BUILD_ID_MAX];
	size_t len;
};

/* What a debug file candidate must match. */
struct want {
	const struct build_id *id; /* NULL or len 0: check crc instead */
	bool use_crc;
	uint32_t crc;
	uint64_t skip_ino; /* the main file itself; never return it */
};

/*
 * Opens path (absolute) inside root: "" is the host's "/", else a
 * PROC/PID/root directory, where symlinks resolve as the target sees them
 * (RESOLVE_IN_ROOT) instead of escaping to the host. fd or -1 with errno.
 */
static int open_in(const char *root, const char *path)
{
	char full[PATH_MAX];
	int dirfd, fd, r;

	if (!root[0])
		return open(path, O_RDONLY | O_CLOEXEC);
	dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0) {
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };

		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		r = errno;
		close(dirfd);
		errno = r;
		/* ENOSYS: kernel < 5.6; EPERM: a seccomp filter that does not know openat2 */
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd;
	}
	r = snprintf(full, sizeof(full), "%s%s", root, path);
	if (r < 0 || r >= (int)sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(full, O_RDONLY | O_CLOEXEC);
}

static bool fd_is(int fd, const struct rs_map *m, bool check_dev)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_ino != m->inode)
		return false;
	return !check_dev || (major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor);
}

/* Opens the file behind module m; fd or -1 (a warning says why). *name gets the path. */
static int open_module_file(struct rs_mod *m, char **name)
{
	struct rs_proc *p = m->proc;
	char path[PATH_MAX], root[PATH_MAX];
	int fd, err, r;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/map_files/%" PRIx64 "-%" PRIx64, p->proc_root,
		 p->pid, m->map->start, m->map->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		goto found;
	err = errno;
	if (m->map->deleted) {
		rs_proc_warn(p, "module '%s' (deleted): cannot open '%s': %s", m->path, path,
			     strerror(err));
		return -1;
	}
	snprintf(root, sizeof(root), "%s/%" PRIu32 "/root", p->proc_root, p->pid);
	r = snprintf(path, sizeof(path), "%s%s", root, m->path);
	if (r < 0 || r >= (int)sizeof(path))
		return -1;
	fd = open_in(root, m->path);
	if (fd >= 0) {
		if (fd_is(fd, m->map, false))
			goto found;
		close(fd);
		rs_proc_warn(p, "module '%s': '%s' is not the mapped file (inode differs); skipped",
			     m->path, path);
		return -1;
	}
	/* The host's file only when it provably is the mapped one. */
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fd_is(fd, m->map, true)) {
		snprintf(path, sizeof(path), "%s", m->path);
		goto found;
	}
	if (fd >= 0)
		close(fd);
	rs_proc_warn(p, "module '%s': cannot open it through map_files or the target's root: %s",
		     m->path, strerror(err));
	return -1;
found:
	*name = strdup(path);
	return fd;
}

int rs_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		char **file_name, Elf **elfp)
{
	struct rs_mod *m = *userdata;

	(void)mod;
	(void)modname;
	(void)base;
	if (!m)
		return -1;
	if (m->vdso) {
		*elfp = elf_memory(m->proc->vdso_img, m->proc->vdso_len);
		return -1;
	}
	return open_module_file(m, file_name);
}

/* Reads the GNU build-id of an open file; false when it has none. */
static bool fd_build_id(int fd, struct build_id *id)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *bits;
	ssize_t len;

	if (!elf)
		return false;
	len = dwelf_elf_gnu_build_id(elf, &bits);
	if (len > 0 && (size_t)len <= sizeof(id->bits)) {
		memcpy(id->bits, bits, (size_t)len);
		id->len = (size_t)len;
	} else {
		len = 0;
	}
	elf_end(elf);
	return len > 0;
}

static bool crc_matches(int fd, uint32_t want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t r;

	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)r);
		off += r;
	}
	return r == 0 && (uint32_t)crc == want;
}

/* Opens root + path when it is the wanted debug file; fd or -1. *name gets root + path. */
static int try_debug(const char *root, const char *path, const struct want *w, char **name)
{
	struct build_id got;
	struct stat st;
	bool ok;
	int fd;

	fd = open_in(root, path);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (w->skip_ino && st.st_ino == w->skip_ino)) {
		close(fd);
		return -1;
	}
	if (w->id && w->id->len)
		ok = fd_build_id(fd, &got) && got.len == w->id->len &&
		     !memcmp(got.bits, w->id->bits, got.len);
	else
		ok = w->use_crc && crc_matches(fd, w->crc);
	if (!ok || asprintf(name, "%s%s", root, path) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int try_build_id_path(const char *root, const struct want *w, char **name)
{
	char hex[2 * BUILD_ID_MAX + 1], path[PATH_MAX];
	const struct build_id *id = w->id;

	if (!id || id->len < 2)
		return -1;
	for (size_t i = 0; i < id->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id->bits[i]);
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	return try_debug(root, path, w, name);
}

/* The debuglink places for a file in directory dir (as the target sees it). */
static int try_debuglink(const char *root, const char *dir, const char *link, const struct want *w,
			 char **name)
{
	static const char *const fmts[] = { "%s/%s", "%s/.debug/%s", "/usr/lib/debug%s/%s" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		int fd, r = snprintf(path, sizeof(path), fmts[i], dir, link);

		if (r < 0 || r >= (int)sizeof(path))
			continue;
		fd = try_debug(root, path, w, name);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* Reads .gnu_debugaltlink of the file at path: the alt file's name and build-id. */
static bool read_altlink(const char *path, char *alt, size_t altlen, struct build_id *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;
	Elf *elf;

	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto cleanup;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		Elf_Data *d;
		size_t nlen;

		if (!gelf_getshdr(scn, &sh))
			break;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".gnu_debugaltlink"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			break;
		nlen = strnlen(d->d_buf, d->d_size);
		if (nlen == d->d_size || nlen >= altlen || d->d_size - nlen - 1 > sizeof(id->bits))
			break;
		memcpy(alt, d->d_buf, nlen + 1);
		id->len = d->d_size - nlen - 1;
		memcpy(id->bits, (const char *)d->d_buf + nlen + 1, id->len);
		found = id->len > 0;
	}
cleanup:
	elf_end(elf);
	close(fd);
	return found;
}

/* The roots to search: the target's, then the host's unless they are the same. */
static size_t roots(const struct rs_proc *p, char buf[PATH_MAX], const char *out[2])
{
	size_t n = 0;

	snprintf(buf, PATH_MAX, "%s/%" PRIu32 "/root", p->proc_root, p->pid);
	out[n++] = buf;
	if (!p->same_root)
		out[n++] = "";
	return n;
}

static int find_altfile(struct rs_proc *p, const char *debug_file, char **name)
{
	char alt[PATH_MAX], path[PATH_MAX], rootbuf[PATH_MAX];
	const char *rootv[2];
	struct build_id id;
	struct want w = { .id = &id };
	size_t nroots = roots(p, rootbuf, rootv);
	int fd;

	if (!debug_file || !read_altlink(debug_file, alt, sizeof(alt), &id))
		return -1;
	for (size_t i = 0; i < nroots; i++) {
		fd = try_build_id_path(rootv[i], &w, name);
		if (fd >= 0)
			return fd;
		if (alt[0] == '/') {
			fd = try_debug(rootv[i], alt, &w, name);
			if (fd >= 0)
				return fd;
		}
	}
	if (alt[0] != '/') {
		const char *slash = strrchr(debug_file, '/');
		int r =
		    snprintf(path, sizeof(path), "%.*s/%s", slash ? (int)(slash - debug_file) : 1,
			     slash ? debug_file : ".", alt);

		/* relative to the debug file we opened, whose name already holds its root */
		if (r > 0 && r < (int)sizeof(path))
			return try_debug("", path, &w, name);
	}
	return -1;
}

static bool debuginfod_enabled(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	return urls && *urls;
}

int rs_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name)
{
	struct rs_mod *m = *userdata;
	char rootbuf[PATH_MAX], dir[PATH_MAX];
	const char *rootv[2], *main_link = NULL, *slash;
	struct build_id id = { .len = 0 };
	const unsigned char *bits;
	GElf_Word main_crc = 0;
	GElf_Addr vaddr, bias;
	struct want w;
	size_t nroots;
	Elf *main_elf;
	int fd = -1, len;

	if (!m || m->vdso)
		return -1;
	main_elf = dwfl_module_getelf(mod, &bias);
	if (main_elf)
		main_link = dwelf_elf_gnu_debuglink(main_elf, &main_crc);
	if (debuglink_file && (!main_link || strcmp(main_link, debuglink_file))) {
		/* Not the main file's debuglink: libdwfl wants the DWZ alternate file. */
		fd = find_altfile(m->proc, file_name, debuginfo_file_name);
		goto standard;
	}
	len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0 && (size_t)len <= sizeof(id.bits)) {
		memcpy(id.bits, bits, (size_t)len);
		id.len = (size_t)len;
	}
	w = (struct want){
		.id = &id, .use_crc = true, .crc = debuglink_crc, .skip_ino = m->map->inode
	};
	slash = strrchr(m->path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - m->path) : 0, m->path);
	nroots = roots(m->proc, rootbuf, rootv);
	for (size_t i = 0; i < nroots && fd < 0; i++) {
		fd = try_build_id_path(rootv[i], &w, debuginfo_file_name);
		if (fd < 0 && debuglink_file)
			fd = try_debuglink(rootv[i], dir, debuglink_file, &w, debuginfo_file_name);
	}
standard:
	if (fd < 0 && debuginfod_enabled())
		fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
						  debuglink_file, debuglink_crc,
						  debuginfo_file_name);
	return fd;
}
