/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_READFILE_H
#define RS_READFILE_H

#include <stddef.h>

/*
 * Reads a whole file to EOF (procfs files report st_size 0 and come in
 * pieces). *out is malloc'd and NUL-terminated, *len excludes the NUL; both
 * untouched on failure. Returns 0 or -errno.
 */
int rs_read_file(const char *path, char **out, size_t *len);

#endif
