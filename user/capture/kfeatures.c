// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature detection (capture.h): kernel BTF first, then probe loads
 * for what BTF cannot say (whether a program type or helper is accepted).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture/capture.h"
#include "capture/proc_priv.h"
#include "lib/lib.h"

static const struct {
	const char *name;
	const char *since;
	size_t off; /* of the bool in struct rs_kfeatures */
} feats[RS_KFEAT_MAX] = {
	[RS_KFEAT_BTF] = { "kernel BTF (CONFIG_DEBUG_INFO_BTF)", "5.4",
			   offsetof(struct rs_kfeatures, btf) },
	[RS_KFEAT_TP_BTF] = { "BTF-typed tracepoints (tp_btf)", "5.5",
			      offsetof(struct rs_kfeatures, tp_btf) },
	[RS_KFEAT_RINGBUF] = { "the BPF ring buffer", "5.8",
			       offsetof(struct rs_kfeatures, ringbuf) },
	[RS_KFEAT_GET_TASK_STACK] = { "bpf_get_task_stack()", "5.9",
				      offsetof(struct rs_kfeatures, get_task_stack) },
	[RS_KFEAT_TASK_STORAGE] = { "task local storage", "5.11",
				    offsetof(struct rs_kfeatures, task_storage) },
	[RS_KFEAT_TASK_PT_REGS] = { "bpf_task_pt_regs()", "5.15",
				    offsetof(struct rs_kfeatures, task_pt_regs) },
	[RS_KFEAT_FIND_VMA] = { "bpf_find_vma()", "5.17", offsetof(struct rs_kfeatures, find_vma) },
	[RS_KFEAT_COPY_FROM_USER_TASK] = { "bpf_copy_from_user_task()", "5.18",
					   offsetof(struct rs_kfeatures, copy_from_user_task) },
	[RS_KFEAT_ITER_TASK_SLEEPABLE] = { "sleepable task iterators (iter.s/task)", "5.18",
					   offsetof(struct rs_kfeatures, iter_task_sleepable) },
	[RS_KFEAT_SWITCH_PREV_STATE] = { "the prev_state argument of sched_switch", "5.18",
					 offsetof(struct rs_kfeatures, switch_prev_state) },
	[RS_KFEAT_TASK_WORK] = { "bpf_task_work", "6.18",
				 offsetof(struct rs_kfeatures, task_work) },
};

/* The type behind typedefs and qualifiers. */
static const struct btf_type *resolved(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/*
 * The member called name of struct or union t, looked for in its anonymous
 * members too (pt_regs.csx sits in an unnamed union); NULL if it has none.
 */
static const struct btf_member *member_of(const struct btf *btf, const struct btf_type *t,
					  const char *name, int depth)
{
	const struct btf_member *m;

	if (!t || !btf_is_composite(t) || depth > 4)
		return NULL;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		const struct btf_member *in;

		if (n && *n) {
			if (!strcmp(n, name))
				return m;
			continue;
		}
		in = member_of(btf, resolved(btf, m->type), name, depth + 1);
		if (in)
			return in;
	}
	return NULL;
}

static const struct btf_member *struct_member(const struct btf *btf, const char *sname,
					      const char *name)
{
	__s32 id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);

	return id > 0 ? member_of(btf, btf__type_by_id(btf, id), name, 0) : NULL;
}

/* Whether enum ename (32- or 64-bit) has a value called vname. */
static bool enum_has(const struct btf *btf, const char *ename, const char *vname)
{
	const struct btf_type *t;
	__s32 id;

	id = btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_enum *e;

		t = btf__type_by_id(btf, id);
		e = btf_enum(t);
		for (__u16 i = 0; i < btf_vlen(t); i++, e++)
			if (!strcmp(btf__name_by_offset(btf, e->name_off), vname))
				return true;
		return false;
	}
	id = btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM64);
	if (id > 0) {
		const struct btf_enum64 *e;

		t = btf__type_by_id(btf, id);
		e = btf_enum64(t);
		for (__u16 i = 0; i < btf_vlen(t); i++, e++)
			if (!strcmp(btf__name_by_offset(btf, e->name_off), vname))
				return true;
	}
	return false;
}

/* Parameters of function name (a BTF func), or of the function type typedef name points to; -1:
 * none. */
