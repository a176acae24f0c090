// SPDX-License-Identifier: GPL-2.0
/*
 * What libdw and libelf open by themselves, confined to the target's root.
 *
 * libdw opens some files with plain open(): a split unit's .dwo
 * (__libdw_find_split_unit: <debugdir>/<DW_AT_dwo_name>, then
 * <DW_AT_comp_dir>/<DW_AT_dwo_name>, reached from dwarf_cu_info(), the line
 * and range readers, location lists…), a DWZ alternate file (dwarf_getalt),
 * and libdwfl's dwfl_standard_find_debuginfo() (used when DEBUGINFOD_URLS is
 * set) its build-id and debuglink candidates. Those names come from the
 * target's files. Left alone, open() would resolve them on the host as root:
 * a FIFO there hangs rsample, a symlink to /etc/shadow gets opened and mapped.
 *
 * So the executable defines open() itself. It comes first in the global
 * lookup scope, so libdw.so's and libelf.so's undefined "open" binds to it
 * (the linker exports it because those libraries reference it). A call whose
 * return address lies in libdw.so or libelf.so (dladdr, compared with the
 * objects that hold dwarf_begin and elf_begin) is resolved by
 * rs_open_in_root() inside the root of the process being symbolized, set by
 * the stack entry points around every use of libdw (rs_root_enter): never on
 * the host for a container, regular files only, read-only, and the file's
 * decompressed debug sections within --max-debug-size. With no process set
 * such a call fails (EACCES): nothing is opened on the host by default.
 * Every other caller goes straight to the openat system call, as glibc would
 * (the sanitizers' and valgrind's interceptors of open are bypassed, which
 * only skips their check that the path is readable memory).
 *
 * A static executable (make static, RS_STATIC) has no global lookup scope and
 * no dladdr: there the build links a private copy of libdw.a and libelf.a
 * whose undefined "open" was renamed to rs_dw_open (objcopy --redefine-sym,
 * static.mk), so every open() those libraries make arrives here and nowhere
 * else; the program's own open() stays glibc's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <elfutils/libdw.h>
#include "stack/stack_priv.h"

static __thread struct rs_proc *cur_proc;

struct rs_proc *rs_root_enter(struct rs_proc *p)
{
	struct rs_proc *prev = cur_proc;

	cur_proc = p;
	return prev;
}

void rs_root_leave(struct rs_proc *prev)
{
	cur_proc = prev;
}

#ifndef RS_STATIC
static void *dw_base, *elf_base;
static pthread_once_t bases_once = PTHREAD_ONCE_INIT;

static void *base_of(void *addr)
{
	Dl_info info;

	return dladdr(addr, &info) ? info.dli_fbase : NULL;
}

static void find_bases(void)
{
	dw_base = base_of((void *)dwarf_begin);
	elf_base = base_of((void *)elf_begin);
}

/* True when the caller at return address ret is libdw or libelf. */
static bool from_libdw(void *ret)
{
	void *b;

	pthread_once(&bases_once, find_bases);
	b = base_of(ret);
	return b && (b == dw_base || b == elf_base);
}

#endif

/* libdw's open(): inside the current process's root, bounded. */
static int confined_open(const char *path, int flags)
{
	struct rs_proc *p = cur_proc;
	int fd;

	if (!p || (flags & (O_ACCMODE | O_CREAT | O_TRUNC | O_TMPFILE)) != O_RDONLY) {
		errno = EACCES;
		return -1;
	}
	fd = rs_proc_open_file(p, p->root_fd, path, NULL);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

#ifdef RS_STATIC
/* What the static build's libdw.a and libelf.a call for open() (static.mk). */
int rs_dw_open(const char *path, int flags, ...)
{
	return confined_open(path, flags);
}
#else
int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (from_libdw(__builtin_return_address(0)))
		return confined_open(path, flags);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}
#endif
