// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target/target.h"

/* Reads "Key:\t<number>" from PROC/ID/status. */
static int status_field(const char *proc_root, uint32_t id, const char *key, long *val)
{
	char path[256], line[256];
	size_t klen = strlen(key);
	int e = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/status", proc_root, id);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			*val = strtol(line + klen + 1, NULL, 10);
			e = 0;
			break;
		}
	}
	fclose(f);
	return e;
}

/* Threads now in a cgroup subtree: the lines of every cgroup.threads below it. */
static size_t count_cgroup_threads(const char *dir, int depth)
{
	char path[4096];
	size_t n = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;
	int c;

	snprintf(path, sizeof(path), "%s/cgroup.threads", dir);
	f = fopen(path, "re");
	if (f) {
		while ((c = getc(f)) != EOF)
			n += c == '\n';
		fclose(f);
	}
	if (depth > 64)
		return n;
	d = opendir(dir);
	if (!d)
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n += count_cgroup_threads(path, depth + 1);
	}
	closedir(d);
	return n;
}

static int resolve_ids(const struct rs_target *t, const char *proc_root, struct rs_resolved *r,
		       char *err, size_t errlen)
{
	bool tid = t->kind == RS_TARGET_TID;
	size_t off = 0;
	long v;
	int e;

	r->desc = calloc(1, 32 + t->n_pids * 12);
	if (!r->desc)
		return -ENOMEM;
	off += sprintf(r->desc, "%s ", tid ? "tid" : t->n_pids > 1 ? "pids" : "pid");
	for (size_t i = 0; i < t->n_pids; i++) {
		uint32_t id = t->pids[i];

		e = status_field(proc_root, id, "Tgid", &v);
		if (!e && !tid && (uint32_t)v != id) {
			snprintf(
			    err, errlen,
			    "%u is a thread of process %ld, not a process: use --tid %u or --pid %ld",
			    id, v, id, v);
			return -ESRCH;
		}
		if (e == -ENOENT || e == -ESRCH) {
			snprintf(
			    err, errlen,
			    "no process with %s %u (it may have exited): check it with 'ps -eLf'",
			    tid ? "TID" : "PID", id);
			return -ESRCH;
		}
		if (e) {
			snprintf(err, errlen, "cannot read '%s/%u/status': %s", proc_root, id,
				 strerror(-e));
			return e;
		}
		if (!tid && !status_field(proc_root, id, "Threads", &v))
			r->expect_threads += (size_t)v;
		off += sprintf(r->desc + off, "%s%u", i ? "," : "", id);
	}
	if (tid) {
		r->tids = malloc(t->n_pids * sizeof(*r->tids));
		if (!r->tids)
			return -ENOMEM;
		memcpy(r->tids, t->pids, t->n_pids * sizeof(*r->tids));
		r->n_tids = t->n_pids;
		r->expect_threads = t->n_pids;
	} else {
		r->tgids = malloc(t->n_pids * sizeof(*r->tgids));
		if (!r->tgids)
			return -ENOMEM;
		memcpy(r->tgids, t->pids, t->n_pids * sizeof(*r->tgids));
		r->n_tgids = t->n_pids;
	}
	return 0;
}

int rs_target_resolve(const struct rs_target *t, const char *proc_root,
		      const struct rs_cgroup_env *env, struct rs_resolved *out, char *err,
		      size_t errlen)
{
	struct rs_cgroup_env none = { 0 };
	struct rs_resolved r = { 0 };
	int e;

	switch (t->kind) {
	case RS_TARGET_PID:
	case RS_TARGET_TID:
		e = resolve_ids(t, proc_root, &r, err, errlen);
		break;
	case RS_TARGET_CGROUP:
		e = rs_cgroup_resolve(env ? env : &none, t->cgroup_spec, &r.cgroup, err, errlen);
		if (e)
			break;
		r.expect_threads = count_cgroup_threads(r.cgroup.path, 0);
		if (asprintf(&r.desc, "cgroup %s", r.cgroup.rel) < 0) {
			r.desc = NULL;
			e = -ENOMEM;
		}
		break;
	default:
		snprintf(err, errlen, "no target: give --pid, --tid or --cgroup");
		e = -EINVAL;
	}
	if (e) {
		if (e == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		rs_resolved_clear(&r);
		return e;
	}
	*out = r;
	return 0;
}

void rs_resolved_clear(struct rs_resolved *r)
{
	if (!r)
		return;
	free(r->tgids);
	free(r->tids);
	free(r->desc);
	rs_cgroup_clear(&r->cgroup);
	memset(r, 0, sizeof(*r));
}
