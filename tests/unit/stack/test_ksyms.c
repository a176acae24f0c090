// SPDX-License-Identifier: GPL-2.0
/* kallsyms loading and lookup on fixtures, a generated 200k-line file and the real one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stack/stack.h"
#include "stack/stack_priv.h"

#define FIX RS_FIXTURES "/ksyms/"

/* Looks addr up and checks name, offset and module (NULL name: no symbol). */
static void expect_sym(const struct rs_ksyms *k, uint64_t addr, const char *name, uint64_t off,
		       const char *module)
{
	const char *got, *mod = "untouched";
	uint64_t o = 12345;

	got = rs_ksyms_lookup(k, addr, &o, &mod);
	if (!name) {
		if (got)
			fail_msg("%#llx: got %s, want nothing", (unsigned long long)addr, got);
		return;
	}
	if (!got)
		fail_msg("%#llx: got nothing, want %s", (unsigned long long)addr, name);
	assert_string_equal(got, name);
	assert_int_equal(o, off);
	if (module)
		assert_string_equal(mod, module);
	else
		assert_null(mod);
}

static void test_ksyms_lookup_kernel(void **state)
{
	struct rs_ksyms *k = NULL;

	(void)state;
	assert_int_equal(rs_ksyms_load(FIX "kallsyms", &k), 0);
	/* exact start, inside, between two symbols */
	expect_sym(k, 0xffffffff81001000, "do_one_initcall", 0, NULL);
	expect_sym(k, 0xffffffff81002010, "schedule", 0x10, NULL);
	expect_sym(k, 0xffffffff81000050, "secondary_startup_64", 0x10, NULL);
	/* aliases: the global one wins over the local one, ties keep file order */
	expect_sym(k, 0xffffffff81002000, "schedule", 0, NULL);
	expect_sym(k, 0xffffffff81000000, "_stext", 0, NULL);
	/* data symbols are skipped: the text symbol before them extends over them */
	expect_sym(k, 0xffffffff81002900, "arch_cpu_idle", 0x500, NULL);
	/* __pfx_ padding symbols are skipped */
	expect_sym(k, 0xffffffff81001ff8, "do_one_initcall", 0xff8, NULL);
	/* weak symbols, local and global */
	expect_sym(k, 0xffffffff81002404, "arch_cpu_idle", 4, NULL);
	expect_sym(k, 0xffffffff81003108, "weak_local_helper", 8, NULL);
	/* before the first symbol */
	expect_sym(k, 0xffffffff80000000, NULL, 0, NULL);
	expect_sym(k, 0xffffffff80ffffff, NULL, 0, NULL);
	expect_sym(k, 0, NULL, 0, NULL);
	rs_ksyms_free(k);
}

static void test_ksyms_lookup_modules(void **state)
{
	struct rs_ksyms *k = NULL;

	(void)state;
	assert_int_equal(rs_ksyms_load(FIX "kallsyms", &k), 0);
	expect_sym(k, 0xffffffffc0a00000, "ext4_file_read_iter", 0, "[ext4]");
	expect_sym(k, 0xffffffffc0a00150, "ext4_readdir", 0x50, "[ext4]");
	expect_sym(k, 0xffffffffc0b00090, "nft_do_chain", 0x10, "[nf_tables]");
	/* past the last symbol of the kernel proper / of a module: near is kept, far is not */
	expect_sym(k, 0xffffffff81003400, "_etext", 0x100, NULL);
	expect_sym(k, 0xffffffff81200000, NULL, 0, NULL);
	expect_sym(k, 0xffffffffc0a00200, "ext4_readdir", 0x100, "[ext4]");
	expect_sym(k, 0xffffffffc0a80000, NULL, 0, NULL);
	/* after every symbol */
	expect_sym(k, 0xffffffffc0b00100, "nft_do_chain", 0x80, "[nf_tables]");
	expect_sym(k, 0xffffffffc0c00000, NULL, 0, NULL);
	expect_sym(k, UINT64_MAX, NULL, 0, NULL);
	/* off and module are optional */
	assert_string_equal(rs_ksyms_lookup(k, 0xffffffffc0a00150, NULL, NULL), "ext4_readdir");
	rs_ksyms_free(k);
}

