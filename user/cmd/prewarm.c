// SPDX-License-Identifier: GPL-2.0
/*
 * The DWARF of the target processes opened while the BPF object loads
 * (cmd_priv.h): one thread, started right after the target is resolved,
 * opens each process (its maps, its modules) and their DWARF
 * (rs_proc_prewarm) on the second CPU while the main thread loads, verifies
 * and captures; the snapshot joins it once the capture is done and hands
 * what it opened to the assembly, which checks that the modules are still
 * the mapped ones. The thread first drops its own capabilities as the main
 * thread does after the capture (capset and no_new_privs are per thread):
 * the targets' files are never parsed with CAP_BPF or CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd_priv.h"
#include "lib/lib.h"

struct rs_prewarm {
	pthread_t thread;
	atomic_bool stop;
	uint32_t *pids;
	size_t n;
	struct rs_symcache *cache;
	uint64_t max_debug_size;
	struct rs_proc **procs; /* n slots, NULL: not opened */
	bool joined;
};

static void *run(void *arg)
{
	const struct rs_privs_cfg pcfg = { 0 };
	struct rs_prewarm *w = arg;
	struct rs_tmark t;
	uint64_t kept;
	char err[256];

	rs_tmark_start(&t);
	if (rs_privs_drop(&pcfg, &kept, err, sizeof(err)))
		return NULL; /* the assembly opens them, after the main thread's drop */
	/* opened even once told to stop: the assembly would do it (maps, modules), and no more */
	for (size_t i = 0; i < w->n; i++) {
		if (rs_proc_open("/proc", w->pids[i], w->cache, &w->procs[i]))
			continue; /* said by the assembly, which tries again */
		if (w->max_debug_size)
			rs_proc_set_max_debug_size(w->procs[i], w->max_debug_size);
		rs_proc_prewarm(w->procs[i], &w->stop);
	}
	rs_timings_add(&t, "dwarf prewarm, in all (its own thread)");
	return NULL;
}

int rs_prewarm_start(const uint32_t *pids, size_t n, struct rs_symcache *cache,
		     uint64_t max_debug_size, struct rs_prewarm **out)
{
	struct rs_prewarm *w = calloc(1, sizeof(*w));
	int e = -ENOMEM;

	if (!w)
		return -ENOMEM;
	w->pids = calloc(n ? n : 1, sizeof(*w->pids));
	w->procs = calloc(n ? n : 1, sizeof(*w->procs));
	if (!w->pids || !w->procs)
		goto cleanup;
	memcpy(w->pids, pids, n * sizeof(*pids));
	w->n = n;
	w->cache = cache;
	w->max_debug_size = max_debug_size;
	atomic_init(&w->stop, false);
	e = -pthread_create(&w->thread, NULL, run, w);
	if (e)
		goto cleanup;
	*out = w;
	return 0;
cleanup:
	free(w->pids);
	free(w->procs);
	free(w);
	return e;
}

struct rs_proc **rs_prewarm_join(struct rs_prewarm *w, size_t *n)
{
	struct rs_tmark t;

	*n = 0;
	if (!w)
		return NULL;
	if (!w->joined) {
		rs_tmark_start(&t);
		atomic_store(&w->stop, true);
		pthread_join(w->thread, NULL);
		w->joined = true;
		rs_timings_add(&t, "dwarf prewarm (what the capture did not overlap)");
	}
	*n = w->n;
	return w->procs;
}

void rs_prewarm_free(struct rs_prewarm *w)
{
	size_t n;

	if (!w)
		return;
	rs_prewarm_join(w, &n);
	for (size_t i = 0; i < w->n; i++)
		rs_proc_free(w->procs[i]);
	free(w->procs);
	free(w->pids);
	free(w);
}
