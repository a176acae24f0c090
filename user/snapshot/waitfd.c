// SPDX-License-Identifier: GPL-2.0
/*
 * What a waiting thread's fd is (snapshot_priv.h), from /proc:
 * /proc/PID/fd/N's link, /proc/PID/fdinfo/N (access mode, an epoll set's
 * fds), the socket's line in /proc/PID/net/ tables (the target's own network
 * namespace), and the other processes holding a pipe, found by one bounded
 * scan of every /proc/PID/fd, or by the capture session's task_file
 * iterator when there is one (rsample watch).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/lib.h"
#include "snapshot/snapshot_priv.h"

#define TFDS_DECODED  8	    /* epoll members decoded per epoll fd */
#define HOLDERS_MAX   8	    /* holders kept per pipe */
#define SCAN_PROCS    8192  /* processes the holder scan reads at most */
#define SCAN_FDS      65536 /* fds the holder scan reads at most */
#define LINK_MAX_TEXT 4096

static const char *const net_names[RS_NET_TABLES] = { "tcp", "tcp6", "udp", "udp6", "unix" };
static const char *const net_protos[RS_NET_TABLES] = { "TCP", "TCP6", "UDP", "UDP6", "UNIX" };

void rs_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(buf, len);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The inode in "pipe:[123]" / "socket:[123]" after prefix, or 0. */
static uint64_t link_inode(const char *link, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned long long ino;
	char end;

	if (strncmp(link, prefix, n) || sscanf(link + n, "%llu%c", &ino, &end) != 2 || end != ']')
		return 0;
	return ino;
}

static char *read_link(const char *path)
{
	char buf[LINK_MAX_TEXT];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* Whether a file opened with flags reads, and writes. */
static void access_mode(unsigned flags, bool *reads, bool *writes)
{
	*reads = (flags & O_ACCMODE) != O_WRONLY;
	*writes = (flags & O_ACCMODE) != O_RDONLY;
}

/* The access mode and epoll members of /proc/pid/fdinfo/fd. */
static void read_fdinfo(const char *proc_root, uint32_t pid, int fd, bool *reads, bool *writes,
			int *tfds, size_t max, size_t *n_tfds)
{
	char path[128], *text = NULL;
	unsigned flags = 0;
	size_t len;

	*n_tfds = 0;
	snprintf(path, sizeof(path), "%s/%u/fdinfo/%d", proc_root, pid, fd);
	if (rs_read_file(path, &text, &len))
		return;
	if (!rs_fdinfo_parse(text, &flags, tfds, max, n_tfds))
		access_mode(flags, reads, writes);
	free(text);
}

static int want_holders(struct rs_wait_ctx *c, uint32_t pid, struct rs_fd_desc *d, uint64_t ino)
{
	if (rs_grow(&c->want, &c->cap_want, c->n_want, sizeof(*c->want), 8))
		return -ENOMEM;
	c->want[c->n_want++] = (struct rs_fd_want){ .d = d, .pid = pid, .ino = ino };
	return 0;
}

/*
 * The socket inode's line in pid's network namespace's tables, and a
 * connected one's other end there (a loopback peer), queued for the scan.
 */
static int find_socket(struct rs_wait_ctx *c, uint32_t pid, struct rs_fd_desc *d)
{
	struct rs_sock_info peer;
	char path[128];
	size_t len;

	if (c->net_pid != pid) {
		for (int i = 0; i < RS_NET_TABLES; i++) {
			rs_net_table_free(c->net_tab[i]);
			free(c->net[i]);
			c->net_tab[i] = NULL;
			c->net[i] = NULL;
			c->net_tried[i] = false;
		}
		c->net_pid = pid;
	}
	for (int i = 0; i < RS_NET_TABLES; i++) {
		if (!c->net_tried[i]) {
			c->net_tried[i] = true;
			snprintf(path, sizeof(path), "%s/%u/net/%s", c->proc_root, pid,
				 net_names[i]);
			if (rs_read_file(path, &c->net[i], &len))
				c->net[i] = NULL;
			if (c->net[i] && rs_net_table_new(c->net[i], net_protos[i], &c->net_tab[i]))
				return -ENOMEM;
		}
		if (!c->net_tab[i] || rs_net_table_find(c->net_tab[i], d->inode, &d->sock))
			continue;
		d->sock_found = true;
		if (rs_net_find_peer(c->net[i], &d->sock, &peer) || peer.inode == d->inode)
			return 0;
		d->peer_inode = peer.inode;
		return want_holders(c, pid, d, peer.inode);
	}
	return 0;
}

int rs_fd_decode(struct rs_wait_ctx *c, uint32_t pid, int fd, bool members, struct rs_fd_desc *d)
{
	int tfds[TFDS_DECODED];
	char path[128];
	size_t n;

	d->fd = fd;
	snprintf(path, sizeof(path), "%s/%u/fd/%d", c->proc_root, pid, fd);
	d->link = read_link(path);
	if (!d->link)
		return errno == ENOMEM ? -ENOMEM : 0;
	read_fdinfo(c->proc_root, pid, fd, &d->reads, &d->writes, tfds, TFDS_DECODED, &n);
	if ((d->inode = link_inode(d->link, "pipe:["))) {
		d->type = RS_FD_PIPE;
		return want_holders(c, pid, d, d->inode);
	}
	if ((d->inode = link_inode(d->link, "socket:["))) {
		d->type = RS_FD_SOCKET;
		return find_socket(c, pid, d);
	}
	if (!strcmp(d->link, "anon_inode:[eventpoll]")) {
		d->type = RS_FD_EPOLL;
		d->total_tfds = n;
		if (!members || !n)
			return 0;
		n = n < TFDS_DECODED ? n : TFDS_DECODED;
		d->tfds = calloc(n, sizeof(*d->tfds));
		if (!d->tfds)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			int e = rs_fd_decode(c, pid, tfds[i], false, &d->tfds[d->n_tfds++]);

			if (e)
				return e;
		}
		return 0;
	}
	d->type = d->link[0] == '/' ? RS_FD_FILE : RS_FD_ANON;
	return 0;
}

