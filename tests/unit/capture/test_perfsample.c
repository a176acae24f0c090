// SPDX-License-Identifier: GPL-2.0
/* The BPF-free perf sample: its attributes, its record parsed from synthetic buffers, its ring. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <asm/perf_regs.h>
#include "capture/proc_priv.h"

/* Builds a PERF_RECORD_SAMPLE of RS_PERF_SAMPLE_TYPE as the kernel lays it out. */
struct rec_builder {
	unsigned char buf[8192];
	size_t len;
};

static void put(struct rec_builder *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->buf));
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put64(struct rec_builder *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

/* The value a test puts in perf register r: recognisable, distinct. */
static uint64_t reg_val(unsigned int r)
{
	return 0x1000 + r;
}

static size_t build(struct rec_builder *b, uint16_t misc, uint64_t abi, const void *stack,
		    uint64_t stack_size, uint64_t dyn)
{
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE, .misc = misc };
	uint32_t ids[2] = { 4242, 4250 }, cpu[2] = { 3, 0 };
	uint64_t mask = rs_perf_regs_mask();

	b->len = 0;
	put(b, &h, sizeof(h));
	put(b, ids, sizeof(ids));
	put64(b, 123456789);
	put(b, cpu, sizeof(cpu));
	put64(b, 4); /* callchain: a context marker, then three kernel frames */
	put64(b, (uint64_t)PERF_CONTEXT_KERNEL);
	put64(b, 0xffffffff81000010ull);
	put64(b, 0xffffffff81000020ull);
	put64(b, 0xffffffff81000030ull);
	put64(b, abi);
	if (abi != PERF_SAMPLE_REGS_ABI_NONE)
		for (unsigned int r = 0; r < 64; r++)
			if (mask & (1ull << r))
				put64(b, reg_val(r));
	put64(b, stack_size);
	if (stack_size) {
		put(b, stack, stack_size);
		put64(b, dyn);
	}
	h.size = (uint16_t)b->len;
	memcpy(b->buf, &h, sizeof(h));
	return b->len;
}

static void test_perf_attr(void **state)
{
	struct perf_event_attr a;
	uint64_t mask = rs_perf_regs_mask();

	(void)state;
	rs_perf_attr_init(&a, 262144, true);
	assert_int_equal(a.type, PERF_TYPE_SOFTWARE);
	assert_int_equal(a.config, PERF_COUNT_SW_CPU_CLOCK);
	assert_int_equal(a.sample_period, RS_PROC_PERF_PERIOD_NS);
	assert_int_equal(a.sample_type, RS_PERF_SAMPLE_TYPE);
	assert_int_equal(a.sample_stack_user, RS_PERF_STACK_MAX); /* the kernel takes no more */
	assert_int_equal(a.sample_stack_user % 8, 0);
	assert_true(a.exclude_callchain_user);
	assert_false(a.exclude_kernel);
	assert_true(a.disabled);
	assert_int_equal(a.sample_regs_user, mask);
	rs_perf_attr_init(&a, 4100, false);
	assert_int_equal(a.sample_stack_user, 4096);
	assert_true(a.exclude_kernel);
	/* every general register x86-64 keeps, none of the segment registers it does not */
	for (unsigned int r = PERF_REG_X86_AX; r <= PERF_REG_X86_R15; r++) {
		bool want = r != PERF_REG_X86_SS && r != PERF_REG_X86_DS && r != PERF_REG_X86_ES &&
			    r != PERF_REG_X86_FS && r != PERF_REG_X86_GS;

		assert_int_equal(!!(mask & (1ull << r)), want);
	}
	assert_int_equal(mask >> PERF_REG_X86_64_MAX, 0);
}

static void test_perf_sample_user_mode(void **state)
{
	static unsigned char stack[256];
	struct rec_builder b;
	struct rs_perf_sample s;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(stack); i++)
		stack[i] = (unsigned char)i;
	len = build(&b, PERF_RECORD_MISC_USER, PERF_SAMPLE_REGS_ABI_64, stack, sizeof(stack), 200);
	assert_int_equal(
	    rs_perf_parse_sample(b.buf, len, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s), 0);
	assert_int_equal(s.pid, 4242);
	assert_int_equal(s.tid, 4250);
	assert_int_equal(s.time_ns, 123456789);
	assert_int_equal(s.cpu, 3);
	assert_true(s.user_mode);
	assert_int_equal(s.kstack_len, 3); /* the marker dropped */
	assert_int_equal(s.kstack[0], 0xffffffff81000010ull);
	assert_int_equal(s.kstack[2], 0xffffffff81000030ull);
	assert_true(s.regs_valid);
	assert_int_equal(s.regs.ip, reg_val(PERF_REG_X86_IP));
	assert_int_equal(s.regs.sp, reg_val(PERF_REG_X86_SP));
	assert_int_equal(s.regs.bp, reg_val(PERF_REG_X86_BP));
	assert_int_equal(s.regs.ax, reg_val(PERF_REG_X86_AX));
	assert_int_equal(s.regs.di, reg_val(PERF_REG_X86_DI));
	assert_int_equal(s.regs.r8, reg_val(PERF_REG_X86_R8));
	assert_int_equal(s.regs.r15, reg_val(PERF_REG_X86_R15));
	assert_int_equal(s.regs.flags, reg_val(PERF_REG_X86_FLAGS));
	assert_int_equal(s.regs.cs, reg_val(PERF_REG_X86_CS));
	assert_int_equal(s.regs.orig_ax, (uint64_t)-1);
	/* dyn_size: what the kernel could copy before the end of the stack */
	assert_int_equal(s.stack_len, 200);
	assert_memory_equal(s.stack, stack, 200);
}

