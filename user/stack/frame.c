// SPDX-License-Identifier: GPL-2.0
/* Frames (stack.h): ownership, copies, and the one way kernel frames are built. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack/stack.h"

void rs_frame_clear(struct rs_frame *f)
{
	if (!f)
		return;
	free(f->function);
	free(f->module);
	free(f->file);
	f->function = f->module = f->file = NULL;
}

void rs_frames_free(struct rs_frame *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		rs_frame_clear(&v[i]);
	free(v);
}

static int dup_str(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int rs_frame_copy(struct rs_frame *dst, const struct rs_frame *src)
{
	*dst = *src;
	dst->function = dst->module = dst->file = NULL;
	if (dup_str(&dst->function, src->function) || dup_str(&dst->module, src->module) ||
	    dup_str(&dst->file, src->file)) {
		rs_frame_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

int rs_kframe(const struct rs_ksyms *ks, uint64_t pc, struct rs_frame *f)
{
	const char *name = NULL, *mod = NULL;
	uint64_t off = 0;

	memset(f, 0, sizeof(*f));
	f->addr = pc;
	f->kernel = true;
	if (ks)
		name = rs_ksyms_lookup(ks, pc, &off, &mod);
	f->module = strdup(mod ? mod : "[kernel]");
	if (name)
		f->function = strdup(name);
	f->sym_offset = off;
	if (!f->module || (name && !f->function)) {
		rs_frame_clear(f);
		return -ENOMEM;
	}
	return 0;
}
