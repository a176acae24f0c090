/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers for the fixture victims of tests/fixtures/unwind: start one,
 * read the stack samples it records of itself, stop it; find the lines the
 * fixture sources mark with "@name" comments. Header-only so each test
 * binary gets its own copy; use with cmocka.
 */
#ifndef RS_TEST_VICTIM_H
#define RS_TEST_VICTIM_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../fixtures/unwind/sample.h"
#include "stack/stack.h"

#define VICTIM_DIR	  RS_BUILD "/fixtures"
#define VICTIM_SRC	  RS_FIXTURES "/unwind"
#define VICTIM_TIMEOUT_MS 20000

extern char **environ;

struct victim_sample {
	struct rs_sample_hdr hdr;
	unsigned char *stack;
};

struct victim {
	pid_t pid;
	int in_fd;  /* the victim's stdin: it blocks until this is closed */
	int out_fd; /* its stdout: samples */
};

static inline void victim_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		assert_int_equal(poll(&pfd, 1, VICTIM_TIMEOUT_MS), 1);
		r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r > 0);
		p += r;
		len -= (size_t)r;
	}
}

/* Starts the program at path with argv[1..]; the victim is stopped by victim_stop(). */
static inline void victim_start_path(struct victim *v, const char *path, const char *arg1,
				     const char *arg2)
{
	char *argv[] = { (char *)path, (char *)arg1, (char *)arg2, NULL };
	posix_spawn_file_actions_t fa;
	int in[2], out[2];

	assert_int_equal(access(path, X_OK), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], 0), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out[1], 1), 0);
	assert_int_equal(posix_spawn(&v->pid, path, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	v->in_fd = in[1];
	v->out_fd = out[0];
}

/* Starts VICTIM_DIR/bin with argv[1..]. */
static inline void victim_start(struct victim *v, const char *bin, const char *arg1,
				const char *arg2)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", VICTIM_DIR, bin);
	victim_start_path(v, path, arg1, arg2);
}

/* Reads the next sample the victim recorded. Free s->stack. */
static inline void victim_sample(struct victim *v, struct victim_sample *s)
{
	victim_read_full(v->out_fd, &s->hdr, sizeof(s->hdr));
	assert_int_equal(s->hdr.magic, RS_SAMPLE_MAGIC);
	assert_true(s->hdr.len > 0 && s->hdr.len <= RS_USTACK_MAX);
	s->stack = malloc(s->hdr.len);
	assert_non_null(s->stack);
	victim_read_full(v->out_fd, s->stack, s->hdr.len);
}

/* Kills the victim this test started (by its pid) and reaps it. */
static inline void victim_stop(struct victim *v)
{
	int status;

	if (v->pid <= 0)
		return;
	close(v->in_fd);
	close(v->out_fd);
	kill(v->pid, SIGKILL);
	while (waitpid(v->pid, &status, 0) < 0 && errno == EINTR)
		;
	v->pid = 0;
}

/* The 1-based line of file (in VICTIM_SRC) holding "@marker" followed by a blank or newline. */
static inline unsigned int victim_line(const char *file, const char *marker)
{
	char path[512], line[1024], tag[128];
	unsigned int n = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", VICTIM_SRC, file);
	snprintf(tag, sizeof(tag), "@%s", marker);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *hit = strstr(line, tag);

		n++;
		if (hit && (hit[strlen(tag)] == ' ' || hit[strlen(tag)] == '\n')) {
			assert_int_equal(found, 0); /* markers are unique */
			found = n;
		}
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

/* A sample unwound and symbolized. */
struct stack {
	struct rs_unwound u;
	struct rs_frame *f;
	size_t n;
};

static inline void stack_clear(struct stack *st)
{
	for (size_t i = 0; i < st->n; i++)
		rs_frame_clear(&st->f[i]);
	free(st->f);
	st->f = NULL;
	st->n = 0;
}

/* The first window bytes of s unwound; limit: what limited the copy (rs_ustack.window_limit). */
static inline void unwind_sample_limit(struct rs_proc *p, const struct victim_sample *s,
				       size_t window, const char *limit, struct stack *st)
{
	struct rs_ustack us = {
		.regs = &s->hdr.regs, .stack = s->stack, .len = window, .window_limit = limit
	};

	assert_int_equal(rs_stack_user(p, &us, &st->u, &st->f, &st->n), 0);
}

static inline void unwind_sample(struct rs_proc *p, const struct victim_sample *s, size_t window,
				 struct stack *st)
{
	unwind_sample_limit(p, s, window, NULL, st);
}

static inline void stack_print(const struct stack *st)
{
	fprintf(stderr, "  method %s complete %d stop '%s'\n", st->u.info.method,
		st->u.info.complete, st->u.info.stop_reason);
	for (size_t i = 0; i < st->n; i++)
		fprintf(stderr, "  #%zu 0x%lx %s%s%s %s:%u (%s)\n", i, (unsigned long)st->f[i].addr,
			st->f[i].function ? st->f[i].function : "??",
			st->f[i].inlined ? " [inlined]" : "",
			st->f[i].tailcall ? " [tail call]" : "",
			st->f[i].file ? st->f[i].file : "?", st->f[i].line,
			st->f[i].module ? st->f[i].module : "?");
}

/* name matches pattern: alternatives separated by '|', each may end in '*' (prefix). */
static inline bool name_matches(const char *name, const char *pattern)
{
	char buf[256], *save = NULL;

	if (!name)
		return false;
	snprintf(buf, sizeof(buf), "%s", pattern);
	for (char *alt = strtok_r(buf, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
		size_t len = strlen(alt);

		if (len && alt[len - 1] == '*' ? !strncmp(name, alt, len - 1) : !strcmp(name, alt))
			return true;
	}
	return false;
}

/* The frames are exactly want[] (or start with it when !exact), innermost first. */
static inline void assert_names(const struct stack *st, const char *const *want, size_t nwant,
				bool exact)
{
	bool ok = exact ? st->n == nwant : st->n >= nwant;

	for (size_t i = 0; ok && i < nwant; i++)
		ok = name_matches(st->f[i].function, want[i]);
	if (!ok) {
		fprintf(stderr, "unexpected stack, wanted:");
		for (size_t i = 0; i < nwant; i++)
			fprintf(stderr, " %s", want[i]);
		fprintf(stderr, "%s\n", exact ? "" : " ...");
		stack_print(st);
	}
	assert_true(ok);
}

/* f is at the line of file marked "@marker"; file is a path suffix, f->file must be absolute. */
static inline void assert_at(const struct rs_frame *f, const char *file, const char *marker)
{
	unsigned int line = victim_line(strrchr(file, '/') + 1, marker);
	size_t len = strlen(file), flen = f->file ? strlen(f->file) : 0;
	bool ok = f->file && f->file[0] == '/' && flen > len &&
		  !strcmp(f->file + flen - len, file) && f->line == line;

	if (!ok)
		fprintf(stderr, "%s: wanted %s:%u, got %s:%u\n", f->function ? f->function : "??",
			file, line, f->file ? f->file : "(null)", f->line);
	assert_true(ok);
}

#endif
