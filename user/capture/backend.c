// SPDX-License-Identifier: GPL-2.0
/* --backend auto|bpf|proc: which capture takes the snapshot (capture.h: rs_capture_select). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "capture/capture.h"
#include "lib/lib.h"

/* A message without its advice to use the other backend: auto is trying both. */
static void drop_advice(char *msg)
{
	static const char *const advice[] = { ", or use --backend proc", "; use --backend proc",
					      ", or use --backend bpf", ": use --backend bpf" };

	for (size_t i = 0; i < sizeof(advice) / sizeof(advice[0]); i++) {
		char *p = strstr(msg, advice[i]);

		if (p)
			memmove(p, p + strlen(advice[i]), strlen(p + strlen(advice[i])) + 1);
	}
}

/* n /proc captures interval_ns apart into out[]; on failure none is kept. */
static int procfs_series(const struct rs_capture_cfg *cfg, size_t n, uint64_t interval_ns,
			 struct rs_capture **out, char *err, size_t errlen)
{
	uint64_t t0 = rs_mono_ns();
	int e = 0;

	for (size_t i = 0; i < n; i++) {
		if (i)
			rs_sleep_until_ns(t0 + i * interval_ns);
		e = rs_capture_procfs_run(cfg, &out[i], err, errlen);
		if (e) {
			while (i)
				rs_capture_free(out[--i]);
			return e;
		}
	}
	return 0;
}

int rs_capture_select(enum rs_backend backend, const struct rs_capture_cfg *cfg,
		      struct rs_capture **out, enum rs_backend *used, char *notice,
		      size_t noticelen, char *err, size_t errlen)
{
	return rs_capture_select_series(backend, cfg, 1, 0, out, used, notice, noticelen, err,
					errlen);
}

int rs_capture_select_series(enum rs_backend backend, const struct rs_capture_cfg *cfg, size_t n,
			     uint64_t interval_ns, struct rs_capture **out, enum rs_backend *used,
			     char *notice, size_t noticelen, char *err, size_t errlen)
{
	struct rs_capture_cfg bpf_cfg = *cfg;
	char bpf_err[1024] = "", proc_err[1024] = "";
	int e;

	if (noticelen)
		notice[0] = '\0';
	if (backend == RS_BACKEND_PROC) {
		*used = RS_BACKEND_PROC;
		return procfs_series(cfg, n, interval_ns, out, err, errlen);
	}
	*used = RS_BACKEND_BPF;
	/* auto: a BPF snapshot without blocked threads' user stacks is worse than /proc's */
	bpf_cfg.need_blocked_stacks = backend == RS_BACKEND_AUTO;
	e = rs_capture_run_series(&bpf_cfg, n, interval_ns, out, bpf_err, sizeof(bpf_err));
	if (!e || backend == RS_BACKEND_BPF || e == -ENOMEM) {
		if (e)
			snprintf(err, errlen, "%s", bpf_err);
		return e;
	}
	/* never a silent downgrade: the caller prints notice */
	*used = RS_BACKEND_PROC;
	drop_advice(bpf_err);
	e = procfs_series(cfg, n, interval_ns, out, proc_err, sizeof(proc_err));
	if (e) {
		drop_advice(proc_err);
		snprintf(err, errlen, "%s; and the /proc fallback failed too: %s", bpf_err,
			 proc_err);
		return e;
	}
	snprintf(notice, noticelen, "snapshot from /proc, not BPF: %s", bpf_err);
	return 0;
}
