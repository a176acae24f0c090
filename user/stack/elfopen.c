// SPDX-License-Identifier: GPL-2.0
/*
 * libdwfl's find_elf and find_debuginfo callbacks for a target process.
 *
 * ELF files: PROC/PID/map_files/<range> (the very file that is mapped, across
 * mount namespaces and after deletion), else <path> inside the target's root
 * when its inode is the mapped one, else the host's <path> when stat() says
 * its device and inode are the mapped ones. Every file is opened by
 * fileopen.c: inside a root (openat2 RESOLVE_IN_ROOT), regular files only.
 *
 * Debug files, in the target's root, and in the host's "/" only for a module
 * whose file the host's is (device and inode, checked before any open):
 * /usr/lib/debug/.build-id/xx/yyyy.debug, then the .gnu_debuglink name in
 * <dir>, <dir>/.debug and /usr/lib/debug/<dir>, where <dir> is the file's
 * directory as the target sees it; every candidate must carry the module's
 * build-id (or, without one, match the debuglink CRC, read only up to
 * --max-debug-size). No host path is made of a container's data. Then
 * dwfl_standard_find_debuginfo(), which asks debuginfod, when DEBUGINFOD_URLS
 * is set (its own opens confined by dwopen.c); never in the static build
 * (RS_STATIC), where main() says debuginfod is unavailable. DWZ alternate files
 * (.gnu_debugaltlink) are found the same way. A file whose compressed
 * sections decompress beyond --max-debug-size is refused; a main file's
 * DWARF is hidden from libdw instead, its symbol table kept.
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
#include <sys/sysmacros.h>
#include <elfutils/libdwelf.h>
#include <zlib.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"

#define BUILD_ID_MAX 64

#ifdef RS_STATIC
#define RS_STATIC_BUILD 1
#else
#define RS_STATIC_BUILD 0
#endif

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

static bool fd_is(int fd, const struct rs_map *m, bool check_dev)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_ino != m->inode)
		return false;
	return !check_dev || (major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor);
}

/*
 * Whether the host's file at m's path is the mapped file (device and inode),
 * found by stat() before anything of the host is opened for m: only then
 * are the host's copy and the host's debug directories used for it.
 */
static bool host_own(struct rs_mod *m)
{
	struct stat st;

	if (!m->host_own)
		m->host_own = !stat(m->path, &st) && S_ISREG(st.st_mode) &&
				      st.st_ino == m->map->inode &&
				      major(st.st_dev) == m->map->dev_major &&
				      minor(st.st_dev) == m->map->dev_minor
				  ? 1
				  : -1;
	return m->host_own > 0;
}

/*
 * m's main file has compressed sections that decompress beyond the limit:
 * an Elf over a private mapping of fd whose debug, compressed and
 * .gnu_debugdata sections read as SHT_NOBITS, so libdw finds no DWARF and no
 * MiniDebugInfo there (nothing is inflated) while the symbol table and
 * .eh_frame stay. NULL when libelf cannot read it.
 */
static Elf *without_debug(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return NULL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		/* a copy: libelf may hand out an unaligned header of a mapped file */
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!(sh.sh_flags & SHF_COMPRESSED) &&
		    (!name || (strncmp(name, ".debug_", 7) && strncmp(name, ".zdebug_", 8) &&
			       strcmp(name, ".gnu_debugdata"))))
			continue;
		sh.sh_type = SHT_NOBITS;
		gelf_update_shdr(scn, &sh);
	}
	return elf;
}

