// SPDX-License-Identifier: GPL-2.0
/*
 * What each thread waits on (waits.c, waitfd.c, waittext.c), on a fake /proc
 * built in a temporary directory: fd links are symlinks to their text, the
 * fdinfo, net, status, stat, children and comm files hold what the kernel
 * would print.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <time.h>
#include "lib/lib.h"
#include "snapshot/snapshot.h"

#define NR_READ		   0
#define NR_NANOSLEEP	   35
#define NR_RECVFROM	   45
#define NR_WAIT4	   61
#define NR_FUTEX	   202
#define NR_EPOLL_WAIT	   232
#define NR_CLOCK_NANOSLEEP 230
#define S(x)		   ((uint64_t)((x)*1000000000.0))
#define WAIT_BITSET	   0x89 /* FUTEX_WAIT_BITSET_PRIVATE */

static char join_fn[] = "__pthread_clockjoin_ex", rw_fn[] = "___pthread_rwlock_wrlock";

struct fx {
	char root[64];
	struct rs_snapshot s;
	struct rs_process p;
	struct rs_thread t[10];
	struct rs_frame join_frame, rw_frame;
};

static void put(const struct fx *f, const char *rel, const char *text)
{
	char path[256], *slash;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	for (slash = strchr(path + strlen(f->root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void link_fd(const struct fx *f, unsigned pid, int fd, const char *target, const char *flags)
{
	char rel[64], path[256], info[64];

	snprintf(rel, sizeof(rel), "%u/fdinfo/%d", pid, fd);
	snprintf(info, sizeof(info), "pos:\t0\nflags:\t%s\nmnt_id:\t15\n", flags);
	put(f, rel, info);
	snprintf(path, sizeof(path), "%s/%u/fd", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd/%d", f->root, pid, fd);
	assert_int_equal(symlink(target, path), 0);
}

static struct rs_thread *thread(struct fx *f, size_t i, uint32_t tid, int nr, uint64_t a0)
{
	struct rs_thread *t = &f->t[i];

	t->tid = tid;
	t->ns_tid = tid - 99;
	snprintf(t->name, sizeof(t->name), "t%zu", i);
	t->state = 'S';
	t->in_syscall = nr >= 0;
	t->syscall_nr = nr;
	t->syscall_args[0] = a0;
	t->blocked_known = true;
	if (f->p.n_threads <= i)
		f->p.n_threads = i + 1;
	return t;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/rs-test-waits-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	/* pid 100 (ns 1): a pipe it alone writes, a pipe its child writes, a socket, an epoll set
	 */
	link_fd(f, 100, 3, "pipe:[500]", "00");
	link_fd(f, 100, 4, "pipe:[500]", "01");
	link_fd(f, 100, 5, "socket:[600]", "02");
	link_fd(f, 100, 8, "pipe:[700]", "02000000");
	link_fd(f, 100, 6, "anon_inode:[eventpoll]", "02");
	put(f, "100/fdinfo/6",
	    "pos:\t0\nflags:\t02\nmnt_id:\t15\ntfd:        5 events:       19 data: 5\n"
	    "tfd:        8 events:       19 data: 8\n");
	put(f, "100/net/tcp",
	    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	    "timeout inode\n"
	    "   0: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 0 0 600 1\n"
	    "   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 0 0 601 1\n");
	put(f, "100/status", "Name:\tsvc\nNSpid:\t100\t1\nNSpgid:\t100\t1\n");
	put(f, "100/comm", "svc\n");
	put(f, "100/task/100/children", "200 ");
	put(f, "100/task/107/wchan", "__mutex_lock");
	/* pid 200 (ns 2), its child "kid": the write end of pipe 700 */
	link_fd(f, 200, 7, "pipe:[700]", "01");
	link_fd(f, 200, 9, "socket:[601]", "02"); /* the other end of pid 100's fd 5 */
	put(f, "200/status", "Name:\tkid\nNSpid:\t200\t2\nNSpgid:\t100\t1\n");
	put(f, "200/stat", "200 (kid) S 100 200 200 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0\n");
	put(f, "200/comm", "kid\n");

	f->p.pid = 100;
	f->p.ns_pid = 1;
	f->p.threads = f->t;
	f->s.procs = &f->p;
	f->s.n_procs = 1;
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < f->p.n_threads; i++)
		rs_wait_free(f->t[i].wait);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *text_of(const struct rs_thread *t)
{
	assert_non_null(t->wait);
	assert_non_null(t->wait->text);
	return t->wait->text;
}

static void test_waits_pipes_socket_epoll(void **state)
{
	struct rs_waits_stats st;
	struct fx *f = *state;

	thread(f, 0, 100, NR_READ, 3);
	thread(f, 1, 101, NR_READ, 8);
	thread(f, 2, 102, NR_RECVFROM, 5);
	thread(f, 3, 103, NR_EPOLL_WAIT, 6);
	thread(f, 4, 104, NR_READ, 9); /* not open */
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, &st), 0);
	assert_int_equal(st.waits, 5);
	assert_int_equal(st.searched, 5); /* pipes fd 3 and 8, socket fd 5, epoll's 5 and 8 */
	assert_int_equal(st.scanned_procs, 2);
	assert_int_equal(st.scanned_fds, 7);
	assert_string_equal(text_of(&f->t[0]),
			    "read(fd 3): pipe:[500], written by only this process (fd 4): no other "
			    "process holds the write end");
	assert_string_equal(text_of(&f->t[1]),
			    "read(fd 8): pipe:[700], writer: pid 200 \"kid\" (fd 7)");
	assert_int_equal(f->t[1].wait->fd.n_holders, 1);
	assert_true(f->t[1].wait->fd.writer_open);
	assert_string_equal(
	    text_of(&f->t[2]),
	    "recvfrom(fd 5): socket TCP 127.0.0.1:8080 -> 127.0.0.1:40000 ESTABLISHED, "
	    "peer: pid 200 \"kid\" (fd 9)");
	assert_int_equal(f->t[2].wait->fd.peer_inode, 601);
	assert_string_equal(
	    text_of(&f->t[3]),
	    "epoll_wait(fd 6): 2 fds: fd 5 socket TCP 127.0.0.1:8080 -> "
	    "127.0.0.1:40000 ESTABLISHED, peer: pid 200 \"kid\" (fd 9); fd 8 pipe:[700], writer: "
	    "pid 200 \"kid\" (fd 7)");
	assert_int_equal(f->t[3].wait->fd.total_tfds, 2);
	assert_string_equal(text_of(&f->t[4]), "read(fd 9): fd 9 (not open, or unreadable)");
}

/*
 * The capture session's holder search (capture/snapshot.c's task_file
 * iterator), replaced here: the linker takes this definition, not the
 * archive's. It answers fake_recs, or fake_err.
 */
static const struct rs_holder_rec fake_recs[] = {
	{ .tgid = 100, .fd = 3, .ino = 500, .f_flags = 00 },
	{ .tgid = 100, .fd = 4, .ino = 500, .f_flags = 01 },
	{ .tgid = 100, .fd = 8, .ino = 700, .f_flags = 02000000 },
	{ .tgid = 200, .fd = 7, .ino = 700, .f_flags = 01 },
	{ .tgid = 200, .fd = 9, .ino = 601, .f_flags = 02 },
};
static int fake_err;
static struct rs_holder_want fake_want[8];
static size_t fake_n_want;

int rs_capture_session_holders(struct rs_capture_session *s, const struct rs_holder_want *want,
			       size_t n, struct rs_holder_scan *out)
{
	(void)s;
	memset(out, 0, sizeof(*out));
	assert_true(n <= 8);
	memcpy(fake_want, want, n * sizeof(*want));
	fake_n_want = n;
	if (fake_err)
		return fake_err;
	out->recs = malloc(sizeof(fake_recs));
	assert_non_null(out->recs);
	memcpy(out->recs, fake_recs, sizeof(fake_recs));
	out->n = sizeof(fake_recs) / sizeof(fake_recs[0]);
	out->tables = 3;
	out->files = 40;
	return 0;
}

/* The pipes/socket/epoll case's threads, analyzed with a (fake) session; their texts. */
static void pipes_with_session(struct fx *f, struct rs_waits_stats *st)
{
	thread(f, 0, 100, NR_READ, 3);
	thread(f, 1, 101, NR_READ, 8);
	thread(f, 2, 102, NR_RECVFROM, 5);
	thread(f, 3, 103, NR_EPOLL_WAIT, 6);
	assert_int_equal(rs_waits_analyze(&f->s, f->root, (struct rs_capture_session *)f, st), 0);
	assert_string_equal(text_of(&f->t[0]),
			    "read(fd 3): pipe:[500], written by only this process (fd 4): no other "
			    "process holds the write end");
	assert_string_equal(text_of(&f->t[1]),
			    "read(fd 8): pipe:[700], writer: pid 200 \"kid\" (fd 7)");
	assert_true(f->t[1].wait->fd.writer_open);
	assert_false(f->t[1].wait->fd.holders_cut);
	assert_string_equal(
	    text_of(&f->t[2]),
	    "recvfrom(fd 5): socket TCP 127.0.0.1:8080 -> 127.0.0.1:40000 ESTABLISHED, "
	    "peer: pid 200 \"kid\" (fd 9)");
	assert_string_equal(
	    text_of(&f->t[3]),
	    "epoll_wait(fd 6): 2 fds: fd 5 socket TCP 127.0.0.1:8080 -> "
	    "127.0.0.1:40000 ESTABLISHED, peer: pid 200 \"kid\" (fd 9); fd 8 pipe:[700], writer: "
	    "pid 200 \"kid\" (fd 7)");
}

static void test_waits_holders_from_session(void **state)
{
	struct rs_waits_stats st;
	struct fx *f = *state;
	char path[256];

	/* pid 200's links and fdinfo gone: only the session can name its fds */
	for (int fd = 7; fd <= 9; fd += 2) {
		snprintf(path, sizeof(path), "%s/200/fd/%d", f->root, fd);
		unlink(path);
		snprintf(path, sizeof(path), "%s/200/fdinfo/%d", f->root, fd);
		unlink(path);
	}
	fake_err = 0;
	pipes_with_session(f, &st);
	assert_true(st.by_iterator);
	assert_int_equal(st.scanned_procs, 3);
	assert_int_equal(st.scanned_fds, 40);
	/* pipes on pipefs, the socket's peer on sockfs */
	assert_int_equal(fake_n_want, 5);
	for (size_t i = 0; i < fake_n_want; i++)
		assert_int_equal(fake_want[i].magic,
				 fake_want[i].ino == 601 ? RS_SOCKFS_MAGIC : RS_PIPEFS_MAGIC);
}

static void test_waits_holders_session_refused(void **state)
{
	struct rs_waits_stats st;
	struct fx *f = *state;

	/* the kernel refused the iterator: the /proc scan, the same words */
	fake_err = -EOPNOTSUPP;
	pipes_with_session(f, &st);
	assert_false(st.by_iterator);
	assert_int_equal(st.scanned_procs, 2);
	assert_int_equal(st.scanned_fds, 7);
	fake_err = 0;
}

static void test_waits_no_writer_anywhere(void **state)
{
	struct fx *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/100/fd/4", f->root);
	unlink(path);
	thread(f, 0, 100, NR_READ, 3);
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, NULL), 0);
	assert_string_equal(text_of(&f->t[0]),
			    "read(fd 3): pipe:[500], no writer open (write end closed)");
	assert_false(f->t[0].wait->fd.writer_open);
}

static void test_waits_sleep_child_join(void **state)
{
	struct fx *f = *state;
	struct rs_thread *t;

	t = thread(f, 0, 100, NR_NANOSLEEP, 0x7ffc0000);
	t->arg_peek_len = 16;
	t->arg_peek[0] = 10; /* 10 s */
	t->blocked_ns = 4200000000ull;
	t = thread(f, 1, 101, NR_NANOSLEEP, 0x7ffc0000); /* its request was not read */
	t = thread(f, 2, 102, NR_WAIT4, (uint64_t)-1);
	t = thread(f, 3, 103, NR_WAIT4, 7); /* a pid that is not its child */
	t = thread(f, 4, 104, NR_FUTEX, 0x7f0000001000);
	t->syscall_args[1] = WAIT_BITSET;
	t->syscall_args[2] = 7; /* ns tid of thread 6 (tid 106) */
	f->join_frame.function = join_fn;
	t->uframes = &f->join_frame;
	t->n_uframes = 1;
	thread(f, 6, 106, NR_NANOSLEEP, 0);
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, NULL), 0);
	assert_string_equal(text_of(&f->t[0]), "nanosleep: 5.8s of 10.0s left");
	assert_int_equal(f->t[0].wait->remaining_ns, 5800000000ull);
	assert_string_equal(text_of(&f->t[1]),
			    "nanosleep: time left unknown (its request could not be read)");
	assert_string_equal(text_of(&f->t[2]),
			    "wait4(any child): 1 child: child 200 (ns 2) \"kid\" (S)");
	assert_string_equal(text_of(&f->t[3]), "wait4: child 7 (its pid), not among its children");
	assert_string_equal(text_of(&f->t[4]), "pthread_join: thread 106 \"t6\"");
	assert_int_equal(f->t[4].wait->ns_tid, 7);
	f->t[4].uframes = NULL;
	f->t[4].n_uframes = 0;
}

