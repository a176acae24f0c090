/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Targets (target.h): what the command line names (--pid, --tid, --cgroup
 * SPEC) turned into what the capture filters on. --cgroup SPEC is a cgroup v2
 * path, a pod UID, a [namespace/]pod name or a container ID (cgroup.c), found
 * in the cgroup v2 tree and kubelet's pod directories (cgroup_find.c) from
 * the kernel's own views (cgroup_procfs.c); resolve.c checks pids and tids.
 */
#ifndef RS_TARGET_H
#define RS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the command line asked for. */
enum rs_target_kind { RS_TARGET_NONE = 0, RS_TARGET_PID, RS_TARGET_TID, RS_TARGET_CGROUP };

struct rs_target {
	enum rs_target_kind kind;
	uint32_t *pids; /* RS_TARGET_PID: n_pids entries; RS_TARGET_TID: one entry */
	size_t n_pids;
	char *cgroup_spec; /* RS_TARGET_CGROUP */
};

/* ---- cgroups (cgroup.c, cgroup_procfs.c) ---- */

/* Paths are injectable so tests can run against fixture trees. NULL = the real default. */
struct rs_cgroup_env {
	const char *mountinfo;	      /* default "/proc/self/mountinfo" */
	const char *cgroup_root;      /* default: the cgroup2 mount found in mountinfo */
	const char *pod_logs_dir;     /* default "/var/log/pods" (<ns>_<name>_<uid>) */
	const char *kubelet_pods_dir; /* default "/var/lib/kubelet/pods" (<uid>) */
	/* default "/var/log/containers" (<pod>_<ns>_<container>-<id>.log) */
	const char *container_logs_dir;
};

struct rs_cgroup {
	char *path;	/* absolute filesystem path of the cgroup directory */
	char *rel;	/* path relative to the cgroup2 mount, starting with "/" */
	uint64_t id;	/* cgroup id (kernfs inode number) */
	uint32_t level; /* depth below the root cgroup (root = 0) */
};

/*
 * Finds the cgroup2 mount point in a mountinfo file (octal escapes such as
 * \040 decoded); a mount of the whole hierarchy (root field "/") is preferred
 * over a bind mount of a subtree. Returns 0, -ENOENT when the file is missing
 * or lists no cgroup2 mount, other -errno. *out is malloc'd; untouched on failure.
 */
int rs_cgroup2_mount(const char *mountinfo, char **out);

/*
 * Resolves SPEC to one cgroup. Forms, tried in this order; the first that
 * finds anything decides, one that finds nothing passes SPEC on:
 *  1. a path: "/…" is always a path, absolute on the filesystem when it lies
 *     in the mount, else relative to the mount; "a/b" is a path when that
 *     directory exists under the mount. Must be a directory inside the mount.
 *  2. a pod UID (8-4-4-4-12 hex, '-' or '_'): "…pod<uid_>.slice" or "pod<uid>".
 *  3. "[namespace/]name": kubelet's <pod_logs_dir>/<ns>_<name>_<uid>, then 2.
 *  4. a container ID, or a prefix of at least 6 hex digits, optionally as
 *     "containerd://…": "<runtime>-<id>.scope", "<runtime>-<id>", "<id>".
 * Returns 0; -ENOENT when nothing matches; -ENOTUNIQ when several do
 * (candidates listed in err); -EINVAL for an empty SPEC or a path outside the
 * mount; -ENOTDIR; -EACCES when an unreadable directory may hide the match;
 * other -errno. env may be NULL (all defaults). On success *out owns its
 * strings (rs_cgroup_clear); on failure *out is untouched and err holds a
 * one-line message naming cause and fix (err may be NULL; a message longer
 * than errlen is cut short; 1024 bytes hold four Kubernetes container paths).
 */
int rs_cgroup_resolve(const struct rs_cgroup_env *env, const char *spec, struct rs_cgroup *out,
		      char *err, size_t errlen);
/* Frees the strings of cg and zeroes it; cg may be NULL. */
void rs_cgroup_clear(struct rs_cgroup *cg);

/*
 * Path (relative to the mount, "/..." ) of the cgroup v2 of a pid, from the
 * "0::" line of PROC/PID/cgroup; proc_root NULL means "/proc". Returns 0,
 * -ESRCH when the process is gone, -ENOENT when it has no cgroup v2 line,
 * other -errno. *out is malloc'd; untouched on failure.
 */
int rs_cgroup_of_pid(const char *proc_root, uint32_t pid, char **out);

/* ---- --host-root: the node's views under a directory (hostroot.c) ---- */

/* An rs_cgroup_env for the node's / seen at a directory, with the strings it points to. */
struct rs_host_env {
	struct rs_cgroup_env env; /* all NULL (the defaults) without a root */
	char *cgroup_root, *pod_logs, *kubelet_pods, *container_logs;
};

/*
 * root NULL: the defaults. Else the cgroup2 mount at ROOT/sys/fs/cgroup (or
 * .../unified on a hybrid node) and kubelet's ROOT/var/log/pods,
 * ROOT/var/lib/kubelet/pods and ROOT/var/log/containers. Returns 0, or
 * -ENOENT (no cgroup2 mount there) or -ENOMEM with one line in err; *h owns
 * its strings (rs_host_env_clear) and holds nothing on failure.
 */
int rs_host_env_init(struct rs_host_env *h, const char *root, char *err, size_t errlen);
/* Frees what h owns and zeroes it. Accepts NULL. */
void rs_host_env_clear(struct rs_host_env *h);

/* ---- Kubernetes names of a cgroup (podmeta.c) ---- */

/* What a cgroup's path and kubelet's log directories say about it; "" when unknown. */
struct rs_k8s_meta {
	char pod_uid[40];
	char ns[256], pod[256];
	char container[256];   /* the container's name */
	char container_id[65]; /* full ID, lowercase hex */
};

/*
 * Fills *out for the cgroup at rel (relative to the cgroup2 mount): the pod
 * UID from a "pod<uid>" or "…-pod<uid_>.slice" component, the container ID
 * from the innermost container cgroup (when rel is a container's), the
 * namespace and pod name from env's pod_logs_dir/<ns>_<name>_<uid>, the
 * container's name from container_logs_dir/<pod>_<ns>_<name>-<id>.log.
 * What cannot be found stays "". env may be NULL (the defaults).
 */
void rs_k8s_meta_of(const struct rs_cgroup_env *env, const char *rel, struct rs_k8s_meta *out);

/* ---- resolution (resolve.c) ---- */

struct rs_resolved {
	uint32_t *tgids; /* --pid */
	size_t n_tgids;
	uint32_t *tids; /* --tid */
	size_t n_tids;
	struct rs_cgroup cgroup; /* --cgroup: id != 0 */
	size_t expect_threads;	 /* how many threads the target has now (sizing hint) */
	char *desc;		 /* "pid 42", "cgroup /kubepods/…" */
};

/*
 * Checks that the target exists and resolves it. proc_root is "/proc"; env
 * may be NULL. Returns 0, or -ESRCH (no such process/thread), -ENOENT /
 * -ENOTUNIQ (cgroup spec) or another -errno, with a one-line message naming
 * cause and fix in err. *out is filled only on success.
 */
int rs_target_resolve(const struct rs_target *t, const char *proc_root,
		      const struct rs_cgroup_env *env, struct rs_resolved *out, char *err,
		      size_t errlen);
void rs_resolved_clear(struct rs_resolved *r);

#endif