/* The kernel's names of given addresses: exact lookups with the printed name, offset and module. */
static void test_ksyms_from_names_lookup(void **state)
{
	char name[] = "futex_wait"; /* copied: the table must not point into the caller's strings */
	const struct rs_kname v[] = {
		{ 0xffffffff81002010, "schedule", NULL, 0x10 },
		{ 0xffffffffc0a00150, "ext4_readdir", "[ext4]", 0x50 },
		/* a build-id after the module's name (CONFIG_STACKTRACE_BUILD_ID) is dropped */
		{ 0xffffffffc0b00090, "nft_do_chain", "[nf_tables 0123456789abcdef]", 0x10 },
		{ 0xffffffff81001000, name, "", 0x9a },
		/* unnamed ("0x..." printed): left out, answered as kallsyms would, with nothing */
		{ 0xffffffffc0c00000, "", NULL, 0 },
		{ 0xffffffffc0c00010, NULL, NULL, 0 },
		/* given twice */
		{ 0xffffffff81002010, "schedule", NULL, 0x10 },
	};
	struct rs_ksyms *k = NULL;
	uint64_t addr;

	(void)state;
	assert_int_equal(rs_ksyms_from_names(v, sizeof(v) / sizeof(v[0]), &k), 0);
	strcpy(name, "overwrite");
	expect_sym(k, 0xffffffff81002010, "schedule", 0x10, NULL);
	expect_sym(k, 0xffffffffc0a00150, "ext4_readdir", 0x50, "[ext4]");
	expect_sym(k, 0xffffffffc0b00090, "nft_do_chain", 0x10, "[nf_tables]");
	expect_sym(k, 0xffffffff81001000, "futex_wait", 0x9a, NULL);
	expect_sym(k, 0xffffffffc0c00000, NULL, 0, NULL);
	expect_sym(k, 0xffffffffc0c00010, NULL, 0, NULL);
	/* exact addresses only: a neighbour is not guessed at */
	expect_sym(k, 0xffffffff81002011, NULL, 0, NULL);
	expect_sym(k, 0xffffffff8100200f, NULL, 0, NULL);
	expect_sym(k, 0, NULL, 0, NULL);
	expect_sym(k, UINT64_MAX, NULL, 0, NULL);
	assert_int_equal(rs_ksyms_addr(k, "schedule", NULL, 0x10, 0, &addr), -EOPNOTSUPP);
	rs_ksyms_free(k);

	/* no kernel frames at all: an empty table, every lookup answered with nothing */
	k = NULL;
	assert_int_equal(rs_ksyms_from_names(NULL, 0, &k), 0);
	assert_non_null(k);
	expect_sym(k, 0xffffffff81002010, NULL, 0, NULL);
	rs_ksyms_free(k);
}

/*
 * The same frames as a kallsyms table names them: for return addresses inside
 * a symbol (not at its start, which %pB would give to the symbol before), the
 * sparse table built from the kallsyms answers gives the same answers.
 */
static void test_ksyms_from_names_agrees_with_kallsyms(void **state)
{
	static const uint64_t pcs[] = {
		0xffffffff81002010, 0xffffffff81002404, 0xffffffff81003108,
		0xffffffffc0a00150, 0xffffffffc0b00090, 0xffffffff81000050
	};
	struct rs_kname v[sizeof(pcs) / sizeof(pcs[0])];
	struct rs_ksyms *full = NULL, *sparse = NULL;

	(void)state;
	assert_int_equal(rs_ksyms_load(FIX "kallsyms", &full), 0);
	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		v[i].addr = pcs[i];
		v[i].name = rs_ksyms_lookup(full, pcs[i], &v[i].off, &v[i].module);
		assert_non_null(v[i].name);
		assert_true(v[i].off > 0);
	}
	/* given in reverse: the order does not matter */
	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]) / 2; i++) {
		struct rs_kname t = v[i];

		v[i] = v[sizeof(pcs) / sizeof(pcs[0]) - 1 - i];
		v[sizeof(pcs) / sizeof(pcs[0]) - 1 - i] = t;
	}
	assert_int_equal(rs_ksyms_from_names(v, sizeof(pcs) / sizeof(pcs[0]), &sparse), 0);
	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		uint64_t off;
		const char *mod;
		const char *name = rs_ksyms_lookup(full, pcs[i], &off, &mod);

		expect_sym(sparse, pcs[i], name, off, mod);
	}
	rs_ksyms_free(sparse);
	rs_ksyms_free(full);
}

