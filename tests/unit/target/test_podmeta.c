// SPDX-License-Identifier: GPL-2.0
/* Unit tests for podmeta.c: Kubernetes names of a cgroup, from its path and kubelet's logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "target/target.h"

#define SD RS_FIXTURES "/cgroup/systemd"
#define FS RS_FIXTURES "/cgroup/cgroupfs"

#define CID_WEB "3f2a9c01566dc3daf89efe8872b8bc09d4a3b52cc1deae58dc5dbfb53e7ab4ea"
#define POD_WEB                                                                                    \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6a1f3c2e_9b4d_4e8a_8f1b_2c3d4e5f6a7b.slice"

static const struct rs_cgroup_env sd_env = {
	.pod_logs_dir = SD "/var/log/pods",
	.container_logs_dir = SD "/var/log/containers",
};

static void test_podmeta_systemd_container(void **state)
{
	struct rs_k8s_meta m;

	(void)state;
	rs_k8s_meta_of(&sd_env, POD_WEB "/cri-containerd-" CID_WEB ".scope", &m);
	assert_string_equal(m.pod_uid, "6a1f3c2e-9b4d-4e8a-8f1b-2c3d4e5f6a7b");
	assert_string_equal(m.ns, "default");
	assert_string_equal(m.pod, "web-0");
	assert_string_equal(m.container_id, CID_WEB);
	assert_string_equal(m.container, "app");
}

static void test_podmeta_pod_has_no_container(void **state)
{
	struct rs_k8s_meta m;

	(void)state;
	rs_k8s_meta_of(&sd_env, POD_WEB, &m);
	assert_string_equal(m.pod, "web-0");
	assert_string_equal(m.container_id, "");
	assert_string_equal(m.container, "");
}

static void test_podmeta_cgroupfs_driver(void **state)
{
	const struct rs_cgroup_env env = { .pod_logs_dir = FS "/var/log/pods",
					   .container_logs_dir = "/nonexistent" };
	struct rs_k8s_meta m;

	(void)state;
	rs_k8s_meta_of(&env, "/kubepods/burstable/pod5f5f5f5f-1234-4567-89ab-cdef01234567/" CID_WEB,
		       &m);
	assert_string_equal(m.ns, "default");
	assert_string_equal(m.pod, "batch-x");
	assert_string_equal(m.container_id, CID_WEB);
	assert_string_equal(m.container, ""); /* no log link: its name is unknown */
}

static void test_podmeta_not_a_pod(void **state)
{
	struct rs_k8s_meta m;

	(void)state;
	/* A container-looking name outside any pod is not taken for one. */
	rs_k8s_meta_of(&sd_env, "/system.slice/docker-" CID_WEB ".scope", &m);
	assert_string_equal(m.pod_uid, "");
	assert_string_equal(m.container_id, "");
	assert_string_equal(m.pod, "");
	/* A pod UID no log directory knows: the UID only. */
	rs_k8s_meta_of(&sd_env, "/kubepods/pod11111111-2222-4333-8444-555555555555", &m);
	assert_string_equal(m.pod_uid, "11111111-2222-4333-8444-555555555555");
	assert_string_equal(m.pod, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_podmeta_systemd_container),
		cmocka_unit_test(test_podmeta_pod_has_no_container),
		cmocka_unit_test(test_podmeta_cgroupfs_driver),
		cmocka_unit_test(test_podmeta_not_a_pod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
