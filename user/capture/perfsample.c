// SPDX-License-Identifier: GPL-2.0
/*
 * A perf sample of one running thread, without BPF (proc_priv.h): the
 * per-thread cpu-clock event, its ring buffer, and the parser of its
 * PERF_RECORD_SAMPLE.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "arch/arch.h"
#include "capture/capture_priv.h"
#include "capture/proc_priv.h"

#define RING_PAGES 32 /* data pages: room for two samples of the largest stack */

uint64_t rs_perf_regs_mask(void)
{
	size_t n;
	const struct rs_perf_reg *t = rs_perf_reg_table(&n);
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= 1ull << t[i].perf;
	return m;
}

void rs_perf_regs_to_rs(uint64_t mask, const uint64_t *vals, size_t n, struct rs_regs *r)
{
	size_t nt, k = 0;
	const struct rs_perf_reg *t = rs_perf_reg_table(&nt);

	for (unsigned int bit = 0; bit < 64 && k < n; bit++) {
		if (!(mask & (1ull << bit)))
			continue;
		for (size_t i = 0; i < nt; i++)
			if (t[i].perf == bit)
				memcpy((char *)r + t[i].off, &vals[k], sizeof(vals[k]));
		k++;
	}
}

void rs_perf_attr_init(struct perf_event_attr *attr, uint32_t stack_bytes, bool kernel)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = PERF_TYPE_SOFTWARE;
	attr->size = sizeof(*attr);
	attr->config = PERF_COUNT_SW_CPU_CLOCK;
	attr->sample_period = RS_PROC_PERF_PERIOD_NS;
	attr->sample_type = RS_PERF_SAMPLE_TYPE;
	attr->sample_regs_user = rs_perf_regs_mask();
	stack_bytes = stack_bytes < RS_PERF_STACK_MAX ? stack_bytes : RS_PERF_STACK_MAX;
	attr->sample_stack_user = stack_bytes & ~7u;
	attr->exclude_callchain_user = 1; /* the user stack is unwound from the copy */
	attr->exclude_kernel = !kernel;
	attr->exclude_hv = 1;
	attr->disabled = 1; /* rs_perf_thread_open() arms it for one sample */
	attr->wakeup_events = 1;
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC; /* comparable with the other records' capture time */
}

/* A bounds-checked reader over one record. */
struct cursor {
	const unsigned char *p, *end;
};

static bool take(struct cursor *c, void *dst, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	if (dst)
		memcpy(dst, c->p, n);
	c->p += n;
	return true;
}

int rs_perf_parse_sample(const void *rec, size_t len, uint64_t sample_type, uint64_t regs_mask,
			 struct rs_perf_sample *out)
{
	struct cursor c = { rec, (const unsigned char *)rec + len };
	struct perf_event_header h;
	uint64_t v = 0, nr = 0;
	uint32_t u32[2];