/* Opens the file behind module m; fd or -1 (a warning says why). *name gets the path. */
static int open_module_file(struct rs_mod *m, char **name, Elf **elfp)
{
	struct rs_proc *p = m->proc;
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/map_files/%" PRIx64 "-%" PRIx64, p->proc_root,
		 p->pid, m->map->start, m->map->end);
	fd = rs_open_proc_link(path);
	if (fd >= 0)
		goto found;
	err = -fd;
	if (m->map->deleted) {
		rs_proc_warn(p, "module '%s' (deleted): cannot open '%s': %s", m->path, path,
			     strerror(err));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/root%s", p->proc_root, p->pid, m->path);
	fd = rs_open_in_root(p->root_fd, m->path);
	if (fd >= 0) {
		if (fd_is(fd, m->map, false))
			goto found;
		close(fd);
		rs_proc_warn(p, "module '%s': '%s' is not the mapped file (inode differs); skipped",
			     m->path, path);
		return -1;
	}
	if (fd == -RS_ENOTREG || fd == -ENOSYS)
		err = -fd;
	/* The host's file only when stat() proved it is the mapped one. */
	if (!p->same_root && host_own(m)) {
		fd = rs_open_in_root(p->host_fd, m->path);
		if (fd >= 0 && fd_is(fd, m->map, true)) {
			snprintf(path, sizeof(path), "%s", m->path);
			goto found;
		}
		if (fd >= 0)
			close(fd);
	}
	rs_proc_warn(p, "module '%s': cannot open it through map_files or the target's root: %s",
		     m->path, err == RS_ENOTREG ? "not a regular file" : strerror(err));
	return -1;
found:
	if (!rs_debug_size_ok(p, fd, m->path)) /* named as the target sees it */
		*elfp = without_debug(fd);
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
	return open_module_file(m, file_name, elfp);
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

/* How long reading one debuglink candidate for its CRC may take. */
#define RS_CRC_TIME_NS (10 * 1000000000ull)

/*
 * Whether fd's CRC-32 is want. A file larger than --max-debug-size is not
 * read at all (a sparse 20 GB file costs nothing), and reading stops after
 * RS_CRC_TIME_NS; both say so.
 */
static bool crc_matches(struct rs_proc *p, int fd, const char *name, uint32_t want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	uint64_t t0 = rs_mono_ns();
	char a[32], b[32];
	struct stat st;
	off_t off = 0;
	ssize_t r;

	if (fstat(fd, &st))
		return false;
	if ((uint64_t)st.st_size > p->max_debug_size) {
		rs_format_size((uint64_t)st.st_size, a, sizeof(a));
		rs_format_size(p->max_debug_size, b, sizeof(b));
		rs_proc_warn(
		    p,
		    "'%s' is %s, over --max-debug-size %s: not read for its debuglink CRC, not used (raise --max-debug-size to use it)",
		    name, a, b);
		return false;
	}
	while (off < st.st_size && (r = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)r);
		off += r;
		if (rs_mono_ns() - t0 > RS_CRC_TIME_NS) {
			rs_format_duration(RS_CRC_TIME_NS, a, sizeof(a));
			rs_proc_warn(
			    p, "'%s': reading it for its debuglink CRC took over %s; not used",
			    name, a);
			return false;
		}
	}
	return off == st.st_size && (uint32_t)crc == want;
}

/* Opens root_fd + path when it is the wanted debug file; fd or -1. *name gets its name. */
static int try_debug(struct rs_proc *p, int root_fd, const char *path, const struct want *w,
		     char **name)
{
	struct build_id got;
	struct stat st;
	char *nm = NULL;
	bool ok;
	int fd;

	fd = rs_proc_open_file(p, root_fd, path, &nm);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (w->skip_ino && st.st_ino == w->skip_ino)) {
		ok = false;
	} else if (w->id && w->id->len) {
		ok = fd_build_id(fd, &got) && got.len == w->id->len &&
		     !memcmp(got.bits, w->id->bits, got.len);
	} else {
		ok = w->use_crc && crc_matches(p, fd, nm, w->crc);
	}
	if (!ok) {
		free(nm);
		close(fd);
		return -1;
	}
	*name = nm;
	return fd;
}

static int try_build_id_path(struct rs_proc *p, int root_fd, const struct want *w, char **name)
{
	char hex[2 * BUILD_ID_MAX + 1], path[PATH_MAX];
	const struct build_id *id = w->id;

	if (!id || id->len < 2)
		return -1;
	for (size_t i = 0; i < id->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id->bits[i]);
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	return try_debug(p, root_fd, path, w, name);
}

/*
 * The debuglink places for a file in directory dir (as the target sees it):
 * in the host's root for a container's module, only the host's own
 * /usr/lib/debug<dir>, never <dir> itself, which the container may own.
 */
static int try_debuglink(struct rs_proc *p, int root_fd, const char *dir, const char *link,
			 const struct want *w, char **name)
{
	static const char *const fmts[] = { "%s/%s", "%s/.debug/%s", "/usr/lib/debug%s/%s" };
	size_t n = sizeof(fmts) / sizeof(fmts[0]);
	char path[PATH_MAX];

	for (size_t i = root_fd == p->root_fd ? 0 : n - 1; i < n; i++) {
		int fd, r = snprintf(path, sizeof(path), fmts[i], dir, link);

		if (r < 0 || r >= (int)sizeof(path))
			continue;
		fd = try_debug(p, root_fd, path, w, name);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* Reads .gnu_debugaltlink of the file fd: the alt file's name and build-id. */
static bool read_altlink(int fd, char *alt, size_t altlen, struct build_id *id)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;
	Elf *elf;

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
	return found;
}

/*
 * The roots to search for m's debug files: the target's; the host's too
 * only when the host's file at m's path is the mapped one (host_own).
 */
static size_t roots(struct rs_mod *m, int out[2])
{
	struct rs_proc *p = m->proc;
	size_t n = 0;

	out[n++] = p->root_fd;
	if (!p->same_root && host_own(m))
		out[n++] = p->host_fd;
	return n;
}

static bool has_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n))
		return false;
	*rest = s + n;
	return true;
}

