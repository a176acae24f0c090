// SPDX-License-Identifier: GPL-2.0
/*
 * Debug files kept decompressed between runs.
 *
 * Debian's debug packages (libc6-dbg, every -dbgsym) compress their DWARF
 * sections (SHF_COMPRESSED, zlib). libdw inflates all of them when it opens
 * the file: libc's 4.2 MB become 10.4 MB, 40-80 ms of CPU and ~2 600 fresh
 * pages, in every run, although a snapshot reads a few of its CUs. So the
 * first run writes the file once with its sections decompressed, and later
 * runs hand libdw that copy, which it maps and reads in place (~1 ms).
 *
 * Where: $RSAMPLE_CACHE_DIR; else /var/cache/rsample for root, else
 * $XDG_CACHE_HOME/rsample or ~/.cache/rsample. RSAMPLE_CACHE_DIR=off (or
 * empty) turns it off. The directory is used only when it is the caller's
 * own and nobody else can write it; entries are the caller's own files
 * (mode 0600), at most RS_DEBUGCACHE_BYTES in all, the least recently used
 * removed first.
 *
 * An entry is named after the file it was made from: its build-id and its
 * device, inode, size and change time (ctime, which no one can set). So an
 * entry is only ever used for the very file it came from, and a container
 * cannot place a copy for another target's libc by reusing its build-id.
 * An entry that fails to open as ELF, or is not what its name says (build-
 * id), is ignored and made again. Files are written under a temporary name
 * and renamed, so a reader never sees half of one. Nothing here is needed
 * for a result: any failure gives back the original file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"

/* The cache's size bound: a few hundred debug files (libc's is 10 MB decompressed). */
#define RS_DEBUGCACHE_BYTES (1ull << 30)
/* A temporary file older than this was left by a run that died. */
#define STALE_TMP_SECS 3600

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static int dir_fd = -1;

/* dir exists (made 0700 when missing, parents too), is ours and nobody else's to write. */
static int open_own_dir(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -1;
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(path, 0700);
		*s = '/';
	}
	(void)mkdir(path, 0700);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void find_dir(void)
{
	const char *env = getenv("RSAMPLE_CACHE_DIR"), *base;
	char dir[PATH_MAX];

	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	if (env) {
		if (!*env || !strcmp(env, "off"))
			return;
		snprintf(dir, sizeof(dir), "%s", env);
	} else if (geteuid() == 0) {
		snprintf(dir, sizeof(dir), "/var/cache/rsample");
	} else if ((base = getenv("XDG_CACHE_HOME")) && *base == '/') {
		snprintf(dir, sizeof(dir), "%s/rsample", base);
	} else if ((base = getenv("HOME")) && *base == '/') {
		snprintf(dir, sizeof(dir), "%s/.cache/rsample", base);
	} else {
		return;
	}
	dir_fd = open_own_dir(dir);
}

/* Whether elf has a section libdw would inflate (SHF_COMPRESSED). */
static bool has_compressed(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			return true;
	return false;
}

/* The entry's name: build-id, then what identifies the source file. 0, or -1. */
static int entry_name(Elf *elf, const struct stat *st, char *out, size_t len)
{
	const unsigned char *id;
	ssize_t n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	size_t w = 0;

	if (n <= 0 || (size_t)n * 2 + 96 > len)
		return -1;
	for (ssize_t i = 0; i < n; i++)
		w += (size_t)snprintf(out + w, len - w, "%02x", id[i]);
	snprintf(out + w, len - w, "-%" PRIx64 "-%" PRIx64 "-%" PRIx64 "-%" PRIx64 ".%09ld.debug",
		 (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
		 (uint64_t)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
	return 0;
}

/*
 * Whether every section of elf, and its section header table, lies within
 * size bytes and none is compressed: a cut entry (a full disk) is not one.
 */
static bool whole_and_inflated(Elf *elf, uint64_t size)
{
	Elf_Scn *scn = NULL;
	size_t shnum;
	GElf_Ehdr eh;
	GElf_Shdr sh;

	if (!gelf_getehdr(elf, &eh) || elf_getshdrnum(elf, &shnum) || shnum < 2 ||
	    eh.e_shoff > size || (uint64_t)shnum * eh.e_shentsize > size - eh.e_shoff)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || (sh.sh_flags & SHF_COMPRESSED))
			return false;
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
			return false;
	}
	return true;
}

/* Whether cached file fd is a whole ELF file with build-id id[0..n) and nothing compressed. */
static bool entry_ok(int fd, const void *id, ssize_t n)
{
	const void *got;
	struct stat st;
	bool ok;
	Elf *elf;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size < 64)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return false;
	ok = elf_kind(elf) == ELF_K_ELF && whole_and_inflated(elf, (uint64_t)st.st_size) &&
	     dwelf_elf_gnu_build_id(elf, &got) == n && !memcmp(got, id, (size_t)n);
	elf_end(elf);
	return ok;
}

