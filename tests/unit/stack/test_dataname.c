// SPDX-License-Identifier: GPL-2.0
/*
 * Data addresses named (dataname.c): a data symbol of this test process
 * itself, and the regions of a process from its maps alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "stack/stack.h"
#include "stack/stack_priv.h"

/* What a global lock looks like to rsample: an object in this binary's .bss. */
static unsigned int test_lock_words[8];

static void test_dataname_symbol_of_this_process(void **state)
{
	struct rs_proc *p = NULL;
	struct rs_data_name n, copy;
	char buf[128];

	(void)state;
	assert_int_equal(rs_proc_open("/proc", (uint32_t)getpid(), NULL, &p), 0);
	assert_int_equal(
	    rs_name_data_addr(p, (uint64_t)(uintptr_t)&test_lock_words[2], NULL, 0, &n), 0);
	assert_int_equal(n.region, RS_DATA_SYMBOL);
	assert_string_equal(n.symbol, "test_lock_words");
	assert_int_equal(n.offset, 8);
	assert_non_null(n.module);
	assert_non_null(strstr(n.module, "test_dataname"));
	rs_data_name_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "test_lock_words+0x8");
	assert_string_equal(rs_data_region_name(n.region), "symbol");
	assert_int_equal(rs_data_name_copy(&copy, &n), 0);
	assert_string_equal(copy.symbol, n.symbol);
	assert_ptr_not_equal(copy.symbol, n.symbol);
	rs_data_name_clear(&copy);
	rs_data_name_clear(&n);
	assert_null(n.symbol);

	/* a local of this function: the stack of the thread whose sp is in its mapping */
	{
		int local = 0;
		struct rs_thread_sp me = { .tid = 4321, .sp = (uint64_t)(uintptr_t)&local };

		assert_int_equal(rs_name_data_addr(p, me.sp, &me, 1, &n), 0);
		assert_int_equal(n.region, RS_DATA_STACK);
		assert_int_equal(n.tid, 4321);
		rs_data_name_format(&n, buf, sizeof(buf));
		assert_string_equal(buf, "stack of tid 4321");
		rs_data_name_clear(&n);
	}
	rs_proc_free(p);

	/* no process: nothing known */
	assert_int_equal(rs_name_data_addr(NULL, 0x1000, NULL, 0, &n), 0);
	assert_int_equal(n.region, RS_DATA_UNKNOWN);
	rs_data_name_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "unknown memory");
}

static void test_dataname_regions_from_maps(void **state)
{
	static const char maps[] =
	    "555500000000-555500021000 rw-p 00000000 00:00 0                          [heap]\n"
	    "7f0000000000-7f0000800000 rw-p 00000000 00:00 0 \n"
	    "7f0000800000-7f0001000000 rw-p 00000000 00:00 0 \n"
	    "7f1000000000-7f1000001000 r--p 00000000 08:01 99                         /data/table.bin\n"
	    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n";
	struct rs_thread_sp sps[] = { { 7, 0 }, { 8, 0x7f0000ffff00 } };
	struct rs_proc p = { 0 };
	struct rs_data_name n;
	char buf[128];
	static const struct {
		uint64_t addr;
		enum rs_data_region region;
		const char *text;
	} want[] = {
		{ 0x555500000010, RS_DATA_HEAP, "heap" },
		{ 0x7f0000001000, RS_DATA_ANON, "anonymous mapping" },
		{ 0x7f0000900000, RS_DATA_STACK, "stack of tid 8" },
		{ 0x7f1000000100, RS_DATA_FILE, "in /data/table.bin" },
		{ 0x7ffc00000100, RS_DATA_STACK, "main stack" },
		{ 0x10, RS_DATA_UNKNOWN, "unknown memory" },
	};

	(void)state;
	assert_int_equal(rs_maps_parse(maps, &p.maps), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(rs_name_data_addr(&p, want[i].addr, sps, 2, &n), 0);
		assert_int_equal(n.region, want[i].region);
		rs_data_name_format(&n, buf, sizeof(buf));
		assert_string_equal(buf, want[i].text);
		rs_data_name_clear(&n);
	}
	assert_string_equal(rs_data_region_name(RS_DATA_ANON), "anonymous");

	/*
	 * A module whose mappings end where the first anonymous mapping starts
	 * (where a .bss past the file's last page would be): without a symbol
	 * there, that mapping is still only anonymous; inside it, the module.
	 */
	struct rs_mod mod = { .map = &p.maps.v[3], .path = "/data/table.bin" };

	mod.low = 0x7effff000000;
	mod.high = 0x7f0000000000;
	p.mods = &mod;
	p.n_mods = 1;
	assert_int_equal(rs_name_data_addr(&p, 0x7f0000001000, sps, 2, &n), 0);
	assert_int_equal(n.region, RS_DATA_ANON);
	rs_data_name_clear(&n);
	assert_int_equal(rs_name_data_addr(&p, 0x7effff000010, sps, 2, &n), 0);
	assert_int_equal(n.region, RS_DATA_MODULE);
	rs_data_name_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "in /data/table.bin (no symbol)");
	rs_data_name_clear(&n);
	rs_maps_clear(&p.maps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dataname_symbol_of_this_process),
		cmocka_unit_test(test_dataname_regions_from_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