static int params_of(const struct btf *btf, const char *name, int kind)
{
	__s32 id = btf__find_by_name_kind(btf, name, kind);
	const struct btf_type *t;

	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, id);
	if (kind == BTF_KIND_FUNC) {
		t = btf__type_by_id(btf, t->type);
	} else {
		t = resolved(btf, id);
		if (t && btf_is_ptr(t))
			t = btf__type_by_id(btf, t->type);
	}
	return t && btf_is_func_proto(t) ? btf_vlen(t) : -1;
}

static void fill_from_btf(const struct btf *btf, struct rs_kfeatures *f)
{
	const struct btf_member *cs = struct_member(btf, "pt_regs", "cs");

	f->btf = true;
	/* The tracepoint's BTF function type: (void *ctx, preempt, prev, next[, prev_state]). */
	f->tp_btf = params_of(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) >= 4;
	f->switch_prev_state = params_of(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) >= 5;
	f->ringbuf = enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_RINGBUF");
	f->task_storage = enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_TASK_STORAGE");
	f->get_task_stack = enum_has(btf, "bpf_func_id", "BPF_FUNC_get_task_stack");
	f->task_pt_regs = enum_has(btf, "bpf_func_id", "BPF_FUNC_task_pt_regs");
	f->find_vma = enum_has(btf, "bpf_func_id", "BPF_FUNC_find_vma");
	f->copy_from_user_task = enum_has(btf, "bpf_func_id", "BPF_FUNC_copy_from_user_task");
	/* Sleepable iterators came with bpf_copy_from_user_task() (5.18); a probe load can tell. */
	f->iter_task_sleepable = f->copy_from_user_task;
	f->task_work = params_of(btf, "bpf_task_work_schedule_resume_impl", BTF_KIND_FUNC) == 5 &&
		       btf__find_by_name_kind(btf, "bpf_task_work", BTF_KIND_STRUCT) > 0;
	f->task_work_plain = params_of(btf, "bpf_task_work_schedule_resume", BTF_KIND_FUNC) == 4;
	f->pt_regs_csx =
	    struct_member(btf, "pt_regs", "csx") && cs && btf__resolve_size(btf, cs->type) == 2;
	f->task_state_new = struct_member(btf, "task_struct", "__state") != NULL;
	f->cgroup_ancestors = struct_member(btf, "cgroup", "ancestors") != NULL;
}

int rs_kfeatures_from_btf(const char *btf_path, struct rs_kfeatures *out)
{
	struct btf *btf;

	memset(out, 0, sizeof(*out));
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return errno ? -errno : -EINVAL;
	fill_from_btf(btf, out);
	btf__free(btf);
	return 0;
}

/*
 * Loads "r0 = 0; exit" as a tracing program attached to the BTF type called
 * name: 1 if the kernel takes it, 0 if not, -EPERM if we may not ask.
 */
static int probe_tracing(const struct btf *btf, const char *name, int kind,
			 enum bpf_attach_type type, __u32 flags)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type, .prog_flags = flags);
	__s32 id = btf__find_by_name_kind(btf, name, kind);
	int fd;

	if (id <= 0)
		return 0;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);
	if (fd < 0)
		return fd == -EPERM ? -EPERM : 0;
	close(fd);
	return 1;
}

/* The effective capability set (CapEff in /proc/self/status); all ones for uid 0 when unreadable.
 */
static uint64_t cap_eff(void)
{
	struct rs_proc_status st;
	char *text = NULL;
	size_t len;
	bool found = !rs_read_file("/proc/self/status", &text, &len) &&
		     !rs_parse_status(text, &st) && st.has_cap_eff;

	free(text);
	if (!found)
		return geteuid() == 0 ? ~0ull : 0;
	return st.cap_eff;
}

/* A libbpf or own probe's answer replaces the BTF one unless the probe could not run. */
static void refine(bool *have, int probe)
{
	if (probe >= 0)
		*have = probe > 0;
}

void rs_kfeatures_self(struct rs_kfeatures *out)
{
	struct utsname u;

	memset(out, 0, sizeof(*out));
	if (!uname(&u))
		snprintf(out->release, sizeof(out->release), "%s", u.release);
	out->cap_eff = cap_eff();
	out->privileged =
	    rs_kfeatures_cap(out, RS_CAP_SYS_ADMIN) ||
	    (rs_kfeatures_cap(out, RS_CAP_BPF) && rs_kfeatures_cap(out, RS_CAP_PERFMON));
	out->root = geteuid() == 0;
}

