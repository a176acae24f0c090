// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall names (from the build machine's <asm/unistd.h>, see
 * scripts/gen-syscalls.sh) and strace-like decoding of the calls threads
 * block in.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot/snapshot.h"
#include "syscalls_gen.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define N_TABLE	      ARRAY_SIZE(rs_syscall_table)

/*
 * Argument kinds, one letter per argument:
 *   f fd (int, AT_FDCWD named)   i int       l long       u unsigned long
 *   U unsigned int               p pointer (NULL or hex)   x hex
 *   c clockid                    a clock_nanosleep flags   w wait4 options
 *   W waitid options             I waitid idtype           C fcntl command
 *   L flock operation            F futex op                B futex bitset
 */
static const struct {
	const char *name;
	const char *args;
} sigs[] = {
	{ "accept", "fpp" },
	{ "accept4", "fppx" },
	{ "brk", "p" },
	{ "clock_nanosleep", "capp" },
	{ "clone3", "pu" },
	{ "close", "f" },
	{ "connect", "fpu" },
	{ "dup", "f" },
	{ "dup2", "ff" },
	{ "dup3", "ffx" },
	{ "epoll_pwait", "fpiipu" },
	{ "epoll_pwait2", "fpippu" },
	{ "epoll_wait", "fpii" },
	{ "execve", "ppp" },
	{ "exit", "i" },
	{ "exit_group", "i" },
	{ "fcntl", "fCx" },
	{ "fdatasync", "f" },
	{ "flock", "fL" },
	{ "fsync", "f" },
	{ "getdents64", "fpu" },
	{ "getpid", "" },
	{ "getrandom", "pux" },
	{ "gettid", "" },
	{ "io_getevents", "xllpp" },
	{ "io_uring_enter", "fUUxpu" },
	{ "ioctl", "fxx" },
	{ "kill", "ii" },
	{ "listen", "fi" },
	{ "lseek", "fli" },
	{ "madvise", "pux" },
	{ "mmap", "puxxfx" },
	{ "mprotect", "pux" },
	{ "mq_timedreceive", "ipupp" },
	{ "msgrcv", "ipulx" },
	{ "msgsnd", "ipux" },
	{ "msync", "pux" },
	{ "munmap", "pu" },
	{ "nanosleep", "pp" },
	{ "open", "pxx" },
	{ "openat", "fpxx" },
	{ "pause", "" },
	{ "pipe", "p" },
	{ "pipe2", "px" },
	{ "poll", "pui" },
	{ "ppoll", "puppu" },
	{ "pread64", "fpul" },
	{ "pselect6", "ippppp" },
	{ "pwrite64", "fpul" },
	{ "read", "fpu" },
	{ "readv", "fpi" },
	{ "recvfrom", "fpuxpp" },
	{ "recvmmsg", "fpUxp" },
	{ "recvmsg", "fpx" },
	{ "restart_syscall", "" },
	{ "rt_sigsuspend", "pu" },
	{ "rt_sigtimedwait", "pppu" },
	{ "sched_yield", "" },
	{ "select", "ipppp" },
	{ "semop", "ipu" },
	{ "semtimedop", "ipup" },
	{ "sendfile", "ffpu" },
	{ "sendmmsg", "fpUx" },
	{ "sendmsg", "fpx" },
	{ "sendto", "fpuxpu" },
	{ "shutdown", "fi" },
	{ "splice", "fpfpux" },
	{ "sync", "" },
	{ "tgkill", "iii" },
	{ "tkill", "ii" },
	{ "wait4", "ipwp" },
	{ "waitid", "IipWp" },
	{ "write", "fpu" },
	{ "writev", "fpi" },
};

struct flag_name {
	uint64_t value;
	const char *name;
};

static const struct flag_name clocks[] = {
	{ 0, "CLOCK_REALTIME" },
	{ 1, "CLOCK_MONOTONIC" },
	{ 2, "CLOCK_PROCESS_CPUTIME_ID" },
	{ 3, "CLOCK_THREAD_CPUTIME_ID" },
	{ 4, "CLOCK_MONOTONIC_RAW" },
	{ 5, "CLOCK_REALTIME_COARSE" },
	{ 6, "CLOCK_MONOTONIC_COARSE" },
	{ 7, "CLOCK_BOOTTIME" },
	{ 8, "CLOCK_REALTIME_ALARM" },
	{ 9, "CLOCK_BOOTTIME_ALARM" },
	{ 11, "CLOCK_TAI" },
};

static const struct flag_name timer_flags[] = { { 1, "TIMER_ABSTIME" } };

static const struct flag_name wait4_flags[] = {
	{ 1, "WNOHANG" },	  { 2, "WUNTRACED" },
	{ 8, "WCONTINUED" },	  { 0x20000000, "__WNOTHREAD" },
	{ 0x40000000, "__WALL" }, { 0x80000000, "__WCLONE" },
};

