// SPDX-License-Identifier: GPL-2.0
/*
 * The one BPF loader (capture_priv.h): what the snapshot and the profile
 * objects share from open to load, and the reading helpers both use. The
 * rodata of an object is set by variable name through its BTF, so a setting
 * common to every object is written once, whatever skeleton it came from.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture/capture_priv.h"
#include "lib/lib.h"

/*
 * The verifier's log reaches us through a buffer the kernel wrote, which
 * valgrind's model of bpf(2) does not know about: under valgrind the text is
 * marked defined where it enters our code (a no-op otherwise).
 */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define KERNEL_WROTE(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define KERNEL_WROTE(p, n) ((void)(p), (void)(n))
#endif

#define RING_MIN (4u << 20)

/*
 * What libbpf said about the last load that failed: the program and the
 * verifier's (or CO-RE's) reason. libbpf's print callback has no context
 * argument, so this lives here; it is only written while an object loads.
 */
static struct {
	char prog[64];
	char reason[256];
	bool in_log;
} last_fail;

/* Keeps the program name and the last line that says why, from libbpf's warnings. */
static void note_failure(const char *text)
{
	const char *p;

	if ((p = strstr(text, "prog '")) && strstr(text, "failed to load")) {
		p += 6;
		snprintf(last_fail.prog, sizeof(last_fail.prog), "%.*s", (int)strcspn(p, "'"), p);
	}
	if ((p = strstr(text, "relo #")) || (p = strstr(text, "failed to resolve CO-RE"))) {
		snprintf(last_fail.reason, sizeof(last_fail.reason), "%.*s", (int)strcspn(p, "\n"),
			 p);
		return;
	}
	/* The verifier's log: its reason is the last line that is neither an instruction nor a
	 * summary. */
	for (const char *line = text; *line;
	     line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		size_t len = strcspn(line, "\n");

		if (!len)
			continue;
		if (memmem(line, len, "BEGIN PROG LOAD LOG", 19)) {
			last_fail.in_log = true;
			continue;
		}
		if (memmem(line, len, "END PROG LOAD LOG", 17)) {
			last_fail.in_log = false;
			continue;
		}
		if (!last_fail.in_log || (line[0] >= '0' && line[0] <= '9') || line[0] == ';' ||
		    !strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) ||
		    !strncmp(line, "stack depth", 11) || !strncmp(line, "func#", 5) ||
		    !strncmp(line, "libbpf:", 7))
			continue;
		snprintf(last_fail.reason, sizeof(last_fail.reason), "%.*s", (int)len, line);
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[1024], *buf = small;
	va_list copy;
	int len, r;

	if (level == LIBBPF_DEBUG)
		return 0;
	/* A verifier log runs to megabytes and its reason is at the end: keep it whole. */
	va_copy(copy, ap);
	len = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (len < 0)
		return 0;
	if ((size_t)len >= sizeof(small)) {
		buf = malloc((size_t)len + 1);
		if (!buf)
			return 0;
		va_copy(copy, ap);
		vsnprintf(buf, (size_t)len + 1, fmt, copy);
		va_end(copy);
	}
	KERNEL_WROTE(buf, (size_t)len + 1);
	note_failure(buf);
	r = getenv("RSAMPLE_DEBUG") ? fputs(buf, stderr) : 0;
	if (buf != small)
		free(buf);
	return r;
}

const struct rs_kfeatures *rs_bpf_features(struct rs_bpf *b)
{
	if (!b->probed) {
		typeof(last_fail) keep =
		    last_fail; /* the probe loads must not replace the reason */

		rs_kfeatures_probe(&b->kf);
		last_fail = keep;
		b->probed = true;
	}
	return &b->kf;
}

int rs_bpf_begin(struct rs_bpf *b, struct bpf_object *obj, const char *what, bool probe, char *err,
		 size_t errlen)
{
	struct utsname u;

	libbpf_set_print(libbpf_print);
	memset(&last_fail, 0, sizeof(last_fail));
	memset(b, 0, sizeof(*b));
	b->obj = obj;
	b->what = what;
	b->ncpu = libbpf_num_possible_cpus();
	if (b->ncpu < 1)
		b->ncpu = 1;
	if (probe)
		rs_bpf_features(b); /* what it cannot tell, the load finds out */
	if (probe ? !b->kf.btf : access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		if (uname(&u))
			snprintf(u.release, sizeof(u.release), "unknown");
		snprintf(
		    err, errlen,
		    "this kernel (Linux %s) has no BTF (/sys/kernel/btf/vmlinux): the BPF programs need a kernel built with CONFIG_DEBUG_INFO_BTF=y%s",
		    u.release, strcmp(what, "snapshot") ? "" : "; use --backend proc");
		return -EOPNOTSUPP;
	}
	return 0;
}

void rs_bpf_retry(struct rs_bpf *b, struct bpf_object *obj)
{
	snprintf(b->refused, sizeof(b->refused), "%s",
		 last_fail.reason[0] ? last_fail.reason : "no reason given");
	memset(&last_fail, 0, sizeof(last_fail));
	b->obj = obj;
}

/* The .rodata map of the object and the BTF description of its variables. */
static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		const char *name = bpf_map__name(m);
		size_t len = strlen(name);

		if (bpf_map__is_internal(m) && len >= 7 && !strcmp(name + len - 7, ".rodata"))
			return m;
	}
	return NULL;
}

