// SPDX-License-Identifier: GPL-2.0
/*
 * The hang report as one JSON document, schema_version 1 (docs/json.md):
 * the required core plus extras. Processes by pid, threads by tid, frames
 * innermost first; addresses as "0x…" strings, unknown strings as null.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report/report.h"
#include "snapshot/snapshot.h"
#include "lib/lib.h"

#define SYSCALL_TEXT_MAX 256

/*
 * A pretty-printing writer (2-space indent) that tracks commas and nesting.
 * Small containers (frames, argument lists) are written on one line.
 */
struct jw {
	FILE *f;
	int depth;
	int inline_depth; /* containers at this depth and deeper are on one line; 0: none */
	bool first;	  /* nothing written yet in the current object/array */
};

static bool jw_inline(const struct jw *w)
{
	return w->inline_depth && w->depth >= w->inline_depth;
}

static void jw_indent(struct jw *w)
{
	putc_unlocked('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs_unlocked("  ", w->f);
}

/* Before a value: comma, newline and indent (or a space), then "key": when in an object. */
static void jw_sep(struct jw *w, const char *key)
{
	if (jw_inline(w)) {
		if (!w->first)
			fputs_unlocked(", ", w->f);
	} else if (w->depth) {
		if (!w->first)
			putc_unlocked(',', w->f);
		jw_indent(w);
	}
	w->first = false;
	if (key)
		fprintf(w->f, "\"%s\": ", key);
}

/* Opens an object ('{') or array ('['); one_line puts it and its contents on one line. */
static void jw_open(struct jw *w, const char *key, char c, bool one_line)
{
	jw_sep(w, key);
	putc_unlocked(c, w->f);
	w->depth++;
	if (one_line && !w->inline_depth)
		w->inline_depth = w->depth;
	w->first = true;
}

static void jw_close(struct jw *w, char c)
{
	if (!w->first && !jw_inline(w)) {
		w->depth--;
		jw_indent(w);
	} else {
		w->depth--;
	}
	if (w->inline_depth > w->depth)
		w->inline_depth = 0;
	putc_unlocked(c, w->f);
	w->first = false;
}

static void jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_sep(w, key);
	if (s && *s)
		rs_fput_json(w->f, s, n);
	else
		fputs_unlocked("null", w->f);
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_strn(w, key, s, s ? strlen(s) : 0);
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_sep(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

static void jw_i64(struct jw *w, const char *key, int64_t v)
{
	jw_sep(w, key);
	fprintf(w->f, "%" PRId64, v);
}

/* An unsigned integer, or null when 0 means "unknown". */
static void jw_u64_or_null(struct jw *w, const char *key, uint64_t v)
{
	jw_sep(w, key);
	if (v)
		fprintf(w->f, "%" PRIu64, v);
	else
		fputs_unlocked("null", w->f);
}

static void jw_hex(struct jw *w, const char *key, uint64_t v)
{
	jw_sep(w, key);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_sep(w, key);
	fputs_unlocked(v ? "true" : "false", w->f);
}

static void jw_null(struct jw *w, const char *key)
{
	jw_sep(w, key);
	fputs_unlocked("null", w->f);
}

static void put_meta(struct jw *w, const struct rs_snapshot *s, const struct rs_report_opts *o)
{
	static const char *const counter_names[RS_CNT_MAX] = {
		[RS_CNT_TASKS_SEEN] = "tasks_seen",	[RS_CNT_RINGBUF_FULL] = "ringbuf_full",
		[RS_CNT_USTACK_FAIL] = "ustack_fail",	[RS_CNT_KSTACK_FAIL] = "kstack_fail",
		[RS_CNT_PERF_SAMPLES] = "perf_samples",
	};
	char when[64] = "";
	uint64_t spread;
	time_t t = (time_t)(s->taken_at_unix_ns / 1000000000);
	struct tm tm;

	jw_u64(w, "schema_version", 1);
	jw_str(w, "target", s->target);
	if (s->taken_at_unix_ns > 0 && gmtime_r(&t, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03dZ",
			 (int)(s->taken_at_unix_ns % 1000000000 / 1000000));
	jw_str(w, "taken_at", when);
	jw_i64(w, "taken_at_unix_ns", s->taken_at_unix_ns);
	jw_u64(w, "duration_ns", s->duration_ns);
	if (rs_report_capture_spread(s, &spread))
		jw_u64(w, "capture_spread_ns", spread);
	else
		jw_null(w, "capture_spread_ns");
	jw_bool(w, "partial", s->partial);
	jw_u64(w, "threshold_ns", o->threshold_ns);
	jw_bool(w, "kernel_stacks", !o->no_kernel);
	jw_str(w, "backend", s->backend);
	jw_str(w, "sort", o->sort == RS_SORT_BLOCKED ? "blocked" : "rank");
	jw_open(w, "counters", '{', false);
	for (size_t i = 0; i < RS_CNT_MAX; i++)
		jw_u64(w, counter_names[i], s->counters[i]);
	jw_close(w, '}');
}

static void put_syscall(struct jw *w, const struct rs_thread *t)
{
	char text[SYSCALL_TEXT_MAX];
	int n;

	if (!t->in_syscall) {
		jw_null(w, "syscall");
		return;
	}
	n = rs_syscall_nargs(t->syscall_nr, t->syscall_args);
	rs_syscall_describe(t->syscall_nr, t->syscall_args, text, sizeof(text));
	jw_open(w, "syscall", '{', false);
	jw_i64(w, "nr", t->syscall_nr);
	jw_str(w, "name", rs_syscall_name(t->syscall_nr));
	jw_open(w, "args", '[', true);
	for (int i = 0; i < n; i++)
		jw_hex(w, NULL, t->syscall_args[i]);
	jw_close(w, ']');
	jw_str(w, "text", text);
	jw_close(w, '}');
}

/* The mutex a thread waits for and its owner, as read from the mutex at capture time. */
static void put_lock(struct jw *w, const struct rs_thread *t)
{
	if (!t->waits_mutex) {
		jw_null(w, "lock");
		return;
	}
	jw_open(w, "lock", '{', true);
	jw_str(w, "type", "mutex");
	jw_hex(w, "addr", t->mutex_addr);
	jw_u64(w, "owner_ns_tid", t->mutex_owner_ns_tid);
	jw_u64(w, "owner_tid", t->mutex_owner_tid);
	jw_u64_or_null(w, "deadlock", t->deadlock);
	jw_close(w, '}');
}

static const char *const fd_types[] = { "unknown", "file", "pipe", "socket", "epoll", "anon" };
static const char *const wait_kinds[] = { "fd",	  "epoll",  "poll",   "sleep", "child",
					  "join", "rwlock", "kernel", "futex" };

/* The fds holding a pipe, or a socket's other end, that the scan found. */
static void put_holders(struct jw *w, const struct rs_fd_desc *d)
{
	jw_bool(w, "holders_complete", !d->holders_cut);
	jw_open(w, "holders", '[', false);
	for (size_t i = 0; i < d->n_holders; i++) {
		jw_open(w, NULL, '{', true);
		jw_u64(w, "pid", d->holders[i].pid);
		jw_strn(w, "comm", d->holders[i].comm, sizeof(d->holders[i].comm));
		jw_i64(w, "fd", d->holders[i].fd);
		jw_bool(w, "reads", d->holders[i].reads);
		jw_bool(w, "writes", d->holders[i].writes);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* One fd of a wait (docs/json.md, "wait"): its link and what it is. */
static void put_fd(struct jw *w, const char *key, const struct rs_fd_desc *d)
{
	const struct rs_sock_info *s = &d->sock;

	jw_open(w, key, '{', d->type != RS_FD_EPOLL && d->type != RS_FD_PIPE && !d->peer_inode);
	jw_i64(w, "fd", d->fd);
	jw_str(w, "type", fd_types[d->type]);
	jw_str(w, "link", d->link);
	jw_u64_or_null(w, "inode", d->inode);
	jw_str(w, "mode", !d->link ? NULL : d->reads && d->writes ? "rw" : d->writes ? "w" : "r");
	if (d->type == RS_FD_PIPE) {
		jw_bool(w, "writer_open", d->writer_open);
		put_holders(w, d);
	} else if (d->type == RS_FD_SOCKET) {
		jw_str(w, "proto", d->sock_found ? s->proto : NULL);
		jw_str(w, "local", d->sock_found ? s->local : NULL);
		jw_str(w, "remote", d->sock_found ? s->remote : NULL);
		jw_str(w, "state", d->sock_found ? s->state : NULL);
		if (!d->peer_inode) {
			jw_null(w, "peer");
		} else {
			jw_open(w, "peer", '{', false);
			jw_u64(w, "inode", d->peer_inode);
			put_holders(w, d);
			jw_close(w, '}');
		}
	} else if (d->type == RS_FD_EPOLL) {
		jw_u64(w, "count", d->total_tfds);
		jw_open(w, "members", '[', false);
		for (size_t i = 0; i < d->n_tfds; i++)
			put_fd(w, NULL, &d->tfds[i]);
		jw_close(w, ']');
	}
	jw_close(w, '}');
}

static void put_wait_thread(struct jw *w, const char *key, const struct rs_wait *t)
{
	if (!t->ns_tid) {
		jw_null(w, key);
		return;
	}
	jw_open(w, key, '{', true);
	jw_u64_or_null(w, "tid", t->tid);
	jw_u64(w, "ns_tid", t->ns_tid);
	jw_strn(w, "name", t->name, sizeof(t->name));
	jw_close(w, '}');
}

/* What the thread waits on (waits.c), or null. */
static void put_wait(struct jw *w, const struct rs_thread *t)
{
	const struct rs_wait *x = t->wait;

	if (!x) {
		jw_null(w, "wait");
		return;
	}
	jw_open(w, "wait", '{', false);
	jw_str(w, "kind", wait_kinds[x->kind]);
	jw_str(w, "call", x->call);
	jw_str(w, "text", x->text);
	switch (x->kind) {
	case RS_WAIT_FD:
	case RS_WAIT_EPOLL:
		put_fd(w, "fd", &x->fd);
		break;
	case RS_WAIT_POLL:
		jw_u64(w, "nfds", x->nfds);
		if (!x->fds_known) {
			jw_null(w, "fds");
			break;
		}
		jw_open(w, "fds", '[', false);
		for (size_t i = 0; i < x->n_fds; i++)
			put_fd(w, NULL, &x->fds[i]);
		jw_close(w, ']');
		break;
	case RS_WAIT_SLEEP:
		jw_bool(w, "absolute", x->absolute);
		jw_i64(w, "clock", x->clock);
		if (x->request_known)
			jw_u64(w, "request_ns", x->request_ns);
		else
			jw_null(w, "request_ns");
		if (x->remaining_known)
			jw_u64(w, "remaining_ns", x->remaining_ns);
		else
			jw_null(w, "remaining_ns");
		break;
	case RS_WAIT_CHILD:
		jw_i64(w, "pid_arg", x->pid_arg);
		jw_u64_or_null(w, "pidfd_pid", x->pidfd_pid);
		jw_open(w, "children", '[', false);
		for (size_t i = 0; i < x->n_children; i++) {
			jw_open(w, NULL, '{', true);
			jw_u64(w, "pid", x->children[i].pid);
			jw_u64_or_null(w, "ns_pid", x->children[i].ns_pid);
			jw_strn(w, "comm", x->children[i].comm, sizeof(x->children[i].comm));
			jw_strn(w, "state", &x->children[i].state, x->children[i].state ? 1 : 0);
			jw_close(w, '}');
		}
		jw_close(w, ']');
		break;
	case RS_WAIT_JOIN:
	case RS_WAIT_RWLOCK:
		jw_hex(w, "addr", x->addr);
		put_wait_thread(w, x->kind == RS_WAIT_JOIN ? "thread" : "writer", x);
		if (x->kind == RS_WAIT_RWLOCK) {
			jw_str(w, "symbol", x->symbol);
			jw_str(w, "region", x->region);
		}
		break;
	case RS_WAIT_FUTEX:
		if (x->lock_kind == RS_LOCK_PARKING_LOT)
			jw_null(w, "addr");
		else
			jw_hex(w, "addr", x->addr);
		jw_str(w, "symbol", x->symbol);
		jw_str(w, "region", x->region);
		jw_str(w, "lock", x->condvar ? "condvar" : rs_lock_kind_id(x->lock_kind));
		put_wait_thread(w, "owner", x);
		break;
	case RS_WAIT_KERNEL:
		jw_str(w, "function", x->kfunc);
		jw_str(w, "wchan", x->wchan);
		if (!x->blocker_valid) {
			jw_null(w, "blocker");
			break;
		}
		jw_open(w, "blocker", '{', true);
		jw_hex(w, "addr", x->blocker);
		jw_str(w, "type", x->lock_type);
		jw_u64_or_null(w, "owner_tid", x->owner_tid);
		jw_strn(w, "owner_name", x->owner_name, sizeof(x->owner_name));
		jw_close(w, '}');
		break;
	}
	jw_close(w, '}');
}

/*
 * The contended lock word a thread waits on, of any kind: what its address
 * is, and its owner only where the lock records one.
 */
static void put_lock_wait(struct jw *w, const struct rs_thread *t)
{
	const struct rs_data_name *n = &t->lock_name;
	char name[256];

	if (!t->lock_kind) {
		jw_null(w, "lock_wait");
		return;
	}
	jw_open(w, "lock_wait", '{', true);
	jw_str(w, "type", rs_lock_kind_id(t->lock_kind));
	if (t->mutex_addr)
		jw_hex(w, "addr", t->mutex_addr);
	else
		jw_null(w, "addr");
	jw_bool(w, "owner_recorded", t->lock_kind == RS_LOCK_GLIBC_MUTEX);
	if (t->waits_mutex)
		jw_u64(w, "owner_tid", t->mutex_owner_tid);
	else
		jw_null(w, "owner_tid");
	rs_data_name_format(n, name, sizeof(name));
	jw_str(w, "name", t->mutex_addr ? name : NULL);
	jw_str(w, "region", t->mutex_addr ? rs_data_region_name(n->region) : NULL);
	jw_str(w, "symbol", n->symbol);
	if (n->region == RS_DATA_SYMBOL)
		jw_u64(w, "offset", n->offset);
	else
		jw_null(w, "offset");
	jw_str(w, "module", n->module);
	jw_u64_or_null(w, "stack_tid", n->region == RS_DATA_STACK ? n->tid : 0);
	jw_close(w, '}');
}

static void put_frame(struct jw *w, const struct rs_frame *fr)
{
	jw_open(w, NULL, '{', true);
	jw_hex(w, "addr", fr->addr);
	jw_str(w, "function", fr->function);
	jw_str(w, "module", fr->module);
	if (!fr->kernel) {
		jw_str(w, "file", fr->file);
		jw_u64_or_null(w, "line", fr->line);
		jw_bool(w, "inlined", fr->inlined);
		jw_bool(w, "tailcall", fr->tailcall);
		jw_u64_or_null(w, "column", fr->column);
	}
	jw_u64(w, "offset", fr->sym_offset);
	jw_close(w, '}');
}

/* --compare: the thread's verdict and what it rests on; null fields for one snapshot. */
static void put_verdict(struct jw *w, const struct rs_thread *t)
{
	const struct rs_thread_verdict *v = &t->v;
	bool deltas = v->verdict != RS_VERDICT_NONE && v->verdict != RS_VERDICT_NEW;

	jw_str(w, "verdict", rs_verdict_id(v->verdict));
	if (deltas && v->cpu_known)
		jw_u64(w, "cpu_ns_delta", v->cpu_ns_delta);
	else
		jw_null(w, "cpu_ns_delta");
	if (deltas && v->cpu_known)
		jw_u64(w, "runnable_ns_delta", v->runnable_ns_delta);
	else
		jw_null(w, "runnable_ns_delta");
	if (deltas) {
		jw_u64(w, "ctxsw_delta", v->ctxsw_delta);
		jw_bool(w, "same_site", v->same_site);
		jw_u64(w, "compared_ns", v->wall_ns);
	} else {
		jw_null(w, "ctxsw_delta");
		jw_null(w, "same_site");
		jw_null(w, "compared_ns");
	}
	if (t->cpu_known)
		jw_u64(w, "cpu_ns", t->cpu_ns);
	else
		jw_null(w, "cpu_ns");
}

/* The top-level "compare" object: null for one snapshot. */
static void put_compare(struct jw *w, const struct rs_snapshot *s)
{
	const struct rs_compare *c = &s->compare;

	if (!c->captures) {
		jw_null(w, "compare");
		return;
	}
	jw_open(w, "compare", '{', false);
	jw_u64(w, "captures", c->captures);
	jw_u64(w, "interval_ns", c->interval_ns);
	jw_open(w, "exited", '[', false);
	for (size_t i = 0; i < c->n_exited; i++) {
		jw_open(w, NULL, '{', true);
		jw_u64(w, "pid", c->exited[i].pid);
		jw_u64(w, "tid", c->exited[i].tid);
		jw_u64(w, "ns_tid", c->exited[i].ns_tid);
		jw_strn(w, "name", c->exited[i].name, sizeof(c->exited[i].name));
		jw_str(w, "verdict", rs_verdict_id(RS_VERDICT_EXITED));
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

static void put_thread(struct jw *w, const struct rs_thread *t, size_t group,
		       const struct rs_report_opts *o)
{
	const struct rs_unwind_info *u = &t->unwind;

	jw_open(w, NULL, '{', false);
	jw_u64(w, "tid", t->tid);
	jw_u64(w, "ns_tid", t->ns_tid);
	jw_strn(w, "name", t->name, sizeof(t->name));
	jw_strn(w, "state", &t->state, t->state ? 1 : 0);
	jw_bool(w, "on_cpu", t->on_cpu);
	jw_bool(w, "from_perf", t->from_perf);
	if (t->on_cpu || t->blocked_known)
		jw_u64(w, "blocked_ns", t->on_cpu ? 0 : t->blocked_ns);
	else
		jw_null(w, "blocked_ns");
	jw_bool(w, "over_threshold",
		!t->on_cpu && t->blocked_known && t->state != 'R' &&
		    t->blocked_ns >= o->threshold_ns);
	jw_u64(w, "nvcsw", t->nvcsw);
	jw_u64(w, "nivcsw", t->nivcsw);
	jw_u64(w, "group", group);
	put_verdict(w, t);
	put_syscall(w, t);
	put_lock(w, t);
	put_lock_wait(w, t);
	put_wait(w, t);
	jw_open(w, "kernel_stack", '[', false);
	for (size_t i = 0; !o->no_kernel && i < t->n_kframes; i++)
		put_frame(w, &t->kframes[i]);
	jw_close(w, ']');
	jw_open(w, "user_stack", '[', false);
	for (size_t i = 0; i < t->n_uframes; i++)
		put_frame(w, &t->uframes[i]);
	jw_close(w, ']');
	jw_open(w, "unwind", '{', true);
	jw_str(w, "method", u->method ? u->method : "none");
	jw_bool(w, "complete", u->complete);
	jw_strn(w, "stop_reason", u->stop_reason, sizeof(u->stop_reason));
	/* extras: what the /proc backend could not know */
	jw_bool(w, "sp_pc_only", u->sp_pc_only);
	if (u->guessed)
		jw_u64(w, "rbp_recovered_from", u->guessed_frame);
	else
		jw_null(w, "rbp_recovered_from");
	jw_bool(w, "moved_during_copy", u->moved);
	jw_close(w, '}');
	jw_close(w, '}');
}

static int cmp_tid(const void *pa, const void *pb)
{
	const struct rs_thread *a = *(const struct rs_thread *const *)pa;
	const struct rs_thread *b = *(const struct rs_thread *const *)pb;

	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return (a > b) - (a < b);
}

static int put_process(struct jw *w, const struct rs_process *p, const size_t *group_of,
		       const struct rs_report_opts *o)
{
	const struct rs_thread **v = NULL;

	if (p->n_threads) {
		v = malloc(p->n_threads * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < p->n_threads; i++)
			v[i] = &p->threads[i];
		qsort(v, p->n_threads, sizeof(*v), cmp_tid);
	}
	jw_open(w, NULL, '{', false);
	jw_u64(w, "pid", p->pid);
	jw_u64(w, "ns_pid", p->ns_pid);
	jw_strn(w, "comm", p->comm, sizeof(p->comm));
	jw_str(w, "exe", p->exe);
	jw_str(w, "cgroup", p->cgroup);
	jw_u64(w, "cgroup_id", p->cgroup_id);
	jw_str(w, "error", p->error);
	jw_u64(w, "deadlocks", p->n_deadlocks);
	jw_open(w, "threads", '[', false);
	for (size_t i = 0; i < p->n_threads; i++)
		put_thread(w, v[i], group_of[v[i] - p->threads], o);
	jw_close(w, ']');
	jw_close(w, '}');
	free(v);
	return 0;
}

static void put_groups(struct jw *w, const struct rs_group *g, size_t n)
{
	jw_open(w, "groups", '[', false);
	for (size_t i = 0; i < n; i++) {
		jw_open(w, NULL, '{', false);
		jw_u64(w, "id", i + 1);
		jw_u64(w, "pid", g[i].proc->pid);
		jw_strn(w, "state", &g[i].threads[0]->state, 1);
		jw_u64(w, "max_blocked_ns", g[i].max_blocked_ns);
		jw_u64(w, "rank", rs_rank_of(g[i].reason));
		jw_str(w, "rank_reason", rs_rank_id(g[i].reason));
		jw_str(w, "verdict", rs_verdict_id(g[i].verdict));
		jw_open(w, "tids", '[', true);
		for (size_t j = 0; j < g[i].n; j++)
			jw_u64(w, NULL, g[i].threads[j]->tid);
		jw_close(w, ']');
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static int cmp_proc(const void *pa, const void *pb)
{
	const struct rs_process *a = *(const struct rs_process *const *)pa;
	const struct rs_process *b = *(const struct rs_process *const *)pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (a > b) - (a < b);
}

int rs_report_json(FILE *f, const struct rs_snapshot *s, const struct rs_report_opts *o)
{
	struct jw w = { .f = f, .first = true, .inline_depth = o->one_line ? 1 : 0 };
	const struct rs_process **procs = NULL;
	size_t n_groups = 0, n_threads = 0, *base = NULL, *group_of = NULL;
	struct rs_group *groups = NULL;
	int err;

	err = rs_report_group_by(s, o, &groups, &n_groups);
	if (err)
		return err;
	flockfile(f); /* once: the writers below use the _unlocked stdio calls */
	/* group id of every thread, indexed by base[process] + thread index */
	base = calloc(s->n_procs + 1, sizeof(*base));
	procs = calloc(s->n_procs + 1, sizeof(*procs));
	if (!base || !procs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < s->n_procs; i++) {
		base[i] = n_threads;
		n_threads += s->procs[i].n_threads;
		procs[i] = &s->procs[i];
	}
	group_of = calloc(n_threads + 1, sizeof(*group_of));
	if (!group_of) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n_groups; i++)
		for (size_t j = 0; j < groups[i].n; j++)
			group_of[base[groups[i].proc - s->procs] +
				 (size_t)(groups[i].threads[j] - groups[i].proc->threads)] = i + 1;
	qsort(procs, s->n_procs, sizeof(*procs), cmp_proc);

	jw_open(&w, NULL, '{', false);
	put_meta(&w, s, o);
	put_compare(&w, s);
	jw_open(&w, "processes", '[', false);
	for (size_t i = 0; i < s->n_procs; i++) {
		err = put_process(&w, procs[i], group_of + base[procs[i] - s->procs], o);
		if (err)
			goto cleanup;
	}
	jw_close(&w, ']');
	put_groups(&w, groups, n_groups);
	if (o->extra_json) {
		jw_sep(&w, NULL);
		fputs_unlocked(o->extra_json, f);
	}
	jw_close(&w, '}');
	putc_unlocked('\n', f);
	if (ferror(f))
		err = -EIO;
cleanup:
	funlockfile(f);
	free(group_of);
	free(procs);
	free(base);
	rs_report_groups_free(groups, n_groups);
	return err;
}
