// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel frames named by the kernel: the distinct kernel PCs of a capture go
 * into the snapshot object's kname_addrs (its .bss), RS_KNAMES_PASS at most
 * per pass; its name_kaddrs iterator prints each as /proc/PID/stack does ("[<ADDR>]
 * name+0xoff/0xsize [mod]"), and the lines, parsed by the one parser of those lines
 * (rs_parse_kstack_line), become the capture's sparse rs_ksyms. A snapshot needs the names of a few
 * hundred addresses, not the 100 000+ lines of /proc/kallsyms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/capture_priv.h"
#include "capture/proc_priv.h"
#include "lib/lib.h"
#include "stack/stack.h"
#include "snapshot.skel.h"

struct rs_knames {
	struct bpf_link *link; /* name_kaddrs over kname_addrs */
	bool failed;	       /* the kernel refused the attach: not tried again */
};

bool rs_knames_disabled(void)
{
	const char *v = getenv("RSAMPLE_KSYMS");

	return v && !strcmp(v, "kallsyms");
}

bool rs_knames_usable(const struct snapshot_bpf *skel, const struct rs_knames *kn)
{
	return skel && bpf_program__autoload(skel->progs.name_kaddrs) && !(kn && kn->failed);
}

void rs_knames_free(struct rs_knames *kn)
{
	if (!kn)
		return;
	bpf_link__destroy(kn->link);
	free(kn);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The distinct kernel PCs of cap's records, sorted, in *out (malloc'd). 0 or -ENOMEM. */
static int distinct_pcs(const struct rs_capture *cap, uint64_t **out, size_t *n)
{
	size_t total = 0, w = 0;
	uint64_t *v;

	for (size_t i = 0; i < cap->n; i++)
		total += cap->recs[i]->kstack_len < RS_KSTACK_MAX ? cap->recs[i]->kstack_len
								  : RS_KSTACK_MAX;
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cap->n; i++)
		for (uint32_t j = 0; j < cap->recs[i]->kstack_len && j < RS_KSTACK_MAX; j++)
			if (cap->recs[i]->kstack[j])
				v[w++] = cap->recs[i]->kstack[j];
	qsort(v, w, sizeof(*v), cmp_u64);
	total = w;
	w = 0;
	for (size_t i = 0; i < total; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	*out = v;
	*n = w;
	return 0;
}

/*
 * Names pcs[0..n) in passes, appending the iterator's lines to *text. A pass
 * whose lines overflow the iterator's buffer (-E2BIG: very long names) is run
 * again with the addresses that fitted. 0 or -errno.
 */
static int run_passes(struct snapshot_bpf *skel, struct bpf_link *link, const uint64_t *pcs,
		      size_t n, char **text, size_t *len, size_t *cap, size_t *passes)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	size_t at = 0, max = RS_KNAMES_PASS;
	int e;

	if (bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.bss), &info, &info_len))
		return -errno;
	skel->bss->knames_map_id = info.id;
	while (at < n) {
		size_t m = n - at < max ? n - at : max, len0 = *len;

		memcpy(skel->bss->kname_addrs, pcs + at, m * sizeof(*pcs));
		skel->bss->knames_n = (__u32)m;
		e = rs_bpf_iter_collect(link, text, len, cap);
		++*passes;
		if (e == -E2BIG && skel->bss->knames_fit && skel->bss->knames_fit < m) {
			*len = len0;
			max = skel->bss->knames_fit;
			continue;
		}
		if (e)
			return e;
		if (skel->bss->knames_fit != m)
			return -EIO; /* a line the kernel could not print: kallsyms names them */
		at += m;
	}
	return 0;
}

/* The iterator's lines (text[0..len), NUL-terminated) as the capture's table in *out. */
static int parse(char *text, size_t want, struct rs_ksyms **out)
{
	struct rs_kstack_line *lines = NULL;
	struct rs_kname *v = NULL;
	size_t n = 0;
	char *line, *next;
	int e = -ENOMEM;

	lines = calloc(want ? want : 1, sizeof(*lines));
	v = calloc(want ? want : 1, sizeof(*v));
	if (!lines || !v)
		goto cleanup;
	for (line = text; *line && n < want; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (rs_parse_kstack_line(line, &lines[n]) || !lines[n].addr)
			continue; /* cannot happen with a matching BPF object */
		v[n].addr = lines[n].addr;
		v[n].name = lines[n].name;
		v[n].module = lines[n].module;
		v[n].off = lines[n].off;
		n++;
	}
	/* an address not printed (a name too long to print?) must not end up unnamed */
	e = n == want ? rs_ksyms_from_names(v, n, out) : -EIO;
cleanup:
	free(lines);
	free(v);
	return e;
}

int rs_knames_name(struct snapshot_bpf *skel, struct rs_knames **kn, struct rs_capture *cap)
{
	uint64_t *pcs = NULL;
	size_t n = 0, passes = 0, len = 0, bufcap = 0;
	char *text = NULL;
	struct rs_tmark tm;
	int e;

	if (!rs_knames_usable(skel, *kn))
		return -EOPNOTSUPP;
	rs_tmark_start(&tm);
	e = distinct_pcs(cap, &pcs, &n);
	if (e)
		goto cleanup;
	if (n && !*kn) {
		*kn = calloc(1, sizeof(**kn));
		if (!*kn) {
			e = -ENOMEM;
			goto cleanup;
		}
		(*kn)->link = bpf_program__attach_iter(skel->progs.name_kaddrs, NULL);
		if (!(*kn)->link) {
			e = -errno;
			(*kn)->failed = true;
			goto cleanup;
		}
	}
	if (n)
		e = run_passes(skel, (*kn)->link, pcs, n, &text, &len, &bufcap, &passes);
	if (!e)
		e = rs_grow(&text, &bufcap, len + 1, 1, 64);
	if (e)
		goto cleanup;
	text[len] = '\0';
	e = parse(text, n, &cap->ksyms);
cleanup:
	rs_timings_add(&tm, "capture: kernel frames named (%zu PCs, %zu passes)", n, passes);
	free(text);
	free(pcs);
	return e;
}