/* An absolute sleep in a time namespace whose CLOCK_MONOTONIC is 1000 s ahead of ours. */
static void test_waits_absolute_sleep_in_time_namespace(void **state)
{
	struct fx *f = *state;
	struct rs_thread *t;
	uint64_t now = rs_mono_ns(), until = now + S(1000) + S(10);

	put(f, "100/timens_offsets",
	    "monotonic        1000         0\nboottime            0         0\n");
	t = thread(f, 0, 100, NR_CLOCK_NANOSLEEP, CLOCK_MONOTONIC);
	t->syscall_args[1] = 1; /* TIMER_ABSTIME */
	t->capture_ns = now;
	t->arg_peek_len = 16;
	t->arg_peek[0] = until / S(1);
	t->arg_peek[1] = until % S(1);
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, NULL), 0);
	assert_true(f->t[0].wait->absolute);
	assert_in_range(f->t[0].wait->remaining_ns, S(10) - S(1) / 10, S(10));
	assert_non_null(strstr(text_of(&f->t[0]), "left, until CLOCK_MONOTONIC "));
}

/* wait4's process groups: 0 is its own (the child's NSpgid in its namespace), -5 another. */
static void test_waits_child_process_groups(void **state)
{
	struct fx *f = *state;

	thread(f, 0, 100, NR_WAIT4, 0);
	thread(f, 1, 101, NR_WAIT4, (uint64_t)-5);
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, NULL), 0);
	assert_string_equal(text_of(&f->t[0]),
			    "wait4(process group 0): 1 child: child 200 (ns 2) \"kid\" (S)");
	assert_string_equal(text_of(&f->t[1]), "wait4(process group 5): no children");
}

