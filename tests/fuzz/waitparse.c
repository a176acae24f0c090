// SPDX-License-Identifier: GPL-2.0
/*
 * What the wait analysis parses (snapshot/waitparse.c): a socket table of
 * /proc/PID/net (tcp, tcp6, udp, udp6, unix), with a found socket's other
 * end looked up in it, and /proc/PID/fdinfo/N. The
 * first byte picks the parser (and, for a table, the inode looked for is
 * the second byte); the rest is the file.
 */
#include "fuzz.h"
#include "snapshot/snapshot.h"

static const char *const protos[] = { "TCP", "TCP6", "UDP", "UDP6", "UNIX" };

/* Every field of a found line is a NUL-terminated string of its array. */
static void check_sock(const struct rs_sock_info *s)
{
	if (!memchr(s->proto, '\0', sizeof(s->proto)) ||
	    !memchr(s->local, '\0', sizeof(s->local)) ||
	    !memchr(s->remote, '\0', sizeof(s->remote)) ||
	    !memchr(s->state, '\0', sizeof(s->state)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_sock_info sock, peer;
	int tfds[4];
	size_t n;
	unsigned flags;
	char *s;

	if (size < 2)
		return 0;
	s = fuzz_str(data + 2, size - 2);
	if (data[0] % 6 < 5) {
		if (!rs_net_find(s, protos[data[0] % 6], data[1], &sock)) {
			check_sock(&sock);
			if (sock.inode != data[1])
				abort(); /* the line found has the inode asked for */
			/* its other end: the addresses swapped */
			if (!rs_net_find_peer(s, &sock, &peer) &&
			    (strcmp(peer.local, sock.remote) || strcmp(peer.remote, sock.local)))
				abort();
		}
	} else if (!rs_fdinfo_parse(s, &flags, tfds, 4, &n)) {
		for (size_t i = 0; i < n && i < 4; i++)
			if (tfds[i] < 0)
				abort();
	}
	free(s);
	return 0;
}