/*
 * Writes src to dst with every SHF_COMPRESSED section inflated; the rest,
 * program headers and section order included, as they are. 0 or -1.
 */
static int write_inflated(Elf *src, int dst_fd)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t phnum, shstrndx;
	Elf_Scn *scn = NULL;
	int ret = -1;
	Elf *dst;

	if (!gelf_getehdr(src, &eh) || elf_getphdrnum(src, &phnum) ||
	    elf_getshdrstrndx(src, &shstrndx) || shstrndx >= SHN_LORESERVE)
		return -1;
	dst = elf_begin(dst_fd, ELF_C_WRITE, NULL);
	if (!dst)
		return -1;
	if (!gelf_newehdr(dst, gelf_getclass(src)) || !gelf_update_ehdr(dst, &eh))
		goto out;
	if (phnum && !gelf_newphdr(dst, phnum))
		goto out;
	for (size_t i = 0; i < phnum; i++)
		if (!gelf_getphdr(src, (int)i, &ph) || !gelf_update_phdr(dst, (int)i, &ph))
			goto out;
	while ((scn = elf_nextscn(src, scn))) {
		Elf_Scn *out_scn = elf_newscn(dst);
		Elf_Data *d, *od;
		GElf_Shdr sh;

		if (!out_scn || !gelf_getshdr(scn, &sh))
			goto out;
		if ((sh.sh_flags & SHF_COMPRESSED) &&
		    (elf_compress(scn, 0, 0) < 0 || !gelf_getshdr(scn, &sh)))
			goto out;
		d = elf_getdata(scn, NULL);
		od = elf_newdata(out_scn);
		if (!d || !od)
			goto out;
		*od = *d;
		if (!gelf_update_shdr(out_scn, &sh))
			goto out;
	}
	eh.e_shstrndx = (GElf_Half)shstrndx;
	if (!gelf_update_ehdr(dst, &eh))
		goto out;
	ret = elf_update(dst, ELF_C_WRITE) < 0 ? -1 : 0;
out:
	elf_end(dst);
	return ret;
}

/* Removes stale temporary files, then the least recently used entries while over the bound. */
static void trim(void)
{
	struct entry {
		char name[NAME_MAX + 1];
		time_t used;
		off_t size;
	} *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	int fd = dup(dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		bool tmp = de->d_name[0] == '.' && strstr(de->d_name, ".tmp.");

		if (!tmp && (len < 6 || strcmp(de->d_name + len - 6, ".debug")))
			continue;
		if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (now - st.st_mtime > STALE_TMP_SECS)
				(void)unlinkat(dir_fd, de->d_name, 0);
			continue;
		}
		if (rs_grow(&v, &cap, n, sizeof(*v), 16))
			break;
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].used = st.st_mtime;
		v[n].size = st.st_size;
		total += (uint64_t)st.st_size;
		n++;
	}
	closedir(d);
	while (total > RS_DEBUGCACHE_BYTES && n) {
		size_t old = 0;

		for (size_t i = 1; i < n; i++)
			if (v[i].used < v[old].used)
				old = i;
		if (!unlinkat(dir_fd, v[old].name, 0))
			total -= (uint64_t)v[old].size;
		v[old] = v[--n];
	}
	free(v);
}

/* A new entry for src (file st) under name; fd of it, read-only, or -1. */
static int make_entry(Elf *src, const char *name)
{
	char tmp[NAME_MAX + 1];
	struct rs_tmark t;
	int fd, out = -1;

	rs_tmark_start(&t);
	if (snprintf(tmp, sizeof(tmp), ".%.200s.tmp.%d", name, (int)gettid()) >= (int)sizeof(tmp))
		return -1;
	fd = openat(dir_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (!write_inflated(src, fd) && !fsync(fd) && !renameat(dir_fd, tmp, dir_fd, name))
		out = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	else
		(void)unlinkat(dir_fd, tmp, 0);
	close(fd);
	rs_timings_add(&t, "  debug file decompressed into the cache (once)");
	if (out >= 0)
		trim();
	return out;
}

int rs_debugcache_swap(int fd)
{
	char name[NAME_MAX + 1];
	const void *id;
	struct stat st;
	ssize_t n;
	int got = -1;
	Elf *src;

	pthread_once(&dir_once, find_dir);
	if (dir_fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return fd;
	src = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!src)
		return fd;
	if (elf_kind(src) != ELF_K_ELF || !has_compressed(src) ||
	    entry_name(src, &st, name, sizeof(name)) ||
	    (n = dwelf_elf_gnu_build_id(src, &id)) <= 0) {
		elf_end(src);
		return fd;
	}
	got = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (got >= 0 && !entry_ok(got, id, n)) {
		close(got);
		got = -1;
	}
	if (got >= 0)
		(void)futimens(got, NULL); /* most recently used */
	else
		got = make_entry(src, name);
	elf_end(src);
	if (got < 0)
		return fd;
	close(fd);
	return got;
}
