/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of push/, not a public interface: the HTTP transport
 * (transport.c, libcurl or, with RS_WITH_CURL=0, none).
 */
#ifndef RS_PUSH_PRIV_H
#define RS_PUSH_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "push/push.h"

/* Once per process, before the sender thread starts: 0, or -ENOTSUP/-EIO with err. */
int rs_push_http_init(char *err, size_t errlen);

/*
 * POSTs r, giving up after timeout_ns or as soon as *abort is set (checked
 * several times a second). Returns 0 with the HTTP status in *status and
 * the first line of the response body in body (for messages), or -errno
 * (-ECONNREFUSED, -ETIMEDOUT, -ECANCELED for *abort, -EIO) with the cause
 * in err.
 */
int rs_push_http_post(const struct rs_push_req *r, uint64_t timeout_ns, atomic_bool *abort,
		      long *status, char *body, size_t bodylen, char *err, size_t errlen);

#endif
