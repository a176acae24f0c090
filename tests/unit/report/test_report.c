// SPDX-License-Identifier: GPL-2.0
/*
 * Grouping and the hang-report writers, on a hand-built snapshot compared
 * byte for byte with tests/fixtures/report/expected.{txt,json}. The JSON is
 * also checked by an independent parser (python3's json module), core
 * schema included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include "report/report.h"

#define FIX  RS_FIXTURES "/report/"
#define S(x) ((uint64_t)((x)*1e9 + 0.5))

#define LIBC	"/usr/lib/x86_64-linux-gnu/libc.so.6"
#define BACKEND "/app/backend"

/* ---- building a snapshot by hand; everything is heap-owned as in a real one ---- */

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	assert_true(!s || d);
	return d;
}

static struct rs_frame *push_frame(struct rs_frame **v, size_t *n)
{
	struct rs_frame *f;

	*v = realloc(*v, (*n + 1) * sizeof(**v));
	assert_non_null(*v);
	f = &(*v)[(*n)++];
	memset(f, 0, sizeof(*f));
	return f;
}

static void kf(struct rs_thread *t, uint64_t addr, const char *fn, uint64_t off, const char *mod)
{
	struct rs_frame *f = push_frame(&t->kframes, &t->n_kframes);

	f->addr = addr;
	f->function = xstrdup(fn);
	f->sym_offset = off;
	f->module = xstrdup(mod ? mod : "[kernel]");
	f->kernel = true;
}

static void uf(struct rs_thread *t, uint64_t addr, const char *fn, const char *mod,
	       const char *file, uint32_t line, bool inlined)
{
	struct rs_frame *f = push_frame(&t->uframes, &t->n_uframes);

	f->addr = addr;
	f->function = xstrdup(fn);
	f->module = xstrdup(mod);
	f->file = xstrdup(file);
	f->line = line;
	f->inlined = inlined;
}

