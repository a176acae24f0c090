// SPDX-License-Identifier: GPL-2.0
/* --backend auto|bpf|proc: which capture takes the snapshot (capture.h: rs_capture_select). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "capture/capture.h"

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

int rs_capture_select(enum rs_backend backend, const struct rs_capture_cfg *cfg,
		      struct rs_capture **out, enum rs_backend *used, char *notice,
		      size_t noticelen, char *err, size_t errlen)
{
	struct rs_capture_cfg bpf_cfg = *cfg;
	char bpf_err[1024] = "", proc_err[1024] = "";
	int e;

	if (noticelen)
		notice[0] = '\0';
	if (backend == RS_BACKEND_PROC) {
		*used = RS_BACKEND_PROC;
		return rs_capture_procfs_run(cfg, out, err, errlen);
	}
	*used = RS_BACKEND_BPF;
	/* auto: a BPF snapshot without blocked threads' user stacks is worse than /proc's */
	bpf_cfg.need_blocked_stacks = backend == RS_BACKEND_AUTO;
	e = rs_capture_run(&bpf_cfg, out, bpf_err, sizeof(bpf_err));
	if (!e || backend == RS_BACKEND_BPF || e == -ENOMEM) {
		if (e)
			snprintf(err, errlen, "%s", bpf_err);
		return e;
	}
	/* never a silent downgrade: the caller prints notice */
	*used = RS_BACKEND_PROC;
	drop_advice(bpf_err);
	e = rs_capture_procfs_run(cfg, out, proc_err, sizeof(proc_err));
	if (e) {
		drop_advice(proc_err);
		snprintf(err, errlen, "%s; and the /proc fallback failed too: %s", bpf_err,
			 proc_err);
		return e;
	}
	snprintf(notice, noticelen, "snapshot from /proc, not BPF: %s", bpf_err);
	return 0;
}
