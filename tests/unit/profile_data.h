/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-built aggregated profiles shared by the writers' tests
 * (tests/unit/out/test_*.c) and the validation driver
 * (tests/validate/gen_profiles.c): two processes (Rust "backend", C++
 * "envoy"), two threads each, kernel frames, inline chains, an unknown frame,
 * names with ';', '<', '&' and quotes, one on-CPU and one off-CPU profile.
 * Everything is heap-owned as a real profile is; rs_profile_clear() frees it.
 * Allocation failures abort: this is test data.
 */
#ifndef RS_TEST_PROFILE_DATA_H
#define RS_TEST_PROFILE_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"

#define PD_BACKEND "/app/backend"
#define PD_ENVOY   "/usr/local/bin/envoy"
#define PD_LIBC	   "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define PD_LIBFOO  "/usr/lib/libfoo.so"
#define PD_BASE_K  0xffffffff81000000ULL

static inline char *pd_strdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

static inline void *pd_grow(void *v, size_t n, size_t size)
{
	v = realloc(v, (n + 1) * size);
	if (!v)
		abort();
	memset((char *)v + n * size, 0, size);
	return v;
}

static inline struct rs_psample *pd_sample(struct rs_profile *p, uint32_t pid, uint32_t tid,
					   const char *comm, const char *thread, char state,
					   uint64_t count, uint64_t value_ns)
{
	struct rs_psample *s;

	p->samples = pd_grow(p->samples, p->n_samples, sizeof(*p->samples));
	s = &p->samples[p->n_samples++];
	s->pid = pid;
	s->tid = tid;
	strncpy(s->comm, comm, RS_COMM_LEN);
	strncpy(s->thread, thread, RS_COMM_LEN);
	s->state = state;
	s->count = count;
	s->value_ns = value_ns;
	return s;
}

static inline struct rs_frame *pd_frame(struct rs_psample *s, uint64_t addr, const char *fn,
					const char *mod)
{
	struct rs_frame *f;

	s->frames = pd_grow(s->frames, s->n_frames, sizeof(*s->frames));
	f = &s->frames[s->n_frames++];
	f->addr = addr;
	f->function = pd_strdup(fn);
	f->module = pd_strdup(mod);
	return f;
}

/* A kernel frame; addresses are derived from the name's position in a fake text. */
static inline void pd_k(struct rs_psample *s, uint64_t off, const char *fn)
{
	struct rs_frame *f = pd_frame(s, PD_BASE_K + off, fn, "[kernel]");

	f->kernel = true;
	f->sym_offset = off & 0xff;
}

/* A user frame; inlined marks a frame inlined into the next one (same addr). */
static inline void pd_u(struct rs_psample *s, uint64_t addr, const char *fn, const char *mod,
			const char *file, uint32_t line, bool inlined)
{
	struct rs_frame *f = pd_frame(s, addr, fn, mod);

	f->file = pd_strdup(file);
	f->line = line;
	f->inlined = inlined;
}

static inline void pd_map(struct rs_profile *p, uint32_t pid, uint64_t start, uint64_t end,
			  uint64_t offset, const char *file, const char *build_id)
{
	struct rs_pmapping *m;

	p->mappings = pd_grow(p->mappings, p->n_mappings, sizeof(*p->mappings));
	m = &p->mappings[p->n_mappings++];
	m->pid = pid;
	m->start = start;
	m->end = end;
	m->offset = offset;
	m->file = pd_strdup(file);
	m->build_id = pd_strdup(build_id);
}

static inline void pd_maps(struct rs_profile *p)
{
	pd_map(p, 4242, 0x55d4c0a00000, 0x55d4c0c00000, 0, PD_BACKEND,
	       "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567");
	pd_map(p, 4242, 0x7f3a2e800000, 0x7f3a2e9a0000, 0x28000, PD_LIBC,
	       "c047672cae7964324658491e7dee26748ae5d2f8");
	pd_map(p, 5000, 0x560000000000, 0x560004000000, 0, PD_ENVOY,
	       "aabbccddeeff00112233445566778899aabbccdd");
	pd_map(p, 5000, 0x7f0000100000, 0x7f0000120000, 0x1000, PD_LIBFOO, NULL);
	pd_map(p, 5000, 0x7f1100000000, 0x7f11001a0000, 0x28000, PD_LIBC,
	       "c047672cae7964324658491e7dee26748ae5d2f8");
}

/* The outermost frames of a tokio worker of backend (pid 4242). */
static inline void pd_backend_worker_base(struct rs_psample *s)
{
	pd_u(s, 0x55d4c0a20000, "tokio::runtime::task::harness::Harness<T,S>::poll", PD_BACKEND,
	     "tokio/src/runtime/task/harness.rs", 150, false);
	pd_u(s, 0x7f3a2e894ac3, "start_thread", PD_LIBC, "./nptl/pthread_create.c", 442, false);
	pd_u(s, 0x7f3a2e914a00, "clone3", PD_LIBC, "../sysdeps/unix/sysv/linux/x86_64/clone3.S", 81,
	     false);
}

