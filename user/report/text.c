// SPDX-License-Identifier: GPL-2.0
/*
 * The human hang report (README "What it prints"): a header, one summary
 * line per process, then groups of threads with identical stacks in the
 * order rs_report_group_by() gives, each with its rank's tag. Deterministic
 * for the same snapshot. The per-thread lines are text_threads.c, the lock
 * lines text_locks.c; what is left is the report's order and layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report/report.h"
#include "report/report_priv.h"
#include "snapshot/snapshot.h"
#include "lib/lib.h"

#define SYSCALL_TEXT_MAX 256

static const char *state_meaning(char state)
{
	switch (state) {
	case 'R':
		return "running or runnable";
	case 'S':
		return "sleeping";
	case 'D':
		return "uninterruptible sleep";
	case 'T':
		return "stopped";
	case 't':
		return "stopped by a tracer";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle kernel thread";
	case 'P':
		return "parked";
	}
	return "unknown state";
}

/* Order of states in a process summary when their counts tie: most alarming first. */
static const char state_order[] = "DRSTtZXIP";

static size_t state_rank(char state)
{
	const char *p = state ? strchr(state_order, state) : NULL;

	return p ? (size_t)(p - state_order) : sizeof(state_order);
}

void rs_text_put_str(FILE *f, const char *s)
{
	rs_fput_safe(f, s, strlen(s), false);
}

