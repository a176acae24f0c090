// SPDX-License-Identifier: GPL-2.0
/*
 * The SVG flame graph on the hand-built profiles, compared byte for byte
 * with tests/fixtures/profile/ .svg files, and parsed by an independent XML
 * parser (python3's xml.etree) that also checks the flame graph's geometry:
 * every frame lies within its parent, widths follow weights.
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
#include <cmocka.h>
#include "out/out_priv.h"
#include "out_test.h"

/*
 * python3 parses the SVG from stdin and checks, per panel: each frame has a
 * title, a rect and a text; a frame one row up lies within a frame of this
 * row (by data-x/data-w and by pixels); rect widths are data-w scaled to the
 * panel's total. Prints "frames N" (all panels) on success.
 */
static const char checker[] =
    "python3 -c '\n"
    "import sys, xml.etree.ElementTree as ET\n"
    "NS = \"{http://www.w3.org/2000/svg}\"\n"
    "root = ET.parse(sys.stdin).getroot()\n"
    "assert root.tag == NS + \"svg\"\n"
    "assert root.find(NS + \"script\") is not None and root.find(NS + \"style\") is not None\n"
    "n = 0\n"
    "for p in root.iter(NS + \"g\"):\n"
    "    if p.get(\"class\") != \"panel\": continue\n"
    "    total, base = int(p.get(\"data-total\")), int(p.get(\"data-base\"))\n"
    "    rows = {}\n"
    "    for g in p.findall(NS + \"g\"):\n"
    "        assert g.get(\"class\") == \"f\"\n"
    "        t, r = g.find(NS + \"title\").text, g.find(NS + \"rect\")\n"
    "        assert g.find(NS + \"text\") is not None and \"\\n\" in t\n"
    "        x, w, y = int(g.get(\"data-x\")), int(g.get(\"data-w\")), int(r.get(\"y\"))\n"
    "        assert (base - y) % 16 == 0 and w > 0\n"
    "        assert abs(float(r.get(\"width\")) - w * 1180 / total) < 0.01, t\n"
    "        assert abs(float(r.get(\"x\")) - 10 - x * 1180 / total) < 0.01, t\n"
    "        rows.setdefault((base - y) // 16, []).append((x, w, t))\n"
    "        n += 1\n"
    "    assert not rows or rows[0] == [(0, total, rows[0][0][2])]\n"
    "    assert not rows or rows[0][0][2].startswith(\"all\\n\")\n"
    "    for d in rows:\n"
    "        for x, w, t in rows[d]:\n"
    "            assert d == 0 or any(px <= x and x + w <= px + pw for px, pw, _ in rows[d - 1]), t\n"
    "print(\"frames\", n)\n"
    "' <";

