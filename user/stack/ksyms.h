/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_KSYMS_H
#define RS_KSYMS_H

#include <stdint.h>

struct rs_ksyms;

/*
 * Loads the text symbols (t/T/w/W) of a kallsyms file ("/proc/kallsyms")
 * into a sorted table. Returns 0 and *out (free with rs_ksyms_free()), or
 * -errno with *out untouched: -EPERM when every address reads 0
 * (kernel.kptr_restrict, or not root: the caller should say so and suggest
 * running as root), -ENODATA for an empty file, -EINVAL when no line is a
 * text symbol. Prints nothing.
 */
int rs_ksyms_load(const char *path, struct rs_ksyms **out);
/* Accepts NULL. */
void rs_ksyms_free(struct rs_ksyms *k);
/*
 * Name of the symbol containing addr, or NULL (before the first symbol, or
 * more than 64 KiB past the last symbol of the kernel or of a module). The
 * name is owned by k. *off = addr - start; *module = "[mod]" or NULL for the
 * kernel proper. off and module may be NULL.
 */
const char *rs_ksyms_lookup(const struct rs_ksyms *k, uint64_t addr, uint64_t *off,
			    const char **module);

#endif
