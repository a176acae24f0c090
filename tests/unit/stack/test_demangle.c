// SPDX-License-Identifier: GPL-2.0
/* C++ and Rust (legacy, v0) demangling through libiberty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stack/gdb/gdb.h"
#include "stack/stack.h"

static void expect(const char *mangled, unsigned int flags, const char *want)
{
	char *got = rs_demangle(mangled, flags);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("'%s' (flags %#x): got '%s', want '%s'", mangled, flags, got, want);
	free(got);
}

static void test_demangle_cpp(void **state)
{
	(void)state;
	/* with parameters: how gdb names a function known only from a symbol table */
	expect("_ZN3foo3barEv", RS_DEMANGLE_PARAMS, "foo::bar()");
	expect("_ZNSt6vectorIiSaIiEE9push_backERKi", RS_DEMANGLE_PARAMS,
	       "std::vector<int, std::allocator<int> >::push_back(int const&)");
	expect("_ZN7backend6Server4pollEi", RS_DEMANGLE_PARAMS | RS_DEMANGLE_KEEP_HASH,
	       "backend::Server::poll(int)");
	expect("_Z4mainv", RS_DEMANGLE_PARAMS, "main()");
	/* without: how gdb names a function it has DWARF for */
	expect("_ZN3foo3barEv", 0, "foo::bar");
	expect(
	    "_ZNSt11this_thread9sleep_forIlSt5ratioILl3600ELl1EEEEvRKNSt6chrono8durationIT_T0_EE",
	    0, "std::this_thread::sleep_for<long, std::ratio<3600l, 1l> >");
}

static void test_demangle_rust_legacy_drops_hash(void **state)
{
	(void)state;
	expect("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", 0, "core::ptr::drop_in_place");
	expect("_ZN5tokio7runtime4park5Inner4park17ha7b6ec4bbd8e7c1aE", 0,
	       "tokio::runtime::park::Inner::park");
	expect("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE", 0,
	       "std::rt::lang_start::{{closure}}");
}

static void test_demangle_rust_legacy_keeps_hash(void **state)
{
	(void)state;
	expect("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", RS_DEMANGLE_KEEP_HASH,
	       "core::ptr::drop_in_place::h0123456789abcdef");
	expect("_ZN5tokio7runtime4park5Inner4park17ha7b6ec4bbd8e7c1aE", RS_DEMANGLE_KEEP_HASH,
	       "tokio::runtime::park::Inner::park::ha7b6ec4bbd8e7c1a");
}

static void test_demangle_rust_v0(void **state)
{
	(void)state;
	expect("_RNvCs1234_7mycrate3foo", 0, "mycrate::foo");
	expect("_RNvNtCs1234_7mycrate3bar3foo", 0, "mycrate::bar::foo");
	expect("_RINvNtC3std3mem8align_ofjEC3foo", 0, "std::mem::align_of::<usize>");
	/* keep_hash shows v0's crate disambiguators instead */
	expect("_RNvCs1234_7mycrate3foo", RS_DEMANGLE_KEEP_HASH, "mycrate[3c1c0]::foo");
}

static void test_demangle_llvm_suffix(void **state)
{
	(void)state;
	/* LLVM's ThinLTO promotion suffix is not part of a Rust name */
	expect("_ZN4core3ptr13drop_in_place17h0123456789abcdefE.llvm.1234567890", 0,
	       "core::ptr::drop_in_place");
	expect("_RNvCs1234_7mycrate3foo.llvm.999", 0, "mycrate::foo");
	/* C++ keeps it as a clone suffix, as c++filt shows it */
	expect("_ZN3foo3barEv.llvm.77", RS_DEMANGLE_PARAMS, "foo::bar() [clone .llvm.77]");
	/* a C name with the suffix is left alone */
	expect("helper.llvm.123", 0, "helper.llvm.123");
}

static void test_demangle_plain_c_untouched(void **state)
{
	(void)state;
	expect("main", 0, "main");
	expect("__libc_read", 0, "__libc_read");
	expect("epoll_wait", RS_DEMANGLE_KEEP_HASH, "epoll_wait");
	expect("_start", 0, "_start");
	expect("_Z", 0, "_Z"); /* not a valid mangled name */
	expect("_ZN3fooE_garbage!", 0, "_ZN3fooE_garbage!");
	expect("_R", 0, "_R");
	expect("", 0, "");
	assert_null(rs_demangle(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demangle_cpp),
		cmocka_unit_test(test_demangle_rust_legacy_drops_hash),
		cmocka_unit_test(test_demangle_rust_legacy_keeps_hash),
		cmocka_unit_test(test_demangle_rust_v0),
		cmocka_unit_test(test_demangle_llvm_suffix),
		cmocka_unit_test(test_demangle_plain_c_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
