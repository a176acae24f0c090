/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_ASSEMBLE_H
#define RS_ASSEMBLE_H

#include <stdbool.h>
#include "capture/capture.h"
#include "snapshot/model.h"

struct rs_ksyms;
struct rs_symcache;

struct rs_assemble_cfg {
	const char *proc_root;		/* "/proc" */
	const struct rs_ksyms *ksyms;	/* NULL: kernel frames stay addresses */
	bool kernel;			/* keep kernel frames */
	struct rs_symcache *cache;	/* may be NULL */
};

/*
 * Builds s->procs from the capture: one process per tgid (sorted by pid),
 * threads sorted by tid, each unwound and symbolized. Problems with one
 * process or thread are recorded in the model (p->error, unwind.stop_reason,
 * s->partial), not returned. Returns 0 or -ENOMEM. The capture is not modified.
 */
int rs_assemble(const struct rs_capture *cap, const struct rs_assemble_cfg *cfg,
		struct rs_snapshot *s);

#endif