static struct rs_thread *add_thread(struct rs_process *p, uint32_t tid, uint32_t ns_tid,
				    const char *name, char state)
{
	struct rs_thread *t;

	p->threads = realloc(p->threads, (p->n_threads + 1) * sizeof(*p->threads));
	assert_non_null(p->threads);
	t = &p->threads[p->n_threads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->ns_tid = ns_tid;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->state = state;
	t->syscall_nr = -1;
	t->unwind.method = "dwarf";
	t->unwind.complete = true;
	return t;
}

static void set_blocked(struct rs_thread *t, uint64_t ns)
{
	t->blocked_known = true;
	t->blocked_ns = ns;
}

static void set_syscall(struct rs_thread *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
			uint64_t a3, uint64_t a4, uint64_t a5)
{
	t->in_syscall = true;
	t->syscall_nr = nr;
	t->syscall_args[0] = a0;
	t->syscall_args[1] = a1;
	t->syscall_args[2] = a2;
	t->syscall_args[3] = a3;
	t->syscall_args[4] = a4;
	t->syscall_args[5] = a5;
}

static struct rs_process *add_proc(struct rs_snapshot *s, uint32_t pid, uint32_t ns_pid,
				   const char *comm, const char *exe)
{
	struct rs_process *p;

	s->procs = realloc(s->procs, (s->n_procs + 1) * sizeof(*s->procs));
	assert_non_null(s->procs);
	p = &s->procs[s->n_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ns_pid = ns_pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->exe = xstrdup(exe);
	return p;
}

static void r2d2_worker(struct rs_process *p, uint32_t tid, uint32_t ns_tid, const char *name,
			uint64_t uaddr, uint64_t blocked)
{
	struct rs_thread *t = add_thread(p, tid, ns_tid, name, 'S');

	set_blocked(t, blocked);
	set_syscall(t, SYS_futex, uaddr, 0x89, 0, 0, 0, 0xffffffff);
	t->nvcsw = 1200;
	t->nivcsw = 3;
	kf(t, 0xffffffff8116f09c, "futex_wait_queue", 0x5c, NULL);
	kf(t, 0xffffffff8116f7d8, "futex_wait", 0x158, NULL);
	kf(t, 0xffffffff81e8b0fd, "do_syscall_64", 0x5d, NULL);
	uf(t, 0x7f3a2e91e88d, "syscall", LIBC, "../sysdeps/unix/sysv/linux/x86_64/syscall.S", 38,
	   false);
	uf(t, 0x55d4c0b2a1f0, "parking_lot_core::thread_parker::imp::ThreadParker::futex_wait",
	   BACKEND, "src/thread_parker/linux.rs", 112, true);
	uf(t, 0x55d4c0b2a1f0, "parking_lot_core::parking_lot::park", BACKEND, "src/parking_lot.rs",
	   635, false);
	uf(t, 0x55d4c0a9c77e, "scheduled_thread_pool::Worker::run", BACKEND, "src/lib.rs", 218,
	   false);
	uf(t, 0x7f3a2e89a3ec, "start_thread", LIBC, "./nptl/pthread_create.c", 442, false);
	uf(t, 0x7f3a2e91ca4c, "clone3", LIBC, "../sysdeps/unix/sysv/linux/x86_64/clone3.S", 81,
	   false);
}

/* What waits.c finds for an epoll_wait on a listening socket and a pipe another process writes. */
static void epoll_wait_on(struct rs_thread *t)
{
	struct rs_wait *w = calloc(1, sizeof(*w));
	struct rs_fd_desc *m;

	assert_non_null(w);
	w->kind = RS_WAIT_EPOLL;
	snprintf(w->call, sizeof(w->call), "epoll_wait");
	w->text = xstrdup("epoll_wait(fd 5): 2 fds: fd 7 socket TCP 0.0.0.0:8080 LISTEN; fd 9 "
			  "pipe:[4242], writer: pid 4300 \"feeder\" (fd 4)");
	w->fd = (struct rs_fd_desc){ .fd = 5, .type = RS_FD_EPOLL, .reads = true, .writes = true };
	w->fd.link = xstrdup("anon_inode:[eventpoll]");
	w->fd.tfds = m = calloc(2, sizeof(*m));
	assert_non_null(m);
	w->fd.n_tfds = w->fd.total_tfds = 2;
	m[0] = (struct rs_fd_desc){ .fd = 7,
				    .type = RS_FD_SOCKET,
				    .inode = 9001,
				    .reads = true,
				    .writes = true,
				    .sock_found = true };
	m[0].link = xstrdup("socket:[9001]");
	snprintf(m[0].sock.proto, sizeof(m[0].sock.proto), "TCP");
	snprintf(m[0].sock.local, sizeof(m[0].sock.local), "0.0.0.0:8080");
	snprintf(m[0].sock.state, sizeof(m[0].sock.state), "LISTEN");
	m[1] = (struct rs_fd_desc){ .fd = 9,
				    .type = RS_FD_PIPE,
				    .inode = 4242,
				    .reads = true,
				    .writer_open = true,
				    .n_holders = 1 };
	m[1].link = xstrdup("pipe:[4242]");
	m[1].holders = calloc(1, sizeof(*m[1].holders));
	assert_non_null(m[1].holders);
	m[1].holders[0] =
	    (struct rs_fd_holder){ .pid = 4300, .comm = "feeder", .fd = 4, .writes = true };
	t->wait = w;
}

static void build_backend(struct rs_snapshot *s)
{
	struct rs_process *p = add_proc(s, 4242, 6, "backend", BACKEND);
	struct rs_thread *t;

	p->cgroup = xstrdup("/kubepods.slice/kubepods-burstable.slice/cri-containerd-3f2a9c.scope");
	p->cgroup_id = 12345;

	r2d2_worker(p, 4250, 14, "r2d2-worker-0", 0x7f12a4c0, S(12));

	t = add_thread(p, 4252, 16, "db-writer", 'D');
	set_blocked(t, S(95.5));
	set_syscall(t, SYS_read, 7, 0x7f3a2c001000, 65536, 0, 0, 0);
	kf(t, 0xffffffff812a5f2c, "folio_wait_bit_common", 0x13c, NULL);
	kf(t, 0xffffffffc0a0035d, "ext4_file_read_iter", 0x5d, "[ext4]");
	kf(t, 0xffffffff81367fa2, "vfs_read", 0x1f2, NULL);
	kf(t, 0xffffffff81e8b0fd, NULL, 0, NULL);
	uf(t, 0x7f3a2e90e1cc, "__libc_read", LIBC, "../sysdeps/unix/sysv/linux/read.c", 26, false);
	/* left through a tail call to read(): rebuilt from DWARF call sites */
	uf(t, 0x55d4c0a4f0b7, "std::sys::pal::unix::fs::File::read", BACKEND,
	   "library/std/src/sys/pal/unix/fs.rs", 1234, false);
	t->uframes[1].tailcall = true;
	uf(t, 0x55d4c0a4d2e1, "<std::fs::File as std::io::Read>::read", BACKEND,
	   "library/std/src/fs.rs", 741, false);
	uf(t, 0x55d4c0a1b2c3, NULL, BACKEND, NULL, 0, false);
	t->uframes[3].sym_offset = 0x1b2c3;
	uf(t, 0x7f0000001234, NULL, NULL, NULL, 0, false);
	t->unwind.method = "dwarf+fp";
	t->unwind.complete = false;
	snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason),
		 "no CFI for /app/backend at 0x55d4c0a1b2c3; frame pointer chain ended");

	t = add_thread(p, 4242, 6, "backend", 'S');
	set_blocked(t, S(431.2));
	set_syscall(t, SYS_epoll_wait, 5, 0x7ffd5a3c1e00, 1024, 0xffffffff, 0, 0);
	t->nvcsw = 77;
	kf(t, 0xffffffff8139b2f0, "ep_poll", 0x2d0, NULL);
	kf(t, 0xffffffff8139c1a5, "do_epoll_wait", 0xa5, NULL);
	uf(t, 0x7f3a2e91d9e6, "epoll_wait", LIBC, "../sysdeps/unix/sysv/linux/epoll_wait.c", 30,
	   false);
	uf(t, 0x55d4c0b7f113, "mio::sys::unix::selector::epoll::Selector::select", BACKEND,
	   "src/sys/unix/selector/epoll.rs", 98, true);
	uf(t, 0x55d4c0b7f113, "mio::poll::Poll::poll", BACKEND, "src/poll.rs", 351, false);
	uf(t, 0x55d4c0b6e0a8, "tokio::runtime::io::driver::Driver::turn", BACKEND,
	   "src/runtime/io/driver.rs", 149, false);
	uf(t, 0x55d4c0a0f5d2, "backend::main", BACKEND, "src/main.rs", 12, false);
	uf(t, 0x7f3a2e8b0d8f, "__libc_start_call_main", LIBC,
	   "../sysdeps/nptl/libc_start_call_main.h", 58, false);
	uf(t, 0x55d4c0a0e0a4, "_start", BACKEND, NULL, 0, false);
	epoll_wait_on(t);

	r2d2_worker(p, 4251, 15, "r2d2-worker-1", 0x7f12a4c8, S(3.5));

	t = add_thread(p, 4253, 17, "cpu-hog", 'R');
	t->on_cpu = true;
	t->from_perf = true;
	set_blocked(t, 0);
	t->nivcsw = 5000;
	for (int i = 0; i < 5; i++)
		uf(t, 0x55d4c0a11040, "backend::fib", BACKEND, "src/fib.rs", 10, false);
	uf(t, 0x55d4c0a110b0, "backend::burn", BACKEND, "src/fib.rs", 20, false);
	uf(t, 0x7f3a2e89a3ec, "start_thread", LIBC, "./nptl/pthread_create.c", 442, false);

	/* a hostile name: quote, backslash, control byte, invalid UTF-8, then valid UTF-8 */
	t = add_thread(p, 4254, 18, "w\"e\\\x01\xff\xc3\xa4", 'S');
	set_syscall(t, SYS_clock_nanosleep, 1, 0, 0x7f3a2bfff0a0, 0x7f3a2bfff0b0, 0, 0);
	t->unwind.method = "none";
	t->unwind.complete = false;
	snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason),
		 "no user registers (thread exiting)");
}