/* poll's pollfds and select's read set, as the capture copied them, else their count. */
static void test_waits_poll_and_select_sets(void **state)
{
	struct fx *f = *state;
	struct rs_thread *t;

	t = thread(f, 0, 100, RS_NR_POLL, 0x7ffc0000);
	t->syscall_args[1] = 2;
	t->arg_peek_len = 16;
	t->arg_peek[0] = 0x0001ull << 32 | 8;		/* fd 8, POLLIN */
	t->arg_peek[1] = 0x0001ull << 32 | 0xffffffffu; /* fd -1: ignored */
	t = thread(f, 1, 101, RS_NR_SELECT, 9);
	t->syscall_args[1] = 0x7ffc0000;
	t->arg_peek_len = 8;
	t->arg_peek[0] = 1u << 5;		       /* fd 5 */
	t = thread(f, 2, 102, RS_NR_POLL, 0x7ffc0000); /* not copied */
	t->syscall_args[1] = 3;
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, NULL), 0);
	assert_string_equal(text_of(&f->t[0]),
			    "poll: 2 fds: fd 8 pipe:[700], writer: pid 200 \"kid\" (fd 7)");
	assert_string_equal(text_of(&f->t[1]),
			    "select: 9 fds, read set: fd 5 socket TCP "
			    "127.0.0.1:8080 -> 127.0.0.1:40000 ESTABLISHED, peer: "
			    "pid 200 \"kid\" (fd 9)");
	assert_string_equal(text_of(&f->t[2]), "poll: 3 fds (the set was not read)");
}

