// SPDX-License-Identifier: GPL-2.0
/* Unit tests for cgroup.c: mountinfo, PID/cgroup and --cgroup SPEC resolution. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "target/target.h"

#define FIX	RS_FIXTURES "/cgroup"
#define SD	FIX "/systemd"
#define SD_ROOT SD "/sys/fs/cgroup"
#define FS	FIX "/cgroupfs"
#define FS_ROOT FS "/sys/fs/cgroup"

#define UID_WEB	    "6a1f3c2e-9b4d-4e8a-8f1b-2c3d4e5f6a7b" /* default/web-0, burstable */
#define UID_STAGING "0b2e4d6f-1a3c-4b5d-9e7f-8a9b0c1d2e3f" /* staging/web-0, besteffort */
#define UID_DNS	    "c7d8e9f0-a1b2-4c3d-8e4f-5a6b7c8d9e0f" /* kube-system/coredns-…, guaranteed */
#define UID_API                                                                                    \
	"e1e1e1e1-7777-4888-9999-aaaabbbbcccc" /* default/api-0 (an older UID left a log dir) */
#define UID_GONE  "f00dbabe-0000-4000-8000-000000000001" /* kubelet dir, no cgroup */
#define UID_BATCH "5f5f5f5f-1234-4567-89ab-cdef01234567" /* cgroupfs driver */

#define POD_WEB                                                                                    \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6a1f3c2e_9b4d_4e8a_8f1b_2c3d4e5f6a7b.slice"
#define POD_STAGING                                                                                \
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b2e4d6f_1a3c_4b5d_9e7f_8a9b0c1d2e3f.slice"
#define POD_API                                                                                    \
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pode1e1e1e1_7777_4888_9999_aaaabbbbcccc.slice"
#define POD_DNS	  "/kubepods.slice/kubepods-podc7d8e9f0_a1b2_4c3d_8e4f_5a6b7c8d9e0f.slice"
#define POD_BATCH "/kubepods/burstable/pod" UID_BATCH

#define CID_WEB	    "3f2a9c01566dc3daf89efe8872b8bc09d4a3b52cc1deae58dc5dbfb53e7ab4ea"
#define CID_STAGING "3f2a9c77b85d0c565ca7beb66eea365ffce1e67cc7429e8855daeb89aaec0fa7"
#define CID_DNS	    "8c8ce516d7415be524a7fcec482ad2918f2b6ef2a7f4cb8e2e232b361436b20b"
#define CID_DOCKER  "9d0cc5b83fa61d8e3bd86ad42a7ffea9b7c86e3f9d8095c1577d3e1270bb9420"
#define CID_BATCH   "1a2b3c4d2bebfda861386067b903954583e398ee416146a7ed3fde691727000c"

static const struct rs_cgroup_env sd_env = {
	.mountinfo = "/nonexistent/mountinfo", /* cgroup_root wins: never read */
	.cgroup_root = SD_ROOT,
	.pod_logs_dir = SD "/var/log/pods",
	.kubelet_pods_dir = SD "/var/lib/kubelet/pods",
};

static const struct rs_cgroup_env fs_env = {
	.cgroup_root = FS_ROOT,
	.pod_logs_dir = FS "/var/log/pods",
	.kubelet_pods_dir = FS "/var/lib/kubelet/pods",
};

static char err[2048];

/* Resolves spec, expects success, checks rel against want and the other fields against the tree. */
static void expect_rel(const struct rs_cgroup_env *env, const char *spec, const char *want)
{
	struct rs_cgroup cg = { 0 };
	char path[PATH_MAX];
	struct stat st;
	uint32_t level = 0;
	int ret;

	ret = rs_cgroup_resolve(env, spec, &cg, err, sizeof(err));
	if (ret)
		fail_msg("'%s': %d: %s", spec, ret, err);
	assert_string_equal(cg.rel, want);
	assert_string_equal(err, "");
	snprintf(path, sizeof(path), "%s%s", env->cgroup_root, strcmp(want, "/") ? want : "");
	assert_string_equal(cg.path, path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(cg.id, st.st_ino);
	for (const char *p = want; strcmp(want, "/") && *p; p++)
		level += *p == '/';
	assert_int_equal(cg.level, level);
	rs_cgroup_clear(&cg);
}

/* Resolves spec, expects ret, checks err equals want (or contains it when !exact). */
static void expect_err(const struct rs_cgroup_env *env, const char *spec, int want_ret,
		       const char *want, bool exact)
{
	struct rs_cgroup cg = { .path = (char *)"untouched", .id = 42 };
	int ret;

	ret = rs_cgroup_resolve(env, spec, &cg, err, sizeof(err));
	if (ret != want_ret)
		fail_msg("'%s': got %d (%s), want %d", spec, ret, err, want_ret);
	assert_string_equal(cg.path, "untouched");
	assert_null(cg.rel);
	assert_int_equal(cg.id, 42);
	assert_null(strchr(err, '\n'));
	if (exact)
		assert_string_equal(err, want);
	else if (!strstr(err, want))
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, want);
}

