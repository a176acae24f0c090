// SPDX-License-Identifier: GPL-2.0
/*
 * pprof output: a perftools.profiles.Profile (user/out/pprof.proto) packed by
 * protobuf-c and gzip-compressed with zlib.
 *
 * Sample types: on-CPU alone [samples/count, cpu/nanoseconds] with period_type
 * cpu/nanoseconds (as Go's CPU profiles); off-CPU alone [waits/count,
 * off_cpu/nanoseconds]; both kinds in one profile [samples/count,
 * cpu/nanoseconds, waits/count, off_cpu/nanoseconds], a sample of one kind
 * holding zeros for the other's. The default type is the nanoseconds of the
 * first profile's kind.
 *
 * Ids are dense and 1-based (the n-th mapping, location or function has id
 * n), string 0 is "". A location is one (mapping, address) with its inline
 * chain as lines, innermost first. Functions are unique by (name, system
 * name, file); a frame the symbolizer could not name gets a function named as
 * in the other formats ("libfoo.so+0x1f30") and its mapping has_functions
 * false. Kernel frames get one mapping per kernel module ("[kernel]"), spanning
 * the addresses seen. group_by adds root frames as in the other formats:
 * locations without mapping whose one function is "comm (pid)" or
 * "thread (tid)". Every sample also carries labels pid, tid (numbers), comm,
 * thread and, off-CPU, state. Lost counts and the target are comments.
 *
 * Just over 500 lines: the profile's string, function, location and sample
 * tables are built in one pass over the stacks and share its interning
 * state; the mappings are in pprof_map.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "out/pprof_priv.h"

int rs_pprof_grow(void *vp, size_t *cap, size_t n, size_t size)
{
	void **v = vp;
	size_t c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

int64_t rs_pprof_str(struct rs_pp *pp, const char *s)
{
	size_t idx;

	if (rs_intern_str(&pp->str, s ? s : "", &idx))
		return -ENOMEM;
	return (int64_t)idx;
}

int rs_pprof_strcmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* ---- functions and locations ---- */

/* The id of the function (name, name, file), added when new. */
static int function_id(struct rs_pp *pp, const char *name, const char *file, uint64_t *id)
{
	int64_t key[3];
	size_t idx;
	pb_function *fn;

	key[0] = key[1] = rs_pprof_str(pp, name);
	key[2] = rs_pprof_str(pp, file);
	if (key[0] < 0 || key[2] < 0 || rs_intern(&pp->fn_keys, key, sizeof(key), &idx))
		return -ENOMEM;
	if (idx == pp->n_fn) {
		if (rs_pprof_grow(&pp->fn, &pp->cap_fn, pp->n_fn, sizeof(*pp->fn)))
			return -ENOMEM;
		fn = &pp->fn[pp->n_fn++];
		perftools__profiles__function__init(fn);
		fn->id = pp->n_fn;
		fn->name = key[0];
		fn->system_name = key[1];
		fn->filename = key[2];
	}
	*id = idx + 1;
	return 0;
}

/*
 * The id of the location of an inline chain fr[0..n) (innermost first, all
 * at one address) in process pid, or with fr NULL, of a group_by root frame
 * named name. Added when new.
 */
