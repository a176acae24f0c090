// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature detection (capture/kfeatures.c) on small BTF files generated here in
 * the shape of old and new kernels, on the running kernel's BTF, and by
 * probe loads on the running kernel (root only).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "capture/capture.h"

/* How the generated kernel BTF looks. */
struct kspec {
	bool csx;	    /* pt_regs { union { u16 cs; u64 csx; ... } }, else unsigned long cs */
	bool state_new;	    /* task_struct.__state, else state */
	bool ancestors;	    /* cgroup.ancestors[], else ancestor_ids[] */
	int switch_params;  /* btf_trace_sched_switch's parameters, ctx included; 0: none */
	int tw_impl_params; /* bpf_task_work_schedule_resume_impl's parameters; 0: none */
	int tw_plain_params;
	const char *helpers[8]; /* BPF_FUNC_* names in enum bpf_func_id */
	const char *maps[4];	/* BPF_MAP_TYPE_* names in enum bpf_map_type */
};

static int add_func(struct btf *btf, const char *name, int nparams, int arg_type)
{
	int proto = btf__add_func_proto(btf, arg_type);

	for (int i = 0; i < nparams; i++)
		assert_int_equal(btf__add_func_param(btf, "a", arg_type), 0);
	return btf__add_func(btf, name, BTF_FUNC_GLOBAL, proto);
}

static void add_enum(struct btf *btf, const char *name, const char *const *values, size_t n)
{
	assert_true(btf__add_enum(btf, name, 4) > 0);
	for (size_t i = 0; i < n && values[i]; i++)
		assert_int_equal(btf__add_enum_value(btf, values[i], (__s64)i + 1), 0);
}

/* Writes BTF in the shape of spec to a temporary file; its path in path (size 64). */
static void write_btf(const struct kspec *spec, char *path)
{
	struct btf *btf = btf__new_empty();
	int ulong, u16, uint, u64, ptr, task, cgroup, cgptr, arr, un, proto;
	const void *raw;
	__u32 size;
	FILE *f;
	int fd;

	assert_non_null(btf);
	ulong = btf__add_int(btf, "long unsigned int", 8, 0);
	u16 = btf__add_int(btf, "u16", 2, 0);
	uint = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "u64", 8, 0);
	ptr = btf__add_ptr(btf, 0);

	if (spec->csx) {
		un = btf__add_union(btf, NULL, 8);
		assert_int_equal(btf__add_field(btf, "cs", u16, 0, 0), 0);
		assert_int_equal(btf__add_field(btf, "csx", u64, 0, 0), 0);
		assert_true(btf__add_struct(btf, "pt_regs", 16) > 0);
		assert_int_equal(btf__add_field(btf, "ip", ulong, 0, 0), 0);
		assert_int_equal(btf__add_field(btf, NULL, un, 64, 0), 0);
	} else {
		assert_true(btf__add_struct(btf, "pt_regs", 16) > 0);
		assert_int_equal(btf__add_field(btf, "ip", ulong, 0, 0), 0);
		assert_int_equal(btf__add_field(btf, "cs", ulong, 64, 0), 0);
	}

	task = btf__add_struct(btf, "task_struct", 8);
	assert_int_equal(btf__add_field(btf, spec->state_new ? "__state" : "state", uint, 0, 0), 0);
	/* Members follow their struct directly: the pointer's target is declared first. */
	cgptr = btf__add_ptr(btf, btf__add_fwd(btf, "cgroup", BTF_FWD_STRUCT));
	arr = btf__add_array(btf, uint, spec->ancestors ? cgptr : u64, 0);
	cgroup = btf__add_struct(btf, "cgroup", 8);
	assert_true(cgroup > 0);
	assert_int_equal(btf__add_field(btf, "level", uint, 0, 0), 0);
	assert_int_equal(
	    btf__add_field(btf, spec->ancestors ? "ancestors" : "ancestor_ids", arr, 64, 0), 0);

	if (spec->switch_params) {
		int tptr = btf__add_ptr(btf, task);

		proto = btf__add_func_proto(btf, 0);
		assert_int_equal(btf__add_func_param(btf, NULL, ptr), 0);
		assert_int_equal(btf__add_func_param(btf, NULL, uint), 0);
		for (int i = 2; i < spec->switch_params; i++)
			assert_int_equal(btf__add_func_param(btf, NULL, i < 4 ? tptr : uint), 0);
		assert_true(
		    btf__add_typedef(btf, "btf_trace_sched_switch", btf__add_ptr(btf, proto)) > 0);
	}
	if (spec->tw_impl_params || spec->tw_plain_params)
		assert_true(btf__add_struct(btf, "bpf_task_work", 8) > 0);
	if (spec->tw_impl_params)
		assert_true(add_func(btf, "bpf_task_work_schedule_resume_impl",
				     spec->tw_impl_params, ptr) > 0);
	if (spec->tw_plain_params)
		assert_true(
		    add_func(btf, "bpf_task_work_schedule_resume", spec->tw_plain_params, ptr) > 0);
	add_enum(btf, "bpf_func_id", spec->helpers, 8);
	add_enum(btf, "bpf_map_type", spec->maps, 4);

	raw = btf__raw_data(btf, &size);
	assert_non_null(raw);
	strcpy(path, "/tmp/rs-test-btf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
	btf__free(btf);
}

