// SPDX-License-Identifier: GPL-2.0
/*
 * Kubernetes names of a cgroup (target.h): pod UID and container ID read
 * from the path kubelet and the runtime gave it, namespace, pod and
 * container names from kubelet's log directories on the node. Used to label
 * pushed profiles; nothing here decides what is sampled.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/target.h"
#include "target/target_priv.h"

/* The pod UID in one path component: "pod<uid>" or "…-pod<uid with '_'>.slice". */
static bool pod_uid_of(const char *comp, size_t n, char uid[RS_POD_UID_LEN + 1])
{
	char buf[RS_POD_UID_LEN + 1];
	const char *end = comp + n;

	if (n > 6 && !strncmp(end - 6, ".slice", 6))
		end -= 6;
	if (end - comp < RS_POD_UID_LEN + 3)
		return false;
	if (strncmp(end - RS_POD_UID_LEN - 3, "pod", 3))
		return false;
	memcpy(buf, end - RS_POD_UID_LEN, RS_POD_UID_LEN);
	buf[RS_POD_UID_LEN] = '\0';
	return rs_is_pod_uid(buf, uid);
}

/* The container's name from dir/<pod>_<ns>_<name>-<id>.log. */
static void container_name(const char *dir, const struct rs_k8s_meta *m, char *out, size_t len)
{
	char prefix[600], suffix[80];
	size_t pl, sl;
	struct dirent *de;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "%s_%s_", m->pod, m->ns);
	snprintf(suffix, sizeof(suffix), "-%s.log", m->container_id);
	pl = strlen(prefix);
	sl = strlen(suffix);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > pl + sl && !strncmp(de->d_name, prefix, pl) &&
		    !strcmp(de->d_name + n - sl, suffix)) {
			snprintf(out, len, "%.*s", (int)(n - pl - sl), de->d_name + pl);
			break;
		}
	}
	closedir(d);
}

void rs_k8s_meta_of(const struct rs_cgroup_env *env, const char *rel, struct rs_k8s_meta *out)
{
	const char *logs = env && env->pod_logs_dir ? env->pod_logs_dir : "/var/log/pods";
	const char *clogs =
	    env && env->container_logs_dir ? env->container_logs_dir : "/var/log/containers";
	struct rs_podref *pods = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	for (const char *p = rel; p && *p;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char comp[512], uid[RS_POD_UID_LEN + 1];
		const char *id;

		if (len && len < sizeof(comp)) {
			memcpy(comp, p, len);
			comp[len] = '\0';
			if (pod_uid_of(comp, len, uid))
				snprintf(out->pod_uid, sizeof(out->pod_uid), "%s", uid);
			else if (out->pod_uid[0] && (id = rs_container_id_of(comp)))
				snprintf(out->container_id, sizeof(out->container_id), "%s", id);
		}
		p = slash ? slash + 1 : NULL;
	}
	if (!out->pod_uid[0] || rs_find_pods_by_name(logs, NULL, NULL, &pods, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pods[i].uid, out->pod_uid))
			continue;
		snprintf(out->ns, sizeof(out->ns), "%s", pods[i].ns);
		snprintf(out->pod, sizeof(out->pod), "%s", pods[i].name);
		break;
	}
	rs_podrefs_free(pods, n);
	if (out->pod[0] && out->container_id[0])
		container_name(clogs, out, out->container, sizeof(out->container));
}