static const struct flag_name waitid_flags[] = {
	{ 1, "WNOHANG" },	  { 2, "WSTOPPED" },	      { 4, "WEXITED" },
	{ 8, "WCONTINUED" },	  { 0x01000000, "WNOWAIT" },  { 0x20000000, "__WNOTHREAD" },
	{ 0x40000000, "__WALL" }, { 0x80000000, "__WCLONE" },
};

static const struct flag_name idtypes[] = {
	{ 0, "P_ALL" },
	{ 1, "P_PID" },
	{ 2, "P_PGID" },
	{ 3, "P_PIDFD" },
};

static const struct flag_name fcntl_cmds[] = {
	{ 0, "F_DUPFD" },
	{ 1, "F_GETFD" },
	{ 2, "F_SETFD" },
	{ 3, "F_GETFL" },
	{ 4, "F_SETFL" },
	{ 5, "F_GETLK" },
	{ 6, "F_SETLK" },
	{ 7, "F_SETLKW" },
	{ 8, "F_SETOWN" },
	{ 9, "F_GETOWN" },
	{ 10, "F_SETSIG" },
	{ 11, "F_GETSIG" },
	{ 36, "F_OFD_GETLK" },
	{ 37, "F_OFD_SETLK" },
	{ 38, "F_OFD_SETLKW" },
	{ 1024, "F_SETLEASE" },
	{ 1025, "F_GETLEASE" },
	{ 1026, "F_NOTIFY" },
	{ 1030, "F_DUPFD_CLOEXEC" },
	{ 1031, "F_SETPIPE_SZ" },
	{ 1032, "F_GETPIPE_SZ" },
	{ 1033, "F_ADD_SEALS" },
	{ 1034, "F_GET_SEALS" },
};

static const struct flag_name flock_ops[] = {
	{ 1, "LOCK_SH" },
	{ 2, "LOCK_EX" },
	{ 4, "LOCK_NB" },
	{ 8, "LOCK_UN" },
};

#define FUTEX_PRIVATE  128u
#define FUTEX_REALTIME 256u

/* Futex commands (op & ~(PRIVATE|CLOCK_REALTIME)) and their argument kinds, by number. */
static const struct {
	const char *name;
	const char *args;
} futex_cmds[] = {
	[0] = { "FUTEX_WAIT", "pFUp" },
	[1] = { "FUTEX_WAKE", "pFU" },
	[2] = { "FUTEX_FD", "pFU" },
	[3] = { "FUTEX_REQUEUE", "pFUUp" },
	[4] = { "FUTEX_CMP_REQUEUE", "pFUUpU" },
	[5] = { "FUTEX_WAKE_OP", "pFUUpx" },
	[6] = { "FUTEX_LOCK_PI", "pFUp" },
	[7] = { "FUTEX_UNLOCK_PI", "pF" },
	[8] = { "FUTEX_TRYLOCK_PI", "pF" },
	[9] = { "FUTEX_WAIT_BITSET", "pFUppB" },
	[10] = { "FUTEX_WAKE_BITSET", "pFUppB" },
	[11] = { "FUTEX_WAIT_REQUEUE_PI", "pFUpp" },
	[12] = { "FUTEX_CMP_REQUEUE_PI", "pFUUpU" },
	[13] = { "FUTEX_LOCK_PI2", "pFUp" },
};

/* Table indexes sorted by syscall number, built once: the generated table has no set order. */
static uint16_t by_nr[N_TABLE];
static pthread_once_t by_nr_once = PTHREAD_ONCE_INIT;

static int cmp_by_nr(const void *a, const void *b)
{
	int x = rs_syscall_table[*(const uint16_t *)a].nr;
	int y = rs_syscall_table[*(const uint16_t *)b].nr;

	return (x > y) - (x < y);
}

static void build_by_nr(void)
{
	for (size_t i = 0; i < N_TABLE; i++)
		by_nr[i] = (uint16_t)i;
	qsort(by_nr, N_TABLE, sizeof(by_nr[0]), cmp_by_nr);
}