int rs_bpf_set(struct rs_bpf *b, const char *var, const void *val, size_t size)
{
	struct btf *btf = bpf_object__btf(b->obj);
	struct bpf_map *map = rodata_map(b->obj);
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec;
	size_t data_size = 0;
	char *data;
	int id;

	if (!btf || !map)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	data = (char *)bpf_map__initial_value(map, &data_size); /* the skeleton writes it too */
	if (!sec || !data)
		return -ENOENT;
	vsi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *v = btf__type_by_id(btf, vsi->type);

		if (!v || strcmp(btf__name_by_offset(btf, v->name_off), var))
			continue;
		if (vsi->size != size || vsi->offset + size > data_size)
			return -EINVAL;
		memcpy(data + vsi->offset, val, size);
		return 0;
	}
	return -ENOENT;
}

/* Bytes of the ring buffer: the smallest power of two from RING_MIN that holds want, at most max.
 */
static size_t ring_bytes(size_t want, size_t max)
{
	size_t sz = RING_MIN;

	while (sz < want && sz < max)
		sz <<= 1;
	return sz;
}

int rs_bpf_setup(struct rs_bpf *b, const struct rs_bpf_setup *s, char *err, size_t errlen)
{
	const struct rs_resolved *t = s->target;
	struct bpf_map *m;
	int e = 0;

	e = e ?: RS_BPF_SET(b, "filter_tgid", (bool)(t->n_tgids > 0));
	e = e ?: RS_BPF_SET(b, "filter_tid", (bool)(t->n_tids > 0));
	e = e ?: RS_BPF_SET(b, "filter_cgroup", (bool)(t->cgroup.id != 0));
	e = e ?: RS_BPF_SET(b, "targ_cgid", (__u64)t->cgroup.id);
	e = e ?: RS_BPF_SET(b, "targ_cglevel", (__u32)t->cgroup.level);
	e = e ?: RS_BPF_SET(b, "stack_bytes", (__u32)s->stack_bytes);
	e = e ?: RS_BPF_SET(b, "want_kstack", (bool)s->kernel_stacks);
	/* A single pid or tid, for objects whose hottest filter compares a constant. */
	if (!e &&
	    RS_BPF_SET(b, "targ_tgid1", (__u32)(t->n_tgids == 1 ? t->tgids[0] : 0)) == -EINVAL)
		e = -EINVAL;
	if (!e && RS_BPF_SET(b, "targ_tid1", (__u32)(t->n_tids == 1 ? t->tids[0] : 0)) == -EINVAL)
		e = -EINVAL;
	if (e) {
		snprintf(err, errlen, "the %s BPF object does not match this rsample: %s", b->what,
			 strerror(-e));
		return e;
	}
	m = bpf_object__find_map_by_name(b->obj, "records");
	if (m)
		e = bpf_map__set_max_entries(m, ring_bytes(s->ring_want, s->ring_max));
	/*
	 * The target sets are filled once, after load (rs_bpf_loaded), with the
	 * resolved ids: sized to them. They are preallocated hashes, which cost
	 * their size at creation (65 536 tids: a per-CPU free list of them).
	 */
	m = bpf_object__find_map_by_name(b->obj, "targ_tgids");
	if (!e && m)
		e = bpf_map__set_max_entries(m, t->n_tgids ? (__u32)t->n_tgids : 1);
	m = bpf_object__find_map_by_name(b->obj, "targ_tids");
	if (!e && m)
		e = bpf_map__set_max_entries(m, t->n_tids ? (__u32)t->n_tids : 1);
	for (const char *const *name = s->per_cpu; !e && name && *name; name++) {
		m = bpf_object__find_map_by_name(b->obj, *name);
		e = m ? bpf_map__set_max_entries(m, b->ncpu) : -ENOENT;
	}
	if (e)
		snprintf(err, errlen, "cannot size the maps of the %s BPF object: %s", b->what,
			 strerror(-e));
	return e;
}

