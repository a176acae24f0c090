// SPDX-License-Identifier: GPL-2.0
/* Syscall names and argument decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include "snapshot/snapshot.h"
#include "syscalls_gen.h"

static void expect_describe(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			    uint64_t a5, const char *want)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	char buf[256];

	memset(buf, 'z', sizeof(buf));
	rs_syscall_describe(nr, args, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_syscalls_names(void **state)
{
	(void)state;
	assert_string_equal(rs_syscall_name(SYS_read), "read");
	assert_string_equal(rs_syscall_name(SYS_futex), "futex");
	assert_string_equal(rs_syscall_name(SYS_epoll_wait), "epoll_wait");
	assert_string_equal(rs_syscall_name(SYS_clock_nanosleep), "clock_nanosleep");
	assert_string_equal(rs_syscall_name(SYS_wait4), "wait4");
	assert_null(rs_syscall_name(-1));
	assert_null(rs_syscall_name(100000));
}

/* Every entry of the generated table is found, whatever its order there. */
static void test_syscalls_names_match_table(void **state)
{
	size_t n = sizeof(rs_syscall_table) / sizeof(rs_syscall_table[0]);

	(void)state;
	assert_true(n > 300);
	for (size_t i = 0; i < n; i++) {
		const char *name = rs_syscall_name(rs_syscall_table[i].nr);

		assert_non_null(name);
		assert_string_equal(name, rs_syscall_table[i].name);
	}
}

static void test_syscalls_describe_futex(void **state)
{
	(void)state;
	expect_describe(SYS_futex, 0x7f12a4c0, 128, 2, 0, 0, 0,
			"futex(0x7f12a4c0, FUTEX_WAIT_PRIVATE, 2, NULL)");
	expect_describe(SYS_futex, 0x7f12a4c0, 0, 0, 0x7ffd1000, 0, 0,
			"futex(0x7f12a4c0, FUTEX_WAIT, 0, 0x7ffd1000)");
	expect_describe(
	    SYS_futex, 0x55d0c0de, 9 | 128 | 256, 0, 0x7ffd1000, 0, 0xffffffff,
	    "futex(0x55d0c0de, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, 0x7ffd1000, NULL, FUTEX_BITSET_MATCH_ANY)");
	expect_describe(SYS_futex, 0x1000, 9 | 128, 4294967295u, 0, 0, 0x4,
			"futex(0x1000, FUTEX_WAIT_BITSET_PRIVATE, 4294967295, NULL, NULL, 0x4)");
	expect_describe(SYS_futex, 0x1000, 1 | 128, 1, 0xdead, 0xbeef, 0xf00,
			"futex(0x1000, FUTEX_WAKE_PRIVATE, 1)");
	expect_describe(SYS_futex, 0x1000, 6, 0, 0, 0, 0, "futex(0x1000, FUTEX_LOCK_PI, 0, NULL)");
	expect_describe(SYS_futex, 0x1000, 7 | 128, 0, 0, 0, 0,
			"futex(0x1000, FUTEX_UNLOCK_PI_PRIVATE)");
	expect_describe(SYS_futex, 0x1000, 4 | 128, 1, 0x7fffffff, 0x2000, 5,
			"futex(0x1000, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2147483647, 0x2000, 5)");
	expect_describe(SYS_futex, 0x1000, 0x7f, 1, 2, 3, 4,
			"futex(0x1000, 0x7f, 0x1, 0x2, 0x3, 0x4)");
}