static void features_of(const struct kspec *spec, struct rs_kfeatures *f)
{
	char path[64];

	write_btf(spec, path);
	assert_int_equal(rs_kfeatures_from_btf(path, f), 0);
	unlink(path);
}

static void test_kfeatures_btf_like_6_18(void **state)
{
	const struct kspec spec = {
		.csx = true,
		.state_new = true,
		.ancestors = true,
		.switch_params = 5,
		.tw_impl_params = 5,
		.helpers = { "BPF_FUNC_get_task_stack", "BPF_FUNC_task_pt_regs",
			     "BPF_FUNC_find_vma", "BPF_FUNC_copy_from_user_task" },
		.maps = { "BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_TASK_STORAGE" },
	};
	struct rs_kfeatures f;

	(void)state;
	features_of(&spec, &f);
	assert_true(f.btf);
	assert_string_equal(f.release, "");
	assert_true(f.pt_regs_csx);
	assert_true(f.task_state_new);
	assert_true(f.cgroup_ancestors);
	assert_true(f.tp_btf);
	assert_true(f.switch_prev_state);
	assert_true(f.task_work);
	assert_false(f.task_work_plain);
	assert_true(f.ringbuf);
	assert_true(f.task_storage);
	assert_true(f.get_task_stack);
	assert_true(f.task_pt_regs);
	assert_true(f.find_vma);
	assert_true(f.copy_from_user_task);
	assert_true(f.iter_task_sleepable);
}

/* The shape of Debian 11's 5.10: old layouts, no find_vma, no sleepable iterators. */
static void test_kfeatures_btf_like_5_10(void **state)
{
	const struct kspec spec = {
		.switch_params = 4,
		.helpers = { "BPF_FUNC_get_task_stack" },
		.maps = { "BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_TASK_STORAGE" },
	};
	struct rs_kfeatures f;

	(void)state;
	features_of(&spec, &f);
	assert_true(f.btf);
	assert_false(f.pt_regs_csx);
	assert_false(f.task_state_new);
	assert_false(f.cgroup_ancestors);
	assert_true(f.tp_btf);
	assert_false(f.switch_prev_state);
	assert_false(f.task_work);
	assert_true(f.get_task_stack);
	assert_false(f.task_pt_regs);
	assert_false(f.find_vma);
	assert_false(f.copy_from_user_task);
	assert_false(f.iter_task_sleepable);
	assert_true(f.ringbuf);
	assert_true(f.task_storage);
}

/* No tracepoint types at all: no tp_btf (and so no prev_state either). */
static void test_kfeatures_btf_without_tracepoint_types(void **state)
{
	const struct kspec spec = { .csx = true, .state_new = true, .ancestors = true };
	struct rs_kfeatures f;

	(void)state;
	features_of(&spec, &f);
	assert_false(f.tp_btf);
	assert_false(f.switch_prev_state);
	assert_false(f.ringbuf);
	assert_false(f.task_storage);
}

/* Only the implicit-argument name (4 parameters), or _impl with the wrong arity. */
static void test_kfeatures_btf_task_work_names(void **state)
{
	struct kspec spec = { .csx = true, .switch_params = 5, .tw_plain_params = 4 };
	struct rs_kfeatures f;

	(void)state;
	features_of(&spec, &f);
	assert_false(f.task_work);
	assert_true(f.task_work_plain);

	spec.tw_plain_params = 5; /* the 6.18-rc signature, before the rename */
	spec.tw_impl_params = 4;
	features_of(&spec, &f);
	assert_false(f.task_work);
	assert_false(f.task_work_plain);
}

static void test_kfeatures_btf_unreadable(void **state)
{
	char path[] = "/tmp/rs-test-btf-XXXXXX";
	struct rs_kfeatures f;
	int fd;

	(void)state;
	memset(&f, 1, sizeof(f));
	assert_true(rs_kfeatures_from_btf("/nonexistent/vmlinux", &f) < 0);
	assert_false(f.btf);
	assert_false(f.task_work);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not BTF at all", 14), 14);
	close(fd);
	libbpf_set_print(NULL); /* libbpf's own complaint about the file is expected */
	assert_true(rs_kfeatures_from_btf(path, &f) < 0);
	assert_false(f.btf);
	unlink(path);
}