const char *rs_syscall_name(int nr)
{
	size_t lo = 0, hi = N_TABLE;

	pthread_once(&by_nr_once, build_by_nr);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int v = rs_syscall_table[by_nr[mid]].nr;

		if (v == nr)
			return rs_syscall_table[by_nr[mid]].name;
		if (v < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Argument kinds of a syscall, NULL when not known. */
static const char *arg_kinds(int nr, const uint64_t args[6])
{
	const char *name = rs_syscall_name(nr);
	uint64_t cmd;

	if (!name)
		return NULL;
	if (!strcmp(name, "futex")) {
		cmd = args[1] & ~(uint64_t)(FUTEX_PRIVATE | FUTEX_REALTIME);
		if (cmd < ARRAY_SIZE(futex_cmds))
			return futex_cmds[cmd].args;
		return "pFxxxx";
	}
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (!strcmp(sigs[i].name, name))
			return sigs[i].args;
	return NULL;
}

int rs_syscall_nargs(int nr, const uint64_t args[6])
{
	const char *k = arg_kinds(nr, args);

	return k ? (int)strlen(k) : 6;
}

/* A bounded string builder: output is cut, never overrun, and always terminated. */
struct sbuf {
	char *buf;
	size_t len, pos;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->pos + 1 >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->pos += (size_t)n;
	if (b->pos >= b->len)
		b->pos = b->len - 1;
}

static const char *lookup(const struct flag_name *t, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

/* "A|B|0x40", or "0". */
static void put_flags(struct sbuf *b, const struct flag_name *t, size_t n, uint64_t v)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (v & t[i].value) {
			sb_printf(b, "%s%s", any ? "|" : "", t[i].name);
			v &= ~t[i].value;
			any = true;
		}
	}
	if (v || !any)
		sb_printf(b, any ? "|%#llx" : "%#llx", (unsigned long long)v);
}

static void put_enum(struct sbuf *b, const struct flag_name *t, size_t n, uint64_t v)
{
	const char *name = lookup(t, n, v);

	if (name)
		sb_printf(b, "%s", name);
	else
		sb_printf(b, "%d", (int)(int32_t)v);
}

static void put_futex_op(struct sbuf *b, uint64_t op)
{
	uint64_t cmd = op & ~(uint64_t)(FUTEX_PRIVATE | FUTEX_REALTIME);

	if (cmd >= ARRAY_SIZE(futex_cmds)) {
		sb_printf(b, "%#llx", (unsigned long long)op);
		return;
	}
	sb_printf(b, "%s%s%s", futex_cmds[cmd].name, op & FUTEX_PRIVATE ? "_PRIVATE" : "",
		  op & FUTEX_REALTIME ? "|FUTEX_CLOCK_REALTIME" : "");
}

static void put_arg(struct sbuf *b, char kind, uint64_t v)
{
	switch (kind) {
	case 'f':
		if ((int32_t)v == -100)
			sb_printf(b, "AT_FDCWD");
		else
			sb_printf(b, "%d", (int)(int32_t)v);
		break;
	case 'i':
		sb_printf(b, "%d", (int)(int32_t)v);
		break;
	case 'l':
		sb_printf(b, "%lld", (long long)(int64_t)v);
		break;
	case 'u':
		sb_printf(b, "%llu", (unsigned long long)v);
		break;
	case 'U':
		sb_printf(b, "%u", (unsigned int)(uint32_t)v);
		break;
	case 'p':
		if (v)
			sb_printf(b, "%#llx", (unsigned long long)v);
		else
			sb_printf(b, "NULL");
		break;
	case 'c':
		put_enum(b, clocks, ARRAY_SIZE(clocks), v);
		break;
	case 'a':
		put_flags(b, timer_flags, ARRAY_SIZE(timer_flags), v);
		break;
	case 'w':
		put_flags(b, wait4_flags, ARRAY_SIZE(wait4_flags), v & 0xffffffffu);
		break;
	case 'W':
		put_flags(b, waitid_flags, ARRAY_SIZE(waitid_flags), v & 0xffffffffu);
		break;
	case 'I':
		put_enum(b, idtypes, ARRAY_SIZE(idtypes), v);
		break;
	case 'C':
		put_enum(b, fcntl_cmds, ARRAY_SIZE(fcntl_cmds), v);
		break;
	case 'L':
		put_flags(b, flock_ops, ARRAY_SIZE(flock_ops), v & 0xffffffffu);
		break;
	case 'F':
		put_futex_op(b, v);
		break;
	case 'B':
		if ((uint32_t)v == 0xffffffffu)
			sb_printf(b, "FUTEX_BITSET_MATCH_ANY");
		else
			sb_printf(b, "%#x", (unsigned int)(uint32_t)v);
		break;
	default: /* 'x' */
		sb_printf(b, "%#llx", (unsigned long long)v);
		break;
	}
}

void rs_syscall_describe(int nr, const uint64_t args[6], char *buf, size_t len)
{
	struct sbuf b = { .buf = buf, .len = len };
	const char *name = rs_syscall_name(nr);
	const char *kinds = arg_kinds(nr, args);

	if (!buf || !len)
		return;
	buf[0] = '\0';
	if (name)
		sb_printf(&b, "%s(", name);
	else
		sb_printf(&b, "syscall_%d(", nr);
	for (int i = 0; i < (kinds ? (int)strlen(kinds) : 6); i++) {
		if (i)
			sb_printf(&b, ", ");
		put_arg(&b, kinds ? kinds[i] : 'x', args[i]);
	}
	sb_printf(&b, ")");
}
