/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_CGROUP_H
#define RS_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Paths are injectable so tests can run against fixture trees. NULL = the real default. */
struct rs_cgroup_env {
	const char *mountinfo;	   /* default "/proc/self/mountinfo" */
	const char *cgroup_root;   /* default: the cgroup2 mount found in mountinfo */
	const char *pod_logs_dir;  /* default "/var/log/pods" (<ns>_<name>_<uid>) */
	const char *kubelet_pods_dir; /* default "/var/lib/kubelet/pods" (<uid>) */
};

struct rs_cgroup {
	char *path;	/* absolute filesystem path of the cgroup directory */
	char *rel;	/* path relative to the cgroup2 mount, starting with "/" */
	uint64_t id;	/* cgroup id (kernfs inode number) */
	uint32_t level;	/* depth below the root cgroup (root = 0) */
};

/* Finds the cgroup2 mount point in a mountinfo file. *out is malloc'd; untouched on failure. */
int rs_cgroup2_mount(const char *mountinfo, char **out);

/*
 * Resolves SPEC (cgroup path, pod UID, [namespace/]pod name, container id or
 * unique prefix) to one cgroup. Returns 0; -ENOENT when nothing matches;
 * -ENOTUNIQ when several do (candidates listed in err); other -errno.
 * err always holds a one-line message naming cause and fix on failure.
 */
int rs_cgroup_resolve(const struct rs_cgroup_env *env, const char *spec, struct rs_cgroup *out,
		      char *err, size_t errlen);
void rs_cgroup_clear(struct rs_cgroup *cg);

/* Path (relative to the mount, "/..." ) of the cgroup v2 of a pid, from PROC/PID/cgroup. */
int rs_cgroup_of_pid(const char *proc_root, uint32_t pid, char **out);

#endif
