// SPDX-License-Identifier: GPL-2.0
/*
 * Target resolution for --cgroup SPEC (target.h): the cgroup2 mount from
 * mountinfo, then SPEC as a cgroup path, a pod UID, a [namespace/]pod name or
 * a container ID, tried in that order. The first form that finds anything
 * decides; the searches themselves live in cgroup_find.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/lib.h"
#include "target/target.h"
#include "target/target_priv.h"

#define NEXT	       1 /* this form found nothing: try the next one */
#define MAX_CANDIDATES 4 /* candidates listed in an ambiguity message */
#define SPEC_HINT                                                                                  \
	"give a cgroup path, pod UID, [namespace/]pod name or container ID (6+ hex digits)"

struct ctx {
	const char *spec;
	char *root;	   /* canonical path of the cgroup2 mount */
	const char *logs;  /* kubelet's pod log directory */
	const char *kpods; /* kubelet's pod directory */
	int denied; /* first unreadable directory seen (-errno), reported if nothing matches */
	char *denied_path;
	char *err;
	size_t errlen, pos;
};

static void __attribute__((format(printf, 2, 3))) msg(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || c->pos >= c->errlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->err + c->pos, c->errlen - c->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->pos = c->pos + n < c->errlen ? c->pos + n : c->errlen;
}

/* "cannot read '<path>': <cause>", with a hint when privileges are the cause. */
static int msg_unreadable(struct ctx *c, const char *path, int err)
{
	msg(c, "cannot read '%s': %s", path, strerror(-err));
	if (err == -EACCES || err == -EPERM) {
		msg(c, geteuid() ? " (run as root)"
				 : " (denied even to root: a security module or a user namespace)");
		return -EACCES;
	}
	return err;
}

static void note_denied(struct ctx *c, struct rs_cgfound *f)
{
	if (!f->denied || c->denied)
		return;
	c->denied = f->denied;
	c->denied_path = f->denied_path;
	f->denied_path = NULL;
}

static void msg_candidates(struct ctx *c, const struct rs_cgfound *f)
{
	for (size_t i = 0; i < f->n && i < MAX_CANDIDATES; i++)
		msg(c, "%s'%s'", i ? ", " : "", f->v[i].rel);
	if (f->n > MAX_CANDIDATES)
		msg(c, " and %zu more", f->n - MAX_CANDIDATES);
}

void rs_cgroup_clear(struct rs_cgroup *cg)
{
	if (!cg)
		return;
	free(cg->path);
	free(cg->rel);
	cg->path = cg->rel = NULL;
	cg->id = 0;
	cg->level = 0;
}

static int find_root(struct ctx *c, const struct rs_cgroup_env *env)
{
	const char *mi = env->mountinfo ? env->mountinfo : "/proc/self/mountinfo";
	char *mnt = NULL;
	int err = 0;

	if (env->cgroup_root) {
		mnt = strdup(env->cgroup_root);
		if (!mnt)
			return -ENOMEM;
	} else {
		err = rs_cgroup2_mount(mi, &mnt);
		if (err == -ENOENT && access(mi, R_OK) == 0)
			msg(c,
			    "no cgroup2 mount in '%s': rsample needs cgroup v2 (unified or hybrid hierarchy)",
			    mi);
		else if (err)
			err = msg_unreadable(c, mi, err);
		if (err)
			return err;
	}
	c->root = realpath(mnt, NULL);
	if (!c->root) {
		err = -errno;
		msg(c, "cannot open cgroup2 mount '%s': %s", mnt, strerror(errno));
		if (err == -EACCES)
			msg(c, " (run as root)");
	}
	free(mnt);
	return err;
}

/* Whether path is root or below it (both canonical). */
static bool is_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == '/' || !path[n]);
}

/*
 * Form 1: a directory inside the mount, given as an absolute filesystem path
 * or relative to the mount. A SPEC starting with '/' is always a path: if it is
 * not a cgroup, that is the error. A relative SPEC that names no directory
 * falls through to the other forms.
 */
