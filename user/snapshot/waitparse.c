// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of what /proc says about a waiting thread's fds (snapshot.h):
 * the socket tables of /proc/PID/net (tcp, tcp6, udp, udp6, unix) and
 * /proc/PID/fdinfo/N. The text comes from the kernel, but a test or a fuzzer
 * may hand anything: every field is bounded and checked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lib.h"
#include "snapshot/snapshot.h"

#define TOKENS_MAX 12

static const char *const tcp_states[] = {
	"",	     "ESTABLISHED", "SYN_SENT",	  "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE",	    "CLOSE_WAIT", "LAST_ACK", "LISTEN",	   "CLOSING",
};

/* Splits one line (up to '\n' or NUL) into at most max blank-separated tokens, each NUL-ended. */
static size_t tokens(const char *line, char *buf, size_t len, char **tok, size_t max)
{
	size_t n = 0, i = 0;

	while (*line && *line != '\n' && i + 1 < len) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '\n')
			break;
		if (n == max)
			break;
		tok[n++] = buf + i;
		while (*line && *line != ' ' && *line != '\t' && *line != '\n' && i + 1 < len)
			buf[i++] = *line++;
		buf[i++] = '\0';
		while (*line && *line != ' ' && *line != '\t' && *line != '\n')
			line++; /* a token cut at the buffer's end */
	}
	return n;
}

/* A number of exactly the hex digits of s (1 to 16 of them). */
static int hex_u64(const char *s, size_t ndigits, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] && i < ndigits; i++) {
		int d = rs_hexval(s[i]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (!i || i != ndigits)
		return -EINVAL;
	*out = v;
	return 0;
}

static int dec_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/*
 * "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6): the address
 * words as the kernel keeps them in memory, printed as host-order numbers.
 */
static int sock_addr(const char *s, bool v6, char *out, size_t len)
{
	size_t nwords = v6 ? 4 : 1;
	uint32_t words[4];
	char ip[INET6_ADDRSTRLEN];
	uint64_t w, port;

	for (size_t i = 0; i < nwords; i++) {
		if (hex_u64(s + 8 * i, 8, &w))
			return -EINVAL;
		words[i] = (uint32_t)w;
	}
	s += 8 * nwords;
	if (*s != ':' || hex_u64(s + 1, 4, &port) || s[5])
		return -EINVAL;
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, words, ip, sizeof(ip)))
		return -EINVAL;
	snprintf(out, len, v6 ? "[%s]:%" PRIu64 : "%s:%" PRIu64, ip, port);
	return 0;
}

static bool unconnected(const char *s)
{
	return !strcmp(s, "0.0.0.0:0") || !strcmp(s, "[::]:0");
}

/*
 * One line of net/tcp, tcp6, udp or udp6. 1: it has inode ino, or with peer_of
 * set the addresses of peer_of's other end (filled); 0: another; < 0: bad.
 */
static int inet_line(const char *line, const char *proto, uint64_t ino,
		     const struct rs_sock_info *peer_of, struct rs_sock_info *out)
{
	bool v6 = strchr(proto, '6') != NULL, udp = proto[0] == 'U';
	char buf[512], *tok[TOKENS_MAX];
	uint64_t inode, st;
	size_t n = tokens(line, buf, sizeof(buf), tok, TOKENS_MAX);

	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
	if (n < 10 || dec_u64(tok[9], &inode))
		return -EINVAL;
	if (!peer_of && inode != ino)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->proto, sizeof(out->proto), "%s", proto);
	out->inode = inode;
	if (sock_addr(tok[1], v6, out->local, sizeof(out->local)) ||
	    sock_addr(tok[2], v6, out->remote, sizeof(out->remote)) || hex_u64(tok[3], 2, &st))
		return -EINVAL;
	if (unconnected(out->remote))
		out->remote[0] = '\0';
	if (peer_of &&
	    (!inode || strcmp(out->local, peer_of->remote) || strcmp(out->remote, peer_of->local)))
		return 0;
	if (udp)
		snprintf(out->state, sizeof(out->state), "%s",
			 st == 1   ? "ESTABLISHED"
			 : st == 7 ? "UNCONN"
				   : "");
	else if (st < sizeof(tcp_states) / sizeof(tcp_states[0]))
		snprintf(out->state, sizeof(out->state), "%s", tcp_states[st]);
	return 1;
}

/* One line of net/unix: Num RefCount Protocol Flags Type St Inode [Path]. */
static int unix_line(const char *line, uint64_t ino, struct rs_sock_info *out)
{
	char buf[512], *tok[TOKENS_MAX];
	uint64_t inode, flags, type, st;
	size_t n = tokens(line, buf, sizeof(buf), tok, TOKENS_MAX);

	if (n < 7 || dec_u64(tok[6], &inode) || hex_u64(tok[3], 8, &flags) ||
	    hex_u64(tok[4], 4, &type) || hex_u64(tok[5], 2, &st))
		return -EINVAL;
	if (inode != ino)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->proto, sizeof(out->proto), "%s",
		 type == 2   ? "UNIX-DGRAM"
		 : type == 5 ? "UNIX-SEQ"
			     : "UNIX");
	out->inode = inode;
	if (n > 7)
		snprintf(out->local, sizeof(out->local), "%s", tok[7]);
	/* __SO_ACCEPTCON: a listening socket */
	snprintf(out->state, sizeof(out->state), "%s",
		 flags & 0x10000	  ? "LISTEN"
		 : st == 3		  ? "CONNECTED"
		 : st == 2		  ? "CONNECTING"
		 : st == 4		  ? "DISCONNECTING"
		 : type == 2 || type == 5 ? ""
					  : "UNCONNECTED");
	return 1;
}