static void build_sidecar(struct rs_snapshot *s)
{
	static const uint32_t tids[] = { 5010, 5000, 5001, 5002, 5005, 5003 };
	struct rs_process *p = add_proc(s, 5000, 10, "sidecar", NULL);
	struct rs_thread *t;

	p->error = xstrdup("cannot read '/proc/5000/maps': Permission denied");
	for (size_t i = 0; i < sizeof(tids) / sizeof(tids[0]); i++) {
		t = add_thread(p, tids[i], tids[i] - 4990, tids[i] == 5000 ? "sidecar" : "worker",
			       'S');
		set_blocked(t, S(2.0) + tids[i] % 10 * 50000000);
		set_syscall(t, SYS_futex, 0x5600000010, 0x80, 2, 0, 0, 0);
		kf(t, 0xffffffff8116f09c, "futex_wait_queue", 0x5c, NULL);
		uf(t, 0x401000, NULL, "/usr/bin/sidecar", NULL, 0, false);
		t->uframes[0].sym_offset = 0x1000;
		t->unwind.method = "fp";
		t->unwind.complete = false;
		snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason),
			 "no CFI for /usr/bin/sidecar; frame pointer chain ended");
	}
	/* two threads in a lock-order deadlock, as locks.c marks them */
	for (uint32_t i = 0; i < 2; i++) {
		t = add_thread(p, 5030 + i, 40 + i, i ? "teller-b" : "teller-a", 'S');
		set_blocked(t, S(1.5)); /* shorter than the workers': the deadlock still leads */
		set_syscall(t, SYS_futex, 0x5600000100 + i * 0x40, 0x80, 2, 0, 0, 0);
		kf(t, 0xffffffff8116f09c, "futex_wait_queue", 0x5c, NULL);
		uf(t, 0x403000, "lock_pair", "/usr/bin/sidecar", "src/ledger.c", 196, false);
		t->unwind.method = "dwarf";
		t->unwind.complete = true;
		t->waits_mutex = true;
		t->mutex_addr = 0x5600000100 + i * 0x40;
		t->mutex_owner_ns_tid = 41 - i;
		t->mutex_owner_tid = 5031 - i;
		t->deadlock = 1;
	}
	p->n_deadlocks = 1;
	/* host ids only: not every thread of a process need show "(ns …)" */
	t = add_thread(p, 5020, 5020, "flusher", 'R');
	set_blocked(t, 15000000);
	uf(t, 0x402000, NULL, "/usr/bin/sidecar", NULL, 0, false);
	t->uframes[0].sym_offset = 0x2000;
	t->unwind.method = "fp";
	t->unwind.complete = false;
	snprintf(t->unwind.stop_reason, sizeof(t->unwind.stop_reason), "bad frame pointer chain");
}