void rs_read_comm(const char *proc_root, uint32_t pid, char *comm, size_t len)
{
	char path[128];
	FILE *f;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "%s/%u/comm", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/*
 * Whether fd of pid, which is the pipe ino, is one the queue waits for;
 * records it as a holder. f_flags: the file's flags when known (else read
 * from /proc/pid/fdinfo/fd).
 */
static void match_fd(struct rs_wait_ctx *c, uint32_t pid, int fd, uint64_t ino,
		     const uint32_t *f_flags)
{
	char comm[RS_COMM_LEN + 1] = "";
	bool reads = false, writes = false, read_info = false;
	int tfds[1];
	size_t n;

	for (size_t i = 0; i < c->n_want; i++) {
		struct rs_fd_desc *d = c->want[i].d;
		struct rs_fd_holder *h;

		if (c->want[i].ino != ino || (c->want[i].pid == pid && d->fd == fd))
			continue;
		if (!read_info) {
			if (f_flags)
				access_mode(*f_flags, &reads, &writes);
			else
				read_fdinfo(c->proc_root, pid, fd, &reads, &writes, tfds, 0, &n);
			rs_read_comm(c->proc_root, pid, comm, sizeof(comm));
			read_info = true;
		}
		d->writer_open |= writes;
		if (d->n_holders == HOLDERS_MAX) {
			d->holders_cut = true;
			continue;
		}
		h = &d->holders[d->n_holders++];
		h->pid = pid;
		h->fd = fd;
		h->reads = reads;
		h->writes = writes;
		memcpy(h->comm, comm, sizeof(h->comm));
	}
}

static void scan_process(struct rs_wait_ctx *c, uint32_t pid, size_t *fds)
{
	char path[128], link[64];
	struct dirent *e;
	uint64_t ino;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%u/fd", c->proc_root, pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir)) && *fds < SCAN_FDS) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		(*fds)++;
		n = readlinkat(dirfd(dir), e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if ((ino = link_inode(link, "pipe:[")) || (ino = link_inode(link, "socket:[")))
			match_fd(c, pid, atoi(e->d_name), ino, NULL);
	}
	closedir(dir);
}

static bool scanned_first(const struct rs_wait_ctx *c, uint32_t pid)
{
	for (size_t i = 0; i < c->n_first; i++)
		if (c->first[i] == pid)
			return true;
	return false;
}

/*
 * The scan by c->sess's task_file iterator: its records (in /proc's order)
 * matched as the /proc scan matches links, c->first's processes first.
 * 0, or -errno when it cannot run (-ENOMEM: nor anything else).
 */
static int scan_iterator(struct rs_wait_ctx *c)
{
	struct rs_holder_want *want = calloc(c->n_want, sizeof(*want));
	struct rs_holder_scan hs;
	int e;

	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_want; i++)
		want[i] = (struct rs_holder_want){
			.ino = c->want[i].ino,
			.magic =
			    c->want[i].d->type == RS_FD_PIPE ? RS_PIPEFS_MAGIC : RS_SOCKFS_MAGIC,
		};
	e = rs_capture_session_holders(c->sess, want, c->n_want, &hs);
	free(want);
	if (e)
		return e;
	for (size_t i = 0; i < c->n_first; i++)
		for (size_t j = 0; j < hs.n; j++)
			if (hs.recs[j].tgid == c->first[i])
				match_fd(c, hs.recs[j].tgid, hs.recs[j].fd, hs.recs[j].ino,
					 &hs.recs[j].f_flags);
	for (size_t j = 0; j < hs.n; j++)
		if (!scanned_first(c, hs.recs[j].tgid))
			match_fd(c, hs.recs[j].tgid, hs.recs[j].fd, hs.recs[j].ino,
				 &hs.recs[j].f_flags);
	c->scanned = hs.tables;
	c->scanned_fds = hs.files;
	c->by_iterator = true;
	free(hs.recs);
	return 0;
}