static void test_syscalls_describe_io(void **state)
{
	(void)state;
	expect_describe(SYS_read, 3, 0x7ffc1000, 4096, 9, 9, 9, "read(3, 0x7ffc1000, 4096)");
	expect_describe(SYS_write, 1, 0x55aa, 12, 0, 0, 0, "write(1, 0x55aa, 12)");
	expect_describe(SYS_recvfrom, 7, 0x7f00, 65536, 0x40, 0, 0,
			"recvfrom(7, 0x7f00, 65536, 0x40, NULL, NULL)");
	expect_describe(SYS_recvmsg, 7, 0x7f00, 0, 0, 0, 0, "recvmsg(7, 0x7f00, 0)");
	expect_describe(SYS_sendto, 7, 0x7f00, 10, 0, 0x7e00, 16,
			"sendto(7, 0x7f00, 10, 0, 0x7e00, 16)");
	expect_describe(SYS_accept, 4, 0, 0, 0, 0, 0, "accept(4, NULL, NULL)");
	expect_describe(SYS_accept4, 4, 0x7f00, 0x7e00, 0x80800, 0, 0,
			"accept4(4, 0x7f00, 0x7e00, 0x80800)");
	expect_describe(SYS_connect, 5, 0x7f00, 16, 0, 0, 0, "connect(5, 0x7f00, 16)");
	expect_describe(SYS_openat, (uint64_t)-100, 0x5555, 0x80000, 0, 0, 0,
			"openat(AT_FDCWD, 0x5555, 0x80000, 0)");
}

static void test_syscalls_describe_waits(void **state)
{
	(void)state;
	/* a timeout of -1 as the kernel sees an int, whatever the upper register bits */
	expect_describe(SYS_epoll_wait, 5, 0x7f00, 1024, 0xffffffff, 0, 0,
			"epoll_wait(5, 0x7f00, 1024, -1)");
	expect_describe(SYS_epoll_wait, 5, 0x7f00, 1024, UINT64_MAX, 0, 0,
			"epoll_wait(5, 0x7f00, 1024, -1)");
	expect_describe(SYS_epoll_pwait, 5, 0x7f00, 128, 250, 0, 8,
			"epoll_pwait(5, 0x7f00, 128, 250, NULL, 8)");
	expect_describe(SYS_epoll_pwait2, 5, 0x7f00, 128, 0, 0x7e00, 8,
			"epoll_pwait2(5, 0x7f00, 128, NULL, 0x7e00, 8)");
	expect_describe(SYS_poll, 0x7ffd, 2, 1000, 0, 0, 0, "poll(0x7ffd, 2, 1000)");
	expect_describe(SYS_ppoll, 0x7ffd, 2, 0, 0, 8, 0, "ppoll(0x7ffd, 2, NULL, NULL, 8)");
	expect_describe(SYS_select, 8, 0x7f00, 0, 0, 0x7e00, 0,
			"select(8, 0x7f00, NULL, NULL, 0x7e00)");
	expect_describe(SYS_pselect6, 8, 0x7f00, 0, 0, 0, 0,
			"pselect6(8, 0x7f00, NULL, NULL, NULL, NULL)");
	expect_describe(SYS_nanosleep, 0x7ffd2000, 0x7ffd2010, 0, 0, 0, 0,
			"nanosleep(0x7ffd2000, 0x7ffd2010)");
	expect_describe(SYS_clock_nanosleep, 1, 1, 0x7ffd, 0, 0, 0,
			"clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, 0x7ffd, NULL)");
	expect_describe(SYS_clock_nanosleep, 0, 0, 0x7ffd, 0x7ffe, 0, 0,
			"clock_nanosleep(CLOCK_REALTIME, 0, 0x7ffd, 0x7ffe)");
	expect_describe(SYS_clock_nanosleep, 42, 2, 0x7ffd, 0, 0, 0,
			"clock_nanosleep(42, 0x2, 0x7ffd, NULL)");
	expect_describe(SYS_wait4, (uint64_t)-1, 0x7ffd, 0, 0, 0, 0, "wait4(-1, 0x7ffd, 0, NULL)");
	expect_describe(SYS_wait4, 42, 0, 0x40000001, 0, 0, 0,
			"wait4(42, NULL, WNOHANG|__WALL, NULL)");
	expect_describe(SYS_waitid, 1, 42, 0x7ffd, 4, 0, 0,
			"waitid(P_PID, 42, 0x7ffd, WEXITED, NULL)");
	expect_describe(SYS_pause, 1, 2, 3, 4, 5, 6, "pause()");
	expect_describe(SYS_rt_sigtimedwait, 0x7ffd, 0, 0, 8, 0, 0,
			"rt_sigtimedwait(0x7ffd, NULL, NULL, 8)");
	expect_describe(SYS_flock, 4, 2 | 4, 0, 0, 0, 0, "flock(4, LOCK_EX|LOCK_NB)");
	expect_describe(SYS_fcntl, 4, 7, 0x7ffd, 0, 0, 0, "fcntl(4, F_SETLKW, 0x7ffd)");
	expect_describe(SYS_fcntl, 4, 999, 1, 0, 0, 0, "fcntl(4, 999, 0x1)");
	expect_describe(SYS_msgrcv, 3, 0x7ffd, 128, (uint64_t)-5, 0x1000, 0,
			"msgrcv(3, 0x7ffd, 128, -5, 0x1000)");
	expect_describe(SYS_semop, 3, 0x7ffd, 1, 0, 0, 0, "semop(3, 0x7ffd, 1)");
}

