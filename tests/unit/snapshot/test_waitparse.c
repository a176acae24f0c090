// SPDX-License-Identifier: GPL-2.0
/* The /proc/PID/net socket tables and fdinfo parsers (waitparse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <cmocka.h>
#include "snapshot/snapshot.h"

/* As this machine's /proc/net/tcp prints them (trailing blanks included). */
static const char tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode                                                     \n"
    "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "217 1 0000000096bd7db4 100 0 0 10 0                       \n"
    "   1: 0100007F:8981 0100007F:DB0C 01 00000000:00000000 03:00000B52 00000000     0        0 "
    "5555 3 000000009eaa85f6                                      \n"
    "   2: 0100007F:DB0C 0100007F:8981 01 00000000:00000000 00:00000000 00000000     0        0 "
    "5556 3 000000009eaa85f7                                      \n";

static const char tcp6[] =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n";

static const char udp[] =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops            \n"
    "  100: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 "
    "888 2 0000000000000000 0         \n";

static const char unixt[] =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "000000007e96ae85: 00000003 00000000 00000000 0001 03  1083\n"
    "00000000c23dc4be: 00000002 00000000 00010000 0001 01  1090 /run/x.sock\n"
    "00000000c23dc4bf: 00000002 00000000 00000000 0002 01  1091 @abstract\n";

/* What each table's line of one inode reads as. */
static void test_net_lines_by_inode(void **state)
{
	static const struct {
		const char *table, *proto;
		uint64_t ino;
		const char *out_proto, *local, *remote, *st;
	} cases[] = {
		{ tcp, "TCP", 217, "TCP", "0.0.0.0:2024", "",
		  "LISTEN" }, /* remote: not connected */
		{ tcp, "TCP", 5555, "TCP", "127.0.0.1:35201", "127.0.0.1:56076", "ESTABLISHED" },
		{ tcp6, "TCP6", 777, "TCP6", "[::1]:22", "", "LISTEN" },
		{ udp, "UDP", 888, "UDP", "127.0.0.53:53", "", "UNCONN" },
		{ unixt, "UNIX", 1083, "UNIX", "", "", "CONNECTED" },
		{ unixt, "UNIX", 1090, "UNIX", "/run/x.sock", "", "LISTEN" },
		{ unixt, "UNIX", 1091, "UNIX-DGRAM", "@abstract", "", "" },
	};
	struct rs_sock_info s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rs_net_find(cases[i].table, cases[i].proto, cases[i].ino, &s), 0);
		assert_string_equal(s.proto, cases[i].out_proto);
		assert_string_equal(s.local, cases[i].local);
		assert_string_equal(s.remote, cases[i].remote);
		assert_string_equal(s.state, cases[i].st);
		assert_int_equal(s.inode, cases[i].ino);
	}
	assert_int_equal(rs_net_find(tcp, "TCP", 218, &s), -ENOENT);
}

/* A loopback connection's other end: the line with the addresses swapped. */
static void test_net_peer_of_loopback_connection(void **state)
{
	struct rs_sock_info s, peer;

	(void)state;
	assert_int_equal(rs_net_find(tcp, "TCP", 5555, &s), 0);
	assert_int_equal(rs_net_find_peer(tcp, &s, &peer), 0);
	assert_int_equal(peer.inode, 5556);
	assert_string_equal(peer.local, "127.0.0.1:56076");
	assert_int_equal(rs_net_find_peer(tcp, &peer, &s), 0);
	assert_int_equal(s.inode, 5555);
	assert_int_equal(rs_net_find(tcp, "TCP", 217, &s), 0);
	assert_int_equal(rs_net_find_peer(tcp, &s, &peer), -ENOENT); /* listening: no peer */
	assert_int_equal(rs_net_find(unixt, "UNIX", 1083, &s), 0);
	assert_int_equal(rs_net_find_peer(unixt, &s, &peer), -ENOENT);
}

/*
 * An indexed table answers as a walk of it would: many lookups of one table,
 * inodes in any order in the text, the first line of an inode that parses
 * whole (a bad one before it is skipped), an inode on no line.
 */
