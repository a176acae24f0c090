// SPDX-License-Identifier: GPL-2.0
/*
 * What /proc says of one task (proc_priv.h: rs_proctask_fill,
 * rs_proctask_kstack), in the fields of the struct rs_task_rec the BPF
 * capture would have made.
 *
 * Blocked-for: se.exec_start of /proc/PID/task/TID/sched is the run-queue
 * clock (rq_clock_task) when the thread last stopped running. "Now" on the
 * clock of its CPU is found by sleeping a moment on that CPU: the wake-up
 * sets our own se.exec_start to that clock, read back from
 * /proc/thread-self/sched next to CLOCK_MONOTONIC. Only rsample's own
 * thread is moved between CPUs for that, never the target's.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "capture/proc_priv.h"
#include "lib/lib.h"
#include "target/target.h"

#define PF_KTHREAD 0x00200000u

void rs_procfs_note(struct rs_procfs *ps, const char *fmt, ...)
{
	char *n = ps->cap->notes;
	size_t len = strlen(n), cap = sizeof(ps->cap->notes);
	va_list ap;

	if (len + 2 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(n + len, cap - len - 1, fmt, ap);
	va_end(ap);
	len = strlen(n);
	n[len] = '\n';
	n[len + 1] = '\0';
}

const struct rs_map *rs_procfs_mapping(struct rs_procfs *ps, uint32_t pid, uint64_t addr)
{
	const struct rs_map *m = NULL;
	char path[64];

	if (ps->maps_ok && ps->maps_pid == pid && (m = rs_maps_find(&ps->maps, addr)))
		return m;
	/* another process, or a mapping made since (a new thread's stack) */
	rs_maps_clear(&ps->maps);
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	ps->maps_pid = pid;
	ps->maps_ok = !rs_maps_read(path, &ps->maps);
	return ps->maps_ok ? rs_maps_find(&ps->maps, addr) : NULL;
}

/* CLOCK_MONOTONIC minus the se.exec_start clock of cpu, measured on that CPU. */
static bool sched_clock_off(struct rs_procfs *ps, int cpu, int64_t *off)
{
	struct rs_sched_clock *c = &ps->clock;
	struct timespec nap = { 0, 1 };
	cpu_set_t saved, one;
	char *text = NULL;
	size_t len;
	uint64_t m, e;
	bool pinned, ok;

	if (c->unusable || cpu < 0)
		return false;
	if (!c->off) {
		c->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
		if (c->ncpu < 1)
			c->ncpu = 1;
		c->off = calloc((size_t)c->ncpu, sizeof(*c->off));
		c->known = calloc((size_t)c->ncpu, sizeof(*c->known));
		if (!c->off || !c->known) {
			c->unusable = true;
			return false;
		}
	}
	if (cpu < c->ncpu && c->known[cpu]) {
		*off = c->off[cpu];
		return true;
	}
	/* On another CPU than allowed (cpuset): the clocks differ by steal time only. */
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	pinned = !sched_getaffinity(0, sizeof(saved), &saved) &&
		 !sched_setaffinity(0, sizeof(one), &one);
	/* The wake-up sets our se.exec_start to that CPU's clock, now. */
	nanosleep(&nap, NULL);
	m = rs_mono_ns();
	ok = !rs_read_file("/proc/thread-self/sched", &text, &len) &&
	     !rs_parse_sched_ns(text, "se.exec_start", &e);
	free(text);
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	if (!ok) {
		c->unusable = true;
		return false;
	}
	*off = (int64_t)(m - e);
	if (cpu < c->ncpu && pinned) {
		c->off[cpu] = *off;
		c->known[cpu] = true;
	}
	return true;
}

void rs_sched_clock_clear(struct rs_sched_clock *c)
{
	free(c->off);
	free(c->known);
	memset(c, 0, sizeof(*c));
}

/* The cgroup id of a thread: the inode of its cgroup v2 directory. */
static uint64_t thread_cgroup_id(struct rs_procfs *ps, const struct rs_pthread_ref *ref)
{
	char dir[64], *rel = NULL, *path = NULL;
	struct stat sb;

	if (ref->cgroup_id)
		return ref->cgroup_id;
	if (!ps->cg_mount)
		return 0;
	snprintf(dir, sizeof(dir), "/proc/%u/task", ref->tgid);
	if (rs_cgroup_of_pid(dir, ref->tid, &rel))
		return 0;
	if (ps->cg_path && !strcmp(ps->cg_path, rel)) {
		free(rel);
		return ps->cg_id;
	}
	if (asprintf(&path, "%s%s", ps->cg_mount, rel) < 0) {
		free(rel);
		return 0;
	}
	free(ps->cg_path);
	ps->cg_path = rel;
	ps->cg_id = !stat(path, &sb) ? (uint64_t)sb.st_ino : 0;
	free(path);
	return ps->cg_id;
}

uint32_t rs_proc_ns_ino(const char *path)
{
	char link[64];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	uint32_t ino = 0;

	if (n <= 0)
		return 0;
	link[n] = '\0';
	return rs_parse_ns_link(link, &ino) ? 0 : ino;
}

/* Reads /proc/TGID/task/TID/<name>; *text malloc'd. 0 or -errno. */
static int read_task_file(const struct rs_pthread_ref *ref, const char *name, char **text)
{
	char path[96];
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/%s", ref->tgid, ref->tid, name);
	*text = NULL;
	return rs_read_file(path, text, &len);
}