/*
 * Opens again a file we named for libdwfl (open_module_file, try_debug):
 * fd or -1; *root_fd and *path (borrowed from name or m) say where it is,
 * for names relative to it. Names of any other form are refused.
 */
static int reopen_named(struct rs_mod *m, const char *name, int *root_fd, const char **path)
{
	struct rs_proc *p = m->proc;
	char prefix[PATH_MAX];
	const char *rest;

	snprintf(prefix, sizeof(prefix), "%s/%" PRIu32 "/map_files/", p->proc_root, p->pid);
	if (has_prefix(name, prefix, &rest)) {
		*root_fd = p->root_fd;
		*path = m->path;
		return rs_open_proc_link(name);
	}
	snprintf(prefix, sizeof(prefix), "%s/%" PRIu32 "/root/", p->proc_root, p->pid);
	if (has_prefix(name, prefix, &rest)) {
		*root_fd = p->root_fd;
		*path = rest - 1;
	} else if (name[0] == '/' && (p->same_root || host_own(m))) {
		*root_fd = p->same_root ? p->root_fd : p->host_fd;
		*path = name;
	} else {
		return -1;
	}
	return rs_proc_open_file(p, *root_fd, *path, NULL);
}

static int find_altfile(struct rs_mod *m, const char *debug_file, char **name)
{
	char alt[PATH_MAX], path[PATH_MAX];
	const char *inroot, *slash;
	int rootv[2], root_fd, fd;
	struct build_id id;
	struct want w = { .id = &id };
	size_t nroots = roots(m, rootv);
	bool found;

	if (!debug_file || (fd = reopen_named(m, debug_file, &root_fd, &inroot)) < 0)
		return -1;
	found = read_altlink(fd, alt, sizeof(alt), &id);
	close(fd);
	if (!found)
		return -1;
	/* alt is the debug file's data: it names a path only in the root that file came from */
	fd = try_build_id_path(m->proc, root_fd, &w, name);
	if (fd < 0 && alt[0] == '/')
		fd = try_debug(m->proc, root_fd, alt, &w, name);
	for (size_t i = 0; i < nroots && fd < 0; i++)
		if (rootv[i] != root_fd) /* the host's, by build-id only */
			fd = try_build_id_path(m->proc, rootv[i], &w, name);
	if (fd >= 0)
		return fd;
	if (alt[0] != '/') {
		/* relative to the debug file, in the root it was found in */
		int r;

		slash = strrchr(inroot, '/');
		r = snprintf(path, sizeof(path), "%.*s/%s", slash ? (int)(slash - inroot) : 0,
			     inroot, alt);
		if (r > 0 && r < (int)sizeof(path))
			return try_debug(m->proc, root_fd, path, &w, name);
	}
	return -1;
}

static bool debuginfod_enabled(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	/* libdw reaches debuginfod through dlopen, which a static executable cannot do:
	 * main() says so once */
	return !RS_STATIC_BUILD && urls && *urls;
}

int rs_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name)
{
	struct rs_mod *m = *userdata;
	const char *main_link = NULL, *slash;
	struct build_id id = { .len = 0 };
	const unsigned char *bits;
	GElf_Word main_crc = 0;
	GElf_Addr vaddr, bias;
	char dir[PATH_MAX];
	struct want w;
	int rootv[2];
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
		fd = find_altfile(m, file_name, debuginfo_file_name);
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
	nroots = roots(m, rootv);
	for (size_t i = 0; i < nroots && fd < 0; i++) {
		fd = try_build_id_path(m->proc, rootv[i], &w, debuginfo_file_name);
		if (fd < 0 && debuglink_file)
			fd = try_debuglink(m->proc, rootv[i], dir, debuglink_file, &w,
					   debuginfo_file_name);
	}
standard:
	/* libdw's own open() calls resolve inside the target's root here too (dwopen.c) */
	if (fd < 0 && debuginfod_enabled()) {
		fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
						  debuglink_file, debuglink_crc,
						  debuginfo_file_name);
		if (fd >= 0 && !rs_debug_size_ok(m->proc, fd, *debuginfo_file_name)) {
			close(fd);
			free(*debuginfo_file_name);
			*debuginfo_file_name = NULL;
			fd = -1;
		}
	}
	return fd >= 0 ? rs_debugcache_swap(fd) : fd;
}