void rs_text_put_quoted(FILE *f, const char *s, size_t max)
{
	putc_unlocked('"', f);
	rs_fput_safe(f, s, max, true);
	putc_unlocked('"', f);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static void put_duration(FILE *f, uint64_t ns)
{
	char buf[32];

	rs_format_duration(ns, buf, sizeof(buf));
	fputs_unlocked(buf, f);
}

static void put_header(FILE *f, const struct rs_snapshot *s)
{
	static const struct {
		enum rs_counter idx;
		const char *what;
	} losses[] = {
		{ RS_CNT_RINGBUF_FULL, "ring buffer full" },
		{ RS_CNT_USTACK_FAIL, "user stack copy failed" },
		{ RS_CNT_KSTACK_FAIL, "kernel stack read failed" },
	};
	size_t n_threads = 0;
	uint64_t spread;
	bool any = false;

	fputs_unlocked("snapshot of ", f);
	rs_text_put_str(f, s->target ? s->target : "(unknown target)");
	if (s->taken_at_unix_ns > 0) {
		time_t t = (time_t)(s->taken_at_unix_ns / 1000000000);
		struct tm tm;
		char when[64];

		if (gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
			fprintf(f, ", taken %s", when);
	}
	fputs_unlocked(" in ", f);
	put_duration(f, s->duration_ns);
	putc_unlocked('\n', f);

	for (size_t i = 0; i < s->n_procs; i++)
		n_threads += s->procs[i].n_threads;
	fprintf(f, "%zu thread%s in %zu process%s", n_threads, n_threads == 1 ? "" : "s",
		s->n_procs, s->n_procs == 1 ? "" : "es");
	if (n_threads > 1 && rs_report_capture_spread(s, &spread)) {
		fputs_unlocked(", all threads captured within ", f);
		put_duration(f, spread);
	}
	putc_unlocked('\n', f);

	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++) {
		if (!s->counters[losses[i].idx])
			continue;
		fprintf(f, "%s %s %llu", any ? "," : "lost records:", losses[i].what,
			(unsigned long long)s->counters[losses[i].idx]);
		any = true;
	}
	if (any)
		putc_unlocked('\n', f);
	if (s->backend && !strcmp(s->backend, "proc"))
		fputs_unlocked(
		    "backend: /proc (no BPF): blocked threads' registers are sp and pc only\n", f);
	if (s->partial)
		fputs_unlocked(
		    "partial: some threads or modules could not be read (details on stderr)\n", f);
	rs_text_put_compare(f, s);
}

static int cmp_state_count(const void *pa, const void *pb)
{
	const size_t *a = pa, *b = pb; /* {letter, count} */
	int c = (a[1] < b[1]) - (a[1] > b[1]);

	if (c)
		return c;
	return (state_rank((char)a[0]) > state_rank((char)b[0])) -
	       (state_rank((char)a[0]) < state_rank((char)b[0]));
}

/* "4242 (ns 6) "backend" /app/backend: 5 threads (3 S, 1 D, 1 R), longest block 7m11s (tid 4251)"
 */
/*
 * "waits on: …" (waits.c): one line for the group when its threads wait on
 * the same thing, else one per thread that waits on something.
 */
static void put_waits(FILE *f, const struct rs_group *g)
{
	const struct rs_wait *w0 = g->threads[0]->wait;
	bool same = true;

	for (size_t i = 1; i < g->n && same; i++) {
		const struct rs_wait *w = g->threads[i]->wait;

		same = w0 ? w && !strcmp(w->text, w0->text) : !w;
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct rs_wait *w = g->threads[i]->wait;

		if (!w || !w->text)
			continue;
		fputs_unlocked("  waits on: ", f);
		if (!same)
			fprintf(f, "tid %u: ", g->threads[i]->tid);
		rs_fput_safe(f, w->text, strlen(w->text), false);
		putc_unlocked('\n', f);
		if (same)
			break;
	}
}

static void put_process_summary(FILE *f, const struct rs_process *p)
{
	size_t per_state[256] = { 0 }, counts[256][2], n_states = 0;
	const struct rs_thread *longest = NULL;

	fprintf(f, "process %u", p->pid);
	if (p->ns_pid && p->ns_pid != p->pid)
		fprintf(f, " (ns %u)", p->ns_pid);
	putc_unlocked(' ', f);
	rs_text_put_quoted(f, p->comm, sizeof(p->comm));
	putc_unlocked(' ', f);
	rs_text_put_str(f, p->exe ? p->exe : "(exe unknown)");
	fprintf(f, ": %zu thread%s", p->n_threads, p->n_threads == 1 ? "" : "s");

	for (size_t i = 0; i < p->n_threads; i++) {
		const struct rs_thread *t = &p->threads[i];

		per_state[(unsigned char)t->state]++;
		if (t->blocked_known && !t->on_cpu && t->blocked_ns &&
		    (!longest || t->blocked_ns > longest->blocked_ns ||
		     (t->blocked_ns == longest->blocked_ns && t->tid < longest->tid)))
			longest = t;
	}
	for (size_t i = 0; i < 256; i++) {
		if (!per_state[i])
			continue;
		counts[n_states][0] = i;
		counts[n_states++][1] = per_state[i];
	}
	qsort(counts, n_states, sizeof(counts[0]), cmp_state_count);
	for (size_t i = 0; i < n_states; i++)
		fprintf(f, "%s%zu %c", i ? ", " : " (", counts[i][1], (char)counts[i][0]);
	if (n_states)
		putc_unlocked(')', f);
	if (longest) {
		fputs_unlocked(", longest block ", f);
		put_duration(f, longest->blocked_ns);
		fprintf(f, " (tid %u)", longest->tid);
	}
	putc_unlocked('\n', f);
	if (p->cgroup) {
		fputs_unlocked("  cgroup: ", f);
		rs_text_put_str(f, p->cgroup);
		putc_unlocked('\n', f);
	}
	/* one "error:" line per warning (rs_proc's warnings are newline-separated) */
	for (const char *at = p->error, *nl; at && *at; at = nl ? nl + 1 : NULL) {
		nl = strchr(at, '\n');
		fputs_unlocked("  error: ", f);
		rs_fput_safe(f, at, nl ? (size_t)(nl - at) : strlen(at), false);
		putc_unlocked('\n', f);
	}
	rs_text_put_deadlocks(f, p);
}

/* "on CPU (captured by perf sample)", "blocked for 7m11s", "blocked for 3.1s to 12.0s"… */
static void put_group_timing(FILE *f, const struct rs_group *g, const struct rs_report_opts *o)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t n_cpu = 0, n_perf = 0, n_known = 0;
	char a[32], b[32];
	char state = g->threads[0]->state;

	for (size_t i = 0; i < g->n; i++) {
		const struct rs_thread *t = g->threads[i];

		if (t->on_cpu) {
			n_cpu++;
			n_perf += t->from_perf;
		} else if (t->blocked_known) {
			n_known++;
			lo = t->blocked_ns < lo ? t->blocked_ns : lo;
			hi = t->blocked_ns > hi ? t->blocked_ns : hi;
		}
	}
	if (n_cpu == g->n) {
		fputs_unlocked(n_perf == n_cpu ? ", on CPU (captured by perf sample)"
					       : ", on CPU (not sampled: stack may be stale)",
			       f);
		return;
	}
	if (n_cpu)
		fprintf(f, ", %zu of %zu on CPU", n_cpu, g->n);
	if (!n_known) {
		fputs_unlocked(state == 'R' ? ", off CPU for an unknown time"
					    : ", blocked for an unknown time",
			       f);
		return;
	}
	if (state == 'R')
		fputs_unlocked(", waiting for a CPU for ", f);
	else if (state == 'T' || state == 't')
		fputs_unlocked(", stopped for ", f);
	else
		fputs_unlocked(", blocked for ", f);
	rs_format_duration(lo, a, sizeof(a));
	rs_format_duration(hi, b, sizeof(b));
	if (strcmp(a, b))
		fprintf(f, "%s to ", a);
	fputs_unlocked(b, f);
	if (state != 'R' && hi >= o->threshold_ns) {
		fputs_unlocked("  [over --threshold ", f);
		put_duration(f, o->threshold_ns);
		putc_unlocked(']', f);
	}
}

