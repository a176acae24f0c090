// SPDX-License-Identifier: GPL-2.0
/* Which threads the /proc backend reads (rs_procfs_list): processes, threads, a cgroup subtree. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture/proc_priv.h"
#include "target/target.h"

static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hold);
	pthread_mutex_unlock(&hold);
	return NULL;
}

static void test_proclist_process_tids_and_gone(void **state)
{
	uint32_t me = (uint32_t)getpid(), gone = 0x3ffffff0, tids[2];
	struct rs_resolved t = { 0 };
	struct rs_pthread_refs r = { 0 };
	char err[256] = "";
	uint32_t pids[3] = { me, gone, me };
	pthread_t th;

	(void)state;
	pthread_mutex_lock(&hold);
	assert_int_equal(pthread_create(&th, NULL, waiter, NULL), 0);
	/* the process: both threads, sorted, each once, even when named twice */
	t.tgids = pids;
	t.n_tgids = 3;
	assert_int_equal(rs_procfs_list(&t, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0].tgid, me);
	assert_int_equal(r.v[0].tid, me);
	assert_int_not_equal(r.v[1].tid, me);
	assert_int_equal(r.v[1].tgid, me);
	tids[0] = r.v[1].tid;
	tids[1] = gone;
	free(r.v);
	memset(&r, 0, sizeof(r));
	/* --tid: that thread only, with its process; a gone one left out */
	t = (struct rs_resolved){ .tids = tids, .n_tids = 2 };
	assert_int_equal(rs_procfs_list(&t, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].tgid, me);
	assert_int_equal(r.v[0].tid, tids[0]);
	free(r.v);
	pthread_mutex_unlock(&hold);
	pthread_join(th, NULL);
}

/* Our own cgroup: at least this thread, with the cgroup's id; a cgroup that is gone: an error. */
static void test_proclist_cgroup(void **state)
{
	struct rs_resolved t = { 0 };
	struct rs_pthread_refs r = { 0 };
	char *mount = NULL, *rel = NULL, path[4096], err[512] = "";
	bool found = false;

	(void)state;
	if (rs_cgroup2_mount("/proc/self/mountinfo", &mount) ||
	    rs_cgroup_of_pid("/proc", (uint32_t)getpid(), &rel)) {
		free(mount);
		skip(); /* no cgroup v2 here */
	}
	snprintf(path, sizeof(path), "%s%s", mount, rel);
	t.cgroup.path = path;
	t.cgroup.id = 1;
	assert_int_equal(rs_procfs_list(&t, &r, err, sizeof(err)), 0);
	for (size_t i = 0; i < r.n; i++) {
		found |= r.v[i].tid == (uint32_t)gettid();
		assert_true(r.v[i].cgroup_id != 0);
	}
	assert_true(found);
	free(r.v);
	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/rsample-no-such-cgroup", mount);
	assert_int_equal(rs_procfs_list(&t, &r, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "rsample-no-such-cgroup"));
	free(r.v);
	free(mount);
	free(rel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proclist_process_tids_and_gone),
		cmocka_unit_test(test_proclist_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
