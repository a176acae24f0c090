/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_UTF8_H
#define RS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Length (2 to 4) of the valid UTF-8 sequence starting at s, which has n
 * bytes left, or 0 when it is not one (ASCII, stray continuation byte,
 * overlong form, surrogate, above U+10FFFF, cut short).
 */
size_t rs_utf8_seq_len(const char *s, size_t n);
/*
 * Writes at most len bytes of s (less at a NUL) to f for a human. Control
 * bytes and bytes that are not valid UTF-8 become \xNN, and when quoted, "
 * and \ get a backslash: names come from the target and must not drive the
 * terminal.
 */
void rs_fput_safe(FILE *f, const char *s, size_t len, bool quoted);
/*
 * Writes code point cp as UTF-8 to out (room for 4 bytes) and returns its
 * length, or 0 for a surrogate or a value above U+10FFFF.
 */
size_t rs_utf8_encode(uint32_t cp, char *out);

#endif