/* The running kernel's own BTF, injected by path: what every kernel rsample supports (6.1+) has. */
static void test_kfeatures_btf_of_running_kernel(void **state)
{
	const char *path = "/sys/kernel/btf/vmlinux";
	struct rs_kfeatures f;

	(void)state;
	if (access(path, R_OK)) {
		print_message("no %s: this kernel has no BTF, rsample cannot run on it\n", path);
		skip();
	}
	assert_int_equal(rs_kfeatures_from_btf(path, &f), 0);
	assert_true(f.btf);
	assert_true(f.tp_btf);
	assert_true(f.switch_prev_state);
	assert_true(f.ringbuf);
	assert_true(f.task_storage);
	assert_true(f.get_task_stack);
	assert_true(f.task_pt_regs);
	assert_true(f.find_vma);
	assert_true(f.copy_from_user_task);
	assert_true(f.task_state_new);
	assert_true(f.cgroup_ancestors);
}

/* Probe loads on the running kernel agree with its BTF where BTF can tell. */
static void test_kfeatures_probe_running_kernel(void **state)
{
	struct rs_kfeatures f, b;
	struct utsname u;

	(void)state;
	if (geteuid() != 0 || access("/sys/kernel/btf/vmlinux", R_OK)) {
		print_message("not root, or no kernel BTF: probe loads not tried\n");
		skip();
	}
	assert_int_equal(rs_kfeatures_probe(&f), 0);
	assert_int_equal(rs_kfeatures_from_btf(NULL, &b), 0);
	assert_int_equal(uname(&u), 0);
	assert_string_equal(f.release, u.release);
	assert_true(f.privileged);
	assert_true(f.tp_btf);
	assert_true(f.iter_task_sleepable);
	assert_true(f.ringbuf);
	assert_true(f.task_storage);
	assert_true(f.find_vma);
	assert_int_equal(f.task_work, b.task_work);
	assert_int_equal(f.pt_regs_csx, b.pt_regs_csx);
	assert_int_equal(f.copy_from_user_task, b.copy_from_user_task);
}

