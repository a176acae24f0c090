// SPDX-License-Identifier: GPL-2.0
/*
 * A target process for the unwinder and symbolizer: its maps and one libdw
 * Dwfl reporting every mapped ELF file (opened lazily by elfopen.c) and the
 * vdso, taken from this process's own copy (the kernel maps the same image
 * into every process), so the target's memory is never read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/lib.h"
#include "stack/stack_priv.h"
#include "stack/gdb/gdb.h"

static const Dwfl_Callbacks rs_dwfl_callbacks = {
	.find_elf = rs_find_elf,
	.find_debuginfo = rs_find_debuginfo,
};

void rs_proc_warn(struct rs_proc *p, const char *fmt, ...)
{
	char line[512];
	size_t len;
	char *w;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	len = strlen(line);
	for (const char *at = p->warnings; at && (at = strstr(at, line)); at++)
		if ((at == p->warnings || at[-1] == '\n') && at[len] == '\n')
			return; /* said already */
	w = realloc(p->warnings, p->warnings_len + len + 2);
	if (!w)
		return;
	memcpy(w + p->warnings_len, line, len);
	w[p->warnings_len + len] = '\n';
	w[p->warnings_len + len + 1] = '\0';
	p->warnings = w;
	p->warnings_len += len + 1;
}

struct rs_mod *rs_mod_of(Dwfl_Module *mod)
{
	void **ud = NULL;

	if (!mod || !dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL) || !ud)
		return NULL;
	return *ud;
}

static bool same_file(const struct rs_map *a, const struct rs_map *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && !strcmp(a->path, b->path);
}

static bool is_file_backed(const struct rs_map *m)
{
	return m->path && m->path[0] == '/' && m->inode;
}

/*
 * Groups the mappings of each file instance: a mapping at file offset 0
 * starts an instance, later mappings of the same file at higher offsets
 * extend the most recent one. Only instances with an executable mapping are
 * kept. Fills p->mods (vdso excluded).
 */
static int group_modules(struct rs_proc *p)
{
	const struct rs_maps *maps = &p->maps;
	struct rs_mod *mods;
	bool *exec;
	size_t n = 0;

	mods = calloc(maps->n + 1, sizeof(*mods));
	exec = calloc(maps->n + 1, sizeof(*exec));
	if (!mods || !exec) {
		free(mods);
		free(exec);
		return -ENOMEM;
	}
	for (size_t i = 0; i < maps->n; i++) {
		const struct rs_map *m = &maps->v[i];
		struct rs_mod *g = NULL;

		if (!is_file_backed(m))
			continue;
		for (size_t j = n; j-- > 0 && m->offset;) {
			if (same_file(mods[j].map, m) && mods[j].high <= m->start) {
				g = &mods[j];
				break;
			}
		}
		if (!g) {
			g = &mods[n];
			exec[n++] = false;
			g->proc = p;
			g->map = m;
			g->path = m->path;
			g->low = m->start - m->offset;
		}
		g->high = m->end;
		if (m->perms[2] == 'x')
			exec[g - mods] = true;
	}
	p->n_mods = 0;
	for (size_t i = 0; i < n; i++)
		if (exec[i])
			mods[p->n_mods++] = mods[i];
	free(exec);
	p->mods = mods;
	return 0;
}

/* Copies this process's vdso image when the target has a vdso of the same size. */
static int copy_vdso(struct rs_proc *p, const struct rs_map *target)
{
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
	struct rs_maps self = { 0 };
	const struct rs_map *own;
	int err;

	if (!ehdr) {
		rs_proc_warn(p, "vdso: this process has no vdso; its frames stay unnamed");
		return 0;
	}
	err = rs_maps_read("/proc/self/maps", &self);
	if (err)
		return err == -ENOMEM ? err : 0;
	own = rs_maps_find(&self, ehdr);
	if (!own || own->end - own->start != target->end - target->start) {
		rs_proc_warn(
		    p,
		    "vdso: the target's vdso differs from this process's; its frames stay unnamed");
		goto cleanup;
	}
	p->vdso_len = own->end - own->start;
	p->vdso_img = malloc(p->vdso_len);
	if (!p->vdso_img) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(p->vdso_img, (const void *)ehdr, p->vdso_len);
cleanup:
	rs_maps_clear(&self);
	return err;
}

static int report_modules(struct rs_proc *p)
{
	const struct rs_map *vdso = NULL;
	int err;

	err = group_modules(p);
	if (err)
		return err;
	for (size_t i = 0; i < p->maps.n; i++)
		if (p->maps.v[i].path && !strcmp(p->maps.v[i].path, "[vdso]"))
			vdso = &p->maps.v[i];
	if (vdso) {
		err = copy_vdso(p, vdso);
		if (err)
			return err;
		if (p->vdso_img) {
			struct rs_mod *g = &p->mods[p->n_mods++];

			memset(g, 0, sizeof(*g));
			g->proc = p;
			g->map = vdso;
			g->path = vdso->path;
			g->low = vdso->start;
			g->high = vdso->end;
			g->vdso = true;
		}
	}
	dwfl_report_begin(p->dwfl);
	for (size_t i = 0; i < p->n_mods; i++) {
		struct rs_mod *g = &p->mods[i];
		Dwfl_Module *mod;
		void **ud = NULL;

		mod = dwfl_report_module(p->dwfl, g->path, g->low, g->high);
		if (!mod || !dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL)) {
			rs_proc_warn(p, "module '%s': cannot report it: %s", g->path,
				     dwfl_errmsg(-1));
			continue;
		}
		*ud = g;
	}
	if (dwfl_report_end(p->dwfl, NULL, NULL))
		return -ENOMEM;
	return 0;
}