/* Blocked-for (see the top): when it left the CPU, and "now" on that CPU's clock. */
static void blocked_since(struct rs_procfs *ps, const struct rs_pthread_ref *ref, int cpu,
			  struct rs_task_rec *h)
{
	uint64_t exec_start, sum;
	char *text;
	int64_t off;

	/* schedstat: CPU time, then time runnable waiting for a CPU (ns), for --compare */
	if (!read_task_file(ref, "schedstat", &text)) {
		unsigned long long run, wait;

		if (sscanf(text, "%llu %llu", &run, &wait) == 2) {
			h->sum_exec_ns = run;
			h->run_delay_ns = wait;
		}
		free(text);
	}
	if (read_task_file(ref, "sched", &text))
		return;
	/* its CPU time (without schedstat), even when blocked-for cannot be known */
	if (!h->sum_exec_ns && !rs_parse_sched_ns(text, "se.sum_exec_runtime", &sum))
		h->sum_exec_ns = sum;
	/* the slice is already in last_arrival: sum == prev_sum */
	if (!rs_parse_sched_ns(text, "se.exec_start", &exec_start) && exec_start &&
	    sched_clock_off(ps, cpu, &off)) {
		if (h->sum_exec_ns)
			h->prev_sum_exec_ns = h->sum_exec_ns;
		h->last_arrival_ns = exec_start;
		h->now_ns = h->capture_ktime_ns - (uint64_t)off;
	}
	free(text);
}

int rs_proctask_fill(struct rs_procfs *ps, const struct rs_pthread_ref *ref, struct rs_task_rec *h,
		     struct rs_proc_status *stt)
{
	struct rs_proc_stat st;
	uint32_t state, exit_state;
	char path[96], *text;
	int e;

	if ((e = read_task_file(ref, "stat", &text)))
		return e;
	e = rs_parse_stat(text, &st) ? -ESRCH : 0; /* cut short: it is being reaped */
	free(text);
	if (e || (e = read_task_file(ref, "status", &text)))
		return e;
	e = rs_parse_status(text, stt) || stt->tgid != ref->tgid ? -ESRCH : 0;
	free(text);
	if (e)
		return e;
	h->tgid = ref->tgid;
	h->tid = ref->tid;
	h->ns_tgid = stt->has_ns ? stt->ns_tgid : ref->tgid;
	h->ns_tid = stt->has_ns ? stt->ns_tid : ref->tid;
	if (ps->ns_pid != ref->tgid) {
		snprintf(path, sizeof(path), "/proc/%u/ns/pid", ref->tgid);
		ps->pidns_ino = rs_proc_ns_ino(path);
		ps->ns_pid = ref->tgid;
	}
	h->pidns_ino = ps->pidns_ino;
	snprintf(path, sizeof(path), "/proc/%u/task/%u/ns/mnt", ref->tgid, ref->tid);
	h->mntns_ino = rs_proc_ns_ino(path);
	if (!rs_state_from_letter(st.state, &state, &exit_state)) {
		h->state = state;
		h->exit_state = exit_state;
	}
	h->cgroup_id = thread_cgroup_id(ps, ref);
	h->nvcsw = stt->nvcsw;
	h->nivcsw = stt->nivcsw;
	memcpy(h->comm, st.comm, sizeof(h->comm));
	if (st.flags & PF_KTHREAD)
		h->flags |= RS_TF_KTHREAD;
	if (st.flags & RS_PF_EXITING)
		h->flags |= RS_TF_EXITING;
	ps->start_stack = st.startstack;
	h->capture_ktime_ns = rs_mono_ns();
	blocked_since(ps, ref, st.cpu, h);
	return 0;
}

void rs_proctask_kstack(struct rs_procfs *ps, const struct rs_pthread_ref *ref,
			struct rs_task_rec *h)
{
	char *text, *line, *next;
	int e;

	h->kstack_len = 0;
	if (!ps->cfg->kernel_stacks || !ps->ksyms)
		return;
	e = read_task_file(ref, "stack", &text);
	if (e) {
		ps->cap->counters[RS_CNT_KSTACK_FAIL]++;
		if (!ps->kstack_said && e != -ENOENT && e != -ESRCH) {
			ps->kstack_said = true;
			ps->cap->partial = true;
			rs_procfs_note(
			    ps,
			    "kernel stacks left out: cannot read '/proc/%u/task/%u/stack': %s%s",
			    ref->tgid, ref->tid, strerror(-e),
			    e == -EACCES || e == -EPERM ? " (reading it needs CAP_SYS_ADMIN)" : "");
		}
		return;
	}
	for (line = text; *line && h->kstack_len < RS_KSTACK_MAX; line = next) {
		struct rs_kstack_line kl;
		uint64_t addr;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (!*line)
			continue;
		if (rs_parse_kstack_line(line, &kl) ||
		    (kl.name[0]
			 ? rs_ksyms_addr(ps->ksyms, kl.name, kl.module, kl.off, kl.size, &addr)
			 : !(addr = kl.addr))) {
			ps->cap->counters[RS_CNT_KSTACK_FAIL]++;
			break; /* a frame kallsyms does not know: stop there */
		}
		h->kstack[h->kstack_len++] = addr;
	}
	free(text);
}