static int location_id(struct rs_pp *pp, uint32_t pid, const struct rs_frame *fr, size_t n,
		       const char *name, uint64_t *id)
{
	size_t mi = fr ? rs_pprof_find_mapping(pp, pid, &fr[n - 1]) : SIZE_MAX, idx, klen;
	uint64_t *key = calloc(3 + 3 * n, sizeof(*key));
	pb_location *loc;
	int err = 0;

	if (!key)
		return -ENOMEM;
	key[0] = mi == SIZE_MAX ? 0 : pp->map[mi].id;
	key[1] = fr ? fr[n - 1].addr : 0;
	/* an address outside any mapping means something in its own process only */
	key[2] = !fr ? UINT64_MAX : key[0] ? 0 : pid;
	for (size_t i = 0; i < n && !err; i++) {
		char *fn_name = fr ? rs_frame_name(&fr[i], 0) : strdup(name);

		err = fn_name ? function_id(pp, fn_name, fr ? fr[i].file : NULL, &key[3 + 3 * i])
			      : -ENOMEM;
		free(fn_name);
		key[4 + 3 * i] = fr ? fr[i].line : 0;
		key[5 + 3 * i] = fr ? fr[i].column : 0;
	}
	klen = (3 + 3 * n) * sizeof(*key);
	if (!err && rs_intern(&pp->loc_keys, key, klen, &idx))
		err = -ENOMEM;
	if (!err && idx == pp->n_loc) {
		pb_line *lines = NULL;
		pb_line **ptrs = NULL;

		err = rs_pprof_grow(&pp->loc, &pp->cap_loc, pp->n_loc, sizeof(*pp->loc));
		if (!err) {
			/* the lines, then pointers to them, in one block */
			lines = malloc(n * (sizeof(*lines) + sizeof(*ptrs)));
			err = lines ? 0 : -ENOMEM;
		}
		if (!err) {
			ptrs = (pb_line **)(lines + n);
			for (size_t i = 0; i < n; i++) {
				perftools__profiles__line__init(&lines[i]);
				lines[i].function_id = key[3 + 3 * i];
				lines[i].line = (int64_t)key[4 + 3 * i];
				lines[i].column = (int64_t)key[5 + 3 * i];
				ptrs[i] = &lines[i];
			}
			loc = &pp->loc[pp->n_loc++];
			perftools__profiles__location__init(loc);
			loc->id = pp->n_loc;
			loc->mapping_id = key[0];
			loc->address = key[1];
			loc->n_line = n;
			loc->line = ptrs;
			if (mi != SIZE_MAX)
				rs_pprof_mapping_used(&pp->map[mi], &pp->map_used[mi], fr, n);
		}
	}
	if (!err)
		*id = idx + 1;
	free(key);
	return err;
}

/* ---- samples ---- */

static int frame_cmp(const struct rs_frame *x, const struct rs_frame *y)
{
	int c;

	if (x->kernel != y->kernel)
		return x->kernel ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->inlined != y->inlined)
		return x->inlined ? -1 : 1;
	if ((c = rs_pprof_strcmp(x->function, y->function)) ||
	    (c = rs_pprof_strcmp(x->module, y->module)) || (c = rs_pprof_strcmp(x->file, y->file)))
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	if (x->sym_offset != y->sym_offset)
		return x->sym_offset < y->sym_offset ? -1 : 1;
	return 0;
}

/* Samples by process, thread, state, stack, then weight: a total order on content. */
static int psample_cmp(const void *a, const void *b)
{
	const struct rs_psample *x = *(const struct rs_psample *const *)a;
	const struct rs_psample *y = *(const struct rs_psample *const *)b;
	int c;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	if ((c = strcmp(x->comm, y->comm)) || (c = strcmp(x->thread, y->thread)))
		return c;
	if (x->n_frames != y->n_frames)
		return x->n_frames < y->n_frames ? -1 : 1;
	for (size_t i = 0; i < x->n_frames; i++)
		if ((c = frame_cmp(&x->frames[i], &y->frames[i])))
			return c;
	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	if (x->value_ns != y->value_ns)
		return x->value_ns < y->value_ns ? -1 : 1;
	return 0;
}

static int set_label(struct rs_pp *pp, pb_label *l, const char *key, const char *str, int64_t num)
{
	perftools__profiles__label__init(l);
	l->key = rs_pprof_str(pp, key);
	if (str)
		l->str = rs_pprof_str(pp, str);
	else
		l->num = num;
	return l->key < 0 || l->str < 0 ? -ENOMEM : 0;
}