/* True when PROC/PID/root is this process's own root directory. */
static bool root_is_ours(const char *proc_root, uint32_t pid)
{
	char path[PATH_MAX];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/root/", proc_root, pid);
	return !stat(path, &a) && !stat("/", &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int rs_proc_open(const char *proc_root, uint32_t pid, struct rs_symcache *cache,
		 struct rs_proc **out)
{
	struct rs_proc *p = NULL;
	char path[PATH_MAX];
	int err;

	if (!proc_root || !out)
		return -EINVAL;
	elf_version(EV_CURRENT);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->cache = cache;
	p->root_fd = p->host_fd = -1;
	p->max_debug_size = RS_MAX_DEBUG_SIZE_DEFAULT;
	p->unwind_methods = RS_UNWIND_ALL;
	p->proc_root = strdup(proc_root);
	if (!p->proc_root) {
		err = -ENOMEM;
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/maps", proc_root, pid);
	err = rs_maps_read(path, &p->maps);
	if (err == -ENOENT)
		err = -ESRCH;
	if (err)
		goto cleanup;
	p->same_root = root_is_ours(proc_root, pid);
	/* Held for p's life: a reused PID cannot swap the root that files resolve in. */
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/root", proc_root, pid);
	p->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	p->host_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	p->dwfl = dwfl_begin(&rs_dwfl_callbacks);
	if (!p->dwfl) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = report_modules(p);
	if (err)
		goto cleanup;
	*out = p;
	return 0;
cleanup:
	rs_proc_free(p);
	return err;
}

/* Whether two modules are the same file instance at the same place. */
static bool same_module(const struct rs_mod *a, const struct rs_mod *b)
{
	return same_file(a->map, b->map) && a->low == b->low && a->high == b->high;
}

int rs_proc_refresh(struct rs_proc *p)
{
	struct rs_proc q = { .pid = p->pid };
	const struct rs_map *vdso = NULL;
	size_t n = p->n_mods;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/maps", p->proc_root, p->pid);
	err = rs_maps_read(path, &q.maps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = group_modules(&q);
	if (err)
		goto cleanup;
	if (n && p->mods[n - 1].vdso) {
		for (size_t i = 0; i < q.maps.n && !vdso; i++)
			if (q.maps.v[i].start == p->mods[n - 1].low &&
			    q.maps.v[i].end == p->mods[n - 1].high && q.maps.v[i].path &&
			    !strcmp(q.maps.v[i].path, "[vdso]"))
				vdso = &q.maps.v[i];
		n--;
	}
	err = -ESTALE;
	if (q.n_mods != n || (n < p->n_mods && !vdso))
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if (!same_module(&p->mods[i], &q.mods[i]))
			goto cleanup;
	/* the same modules: p keeps its Dwfl and what it loaded, over the new maps */
	for (size_t i = 0; i < n; i++) {
		p->mods[i].map = q.mods[i].map;
		p->mods[i].path = q.mods[i].path;
	}
	if (vdso) {
		p->mods[n].map = vdso;
		p->mods[n].path = vdso->path;
	}
	rs_maps_clear(&p->maps);
	p->maps = q.maps;
	q.maps = (struct rs_maps){ 0 };
	err = 0;
cleanup:
	free(q.mods);
	rs_maps_clear(&q.maps);
	return err;
}

void rs_proc_free(struct rs_proc *p)
{
	if (!p)
		return;
	if (p->dwfl)
		dwfl_end(p->dwfl);
	if (p->root_fd >= 0)
		close(p->root_fd);
	if (p->host_fd >= 0)
		close(p->host_fd);
	for (size_t i = 0; p->mods && i < p->n_mods; i++) {
		rs_lcache_free(p->mods[i].lines);
		rs_cutab_free(p->mods[i].cus);
		rs_cufuncs_free(p->mods[i].funcs);
		rs_cufuncs_free(p->mods[i].nested);
		rs_dwcache_free(p->mods[i].names);
		free(p->mods[i].aliases);
	}
	free(p->vdso_img);
	free(p->mods);
	rs_maps_clear(&p->maps);
	free(p->warnings);
	free(p->proc_root);
	free(p);
}

uint32_t rs_proc_pid(const struct rs_proc *p)
{
	return p->pid;
}

const struct rs_maps *rs_proc_maps(const struct rs_proc *p)
{
	return p ? &p->maps : NULL;
}

const char *rs_proc_warnings(const struct rs_proc *p)
{
	return p ? p->warnings : NULL;
}

void rs_proc_set_max_debug_size(struct rs_proc *p, uint64_t bytes)
{
	if (p)
		p->max_debug_size = bytes;
}

void rs_proc_set_deadline(struct rs_proc *p, uint64_t deadline_ns)
{
	if (p)
		p->deadline_ns = deadline_ns;
}

bool rs_proc_past_deadline(struct rs_proc *p)
{
	if (!p->deadline_ns || rs_mono_ns() < p->deadline_ns)
		return false;
	rs_proc_warn(
	    p,
	    "the snapshot ran past --symbolize-budget: further frames are named from the symbol table only, without file:line, inline or tail-call frames (raise --symbolize-budget)");
	return true;
}

void rs_proc_set_unwind_methods(struct rs_proc *p, unsigned int methods)
{
	if (p)
		p->unwind_methods = methods & RS_UNWIND_ALL;
}