int rs_kfeatures_probe(struct rs_kfeatures *out)
{
	struct btf *btf;

	rs_kfeatures_self(out);
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return errno ? -errno : -EINVAL;
	fill_from_btf(btf, out);
	if (!out->privileged) {
		/* Probe loads would fail for want of privileges and say nothing: keep BTF's
		 * answers. */
		btf__free(btf);
		return 0;
	}
	if (out->tp_btf)
		refine(&out->tp_btf, probe_tracing(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF,
						   BPF_TRACE_RAW_TP, 0));
	refine(&out->iter_task_sleepable,
	       probe_tracing(btf, "bpf_iter_task", BTF_KIND_FUNC, BPF_TRACE_ITER, BPF_F_SLEEPABLE));
	btf__free(btf);
	refine(&out->ringbuf, libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL));
	refine(&out->task_storage, libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL));
	/* Helpers of the perf_event programs; libbpf cannot probe tracing programs' helpers. */
	refine(&out->find_vma,
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_find_vma, NULL));
	refine(&out->task_pt_regs,
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_task_pt_regs, NULL));
	refine(&out->get_task_stack,
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_get_task_stack, NULL));
	return 0;
}

bool rs_kfeatures_cap(const struct rs_kfeatures *f, int cap)
{
	return cap >= 0 && cap < 64 && (f->cap_eff >> cap & 1);
}

bool rs_kfeature_present(const struct rs_kfeatures *f, enum rs_kfeature id)
{
	if ((unsigned)id >= RS_KFEAT_MAX)
		return false;
	return *(const bool *)((const char *)f + feats[id].off);
}

const char *rs_kfeature_name(enum rs_kfeature id)
{
	return (unsigned)id < RS_KFEAT_MAX ? feats[id].name : "?";
}

const char *rs_kfeature_since(enum rs_kfeature id)
{
	return (unsigned)id < RS_KFEAT_MAX ? feats[id].since : "?";
}

size_t rs_kfeatures_missing(const struct rs_kfeatures *f, const enum rs_kfeature *need, size_t n,
			    char *buf, size_t len)
{
	size_t missing = 0, used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w;

		if (rs_kfeature_present(f, need[i]))
			continue;
		if (used < len) {
			w = snprintf(buf + used, len - used, "%s%s (Linux %s)", missing ? ", " : "",
				     rs_kfeature_name(need[i]), rs_kfeature_since(need[i]));
			used += w > 0 ? (size_t)w : 0;
		}
		missing++;
	}
	return missing;
}

/* Which of CAP_BPF and CAP_PERFMON (what loading needs, CAP_SYS_ADMIN aside) f lacks. */
static const char *lacking_bpf_caps(const struct rs_kfeatures *f)
{
	bool bpf = rs_kfeatures_cap(f, RS_CAP_BPF), perfmon = rs_kfeatures_cap(f, RS_CAP_PERFMON);

	return bpf ? "CAP_PERFMON" : perfmon ? "CAP_BPF" : "CAP_BPF and CAP_PERFMON";
}

void rs_kfeatures_load_error(const struct rs_kfeatures *f, int err, const char *what,
			     const enum rs_kfeature *need, size_t n, const char *prog,
			     const char *reason, char *buf, size_t len)
{
	const char *rel = *f->release ? f->release : "unknown";
	/* Only snapshots have a way without BPF. */
	const char *alt = strcmp(what, "snapshot") ? "" : ", or use --backend proc";
	char missing[512];

	if (rs_kfeatures_missing(f, need, n, missing, sizeof(missing)))
		snprintf(
		    buf, len,
		    "cannot load the %s BPF programs: this kernel (Linux %s) lacks %s: run rsample on a newer kernel%s",
		    what, rel, missing, alt);
	else if ((err == -EPERM || err == -EACCES) && !f->privileged)
		snprintf(
		    buf, len, "cannot load the %s BPF programs: %s: this process lacks %s: %s %s%s",
		    what, strerror(-err), lacking_bpf_caps(f),
		    f->root
			? "its user is root but its capability set is reduced (a container?): grant it"
			: "run rsample as root or grant it",
		    lacking_bpf_caps(f), alt);
	else
		snprintf(
		    buf, len,
		    "the kernel (Linux %s) refused the %s BPF program%s%s%s%s%s%s: %s; RSAMPLE_DEBUG=1 shows libbpf's and the verifier's log",
		    rel, what, *prog ? " '" : "s", prog, *prog ? "'" : "", *reason ? " (" : "",
		    reason, *reason ? ")" : "", strerror(-err));
}
