// SPDX-License-Identifier: GPL-2.0
/*
 * 'rsample check' (cmd.h): what rsample can do on this node and how. Each
 * capability is decided the way the commands decide it: the BPF objects are
 * loaded (not attached) as a snapshot or a profile would load them, so the
 * verifier's verdict on this very kernel build is the answer, not a version
 * number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "lib/lib.h"
#include "stack/stack.h"

#define COL "  %-17s "

struct tally {
	int yes, no;
};

static void row(struct tally *t, const char *what, bool ok, const char *how)
{
	printf(COL "%-4s %s\n", what, ok ? "yes" : "no", how);
	if (ok)
		t->yes++;
	else
		t->no++;
}

static void features(const struct rs_kfeatures *kf)
{
	puts("kernel features (BTF and probe loads):");
	for (int id = 0; id < RS_KFEAT_MAX; id++)
		printf("  %-4s %s (Linux %s)\n", rs_kfeature_present(kf, id) ? "yes" : "no",
		       rs_kfeature_name(id), rs_kfeature_since(id));
	printf("  pt_regs.cs: %s; task state: %s; cgroup ancestors: %s\n",
	       kf->pt_regs_csx ? "u16 beside csx" : "unsigned long",
	       kf->task_state_new ? "__state" : "state",
	       kf->cgroup_ancestors ? "ancestors[]" : "ancestor_ids[]");
}

static void snapshot_rows(struct tally *t, const struct rs_kfeatures *kf, bool *snap_ok)
{
	struct rs_capture_mechanism m;
	char err[1024] = "", how[1200];

	*snap_ok = !rs_capture_check(&m, err, sizeof(err));
	if (!*snap_ok) {
		row(t, "snapshot", false, err);
		row(t, "locks", false, "needs the snapshot");
		return;
	}
	if (m.user_stacks_blocked)
		snprintf(
		    how, sizeof(how),
		    "BPF task iterator (sleepable): every thread's user stack by bpf_copy_from_user_task; running threads by a perf sample");
	else
		snprintf(
		    how, sizeof(how),
		    "BPF task iterator (not sleepable): kernel stacks and states only; user stacks of running threads by a perf sample, of blocked ones not (%s, Linux %s)",
		    rs_kfeature_name(RS_KFEAT_ITER_TASK_SLEEPABLE),
		    rs_kfeature_since(RS_KFEAT_ITER_TASK_SLEEPABLE));
	row(t, "snapshot", true, how);
	row(t, "locks", m.user_stacks_blocked,
	    m.user_stacks_blocked
		? "mutex owners and wait-for cycles from the futex words the iterator reads"
		: "needs the futex words, read by a sleepable iterator");
	(void)kf;
}

/* The BPF-free snapshot (--backend proc): what /proc, process_vm_readv and perf allow here. */
static bool proc_snapshot_row(struct tally *t, const struct rs_kfeatures *kf)
{
	bool ok = access("/proc/self/syscall", R_OK) == 0;
	bool perf = rs_kfeatures_cap(kf, RS_CAP_PERFMON) || rs_kfeatures_cap(kf, RS_CAP_SYS_ADMIN);
	bool kstacks = rs_kfeatures_cap(kf, RS_CAP_SYS_ADMIN);
	char how[512];
	FILE *f;
	int paranoid = 2;

	if (!perf && (f = fopen("/proc/sys/kernel/perf_event_paranoid", "re"))) {
		perf = fscanf(f, "%d", &paranoid) == 1 && paranoid <= 1;
		fclose(f);
	}
	if (!ok) {
		row(t, "snapshot (/proc)", false,
		    "/proc/PID/task/TID/syscall is missing (a kernel without CONFIG_HAVE_ARCH_TRACEHOOK)");
		return false;
	}
	snprintf(
	    how, sizeof(how),
	    "--backend proc: syscall, sp and pc from /proc, stacks by process_vm_readv; running threads: %s; kernel stacks: %s",
	    perf ? "a perf sample each" : "none (needs CAP_PERFMON or perf_event_paranoid <= 1)",
	    kstacks ? "/proc/PID/stack" : "none (/proc/PID/stack needs CAP_SYS_ADMIN)");
	row(t, "snapshot (/proc)", perf && kstacks, how);
	return true;
}

