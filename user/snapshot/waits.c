// SPDX-License-Identifier: GPL-2.0
/*
 * What each thread waits on, in plain words (snapshot.h): from the syscall
 * and its arguments, the words the capture copied at the call's pointers
 * (futex_peek, arg_peek), the user frames (pthread_join, pthread_rwlock_*)
 * and /proc read only (fds, children, wchan). Nothing is stopped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include "lib/lib.h"
#include "snapshot/snapshot_priv.h"

#define TEXT_MAX	   1024
#define CHILDREN_MAX	   64
#define POLL_FDS_DECODED   8
#define NS_PER_S	   1000000000ull
#define P_PIDFD_TYPE	   3 /* waitid's P_PIDFD (Linux 5.4), not in every libc's headers */
#define TIMER_ABSTIME_FLAG 1
#define FUTEX_CMD_MASK	   0x7f
#define FUTEX_WAIT_OP	   0
#define FUTEX_WAIT_BITSET  9
/* glibc 2.36 pthread_rwlock_t, in 32-bit words: the futexes waited on and __cur_writer */
#define RWLOCK_WRPHASE_FUTEX 2 /* readers, and a writer waiting for readers to leave */
#define RWLOCK_WRITERS_FUTEX 3 /* a writer waiting for another writer */
#define RWLOCK_CUR_WRITER    6
#define RWLOCK_FUTEX_USED    2 /* PTHREAD_RWLOCK_FUTEX_USED, or'ed into the waited value */

static const char *const fd_calls[] = {
	"read",	    "readv",	"pread64", "preadv",  "preadv2",  "recvfrom", "recvmsg",
	"recvmmsg", "accept",	"accept4", "connect", "write",	  "writev",   "pwrite64",
	"pwritev",  "pwritev2", "sendto",  "sendmsg", "sendmmsg", NULL,
};

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

/* The innermost user frame whose function's name holds any of the words, or NULL. */
static const char *frame_with(const struct rs_thread *t, const char *const *words)
{
	for (size_t i = 0; i < t->n_uframes; i++)
		for (const char *const *w = words; *w; w++)
			if (t->uframes[i].function && strstr(t->uframes[i].function, *w))
				return t->uframes[i].function;
	return NULL;
}

static const struct rs_thread *by_ns_tid(const struct rs_process *p, uint32_t ns_tid)
{
	for (size_t i = 0; ns_tid && i < p->n_threads; i++)
		if (p->threads[i].ns_tid == ns_tid)
			return &p->threads[i];
	return NULL;
}

static const struct rs_thread *by_tid(const struct rs_snapshot *s, uint32_t tid)
{
	for (size_t i = 0; tid && i < s->n_procs; i++)
		for (size_t j = 0; j < s->procs[i].n_threads; j++)
			if (s->procs[i].threads[j].tid == tid)
				return &s->procs[i].threads[j];
	return NULL;
}

static void name_thread(struct rs_wait *w, const struct rs_thread *o)
{
	w->tid = o->tid;
	w->ns_tid = o->ns_tid;
	memcpy(w->name, o->name, sizeof(w->name));
}

/* ---- sleeps ---- */

/*
 * The offset of the target's clock from rsample's: a time namespace moves
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME (/proc/PID/timens_offsets, Linux 5.6).
 */
static int64_t timens_offset(const char *proc_root, uint32_t pid, int clock)
{
	const char *name = clock == CLOCK_MONOTONIC ? "monotonic" : "boottime";
	char path[128], *text = NULL, *line;
	long long sec = 0, nsec = 0;
	size_t len;

	if (clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return 0;
	snprintf(path, sizeof(path), "%s/%u/timens_offsets", proc_root, pid);
	if (rs_read_file(path, &text, &len))
		return 0;
	for (line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, name, strlen(name)) &&
		    sscanf(line + strlen(name), "%lld %lld", &sec, &nsec) == 2)
			break;
	free(text);
	if (sec < -(1ll << 40) || sec > (1ll << 40))
		return 0;
	return (int64_t)sec * (int64_t)NS_PER_S + nsec;
}

