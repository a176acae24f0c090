// SPDX-License-Identifier: GPL-2.0
/*
 * The sender (push.h): profiles are queued by the sampling thread and sent
 * by a thread of their own, so the sampler never waits on the network. The
 * queue holds at most queue_max profiles waiting (the one being sent is not
 * counted); a new one pushes the oldest out. A failed request is tried
 * again after an exponential backoff with jitter (half the delay fixed,
 * half random) while the server answers 5xx, 408 or 429 or cannot be
 * reached, at most `attempts` times; another 4xx drops it at once. At exit
 * what is queued gets flush_ns more, then the request under way is aborted
 * and the rest dropped. Every drop is counted with its cause.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/lib.h"
#include "push/push.h"
#include "push/push_priv.h"

struct rs_push {
	struct rs_push_cfg cfg;
	struct rs_push_label *labels;
	char *url, *app;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rs_push_req *q; /* ring of queue_max */
	size_t head, n;
	bool stopping;
	uint64_t deadline; /* CLOCK_MONOTONIC; set when stopping */
	atomic_bool abort; /* the request under way gives up */
	unsigned int seed;
	struct rs_push_stats st;
	uint64_t reported_drops;
	char last_why[512]; /* why the last attempt failed */
};

static uint64_t drops(const struct rs_push_stats *st)
{
	return st->drop_full + st->drop_fail + st->drop_exit + st->drop_build;
}

static void set_error(struct rs_push *s, const char *what, const char *why)
{
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: %s", what, why);
}

/* At exit: what was left, with why the last try failed (a hung server, a refused connection). */
static void set_exit_error(struct rs_push *s, const char *what)
{
	char why[600];

	snprintf(why, sizeof(why), "not sent within the flush time at exit%s%s%s",
		 s->last_why[0] ? " (last try: " : "", s->last_why, s->last_why[0] ? ")" : "");
	set_error(s, what, why);
}

