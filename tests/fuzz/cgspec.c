// SPDX-License-Identifier: GPL-2.0
/*
 * --cgroup SPEC (target/cgroup.c, cgroup_find.c): the pod UID, pod name and
 * container ID recognisers, and the whole resolution against the fixture
 * trees of the unit tests (systemd and cgroupfs drivers; first byte picks).
 */
#include "fuzz.h"
#include "target/target.h"
#include "target/target_priv.h"

#define FIX RS_FIXTURES "/cgroup"

static const struct rs_cgroup_env envs[2] = {
	{
	    .mountinfo = "/nonexistent/mountinfo",
	    .cgroup_root = FIX "/systemd/sys/fs/cgroup",
	    .pod_logs_dir = FIX "/systemd/var/log/pods",
	    .kubelet_pods_dir = FIX "/systemd/var/lib/kubelet/pods",
	},
	{
	    .cgroup_root = FIX "/cgroupfs/sys/fs/cgroup",
	    .pod_logs_dir = FIX "/cgroupfs/var/log/pods",
	    .kubelet_pods_dir = FIX "/cgroupfs/var/lib/kubelet/pods",
	},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uid[RS_POD_UID_LEN + 1], id[RS_CID_LEN + 1], err[1024];
	struct rs_cgroup cg;
	char *s;

	if (!size)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	if (rs_is_pod_uid(s, uid) && strlen(uid) != RS_POD_UID_LEN)
		abort();
	rs_is_pod_name(s);
	if (rs_is_container_id(s, id) && strlen(id) > RS_CID_LEN)
		abort();
	if (!rs_cgroup_resolve(&envs[data[0] & 1], s, &cg, err, sizeof(err)))
		rs_cgroup_clear(&cg);
	else if (!err[0])
		abort(); /* every failure says why */
	free(s);
	return 0;
}