static void sleep_wait(struct rs_wait *w, const struct rs_thread *t, bool clock_call,
		       const char *proc_root, uint32_t pid)
{
	uint64_t sec = t->arg_peek[0], nsec = t->arg_peek[1], now, since;

	w->kind = RS_WAIT_SLEEP;
	w->clock = clock_call ? (int)t->syscall_args[0] : CLOCK_MONOTONIC;
	w->absolute = clock_call && (t->syscall_args[1] & TIMER_ABSTIME_FLAG);
	if (t->arg_peek_len < 16 || (int64_t)sec < 0 || nsec >= NS_PER_S ||
	    sec > UINT64_MAX / NS_PER_S - 1)
		return;
	w->request_known = true;
	w->request_ns = sec * NS_PER_S + nsec;
	if (w->absolute) {
		/* that clock's time at the capture, as the target's time namespace reads it */
		since = rs_mono_ns() - t->capture_ns; /* read first: the clock is read after it */
		now = rs_clock_ns((clockid_t)w->clock) - since +
		      (uint64_t)timens_offset(proc_root, pid, w->clock);
		w->remaining_ns = w->request_ns > now ? w->request_ns - now : 0;
	} else if (t->blocked_known) {
		w->remaining_ns = w->request_ns > t->blocked_ns ? w->request_ns - t->blocked_ns : 0;
	} else {
		return; /* how long it has slept is not known */
	}
	w->remaining_known = true;
}

/* ---- children ---- */

/*
 * The ids of the line key ("NSpid:", "NSpgid:") of PROC/pid/status, one per
 * PID namespace from rsample's down: their count, and the one at level in *at.
 * 0: unreadable.
 */
static size_t ns_ids(const char *proc_root, uint32_t pid, const char *key, size_t level,
		     uint32_t *at)
{
	char path[128], *text = NULL, *line;
	size_t len, n = 0;

	snprintf(path, sizeof(path), "%s/%u/status", proc_root, pid);
	if (rs_read_file(path, &text, &len))
		return 0;
	line = strstr(text, key);
	if (line && (line == text || line[-1] == '\n')) {
		char *p = line + strlen(key), *end;

		for (;;) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p || v > UINT32_MAX)
				break;
			if (n == level && at)
				*at = (uint32_t)v;
			n++;
			p = end;
		}
	}
	free(text);
	return n;
}

/* "pid (comm) S …" of PROC/pid/stat: its name and state. */
static void child_facts(const char *proc_root, struct rs_wait_child *c)
{
	char path[128], buf[512], *open, *close;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, c->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (open = strchr(buf, '(')) &&
	    (close = strrchr(buf, ')')) && close > open && close[1] == ' ') {
		size_t n = (size_t)(close - open - 1);

		memcpy(c->comm, open + 1, n < RS_COMM_LEN ? n : RS_COMM_LEN);
		c->state = close[2];
	}
	fclose(f);
}

static int add_child(struct rs_wait *w, const char *proc_root, uint32_t pid, size_t level,
		     uint32_t own_pgid)
{
	uint32_t pgid = 0;
	struct rs_wait_child *c;

	for (size_t i = 0; i < w->n_children; i++)
		if (w->children[i].pid == pid)
			return 0;
	if (w->n_children == CHILDREN_MAX)
		return 0;
	c = &w->children[w->n_children];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	ns_ids(proc_root, pid, "NSpid:", level ? level - 1 : 0, &c->ns_pid);
	ns_ids(proc_root, pid, "NSpgid:", level ? level - 1 : 0, &pgid);
	child_facts(proc_root, c);
	/* the children the argument names, as the target sees them */
	if ((w->pidfd_pid && pid != w->pidfd_pid) ||
	    (!w->pidfd_pid && w->pid_arg > 0 && c->ns_pid != (uint32_t)w->pid_arg) ||
	    (w->pid_arg == 0 && pgid != own_pgid) ||
	    (w->pid_arg < -1 && pgid != (uint32_t)-w->pid_arg))
		return 0;
	w->n_children++;
	return 0;
}

/* The host pid of process pid's pidfd fd, from its fdinfo "Pid:" line, or 0. */
static uint32_t pidfd_pid(const char *proc_root, uint32_t pid, int fd)
{
	char path[128], *text = NULL, *line;
	unsigned long v = 0;
	size_t len;

	snprintf(path, sizeof(path), "%s/%u/fdinfo/%d", proc_root, pid, fd);
	if (rs_read_file(path, &text, &len))
		return 0;
	line = strstr(text, "\nPid:");
	if (line)
		v = strtoul(line + 5, NULL, 10);
	free(text);
	return v <= UINT32_MAX ? (uint32_t)v : 0;
}