static inline void pd_backend_main_base(struct rs_psample *s)
{
	pd_u(s, 0x55d4c0a05100, "std::rt::lang_start::{{closure}}", PD_BACKEND,
	     "library/std/src/rt.rs", 166, false);
	pd_u(s, 0x7f3a2e829d90, "__libc_start_call_main", PD_LIBC,
	     "../sysdeps/nptl/libc_start_call_main.h", 58, false);
	pd_u(s, 0x55d4c0a01000, "_start", PD_BACKEND, NULL, 0, false);
}

static inline void pd_envoy_worker_base(struct rs_psample *s)
{
	pd_u(s, 0x7f1100094ac3, "start_thread", PD_LIBC, "./nptl/pthread_create.c", 442, false);
	pd_u(s, 0x7f1100114a00, "clone3", PD_LIBC, "../sysdeps/unix/sysv/linux/x86_64/clone3.S", 81,
	     false);
}

static inline void pd_syscall_entry(struct rs_psample *s, uint64_t off)
{
	pd_k(s, off, "do_syscall_64");
	pd_k(s, off + 0x100, "entry_SYSCALL_64_after_hwframe");
}

static inline void pd_profile_common(struct rs_profile *p, enum rs_prof_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->target = pd_strdup("cgroup /kubepods/pod-demo");
	p->start_unix_ns = 1700000000123456789LL;
	p->duration_ns = 10000000000ULL;
	pd_maps(p);
}

/* On-CPU at 99 Hz for 10 s, 3 samples lost. */
static inline void pd_build_oncpu(struct rs_profile *p)
{
	struct rs_psample *s;

	pd_profile_common(p, RS_PROF_ONCPU);
	p->freq_hz = 99;
	p->period_ns = 10101010;
	p->lost = 3;

	s = pd_sample(p, 4242, 4250, "backend", "tokio-rt-worker", 0, 120, 120 * 10101010ULL);
	pd_u(s, 0x55d4c0a10010, "core::hash::sip::Hasher<S>::write", PD_BACKEND,
	     "/rustc/a28077b2/library/core/src/hash/sip.rs", 250, true);
	pd_u(s, 0x55d4c0a10010, "backend::cache::Cache::get", PD_BACKEND, "src/cache.rs", 41,
	     false);
	pd_u(s, 0x55d4c0a12345, "<backend::Server as core::future::Future>::poll", PD_BACKEND,
	     "src/server.rs", 88, false);
	pd_backend_worker_base(s);

	s = pd_sample(p, 4242, 4250, "backend", "tokio-rt-worker", 0, 30, 30 * 10101010ULL);
	pd_u(s, 0x7f3a2e99f1c0, "__memmove_avx_unaligned_erms", PD_LIBC, NULL, 0, false);
	pd_u(s, 0x55d4c0a10040, "backend::cache::Cache::get", PD_BACKEND, "src/cache.rs", 45,
	     false);
	pd_u(s, 0x55d4c0a12345, "<backend::Server as core::future::Future>::poll", PD_BACKEND,
	     "src/server.rs", 88, false);
	pd_backend_worker_base(s);

	s = pd_sample(p, 4242, 4250, "backend", "tokio-rt-worker", 0, 25, 25 * 10101010ULL);
	pd_k(s, 0xa0c2b0, "copy_user_enhanced_fast_string");
	pd_k(s, 0x9e1010, "tcp_recvmsg_locked");
	pd_k(s, 0x9e2020, "tcp_recvmsg");
	pd_k(s, 0x9f3030, "inet_recvmsg");
	pd_k(s, 0x8f4040, "__sys_recvfrom");
	pd_k(s, 0x8f5050, "__x64_sys_recvfrom");
	pd_syscall_entry(s, 0xc00000);
	pd_u(s, 0x7f3a2e92b1a0, "__libc_recv", PD_LIBC, "../sysdeps/unix/sysv/linux/recv.c", 28,
	     false);
	pd_u(s, 0x55d4c0a30000, "backend::net::Conn::read", PD_BACKEND, "src/net.rs", 17, false);
	pd_u(s, 0x55d4c0a12400, "<backend::Server as core::future::Future>::poll", PD_BACKEND,
	     "src/server.rs", 92, false);
	pd_backend_worker_base(s);

	s = pd_sample(p, 4242, 4242, "backend", "backend", 0, 5, 5 * 10101010ULL);
	pd_u(s, 0x55d4c0a05000, "backend::main", PD_BACKEND, "src/main.rs", 12, false);
	pd_backend_main_base(s);

	s = pd_sample(p, 5000, 5000, "envoy", "envoy", 0, 40, 40 * 10101010ULL);
	pd_u(s, 0x560000123456, "std::vector<int, std::allocator<int> >::push_back(int const&)",
	     PD_ENVOY, "/usr/include/c++/12/bits/stl_vector.h", 1281, true);
	pd_u(s, 0x560000123456,
	     "Envoy::Router::Filter::decodeHeaders(Envoy::Http::RequestHeaderMap&, bool)", PD_ENVOY,
	     "source/common/router/router.cc", 400, false);
	pd_u(s, 0x560000001000, "main", PD_ENVOY, "source/exe/main.cc", 10, false);
	pd_u(s, 0x7f1100029d90, "__libc_start_call_main", PD_LIBC,
	     "../sysdeps/nptl/libc_start_call_main.h", 58, false);

	s = pd_sample(p, 5000, 5001, "envoy", "wrk:worker_0", 0, 7, 7 * 10101010ULL);
	pd_frame(s, 0x7f0000101f30, NULL, PD_LIBFOO)->sym_offset = 0x1f30;
	pd_u(s, 0x560000200000, "operator\"\"_km(char const*)", PD_ENVOY, "source/units.cc", 3,
	     false);
	pd_envoy_worker_base(s);

	/* weighs nothing: left out of folded, SVG and speedscope */
	pd_sample(p, 5000, 5001, "envoy", "wrk:worker_0", 0, 0, 0);
}