static void expect_mount(const char *file, const char *want)
{
	char *mnt = NULL;

	assert_int_equal(rs_cgroup2_mount(file, &mnt), 0);
	assert_string_equal(mnt, want);
	free(mnt);
}

/* Found by fuzzing: "\000" decoded to a NUL gave an empty mount point. */
static void test_mount_nul_escape_kept(void **state)
{
	(void)state;
	expect_mount(FIX "/mountinfo/nul-escape", "\\0000000000uo11v2");
}

static void test_mount_hybrid(void **state)
{
	(void)state;
	expect_mount(FIX "/mountinfo/hybrid", "/sys/fs/cgroup/unified");
}

static void test_mount_unified(void **state)
{
	(void)state;
	expect_mount(FIX "/mountinfo/unified", "/sys/fs/cgroup");
}

static void test_mount_escaped_path_and_no_optional_fields(void **state)
{
	(void)state;
	/* The tmpfs whose source is "cgroup2" is a decoy: the fstype after " - " decides. */
	expect_mount(FIX "/mountinfo/escaped", "/run/my cgroup\tv2");
}

static void test_mount_prefers_whole_hierarchy(void **state)
{
	(void)state;
	expect_mount(FIX "/mountinfo/bind-first", "/host/sys/fs/cgroup");
}

static void test_mount_missing(void **state)
{
	char *mnt = (char *)"untouched";

	(void)state;
	assert_int_equal(rs_cgroup2_mount(FIX "/mountinfo/v1-only", &mnt), -ENOENT);
	assert_int_equal(rs_cgroup2_mount(FIX "/mountinfo/malformed", &mnt), -ENOENT);
	assert_int_equal(rs_cgroup2_mount(FIX "/mountinfo/nonexistent", &mnt), -ENOENT);
	assert_string_equal(mnt, "untouched");
}

static void test_mount_real_machine(void **state)
{
	struct statfs sfs;
	char *mnt = NULL;

	(void)state;
	assert_int_equal(rs_cgroup2_mount("/proc/self/mountinfo", &mnt), 0);
	assert_int_equal(statfs(mnt, &sfs), 0);
	assert_int_equal(sfs.f_type, 0x63677270); /* CGROUP2_SUPER_MAGIC */
	free(mnt);
}

static void test_resolve_real_root(void **state)
{
	struct rs_cgroup cg = { 0 };
	char *mnt = NULL, *real;
	struct stat st;

	(void)state;
	assert_int_equal(rs_cgroup2_mount("/proc/self/mountinfo", &mnt), 0);
	assert_int_equal(rs_cgroup_resolve(NULL, "/", &cg, err, sizeof(err)), 0);
	real = realpath(mnt, NULL);
	assert_non_null(real);
	assert_string_equal(cg.path, real);
	assert_string_equal(cg.rel, "/");
	assert_int_equal(cg.level, 0);
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(cg.id, st.st_ino);
	rs_cgroup_clear(&cg);
	free(real);
	free(mnt);
}

static void test_resolve_real_own_cgroup(void **state)
{
	struct rs_cgroup cg = { 0 };
	char *own = NULL;

	(void)state;
	assert_int_equal(rs_cgroup_of_pid("/proc", getpid(), &own), 0);
	assert_int_equal(rs_cgroup_resolve(NULL, own, &cg, err, sizeof(err)), 0);
	assert_string_equal(cg.rel, own);
	rs_cgroup_clear(&cg);
	free(own);
}

