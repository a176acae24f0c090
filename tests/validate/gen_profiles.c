// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the hand-built profiles of tests/unit/profile_data.h (two processes,
 * two threads each, kernel, inline, Rust and C++ frames, on- and off-CPU) in
 * every format, for the real tools of tests/validate/run.sh to read:
 *
 *   DIR/oncpu.folded DIR/offcpu.folded DIR/both.folded    by thread
 *   DIR/both.svg                                          by thread
 *   DIR/both.pb.gz DIR/oncpu.pb.gz DIR/offcpu.pb.gz       by thread / process / none
 *   DIR/both.speedscope.json                              per thread
 *   DIR/process.speedscope.json                           per process
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../unit/profile_data.h"
#include "out/out.h"

enum which { ON = 1, OFF = 2, BOTH = 3 };

static int write_one(const char *dir, const char *name, enum rs_format fmt, enum which w,
		     enum rs_group_by g, const struct rs_profile *on, const struct rs_profile *off)
{
	const struct rs_profile *p[2];
	char path[4096];
	size_t n = 0;
	FILE *f;
	int err;

	if (w & ON)
		p[n++] = on;
	if (w & OFF)
		p[n++] = off;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen_profiles: cannot open '%s': %s\n", path, strerror(errno));
		return -errno;
	}
	switch (fmt) {
	case RS_FMT_FOLDED:
		err = rs_write_folded(f, p, n, g);
		break;
	case RS_FMT_SVG:
		err = rs_write_svg(f, p, n, g, "rsample validation profile");
		break;
	case RS_FMT_PPROF:
		err = rs_write_pprof(f, p, n, g);
		break;
	default:
		err = rs_write_speedscope(f, p, n, g, "rsample validation profile");
		break;
	}
	if (fclose(f) && !err)
		err = -EIO;
	if (err)
		fprintf(stderr, "gen_profiles: cannot write '%s': %s\n", path, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct rs_profile on, off;
	const char *d;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_profiles DIR\n");
		return 64;
	}
	d = argv[1];
	pd_build_oncpu(&on);
	pd_build_offcpu(&off);
	err = write_one(d, "oncpu.folded", RS_FMT_FOLDED, ON, RS_GROUP_THREAD, &on, &off);
	err = err ?: write_one(d, "offcpu.folded", RS_FMT_FOLDED, OFF, RS_GROUP_THREAD, &on, &off);
	err = err ?: write_one(d, "both.folded", RS_FMT_FOLDED, BOTH, RS_GROUP_THREAD, &on, &off);
	err = err ?: write_one(d, "both.svg", RS_FMT_SVG, BOTH, RS_GROUP_THREAD, &on, &off);
	err = err ?: write_one(d, "both.pb.gz", RS_FMT_PPROF, BOTH, RS_GROUP_THREAD, &on, &off);
	err = err ?: write_one(d, "oncpu.pb.gz", RS_FMT_PPROF, ON, RS_GROUP_PROCESS, &on, &off);
	err = err ?: write_one(d, "offcpu.pb.gz", RS_FMT_PPROF, OFF, RS_GROUP_NONE, &on, &off);
	err = err
		  ?: write_one(d, "both.speedscope.json", RS_FMT_SPEEDSCOPE, BOTH, RS_GROUP_THREAD,
			       &on, &off);
	err = err
		  ?: write_one(d, "process.speedscope.json", RS_FMT_SPEEDSCOPE, BOTH,
			       RS_GROUP_PROCESS, &on, &off);
	rs_profile_clear(&on);
	rs_profile_clear(&off);
	return err ? 1 : 0;
}
