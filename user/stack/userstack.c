// SPDX-License-Identifier: GPL-2.0
/* The one user-stack path (stack.h): a copied stack to symbolized frames. */
#include <errno.h>
#include "lib/lib.h"
#include "stack/stack.h"

int rs_stack_user(struct rs_proc *p, const struct rs_ustack *s, struct rs_unwound *u,
		  struct rs_frame **frames, size_t *n)
{
	struct rs_tmark t;
	int e;

	rs_tmark_start(&t);
	e = rs_stack_unwind(p, s, u);
	rs_timings_add(&t, "unwinding (DWARF opens included)");
	if (e)
		return e;
	rs_tmark_start(&t);
	e = rs_stack_frames(p, u, frames, n);
	rs_timings_add(&t, "symbolization (DWARF opens included)");
	return e;
}