static void test_ksyms_load_errors(void **state)
{
	struct rs_ksyms *k = (struct rs_ksyms *)0x1;

	(void)state;
	/* kptr_restrict: every address reads 0 */
	assert_int_equal(rs_ksyms_load(FIX "kallsyms-restricted", &k), -EPERM);
	assert_ptr_equal(k, (struct rs_ksyms *)0x1);
	assert_int_equal(rs_ksyms_load(FIX "kallsyms-empty", &k), -ENODATA);
	assert_int_equal(rs_ksyms_load(FIX "kallsyms-notext", &k), -EINVAL);
	assert_int_equal(rs_ksyms_load(FIX "no-such-file", &k), -ENOENT);
	assert_ptr_equal(k, (struct rs_ksyms *)0x1);
	assert_null(rs_ksyms_lookup(NULL, 0xffffffff81000000, NULL, NULL));
	rs_ksyms_free(NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A file the size of a real one, in shuffled order; every symbol found again. */
static void test_ksyms_large_file(void **state)
{
	enum { N = 200000 };
	const uint64_t base = 0xffffffff81000000ull;
	char path[] = "/tmp/rsample-test-kallsyms-XXXXXX", name[32];
	struct rs_ksyms *k = NULL;
	uint64_t off;
	double t0, dt;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	/* symbol i at base + 0x40 * i, written in a scrambled order (7919 is prime to N) */
	for (uint64_t j = 0; j < N; j++) {
		uint64_t i = j * 7919 % N;

		if (i % 3 == 0)
			fprintf(f, "%016llx d data_%llu\n",
				(unsigned long long)(base + 0x40 * i + 8), (unsigned long long)i);
		fprintf(f, "%016llx %c sym_%llu%s\n", (unsigned long long)(base + 0x40 * i),
			i % 2 ? 't' : 'T', (unsigned long long)i, i >= N - 100 ? "\t[mod]" : "");
	}
	assert_int_equal(fclose(f), 0);

	t0 = now_s();
	assert_int_equal(rs_ksyms_load(path, &k), 0);
	dt = now_s() - t0;
	print_message("loaded %d symbols in %.3f s\n", N, dt);
	unlink(path);
	/* generous: sanitizers slow this down many times over */
	assert_true(dt < 3.0);
	for (uint64_t i = 0; i < N; i += 997) {
		const char *mod = NULL;

		snprintf(name, sizeof(name), "sym_%llu", (unsigned long long)i);
		assert_string_equal(rs_ksyms_lookup(k, base + 0x40 * i + 0x3f, &off, &mod), name);
		assert_int_equal(off, 0x3f);
		if (i >= N - 100)
			assert_string_equal(mod, "[mod]");
		else
			assert_null(mod);
	}
	rs_ksyms_free(k);
}

/* The machine's own kallsyms: readable as root, -EPERM otherwise; never anything else. */
static void test_ksyms_proc_kallsyms(void **state)
{
	struct rs_ksyms *k = NULL;
	char line[512], name[256], type;
	unsigned long long addr;
	const char *got;
	uint64_t off = 1;
	int err, checked = 0;
	FILE *f;

	(void)state;
	err = rs_ksyms_load("/proc/kallsyms", &k);
	if (err == -EPERM) {
		assert_true(geteuid() != 0);
		return;
	}
	assert_int_equal(err, 0);
	/* a few global text symbols of the running kernel resolve to themselves */
	f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && checked < 50) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || type != 'T' ||
		    strchr(line, '[') || !strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6))
			continue;
		got = rs_ksyms_lookup(k, addr, &off, NULL);
		assert_non_null(got);
		assert_int_equal(off, 0);
		/* aliases may name the address differently; the address must resolve exactly */
		checked++;
	}
	fclose(f);
	assert_true(checked > 0);
	rs_ksyms_free(k);
}

