// SPDX-License-Identifier: GPL-2.0
/*
 * --host-root DIR (target.h): the node's views where a container sees them
 * under DIR (kubectl debug node mounts the node's / at /host; the
 * DaemonSet mounts the node's /sys/fs/cgroup and kubelet's log
 * directories there). A container with a cgroup namespace of its own sees
 * only its own subtree at /sys/fs/cgroup and no kubelet directories; the
 * node's cgroup2 mount under DIR shows the whole tree, and the BPF
 * filters go by cgroup id, which no namespace changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "target/target.h"

static bool is_cgroup2(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int rs_host_env_init(struct rs_host_env *h, const char *root, char *err, size_t errlen)
{
	static const char *const cg[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	size_t n;

	memset(h, 0, sizeof(*h));
	if (!root)
		return 0;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	for (size_t i = 0; i < 2 && !h->env.cgroup_root; i++) {
		if (asprintf(&h->cgroup_root, "%.*s%s", (int)n, root, cg[i]) < 0)
			goto nomem;
		if (is_cgroup2(h->cgroup_root))
			h->env.cgroup_root = h->cgroup_root;
		else {
			free(h->cgroup_root);
			h->cgroup_root = NULL;
		}
	}
	if (!h->env.cgroup_root) {
		snprintf(
		    err, errlen,
		    "--host-root '%.*s': no cgroup2 mount at '%.*s/sys/fs/cgroup' (or .../unified): mount the node's /sys/fs/cgroup there",
		    (int)n, root, (int)n, root);
		return -ENOENT;
	}
	if (asprintf(&h->pod_logs, "%.*s/var/log/pods", (int)n, root) < 0 ||
	    asprintf(&h->kubelet_pods, "%.*s/var/lib/kubelet/pods", (int)n, root) < 0 ||
	    asprintf(&h->container_logs, "%.*s/var/log/containers", (int)n, root) < 0)
		goto nomem;
	h->env.pod_logs_dir = h->pod_logs;
	h->env.kubelet_pods_dir = h->kubelet_pods;
	h->env.container_logs_dir = h->container_logs;
	return 0;
nomem:
	rs_host_env_clear(h);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void rs_host_env_clear(struct rs_host_env *h)
{
	if (!h)
		return;
	free(h->cgroup_root);
	free(h->pod_logs);
	free(h->kubelet_pods);
	free(h->container_logs);
	memset(h, 0, sizeof(*h));
}