static void build_snapshot(struct rs_snapshot *s)
{
	struct rs_process *p;
	struct rs_thread *t;

	memset(s, 0, sizeof(*s));
	s->target = xstrdup("cgroup /kubepods.slice/kubepods-burstable.slice");
	s->taken_at_unix_ns = 1764126764123456789ll;
	s->duration_ns = 12345678;
	s->spread_ns = 1350000;
	s->counters[RS_CNT_TASKS_SEEN] = 15;
	s->counters[RS_CNT_RINGBUF_FULL] = 2;
	s->counters[RS_CNT_USTACK_FAIL] = 1;
	s->counters[RS_CNT_PERF_SAMPLES] = 1;
	s->partial = true;

	build_backend(s);
	build_sidecar(s);
	/* listed last, sorted first */
	p = add_proc(s, 4100, 1, "paused-job", "/bin/job");
	t = add_thread(p, 4100, 1, "paused-job", 'T');
	set_blocked(t, S(2.0));
	uf(t, 0x401136, "main", "/bin/job", NULL, 0, false);
	t->unwind.method = "fp";
}

/* ---- comparing with the expected files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * Compares with FIX/name and frees got; on a difference, leaves the output in
 * the build dir for diff.
 */
static void expect_file(const char *name, char *got, size_t got_len)
{
	char path[512], actual[512];
	size_t want_len;
	char *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", FIX, name);
	want = slurp(path, &want_len);
	if (want_len != got_len || memcmp(want, got, got_len)) {
		snprintf(actual, sizeof(actual), "%s/tests/actual-%s", RS_BUILD, name);
		f = fopen(actual, "w");
		if (f) {
			fwrite(got, 1, got_len, f);
			fclose(f);
		}
		free(want);
		free(got);
		fail_msg("output differs from %s: diff -u %s %s", path, path, actual);
	}
	free(want);
	free(got);
}

