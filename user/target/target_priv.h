/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of target/ (cgroup.c and cgroup_find.c), not a public interface: the shapes of pod
 * UIDs, pod names and container IDs, the search of a cgroup v2 tree for pod and container cgroups,
 * and the search of kubelet's pod log directories.
 */
#ifndef RS_TARGET_PRIV_H
#define RS_TARGET_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#define RS_POD_UID_LEN 36 /* 8-4-4-4-12 hex digits */
#define RS_CID_LEN     64 /* full container ID, hex */
#define RS_CID_MIN     6  /* shortest container ID prefix accepted */

/* One cgroup found by a search. */
struct rs_cgitem {
	char *rel;  /* path relative to the searched root ("/a/b") */
	size_t key; /* index of the pod UID that matched (0 for containers) */
};

/* Cgroups found by a search. */
struct rs_cgfound {
	struct rs_cgitem *v; /* sorted by rel */
	size_t n;
	int denied;	   /* -errno of the first directory that could not be opened, or 0 */
	char *denied_path; /* that directory, absolute; it and its subtree were skipped */
};

void rs_cgfound_clear(struct rs_cgfound *f);

/* A pod found through kubelet's log directory <pod_logs_dir>/<ns>_<name>_<uid>. */
struct rs_podref {
	char *ns, *name;
	char uid[RS_POD_UID_LEN + 1];
};

/*
 * True when s is a pod UID: 36 characters, hex digits in 8-4-4-4-12 groups
 * separated by '-' or '_' (the systemd driver's spelling), any case. With a
 * non-NULL uid, the canonical form (lowercase, dashes) is written to it.
 */
bool rs_is_pod_uid(const char *s, char uid[RS_POD_UID_LEN + 1]);

/* True when s is "[namespace/]name": a DNS-1123 label, '/', a DNS-1123 subdomain. */
bool rs_is_pod_name(const char *s);

/*
 * True when s is a container ID or prefix: RS_CID_MIN to RS_CID_LEN hex
 * digits, optionally after a "<runtime>://" scheme as in a pod's status
 * (containerd://, cri-o://, docker://). The digits, lowercased, go to id.
 */
bool rs_is_container_id(const char *s, char id[RS_CID_LEN + 1]);

/*
 * Searches the cgroup tree at root for the cgroups of pods with these UIDs
 * (canonical form): "…pod<uid with '_'>.slice" (systemd driver) and
 * "pod<uid>" (cgroupfs driver). Symlinks are not followed and unreadable
 * directories are skipped (noted in denied). Returns 0 or -errno; *out is
 * filled on success only and owned by the caller (rs_cgfound_clear).
 */
int rs_find_pod_cgroups(const char *root, char *const *uids, size_t n_uids, struct rs_cgfound *out);

/*
 * The container ID in a cgroup directory's name ("<runtime>-<id>.scope",
 * "<runtime>-<id>", "<id>"; 64 lowercase hex digits), pointing into name, or
 * NULL (not a container, or a runtime's "…-conmon-<id>" monitor).
 */
const char *rs_container_id_of(const char *name);

/*
 * Searches the cgroup tree at root for containers whose ID starts with prefix
 * (lowercase hex): "<runtime>-<id>.scope", "<runtime>-<id>" and "<id>". CRI-O's
 * and podman's "…-conmon-<id>" monitor cgroups are not containers and never match.
 * Same contract as rs_find_pod_cgroups().
 */
int rs_find_container_cgroups(const char *root, const char *prefix, struct rs_cgfound *out);

/*
 * Lists pods called name (any name when NULL) in namespace ns (any namespace when ns is NULL)
 * from dir/<ns>_<name>_<uid>, sorted by namespace then UID. A missing dir is
 * no pods (0, *n = 0). Returns 0 or -errno; *out and *n are set on success only;
 * free with rs_podrefs_free().
 */
int rs_find_pods_by_name(const char *dir, const char *ns, const char *name, struct rs_podref **out,
			 size_t *n);
void rs_podrefs_free(struct rs_podref *v, size_t n);

#endif
