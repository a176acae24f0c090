// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup files of /proc (target/cgroup_procfs.c): mountinfo and
 * PROC/PID/cgroup, both read by path, so the input is written to a file of a
 * private fake /proc. The first byte picks the file.
 */
#include "fuzz.h"
#include <sys/stat.h>
#include "target/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128], *out = NULL;
	const char *dir = fuzz_tmpdir();

	if (!size)
		return 0;
	if (data[0] & 1) {
		snprintf(path, sizeof(path), "%s/mountinfo", dir);
		fuzz_write(path, data + 1, size - 1);
		if (!rs_cgroup2_mount(path, &out) && !out[0])
			abort();
	} else {
		snprintf(path, sizeof(path), "%s/1", dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/1/cgroup", dir);
		fuzz_write(path, data + 1, size - 1);
		rs_cgroup_of_pid(dir, 1, &out);
	}
	free(out);
	return 0;
}