/* Whether an HTTP status is worth another try. */
static bool retryable(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

/* Waits until t (CLOCK_MONOTONIC) or stop's deadline; with s->mu held. false: give up. */
static bool backoff_wait(struct rs_push *s, uint64_t t)
{
	struct timespec ts;

	for (;;) {
		if (s->stopping && t > s->deadline)
			return false;
		if (rs_mono_ns() >= t)
			return true;
		ts.tv_sec = (time_t)(t / 1000000000);
		ts.tv_nsec = (long)(t % 1000000000);
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
}

static uint64_t backoff(struct rs_push *s, unsigned int attempt)
{
	uint64_t d = s->cfg.backoff_min_ns;

	for (unsigned int i = 1; i < attempt && d < s->cfg.backoff_max_ns; i++)
		d *= 2;
	if (d > s->cfg.backoff_max_ns)
		d = s->cfg.backoff_max_ns;
	return d / 2 + (uint64_t)rand_r(&s->seed) % (d / 2 + 1);
}

/* Sends r until it is accepted, refused for good, out of attempts or out of time; s->mu held. */
static void send_one(struct rs_push *s, struct rs_push_req *r)
{
	char err[256], body[256], why[512];
	long status = 0;
	int e;

	for (unsigned int attempt = 1;; attempt++) {
		uint64_t left = s->cfg.timeout_ns;

		if (s->stopping) {
			uint64_t now = rs_mono_ns();

			left = now < s->deadline ? s->deadline - now : 0;
			if (left > s->cfg.timeout_ns)
				left = s->cfg.timeout_ns;
		}
		pthread_mutex_unlock(&s->mu);
		e = left ? rs_push_http_post(r, left, &s->abort, &status, body, sizeof(body), err,
					     sizeof(err))
			 : -ECANCELED;
		pthread_mutex_lock(&s->mu);
		if (!e && status >= 200 && status < 300) {
			s->st.sent++;
			return;
		}
		if (!e) {
			body[strcspn(body, "\r\n")] = '\0';
			snprintf(why, sizeof(why), "the server answered HTTP %ld%s%s", status,
				 body[0] ? ": " : "", body);
		} else {
			snprintf(why, sizeof(why), "%s", err);
		}
		if (e != -ECANCELED)
			snprintf(s->last_why, sizeof(s->last_why), "%s", why);
		if (e == -ECANCELED || (s->stopping && rs_mono_ns() >= s->deadline)) {
			set_exit_error(s, r->what);
			s->st.drop_exit++;
			return;
		}
		set_error(s, r->what, why);
		if ((!e && !retryable(status)) || attempt >= s->cfg.attempts) {
			s->st.drop_fail++;
			return;
		}
		s->st.retries++;
		if (!backoff_wait(s, rs_mono_ns() + backoff(s, attempt))) {
			set_exit_error(s, r->what);
			s->st.drop_exit++;
			return;
		}
	}
}

static void *sender(void *arg)
{
	struct rs_push *s = arg;
	struct rs_push_req r;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (!s->n) {
			if (s->stopping)
				break;
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		if (s->stopping && rs_mono_ns() >= s->deadline)
			break;
		r = s->q[s->head];
		memset(&s->q[s->head], 0, sizeof(r));
		s->head = (s->head + 1) % s->cfg.queue_max;
		s->n--;
		send_one(s, &r);
		rs_push_req_clear(&r);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Frees s and what it owns (the thread is not running). */
static void destroy(struct rs_push *s)
{
	free(s->q);
	free(s->labels);
	free(s->app);
	free(s->url);
	free(s);
}

/* http:// or https:// and a host. */
static bool url_ok(const char *u)
{
	const char *h = !strncmp(u, "http://", 7)    ? u + 7
			: !strncmp(u, "https://", 8) ? u + 8
						     : NULL;

	return h && *h && *h != '/' && !strpbrk(u, " \t\r\n?#");
}

int rs_push_new(const struct rs_push_cfg *cfg, struct rs_push **out, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	struct rs_push *s;
	int e;

	if (!url_ok(cfg->url)) {
		snprintf(
		    err, errlen,
		    "invalid --push URL '%s': expected http://HOST[:PORT] or https://HOST[:PORT], the Pyroscope server (without /ingest or a query)",
		    cfg->url);
		return -EINVAL;
	}
	e = rs_push_http_init(err, errlen);
	if (e)
		return e;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->cfg = *cfg;
	if (!s->cfg.queue_max)
		s->cfg.queue_max = RS_PUSH_QUEUE_DEFAULT;
	if (!s->cfg.flush_ns)
		s->cfg.flush_ns = RS_PUSH_FLUSH_NS;
	if (!s->cfg.timeout_ns)
		s->cfg.timeout_ns = RS_PUSH_TIMEOUT_NS;
	if (!s->cfg.backoff_min_ns)
		s->cfg.backoff_min_ns = 250000000ull;
	if (!s->cfg.backoff_max_ns)
		s->cfg.backoff_max_ns = 30000000000ull;
	if (!s->cfg.attempts)
		s->cfg.attempts = RS_PUSH_ATTEMPTS;
	s->url = strdup(cfg->url);
	s->app = strdup(cfg->app ? cfg->app : "rsample");
	s->labels = calloc(cfg->n_labels ? cfg->n_labels : 1, sizeof(*s->labels));
	s->q = calloc(s->cfg.queue_max, sizeof(*s->q));
	if (!s->url || !s->app || !s->labels || !s->q)
		goto nomem_free;
	if (cfg->n_labels)
		memcpy(s->labels, cfg->labels, cfg->n_labels * sizeof(*s->labels));
	s->cfg.url = s->url;
	s->cfg.app = s->app;
	s->cfg.labels = s->labels;
	s->seed = (unsigned int)(rs_mono_ns() ^ (uint64_t)getpid());
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&s->thread, NULL, sender, s);
	if (e) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		destroy(s);
		snprintf(err, errlen, "cannot start the push thread: %s", strerror(e));
		return -e;
	}
	*out = s;
	return 0;
nomem_free:
	destroy(s);
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int rs_push_profile(struct rs_push *s, const struct rs_profile *p)
{
	struct rs_push_req r;
	int e;

	e = rs_push_req_build(&s->cfg, p, &r);
	pthread_mutex_lock(&s->mu);
	s->st.queued++;
	if (e) {
		s->st.drop_build++;
		set_error(s, "a profile", strerror(-e));
		pthread_mutex_unlock(&s->mu);
		return e;
	}
	if (s->n == s->cfg.queue_max) {
		struct rs_push_req *old = &s->q[s->head];

		set_error(s, old->what, "the queue was full (raise --push-queue)");
		rs_push_req_clear(old);
		s->head = (s->head + 1) % s->cfg.queue_max;
		s->n--;
		s->st.drop_full++;
	}
	s->q[(s->head + s->n) % s->cfg.queue_max] = r;
	s->n++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void rs_push_stats(struct rs_push *s, struct rs_push_stats *out, uint64_t *dropped_since)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	if (dropped_since) {
		*dropped_since = drops(&s->st) - s->reported_drops;
		s->reported_drops = drops(&s->st);
	}
	pthread_mutex_unlock(&s->mu);
}

void rs_push_free(struct rs_push *s, struct rs_push_stats *last)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	s->deadline = rs_mono_ns() + s->cfg.flush_ns;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	/* At the deadline the request under way is aborted (libcurl checks the flag). */
	while (pthread_tryjoin_np(s->thread, NULL)) {
		if (rs_mono_ns() >= s->deadline) {
			atomic_store(&s->abort, true);
			pthread_join(s->thread, NULL);
			break;
		}
		usleep(20000);
	}
	if (s->n)
		set_exit_error(s, s->q[s->head].what);
	for (size_t i = 0; i < s->n; i++) {
		rs_push_req_clear(&s->q[(s->head + i) % s->cfg.queue_max]);
		s->st.drop_exit++;
	}
	if (last)
		*last = s->st;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	destroy(s);
}