int rs_fd_scan_holders(struct rs_wait_ctx *c)
{
	struct dirent *e;
	size_t fds = 0;
	int err;
	char *end;
	DIR *dir;

	if (!c->n_want)
		return 0;
	for (size_t i = 0; i < c->n_want; i++) {
		struct rs_fd_desc *d = c->want[i].d;

		d->holders = calloc(HOLDERS_MAX, sizeof(*d->holders));
		if (!d->holders)
			return -ENOMEM;
		d->writer_open = d->type == RS_FD_PIPE && d->writes; /* an O_RDWR end writes too */
	}
	/* Every process is walked in the kernel: no cap is reached. */
	err = c->sess ? scan_iterator(c) : -EOPNOTSUPP;
	if (!err || err == -ENOMEM)
		return err;
	/* where a pipe's other end most likely is: the target's own processes */
	for (size_t i = 0; i < c->n_first && c->scanned < SCAN_PROCS && fds < SCAN_FDS; i++) {
		c->scanned++;
		scan_process(c, c->first[i], &fds);
	}
	dir = opendir(c->proc_root);
	if (!dir)
		return 0;
	while ((e = readdir(dir)) && c->scanned < SCAN_PROCS && fds < SCAN_FDS) {
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX || scanned_first(c, (uint32_t)pid))
			continue;
		c->scanned++;
		scan_process(c, (uint32_t)pid, &fds);
	}
	closedir(dir);
	c->scanned_fds = fds;
	if (c->scanned >= SCAN_PROCS || fds >= SCAN_FDS)
		for (size_t i = 0; i < c->n_want; i++)
			c->want[i].d->holders_cut = true;
	return 0;
}