static void put_syscall(FILE *f, const struct rs_group *g)
{
	const struct rs_thread *t = g->threads[0];
	char text[SYSCALL_TEXT_MAX];
	bool differ = false;

	if (!t->in_syscall) {
		if (t->state == 'S' || t->state == 'D')
			fputs_unlocked("  not in a syscall\n", f);
		return;
	}
	for (size_t i = 1; i < g->n; i++)
		differ |= memcmp(g->threads[i]->syscall_args, t->syscall_args,
				 sizeof(t->syscall_args)) != 0;
	rs_syscall_describe(t->syscall_nr, t->syscall_args, text, sizeof(text));
	fputs_unlocked("  syscall: ", f);
	rs_text_put_str(f, text);
	if (differ)
		fprintf(f, "  (arguments differ; tid %u's shown)", t->tid);
	putc_unlocked('\n', f);
}

static void put_kframes(FILE *f, const struct rs_thread *t)
{
	for (size_t i = 0; i < t->n_kframes; i++) {
		const struct rs_frame *fr = &t->kframes[i];

		fputs_unlocked("  [k] ", f);
		if (fr->function) {
			rs_text_put_str(f, fr->function);
			if (fr->sym_offset)
				fprintf(f, "+%#llx", (unsigned long long)fr->sym_offset);
		} else {
			fprintf(f, "%#llx", (unsigned long long)fr->addr);
		}
		if (fr->module && strcmp(fr->module, "[kernel]")) {
			putc_unlocked(' ', f);
			rs_text_put_str(f, fr->module);
		}
		putc_unlocked('\n', f);
	}
}

static bool same_frame(const struct rs_frame *a, const struct rs_frame *b)
{
	if (!a->function || !b->function)
		return !a->function && !b->function && a->addr == b->addr;
	return a->line == b->line && a->inlined == b->inlined && a->tailcall == b->tailcall &&
	       !strcmp(a->function, b->function) &&
	       !strcmp(a->module ? a->module : "", b->module ? b->module : "") &&
	       !strcmp(a->file ? a->file : "", b->file ? b->file : "");
}

/*
 * "#3  fib (inlined) at fib.c:10  [victim]", "(tail call)" for a frame rebuilt
 * from a tail call; a run of identical frames (recursion) is one line.
 */
static void put_uframes(FILE *f, const struct rs_thread *t)
{
	size_t i, j;

	if (!t->n_uframes) {
		fputs_unlocked("  (no user frames)\n", f);
		return;
	}
	for (i = 0; i < t->n_uframes; i = j) {
		const struct rs_frame *fr = &t->uframes[i];

		for (j = i + 1; j < t->n_uframes && same_frame(fr, &t->uframes[j]); j++)
			;
		if (j - i > 1)
			fprintf(f, "  #%zu-#%zu ", i, j - 1);
		else
			fprintf(f, "  #%-2zu ", i);
		if (fr->function) {
			rs_text_put_str(f, fr->function);
		} else if (fr->module && fr->sym_offset) {
			rs_text_put_str(f, basename_of(fr->module));
			fprintf(f, "+%#llx", (unsigned long long)fr->sym_offset);
		} else {
			fprintf(f, "%#llx", (unsigned long long)fr->addr);
			if (fr->module) {
				fputs_unlocked(" in ", f);
				rs_text_put_str(f, basename_of(fr->module));
			}
		}
		if (fr->inlined)
			fputs_unlocked(" (inlined)", f);
		if (fr->tailcall)
			fputs_unlocked(" (tail call)", f);
		if (fr->file) {
			fputs_unlocked(" at ", f);
			rs_text_put_str(f, fr->file);
			if (fr->line)
				fprintf(f, ":%u", fr->line);
		}
		if (fr->function && fr->module) {
			fputs_unlocked("  [", f);
			rs_text_put_str(f, basename_of(fr->module));
			putc_unlocked(']', f);
		}
		if (j - i > 1)
			fprintf(f, "  (x%zu)", j - i);
		putc_unlocked('\n', f);
	}
}

