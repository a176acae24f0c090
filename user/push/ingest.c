// SPDX-License-Identifier: GPL-2.0
/*
 * Pyroscope's ingest request (push.h), as its server API documents it:
 * POST /ingest with the series in the query (name=<app>{labels}, from and
 * until in Unix seconds, format=pprof, sampleRate, spyName) and the profile
 * in a multipart/form-data body: the gzip'd pprof in the file field
 * "profile"; a profile whose sample types Pyroscope does not know (off-CPU:
 * waits/count, off_cpu/nanoseconds) also carries "sample_type_config",
 * which names them. On-CPU profiles have the shape of Go's CPU profile
 * (samples/count, cpu/nanoseconds, period cpu/nanoseconds), which
 * Pyroscope ingests as its process_cpu type without a configuration.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/lib.h"
#include "out/out.h"
#include "push/push.h"

void rs_push_urlencode(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

/* A label value without the characters that end one in name{k=v,...}. */
static void put_value(FILE *f, const char *v)
{
	char buf[256];
	size_t i;

	for (i = 0; v[i] && i + 1 < sizeof(buf); i++)
		buf[i] = strchr(",{}=\"", v[i]) ? '_' : v[i];
	buf[i] = '\0';
	rs_push_urlencode(f, buf);
}

static int close_stream(FILE *f, char **buf, int e)
{
	if (fclose(f) && !e)
		e = -EIO;
	if (e) {
		free(*buf);
		*buf = NULL;
	}
	return e;
}

static int build_url(const struct rs_push_cfg *cfg, const struct rs_profile *p, char **out)
{
	size_t n = strlen(cfg->url), len;
	int64_t from = p->start_unix_ns / 1000000000;
	int64_t until = (p->start_unix_ns + (int64_t)p->duration_ns) / 1000000000;
	char *buf = NULL;
	FILE *f;

	while (n && cfg->url[n - 1] == '/')
		n--;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "%.*s/ingest?name=", (int)n, cfg->url);
	rs_push_urlencode(f, cfg->app);
	fputs("%7B", f);
	for (size_t i = 0; i < cfg->n_labels; i++) {
		fprintf(f, "%s%s%%3D", i ? "%2C" : "", cfg->labels[i].key);
		put_value(f, cfg->labels[i].value);
	}
	fputs("%7D", f);
	if (until <= from)
		until = from + 1;
	fprintf(f, "&from=%" PRId64 "&until=%" PRId64 "&format=pprof", from, until);
	if (p->kind == RS_PROF_ONCPU)
		fprintf(f, "&sampleRate=%" PRIu32, p->freq_hz);
	fputs("&spyName=rsample", f);
	if (close_stream(f, &buf, ferror(f) ? -EIO : 0))
		return -EIO;
	*out = buf;
	return 0;
}

/* The off-CPU sample types, named for Pyroscope (its server API's sample type configuration). */
static const char off_cpu_config[] =
    "{\"off_cpu\":{\"units\":\"nanoseconds\",\"aggregation\":\"sum\",\"display-name\":\"off_cpu\","
    "\"sampled\":false},"
    "\"waits\":{\"units\":\"count\",\"aggregation\":\"sum\",\"display-name\":\"off_cpu_waits\","
    "\"sampled\":false}}";

static void part(FILE *f, const char *boundary, const char *name, const char *file,
		 const char *type, const void *data, size_t len)
{
	fprintf(f, "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n",
		boundary, name, file);
	fprintf(f, "Content-Type: %s\r\n\r\n", type);
	fwrite(data, 1, len, f);
	fputs("\r\n", f);
}

static int build_body(const struct rs_profile *p, char **out, size_t *out_len, char **ctype)
{
	const struct rs_profile *profs[] = { p };
	char *pb = NULL, *body = NULL, boundary[64];
	size_t pb_len = 0, len = 0;
	uint64_t h;
	FILE *f;
	int e;

	f = open_memstream(&pb, &pb_len);
	if (!f)
		return -ENOMEM;
	e = rs_write_pprof(f, profs, 1, RS_GROUP_NONE);
	e = close_stream(f, &pb, e);
	if (e)
		return e;
	/* A boundary that does not occur in the profile's bytes. */
	h = rs_hash(pb, pb_len);
	do {
		snprintf(boundary, sizeof(boundary), "rsample-%016" PRIx64, h++);
	} while (memmem(pb, pb_len, boundary, strlen(boundary)));
	f = open_memstream(&body, &len);
	if (!f) {
		free(pb);
		return -ENOMEM;
	}
	part(f, boundary, "profile", "profile.pb.gz", "application/octet-stream", pb, pb_len);
	if (p->kind == RS_PROF_OFFCPU)
		part(f, boundary, "sample_type_config", "sample_type_config.json",
		     "application/json", off_cpu_config, strlen(off_cpu_config));
	fprintf(f, "--%s--\r\n", boundary);
	free(pb);
	e = close_stream(f, &body, ferror(f) ? -EIO : 0);
	if (e)
		return e;
	if (asprintf(ctype, "multipart/form-data; boundary=%s", boundary) < 0) {
		free(body);
		return -ENOMEM;
	}
	*out = body;
	*out_len = len;
	return 0;
}

static int describe(const struct rs_profile *p, char **out)
{
	char a[32], b[32];
	time_t s = (time_t)(p->start_unix_ns / 1000000000), t;
	struct tm tm;

	t = s + (time_t)(p->duration_ns / 1000000000);
	if (!gmtime_r(&s, &tm) || !strftime(a, sizeof(a), "%H:%M:%S", &tm))
		snprintf(a, sizeof(a), "?");
	if (!gmtime_r(&t, &tm) || !strftime(b, sizeof(b), "%H:%M:%S", &tm))
		snprintf(b, sizeof(b), "?");
	if (asprintf(out, "%s profile of %s-%s UTC",
		     p->kind == RS_PROF_ONCPU ? "on-CPU" : "off-CPU", a, b) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

int rs_push_req_build(const struct rs_push_cfg *cfg, const struct rs_profile *p,
		      struct rs_push_req *out)
{
	struct rs_push_req r = { 0 };
	int e;

	e = build_url(cfg, p, &r.url);
	if (!e)
		e = build_body(p, &r.body, &r.len, &r.content_type);
	if (!e)
		e = describe(p, &r.what);
	if (e) {
		rs_push_req_clear(&r);
		return e;
	}
	*out = r;
	return 0;
}

void rs_push_req_clear(struct rs_push_req *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->content_type);
	free(r->body);
	free(r->what);
	memset(r, 0, sizeof(*r));
}