static void test_waits_rwlock_and_d_state(void **state)
{
	struct fx *f = *state;
	struct rs_thread *t;

	/* a writer waits on __writers_futex (word 3); __cur_writer (word 6) is thread 1 */
	t = thread(f, 0, 100, NR_FUTEX, 0x5000 + 12);
	t->syscall_args[1] = WAIT_BITSET;
	t->syscall_args[2] = 3;
	t->futex_peek_valid = true;
	t->futex_peek[3] = 2;
	f->rw_frame.function = rw_fn;
	t->uframes = &f->rw_frame;
	t->n_uframes = 1;
	thread(f, 1, 101, NR_NANOSLEEP, 0);
	/* D state on a kernel mutex held by thread 1 */
	t = thread(f, 7, 107, -1, 0);
	t->state = 'D';
	t->blocker_valid = true;
	t->blocker = 0xffff888000001000ull;
	t->blocker_owner_tid = 101;
	assert_int_equal(rs_waits_analyze(&f->s, f->root, NULL, NULL), 0);
	assert_string_equal(text_of(&f->t[0]),
			    "pthread_rwlock_wrlock(0x5000): held for writing by thread 101 \"t1\"");
	assert_null(f->t[0].wait->symbol); /* naming the address is left to the lock analysis */
	assert_string_equal(text_of(&f->t[7]),
			    "uninterruptible (D) (wchan __mutex_lock), on kernel mutex "
			    "0xffff888000001000 held by tid 101 \"t1\"");
	assert_null(f->t[2].wait); /* a thread in no call: nothing said */
	f->t[0].uframes = NULL;
	f->t[0].n_uframes = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waits_pipes_socket_epoll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_holders_from_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_holders_session_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_waits_no_writer_anywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_sleep_child_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_absolute_sleep_in_time_namespace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_waits_child_process_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_poll_and_select_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_rwlock_and_d_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
