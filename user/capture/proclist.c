// SPDX-License-Identifier: GPL-2.0
/*
 * Which threads the BPF-free snapshot reads (proc_priv.h: rs_procfs_list):
 * the threads of the target's processes from /proc/PID/task, the given
 * threads, or those of every cgroup.threads file in a cgroup subtree, as
 * the BPF target filter would let them through.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "capture/proc_priv.h"
#include "lib/lib.h"

#define RS_CGROUP_DEPTH_MAX 64

static int add_ref(struct rs_pthread_refs *r, uint32_t tgid, uint32_t tid, uint64_t cgid)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rs_pthread_ref *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct rs_pthread_ref){ tgid, tid, cgid };
	return 0;
}

/* The process a thread id belongs to; 0 when it is gone. */
static uint32_t tgid_of(uint32_t tid)
{
	struct rs_proc_status st;
	char path[64], *text = NULL;
	size_t len;
	uint32_t tgid = 0;

	snprintf(path, sizeof(path), "/proc/%u/status", tid);
	if (!rs_read_file(path, &text, &len) && !rs_parse_status(text, &st))
		tgid = st.tgid;
	free(text);
	return tgid;
}

/* Every thread of a process, from /proc/TGID/task. A process that is gone adds nothing. */
static int add_process(struct rs_pthread_refs *r, uint32_t tgid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int e = 0;

	snprintf(path, sizeof(path), "/proc/%u/task", tgid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT || errno == ESRCH ? 0 : -errno;
	while (!e && (de = readdir(d))) {
		char *end;
		unsigned long tid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && !*end)
			e = add_ref(r, tgid, (uint32_t)tid, 0);
	}
	closedir(d);
	return e;
}

/* The threads of a cgroup v2 directory and of every cgroup below it. */
static int add_cgroup(struct rs_pthread_refs *r, int dirfd, int depth)
{
	struct dirent *de;
	struct stat sb;
	char line[32];
	DIR *d;
	FILE *f;
	int fd, e = 0;

	if (fstat(dirfd, &sb))
		return -errno;
	fd = openat(dirfd, "cgroup.threads", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (f = fdopen(fd, "re"))) {
		while (!e && fgets(line, sizeof(line), f)) {
			uint32_t tid = (uint32_t)strtoul(line, NULL, 10), tgid;

			/* 0: a thread of another PID namespace than ours */
			if (tid && (tgid = tgid_of(tid)))
				e = add_ref(r, tgid, tid, (uint64_t)sb.st_ino);
		}
		fclose(f);
	} else if (fd >= 0) {
		close(fd);
	}
	if (e || depth >= RS_CGROUP_DEPTH_MAX)
		return e;
	fd = dup(dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (!e && (de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		e = add_cgroup(r, sub, depth + 1);
		close(sub);
	}
	closedir(d);
	return e;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct rs_pthread_ref *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

int rs_procfs_list(const struct rs_resolved *t, struct rs_pthread_refs *r, char *err, size_t errlen)
{
	size_t w = 0;
	int e = 0;

	if (t->cgroup.id) {
		int fd = open(t->cgroup.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			e = -errno;
			snprintf(err, errlen, "cannot open cgroup '%s': %s", t->cgroup.path,
				 strerror(-e));
			return e;
		}
		e = add_cgroup(r, fd, 0);
		close(fd);
	} else if (t->n_tids) {
		for (size_t i = 0; !e && i < t->n_tids; i++) {
			uint32_t tgid = tgid_of(t->tids[i]);

			if (tgid)
				e = add_ref(r, tgid, t->tids[i], 0);
		}
	} else {
		for (size_t i = 0; !e && i < t->n_tgids; i++)
			e = add_process(r, t->tgids[i]);
	}
	if (e) {
		snprintf(err, errlen, "cannot list the target's threads: %s", strerror(-e));
		return e;
	}
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_ref);
	for (size_t i = 0; i < r->n; i++)
		if (!w || r->v[i].tid != r->v[w - 1].tid)
			r->v[w++] = r->v[i];
	r->n = w;
	return 0;
}