static int child_wait(struct rs_wait *w, const struct rs_process *p, const struct rs_thread *t,
		      const char *proc_root, bool waitid)
{
	int64_t id = (int32_t)t->syscall_args[1];
	uint32_t own_pgid = 0;
	size_t level = ns_ids(proc_root, p->pid, "NSpid:", 0, NULL);

	w->kind = RS_WAIT_CHILD;
	ns_ids(proc_root, p->pid, "NSpgid:", level ? level - 1 : 0, &own_pgid);
	if (!waitid)
		w->pid_arg = (int32_t)t->syscall_args[0];
	else if (t->syscall_args[0] == P_PID)
		w->pid_arg = id;
	else if (t->syscall_args[0] == P_PGID)
		w->pid_arg = id ? -id : 0;
	else if (t->syscall_args[0] == P_PIDFD_TYPE)
		w->pidfd_pid = pidfd_pid(proc_root, p->pid, (int)id);
	else
		w->pid_arg = -1;
	w->children = calloc(CHILDREN_MAX, sizeof(*w->children));
	if (!w->children)
		return -ENOMEM;
	/* every thread's children: a child is its creating thread's */
	for (size_t i = 0; i < p->n_threads; i++) {
		char path[128], *text = NULL, *s, *end;
		size_t len;

		snprintf(path, sizeof(path), "%s/%u/task/%u/children", proc_root, p->pid,
			 p->threads[i].tid);
		if (rs_read_file(path, &text, &len))
			continue;
		for (s = text;; s = end) {
			unsigned long v = strtoul(s, &end, 10);

			if (end == s || !v || v > UINT32_MAX)
				break;
			if (add_child(w, proc_root, (uint32_t)v, level, own_pgid)) {
				free(text);
				return -ENOMEM;
			}
		}
		free(text);
	}
	return 0;
}

/* ---- futexes: pthread_join, pthread_rwlock ---- */

static const char *const join_words[] = { "pthread_join", "pthread_clockjoin", "pthread_timedjoin",
					  NULL };
static const char *const rwlock_words[] = { "pthread_rwlock_", NULL };

static bool futex_wait_op(const struct rs_thread *t)
{
	uint64_t cmd = t->syscall_args[1] & FUTEX_CMD_MASK;

	return cmd == FUTEX_WAIT_OP || cmd == FUTEX_WAIT_BITSET;
}

/* glibc's pthread_join sleeps on the joined thread's tid word, with that tid as the value. */
static bool join_wait(struct rs_wait *w, const struct rs_process *p, const struct rs_thread *t)
{
	const struct rs_thread *o;

	if (!futex_wait_op(t) || !frame_with(t, join_words))
		return false;
	w->kind = RS_WAIT_JOIN;
	snprintf(w->call, sizeof(w->call), "pthread_join");
	w->addr = t->syscall_args[0];
	w->ns_tid = (uint32_t)t->syscall_args[2];
	if ((o = by_ns_tid(p, w->ns_tid)))
		name_thread(w, o);
	return true;
}

/*
 * The data symbol holding the rwlock, from its futex word's name (locks.c
 * names every futex word), the word's offset in the rwlock taken off.
 * symbol stays NULL outside a symbol, or without memory.
 */
static void rwlock_symbol(struct rs_wait *w, const struct rs_thread *t, uint64_t word_off)
{
	struct rs_data_name n;
	char buf[160];

	if (!t->futex_named)
		return;
	w->region = rs_data_region_name(t->futex_name.region);
	if (t->futex_name.region != RS_DATA_SYMBOL || t->futex_name.offset < word_off)
		return;
	n = t->futex_name;
	n.offset -= word_off;
	rs_data_name_format(&n, buf, sizeof(buf));
	w->symbol = strdup(buf);
}

/*
 * Any other futex wait: a contended lock (locks.c found its kind and, for a
 * glibc mutex, its owner), a condition variable, a raw futex; its word
 * named by region (locks.c). Always true for a futex wait.
 */
static bool futex_named_wait(struct rs_wait *w, const struct rs_process *p,
			     const struct rs_thread *t)
{
	static const char *const cv_words[] = { "Condvar::wait", "pthread_cond_", NULL };
	const struct rs_thread *o;
	char buf[160];

	if (!futex_wait_op(t) && !t->lock_kind)
		return false;
	w->kind = RS_WAIT_FUTEX;
	w->lock_kind = t->lock_kind;
	w->condvar = !t->lock_kind && frame_with(t, cv_words);
	if (t->lock_kind == RS_LOCK_PARKING_LOT)
		return true; /* it parks on its own futex: the lock's address is not known */
	w->addr = t->syscall_args[0];
	if (t->futex_named) {
		rs_data_name_format(&t->futex_name, buf, sizeof(buf));
		w->symbol = strdup(buf);
		w->region = rs_data_region_name(t->futex_name.region);
	}
	if (t->waits_mutex && (o = by_ns_tid(p, t->mutex_owner_ns_tid)))
		name_thread(w, o);
	return true;
}

