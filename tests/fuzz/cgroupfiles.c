// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup files of /proc (target/cgroup_procfs.c): mountinfo and
 * PROC/PID/cgroup, both read by path: the input goes to a memfd, the fake
 * PROC/1/cgroup links to it. The first byte picks the file.
 */
#include "fuzz.h"
#include <sys/stat.h>
#include "target/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char mountinfo[64], cgroup[64];
	static int mi_fd = -1, cg_fd = -1;
	const char *dir = fuzz_tmpdir();
	char path[128], *out = NULL;

	if (mi_fd < 0) {
		mi_fd = fuzz_memfd("mountinfo", mountinfo, sizeof(mountinfo));
		cg_fd = fuzz_memfd("cgroup", cgroup, sizeof(cgroup));
		snprintf(path, sizeof(path), "%s/1", dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/1/cgroup", dir);
		if (symlink(cgroup, path))
			abort();
	}
	if (!size)
		return 0;
	if (data[0] & 1) {
		fuzz_fill(mi_fd, data + 1, size - 1);
		if (!rs_cgroup2_mount(mountinfo, &out) && !out[0])
			abort();
	} else {
		fuzz_fill(cg_fd, data + 1, size - 1);
		rs_cgroup_of_pid(dir, 1, &out);
	}
	free(out);
	return 0;
}