typedef int (*writer_fn)(FILE *, const struct rs_snapshot *, const struct rs_report_opts *);

static char *render(writer_fn w, const struct rs_snapshot *s, const struct rs_report_opts *o,
		    size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	assert_non_null(f);
	assert_int_equal(w(f, s, o), 0);
	assert_int_equal(fclose(f), 0);
	return out;
}

/*
 * Runs python3 on the JSON: it must parse, and hold the core schema of
 * docs/json.md with the right types. Returns the checker's exit status.
 */
static int check_json(const char *json, size_t len, bool quiet)
{
	static const char checker[] =
	    "python3 -c '\n"
	    "import json, sys\n"
	    "d = json.load(sys.stdin)\n"
	    "def need(o, k, *types):\n"
	    "    assert k in o, \"missing \" + k\n"
	    "    assert o[k] is None and type(None) in types or type(o[k]) in types, (k, o[k])\n"
	    "    return o[k]\n"
	    "S, N = (str, type(None)), (int, type(None))\n"
	    "assert need(d, \"schema_version\", int) == 1\n"
	    "for p in need(d, \"processes\", list):\n"
	    "    need(p, \"pid\", int); need(p, \"ns_pid\", int); need(p, \"comm\", *S)\n"
	    "    need(p, \"exe\", *S)\n"
	    "    for t in need(p, \"threads\", list):\n"
	    "        need(t, \"tid\", int); need(t, \"ns_tid\", int); need(t, \"name\", *S)\n"
	    "        assert len(need(t, \"state\", str)) == 1\n"
	    "        need(t, \"on_cpu\", bool); need(t, \"blocked_ns\", *N)\n"
	    "        sc = need(t, \"syscall\", dict, type(None))\n"
	    "        if sc is not None:\n"
	    "            need(sc, \"nr\", int); need(sc, \"name\", *S)\n"
	    "            assert all(a.startswith(\"0x\") for a in need(sc, \"args\", list))\n"
	    "        for f in need(t, \"kernel_stack\", list):\n"
	    "            assert need(f, \"addr\", str).startswith(\"0x\"); need(f, \"function\", *S)\n"
	    "        for f in need(t, \"user_stack\", list):\n"
	    "            assert need(f, \"addr\", str).startswith(\"0x\"); need(f, \"function\", *S)\n"
	    "            need(f, \"module\", *S); need(f, \"file\", *S); need(f, \"line\", *N)\n"
	    "            need(f, \"inlined\", bool); need(f, \"tailcall\", bool)\n"
	    "        u = need(t, \"unwind\", dict)\n"
	    "        need(u, \"method\", str); need(u, \"complete\", bool); need(u, \"stop_reason\", *S)\n"
	    "'";
	char cmd[sizeof(checker) + 32];
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s%s", checker, quiet ? " 2>/dev/null" : "");
	p = popen(cmd, "w");
	if (!p)
		fail_msg("cannot run python3: %s", strerror(errno));
	assert_int_equal(fwrite(json, 1, len, p), len);
	status = pclose(p);
	return status;
}

