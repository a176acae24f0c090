// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP transport of --push (push_priv.h): one POST with libcurl's easy
 * interface, on the sender thread only. libcurl is loaded (dlopen) by
 * rs_push_http_init(), so only --push pays for it and its ~25 libraries at
 * start-up; without it installed, --push is refused before anything is
 * sampled. A build with RS_WITH_CURL=0 (the static build) has no transport:
 * rs_push_http_init() says so.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "push/push_priv.h"

#ifndef RS_WITH_CURL
#define RS_WITH_CURL 1
#endif

#if RS_WITH_CURL
/* the header for types and constants only: calls go through curl below */
#include <curl/curl.h>

/* The soname Debian's libcurl4 installs (the ABI curl.h describes). */
#define LIBCURL "libcurl.so.4"

/* The libcurl functions the transport calls, from the library loaded once. */
static struct {
	CURLcode (*global_init)(long flags);
	const char *(*easy_strerror)(CURLcode c);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *e);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *e);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} curl;

bool rs_push_supported(void)
{
	return true;
}

/* Fills curl from LIBCURL; false with the loader's reason in err. */
static bool load_curl(char *err, size_t errlen)
{
	static const char *const names[] = {
		"curl_global_init",  "curl_easy_strerror", "curl_easy_init",
		"curl_easy_setopt",  "curl_easy_perform",  "curl_easy_getinfo",
		"curl_easy_cleanup", "curl_slist_append",  "curl_slist_free_all",
	};
	void *fns[sizeof(names) / sizeof(names[0])];
	void *h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	const char *why;

	_Static_assert(sizeof(fns) == sizeof(curl), "one name per function of curl");
	if (!h)
		goto fail;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fns[i] = dlsym(h, names[i]);
		if (!fns[i])
			goto fail;
	}
	memcpy(&curl, fns, sizeof(curl));
	return true; /* h stays open for the life of the process */
fail:
	why = dlerror();
	snprintf(
	    err, errlen,
	    "cannot load libcurl for --push: %s (install the libcurl4 package, or write intervals with --out-dir)",
	    why ? why : "unknown error");
	if (h)
		dlclose(h);
	return false;
}

int rs_push_http_init(char *err, size_t errlen)
{
	CURLcode c;

	if (!curl.global_init && !load_curl(err, errlen))
		return -ENOTSUP;
	c = curl.global_init(CURL_GLOBAL_DEFAULT);
	if (c) {
		snprintf(err, errlen, "cannot initialise libcurl: %s", curl.easy_strerror(c));
		return -EIO;
	}
	return 0;
}

struct resp {
	char *buf;
	size_t len, cap;
};

/* Keeps the first bytes of the response body, for the message of a refusal. */
static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t take = size * n;

	if (r->len + 1 < r->cap) {
		size_t room = r->cap - r->len - 1;
		size_t k = take < room ? take : room;

		memcpy(r->buf + r->len, data, k);
		r->len += k;
		r->buf[r->len] = '\0';
	}
	return take;
}

static int on_progress(void *ctx, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	(void)dlt, (void)dln, (void)ult, (void)uln;
	return atomic_load((atomic_bool *)ctx) ? 1 : 0;
}

static int errno_of(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int rs_push_http_post(const struct rs_push_req *r, uint64_t timeout_ns, atomic_bool *abort,
		      long *status, char *body, size_t bodylen, char *err, size_t errlen)
{
	char ctype[160], cerr[CURL_ERROR_SIZE] = "";
	struct resp resp = { .buf = body, .cap = bodylen };
	struct curl_slist *hdrs = NULL, *h;
	long ms = (long)(timeout_ns / 1000000);
	CURLcode c = CURLE_OUT_OF_MEMORY;
	CURL *e;
	int ret;

	if (bodylen)
		body[0] = '\0';
	e = curl.easy_init();
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", r->content_type);
	h = curl.slist_append(NULL, ctype);
	hdrs = h ? curl.slist_append(h, "Expect:") : NULL;
	if (!hdrs)
		curl.slist_free_all(h);
	if (e && hdrs) {
		curl.easy_setopt(e, CURLOPT_URL, r->url);
		curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl.easy_setopt(e, CURLOPT_POST, 1L);
		curl.easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
		curl.easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
		curl.easy_setopt(e, CURLOPT_USERAGENT, "rsample/" RS_VERSION);
		curl.easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
		curl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
		curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
		curl.easy_setopt(e, CURLOPT_WRITEDATA, &resp);
		curl.easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		curl.easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl.easy_setopt(e, CURLOPT_XFERINFODATA, abort);
		curl.easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
		c = curl.easy_perform(e);
	}
	if (c == CURLE_OK) {
		curl.easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		ret = 0;
	} else {
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl.easy_strerror(c));
		ret = errno_of(c);
	}
	curl.slist_free_all(hdrs);
	curl.easy_cleanup(e);
	return ret;
}

#else /* !RS_WITH_CURL */

bool rs_push_supported(void)
{
	return false;
}

int rs_push_http_init(char *err, size_t errlen)
{
	snprintf(
	    err, errlen,
	    "this build has no push support: it was built with RS_WITH_CURL=0 (build with libcurl, the default dynamic build, or write intervals with --out-dir)");
	return -ENOTSUP;
}

int rs_push_http_post(const struct rs_push_req *r, uint64_t timeout_ns, atomic_bool *abort,
		      long *status, char *body, size_t bodylen, char *err, size_t errlen)
{
	(void)r, (void)timeout_ns, (void)abort, (void)status, (void)body, (void)bodylen;
	snprintf(err, errlen, "no push support in this build");
	return -ENOTSUP;
}

#endif