static void test_perf_sample_kernel_mode_and_no_regs(void **state)
{
	struct rec_builder b;
	struct rs_perf_sample s;
	size_t len;

	(void)state;
	len = build(&b, PERF_RECORD_MISC_KERNEL, PERF_SAMPLE_REGS_ABI_64, NULL, 0, 0);
	assert_int_equal(
	    rs_perf_parse_sample(b.buf, len, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s), 0);
	assert_false(s.user_mode);
	assert_true(s.regs_valid);
	assert_null(s.stack);
	assert_int_equal(s.stack_len, 0);
	/* a kernel thread: no user registers at all */
	len = build(&b, PERF_RECORD_MISC_KERNEL, PERF_SAMPLE_REGS_ABI_NONE, NULL, 0, 0);
	assert_int_equal(
	    rs_perf_parse_sample(b.buf, len, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s), 0);
	assert_false(s.regs_valid);
	assert_int_equal(s.regs.ip, 0);
}

static void test_perf_sample_malformed(void **state)
{
	static unsigned char stack[64];
	struct rec_builder b;
	struct rs_perf_sample s;
	struct perf_event_header h;
	size_t len;

	(void)state;
	len = build(&b, PERF_RECORD_MISC_USER, PERF_SAMPLE_REGS_ABI_64, stack, sizeof(stack), 64);
	/* every shorter length: a cut record, never a read past it (ASan watches) */
	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, b.buf, cut);
		if (cut >= sizeof(h)) {
			memcpy(&h, copy, sizeof(h));
			h.size = (uint16_t)cut;
			memcpy(copy, &h, sizeof(h));
		}
		if (rs_perf_parse_sample(copy, cut, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s) !=
		    -EINVAL)
			fail_msg("a record cut at %zu of %zu bytes parsed", cut, len);
		free(copy);
	}
	/* dyn_size larger than the dump */
	len = build(&b, PERF_RECORD_MISC_USER, PERF_SAMPLE_REGS_ABI_64, stack, sizeof(stack), 65);
	assert_int_equal(
	    rs_perf_parse_sample(b.buf, len, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s),
	    -EINVAL);
	/* not a sample; fields this parser does not know */
	len = build(&b, PERF_RECORD_MISC_USER, PERF_SAMPLE_REGS_ABI_64, stack, sizeof(stack), 8);
	memcpy(&h, b.buf, sizeof(h));
	h.type = PERF_RECORD_LOST;
	memcpy(b.buf, &h, sizeof(h));
	assert_int_equal(
	    rs_perf_parse_sample(b.buf, len, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s),
	    -ENOENT);
	assert_int_equal(rs_perf_parse_sample(b.buf, len, RS_PERF_SAMPLE_TYPE | PERF_SAMPLE_RAW,
					      rs_perf_regs_mask(), &s),
			 -EINVAL);
}

/* The register table both ways: each perf register lands in its own struct rs_regs field. */
static void test_perf_regs_mapping(void **state)
{
	uint64_t vals[64], mask = rs_perf_regs_mask();
	size_t n = (size_t)__builtin_popcountll(mask), k = 0;
	struct rs_regs r;
	const uint64_t *f = (const uint64_t *)&r;

	(void)state;
	for (unsigned int bit = 0; bit < 64; bit++)
		if (mask & (1ull << bit))
			vals[k++] = reg_val(bit);
	memset(&r, 0, sizeof(r));
	rs_perf_regs_to_rs(mask, vals, n, &r);
	/* every field but orig_ax got a distinct value from the table */
	for (size_t i = 0; i < sizeof(r) / 8; i++) {
		if (i == offsetof(struct rs_regs, orig_ax) / 8) {
			assert_int_equal(f[i], 0);
			continue;
		}
		assert_true(f[i] >= 0x1000 && f[i] < 0x1000 + 64);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(f[i], f[j]);
	}
	assert_int_equal(r.r10, reg_val(PERF_REG_X86_R10));
	assert_int_equal(r.bx, reg_val(PERF_REG_X86_BX));
}