/* ---- tests ---- */

/* Every test gets the snapshot in *state; teardown frees it even when the test fails. */
static int setup(void **state)
{
	struct rs_snapshot *s = malloc(sizeof(*s));

	if (!s)
		return -1;
	build_snapshot(s);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	rs_snapshot_clear(*state);
	free(*state);
	return 0;
}

static void test_report_group_order(void **state)
{
	struct rs_report_opts blocked = { .threshold_ns = S(1), .sort = RS_SORT_BLOCKED };
	struct rs_snapshot *s = *state;
	struct rs_group *g = NULL;
	size_t n = 0;
	static const struct {
		uint32_t pid;
		char state;
		size_t n;
		uint32_t first_tid;
	} want[] = {
		{ 4100, 'T', 1, 4100 }, /* processes by pid */
		{ 4242, 'D', 1, 4252 }, /* D first, though blocked less than the epoll thread */
		{ 4242, 'S', 1, 4242 }, /* then longest blocked */
		{ 4242, 'S', 2, 4250 },
		{ 4242, 'R', 1, 4253 }, /* ties: lowest tid */
		{ 4242, 'S', 1, 4254 },
		{ 5000, 'S', 2, 5030 }, /* a deadlock first, though blocked less than the workers */
		{ 5000, 'S', 6, 5000 },
		{ 5000, 'R', 1, 5020 },
	};

	assert_int_equal(rs_report_group_by(s, &blocked, &g, &n), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(g[i].proc->pid, want[i].pid);
		assert_int_equal(g[i].threads[0]->state, want[i].state);
		assert_int_equal(g[i].n, want[i].n);
		assert_int_equal(g[i].threads[0]->tid, want[i].first_tid);
		for (size_t j = 1; j < g[i].n; j++)
			assert_true(g[i].threads[j - 1]->tid < g[i].threads[j]->tid);
	}
	assert_int_equal(g[3].max_blocked_ns, S(12));
	assert_int_equal(g[7].max_blocked_ns, S(2.0) + 5 * 50000000);
	assert_int_equal(g[5].max_blocked_ns, 0); /* blocked time unknown */
	rs_report_groups_free(g, n);
}