static void test_kfeatures_missing_names_each_with_its_version(void **state)
{
	const enum rs_kfeature need[] = { RS_KFEAT_TASK_WORK, RS_KFEAT_RINGBUF, RS_KFEAT_FIND_VMA };
	struct rs_kfeatures f = { .ringbuf = true };
	char buf[256];

	(void)state;
	assert_int_equal(rs_kfeatures_missing(&f, need, 3, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "bpf_task_work (Linux 6.18), bpf_find_vma() (Linux 5.17)");
	f.task_work = f.find_vma = true;
	assert_int_equal(rs_kfeatures_missing(&f, need, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_kfeatures_missing_cuts_to_the_buffer(void **state)
{
	const enum rs_kfeature need[] = { RS_KFEAT_TASK_STORAGE, RS_KFEAT_TP_BTF,
					  RS_KFEAT_RINGBUF };
	struct rs_kfeatures f = { 0 };
	char buf[16];

	(void)state;
	assert_int_equal(rs_kfeatures_missing(&f, need, 3, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "task local stor");
	assert_int_equal(rs_kfeatures_missing(&f, need, 3, NULL, 0), 3);
}

/* A load error names what is missing first, then privileges, then the verifier's words. */
static void test_kfeatures_load_error_names_the_cause(void **state)
{
	const enum rs_kfeature need[] = { RS_KFEAT_BTF, RS_KFEAT_TASK_STORAGE, RS_KFEAT_TP_BTF };
	struct rs_kfeatures f = { .release = "5.4.0", .btf = true };
	char buf[512];

	(void)state;
	rs_kfeatures_load_error(&f, -EINVAL, "profile", need, 3, "", "", buf, sizeof(buf));
	assert_string_equal(buf, "cannot load the profile BPF programs: this kernel (Linux 5.4.0) "
				 "lacks task local storage (Linux 5.11), BTF-typed tracepoints "
				 "(tp_btf) (Linux 5.5): run rsample on a newer kernel");
	/* only a snapshot has a way without BPF */
	rs_kfeatures_load_error(&f, -EINVAL, "snapshot", need, 3, "", "", buf, sizeof(buf));
	assert_non_null(strstr(buf, "run rsample on a newer kernel, or use --backend proc"));

	f = (struct rs_kfeatures){
		.release = "6.18.44", .btf = true, .task_storage = true, .tp_btf = true
	};
	rs_kfeatures_load_error(&f, -EPERM, "profile", need, 3, "", "", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Operation not permitted: this process lacks CAP_BPF and "
				    "CAP_PERFMON: run rsample as root or grant it CAP_BPF"));
	f.root = true; /* root in a container without the capabilities: root is not the fix */
	rs_kfeatures_load_error(&f, -EPERM, "profile", need, 3, "", "", buf, sizeof(buf));
	assert_non_null(strstr(buf, "its user is root but its capability set is reduced"));
	assert_null(strstr(buf, "as root"));
	/* only the one that is missing is named; CAP_SYS_RESOURCE is not needed to load */
	f.cap_eff = 1ull << RS_CAP_BPF;
	rs_kfeatures_load_error(&f, -EPERM, "snapshot", need, 3, "", "", buf, sizeof(buf));
	assert_non_null(strstr(buf,
			       "this process lacks CAP_PERFMON: its user is root but its "
			       "capability set is reduced (a container?): grant it CAP_PERFMON, "
			       "or use --backend proc"));
	assert_null(strstr(buf, "CAP_SYS_RESOURCE"));
	f.cap_eff = 0;
	f.root = false;

	f.privileged = true; /* the verifier says EPERM or EACCES too */
	rs_kfeatures_load_error(&f, -EACCES, "profile", need, 3, "on_switch",
				"R1 invalid mem access 'scalar'", buf, sizeof(buf));
	assert_string_equal(buf, "the kernel (Linux 6.18.44) refused the profile BPF program "
				 "'on_switch' (R1 invalid mem access 'scalar'): Permission denied; "
				 "RSAMPLE_DEBUG=1 shows libbpf's and the verifier's log");

	rs_kfeatures_load_error(&f, -EINVAL, "snapshot", need, 1, "", "", buf, sizeof(buf));
	assert_string_equal(buf, "the kernel (Linux 6.18.44) refused the snapshot BPF programs: "
				 "Invalid argument; RSAMPLE_DEBUG=1 shows libbpf's and the "
				 "verifier's log");
}

/* Every feature has a name, a version, and its own bool in struct rs_kfeatures. */
static void test_kfeatures_every_id_described_and_mapped(void **state)
{
	(void)state;
	for (int id = 0; id < RS_KFEAT_MAX; id++) {
		struct rs_kfeatures f = { 0 };
		unsigned major, minor;
		char end;

		assert_string_not_equal(rs_kfeature_name(id), "?");
		assert_int_equal(sscanf(rs_kfeature_since(id), "%u.%u%c", &major, &minor, &end), 2);
		assert_false(rs_kfeature_present(&f, id));
		memset(&f, 1, sizeof(f)); /* every bool true */
		assert_true(rs_kfeature_present(&f, id));
	}
	assert_string_equal(rs_kfeature_name(RS_KFEAT_MAX), "?");
	assert_string_equal(rs_kfeature_since(-1), "?");
	assert_false(rs_kfeature_present(&(struct rs_kfeatures){ .btf = true }, RS_KFEAT_MAX));
}

/* Setting one feature's bool makes only that feature present. */
static void test_kfeatures_present_reads_its_own_field(void **state)
{
	(void)state;
	assert_true(
	    rs_kfeature_present(&(struct rs_kfeatures){ .task_work = true }, RS_KFEAT_TASK_WORK));
	assert_false(rs_kfeature_present(&(struct rs_kfeatures){ .task_work_plain = true },
					 RS_KFEAT_TASK_WORK));
	assert_true(rs_kfeature_present(&(struct rs_kfeatures){ .iter_task_sleepable = true },
					RS_KFEAT_ITER_TASK_SLEEPABLE));
	assert_false(rs_kfeature_present(&(struct rs_kfeatures){ .copy_from_user_task = true },
					 RS_KFEAT_ITER_TASK_SLEEPABLE));
	assert_true(rs_kfeature_present(&(struct rs_kfeatures){ .switch_prev_state = true },
					RS_KFEAT_SWITCH_PREV_STATE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kfeatures_btf_like_6_18),
		cmocka_unit_test(test_kfeatures_btf_like_5_10),
		cmocka_unit_test(test_kfeatures_btf_without_tracepoint_types),
		cmocka_unit_test(test_kfeatures_btf_task_work_names),
		cmocka_unit_test(test_kfeatures_btf_unreadable),
		cmocka_unit_test(test_kfeatures_btf_of_running_kernel),
		cmocka_unit_test(test_kfeatures_probe_running_kernel),
		cmocka_unit_test(test_kfeatures_missing_names_each_with_its_version),
		cmocka_unit_test(test_kfeatures_missing_cuts_to_the_buffer),
		cmocka_unit_test(test_kfeatures_load_error_names_the_cause),
		cmocka_unit_test(test_kfeatures_every_id_described_and_mapped),
		cmocka_unit_test(test_kfeatures_present_reads_its_own_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