static int by_path(struct ctx *c, char **rel)
{
	const char *spec = c->spec;
	bool slash = spec[0] == '/';
	char *cand = NULL, *real = NULL, *outside = NULL;
	struct stat st;
	size_t rl;
	int err = 0;

	if (slash) {
		outside = realpath(spec, NULL);
		if (outside && is_under(outside, c->root)) {
			real = outside;
			outside = NULL;
		}
	}
	if (!real) {
		/* By the text first: "a/missing/../b" is "a/b", as cgroupfs has no symlinks. */
		cand = strdup(spec);
		if (cand) {
			rs_path_clean(cand);
			/* written under the mount, taken out of it by "..": no second reading */
			if (slash && !is_under(cand, c->root) && is_under(spec, c->root))
				goto outside;
			if (!slash || !is_under(cand, c->root)) {
				char *joined = NULL;

				if (asprintf(&joined, "%s/%s", c->root, spec + slash) < 0)
					joined = NULL;
				free(cand);
				cand = joined;
				if (cand)
					rs_path_clean(cand);
			}
		}
		if (!cand) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (!is_under(cand, c->root))
			goto outside;
		real = realpath(cand, NULL);
	}
	if (!real) {
		err = -errno;
		if (err == -ENOMEM) {
			goto cleanup;
		} else if (!slash) {
			if ((err == -EACCES || err == -EPERM) && !c->denied) {
				c->denied = err;
				c->denied_path = cand;
				cand = NULL;
			}
			err = NEXT;
		} else if (outside) {
			goto outside;
		} else {
			msg(c, "cannot open cgroup '%s': %s", cand, strerror(-err));
			if (err == -EACCES)
				msg(c, " (run as root)");
		}
		goto cleanup;
	}
	if (!is_under(real, c->root))
		goto outside;
	if (stat(real, &st) || !S_ISDIR(st.st_mode)) {
		err = slash ? -ENOTDIR : NEXT;
		if (slash)
			msg(c, "cgroup '%s' is not a directory", real);
		goto cleanup;
	}
	rl = strcmp(c->root, "/") ? strlen(c->root) : 0;
	*rel = strdup(real[rl] ? real + rl : "/");
	err = *rel ? 0 : -ENOMEM;
	goto cleanup;
outside:
	err = -EINVAL;
	msg(c, "'%s' is outside the cgroup2 mount '%s': give a path under it or relative to it",
	    spec, c->root);
cleanup:
	free(outside);
	free(real);
	free(cand);
	return err;
}

static int take_single(struct rs_cgfound *f, char **rel)
{
	*rel = f->v[0].rel;
	f->v[0].rel = NULL;
	return 0;
}

/* Form 2: a pod UID, searched for in the whole tree. */
static int by_pod_uid(struct ctx *c, char **rel)
{
	char uid[RS_POD_UID_LEN + 1], *uids[] = { uid }, *kdir = NULL;
	struct rs_cgfound f = { 0 };
	int err;

	if (!rs_is_pod_uid(c->spec, uid))
		return NEXT;
	err = rs_find_pod_cgroups(c->root, uids, 1, &f);
	if (err)
		return msg_unreadable(c, c->root, err);
	note_denied(c, &f);
	if (f.n == 1) {
		err = take_single(&f, rel);
	} else if (f.n > 1) {
		err = -ENOTUNIQ;
		msg(c, "pod UID '%s' matches %zu cgroups: ", uid, f.n);
		msg_candidates(c, &f);
		msg(c, ": give the cgroup path");
	} else if (asprintf(&kdir, "%s/%s", c->kpods, uid) < 0) {
		kdir = NULL;
		err = -ENOMEM;
	} else if (access(kdir, F_OK) == 0) {
		err = -ENOENT;
		msg(c,
		    "pod '%s' is known to kubelet ('%s') but has no cgroup under '%s': has it terminated?",
		    uid, kdir, c->root);
	} else {
		err = NEXT;
	}
	free(kdir);
	rs_cgfound_clear(&f);
	return err;
}

/* Form 3 when several cgroups matched: one pod with several cgroups, or several pods. */
static void msg_pods_ambiguous(struct ctx *c, const struct rs_podref *pods, size_t n,
			       const struct rs_cgfound *f)
{
	size_t shown = 0, live = 0;

	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < f->n && !found; j++)
			found = f->v[j].key == i;
		if (!found)
			continue;
		if (++live > MAX_CANDIDATES)
			continue;
		if (!shown++)
			msg(c, "pod name '%s' is ambiguous: ", c->spec);
		else
			msg(c, ", ");
		msg(c, "'%s/%s' (%s)", pods[i].ns, pods[i].name, pods[i].uid);
	}
	if (live == 1) {
		c->pos = 0;
		msg(c, "pod '%s' matches %zu cgroups: ", c->spec, f->n);
		msg_candidates(c, f);
		msg(c, ": give the cgroup path");
		return;
	}
	if (live > MAX_CANDIDATES)
		msg(c, " and %zu more", live - MAX_CANDIDATES);
	msg(c,
	    strchr(c->spec, '/') ? ": give the pod UID" : ": give namespace/name or the pod UID");
}