static int add_labels(struct rs_pp *pp, pb_sample *ps, pb_label *labels, pb_label **ptrs,
		      const struct rs_psample *s)
{
	char comm[RS_COMM_LEN + 1], thread[RS_COMM_LEN + 1], state[2] = { s->state, '\0' };
	int err;

	snprintf(comm, sizeof(comm), "%s", s->comm);
	snprintf(thread, sizeof(thread), "%s", s->thread);
	rs_name_sanitize(comm, 0);
	rs_name_sanitize(thread, 0);
	err = set_label(pp, &labels[0], "pid", NULL, s->pid) ?:
	      set_label(pp, &labels[1], "tid", NULL, s->tid) ?:
	      set_label(pp, &labels[2], "comm", comm, 0) ?:
	      set_label(pp, &labels[3], "thread", thread, 0);
	ps->n_label = 4;
	if (!err && s->state) {
		rs_name_sanitize(state, 0);
		err = set_label(pp, &labels[4], "state", state, 0);
		ps->n_label = 5;
	}
	for (size_t i = 0; i < ps->n_label; i++)
		ptrs[i] = &labels[i];
	ps->label = ptrs;
	return err;
}

/* Value slots: [count, ns] per kind; with both kinds on-CPU's come first. */
static int add_sample(struct rs_pp *pp, const struct rs_psample *s, enum rs_prof_kind kind,
		      bool both, enum rs_group_by g)
{
	size_t n_ids = s->n_frames + 2 + 1, at = 0, i, j;
	size_t size = RS_PP_MAX_LABELS * (sizeof(pb_label) + sizeof(pb_label *)) +
		      (n_ids + RS_PP_MAX_TYPES) * sizeof(uint64_t);
	size_t slot = both && kind == RS_PROF_OFFCPU ? 2 : 0;
	char *block, *roots[2] = { NULL, NULL };
	pb_label *labels;
	pb_label **ptrs;
	pb_sample *ps;
	int n_roots, err;

	if (rs_pprof_grow(&pp->smp, &pp->cap_smp, pp->n_smp, sizeof(*pp->smp)))
		return -ENOMEM;
	block = calloc(1, size);
	if (!block)
		return -ENOMEM;
	ps = &pp->smp[pp->n_smp++];
	perftools__profiles__sample__init(ps);
	labels = (pb_label *)block;
	ptrs = (pb_label **)(labels + RS_PP_MAX_LABELS);
	ps->location_id = (uint64_t *)(ptrs + RS_PP_MAX_LABELS);
	ps->value = (int64_t *)(ps->location_id + n_ids);
	ps->n_value = pp->n_types;
	ps->value[slot] = (int64_t)s->count;
	ps->value[slot + 1] = (int64_t)s->value_ns;

	err = add_labels(pp, ps, labels, ptrs, s);
	for (i = 0; i < s->n_frames && !err; i = j + 1) {
		/* an inline chain: inlined frames at the address of the frame that follows */
		for (j = i; j + 1 < s->n_frames && s->frames[j].inlined && !s->frames[j].kernel &&
			    s->frames[j + 1].addr == s->frames[j].addr;
		     j++)
			;
		err =
		    location_id(pp, s->pid, &s->frames[i], j - i + 1, NULL, &ps->location_id[at++]);
	}
	if (!err && !s->n_frames)
		err = location_id(pp, s->pid, NULL, 1, RS_NO_FRAMES, &ps->location_id[at++]);
	n_roots = err ? 0 : rs_group_names(s, g, 0, roots);
	if (n_roots < 0)
		err = n_roots;
	/* leaf first: the thread's frame, then the process's */
	for (int r = n_roots - 1; r >= 0 && !err; r--)
		err = location_id(pp, s->pid, NULL, 1, roots[r], &ps->location_id[at++]);
	free(roots[0]);
	free(roots[1]);
	ps->n_location_id = at;
	return err;
}

