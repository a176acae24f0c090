// SPDX-License-Identifier: GPL-2.0
/*
 * waiter — threads blocked on every kind of thing rsample names in its
 * "waits on:" line (tests/integration/waits.py):
 *
 *   rd-self   read on a pipe whose only write end is this process's own (fd_self_w)
 *   rd-peer   read on a pipe whose write end a child process ("holder") keeps
 *   recv      recv on a connected TCP socket over loopback (nothing is sent)
 *   accept    accept on a listening TCP socket nobody connects to
 *   epoll     epoll_wait on a set of 2 fds: the rd-peer pipe's read end and the
 *             listening socket recv's connection came from
 *   sleeper   nanosleep(60 s)
 *   reaper    waitpid on a child ("napper") that sleeps
 *   joiner    pthread_join on a thread ("jnap") that sleeps
 *   rw-hold   holds a pthread_rwlock_t for writing and sleeps
 *   rw-write  pthread_rwlock_wrlock on it: waits for rw-hold
 *   rw-read   pthread_rwlock_rdlock on it: waits for rw-hold
 *   vforker   vfork(): the parent waits in D state until the child leaves
 *             (the child sleeps, then _exits)
 *   uf-hold   write()s to a pipe from a page userfaultfd never fills: it sleeps in
 *             the page fault holding the pipe's kernel mutex
 *   mtx-wait  write()s to the same pipe: D state on that mutex, whose owner the
 *             kernel records (task->blocker, Linux 6.16)
 *
 * It reports through --state FILE (once, when every thread is blocked): its
 * threads' ids as it sees them ("tid_<name> N"), its children's pids
 * ("child_holder N", "child_napper N"), the ports, fds and the rwlock's
 * address (decimal), when sleeper's sleep began (CLOCK_MONOTONIC ns), "uffd 1" when
 * userfaultfd worked (else uf-hold and mtx-wait only sleep), then "ready 1". Nothing here
 * is ever signalled.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 15

static int mtx_pipe[2], uffd_ok;
static char *uffd_page;
static int self_pipe[2], peer_pipe[2], listen_fd, accept_fd, conn_fd, epoll_fd;
static pid_t holder, napper;
static pthread_t jnap_thread;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct {
	const char *name;
	pid_t tid;
} tids[NTHREADS];
static int n_tids;
static struct timespec sleep_start; /* CLOCK_MONOTONIC when sleeper began its 60 s */

static void nap(long sec)
{
	struct timespec ts = { sec, 0 };

	while (nanosleep(&ts, &ts))
		;
}

/* Records the calling thread's name and id; the last parks until the state is written. */
static void started(const char *name)
{
	prctl(PR_SET_NAME, name);
	pthread_mutex_lock(&mu);
	tids[n_tids].name = name;
	tids[n_tids++].tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void *rd_self(void *arg)
{
	char c;

	(void)arg;
	started("rd-self");
	while (read(self_pipe[0], &c, 1) != 0)
		;
	return NULL;
}

static void *rd_peer(void *arg)
{
	char c;

	(void)arg;
	started("rd-peer");
	while (read(peer_pipe[0], &c, 1) != 0)
		;
	return NULL;
}

static void *recv_thread(void *arg)
{
	char buf[16];

	(void)arg;
	started("recv");
	while (recv(conn_fd, buf, sizeof(buf), 0) != 0)
		;
	return NULL;
}

static void *accept_thread(void *arg)
{
	(void)arg;
	started("accept");
	for (;;)
		close(accept(accept_fd, NULL, NULL));
	return NULL;
}

static void *epoll_thread(void *arg)
{
	struct epoll_event ev;

	(void)arg;
	started("epoll");
	for (;;)
		epoll_wait(epoll_fd, &ev, 1, -1);
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { 60, 0 };

	(void)arg;
	started("sleeper");
	clock_gettime(CLOCK_MONOTONIC, &sleep_start);
	nanosleep(&ts, NULL);
	nap(3600);
	return NULL;
}

static void *reaper(void *arg)
{
	(void)arg;
	started("reaper");
	waitpid(napper, NULL, 0);
	nap(3600);
	return NULL;
}

static void *jnap(void *arg)
{
	(void)arg;
	started("jnap");
	nap(3600);
	return NULL;
}

static void *joiner(void *arg)
{
	(void)arg;
	started("joiner");
	pthread_join(jnap_thread, NULL);
	return NULL;
}

static void *rw_hold(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&rw);
	started("rw-hold");
	nap(3600);
	return NULL;
}

static void *rw_write(void *arg)
{
	(void)arg;
	started("rw-write");
	pthread_rwlock_wrlock(&rw);
	return NULL;
}

static void *rw_read(void *arg)
{
	(void)arg;
	started("rw-read");
	pthread_rwlock_rdlock(&rw);
	return NULL;
}

