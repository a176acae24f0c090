// SPDX-License-Identifier: GPL-2.0
/*
 * pprof output on the hand-built profiles: gunzipped with zlib, decoded with
 * protobuf-c's unpack (not the writer's own structures), checked for pprof's
 * rules (string 0 is "", dense 1-based ids, every reference resolves, inline
 * chains innermost first, build-ids on mappings) and dumped as text compared
 * exactly with tests/fixtures/profile/ .pprof.txt files.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>
#include "gen/pprof.pb-c.h"
#include "out/out_priv.h"
#include "out_test.h"

typedef Perftools__Profiles__Profile pb_profile;

static char *gunzip(const char *gz, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = 1 << 16;
	char *out = malloc(cap);
	int zr;

	assert_non_null(out);
	/* a gzip member, not zlib or raw deflate */
	assert_true(len > 18 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		zs.next_out = (Bytef *)out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		zr = inflate(&zs, Z_NO_FLUSH);
		assert_true(zr == Z_OK || zr == Z_STREAM_END);
	} while (zr != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static pb_profile *render_decode(const struct rs_profile *const *p, size_t n, enum rs_group_by g)
{
	size_t len, raw_len;
	char *gz, *raw;
	pb_profile *prof;

	gz = PD_RENDER(&len, rs_write_pprof(f, p, n, g));
	raw = gunzip(gz, len, &raw_len);
	prof = perftools__profiles__profile__unpack(NULL, raw_len, (uint8_t *)raw);
	assert_non_null(prof);
	free(gz);
	free(raw);
	return prof;
}

static const char *str(const pb_profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

/* pprof's rules, checked on the decoded message. */
static void check_rules(const pb_profile *p)
{
	assert_true(p->n_string_table > 0);
	assert_string_equal(p->string_table[0], "");
	for (size_t i = 0; i < p->n_mapping; i++) {
		assert_int_equal(p->mapping[i]->id, i + 1);
		str(p, p->mapping[i]->filename);
		str(p, p->mapping[i]->build_id);
		assert_true(p->mapping[i]->memory_start < p->mapping[i]->memory_limit);
	}
	for (size_t i = 0; i < p->n_function; i++) {
		assert_int_equal(p->function[i]->id, i + 1);
		str(p, p->function[i]->name);
		str(p, p->function[i]->system_name);
		str(p, p->function[i]->filename);
	}
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];

		assert_int_equal(l->id, i + 1);
		assert_true(l->mapping_id <= p->n_mapping);
		if (l->mapping_id) {
			const Perftools__Profiles__Mapping *m = p->mapping[l->mapping_id - 1];

			assert_true(l->address >= m->memory_start && l->address < m->memory_limit);
		}
		assert_true(l->n_line >= 1);
		for (size_t j = 0; j < l->n_line; j++)
			assert_true(l->line[j]->function_id >= 1 &&
				    l->line[j]->function_id <= p->n_function);
	}
	for (size_t i = 0; i < p->n_sample; i++) {
		assert_int_equal(p->sample[i]->n_value, p->n_sample_type);
		assert_true(p->sample[i]->n_location_id >= 1);
		for (size_t j = 0; j < p->sample[i]->n_location_id; j++)
			assert_true(p->sample[i]->location_id[j] >= 1 &&
				    p->sample[i]->location_id[j] <= p->n_location);
		for (size_t j = 0; j < p->sample[i]->n_label; j++)
			str(p, p->sample[i]->label[j]->key);
	}
	for (size_t i = 0; i < p->n_comment; i++)
		str(p, p->comment[i]);
}