static void test_of_pid_fixtures(void **state)
{
	char *cg = (char *)"untouched";

	(void)state;
	assert_int_equal(rs_cgroup_of_pid(FIX "/proc", 100, &cg), 0);
	assert_string_equal(cg, POD_WEB "/cri-containerd-" CID_WEB ".scope");
	free(cg);
	cg = (char *)"untouched";
	assert_int_equal(rs_cgroup_of_pid(FIX "/proc", 102, &cg), 0);
	assert_string_equal(cg, "/");
	free(cg);
	cg = (char *)"untouched";
	assert_int_equal(rs_cgroup_of_pid(FIX "/proc", 101, &cg), -ENOENT); /* v1 only */
	assert_int_equal(rs_cgroup_of_pid(FIX "/proc", 999, &cg), -ESRCH);
	assert_string_equal(cg, "untouched");
}

static void test_clear_accepts_null_and_empty(void **state)
{
	struct rs_cgroup cg = { 0 };

	(void)state;
	rs_cgroup_clear(NULL);
	rs_cgroup_clear(&cg);
	rs_cgroup_clear(&cg);
}

static void test_resolve_absolute_path(void **state)
{
	(void)state;
	expect_rel(&sd_env, SD_ROOT "/kubepods.slice/kubepods-burstable.slice",
		   "/kubepods.slice/kubepods-burstable.slice");
	expect_rel(&sd_env, SD_ROOT "/system.slice/", "/system.slice");
	expect_rel(&sd_env, SD_ROOT, "/");
}

static void test_resolve_relative_path(void **state)
{
	(void)state;
	expect_rel(&sd_env, "/", "/");
	expect_rel(&sd_env, ".", "/");
	expect_rel(&sd_env, "/kubepods.slice/kubepods-besteffort.slice",
		   "/kubepods.slice/kubepods-besteffort.slice");
	expect_rel(&sd_env, "system.slice", "/system.slice");
	expect_rel(&sd_env, "system.slice/docker-" CID_DOCKER ".scope",
		   "/system.slice/docker-" CID_DOCKER ".scope");
	expect_rel(&fs_env, "kubepods/burstable", "/kubepods/burstable");
	/* ".." by the text, before the lookup: the component it cancels need not exist */
	expect_rel(&sd_env, "/no-such.slice/../system.slice", "/system.slice");
	expect_rel(&sd_env, SD_ROOT "/no-such.slice/../kubepods.slice/./", "/kubepods.slice");
	expect_rel(&sd_env, "kubepods.slice/x/y/../../kubepods-burstable.slice",
		   "/kubepods.slice/kubepods-burstable.slice");
	/* A symlink inside the mount is followed for a path, and rel is canonical. */
	expect_rel(&sd_env, "system.slice/kubepods-link", "/kubepods.slice");
}

static void test_resolve_path_outside_mount(void **state)
{
	(void)state;
	expect_err(&sd_env, FIX "/mountinfo", -EINVAL,
		   "'" FIX "/mountinfo' is outside the cgroup2 mount '" SD_ROOT
		   "': give a path under it or relative to it",
		   true);
	expect_err(&sd_env, "/kubepods.slice/../../..", -EINVAL, "is outside the cgroup2 mount",
		   false);
	expect_err(&sd_env, "../../../var", -EINVAL, "is outside the cgroup2 mount", false);
	/* out by the text, whatever exists there: said so, not "no such pod" */
	expect_err(&sd_env, "system.slice/../../no-such", -EINVAL,
		   "'system.slice/../../no-such' is outside the cgroup2 mount", false);
	expect_err(&sd_env, SD_ROOT "/../no-such", -EINVAL, "is outside the cgroup2 mount", false);
}

static void test_resolve_path_missing(void **state)
{
	(void)state;
	expect_err(&sd_env, "/kubepods.slice/nope", -ENOENT,
		   "cannot open cgroup '" SD_ROOT
		   "/kubepods.slice/nope': No such file or directory",
		   true);
	expect_err(&sd_env, SD_ROOT "/nope", -ENOENT, "cannot open cgroup '" SD_ROOT "/nope'",
		   false);
	expect_err(&sd_env, "/system.slice/cgroup.procs", -ENOTDIR, "is not a directory", false);
}

