/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_KSYMS_H
#define RS_KSYMS_H

#include <stdint.h>

struct rs_ksyms;

/* Loads a kallsyms file ("/proc/kallsyms"). 0 or -errno; -EPERM when all addresses read 0. */
int rs_ksyms_load(const char *path, struct rs_ksyms **out);
void rs_ksyms_free(struct rs_ksyms *k);
/* Name of the symbol containing addr, or NULL. *off = addr - start; *module = "[mod]" or NULL. */
const char *rs_ksyms_lookup(const struct rs_ksyms *k, uint64_t addr, uint64_t *off,
			    const char **module);

#endif