static void test_syscalls_describe_unknown(void **state)
{
	(void)state;
	/* a named call whose arguments are not described: all six in hex */
	expect_describe(SYS_getcwd, 0x7ffd, 0x1000, 0, 0, 0, 0,
			"getcwd(0x7ffd, 0x1000, 0, 0, 0, 0)");
	expect_describe(9999, 1, 2, 3, 4, 5, 0xffffffffffffffffull,
			"syscall_9999(0x1, 0x2, 0x3, 0x4, 0x5, 0xffffffffffffffff)");
	expect_describe(-1, 0, 0, 0, 0, 0, 0, "syscall_-1(0, 0, 0, 0, 0, 0)");
}

static void test_syscalls_describe_truncates(void **state)
{
	const uint64_t args[6] = { 0x7f12a4c0, 128, 2, 0, 0, 0 };
	char buf[10] = "abcdefghi";

	(void)state;
	rs_syscall_describe(SYS_futex, args, buf, sizeof(buf));
	assert_string_equal(buf, "futex(0x7");
	rs_syscall_describe(SYS_futex, args, buf, 1);
	assert_string_equal(buf, "");
	buf[0] = 'q';
	rs_syscall_describe(SYS_futex, args, buf, 0);
	assert_int_equal(buf[0], 'q');
}

static void test_syscalls_nargs(void **state)
{
	const uint64_t wait[6] = { 0x1000, 128, 2, 0, 0, 0 };
	const uint64_t wake[6] = { 0x1000, 1, 1, 0, 0, 0 };
	const uint64_t bitset[6] = { 0x1000, 9 | 128, 0, 0, 0, ~0ull };
	const uint64_t zero[6] = { 0 };

	(void)state;
	assert_int_equal(rs_syscall_nargs(SYS_futex, wait), 4);
	assert_int_equal(rs_syscall_nargs(SYS_futex, wake), 3);
	assert_int_equal(rs_syscall_nargs(SYS_futex, bitset), 6);
	assert_int_equal(rs_syscall_nargs(SYS_read, zero), 3);
	assert_int_equal(rs_syscall_nargs(SYS_epoll_wait, zero), 4);
	assert_int_equal(rs_syscall_nargs(SYS_pause, zero), 0);
	assert_int_equal(rs_syscall_nargs(SYS_getcwd, zero), 6);
	assert_int_equal(rs_syscall_nargs(9999, zero), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscalls_names),
		cmocka_unit_test(test_syscalls_names_match_table),
		cmocka_unit_test(test_syscalls_describe_futex),
		cmocka_unit_test(test_syscalls_describe_io),
		cmocka_unit_test(test_syscalls_describe_waits),
		cmocka_unit_test(test_syscalls_describe_unknown),
		cmocka_unit_test(test_syscalls_describe_truncates),
		cmocka_unit_test(test_syscalls_nargs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