static void test_net_table_many_lookups(void **state)
{
	static const char text[] =
	    "Num       RefCount Protocol Flags    Type St Inode Path\n"
	    "0000000000000000: 00000002 00000000 00000000 0001 03  3003\n"
	    "0000000000000000: 00000002 00000000 00010000 0001 01  1001 /run/a.sock\n"
	    "0000000000000000: 00000002 00000000 0000000G 0001 03  2002\n" /* bad flags */
	    "0000000000000000: 00000002 00000000 00000000 0002 01  2002 @second\n"
	    "0000000000000000: 00000002 00000000 00000000 0001 03  2002 @third\n";
	static const struct {
		uint64_t ino;
		const char *local, *st, *proto;
	} want[] = {
		{ 2002, "@second", "", "UNIX-DGRAM" },
		{ 1001, "/run/a.sock", "LISTEN", "UNIX" },
		{ 3003, "", "CONNECTED", "UNIX" },
	};
	struct rs_net_table *t = NULL;
	struct rs_sock_info s;

	(void)state;
	assert_int_equal(rs_net_table_new(text, "UNIX", &t), 0);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			assert_int_equal(rs_net_table_find(t, want[i].ino, &s), 0);
			assert_int_equal(s.inode, want[i].ino);
			assert_string_equal(s.local, want[i].local);
			assert_string_equal(s.state, want[i].st);
			assert_string_equal(s.proto, want[i].proto);
		}
		assert_int_equal(rs_net_table_find(t, 1002, &s), -ENOENT);
		assert_int_equal(rs_net_table_find(t, 0, &s), -ENOENT);
	}
	rs_net_table_free(t);
	assert_int_equal(rs_net_table_new("", "UNIX", &t), 0);
	assert_int_equal(rs_net_table_find(t, 1, &s), -EINVAL);
	rs_net_table_free(t);
	rs_net_table_free(NULL);
}

static void test_net_rejects_junk(void **state)
{
	struct rs_sock_info s;

	(void)state;
	assert_int_equal(rs_net_find("", "TCP", 1, &s), -EINVAL);
	assert_int_equal(rs_net_find(tcp, "SCTP", 217, &s), -EINVAL);
	/* a bad address in the matching line is not a match */
	assert_int_equal(
	    rs_net_find("h\n 0: 0100007G:0016 00000000:0000 0A 0:0 0:0 0 0 0 9\n", "TCP", 9, &s),
	    -ENOENT);
	assert_int_equal(
	    rs_net_find("h\n 0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0\n", "TCP", 0, &s),
	    -ENOENT); /* too few fields */
	/* the v4 table's address in the v6 table is too short */
	assert_int_equal(rs_net_find(tcp, "TCP6", 217, &s), -ENOENT);
	/* a huge inode does not wrap */
	assert_int_equal(rs_net_find("h\n 0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 "
				     "99999999999999999999999\n",
				     "TCP", 0, &s),
			 -ENOENT);
}

static void test_fdinfo_flags_and_epoll_members(void **state)
{
	const char pipe_r[] = "pos:\t0\nflags:\t02000000\nmnt_id:\t15\nino:\t1234\n";
	const char ep[] =
	    "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1038\n"
	    "tfd:        4 events:       1f data:                4  pos:0 ino:1d0f4b "
	    "sdev:f\n"
	    "tfd:        9 events:       19 data:                9  pos:0 ino:1d0f4c "
	    "sdev:8\n"
	    "tfd:       12 events:       19 data:                c  pos:0 ino:1 sdev:8\n";
	unsigned flags = 0;
	int tfds[2] = { -1, -1 };
	size_t n = 7;

	(void)state;
	assert_int_equal(rs_fdinfo_parse(pipe_r, &flags, tfds, 2, &n), 0);
	assert_int_equal(flags & O_ACCMODE, O_RDONLY);
	assert_int_equal(n, 0);
	assert_int_equal(rs_fdinfo_parse(ep, &flags, tfds, 2, &n), 0);
	assert_int_equal(flags & O_ACCMODE, O_RDWR);
	assert_int_equal(n, 3); /* counted past max, stored up to it */
	assert_int_equal(tfds[0], 4);
	assert_int_equal(tfds[1], 9);
}

static void test_fdinfo_without_flags_is_invalid(void **state)
{
	unsigned flags = 42;
	int tfd;
	size_t n;

	(void)state;
	assert_int_equal(rs_fdinfo_parse("pos:\t0\n", &flags, &tfd, 1, &n), -EINVAL);
	assert_int_equal(rs_fdinfo_parse("flags:\tzz\n", &flags, &tfd, 1, &n), -EINVAL);
	assert_int_equal(rs_fdinfo_parse("flags:\t077777777777777777\n", &flags, &tfd, 1, &n),
			 -EINVAL);
	assert_int_equal(flags, 42);
	assert_int_equal(rs_fdinfo_parse("flags:\t01\ntfd: -3 events: 1\n", &flags, &tfd, 1, &n),
			 0);
	assert_int_equal(n, 0); /* a negative fd is not one */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_lines_by_inode),
		cmocka_unit_test(test_net_peer_of_loopback_connection),
		cmocka_unit_test(test_net_table_many_lookups),
		cmocka_unit_test(test_net_rejects_junk),
		cmocka_unit_test(test_fdinfo_flags_and_epoll_members),
		cmocka_unit_test(test_fdinfo_without_flags_is_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