/* The decoded profile as text, every reference resolved. */
static char *dump(const pb_profile *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	fputs("sample_type:", f);
	for (size_t i = 0; i < p->n_sample_type; i++)
		fprintf(f, " %s/%s", str(p, p->sample_type[i]->type),
			str(p, p->sample_type[i]->unit));
	fprintf(f, "\ndefault_sample_type: %s\n", str(p, p->default_sample_type));
	if (p->period_type)
		fprintf(f, "period_type: %s/%s period: %" PRId64 "\n", str(p, p->period_type->type),
			str(p, p->period_type->unit), p->period);
	fprintf(f, "time_nanos: %" PRId64 " duration_nanos: %" PRId64 "\n", p->time_nanos,
		p->duration_nanos);
	for (size_t i = 0; i < p->n_comment; i++) {
		const char *c = str(p, p->comment[i]);

		/* the version is the build's: not part of the fixture */
		fprintf(f, "comment: %s\n", strncmp(c, "rsample ", 8) ? c : "rsample VERSION");
	}
	for (size_t i = 0; i < p->n_mapping; i++) {
		const Perftools__Profiles__Mapping *m = p->mapping[i];

		fprintf(f,
			"mapping %" PRIu64 ": %#" PRIx64 "-%#" PRIx64 " offset %#" PRIx64
			" \"%s\" build_id \"%s\"%s%s%s%s\n",
			m->id, m->memory_start, m->memory_limit, m->file_offset,
			str(p, m->filename), str(p, m->build_id),
			m->has_functions ? " functions" : "", m->has_filenames ? " filenames" : "",
			m->has_line_numbers ? " lines" : "", m->has_inline_frames ? " inline" : "");
	}
	for (size_t i = 0; i < p->n_function; i++) {
		const Perftools__Profiles__Function *fn = p->function[i];

		fprintf(f, "function %" PRIu64 ": \"%s\" system \"%s\" file \"%s\"\n", fn->id,
			str(p, fn->name), str(p, fn->system_name), str(p, fn->filename));
	}
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];

		fprintf(f, "location %" PRIu64 ": mapping %" PRIu64 " address %#" PRIx64 "\n",
			l->id, l->mapping_id, l->address);
		for (size_t j = 0; j < l->n_line; j++)
			fprintf(f, "  line: function %" PRIu64 " (%s) line %" PRId64 "\n",
				l->line[j]->function_id,
				str(p, p->function[l->line[j]->function_id - 1]->name),
				l->line[j]->line);
	}
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		fputs("sample: values", f);
		for (size_t j = 0; j < s->n_value; j++)
			fprintf(f, " %" PRId64, s->value[j]);
		fputs(" labels", f);
		for (size_t j = 0; j < s->n_label; j++) {
			if (s->label[j]->str)
				fprintf(f, " %s=\"%s\"", str(p, s->label[j]->key),
					str(p, s->label[j]->str));
			else
				fprintf(f, " %s=%" PRId64, str(p, s->label[j]->key),
					s->label[j]->num);
		}
		fputs("\n  locations", f);
		for (size_t j = 0; j < s->n_location_id; j++)
			fprintf(f, " %" PRIu64, s->location_id[j]);
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const Perftools__Profiles__Mapping *mapping_named(const pb_profile *p, const char *file)
{
	for (size_t i = 0; i < p->n_mapping; i++)
		if (!strcmp(str(p, p->mapping[i]->filename), file))
			return p->mapping[i];
	fail_msg("no mapping '%s'", file);
	return NULL;
}

static const char *fn_name(const pb_profile *p, const Perftools__Profiles__Line *l)
{
	return str(p, p->function[l->function_id - 1]->name);
}