static int set_types(struct rs_pp *pp, bool on, bool off)
{
	static const char *const names[][2] = {
		{ "samples", "count" },
		{ "cpu", "nanoseconds" },
		{ "waits", "count" },
		{ "off_cpu", "nanoseconds" },
	};

	for (size_t i = on ? 0 : 2; i < (off ? 4u : 2u); i++) {
		pb_value_type *t = &pp->types[pp->n_types++];

		perftools__profiles__value_type__init(t);
		t->type = rs_pprof_str(pp, names[i][0]);
		t->unit = rs_pprof_str(pp, names[i][1]);
		if (t->type < 0 || t->unit < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_comment(struct rs_pp *pp, const char *s)
{
	int64_t *c = realloc(pp->comment, (pp->n_comment + 1) * sizeof(*c));
	char *copy = strdup(s);

	if (c)
		pp->comment = c;
	if (!c || !copy) {
		free(copy);
		return -ENOMEM;
	}
	rs_name_sanitize(copy, 0);
	c[pp->n_comment] = rs_pprof_str(pp, copy);
	free(copy);
	return c[pp->n_comment++] < 0 ? -ENOMEM : 0;
}

static int add_comments(struct rs_pp *pp, const struct rs_profile *const *profs, size_t n)
{
	char buf[512];
	int err;

	err = add_comment(pp, "rsample " RS_VERSION);
	snprintf(buf, sizeof(buf), "target: %s", profs[0]->target ? profs[0]->target : "");
	err = err ?: add_comment(pp, buf);
	for (size_t i = 0; i < n && !err; i++) {
		if (profs[i]->kind == RS_PROF_ONCPU)
			snprintf(buf, sizeof(buf),
				 "on-cpu: %" PRIu32 " Hz, %" PRIu64 " samples lost",
				 profs[i]->freq_hz, profs[i]->lost);
		else
			snprintf(buf, sizeof(buf), "off-cpu: %" PRIu64 " events lost",
				 profs[i]->lost);
		err = add_comment(pp, buf);
		if (err || !profs[i]->shed)
			continue;
		snprintf(buf, sizeof(buf), "%s: %" PRIu64 " %s dropped by rsample for lack of time",
			 profs[i]->kind == RS_PROF_ONCPU ? "on-cpu" : "off-cpu", profs[i]->shed,
			 profs[i]->kind == RS_PROF_ONCPU ? "samples" : "records");
		err = add_comment(pp, buf);
	}
	return err;
}

static int build(struct rs_pp *pp, const struct rs_profile *const *profs, size_t n,
		 enum rs_group_by g)
{
	bool on = false, off = false;
	size_t dummy;
	int err;

	for (size_t i = 0; i < n; i++)
		*(profs[i]->kind == RS_PROF_OFFCPU ? &off : &on) = true;
	err = rs_intern_str(&pp->str, "", &dummy);
	err = err ?: set_types(pp, on, off);
	err = err ?: add_comments(pp, profs, n);
	err = err ?: rs_pprof_mappings(pp, profs, n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct rs_profile *p = profs[i];
		const struct rs_psample **order = malloc((p->n_samples + 1) * sizeof(*order));

		if (!order)
			return -ENOMEM;
		for (size_t j = 0; j < p->n_samples; j++)
			order[j] = &p->samples[j];
		qsort(order, p->n_samples, sizeof(*order), psample_cmp);
		for (size_t j = 0; j < p->n_samples && !err; j++)
			if (order[j]->count || order[j]->value_ns)
				err = add_sample(pp, order[j], p->kind, on && off, g);
		free(order);
	}
	for (size_t i = 0; i < pp->n_map; i++)
		if (pp->map[i].has_line_numbers && pp->map[i].has_functions)
			pp->map[i].has_inline_frames =
			    true; /* from DWARF, inline chains expanded */
	return err;
}

/* Deflates buf into f as one gzip member (no name, time 0: the same bytes for the same data). */
static int write_gzip(FILE *f, const uint8_t *buf, size_t len)
{
	unsigned char out[16384];
	z_stream zs = { 0 };
	int zr = Z_OK, err = 0;

	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)buf;
	while (zr != Z_STREAM_END && !err) {
		size_t left = len - (size_t)(zs.next_in - (Bytef *)buf);

		zs.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zr = deflate(&zs, left > UINT32_MAX ? Z_NO_FLUSH : Z_FINISH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			err = -EIO;
		else if (fwrite(out, 1, sizeof(out) - zs.avail_out, f) !=
			 sizeof(out) - zs.avail_out)
			err = -EIO;
	}
	deflateEnd(&zs);
	return err;
}

static void pp_free(struct rs_pp *pp)
{
	for (size_t i = 0; i < pp->n_loc; i++)
		free(pp->loc[i].line ? (void *)pp->loc[i].line[0] : NULL);
	for (size_t i = 0; i < pp->n_smp; i++)
		free(pp->smp[i].label ? (void *)pp->smp[i].label[0] : NULL);
	free(pp->loc);
	free(pp->smp);
	free(pp->fn);
	free(pp->map);
	free(pp->map_used);
	free(pp->mref);
	free(pp->comment);
	rs_intern_clear(&pp->str);
	rs_intern_clear(&pp->fn_keys);
	rs_intern_clear(&pp->loc_keys);
}

/* Pointers to the n elements of an array of size-byte messages, or NULL on ENOMEM. */
static void *ptrs_to(void *v, size_t n, size_t size)
{
	void **p = malloc((n ? n : 1) * sizeof(*p));

	for (size_t i = 0; p && i < n; i++)
		p[i] = (char *)v + i * size;
	return p;
}

int rs_write_pprof(FILE *f, const struct rs_profile *const *profs, size_t n, enum rs_group_by g)
{
	pb_profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	struct rs_pp pp = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int err;

	if (!n)
		return -EINVAL;
	err = build(&pp, profs, n, g);
	prof.sample_type = ptrs_to(pp.types, pp.n_types, sizeof(*pp.types));
	prof.sample = ptrs_to(pp.smp, pp.n_smp, sizeof(*pp.smp));
	prof.mapping = ptrs_to(pp.map, pp.n_map, sizeof(*pp.map));
	prof.location = ptrs_to(pp.loc, pp.n_loc, sizeof(*pp.loc));
	prof.function = ptrs_to(pp.fn, pp.n_fn, sizeof(*pp.fn));
	if (!err && (!prof.sample_type || !prof.sample || !prof.mapping || !prof.location ||
		     !prof.function))
		err = -ENOMEM;
	if (!err) {
		prof.n_sample_type = pp.n_types;
		prof.n_sample = pp.n_smp;
		prof.n_mapping = pp.n_map;
		prof.n_location = pp.n_loc;
		prof.n_function = pp.n_fn;
		prof.string_table = pp.str.str;
		prof.n_string_table = pp.str.n;
		prof.comment = pp.comment;
		prof.n_comment = pp.n_comment;
		for (size_t i = 0; i < n; i++) {
			if (!prof.time_nanos || profs[i]->start_unix_ns < prof.time_nanos)
				prof.time_nanos = profs[i]->start_unix_ns;
			if ((int64_t)profs[i]->duration_ns > prof.duration_nanos)
				prof.duration_nanos = (int64_t)profs[i]->duration_ns;
		}
		/* the nanoseconds of the first profile's kind */
		prof.default_sample_type =
		    pp.types[profs[0]->kind == RS_PROF_ONCPU ? 1 : pp.n_types - 1].type;
		for (size_t i = 0; i < n; i++) {
			if (profs[i]->kind == RS_PROF_ONCPU) {
				prof.period_type = &pp.types[1];
				prof.period = (int64_t)profs[i]->period_ns;
				break;
			}
		}
		len = perftools__profiles__profile__get_packed_size(&prof);
		buf = malloc(len ? len : 1);
		err = buf ? 0 : -ENOMEM;
	}
	if (!err) {
		perftools__profiles__profile__pack(&prof, buf);
		err = write_gzip(f, buf, len);
	}
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
	free(buf);
	free(prof.sample_type);
	free(prof.sample);
	free(prof.mapping);
	free(prof.location);
	free(prof.function);
	pp_free(&pp);
	return err;
}