/* What makes two threads one group, and what does not. */
static void test_report_group_key(void **state)
{
	struct rs_report_opts blocked = { .threshold_ns = S(1), .sort = RS_SORT_BLOCKED };
	struct rs_snapshot s = { 0 };
	struct rs_process *p;
	struct rs_thread *t;
	struct rs_group *g = NULL;
	size_t n = 0;

	(void)state;
	p = add_proc(&s, 1, 1, "k", "/k");
	for (uint32_t tid = 10; tid < 18; tid++) {
		t = add_thread(p, tid, tid, "k", 'S');
		set_blocked(t, 1000);
		set_syscall(t, SYS_futex, 0x1000 + tid, 0x80, 0, 0, 0, 0);
		kf(t, 0xffffffff81000010 + tid, "futex_wait_queue", 0x10 + tid, NULL);
		uf(t, 0x401000 + tid, "f", "/k", "k.c", tid, false);
		uf(t, 0x402000, NULL, "/k", NULL, 0, false);
	}
	/* 10..12: args, kernel offsets, user lines and PCs of named frames differ: one group */
	p->threads[3].state = 'D';	       /* 13: other state */
	p->threads[4].syscall_nr = SYS_read;   /* 14: other syscall */
	free(p->threads[5].uframes[0].module); /* 15: other module */
	p->threads[5].uframes[0].module = xstrdup("/other");
	p->threads[6].uframes[1].addr = 0x402008; /* 16: unnamed frame at another PC */
	free(p->threads[7].kframes[0].function);  /* 17: other kernel function */
	p->threads[7].kframes[0].function = xstrdup("futex_wait");

	assert_int_equal(rs_report_group_by(&s, &blocked, &g, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(g[0].threads[0]->tid, 13); /* D first */
	assert_int_equal(g[1].n, 3);		    /* then the largest */
	assert_int_equal(g[1].threads[0]->tid, 10);
	for (size_t i = 2; i < n; i++)
		assert_int_equal(g[i].n, 1);
	rs_report_groups_free(g, n);

	/* without kernel frames, 17 joins 10..12 */
	blocked.no_kernel = true;
	assert_int_equal(rs_report_group_by(&s, &blocked, &g, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(g[1].n, 4);
	assert_int_equal(g[1].threads[3]->tid, 17);
	rs_report_groups_free(g, n);
	rs_snapshot_clear(&s);
}

static void test_report_text_matches_expected(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct rs_snapshot *s = *state;
	size_t len;
	char *out;

	out = render(rs_report_text, s, &o, &len);
	expect_file("expected.txt", out, len);
	/* the same data in another order gives the same report */
	for (size_t i = 0; i < s->procs[0].n_threads / 2; i++) {
		struct rs_thread tmp = s->procs[0].threads[i];

		s->procs[0].threads[i] = s->procs[0].threads[s->procs[0].n_threads - 1 - i];
		s->procs[0].threads[s->procs[0].n_threads - 1 - i] = tmp;
	}
	out = render(rs_report_text, s, &o, &len);
	expect_file("expected.txt", out, len);
}

static void test_report_text_no_kernel(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1), .no_kernel = true };
	struct rs_snapshot *s = *state;
	size_t len;
	char *out;

	out = render(rs_report_text, s, &o, &len);
	assert_null(strstr(out, "[k]"));
	assert_null(strstr(out, "futex_wait_queue"));
	assert_non_null(strstr(out, "scheduled_thread_pool::Worker::run"));
	free(out);
}

static void test_report_json_matches_expected(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct rs_snapshot *s = *state;
	size_t len;
	char *out;

	out = render(rs_report_json, s, &o, &len);
	assert_int_equal(check_json(out, len, false), 0);
	expect_file("expected.json", out, len);
}

static void test_report_json_checker_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"schema_version\": 1, \"processes\": [}",		      /* syntax */
		"{\"schema_version\": 2, \"processes\": []}",		      /* version */
		"{\"schema_version\": 1}",				      /* no processes */
		"{\"schema_version\": 1, \"processes\": [{\"pid\": \"1\"}]}", /* type */
	};

	(void)state;
	/* the checker itself must be able to fail */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(check_json(bad[i], strlen(bad[i]), true), 0);
}

static void test_report_json_no_kernel_and_empty(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1), .no_kernel = true };
	struct rs_snapshot empty = { 0 };
	size_t len;
	char *out;

	out = render(rs_report_json, *state, &o, &len);
	assert_int_equal(check_json(out, len, false), 0);
	assert_null(strstr(out, "futex_wait_queue"));
	assert_non_null(strstr(out, "\"kernel_stack\": []"));
	assert_non_null(strstr(out, "\"kernel_stacks\": false"));
	free(out);

	/* nothing captured: still one valid document, and a readable text */
	out = render(rs_report_json, &empty, &o, &len);
	assert_int_equal(check_json(out, len, false), 0);
	assert_non_null(strstr(out, "\"processes\": []"));
	assert_non_null(strstr(out, "\"target\": null"));
	free(out);
	out = render(rs_report_text, &empty, &o, &len);
	assert_string_equal(out, "snapshot of (unknown target) in 0ns\n0 threads in 0 processes\n");
	free(out);
}