/* Form 3: [namespace/]name, through kubelet's pod log directories. */
static int by_pod_name(struct ctx *c, char **rel)
{
	const char *slash = strchr(c->spec, '/');
	struct rs_podref *pods = NULL;
	struct rs_cgfound f = { 0 };
	char *ns = NULL, **uids = NULL;
	size_t n = 0;
	int err;

	if (!rs_is_pod_name(c->spec))
		return NEXT;
	if (slash && !(ns = strndup(c->spec, slash - c->spec)))
		return -ENOMEM;
	err = rs_find_pods_by_name(c->logs, ns, slash ? slash + 1 : c->spec, &pods, &n);
	if (err == -EACCES || err == -EPERM) {
		if (!c->denied) {
			c->denied = err;
			c->denied_path = strdup(c->logs);
		}
		err = NEXT;
		goto cleanup;
	} else if (err) {
		err = msg_unreadable(c, c->logs, err);
		goto cleanup;
	} else if (!n) {
		err = NEXT;
		goto cleanup;
	}
	uids = calloc(n, sizeof(*uids));
	if (!uids) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		uids[i] = pods[i].uid;
	err = rs_find_pod_cgroups(c->root, uids, n, &f);
	if (err) {
		err = msg_unreadable(c, c->root, err);
		goto cleanup;
	}
	note_denied(c, &f);
	if (f.n == 1) {
		err = take_single(&f, rel);
	} else if (f.n > 1) {
		err = -ENOTUNIQ;
		msg_pods_ambiguous(c, pods, n, &f);
	} else if (c->denied) {
		err = NEXT; /* perhaps in what could not be read */
	} else {
		err = -ENOENT;
		msg(c, "pod '%s/%s' (%s%s) has no cgroup under '%s': is it running on this node?",
		    pods[0].ns, pods[0].name, pods[0].uid, n > 1 ? " and others" : "", c->root);
	}
cleanup:
	rs_cgfound_clear(&f);
	rs_podrefs_free(pods, n);
	free(uids);
	free(ns);
	return err;
}

/* Form 4: a container ID or a unique prefix of one. */
static int by_container(struct ctx *c, char **rel)
{
	char id[RS_CID_LEN + 1];
	struct rs_cgfound f = { 0 };
	int err;

	if (!rs_is_container_id(c->spec, id))
		return NEXT;
	err = rs_find_container_cgroups(c->root, id, &f);
	if (err)
		return msg_unreadable(c, c->root, err);
	note_denied(c, &f);
	if (f.n == 1) {
		err = take_single(&f, rel);
	} else if (f.n > 1) {
		err = -ENOTUNIQ;
		msg(c, "container ID '%s' is ambiguous: ", c->spec);
		msg_candidates(c, &f);
		msg(c, strlen(id) < RS_CID_LEN ? ": give more digits" : ": give the cgroup path");
	} else {
		err = NEXT;
	}
	rs_cgfound_clear(&f);
	return err;
}

static int fill(struct ctx *c, char *rel, struct rs_cgroup *out)
{
	bool is_root = !strcmp(rel, "/");
	struct stat st;
	char *path;
	uint32_t level = 0;

	if (is_root)
		path = strdup(c->root);
	else if (asprintf(&path, "%s%s", strcmp(c->root, "/") ? c->root : "", rel) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;
	if (stat(path, &st)) {
		int err = msg_unreadable(c, path, -errno);

		free(path);
		return err;
	}
	for (const char *p = rel; !is_root && *p; p++)
		level += *p == '/';
	/*
	 * The cgroup id the kernel reports (bpf_get_current_cgroup_id(), the
	 * kernfs node id) is the directory's inode number on 64-bit kernels;
	 * name_to_handle_at() on the directory would return the same 8 bytes.
	 */
	out->path = path;
	out->rel = rel;
	out->id = st.st_ino;
	out->level = level;
	return 0;
}

int rs_cgroup_resolve(const struct rs_cgroup_env *env, const char *spec, struct rs_cgroup *out,
		      char *err, size_t errlen)
{
	static const struct rs_cgroup_env defaults;
	struct ctx c = { .spec = spec, .err = err, .errlen = errlen };
	char *rel = NULL;
	int ret;

	if (!env)
		env = &defaults;
	if (err && errlen)
		err[0] = '\0';
	c.logs = env->pod_logs_dir ? env->pod_logs_dir : "/var/log/pods";
	c.kpods = env->kubelet_pods_dir ? env->kubelet_pods_dir : "/var/lib/kubelet/pods";
	if (!spec || !*spec) {
		msg(&c, "empty cgroup spec: %s", SPEC_HINT);
		return -EINVAL;
	}
	ret = find_root(&c, env);
	if (ret)
		goto cleanup;
	ret = by_path(&c, &rel);
	if (ret == NEXT)
		ret = by_pod_uid(&c, &rel);
	if (ret == NEXT)
		ret = by_pod_name(&c, &rel);
	if (ret == NEXT)
		ret = by_container(&c, &rel);
	if (ret == NEXT && c.denied) {
		c.pos = 0;
		ret = msg_unreadable(&c, c.denied_path ? c.denied_path : c.root, c.denied);
	} else if (ret == NEXT) {
		ret = -ENOENT;
		msg(&c, "no cgroup, pod or container matches '%s' (looked under '%s' and '%s'): %s",
		    spec, c.root, c.logs, SPEC_HINT);
	}
	if (!ret) {
		ret = fill(&c, rel, out);
		if (!ret) {
			rel = NULL;
			c.pos = 0;
			msg(&c, "%s", "");
		}
	}
cleanup:
	if (ret == -ENOMEM && c.err && c.errlen) {
		c.pos = 0;
		msg(&c, "cannot resolve '%s': %s", spec, strerror(ENOMEM));
	}
	free(rel);
	free(c.root);
	free(c.denied_path);
	return ret;
}