static void test_out_pprof_both_by_thread(void **state)
{
	struct pd_state *st = *state;
	pb_profile *p = render_decode(st->both, 2, RS_GROUP_THREAD);
	const Perftools__Profiles__Location *chain = NULL;
	int64_t sums[4] = { 0 };
	size_t len;
	char *text;

	check_rules(p);
	assert_int_equal(p->n_sample_type, 4);
	assert_string_equal(str(p, p->sample_type[1]->type), "cpu");
	assert_string_equal(str(p, p->sample_type[3]->unit), "nanoseconds");
	assert_string_equal(str(p, p->default_sample_type), "cpu");
	assert_int_equal(p->period, 10101010);
	assert_int_equal(p->n_sample, 12); /* the sample that weighs nothing is left out */
	for (size_t i = 0; i < p->n_sample; i++)
		for (size_t j = 0; j < 4; j++)
			sums[j] += p->sample[i]->value[j];
	assert_int_equal(sums[0], 227);
	assert_int_equal(sums[1], 227 * 10101010LL);
	assert_int_equal(sums[2], 306);
	assert_int_equal(sums[3], 2500000000LL + 1200000400LL + 35000600LL + 400 + 1000);

	/* the Rust inline chain: one location, innermost first */
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->address == 0x55d4c0a10010)
			chain = p->location[i];
	assert_non_null(chain);
	assert_int_equal(chain->n_line, 2);
	assert_string_equal(fn_name(p, chain->line[0]), "core::hash::sip::Hasher<S>::write");
	assert_int_equal(chain->line[0]->line, 250);
	assert_string_equal(fn_name(p, chain->line[1]), "backend::cache::Cache::get");
	assert_int_equal(chain->line[1]->line, 41);
	assert_string_equal(str(p, mapping_named(p, PD_BACKEND)->build_id),
			    "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567");
	assert_true(mapping_named(p, PD_BACKEND)->has_inline_frames);
	/* the unnamed frame's mapping says so */
	assert_string_equal(str(p, mapping_named(p, PD_LIBFOO)->build_id), "");
	assert_false(mapping_named(p, PD_LIBFOO)->has_functions);
	assert_false(mapping_named(p, "[kernel]")->has_filenames);
	text = dump(p, &len);
	pd_expect_file("both_thread.pprof.txt", text, len);
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_out_pprof_offcpu_ungrouped(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *pp[] = { &st->off };
	pb_profile *p = render_decode(pp, 1, RS_GROUP_NONE);
	size_t len;
	char *text;

	check_rules(p);
	assert_int_equal(p->n_sample_type, 2);
	assert_string_equal(str(p, p->sample_type[0]->type), "waits");
	assert_string_equal(str(p, p->sample_type[1]->type), "off_cpu");
	assert_string_equal(str(p, p->default_sample_type), "off_cpu");
	assert_null(p->period_type);
	text = dump(p, &len);
	pd_expect_file("offcpu_none.pprof.txt", text, len);
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_out_pprof_oncpu_only(void **state)
{
	struct pd_state *st = *state;
	const struct rs_profile *pp[] = { &st->on };
	pb_profile *p = render_decode(pp, 1, RS_GROUP_PROCESS);

	check_rules(p);
	assert_int_equal(p->n_sample_type, 2);
	assert_string_equal(str(p, p->sample_type[0]->type), "samples");
	assert_string_equal(str(p, p->sample_type[0]->unit), "count");
	assert_string_equal(str(p, p->period_type->type), "cpu");
	/* group_by process: each stack ends (outermost) in "comm (pid)" */
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		const Perftools__Profiles__Location *root =
		    p->location[s->location_id[s->n_location_id - 1] - 1];

		assert_int_equal(root->mapping_id, 0);
		assert_true(!strcmp(fn_name(p, root->line[0]), "backend (4242)") ||
			    !strcmp(fn_name(p, root->line[0]), "envoy (5000)"));
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
}

/* The same data in another order: the same bytes. */
static void test_out_pprof_deterministic(void **state)
{
	struct pd_state *st = *state;
	size_t len1, len2;
	char *a, *b;

	a = PD_RENDER(&len1, rs_write_pprof(f, st->both, 2, RS_GROUP_THREAD));
	pd_reverse(&st->on);
	pd_reverse(&st->off);
	b = PD_RENDER(&len2, rs_write_pprof(f, st->both, 2, RS_GROUP_THREAD));
	assert_int_equal(len1, len2);
	assert_memory_equal(a, b, len1);
	free(a);
	free(b);
}

static void test_out_pprof_errors(void **state)
{
	struct pd_state *st = *state;
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	assert_int_equal(rs_write_pprof(f, st->both, 2, RS_GROUP_THREAD), -EIO);
	fclose(f);
	assert_int_equal(rs_write_pprof(stdout, st->both, 0, RS_GROUP_THREAD), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_pprof_both_by_thread, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_pprof_offcpu_ungrouped, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_pprof_oncpu_only, pd_setup, pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_pprof_deterministic, pd_setup,
						pd_teardown),
		cmocka_unit_test_setup_teardown(test_out_pprof_errors, pd_setup, pd_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
