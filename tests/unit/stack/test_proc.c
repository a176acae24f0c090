// SPDX-License-Identifier: GPL-2.0
/*
 * A process opened a while ago, refreshed (stack/proc.c rs_proc_refresh): kept
 * over the new maps when its modules are the same, refused when they changed
 * or the process is gone; on maps files written by the test under a proc
 * root of its own (test_prewarm.c refreshes this test process).
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
#include <sys/stat.h>
#include <cmocka.h>
#include "stack/stack.h"

#define EXE                                                                                        \
	"7f0000000000-7f0000001000 r--p 00000000 08:01 100 /app/svc\n"                             \
	"7f0000001000-7f0000004000 r-xp 00001000 08:01 100 /app/svc\n"
#define LIBC "7f1000000000-7f1000002000 r-xp 00000000 08:01 200 /lib/libc.so.6\n"
#define HEAP "7f2000000000-7f2000100000 rw-p 00000000 00:00 0 \n"

struct fake {
	char root[64];
	char maps[160];
};

static void fake_maps(struct fake *f, const char *text)
{
	FILE *out = fopen(f->maps, "w");

	assert_non_null(out);
	assert_int_equal(fputs(text, out) >= 0, 1);
	assert_int_equal(fclose(out), 0);
}

/* A proc root of the test's own with one process, 1, whose maps are text. */
static void fake_start(struct fake *f, const char *text)
{
	char dir[128];

	snprintf(f->root, sizeof(f->root), "/tmp/rs-test-proc-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(dir, sizeof(dir), "%s/1", f->root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(f->maps, sizeof(f->maps), "%s/maps", dir);
	fake_maps(f, text);
}

static void fake_stop(struct fake *f)
{
	char dir[128];

	unlink(f->maps);
	snprintf(dir, sizeof(dir), "%s/1", f->root);
	rmdir(dir);
	rmdir(f->root);
}

static void test_proc_refresh_same_modules_new_maps(void **state)
{
	struct rs_proc *p = NULL;
	struct fake f;

	(void)state;
	fake_start(&f, EXE LIBC);
	assert_int_equal(rs_proc_open(f.root, 1, NULL, &p), 0);
	assert_int_equal(rs_proc_maps(p)->n, 3);
	fake_maps(&f, EXE HEAP LIBC); /* a new anonymous mapping: the same modules */
	assert_int_equal(rs_proc_refresh(p), 0);
	assert_int_equal(rs_proc_maps(p)->n, 4);
	assert_non_null(rs_maps_find(rs_proc_maps(p), 0x7f2000000100));
	assert_int_equal(rs_proc_pid(p), 1);
	rs_proc_free(p);
	fake_stop(&f);
}

static void test_proc_refresh_refuses_changed_modules(void **state)
{
	struct rs_proc *p = NULL;
	struct fake f;

	(void)state;
	fake_start(&f, EXE LIBC);
	assert_int_equal(rs_proc_open(f.root, 1, NULL, &p), 0);
	/* exec'd: another executable file at the same place */
	fake_maps(&f, "7f0000000000-7f0000004000 r-xp 00000000 08:01 101 /app/svc\n" LIBC);
	assert_int_equal(rs_proc_refresh(p), -ESTALE);
	assert_int_equal(rs_proc_maps(p)->n, 3); /* unchanged */
	/* dlopen'd: one module more */
	fake_maps(&f, EXE LIBC "7f3000000000-7f3000001000 r-xp 00000000 08:01 300 /lib/x.so\n");
	assert_int_equal(rs_proc_refresh(p), -ESTALE);
	/* moved: the same file elsewhere */
	fake_maps(&f, EXE "7f1000010000-7f1000012000 r-xp 00000000 08:01 200 /lib/libc.so.6\n");
	assert_int_equal(rs_proc_refresh(p), -ESTALE);
	/* gone */
	unlink(f.maps);
	assert_int_equal(rs_proc_refresh(p), -ESRCH);
	assert_int_equal(rs_proc_maps(p)->n, 3);
	rs_proc_free(p);
	fake_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_refresh_same_modules_new_maps),
		cmocka_unit_test(test_proc_refresh_refuses_changed_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