static void test_resolve_pod_uid_systemd(void **state)
{
	(void)state;
	expect_rel(&sd_env, UID_WEB, POD_WEB);	       /* burstable */
	expect_rel(&sd_env, UID_STAGING, POD_STAGING); /* besteffort */
	expect_rel(&sd_env, UID_DNS, POD_DNS);	       /* guaranteed, right under kubepods.slice */
	/* As written in the slice name, and upper case. */
	expect_rel(&sd_env, "6a1f3c2e_9b4d_4e8a_8f1b_2c3d4e5f6a7b", POD_WEB);
	expect_rel(&sd_env, "6A1F3C2E-9B4D-4E8A-8F1B-2C3D4E5F6A7B", POD_WEB);
}

static void test_resolve_pod_uid_cgroupfs(void **state)
{
	(void)state;
	expect_rel(&fs_env, UID_BATCH, POD_BATCH);
}

static void test_resolve_pod_uid_unknown(void **state)
{
	(void)state;
	expect_err(&sd_env, "00000000-0000-4000-8000-000000000000", -ENOENT,
		   "no cgroup, pod or container matches", false);
	expect_err(&sd_env, UID_GONE, -ENOENT,
		   "pod '" UID_GONE "' is known to kubelet ('" SD "/var/lib/kubelet/pods/" UID_GONE
		   "') but has no cgroup under '" SD_ROOT "': has it terminated?",
		   true);
}

static void test_resolve_pod_name(void **state)
{
	(void)state;
	expect_rel(&sd_env, "default/web-0", POD_WEB);
	expect_rel(&sd_env, "staging/web-0", POD_STAGING);
	expect_rel(&sd_env, "kube-system/coredns-5d78c9869d-x7k2p", POD_DNS);
	/* Without namespace: unique across namespaces. */
	expect_rel(&sd_env, "coredns-5d78c9869d-x7k2p", POD_DNS);
	expect_rel(&fs_env, "batch-x", POD_BATCH);
}

static void test_resolve_pod_name_skips_stale_log_dir(void **state)
{
	(void)state;
	/* default_api-0_<old uid> has no cgroup any more; the recreated pod's does. */
	expect_rel(&sd_env, "default/api-0", POD_API);
	expect_rel(&sd_env, "api-0", POD_API);
}

static void test_resolve_pod_name_ambiguous(void **state)
{
	(void)state;
	expect_err(&sd_env, "web-0", -ENOTUNIQ,
		   "pod name 'web-0' is ambiguous: 'default/web-0' (" UID_WEB
		   "), 'staging/web-0' (" UID_STAGING "): give namespace/name or the pod UID",
		   true);
}

static void test_resolve_pod_name_same_name_twice(void **state)
{
	(void)state;
	/* Two live pods called default/dup (one being replaced): only the UID tells them apart. */
	expect_err(
	    &fs_env, "default/dup", -ENOTUNIQ,
	    "pod name 'default/dup' is ambiguous: 'default/dup' (0d0d0d01-0000-4000-8000-000000000001), 'default/dup' (0d0d0d02-0000-4000-8000-000000000002): give the pod UID",
	    true);
}

static void test_resolve_pod_several_cgroups(void **state)
{
	const char *want =
	    ": '/kubepods/besteffort/pod7a7a7a7a-0000-4000-8000-000000000003', '/kubepods/burstable/pod7a7a7a7a-0000-4000-8000-000000000003': give the cgroup path";
	char msg[512];

	(void)state;
	snprintf(msg, sizeof(msg),
		 "pod UID '7a7a7a7a-0000-4000-8000-000000000003' matches 2 cgroups%s", want);
	expect_err(&fs_env, "7a7a7a7a-0000-4000-8000-000000000003", -ENOTUNIQ, msg, true);
	snprintf(msg, sizeof(msg), "pod 'twice' matches 2 cgroups%s", want);
	expect_err(&fs_env, "twice", -ENOTUNIQ, msg, true);
}