/* Off-CPU over the same 10 s, 1 event lost. */
static inline void pd_build_offcpu(struct rs_profile *p)
{
	struct rs_psample *s;

	pd_profile_common(p, RS_PROF_OFFCPU);
	p->lost = 1;

	s = pd_sample(p, 4242, 4242, "backend", "backend", 'S', 1, 2500000000ULL);
	pd_k(s, 0x100000, "schedule");
	pd_k(s, 0x200000, "futex_wait_queue");
	pd_k(s, 0x200100, "futex_wait");
	pd_k(s, 0x200200, "do_futex");
	pd_k(s, 0x200300, "__x64_sys_futex");
	pd_syscall_entry(s, 0xc00000);
	pd_u(s, 0x7f3a2e91e88d, "syscall", PD_LIBC, "../sysdeps/unix/sysv/linux/x86_64/syscall.S",
	     38, false);
	pd_u(s, 0x55d4c0a06000, "std::sys::unix::locks::futex_mutex::Mutex::lock_contended",
	     PD_BACKEND, "library/std/src/sys/unix/locks/futex_mutex.rs", 62, true);
	pd_u(s, 0x55d4c0a06000, "backend::main", PD_BACKEND, "src/main.rs", 20, false);
	pd_backend_main_base(s);

	s = pd_sample(p, 4242, 4250, "backend", "tokio-rt-worker", 'S', 300, 1200000400ULL);
	pd_k(s, 0x100000, "schedule");
	pd_k(s, 0x300000, "schedule_hrtimeout_range_clock");
	pd_k(s, 0x300100, "do_epoll_wait");
	pd_k(s, 0x300200, "__x64_sys_epoll_wait");
	pd_syscall_entry(s, 0xc00000);
	pd_u(s, 0x7f3a2e91f0a6, "epoll_wait", PD_LIBC, "../sysdeps/unix/sysv/linux/epoll_wait.c",
	     30, false);
	pd_u(s, 0x55d4c0a40000, "mio::poll::Poll::poll", PD_BACKEND, "mio/src/poll.rs", 339, false);
	pd_backend_worker_base(s);

	/* the same stack in D and in S: one folded stack, 30 ms + 5.0006 ms */
	for (int i = 0; i < 2; i++) {
		s = pd_sample(p, 5000, 5001, "envoy", "wrk:worker_0", i ? 'S' : 'D', i ? 1 : 2,
			      i ? 5000600ULL : 30000000ULL);
		pd_k(s, 0x400000, "io_schedule");
		pd_k(s, 0x400100, "folio_wait_bit_common");
		pd_k(s, 0x400200, "filemap_read");
		pd_k(s, 0x400300, "vfs_read");
		pd_k(s, 0x400400, "ksys_read");
		pd_syscall_entry(s, 0xc00000);
		pd_u(s, 0x7f110011a1b2, "read", PD_LIBC, "../sysdeps/unix/sysv/linux/read.c", 26,
		     false);
		pd_u(s, 0x560000300000, "weird;name<&>", PD_ENVOY, "source/odd.cc", 7, false);
		pd_envoy_worker_base(s);
	}

	/* 400 ns: at least 1 us */
	s = pd_sample(p, 5000, 5001, "envoy", "wrk:worker_0", 'S', 1, 400);
	pd_k(s, 0x100000, "schedule");
	pd_k(s, 0x500000, "do_nanosleep");
	pd_k(s, 0x500100, "hrtimer_nanosleep");
	pd_k(s, 0x500200, "__x64_sys_clock_nanosleep");
	pd_syscall_entry(s, 0xc00000);
	pd_u(s, 0x7f11000eb7fa, "clock_nanosleep", PD_LIBC,
	     "../sysdeps/unix/sysv/linux/clock_nanosleep.c", 78, false);
	pd_envoy_worker_base(s);

	/* nothing could be unwound */
	pd_sample(p, 4242, 4242, "backend", "backend", 'S', 1, 1000);
}

#endif