static void put_unwind(FILE *f, const struct rs_thread *t)
{
	const struct rs_unwind_info *u = &t->unwind;

	fputs_unlocked("  unwind: ", f);
	rs_text_put_str(f, u->method ? u->method : "none");
	if (u->complete) {
		fputs_unlocked(", complete", f);
	} else if (u->stop_reason[0]) {
		fputs_unlocked(", stopped: ", f);
		rs_fput_safe(f, u->stop_reason, sizeof(u->stop_reason), false);
	} else {
		fputs_unlocked(", incomplete", f);
	}
	if (u->sp_pc_only)
		fputs_unlocked("; from sp and pc only (/proc backend)", f);
	if (u->guessed)
		fprintf(f, "; #%u and after found with rbp recovered from the stack",
			u->guessed_frame);
	putc_unlocked('\n', f);
	if (u->moved)
		fputs_unlocked(
		    "  stack may be inconsistent: the thread kept running while it was copied\n",
		    f);
}

static int put_group(FILE *f, size_t id, const struct rs_group *g, const struct rs_report_opts *o)
{
	const struct rs_thread *t = g->threads[0];
	int err;

	fprintf(f, "\ngroup %zu: pid %u ", id, g->proc->pid);
	rs_text_put_quoted(f, g->proc->comm, sizeof(g->proc->comm));
	fprintf(f, ", %zu thread%s, %c (%s)", g->n, g->n == 1 ? "" : "s", t->state,
		state_meaning(t->state));
	put_group_timing(f, g, o);
	fputs_unlocked("  [rank: ", f);
	rs_text_put_str(f, rs_rank_text(g->reason));
	putc_unlocked(']', f);
	rs_text_put_verdict(f, g);
	putc_unlocked('\n', f);
	err = rs_text_put_threads(f, g);
	if (err)
		return err;
	put_syscall(f, g);
	rs_text_put_locks(f, g);
	rs_text_put_holds(f, g);
	rs_text_put_may_hold(f, g);
	put_waits(f, g);
	if (!o->no_kernel)
		put_kframes(f, t);
	put_uframes(f, t);
	put_unwind(f, t);
	return 0;
}

static int cmp_proc_ptr(const void *pa, const void *pb)
{
	const struct rs_process *a = *(const struct rs_process *const *)pa;
	const struct rs_process *b = *(const struct rs_process *const *)pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (a > b) - (a < b);
}

int rs_report_text(FILE *f, const struct rs_snapshot *s, const struct rs_report_opts *o)
{
	const struct rs_process **procs = NULL;
	struct rs_group *groups = NULL;
	size_t n_groups = 0;
	int err;

	err = rs_report_group_by(s, o, &groups, &n_groups);
	if (err)
		return err;
	flockfile(f); /* once: the writers below use the _unlocked stdio calls */
	if (s->n_procs) {
		procs = malloc(s->n_procs * sizeof(*procs));
		if (!procs) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (size_t i = 0; i < s->n_procs; i++)
		procs[i] = &s->procs[i];
	if (s->n_procs)
		qsort(procs, s->n_procs, sizeof(*procs), cmp_proc_ptr);

	put_header(f, s);
	if (s->n_procs)
		putc_unlocked('\n', f);
	for (size_t i = 0; i < s->n_procs; i++)
		put_process_summary(f, procs[i]);
	for (size_t i = 0; i < n_groups; i++) {
		err = put_group(f, i + 1, &groups[i], o);
		if (err)
			goto cleanup;
	}
	if (ferror(f))
		err = -EIO;
cleanup:
	funlockfile(f);
	free(procs);
	rs_report_groups_free(groups, n_groups);
	return err;
}