static void test_resolve_pod_name_not_running(void **state)
{
	(void)state;
	expect_err(&sd_env, "default/gone", -ENOENT,
		   "pod 'default/gone' (" UID_GONE ") has no cgroup under '" SD_ROOT
		   "': is it running on this node?",
		   true);
	/* Wrong namespace: no such pod at all. */
	expect_err(&sd_env, "prod/web-0", -ENOENT,
		   "no cgroup, pod or container matches 'prod/web-0'", false);
}

static void test_resolve_container_full_id(void **state)
{
	(void)state;
	expect_rel(&sd_env, CID_WEB, POD_WEB "/cri-containerd-" CID_WEB ".scope");
	expect_rel(&sd_env, CID_DOCKER, "/system.slice/docker-" CID_DOCKER ".scope");
	/* CRI-O: crio-conmon-<id>.scope holds the monitor, not the container. */
	expect_rel(&sd_env, CID_DNS, POD_DNS "/crio-" CID_DNS ".scope");
	/* cgroupfs driver: the directory is the bare ID. */
	expect_rel(&fs_env, CID_BATCH, POD_BATCH "/" CID_BATCH);
	/* As kubectl shows it in .status.containerStatuses[].containerID. */
	expect_rel(&sd_env, "containerd://" CID_WEB, POD_WEB "/cri-containerd-" CID_WEB ".scope");
}

static void test_resolve_container_unique_prefix(void **state)
{
	(void)state;
	expect_rel(&sd_env, "3f2a9c0", POD_WEB "/cri-containerd-" CID_WEB ".scope");
	expect_rel(&sd_env, "3F2A9C77B8", POD_STAGING "/cri-containerd-" CID_STAGING ".scope");
	expect_rel(&sd_env, "9d0cc5", "/system.slice/docker-" CID_DOCKER ".scope");
	expect_rel(&fs_env, "1a2b3c4d", POD_BATCH "/" CID_BATCH);
}

static void test_resolve_container_ambiguous_prefix(void **state)
{
	(void)state;
	expect_err(&sd_env, "3f2a9c", -ENOTUNIQ,
		   "container ID '3f2a9c' is ambiguous: '" POD_STAGING
		   "/cri-containerd-" CID_STAGING ".scope', '" POD_WEB "/cri-containerd-" CID_WEB
		   ".scope': give more digits",
		   true);
}

static void test_resolve_container_ambiguous_many(void **state)
{
	const char *p = "'/kubepods/besteffort/pod6b6b6b6b-abcd-4ef0-8123-456789abcdef/c0ffee";

	(void)state;
	expect_err(&fs_env, "c0ffee", -ENOTUNIQ, "container ID 'c0ffee' is ambiguous: ", false);
	/* Sorted, four shown. */
	assert_non_null(strstr(err, p));
	assert_true(strstr(err, "0cfbda") < strstr(err, "5a6e26"));
	assert_non_null(strstr(err, "c0ffee7951f169"));
	assert_null(strstr(err, "c0ffeecb5c5981"));
	assert_null(strstr(err, ".scope")); /* cgroupfs names are bare IDs */
	assert_non_null(strstr(err, "' and 2 more: give more digits"));
}

static void test_resolve_container_prefix_too_short(void **state)
{
	(void)state;
	expect_err(&sd_env, "3f2a9", -ENOENT, "no cgroup, pod or container matches '3f2a9'", false);
}

static void test_resolve_unknown_spec(void **state)
{
	(void)state;
	expect_err(
	    &sd_env, "foo", -ENOENT,
	    "no cgroup, pod or container matches 'foo' (looked under '" SD_ROOT "' and '" SD
	    "/var/log/pods'): give a cgroup path, pod UID, [namespace/]pod name or container ID (6+ hex digits)",
	    true);
	expect_err(&sd_env, "Not A Pod!", -ENOENT, "no cgroup, pod or container matches", false);
	expect_err(&sd_env, "", -EINVAL, "empty cgroup spec: give a cgroup path", false);
	/* a scheme that names no runtime makes no container ID, as "1h1h" makes no duration */
	expect_err(&sd_env, "://" CID_WEB, -ENOENT, "no cgroup, pod or container matches", false);
	expect_err(&sd_env, "Containerd://" CID_WEB, -ENOENT, "no cgroup, pod or container matches",
		   false);
	expect_err(&sd_env, "a b://" CID_WEB, -ENOENT, "no cgroup, pod or container matches",
		   false);
	expect_err(&sd_env, "x;y://" CID_WEB, -ENOENT, "no cgroup, pod or container matches",
		   false);
	expect_rel(&sd_env, "cri-o://" CID_DNS, POD_DNS "/crio-" CID_DNS ".scope");
	expect_rel(&sd_env, "docker://9d0cc5", "/system.slice/docker-" CID_DOCKER ".scope");
}