	memset(out, 0, sizeof(*out));
	/* only the fields rs_perf_attr_init() asks for, and the two that lead */
	if (sample_type &
	    ~(uint64_t)(RS_PERF_SAMPLE_TYPE | PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP))
		return -EINVAL;
	if (!take(&c, &h, sizeof(h)) || h.size > len || h.size < sizeof(h))
		return -EINVAL;
	if (h.type != PERF_RECORD_SAMPLE)
		return -ENOENT;
	c.end = (const unsigned char *)rec + h.size;
	out->user_mode = (h.misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_USER;
	/* the fields in the order of include/uapi/linux/perf_event.h, PERF_RECORD_SAMPLE */
	if ((sample_type & PERF_SAMPLE_IDENTIFIER) && !take(&c, NULL, 8))
		return -EINVAL;
	if ((sample_type & PERF_SAMPLE_IP) && !take(&c, NULL, 8))
		return -EINVAL;
	if (sample_type & PERF_SAMPLE_TID) {
		if (!take(&c, u32, sizeof(u32)))
			return -EINVAL;
		out->pid = u32[0];
		out->tid = u32[1];
	}
	if ((sample_type & PERF_SAMPLE_TIME) && !take(&c, &out->time_ns, 8))
		return -EINVAL;
	if (sample_type & PERF_SAMPLE_CPU) {
		if (!take(&c, u32, sizeof(u32)))
			return -EINVAL;
		out->cpu = u32[0];
	}
	if (sample_type & PERF_SAMPLE_CALLCHAIN) {
		if (!take(&c, &nr, 8) || nr > (size_t)(c.end - c.p) / 8)
			return -EINVAL;
		for (uint64_t i = 0; i < nr; i++) {
			take(&c, &v, 8);
			if (v >= (uint64_t)PERF_CONTEXT_MAX)
				continue; /* PERF_CONTEXT_KERNEL and the other markers */
			if (out->kstack_len < RS_KSTACK_MAX)
				out->kstack[out->kstack_len++] = v;
		}
	}
	if (sample_type & PERF_SAMPLE_REGS_USER) {
		if (!take(&c, &v, 8))
			return -EINVAL;
		if (v != PERF_SAMPLE_REGS_ABI_NONE) {
			uint64_t vals[64];
			size_t n = (size_t)__builtin_popcountll(regs_mask);

			if (!take(&c, vals, n * 8))
				return -EINVAL;
			rs_perf_regs_to_rs(regs_mask, vals, n, &out->regs);
			out->regs.orig_ax = (uint64_t)-1; /* perf does not record it */
			out->regs_valid = true;
		}
	}
	if (sample_type & PERF_SAMPLE_STACK_USER) {
		const void *data;
		uint64_t dyn;

		if (!take(&c, &v, 8) || v > (size_t)(c.end - c.p))
			return -EINVAL;
		data = c.p;
		c.p += v;
		if (v) {
			if (!take(&c, &dyn, 8) || dyn > v)
				return -EINVAL;
			out->stack = data;
			out->stack_len = dyn;
		}
	}
	return 0;
}

int rs_perf_thread_open(uint32_t tid, uint32_t stack_bytes, struct rs_perf_thread *t)
{
	long page = sysconf(_SC_PAGESIZE);
	struct perf_event_attr attr;
	bool kernel = true;
	size_t len;
	void *ring;
	int fd;

	rs_perf_attr_init(&attr, stack_bytes, kernel);
	fd = rs_sys_perf_event_open(&attr, (pid_t)tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd == -EACCES || fd == -EPERM) {
		kernel = false;
		rs_perf_attr_init(&attr, stack_bytes, kernel);
		fd = rs_sys_perf_event_open(&attr, (pid_t)tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0)
		return fd;
	len = (size_t)page * (1 + RING_PAGES);
	ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* enabled for one overflow, then the kernel disables it: one sample, no more */
	if (ioctl(fd, PERF_EVENT_IOC_REFRESH, 1)) {
		int e = -errno;

		munmap(ring, len);
		close(fd);
		return e;
	}
	t->fd = fd;
	t->tid = tid;
	t->ring = ring;
	t->ring_len = len;
	t->kernel = kernel;
	return 0;
}

ssize_t rs_perf_thread_take(struct rs_perf_thread *t, void *buf, size_t cap)
{
	struct perf_event_mmap_page *mp = t->ring;
	const unsigned char *data;
	uint64_t head, tail, size;
	ssize_t got = 0;

	if (t->fd < 0)
		return 0;
	data = (const unsigned char *)t->ring + mp->data_offset;
	size = mp->data_size;
	head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	tail = mp->data_tail;
	while (tail < head && !got) {
		struct perf_event_header h;
		uint64_t off = tail % size;

		/* a record may wrap around the end of the ring: copy it out in two parts */
		for (size_t i = 0; i < sizeof(h); i++)
			((unsigned char *)&h)[i] = data[(off + i) % size];
		if (h.size < sizeof(h) || h.size > head - tail)
			break;
		if (h.type == PERF_RECORD_SAMPLE) {
			size_t first = h.size < size - off ? h.size : (size_t)(size - off);

			if (h.size > cap)
				got = -EMSGSIZE;
			else {
				memcpy(buf, data + off, first);
				memcpy((unsigned char *)buf + first, data, h.size - first);
				got = h.size;
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	return got;
}

void rs_perf_thread_close(struct rs_perf_thread *t)
{
	if (t->fd < 0)
		return;
	ioctl(t->fd, PERF_EVENT_IOC_DISABLE, 0);
	if (t->ring)
		munmap(t->ring, t->ring_len);
	close(t->fd);
	t->fd = -1;
	t->ring = NULL;
}