static void profile_rows(struct tally *t)
{
	struct rs_sampler_mechanism m;
	char err[1024] = "", how[1400];

	if (rs_sampler_check(false, &m, err, sizeof(err)))
		row(t, "on-CPU profile", false, err);
	else
		row(t, "on-CPU profile", true,
		    "BPF on cpu-clock perf events: user stacks unwound by DWARF in rsample");
	err[0] = '\0';
	if (rs_sampler_check(true, &m, err, sizeof(err))) {
		row(t, "off-CPU profile", false, err);
		return;
	}
	if (m.task_work)
		snprintf(
		    how, sizeof(how),
		    "sched_switch (tp_btf): user stacks by bpf_task_work when the thread next runs");
	else if (m.task_work_refused[0])
		snprintf(
		    how, sizeof(how),
		    "sched_switch (tp_btf): user stacks at the blocking syscall's exit (the kernel refused bpf_task_work: %s)",
		    m.task_work_refused);
	else
		snprintf(how, sizeof(how),
			 "sched_switch (tp_btf): user stacks at the blocking syscall's exit (%s)",
			 getenv("RSAMPLE_NO_TASK_WORK") ? "RSAMPLE_NO_TASK_WORK is set"
							: "no bpf_task_work, Linux 6.18");
	if (!m.user_stacks_blocked)
		snprintf(
		    how + strlen(how), sizeof(how) - strlen(how),
		    "; threads blocked since before the profile: no user stacks (needs sleepable task iterators)");
	row(t, "off-CPU profile", true, how);
}

static void kernel_stack_row(struct tally *t, const struct rs_kfeatures *kf)
{
	struct rs_ksyms *k = NULL;
	char why[512];
	int e = rs_ksyms_load("/proc/kallsyms", &k);

	rs_ksyms_free(k);
	if (e) {
		rs_ksyms_explain("/proc/kallsyms", e, why, sizeof(why));
		row(t, "kernel stacks", false, why);
		return;
	}
	row(t, "kernel stacks", kf->get_task_stack,
	    kf->get_task_stack ? "bpf_get_task_stack, names from /proc/kallsyms"
			       : "needs bpf_get_task_stack() (Linux 5.9)");
}

static void container_row(struct tally *t, const struct rs_kfeatures *kf)
{
	bool map_files = rs_kfeatures_cap(kf, RS_CAP_SYS_ADMIN) ||
			 rs_kfeatures_cap(kf, RS_CAP_CHECKPOINT_RESTORE);
	bool others = rs_kfeatures_cap(kf, RS_CAP_SYS_PTRACE);

	if (map_files && others)
		row(t, "container files", true,
		    "binaries through /proc/PID/map_files (deleted ones too), debug files through /proc/PID/root");
	else
		row(t, "container files", false,
		    map_files
			? "other users' processes: /proc/PID/root needs CAP_SYS_PTRACE"
			: "/proc/PID/map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: binaries are opened by path only, deleted ones not at all");
}

int rs_cmd_check(const struct rs_opts *o)
{
	struct rs_kfeatures kf;
	struct tally t = { 0 };
	struct utsname u;
	bool snap_ok, proc_ok;

	rs_kfeatures_probe(&kf);
	if (uname(&u))
		snprintf(u.machine, sizeof(u.machine), "?");
	printf("rsample %s on Linux %s (%s): %s, %s\n", RS_VERSION, *kf.release ? kf.release : "?",
	       u.machine, kf.root ? "uid 0" : "not uid 0",
	       kf.privileged ? "may load BPF programs"
			     : "may not load BPF programs (needs CAP_BPF and CAP_PERFMON)");
	if (o->verbose) {
		features(&kf);
		putchar('\n');
	}
	puts("capabilities:");
	if (!kf.btf) {
		row(&t, "BTF", false,
		    "/sys/kernel/btf/vmlinux is missing: the BPF programs need CONFIG_DEBUG_INFO_BTF=y");
	}
	snapshot_rows(&t, &kf, &snap_ok);
	proc_ok = proc_snapshot_row(&t, &kf);
	profile_rows(&t);
	kernel_stack_row(&t, &kf);
	container_row(&t, &kf);
	if (fflush(stdout) || ferror(stdout)) {
		rs_msg("cannot write to stdout: %s", strerror(errno));
		return RS_EXIT_FATAL;
	}
	if (!snap_ok && !proc_ok)
		return RS_EXIT_FATAL;
	return t.no ? RS_EXIT_PARTIAL : RS_EXIT_OK;
}