/* The line of text with inode ino, or (peer_of set, an inet table) peer_of's other end. */
static int net_walk(const char *text, const char *proto, uint64_t ino,
		    const struct rs_sock_info *peer_of, struct rs_sock_info *out)
{
	bool unix_table = !strcmp(proto, "UNIX");
	const char *line = text;
	bool header = true;
	int r;

	if (!unix_table && strcmp(proto, "TCP") && strcmp(proto, "TCP6") && strcmp(proto, "UDP") &&
	    strcmp(proto, "UDP6"))
		return -EINVAL;
	while (*line) {
		const char *next = strchr(line, '\n');

		/* the first line is the column names */
		if (!header) {
			r = unix_table ? (peer_of ? 0 : unix_line(line, ino, out))
				       : inet_line(line, proto, ino, peer_of, out);
			if (r == 1)
				return 0;
		}
		header = false;
		if (!next)
			break;
		line = next + 1;
	}
	return header ? -EINVAL : -ENOENT;
}

/* A line of a table, by inode; order: the line's place in the text (the first match wins). */
struct net_line {
	uint64_t inode;
	size_t order;
	const char *line;
};

struct rs_net_table {
	const char *proto;
	struct net_line *v; /* by inode, then order */
	size_t n, cap;
	int bad; /* -EINVAL: not such a table */
};

static int cmp_net_line(const void *pa, const void *pb)
{
	const struct net_line *a = pa, *b = pb;

	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

int rs_net_table_new(const char *text, const char *proto, struct rs_net_table **out)
{
	struct rs_net_table *t = calloc(1, sizeof(*t));
	const char *line, *next;
	size_t field;

	if (!t)
		return -ENOMEM;
	t->proto = !strcmp(proto, "UNIX")   ? "UNIX"
		   : !strcmp(proto, "TCP")  ? "TCP"
		   : !strcmp(proto, "TCP6") ? "TCP6"
		   : !strcmp(proto, "UDP")  ? "UDP"
		   : !strcmp(proto, "UDP6") ? "UDP6"
					    : NULL;
	field = t->proto && !strcmp(t->proto, "UNIX") ? 6 : 9; /* the inode's column */
	if (!t->proto || !*text)
		t->bad = -EINVAL;
	/* the first line is the column names */
	for (line = strchr(text, '\n'); !t->bad && line && line[1]; line = next) {
		char buf[512], *tok[TOKENS_MAX];
		uint64_t inode;

		line++;
		next = strchr(line, '\n');
		if (tokens(line, buf, sizeof(buf), tok, TOKENS_MAX) <= field ||
		    dec_u64(tok[field], &inode))
			continue; /* no inode: never a match */
		if (rs_grow(&t->v, &t->cap, t->n, sizeof(*t->v), 64)) {
			rs_net_table_free(t);
			return -ENOMEM;
		}
		t->v[t->n] = (struct net_line){ .inode = inode, .order = t->n, .line = line };
		t->n++;
	}
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_net_line);
	*out = t;
	return 0;
}

void rs_net_table_free(struct rs_net_table *t)
{
	if (t) {
		free(t->v);
		free(t);
	}
}

int rs_net_table_find(const struct rs_net_table *t, uint64_t ino, struct rs_sock_info *out)
{
	size_t lo = 0, hi = t->n;

	if (t->bad)
		return t->bad;
	while (lo < hi) { /* the first line with inode >= ino */
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].inode < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* in text order; one that does not parse whole is not a match (as a walk skips it) */
	for (; lo < t->n && t->v[lo].inode == ino; lo++) {
		const char *line = t->v[lo].line;
		int r = !strcmp(t->proto, "UNIX") ? unix_line(line, ino, out)
						  : inet_line(line, t->proto, ino, NULL, out);

		if (r == 1)
			return 0;
	}
	return -ENOENT;
}

int rs_net_find(const char *text, const char *proto, uint64_t ino, struct rs_sock_info *out)
{
	struct rs_net_table *t = NULL;
	int e = rs_net_table_new(text, proto, &t);

	if (!e)
		e = rs_net_table_find(t, ino, out);
	rs_net_table_free(t);
	return e;
}

int rs_net_find_peer(const char *text, const struct rs_sock_info *s, struct rs_sock_info *out)
{
	if (!s->remote[0] || !s->local[0] || !strcmp(s->proto, "UNIX"))
		return -ENOENT;
	return net_walk(text, s->proto, 0, s, out);
}

int rs_fdinfo_parse(const char *text, unsigned *flags, int *tfds, size_t max, size_t *n_tfds)
{
	const char *line = text;
	bool have_flags = false;
	unsigned long v;
	char *end;
	int fd;

	*n_tfds = 0;
	while (*line) {
		const char *next = strchr(line, '\n');

		if (!strncmp(line, "flags:", 6)) {
			errno = 0;
			v = strtoul(line + 6, &end, 8);
			if (!errno && end != line + 6 && v <= UINT32_MAX) {
				*flags = (unsigned)v;
				have_flags = true;
			}
		} else if (!strncmp(line, "tfd:", 4) && sscanf(line + 4, "%d", &fd) == 1 &&
			   fd >= 0) {
			if (*n_tfds < max)
				tfds[*n_tfds] = fd;
			(*n_tfds)++;
		}
		if (!next)
			break;
		line = next + 1;
	}
	return have_flags ? 0 : -EINVAL;
}
