// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own views of cgroups (target_priv.h): where cgroup2 is mounted,
 * from a mountinfo file, and which cgroup v2 a process is in, from PROC/PID/cgroup.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/target.h"

/* The kernel's \ooo escapes; "\000" stays as written (no path holds a NUL: it would end it). */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7' && (s[1] != '0' || s[2] != '0' || s[3] != '0')) {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/*
 * Splits one mountinfo line (proc(5)): "id parent maj:min root mountpoint
 * options [optional fields…] - fstype source superoptions".
 */
static int mountinfo_fields(char *line, char **root, char **mnt, char **fstype)
{
	char *f[6], *tok, *save = NULL;
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, " ", &save); tok && i < 6; tok = strtok_r(NULL, " ", &save))
		f[i++] = tok;
	if (i < 6)
		return -EINVAL;
	while (tok && strcmp(tok, "-"))
		tok = strtok_r(NULL, " ", &save);
	if (!tok || !(tok = strtok_r(NULL, " ", &save)))
		return -EINVAL;
	*root = f[3];
	*mnt = f[4];
	*fstype = tok;
	return 0;
}

int rs_cgroup2_mount(const char *mountinfo, char **out)
{
	char *line = NULL, *best = NULL;
	bool best_whole = false;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *root, *mnt, *fstype;
		bool whole;

		if (mountinfo_fields(line, &root, &mnt, &fstype) || strcmp(fstype, "cgroup2"))
			continue;
		/* Prefer a mount of the whole hierarchy over a bind mount of a subtree. */
		whole = !strcmp(root, "/");
		if (best && !whole)
			continue;
		unescape_octal(mnt);
		free(best);
		best = strdup(mnt);
		if (!best) {
			err = -ENOMEM;
			goto cleanup;
		}
		best_whole = whole;
		if (best_whole)
			break;
	}
	if (ferror(f))
		err = -EIO;
	else if (!best)
		err = -ENOENT;
cleanup:
	if (err)
		free(best);
	else
		*out = best;
	free(line);
	fclose(f);
	return err;
}

int rs_cgroup_of_pid(const char *proc_root, uint32_t pid, char **out)
{
	char path[64 + 4096], *line = NULL, *res = NULL;
	size_t cap = 0;
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "%s/%u/cgroup", proc_root ? proc_root : "/proc", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		res = strdup(line + 3);
		err = res ? 0 : -ENOMEM;
		break;
	}
	if (err == -ENOENT && ferror(f))
		err = -EIO;
	if (!err)
		*out = res;
	free(line);
	fclose(f);
	return err;
}
