/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the snapshot stage: the fd decoding (waitfd.c) the wait
 * analysis (waits.c) uses. For no other folder.
 */
#ifndef RS_SNAPSHOT_PRIV_H
#define RS_SNAPSHOT_PRIV_H

#include "snapshot/snapshot.h"

#define RS_NET_TABLES 5 /* tcp, tcp6, udp, udp6, unix */

/* One analysis: where /proc is, the fds whose holders the scan looks for, a net table cache. */
struct rs_wait_ctx {
	const char *proc_root;
	/*
	 * fds whose holders are looked for: the desc, the pid it is of, and the
	 * inode to find (a pipe's own, a socket's other end's)
	 */
	struct rs_fd_want {
		struct rs_fd_desc *d;
		uint32_t pid;
		uint64_t ino;
	} * want;
	size_t n_want, cap_want;
	/* the net tables of net_pid's network namespace, read and indexed once each (NULL: not yet)
	 */
	uint32_t net_pid;
	char *net[RS_NET_TABLES];
	struct rs_net_table *net_tab[RS_NET_TABLES];
	bool net_tried[RS_NET_TABLES];
	struct rs_capture_session *sess; /* its iterator finds holders, if it can (NULL: /proc) */
	bool by_iterator;		 /* it did */
	size_t scanned, scanned_fds;	 /* processes and fds the holder scan read */
	/* the holder scan reads these processes first (the snapshot's), then the others */
	uint32_t *first;
	size_t n_first;
};

/*
 * Decodes fd of process pid into *d (which the caller zeroed): its link, type,
 * access mode, socket line, and for an epoll fd with members set, its
 * registered fds (the first few, decoded the same way). A pipe, and a
 * connected socket whose other end is in the same tables, are queued for
 * rs_fd_scan_holders(); d must then stay where it is until the scan. 0 or
 * -ENOMEM (what /proc does not say is left unset).
 */
int rs_fd_decode(struct rs_wait_ctx *c, uint32_t pid, int fd, bool members, struct rs_fd_desc *d);

/*
 * One bounded scan of every process's fds for the queued inodes, c->first's
 * processes first: by c->sess's iterator, else (or when it cannot run)
 * under proc_root. Fills the descs' holders (and a pipe's writer_open).
 * 0 or -ENOMEM.
 */
int rs_fd_scan_holders(struct rs_wait_ctx *c);

/* "pipe:[123], writer: pid 42 "w" (fd 4)", "socket TCP 127.0.0.1:8080 LISTEN", a path… */
void rs_fd_text(const struct rs_fd_desc *d, uint32_t pid, bool reading, char *buf, size_t len);

/* PROC/pid/comm (a thread's too) into comm[len], without its newline; "" when unreadable. */
void rs_read_comm(const char *proc_root, uint32_t pid, char *comm, size_t len);

/* Appends formatted text to the NUL-terminated buf of len bytes, cut to fit. */
void rs_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The plain words of w (waittext.c), appended to buf; pid: the waiting thread's process. */
void rs_wait_text(const struct rs_wait *w, uint32_t pid, char *buf, size_t len);

/* Frees what d owns (link, holders, epoll members) and zeroes it. Accepts NULL. */
void rs_fd_desc_clear(struct rs_fd_desc *d);
/* Frees the context's queue and net table cache and zeroes it (the descs are the waits'). */
void rs_wait_ctx_clear(struct rs_wait_ctx *c);

#endif