static void test_resolve_does_not_follow_symlinks(void **state)
{
	(void)state;
	/* system.slice/kubepods-link -> ../kubepods.slice would make every pod match twice. */
	expect_rel(&sd_env, UID_WEB, POD_WEB);
	expect_rel(&sd_env, "3f2a9c0", POD_WEB "/cri-containerd-" CID_WEB ".scope");
}

static void test_resolve_root_from_mountinfo(void **state)
{
	struct rs_cgroup_env env = { .pod_logs_dir = SD "/var/log/pods" };
	char mi[] = "/tmp/rs-test-mountinfo-XXXXXX";
	struct rs_cgroup cg = { 0 };
	FILE *f;
	int fd, ret;

	(void)state;
	fd = mkstemp(mi);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "28 1 254:1 / / rw - ext4 /dev/vda1 rw\n");
	fprintf(f, "41 28 0:51 / %s rw shared:4 - cgroup2 cgroup2 rw\n", SD_ROOT);
	fclose(f);
	env.mountinfo = mi;
	ret = rs_cgroup_resolve(&env, "default/web-0", &cg, err, sizeof(err));
	unlink(mi); /* before any assertion can end the test */
	assert_int_equal(ret, 0);
	assert_string_equal(cg.rel, POD_WEB);
	assert_string_equal(cg.path, SD_ROOT POD_WEB);
	assert_int_equal(cg.level, 3);
	rs_cgroup_clear(&cg);

	env.mountinfo = FIX "/mountinfo/v1-only";
	expect_err(&env, "/", -ENOENT,
		   "no cgroup2 mount in '" FIX
		   "/mountinfo/v1-only': rsample needs cgroup v2 (unified or hybrid hierarchy)",
		   true);
}

/* In a child (fork), so that root can drop privileges: 0 when resolving spec gives ret and want. */
static int child_expect(const struct rs_cgroup_env *env, const char *spec, int want_ret,
			const char *want)
{
	struct rs_cgroup cg = { 0 };
	int ret = rs_cgroup_resolve(env, spec, &cg, err, sizeof(err));

	rs_cgroup_clear(&cg);
	if (ret == want_ret && (!want || !strcmp(err, want)))
		return 0;
	fprintf(stderr, "'%s': got %d '%s', want %d '%s'\n", spec, ret, err, want_ret, want);
	return 1;
}

