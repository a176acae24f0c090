// SPDX-License-Identifier: GPL-2.0
/* C++ and Rust (legacy, v0) demangling through libiberty. */
/* rs-test-objs: demangle */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "demangle.h"

static void expect(const char *mangled, bool keep_hash, const char *want)
{
	char *got = rs_demangle(mangled, keep_hash);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("'%s' (keep_hash %d): got '%s', want '%s'", mangled, keep_hash, got, want);
	free(got);
}

static void test_demangle_cpp(void **state)
{
	(void)state;
	expect("_ZN3foo3barEv", false, "foo::bar()");
	expect("_ZNSt6vectorIiSaIiEE9push_backERKi", false,
	       "std::vector<int, std::allocator<int> >::push_back(int const&)");
	expect("_ZN7backend6Server4pollEi", true, "backend::Server::poll(int)");
	expect("_Z4mainv", false, "main()");
}

static void test_demangle_rust_legacy_drops_hash(void **state)
{
	(void)state;
	expect("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", false,
	       "core::ptr::drop_in_place");
	expect("_ZN5tokio7runtime4park5Inner4park17ha7b6ec4bbd8e7c1aE", false,
	       "tokio::runtime::park::Inner::park");
	expect("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE", false,
	       "std::rt::lang_start::{{closure}}");
}

static void test_demangle_rust_legacy_keeps_hash(void **state)
{
	(void)state;
	expect("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", true,
	       "core::ptr::drop_in_place::h0123456789abcdef");
	expect("_ZN5tokio7runtime4park5Inner4park17ha7b6ec4bbd8e7c1aE", true,
	       "tokio::runtime::park::Inner::park::ha7b6ec4bbd8e7c1a");
}

static void test_demangle_rust_v0(void **state)
{
	(void)state;
	expect("_RNvCs1234_7mycrate3foo", false, "mycrate::foo");
	expect("_RNvNtCs1234_7mycrate3bar3foo", false, "mycrate::bar::foo");
	expect("_RINvNtC3std3mem8align_ofjEC3foo", false, "std::mem::align_of::<usize>");
	/* keep_hash shows v0's crate disambiguators instead */
	expect("_RNvCs1234_7mycrate3foo", true, "mycrate[3c1c0]::foo");
}

static void test_demangle_llvm_suffix(void **state)
{
	(void)state;
	/* LLVM's ThinLTO promotion suffix is not part of a Rust name */
	expect("_ZN4core3ptr13drop_in_place17h0123456789abcdefE.llvm.1234567890", false,
	       "core::ptr::drop_in_place");
	expect("_RNvCs1234_7mycrate3foo.llvm.999", false, "mycrate::foo");
	/* C++ keeps it as a clone suffix, as c++filt shows it */
	expect("_ZN3foo3barEv.llvm.77", false, "foo::bar() [clone .llvm.77]");
	/* a C name with the suffix is left alone */
	expect("helper.llvm.123", false, "helper.llvm.123");
}

static void test_demangle_plain_c_untouched(void **state)
{
	(void)state;
	expect("main", false, "main");
	expect("__libc_read", false, "__libc_read");
	expect("epoll_wait", true, "epoll_wait");
	expect("_start", false, "_start");
	expect("_Z", false, "_Z"); /* not a valid mangled name */
	expect("_ZN3fooE_garbage!", false, "_ZN3fooE_garbage!");
	expect("_R", false, "_R");
	expect("", false, "");
	assert_null(rs_demangle(NULL, false));
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