/* Kernel names back to addresses, as the /proc backend reads /proc/PID/stack. */
static void test_ksyms_addr_of_names(void **state)
{
	struct rs_ksyms *k = NULL;
	const char *mod;
	uint64_t a = 0, off;

	(void)state;
	assert_int_equal(rs_ksyms_load_names(FIX "kallsyms-dup", &k), 0);
	/* two static functions named do_wait: the printed size says which */
	assert_int_equal(rs_ksyms_addr(k, "do_wait", NULL, 0x10, 0x100, &a), 0);
	assert_int_equal(a, 0xffffffff81001010ull);
	assert_int_equal(rs_ksyms_addr(k, "do_wait", "", 0x10, 0x3f0, &a), 0);
	assert_int_equal(a, 0xffffffff81002010ull);
	/* without a size, the first that holds the offset */
	assert_int_equal(rs_ksyms_addr(k, "do_wait", NULL, 0x200, 0, &a), 0);
	assert_int_equal(a, 0xffffffff81002200ull);
	/* the module's own */
	assert_int_equal(rs_ksyms_addr(k, "do_wait", "[mod]", 0x8, 0x200, &a), 0);
	assert_int_equal(a, 0xffffffffc0000008ull);
	/* an alias: the name the address is shown with may be another one */
	assert_int_equal(rs_ksyms_addr(k, "do_wait_alias", NULL, 0x4, 0, &a), 0);
	assert_int_equal(a, 0xffffffff81002004ull);
	assert_non_null(rs_ksyms_lookup(k, a, &off, &mod));
	assert_int_equal(off, 4);
	/* nothing of that name holds the offset, or no such name */
	assert_int_equal(rs_ksyms_addr(k, "do_wait", NULL, 0x1000, 0, &a), -ENOENT);
	assert_int_equal(rs_ksyms_addr(k, "no_such", NULL, 0, 0, &a), -ENOENT);
	assert_int_equal(rs_ksyms_addr(k, "do_wait", "[other]", 0, 0, &a), -ENOENT);
	rs_ksyms_free(k);
	/* loaded without names: says so */
	assert_int_equal(rs_ksyms_load(FIX "kallsyms-dup", &k), 0);
	assert_int_equal(rs_ksyms_addr(k, "do_wait", NULL, 0, 0, &a), -EOPNOTSUPP);
	rs_ksyms_free(k);
}

/* Parses text of len bytes (a copy: the table takes it); fails the test instead of hanging. */
static int parse_copy(const char *text, size_t len, struct rs_ksyms **k)
{
	char *buf = malloc(len + 1);
	int err;

	assert_non_null(buf);
	memcpy(buf, text, len);
	buf[len] = '\0';
	alarm(5);
	err = rs_ksyms_parse(buf, len, true, k);
	alarm(0);
	return err;
}

/* Found by fuzzing (tests/fuzz/ksyms.c): a NUL inside a line made the line walk loop forever. */
static void test_ksyms_embedded_nul(void **state)
{
	static const char text[] = "ffffffff81000000 T first\0junk\n"
				   "\0\n"
				   "ffffffff81000100 T second\n"
				   "ffffffff81000200 T tail\0";
	struct rs_ksyms *k = NULL;
	uint64_t off;

	(void)state;
	assert_int_equal(parse_copy(text, sizeof(text) - 1, &k), 0);
	/* the part before a NUL is the line; lines after it still count */
	assert_string_equal(rs_ksyms_lookup(k, 0xffffffff81000010ull, &off, NULL), "first");
	assert_string_equal(rs_ksyms_lookup(k, 0xffffffff81000104ull, &off, NULL), "second");
	assert_string_equal(rs_ksyms_lookup(k, 0xffffffff81000200ull, &off, NULL), "tail");
	rs_ksyms_free(k);
	assert_int_equal(parse_copy("\0\0\0", 3, &k), -ENODATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ksyms_lookup_kernel),
		cmocka_unit_test(test_ksyms_lookup_modules),
		cmocka_unit_test(test_ksyms_from_names_lookup),
		cmocka_unit_test(test_ksyms_from_names_agrees_with_kallsyms),
		cmocka_unit_test(test_ksyms_load_errors),
		cmocka_unit_test(test_ksyms_large_file),
		cmocka_unit_test(test_ksyms_proc_kallsyms),
		cmocka_unit_test(test_ksyms_addr_of_names),
		cmocka_unit_test(test_ksyms_embedded_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