/* Runs the checker on svg; returns its exit status and the frame count it printed. */
static int check_svg(const char *svg, size_t len, int *frames)
{
	int status;
	char *out = pd_run_on(checker, svg, len, &status);

	if (sscanf(out, "frames %d", frames) != 1)
		*frames = -1;
	free(out);
	return status;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_out_svg_both_by_thread(void **state)
{
	struct pd_state *st = *state;
	size_t len;
	char *out;
	int frames;

	out = PD_RENDER(&len, rs_write_svg(f, st->both, 2, RS_GROUP_THREAD, "demo <pod> & co"));
	assert_int_equal(check_svg(out, len, &frames), 0);
	assert_int_equal(frames, count(out, "<g class=\"f\""));
	assert_int_equal(count(out, "<g class=\"panel\""), 2);
	/* names are escaped, kinds have their own panels and palettes */
	assert_non_null(strstr(out, ">demo &lt;pod&gt; &amp; co</text>"));
	assert_non_null(strstr(out, "<title>&lt;backend::Server as core::future::Future&gt;::poll\n"
				    "175 samples, 77.09%</title>"));
	assert_non_null(strstr(out, "<title>operator&quot;&quot;_km(char const*)\n"));
	assert_non_null(strstr(out, "<title>weird:name&lt;&amp;&gt;\n35.00 ms off-CPU, "));
	assert_non_null(strstr(out, "data-kind=\"on-cpu\" data-total=\"227\""));
	assert_non_null(strstr(out, "data-kind=\"off-cpu\" data-total=\"3735003\""));
	assert_non_null(strstr(out, "on-CPU: 227 samples at 99 Hz (3 lost)"));
	assert_non_null(strstr(out, "off-CPU: 3.74 s blocked in 306 waits (1 lost)"));
	pd_expect_file("both_thread.svg", out, len);
}

static void test_out_svg_oncpu_ungrouped(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *p[] = { &st->on };
	size_t len;
	char *out;
	int frames;

	out = PD_RENDER(&len, rs_write_svg(f, p, 1, RS_GROUP_NONE, NULL));
	assert_int_equal(check_svg(out, len, &frames), 0);
	assert_int_equal(count(out, "<g class=\"panel\""), 1);
	assert_null(strstr(out, "(4250)"));
	pd_expect_file("oncpu_none.svg", out, len);
	/* the order samples come in does not matter */
	pd_reverse(&st->on);
	out = PD_RENDER(&len, rs_write_svg(f, p, 1, RS_GROUP_NONE, NULL));
	pd_expect_file("oncpu_none.svg", out, len);
}

/* A name's colour depends on the name and the kind only. */
static void test_out_svg_colours(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *p[] = { &st->on };
	char *out, *a, *b, fill_a[40], fill_b[40];
	size_t len;

	out = PD_RENDER(&len, rs_write_svg(f, p, 1, RS_GROUP_THREAD, NULL));
	a = strstr(out, "<title>start_thread\n");
	assert_non_null(a);
	b = strstr(a + 1, "<title>start_thread\n");
	assert_non_null(b);
	assert_int_equal(sscanf(strstr(a, "fill=\""), "fill=\"%39[^\"]", fill_a), 1);
	assert_int_equal(sscanf(strstr(b, "fill=\""), "fill=\"%39[^\"]", fill_b), 1);
	assert_string_equal(fill_a, fill_b);
	free(out);
}

/* Frames under MIN_PX are left out; long names are cut to fit with "..". */
static void test_out_svg_narrow_frames(void **state)
{
	struct rs_profile p = { .kind = RS_PROF_ONCPU, .freq_hz = 99 };
	const struct rs_profile *pp[] = { &p };
	struct rs_psample *s;
	size_t len;
	char *out;
	int frames;

	(void)state;
	s = pd_sample(&p, 1, 1, "big", "big", 0, 1000000, 0);
	pd_u(s, 0x1000, "a_function_with_a_rather_long_name_that_cannot_fit_in_a_narrow_frame",
	     "/bin/x", NULL, 0, false);
	pd_u(s, 0x2000, "main", "/bin/x", NULL, 0, false);
	s = pd_sample(&p, 1, 1, "big", "big", 0, 1, 0);
	pd_u(s, 0x3000, "tiny", "/bin/x", NULL, 0, false);
	pd_u(s, 0x2000, "main", "/bin/x", NULL, 0, false);
	s = pd_sample(&p, 1, 1, "big", "big", 0, 60000, 0);
	pd_u(s, 0x4000, "\xe2\x82\xac_euro_sign_in_a_name_that_is_too_long", "/bin/x", NULL, 0,
	     false);
	pd_u(s, 0x2000, "main", "/bin/x", NULL, 0, false);

	out = PD_RENDER(&len, rs_write_svg(f, pp, 1, RS_GROUP_NONE, NULL));
	assert_int_equal(check_svg(out, len, &frames), 0);
	assert_int_equal(frames, 4); /* all, main, long, euro: not tiny */
	assert_null(strstr(out, "tiny"));
	/* 66.79 px: room for 8 characters, not bytes; the long name has 1113.2 px */
	assert_non_null(strstr(out, ">\xe2\x82\xac_euro..</text>"));
	assert_non_null(strstr(out,
			       ">a_function_with_a_rather_long_name_that_cannot_fit_in_a_narrow"
			       "_frame</text>"));
	free(out);
	rs_profile_clear(&p);
}

static void test_out_svg_empty(void **state)
{
	struct rs_profile p = { .kind = RS_PROF_OFFCPU };
	const struct rs_profile *pp[] = { &p };
	size_t len;
	char *out;
	int frames;

	(void)state;
	out = PD_RENDER(&len, rs_write_svg(f, pp, 1, RS_GROUP_THREAD, NULL));
	assert_int_equal(check_svg(out, len, &frames), 0);
	assert_int_equal(frames, 0);
	assert_non_null(strstr(out, "off-CPU: 0 us blocked in 0 waits"));
	free(out);
	assert_int_equal(rs_write_svg(stdout, pp, 0, RS_GROUP_NONE, NULL), -EINVAL);
}

/* The checker is not a rubber stamp: broken XML and a misplaced frame fail it. */
static void test_out_svg_checker_rejects(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *p[] = { &st->on };
	char *out, *at;
	size_t len;
	int frames;

	out = PD_RENDER(&len, rs_write_svg(f, p, 1, RS_GROUP_NONE, NULL));
	assert_int_equal(check_svg(out, len, &frames), 0);
	assert_int_not_equal(check_svg(out, len - 10, &frames), 0);
	/* main (40 samples at x 0) moved right of its parent */
	at = strstr(out, "data-x=\"0\" data-w=\"40\"><title>main\n");
	assert_non_null(at);
	memcpy(at, "data-x=\"9\"", 10);
	assert_int_not_equal(check_svg(out, len, &frames), 0);
	free(out);
}

static void test_out_svg_write_error(void **state)
{
	struct pd_state *st = *state;
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	assert_int_equal(rs_write_svg(f, st->both, 2, RS_GROUP_THREAD, NULL), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_svg_both_by_thread, pd_setup, pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_svg_oncpu_ungrouped, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_svg_colours, pd_setup, pd_teardown),
		cmocka_unit_test(test_out_svg_narrow_frames),
		cmocka_unit_test(test_out_svg_empty),
		cmocka_unit_test_setup_teardown(test_out_svg_checker_rejects, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_svg_write_error, pd_setup, pd_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