static void test_resolve_permission_denied(void **state)
{
	char tmp[] = "/tmp/rs-test-cgroup-XXXXXX", cg[64], secret[96], kube[96], logs[64];
	char want_secret[256], want_logs[256];
	struct rs_cgroup_env env = { .cgroup_root = cg, .pod_logs_dir = logs };
	int status = -1;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(cg, sizeof(cg), "%s/cg", tmp);
	snprintf(kube, sizeof(kube), "%s/kubepods", cg);
	snprintf(secret, sizeof(secret), "%s/secret", cg);
	snprintf(logs, sizeof(logs), "%s/logs", tmp);
	assert_int_equal(chmod(tmp, 0755), 0);
	assert_int_equal(mkdir(cg, 0755), 0);
	assert_int_equal(mkdir(kube, 0755), 0);
	assert_int_equal(mkdir(secret, 0), 0);
	assert_int_equal(mkdir(logs, 0), 0);
	snprintf(want_secret, sizeof(want_secret),
		 "cannot read '%s': Permission denied (run as root)", secret);
	snprintf(want_logs, sizeof(want_logs), "cannot read '%s': Permission denied (run as root)",
		 logs);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		/* Root reads anything: become nobody (capabilities go with uid 0). */
		if (geteuid() == 0 && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(100);
		bad |= child_expect(&env, UID_WEB, -EACCES, want_secret);
		bad |= child_expect(&env, "containerd://3f2a9c", -EACCES, want_secret);
		/* Also a valid pod name: the log directory is the first thing that failed. */
		bad |= child_expect(&env, "3f2a9c", -EACCES, want_logs);
		bad |= child_expect(&env, "web-0", -EACCES, want_logs);
		/* What can be read still resolves. */
		bad |= child_expect(&env, "kubepods", 0, NULL);
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(secret);
	rmdir(logs);
	rmdir(kube);
	rmdir(cg);
	rmdir(tmp);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_resolve_levels(void **state)
{
	struct rs_cgroup cg = { 0 };

	(void)state;
	assert_int_equal(rs_cgroup_resolve(&sd_env, CID_WEB, &cg, err, sizeof(err)), 0);
	assert_int_equal(cg.level, 4);
	rs_cgroup_clear(&cg);
	assert_int_equal(rs_cgroup_resolve(&sd_env, UID_DNS, &cg, err, sizeof(err)), 0);
	assert_int_equal(cg.level, 2);
	rs_cgroup_clear(&cg);
	assert_int_equal(rs_cgroup_resolve(&fs_env, CID_BATCH, &cg, err, sizeof(err)), 0);
	assert_int_equal(cg.level, 4);
	rs_cgroup_clear(&cg);
}

static void test_resolve_small_err_buffer(void **state)
{
	struct rs_cgroup cg = { 0 };
	char small[16];

	(void)state;
	assert_int_equal(rs_cgroup_resolve(&sd_env, "3f2a9c", &cg, small, sizeof(small)),
			 -ENOTUNIQ);
	assert_string_equal(small, "container ID '3");
	assert_int_equal(rs_cgroup_resolve(&sd_env, "3f2a9c", &cg, NULL, 0), -ENOTUNIQ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_hybrid),
		cmocka_unit_test(test_mount_nul_escape_kept),
		cmocka_unit_test(test_mount_unified),
		cmocka_unit_test(test_mount_escaped_path_and_no_optional_fields),
		cmocka_unit_test(test_mount_prefers_whole_hierarchy),
		cmocka_unit_test(test_mount_missing),
		cmocka_unit_test(test_mount_real_machine),
		cmocka_unit_test(test_resolve_real_root),
		cmocka_unit_test(test_resolve_real_own_cgroup),
		cmocka_unit_test(test_of_pid_fixtures),
		cmocka_unit_test(test_clear_accepts_null_and_empty),
		cmocka_unit_test(test_resolve_absolute_path),
		cmocka_unit_test(test_resolve_relative_path),
		cmocka_unit_test(test_resolve_path_outside_mount),
		cmocka_unit_test(test_resolve_path_missing),
		cmocka_unit_test(test_resolve_pod_uid_systemd),
		cmocka_unit_test(test_resolve_pod_uid_cgroupfs),
		cmocka_unit_test(test_resolve_pod_uid_unknown),
		cmocka_unit_test(test_resolve_pod_name),
		cmocka_unit_test(test_resolve_pod_name_skips_stale_log_dir),
		cmocka_unit_test(test_resolve_pod_name_ambiguous),
		cmocka_unit_test(test_resolve_pod_name_same_name_twice),
		cmocka_unit_test(test_resolve_pod_several_cgroups),
		cmocka_unit_test(test_resolve_pod_name_not_running),
		cmocka_unit_test(test_resolve_container_full_id),
		cmocka_unit_test(test_resolve_container_unique_prefix),
		cmocka_unit_test(test_resolve_container_ambiguous_prefix),
		cmocka_unit_test(test_resolve_container_ambiguous_many),
		cmocka_unit_test(test_resolve_container_prefix_too_short),
		cmocka_unit_test(test_resolve_unknown_spec),
		cmocka_unit_test(test_resolve_does_not_follow_symlinks),
		cmocka_unit_test(test_resolve_root_from_mountinfo),
		cmocka_unit_test(test_resolve_permission_denied),
		cmocka_unit_test(test_resolve_levels),
		cmocka_unit_test(test_resolve_small_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