/* rs_perf_thread_take() over a fake ring: records wrap around its end. */
static void test_perf_ring_wraps(void **state)
{
	enum { PAGE = 4096, DATA = 4096 };
	unsigned char *ring = calloc(1, PAGE + DATA), out[4096];
	struct perf_event_mmap_page *mp = (void *)ring;
	struct rs_perf_thread t = { .fd = 0, .ring = ring, .ring_len = PAGE + DATA };
	struct perf_event_header lost = { .type = PERF_RECORD_LOST, .size = 24 };
	struct rec_builder b;
	unsigned char stack[32] = { 1, 2, 3 };
	size_t len =
	    build(&b, PERF_RECORD_MISC_USER, PERF_SAMPLE_REGS_ABI_64, stack, sizeof(stack), 32);
	uint64_t pos = DATA - 40; /* the lost record, then the sample across the end */
	struct rs_perf_sample s;
	ssize_t got;

	(void)state;
	assert_non_null(ring);
	mp->data_offset = PAGE;
	mp->data_size = DATA;
	mp->data_tail = pos;
	for (size_t i = 0; i < lost.size; i++)
		ring[PAGE + (pos + i) % DATA] = i < sizeof(lost) ? ((unsigned char *)&lost)[i] : 0;
	pos += lost.size;
	for (size_t i = 0; i < len; i++)
		ring[PAGE + (pos + i) % DATA] = b.buf[i];
	pos += len;
	assert_int_equal(rs_perf_thread_take(&t, out, sizeof(out)), 0); /* head not moved yet */
	mp->data_head = pos;
	got = rs_perf_thread_take(&t, out, 16);
	assert_int_equal(got, -EMSGSIZE);
	mp->data_tail = DATA - 40;
	got = rs_perf_thread_take(&t, out, sizeof(out));
	assert_int_equal(got, (ssize_t)len);
	assert_memory_equal(out, b.buf, len);
	assert_int_equal(mp->data_tail, pos);
	assert_int_equal(
	    rs_perf_parse_sample(out, (size_t)got, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s),
	    0);
	assert_int_equal(s.tid, 4250);
	assert_int_equal(rs_perf_thread_take(&t, out, sizeof(out)), 0); /* consumed */
	free(ring);
}

/* The real event on this very thread: one sample, in its own context, with its stack. */
static void test_perf_thread_own_sample(void **state)
{
	static unsigned char buf[sizeof(struct perf_event_header) + 65536 + 8192];
	struct rs_perf_thread t = { .fd = -1 };
	struct rs_perf_sample s;
	volatile uint64_t spin = 0;
	ssize_t got = 0;
	int e;

	(void)state;
	e = rs_perf_thread_open((uint32_t)gettid(), 16384, &t);
	if (e == -EACCES || e == -EPERM || e == -ENOSYS || e == -ENOENT)
		skip(); /* perf_event_paranoid, or no perf events here */
	assert_int_equal(e, 0);
	for (uint64_t i = 0; i < 2000000000ull && !got; i++) {
		spin += i;
		if (!(i & 0xffff))
			got = rs_perf_thread_take(&t, buf, sizeof(buf));
	}
	assert_true(got > 0);
	assert_int_equal(
	    rs_perf_parse_sample(buf, (size_t)got, RS_PERF_SAMPLE_TYPE, rs_perf_regs_mask(), &s),
	    0);
	assert_int_equal(s.tid, (uint32_t)gettid());
	assert_int_equal(s.pid, (uint32_t)getpid());
	if (s.user_mode) {
		assert_true(s.regs_valid);
		/* sp is in this thread's stack, near a local */
		assert_true(s.regs.sp < (uint64_t)(uintptr_t)&spin + 65536 &&
			    s.regs.sp + 65536 > (uint64_t)(uintptr_t)&spin);
		assert_true(s.stack_len > 0 && s.stack_len <= 16384);
	}
	/* armed for one overflow: no second sample */
	for (uint64_t i = 0; i < 20000000ull; i++)
		spin += i;
	assert_int_equal(rs_perf_thread_take(&t, buf, sizeof(buf)), 0);
	rs_perf_thread_close(&t);
	assert_int_equal(t.fd, -1);
	rs_perf_thread_close(&t); /* closed twice: nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perf_attr),
		cmocka_unit_test(test_perf_sample_user_mode),
		cmocka_unit_test(test_perf_sample_kernel_mode_and_no_regs),
		cmocka_unit_test(test_perf_sample_malformed),
		cmocka_unit_test(test_perf_regs_mapping),
		cmocka_unit_test(test_perf_ring_wraps),
		cmocka_unit_test(test_perf_thread_own_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
