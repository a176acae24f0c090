// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks ("root;...;leaf weight"), the input of flamegraph.pl, inferno
 * and speedscope: one line per distinct stack in byte order. On-CPU weights
 * are samples, off-CPU ones microseconds. With both kinds in one file each
 * stack starts with an "[on-cpu]" or "[off-cpu]" frame (the two kinds'
 * weights are in different units: compare within a kind only).
 */
#include <errno.h>
#include <inttypes.h>
#include "out/out_priv.h"

int rs_write_folded(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g)
{
	struct rs_stacks st;
	int err;

	if (!n)
		return -EINVAL;
	err = rs_stacks_build(profs, n, g, rs_profs_mixed(profs, n) ? RS_STACKS_KIND_ROOT : 0, &st);
	if (err)
		return err;
	for (size_t i = 0; i < st.n; i++)
		fprintf(f, "%s %" PRIu64 "\n", st.v[i].key, st.v[i].weight);
	rs_stacks_clear(&st);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