/* The /proc backend's snapshot says what it could not know, in both reports. */
static void test_report_proc_backend_extras(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct rs_snapshot s = { 0 };
	struct rs_process *p;
	struct rs_thread *t;
	size_t len;
	char *out;

	(void)state;
	s.target = xstrdup("pid 4300");
	s.backend = "proc";
	p = add_proc(&s, 4300, 4300, "app", "/usr/bin/app");
	t = add_thread(p, 4300, 4300, "app", 'S');
	set_blocked(t, S(3.0));
	set_syscall(t, SYS_read, 3, 0x7ffd0000, 8, 0, 0, 0);
	uf(t, 0x7f0000001000, "read", "/usr/lib/x86_64-linux-gnu/libc.so.6", NULL, 0, false);
	uf(t, 0x401000, "read_full", "/usr/bin/app", "app.c", 10, false);
	uf(t, 0x401100, "main", "/usr/bin/app", "app.c", 20, false);
	t->unwind.sp_pc_only = true;
	t->unwind.guessed = true;
	t->unwind.guessed_frame = 2;
	t->unwind.moved = true;

	out = render(rs_report_text, &s, &o, &len);
	assert_non_null(strstr(
	    out, "\nbackend: /proc (no BPF): blocked threads' registers are sp and pc only\n"));
	assert_non_null(strstr(
	    out,
	    "  unwind: dwarf, complete; from sp and pc only (/proc backend); #2 and after found with rbp recovered from the stack\n"));
	assert_non_null(strstr(
	    out, "\n  stack may be inconsistent: the thread kept running while it was copied\n"));
	free(out);
	out = render(rs_report_json, &s, &o, &len);
	assert_int_equal(check_json(out, len, false), 0);
	assert_non_null(strstr(out, "\"backend\": \"proc\""));
	assert_non_null(strstr(
	    out, "\"sp_pc_only\": true, \"rbp_recovered_from\": 2, \"moved_during_copy\": true"));
	free(out);
	rs_snapshot_clear(&s);
}

/* A big group: tids and names are summarized, not listed. */
static void test_report_text_big_group(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct rs_snapshot s = { 0 };
	struct rs_process *p;
	struct rs_thread *t;
	char name[16], *out;
	size_t len;

	(void)state;
	p = add_proc(&s, 100, 100, "pool", "/pool");
	for (uint32_t i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "n%u", i < 30 ? 0 : i - 29);
		t = add_thread(p, 100 + 2 * i + (i >= 35), 100 + 2 * i + (i >= 35), name, 'S');
		set_blocked(t, S(5) + i); /* prints the same: one duration, not a range */
		t->capture_ns = 1000000 + 1000 * i;
		uf(t, 0x401000, "wait", "/pool", "pool.c", 7, false);
	}
	out = render(rs_report_text, &s, &o, &len);
	/* no spread from the loader: computed from the threads' capture times */
	assert_non_null(
	    strstr(out, "\n40 threads in 1 process, all threads captured within 39us\n"));
	assert_non_null(strstr(out, ", 40 threads, S (sleeping), blocked for 5.0s  [over"));
	assert_non_null(strstr(
	    out,
	    "\n  tids 100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 122, 124, 126, 128, 130, ... (+24 more)\n"));
	assert_non_null(strstr(
	    out,
	    "\n  names \"n0\" x30, \"n1\" x1, \"n10\" x1, \"n2\" x1, \"n3\" x1, \"n4\" x1, \"n5\" x1, \"n6\" x1, ... (+3 more)\n"));
	assert_non_null(strstr(out, "\n  #0  wait at pool.c:7  [pool]\n"));
	free(out);
	rs_snapshot_clear(&s);
}

static void test_report_write_error(void **state)
{
	struct rs_report_opts o = { .threshold_ns = S(1) };
	struct rs_snapshot *s = *state;
	FILE *f;

	f = fopen("/dev/full", "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(rs_report_text(f, s, &o), -EIO);
	clearerr(f);
	assert_int_equal(rs_report_json(f, s, &o), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_group_order, setup, teardown),
		cmocka_unit_test(test_report_group_key),
		cmocka_unit_test_setup_teardown(test_report_text_matches_expected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_text_no_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_json_matches_expected, setup, teardown),
		cmocka_unit_test(test_report_json_checker_rejects),
		cmocka_unit_test_setup_teardown(test_report_json_no_kernel_and_empty, setup,
						teardown),
		cmocka_unit_test(test_report_proc_backend_extras),
		cmocka_unit_test(test_report_text_big_group),
		cmocka_unit_test_setup_teardown(test_report_write_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