static int fill_set(struct rs_bpf *b, const char *map, const uint32_t *ids, size_t n)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->obj, map);
	__u8 one = 1;

	if (!n)
		return 0;
	if (!m)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(bpf_map__fd(m), &ids[i], &one, BPF_ANY))
			return -errno;
	return 0;
}

int rs_bpf_loaded(struct rs_bpf *b, int load_err, const struct rs_resolved *t, char *err,
		  size_t errlen)
{
	int e;

	if (load_err) {
		rs_kfeatures_load_error(rs_bpf_features(b), load_err, b->what, b->needs, b->n_needs,
					last_fail.prog, last_fail.reason, err, errlen);
		return load_err;
	}
	e = fill_set(b, "targ_tgids", t->tgids, t->n_tgids);
	if (!e)
		e = fill_set(b, "targ_tids", t->tids, t->n_tids);
	if (e)
		snprintf(err, errlen, "cannot fill the target map: %s (too many targets?)",
			 strerror(-e));
	return e;
}

int rs_bpf_iter_read(struct bpf_link *iter)
{
	char buf[4096];
	ssize_t r;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(iter));
	if (fd < 0)
		return -errno;
	do {
		r = read(fd, buf, sizeof(buf));
	} while (r > 0 || (r < 0 && errno == EINTR));
	r = r < 0 ? -errno : 0;
	close(fd);
	return (int)r;
}

int rs_bpf_iter_collect(struct bpf_link *iter, char **buf, size_t *len, size_t *cap)
{
	int fd = bpf_iter_create(bpf_link__fd(iter)), e = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	for (;;) {
		e = rs_grow(buf, cap, *len + 4096, 1, 8192);
		if (e)
			break;
		r = read(fd, *buf + *len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? -errno : 0;
			break;
		}
		*len += (size_t)r;
	}
	close(fd);
	return e;
}

void rs_bpf_counters(const struct rs_bpf *b, uint64_t *out, size_t n)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->obj, "counters");
	__u64 *vals = calloc(b->ncpu, sizeof(*vals));

	memset(out, 0, n * sizeof(*out));
	if (!vals || !m) {
		free(vals);
		return;
	}
	for (__u32 i = 0; i < n; i++) {
		/* Zeroed first: valgrind marks only one CPU's slot as written by bpf(2). */
		memset(vals, 0, b->ncpu * sizeof(*vals));
		if (bpf_map_lookup_elem(bpf_map__fd(m), &i, vals))
			continue;
		for (int cpu = 0; cpu < b->ncpu; cpu++)
			out[i] += vals[cpu];
	}
	free(vals);
}

int rs_bpf_ring(const struct rs_bpf *b, ring_buffer_sample_fn cb, void *ctx,
		struct ring_buffer **out, char *err, size_t errlen)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->obj, "records");
	int e;

	*out = m ? ring_buffer__new(bpf_map__fd(m), cb, ctx, NULL) : NULL;
	if (*out)
		return 0;
	e = m ? -errno : -ENOENT;
	snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(-e));
	return e;
}