static void *vforker(void *arg)
{
	struct timespec ts = { 3600, 0 };

	(void)arg;
	started("vforker");
	if (vfork() == 0) {
		/* its own fd table: the pipes and sockets keep only the waiter as holder */
		syscall(SYS_close_range, 3, ~0u, 0);
		syscall(SYS_nanosleep, &ts, NULL);
		_exit(0);
	}
	return NULL;
}

/* A page whose first touch waits for a userfaultfd reader that never comes. */
static void setup_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (pipe2(mtx_pipe, O_CLOEXEC))
		exit(1);
	uffd_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)uffd_page;
	reg.range.len = 4096;
	uffd_ok = uffd >= 0 && uffd_page != MAP_FAILED && !ioctl(uffd, UFFDIO_API, &api) &&
		  !ioctl(uffd, UFFDIO_REGISTER, &reg);
}

static void *uf_hold(void *arg)
{
	(void)arg;
	started("uf-hold");
	if (uffd_ok)
		write(mtx_pipe[1], uffd_page, 16);
	nap(3600);
	return NULL;
}

static void *mtx_wait(void *arg)
{
	struct timespec ts = { 0, 200000000 };

	(void)arg;
	started("mtx-wait");
	nanosleep(&ts, NULL); /* uf-hold first */
	if (uffd_ok)
		write(mtx_pipe[1], "x", 1);
	nap(3600);
	return NULL;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		exit(1);
	*port = ntohs(a.sin_port);
	return fd;
}

static void setup(uint16_t *listen_port, uint16_t *accept_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev = { .events = EPOLLIN };

	if (pipe2(self_pipe, O_CLOEXEC) || pipe2(peer_pipe, O_CLOEXEC))
		exit(1);
	holder = fork();
	if (holder == 0) {
		prctl(PR_SET_NAME, "holder");
		close(peer_pipe[0]);
		close(self_pipe[0]);
		close(self_pipe[1]);
		nap(3600);
		_exit(0);
	}
	close(peer_pipe[1]); /* only the holder writes it now */
	napper = fork();
	if (napper == 0) {
		prctl(PR_SET_NAME, "napper");
		close(self_pipe[0]);
		close(self_pipe[1]);
		close(peer_pipe[0]);
		nap(3600);
		_exit(0);
	}
	listen_fd = listener(listen_port);
	accept_fd = listener(accept_port);
	a.sin_port = htons(*listen_port);
	conn_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn_fd < 0 || connect(conn_fd, (struct sockaddr *)&a, sizeof(a)))
		exit(1);
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = peer_pipe[0];
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, peer_pipe[0], &ev))
		exit(1);
	ev.data.fd = listen_fd;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev))
		exit(1);
}

int main(int argc, char **argv)
{
	void *(*fns[])(void *) = { rd_self, rd_peer, recv_thread, accept_thread, epoll_thread,
				   sleeper, reaper,  rw_hold,	  rw_write,	 rw_read,
				   vforker, uf_hold, mtx_wait };
	uint16_t listen_port, accept_port;
	const char *state = NULL;
	pthread_t t;
	int server_fd;
	FILE *f;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
	if (!state) {
		fprintf(stderr, "usage: waiter --state FILE\n");
		return 64;
	}
	setup(&listen_port, &accept_port);
	setup_uffd();
	server_fd = accept(listen_fd, NULL, NULL); /* recv's peer: kept open, never written */
	if (server_fd < 0 || pthread_create(&jnap_thread, NULL, jnap, NULL))
		return 1;
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (fns[i] == rw_write || fns[i] == rw_read) {
			/* rw-hold must hold the lock first */
			pthread_mutex_lock(&mu);
			while (n_tids < (int)i + 1)
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
		}
		if (pthread_create(&t, NULL, fns[i], NULL))
			return 1;
	}
	if (pthread_create(&t, NULL, joiner, NULL))
		return 1;
	pthread_mutex_lock(&mu);
	while (n_tids < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	nap(1); /* each thread into its call */
	f = fopen(state, "w");
	if (!f)
		return 1;
	for (int i = 0; i < n_tids; i++)
		fprintf(f, "tid_%s %d\n", tids[i].name, tids[i].tid);
	fprintf(
	    f,
	    "pid %d\nchild_holder %d\nchild_napper %d\nport_listen %u\nport_accept %u\n"
	    "fd_self %d\nfd_peer %d\nfd_conn %d\nfd_accept %d\nfd_listen %d\nfd_epoll %d\n"
	    "fd_self_w %d\nrwlock %lu\nsleep_start_ns %lld\nuffd %d\nfd_mtx_w %d\nfd_server %d\n"
	    "ready 1\n",
	    getpid(), holder, napper, listen_port, accept_port, self_pipe[0], peer_pipe[0], conn_fd,
	    accept_fd, listen_fd, epoll_fd, self_pipe[1], (unsigned long)(uintptr_t)&rw,
	    (long long)sleep_start.tv_sec * 1000000000 + sleep_start.tv_nsec, uffd_ok, mtx_pipe[1],
	    server_fd);
	fclose(f);
	nap(3600);
	return 0;
}