/*
 * glibc 2.36's rwlock: readers, and a writer waiting for the read phase to
 * end, sleep on __wrphase_futex (word 2); a writer waiting for another writer
 * on __writers_futex (word 3); the writer's tid is in __cur_writer (word 6).
 */
static bool rwlock_wait(struct rs_wait *w, const struct rs_process *p, const struct rs_thread *t)
{
	const char *fn = frame_with(t, rwlock_words);
	bool rd, writers_futex;
	uint32_t word;
	const struct rs_thread *o;

	if (!fn || !futex_wait_op(t) || (!strstr(fn, "rdlock") && !strstr(fn, "wrlock")))
		return false;
	rd = strstr(fn, "rdlock") != NULL;
	writers_futex = !rd && (t->syscall_args[2] & 1);
	w->kind = RS_WAIT_RWLOCK;
	snprintf(w->call, sizeof(w->call), "pthread_rwlock_%s", rd ? "rdlock" : "wrlock");
	word = writers_futex ? RWLOCK_WRITERS_FUTEX : RWLOCK_WRPHASE_FUTEX;
	w->addr = t->syscall_args[0] - 4 * word;
	rwlock_symbol(w, t, 4 * word);
	/* a writer waiting for readers to leave: no writer holds it */
	if (!rd && !writers_futex)
		return true;
	if (!t->futex_peek_valid || RWLOCK_CUR_WRITER - word >= 6)
		return true;
	w->ns_tid = t->futex_peek[RWLOCK_CUR_WRITER - word];
	if ((o = by_ns_tid(p, w->ns_tid)))
		name_thread(w, o);
	return true;
}

/* ---- D state ---- */

static void kernel_wait(struct rs_wait *w, const struct rs_snapshot *s, const struct rs_process *p,
			const struct rs_thread *t, const char *proc_root)
{
	static const char *const types[] = { "mutex", "semaphore", "rwsem (to read)",
					     "rwsem (to write)" };
	const struct rs_thread *o;
	char path[128], buf[64];
	FILE *f;

	w->kind = RS_WAIT_KERNEL;
	snprintf(path, sizeof(path), "%s/%u/task/%u/wchan", proc_root, p->pid, t->tid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && strcmp(buf, "0"))
			snprintf(w->wchan, sizeof(w->wchan), "%.*s", (int)strcspn(buf, "\n"), buf);
		fclose(f);
	}
	for (size_t i = 0; i < t->n_kframes && !w->kfunc; i++)
		w->kfunc = t->kframes[i].function;
	w->blocker_valid = t->blocker_valid && (t->blocker & ~3ull);
	if (!w->blocker_valid)
		return;
	w->blocker = t->blocker & ~3ull;
	w->lock_type = types[t->blocker & 3];
	w->owner_tid = t->blocker_owner_tid;
	if ((o = by_tid(s, w->owner_tid))) {
		memcpy(w->owner_name, o->name, sizeof(w->owner_name));
	} else if (w->owner_tid) {
		rs_read_comm(proc_root, w->owner_tid, w->owner_name, sizeof(w->owner_name));
	}
}

/* ---- fds ---- */

/* poll's pollfds or select's read set, as far as the capture copied them. */
static int poll_wait(struct rs_wait_ctx *c, struct rs_wait *w, const struct rs_process *p,
		     const struct rs_thread *t, bool select)
{
	int fds[POLL_FDS_DECODED];
	size_t n = 0;

	w->kind = RS_WAIT_POLL;
	w->nfds = select ? t->syscall_args[0] : t->syscall_args[1];
	if (!t->arg_peek_len)
		return 0;
	w->fds_known = true;
	if (select) {
		const uint8_t *bits = (const uint8_t *)t->arg_peek;

		for (size_t i = 0; i < t->arg_peek_len * 8 && i < w->nfds && n < POLL_FDS_DECODED;
		     i++)
			if (bits[i / 8] & (1u << (i % 8)))
				fds[n++] = (int)i;
	} else {
		for (size_t i = 0; i < t->arg_peek_len / 8 && n < POLL_FDS_DECODED; i++)
			if ((int32_t)t->arg_peek[i] >= 0)
				fds[n++] = (int32_t)t->arg_peek[i];
	}
	if (!n)
		return 0;
	w->fds = calloc(n, sizeof(*w->fds));
	if (!w->fds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int e = rs_fd_decode(c, p->pid, fds[i], false, &w->fds[w->n_fds++]);

		if (e)
			return e;
	}
	return 0;
}

