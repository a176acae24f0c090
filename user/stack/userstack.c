// SPDX-License-Identifier: GPL-2.0
/* The one user-stack path (stack.h): a copied stack to symbolized frames. */
#include <errno.h>
#include "stack/stack.h"

int rs_stack_user(struct rs_proc *p, const struct rs_ustack *s, struct rs_unwound *u,
		  struct rs_frame **frames, size_t *n)
{
	int e = rs_stack_unwind(p, s, u);

	return e ? e : rs_stack_frames(p, u, frames, n);
}
