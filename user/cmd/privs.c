// SPDX-License-Identifier: GPL-2.0
/*
 * Least privilege (cmd_priv.h): once the BPF programs are loaded and
 * attached and every perf event is open, the commands keep only the
 * capabilities that reading the targets needs and set no_new_privs. What
 * follows (parsing the targets' ELF and DWARF files with libelf, libdw and
 * libiberty) runs without CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN and the rest.
 * Raw capget/capset and prctl: no library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include "cmd/cmd_priv.h"
#include "lib/lib.h"

#define BIT(c) (1ull << (c))

static const char *const cap_names[] = {
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[38] = "CAP_PERFMON",
	[39] = "CAP_BPF",
	[40] = "CAP_CHECKPOINT_RESTORE",
};

int rs_caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	/* valgrind marks only the first of the two as written by capget */
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* Sets the effective and permitted sets, the inheritable one empty (ambient follows). */
static int caps_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	d[0].effective = (uint32_t)eff;
	d[0].permitted = (uint32_t)prm;
	d[1].effective = (uint32_t)(eff >> 32);
	d[1].permitted = (uint32_t)(prm >> 32);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

void rs_caps_names(uint64_t set, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned int c = 0; c < 64; c++) {
		const char *name =
		    c < sizeof(cap_names) / sizeof(cap_names[0]) ? cap_names[c] : NULL;
		int n;

		if (!(set & BIT(c)))
			continue;
		if (name)
			n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", name);
		else
			n = snprintf(buf + off, len - off, "%scapability %u", off ? ", " : "", c);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
}

/*
 * Before Linux 5.19 (commit c8644cd0efe7), with kernel.unprivileged_bpf_disabled
 * set, every bpf(2) command needs CAP_BPF, map lookups on fds already open too;
 * since then only creating maps and loading programs do.
 */
static bool bpf_fds_need_cap(void)
{
	struct utsname u;
	char *text = NULL;
	size_t len;
	int major = 0, minor = 0;
	bool disabled = true;

	if (!uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	    (major > 5 || (major == 5 && minor >= 19)))
		return false;
	if (!rs_read_file("/proc/sys/kernel/unprivileged_bpf_disabled", &text, &len))
		disabled = text[0] != '0';
	free(text);
	return disabled;
}

uint64_t rs_privs_keep(uint64_t permitted, const struct rs_privs_need *need)
{
	uint64_t keep = BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH);

	/* /proc/PID/map_files: either one; the narrower where the kernel has it (5.9). */
	keep |= permitted & BIT(40) ? BIT(40) : BIT(CAP_SYS_ADMIN);
	if (need->bpf_fds)
		keep |= BIT(39);
	if (need->dac_override)
		keep |= BIT(CAP_DAC_OVERRIDE);
	return keep & permitted;
}

/* Whether dir takes new files with the effective set as it is now. */
static bool dir_writable_now(const char *dir)
{
	return !faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS);
}

int rs_privs_drop(const struct rs_privs_cfg *cfg, uint64_t *kept, char *err, size_t errlen)
{
	struct rs_privs_need need = { .bpf_fds = cfg->bpf_fds && bpf_fds_need_cap() };
	uint64_t eff, prm, keep;
	int e;

	e = rs_caps_get(&eff, &prm);
	if (e) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s", strerror(-e));
		return e;
	}
	keep = rs_privs_keep(prm, &need);
	/*
	 * An output directory root may write to only by CAP_DAC_OVERRIDE (a
	 * user's own, mode 0755): tried with the effective set lowered, the
	 * permitted one whole, and kept when needed.
	 */
	if (cfg->out_dir && (prm & BIT(CAP_DAC_OVERRIDE)) && !(keep & BIT(CAP_DAC_OVERRIDE)) &&
	    !caps_set(keep, prm)) {
		if (!dir_writable_now(cfg->out_dir))
			keep |= BIT(CAP_DAC_OVERRIDE);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		e = -errno;
		snprintf(err, errlen, "cannot set no_new_privs after loading: %s", strerror(-e));
		return e;
	}
	e = caps_set(keep, keep);
	if (e) {
		snprintf(err, errlen, "cannot drop capabilities after loading: %s", strerror(-e));
		return e;
	}
	*kept = keep;
	if (cfg->verbose) {
		char names[512];

		rs_caps_names(keep, names, sizeof(names));
		rs_msg("capabilities kept after loading: %s; no_new_privs set", names);
	}
	return 0;
}
