/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pushing profiles (push.h): continuous mode's --push URL sends each
 * interval's profile to Grafana Pyroscope's ingest API (ingest.c builds the
 * request) from a sender thread of its own (push.c: a bounded queue,
 * retries with exponential backoff and jitter, drops counted), so the
 * sampler never waits on the network. The HTTP transport is libcurl,
 * loaded by rs_push_new() (transport.c); a build with RS_WITH_CURL=0 has
 * none and rs_push_new() says so, as it does when libcurl is not installed.
 */
#ifndef RS_PUSH_H
#define RS_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile/profile.h"

#define RS_PUSH_QUEUE_DEFAULT 8 /* --push-queue: profiles waiting to be sent */
#define RS_PUSH_QUEUE_MAX     1024
#define RS_PUSH_FLUSH_NS      5000000000ull  /* at exit, the most spent sending what is left */
#define RS_PUSH_TIMEOUT_NS    10000000000ull /* one request */
#define RS_PUSH_ATTEMPTS      8		     /* tries of one profile before it is dropped */

/* One "key=value" label of the series (Pyroscope's name{key=value,...}). */
struct rs_push_label {
	char key[32];
	char value[256];
};

struct rs_push_cfg {
	const char *url; /* the server's base URL: "http://pyroscope:4040" */
	const char *app; /* the application name, the series' prefix */
	const struct rs_push_label *labels;
	size_t n_labels;
	size_t queue_max;	 /* 0: RS_PUSH_QUEUE_DEFAULT */
	uint64_t flush_ns;	 /* 0: RS_PUSH_FLUSH_NS */
	uint64_t timeout_ns;	 /* 0: RS_PUSH_TIMEOUT_NS */
	uint64_t backoff_min_ns; /* first retry after about this long (0: 250 ms) */
	uint64_t backoff_max_ns; /* ...doubling up to this (0: 30 s) */
	unsigned int attempts;	 /* 0: RS_PUSH_ATTEMPTS */
};

/* Counts since the start. */
struct rs_push_stats {
	uint64_t queued;       /* profiles handed to rs_push_profile() */
	uint64_t sent;	       /* ...accepted by the server (2xx) */
	uint64_t retries;      /* requests tried again */
	uint64_t drop_full;    /* dropped: the queue was full (the oldest waiting goes) */
	uint64_t drop_fail;    /* dropped: refused for good (4xx) or every attempt failed */
	uint64_t drop_exit;    /* dropped: not sent within the flush time at exit */
	uint64_t drop_build;   /* dropped: the request could not be built */
	char last_error[1024]; /* the last failure, "" when none */
};

struct rs_push;

/* Whether this build can push (built with curl.h: RS_WITH_CURL; libcurl loaded at rs_push_new). */
bool rs_push_supported(void);

/*
 * Checks cfg->url ("http://" or "https://" with a host) and starts the
 * sender thread. Returns 0; -EINVAL for a bad URL, -ENOTSUP in a build
 * without push support, -ENOMEM, or another -errno; err holds one line
 * naming cause and fix. *out untouched on failure.
 */
int rs_push_new(const struct rs_push_cfg *cfg, struct rs_push **out, char *err, size_t errlen);

/*
 * Queues one interval's profile of one kind (the request is built here: a
 * gzip'd pprof in a multipart form, ingest.c); never waits for the network.
 * With the queue full, the oldest profile waiting is dropped and counted.
 * The caller keeps p. Returns 0, or -ENOMEM (counted in drop_build).
 */
int rs_push_profile(struct rs_push *s, const struct rs_profile *p);

/*
 * The counts now; *dropped_since gets the drops since the last call (for
 * one line per interval with drops).
 */
void rs_push_stats(struct rs_push *s, struct rs_push_stats *out, uint64_t *dropped_since);

/*
 * Sends what is queued for at most cfg->flush_ns, aborts the request under
 * way then, drops the rest (drop_exit), stops the thread and frees
 * everything; the final counts go to *last when it is not NULL. Accepts
 * NULL.
 */
void rs_push_free(struct rs_push *s, struct rs_push_stats *last);

/* ---- the request (ingest.c) ---- */

/* One HTTP request: POST url with body (Content-Type content_type). */
struct rs_push_req {
	char *url;	    /* base URL + "/ingest?..." */
	char *content_type; /* "multipart/form-data; boundary=..." */
	char *body;
	size_t len;
	char *what; /* "on-CPU profile of 18:02:00-18:03:00", for messages */
};

/*
 * Builds Pyroscope's ingest request for p: POST <base>/ingest?name=<app>
 * {labels}&from=<unix s>&until=<unix s>&format=pprof&sampleRate=<Hz>
 * &spyName=rsample, the body a multipart/form-data form with the gzip'd
 * pprof in the file field "profile" and, for the off-CPU profile, the
 * sample types' configuration in "sample_type_config". Returns 0, -EINVAL
 * (no profile data), -ENOMEM or -EIO; *out owns its strings
 * (rs_push_req_clear) and is untouched on failure.
 */
int rs_push_req_build(const struct rs_push_cfg *cfg, const struct rs_profile *p,
		      struct rs_push_req *out);
/* Frees what r owns and zeroes it. Accepts NULL. */
void rs_push_req_clear(struct rs_push_req *r);
/* Writes s to f percent-encoded as a query value (RFC 3986's unreserved characters kept). */
void rs_push_urlencode(FILE *f, const char *s);

#endif
