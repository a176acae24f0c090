/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_LIBBPF_LOG_H
#define RS_LIBBPF_LOG_H

/*
 * Routes libbpf's messages: silent by default (our own one-line errors say
 * what failed and how to fix it), warnings and the verifier log on stderr
 * when RSAMPLE_DEBUG is set.
 */
void rs_libbpf_log_setup(void);

#endif