static void holders_text(const struct rs_fd_desc *d, uint32_t pid, bool reading, char *buf,
			 size_t len)
{
	const char *end = reading ? "writer" : "reader";
	size_t other = 0, own = 0;

	for (size_t i = 0; i < d->n_holders; i++) {
		const struct rs_fd_holder *h = &d->holders[i];

		if (reading ? !h->writes : !h->reads)
			continue;
		if (h->pid == pid) {
			own++;
			continue;
		}
		rs_appendf(buf, len, "%s pid %u \"%s\" (fd %d)",
			   other++ ? "," : (reading ? ", writer:" : ", reader:"), h->pid, h->comm,
			   h->fd);
	}
	if (other)
		return;
	if (own) {
		rs_appendf(buf, len, ", %s only this process (",
			   reading ? "written by" : "read by");
		for (size_t i = 0, k = 0; i < d->n_holders; i++)
			if (d->holders[i].pid == pid &&
			    (reading ? d->holders[i].writes : d->holders[i].reads))
				rs_appendf(buf, len, "%sfd %d", k++ ? ", " : "", d->holders[i].fd);
		rs_appendf(buf, len, "): no other process holds the %s end",
			   reading ? "write" : "read");
		return;
	}
	if (reading && !d->writer_open)
		rs_appendf(buf, len, ", no writer open (write end closed)%s",
			   d->holders_cut ? " among the processes scanned" : "");
	else
		rs_appendf(buf, len, ", no %s found", end);
}

/* ", peer: pid 42 "db" (fd 5)": who holds a connected socket's other end. */
static void peer_text(const struct rs_fd_desc *d, uint32_t pid, char *buf, size_t len)
{
	if (!d->n_holders) {
		rs_appendf(buf, len, ", peer socket:[%" PRIu64 "] held by no process found",
			   d->peer_inode);
		return;
	}
	rs_appendf(buf, len, ", peer:");
	for (size_t i = 0; i < d->n_holders; i++) {
		const struct rs_fd_holder *h = &d->holders[i];

		if (h->pid == pid)
			rs_appendf(buf, len, "%s this process (fd %d)", i ? "," : "", h->fd);
		else
			rs_appendf(buf, len, "%s pid %u \"%s\" (fd %d)", i ? "," : "", h->pid,
				   h->comm, h->fd);
	}
}

void rs_fd_text(const struct rs_fd_desc *d, uint32_t pid, bool reading, char *buf, size_t len)
{
	const struct rs_sock_info *s = &d->sock;

	if (!d->link) {
		rs_appendf(buf, len, "fd %d (not open, or unreadable)", d->fd);
		return;
	}
	switch (d->type) {
	case RS_FD_PIPE:
		rs_appendf(buf, len, "%s", d->link);
		if (d->holders)
			holders_text(d, pid, reading, buf, len);
		return;
	case RS_FD_SOCKET:
		if (!d->sock_found) {
			rs_appendf(buf, len, "%s (not in this network namespace's tables)",
				   d->link);
			return;
		}
		rs_appendf(buf, len, "socket %s", s->proto);
		if (s->local[0])
			rs_appendf(buf, len, " %s", s->local);
		if (s->remote[0])
			rs_appendf(buf, len, " -> %s", s->remote);
		if (s->state[0])
			rs_appendf(buf, len, " %s", s->state);
		if (d->peer_inode)
			peer_text(d, pid, buf, len);
		return;
	case RS_FD_EPOLL:
		rs_appendf(buf, len, "epoll, %zu fd%s", d->total_tfds,
			   d->total_tfds == 1 ? "" : "s");
		for (size_t i = 0; i < d->n_tfds; i++) {
			rs_appendf(buf, len, "%s fd %d ", i ? ";" : ":", d->tfds[i].fd);
			rs_fd_text(&d->tfds[i], pid, true, buf, len);
		}
		if (d->n_tfds < d->total_tfds && d->n_tfds)
			rs_appendf(buf, len, "; %zu more", d->total_tfds - d->n_tfds);
		return;
	default:
		rs_appendf(buf, len, "%s", d->link);
	}
}

void rs_fd_desc_clear(struct rs_fd_desc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_tfds; i++)
		rs_fd_desc_clear(&d->tfds[i]);
	free(d->tfds);
	free(d->holders);
	free(d->link);
	memset(d, 0, sizeof(*d));
}

void rs_wait_ctx_clear(struct rs_wait_ctx *c)
{
	for (int i = 0; i < RS_NET_TABLES; i++) {
		rs_net_table_free(c->net_tab[i]);
		free(c->net[i]);
	}
	free(c->want);
	free(c->first);
	memset(c, 0, sizeof(*c));
}