/* Fills w for t, or leaves w->call empty when t waits in nothing this file knows. */
static int classify(struct rs_wait_ctx *c, const struct rs_snapshot *s, const struct rs_process *p,
		    const struct rs_thread *t, struct rs_wait *w)
{
	const char *name = t->in_syscall ? rs_syscall_name(t->syscall_nr) : NULL;

	if (name)
		snprintf(w->call, sizeof(w->call), "%s", name);
	if (t->state == 'D') {
		kernel_wait(w, s, p, t, c->proc_root);
		return 0;
	}
	/* running, or runnable again: it waits for nothing but a CPU */
	if (!name || t->on_cpu || t->state == 'R') {
		w->call[0] = '\0';
		return 0;
	}
	if (name_in(name, fd_calls)) {
		w->kind = RS_WAIT_FD;
		return rs_fd_decode(c, p->pid, (int)t->syscall_args[0], false, &w->fd);
	}
	if (!strncmp(name, "epoll_wait", 10) || !strncmp(name, "epoll_pwait", 11)) {
		w->kind = RS_WAIT_EPOLL;
		return rs_fd_decode(c, p->pid, (int)t->syscall_args[0], true, &w->fd);
	}
	if (!strcmp(name, "poll") || !strcmp(name, "ppoll"))
		return poll_wait(c, w, p, t, false);
	if (!strcmp(name, "select") || !strcmp(name, "pselect6"))
		return poll_wait(c, w, p, t, true);
	if (!strcmp(name, "nanosleep") || !strcmp(name, "clock_nanosleep")) {
		sleep_wait(w, t, name[0] == 'c', c->proc_root, p->pid);
		return 0;
	}
	if (!strcmp(name, "wait4") || !strcmp(name, "waitid"))
		return child_wait(w, p, t, c->proc_root, name[4] == 'i');
	if (!strcmp(name, "futex") &&
	    (join_wait(w, p, t) || rwlock_wait(w, p, t) || futex_named_wait(w, p, t)))
		return 0;
	w->call[0] = '\0';
	return 0;
}

void rs_wait_free(struct rs_wait *w)
{
	if (!w)
		return;
	rs_fd_desc_clear(&w->fd);
	for (size_t i = 0; i < w->n_fds; i++)
		rs_fd_desc_clear(&w->fds[i]);
	free(w->fds);
	free(w->children);
	free(w->symbol);
	free(w->text);
	free(w);
}

int rs_waits_analyze(struct rs_snapshot *s, const char *proc_root, struct rs_capture_session *sess,
		     struct rs_waits_stats *st)
{
	struct rs_wait_ctx c = { .proc_root = proc_root, .sess = sess };
	uint64_t t0 = rs_mono_ns();
	size_t waits = 0;
	char *buf = NULL;
	int e = 0;

	/* first what each waits on (queueing pipes), then one scan for their holders, then words */
	for (size_t i = 0; i < s->n_procs && !e; i++) {
		struct rs_process *p = &s->procs[i];

		for (size_t j = 0; j < p->n_threads && !e; j++) {
			struct rs_thread *t = &p->threads[j];
			struct rs_wait *w = calloc(1, sizeof(*w));

			if (!w) {
				e = -ENOMEM;
				break;
			}
			e = classify(&c, s, p, t, w);
			if (!w->call[0] && w->kind != RS_WAIT_KERNEL) {
				rs_wait_free(w);
				continue;
			}
			t->wait = w;
			waits++;
		}
	}
	if (!e && c.n_want && !(c.first = calloc(s->n_procs, sizeof(*c.first))))
		e = -ENOMEM;
	for (size_t i = 0; !e && c.n_want && i < s->n_procs; i++)
		c.first[c.n_first++] = s->procs[i].pid;
	if (!e)
		e = rs_fd_scan_holders(&c);
	if (!e && !(buf = malloc(TEXT_MAX)))
		e = -ENOMEM;
	for (size_t i = 0; i < s->n_procs && !e; i++)
		for (size_t j = 0; j < s->procs[i].n_threads && !e; j++) {
			struct rs_wait *w = s->procs[i].threads[j].wait;

			if (!w)
				continue;
			buf[0] = '\0';
			rs_wait_text(w, s->procs[i].pid, buf, TEXT_MAX);
			if (!(w->text = strdup(buf)))
				e = -ENOMEM;
		}
	free(buf);
	if (st)
		*st = (struct rs_waits_stats){ .waits = waits,
					       .searched = c.n_want,
					       .scanned_procs = c.scanned,
					       .scanned_fds = c.scanned_fds,
					       .by_iterator = c.by_iterator,
					       .ns = rs_mono_ns() - t0 };
	rs_wait_ctx_clear(&c);
	return e;
}
