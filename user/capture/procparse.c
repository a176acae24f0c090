// SPDX-License-Identifier: GPL-2.0
/* Parsers of the /proc files the BPF-free snapshot reads (proc_priv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture/proc_priv.h"
#include "lib/lib.h"

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Hex digits (CapEff: 000001fffeffffff), ended by a blank, a newline or the end. */
static const char *parse_hex(const char *p, uint64_t *v)
{
	uint64_t x = 0;
	int digits = 0, h;

	for (; (h = rs_hexval(*p)) >= 0; p++, digits++) {
		if (digits == 16)
			return NULL;
		x = x << 4 | (uint64_t)h;
	}
	if (!digits || (*p && *p != ' ' && *p != '\t' && *p != '\n'))
		return NULL;
	*v = x;
	return p;
}

/* An unsigned number: "0x" hex or decimal, ended by a blank, a newline or the end. */
static const char *parse_u64(const char *p, uint64_t *v)
{
	uint64_t x = 0;
	int digits = 0;

	p = skip_blanks(p);
	if (p[0] == '0' && p[1] == 'x')
		return parse_hex(p + 2, v);
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(*p - '0'), &x))
			return NULL;
	if (!digits || (*p && *p != ' ' && *p != '\t' && *p != '\n'))
		return NULL;
	*v = x;
	return p;
}

static bool at_end(const char *p)
{
	p = skip_blanks(p);
	return !*p || (*p == '\n' && !p[1]);
}

int rs_parse_syscall(const char *text, struct rs_proc_syscall *out)
{
	const char *p = skip_blanks(text);
	bool neg = false;
	uint64_t nr;

	memset(out, 0, sizeof(*out));
	out->nr = -1;
	if (!strncmp(p, "running", 7) && at_end(p + 7)) {
		out->kind = RS_SC_RUNNING;
		return 0;
	}
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!(p = parse_u64(p, &nr)) || nr > INT32_MAX)
		return -EINVAL;
	if (neg) {
		/* "-1 sp pc": blocked outside a syscall */
		if (!(p = parse_u64(p, &out->sp)) || !(p = parse_u64(p, &out->pc)) || !at_end(p))
			return -EINVAL;
		out->kind = RS_SC_NONE;
		return 0;
	}
	for (int i = 0; i < 6; i++)
		if (!(p = parse_u64(p, &out->args[i])))
			return -EINVAL;
	if (!(p = parse_u64(p, &out->sp)) || !(p = parse_u64(p, &out->pc)) || !at_end(p))
		return -EINVAL;
	out->kind = RS_SC_SYSCALL;
	out->nr = (int64_t)nr;
	return 0;
}

bool rs_syscall_equal(const struct rs_proc_syscall *a, const struct rs_proc_syscall *b)
{
	return a->kind == b->kind && a->nr == b->nr && a->sp == b->sp && a->pc == b->pc &&
	       !memcmp(a->args, b->args, sizeof(a->args));
}

int rs_parse_kstack_line(const char *line, struct rs_kstack_line *out)
{
	const char *p = skip_blanks(line), *name, *plus, *end;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "[<", 2))
		return -EINVAL;
	p += 2;
	end = strchr(p, '>');
	if (!end || end[1] != ']')
		return -EINVAL;
	/* "[<0>]" since Linux 4.17 (the address is hidden); older kernels print it */
	for (int h; p < end && (h = rs_hexval(*p)) >= 0; p++)
		out->addr = out->addr << 4 | (uint64_t)h;
	if (p != end)
		return -EINVAL;
	p = skip_blanks(end + 2);
	if (p[0] == '0' && p[1] == 'x') {
		/* no symbol: "%pB" printed the address */
		if (!(p = parse_u64(p, &out->addr)) || !at_end(p))
			return -EINVAL;
		return 0;
	}
	name = p;
	end = name + strcspn(name, " \t\n");
	plus = memchr(name, '+', (size_t)(end - name));
	n = (size_t)((plus ? plus : end) - name);
	if (!n || n >= sizeof(out->name))
		return -EINVAL;
	memcpy(out->name, name, n);
	if (plus) {
		const char *slash = memchr(plus, '/', (size_t)(end - plus));
		char num[24];

		n = (size_t)((slash ? slash : end) - plus - 1);
		if (!n || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, plus + 1, n);
		num[n] = '\0';
		if (!parse_u64(num, &out->off))
			return -EINVAL;
		if (slash) {
			n = (size_t)(end - slash - 1);
			if (!n || n >= sizeof(num))
				return -EINVAL;
			memcpy(num, slash + 1, n);
			num[n] = '\0';
			if (!parse_u64(num, &out->size))
				return -EINVAL;
		}
	}
	p = skip_blanks(end);
	if (*p == '[') {
		end = strchr(p, ']');
		n = end ? (size_t)(end - p + 1) : 0;
		if (!n || n >= sizeof(out->module))
			return -EINVAL;
		memcpy(out->module, p, n);
		p = end + 1;
	}
	return at_end(p) ? 0 : -EINVAL;
}

/* The value of "Key:\t…" at a line start of text, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, klen) && l[klen] == ':')
			return l + klen + 1;
	return NULL;
}

/* The last number of a "Key:\tn1\tn2…" line. */
static int last_u32(const char *v, uint32_t *out)
{
	uint64_t x = 0;
	bool any = false;

	while (v && *v && *v != '\n') {
		if (!(v = parse_u64(v, &x)) || x > UINT32_MAX)
			return -EINVAL;
		any = true;
		v = skip_blanks(v);
	}
	if (!any)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

int rs_parse_status(const char *text, struct rs_proc_status *out)
{
	const char *v;
	uint32_t tgid;

	memset(out, 0, sizeof(*out));
	v = field(text, "State");
	if (!v || !*(v = skip_blanks(v)) || *v == '\n')
		return -EINVAL;
	out->state = *v;
	if (!(v = field(text, "Tgid")) || last_u32(v, &tgid))
		return -EINVAL;
	out->tgid = tgid;
	if ((v = field(text, "NStgid")) && !last_u32(v, &out->ns_tgid) &&
	    (v = field(text, "NSpid")) && !last_u32(v, &out->ns_tid))
		out->has_ns = true;
	if (!(v = field(text, "voluntary_ctxt_switches")) || !parse_u64(v, &out->nvcsw) ||
	    !(v = field(text, "nonvoluntary_ctxt_switches")) || !parse_u64(v, &out->nivcsw))
		return -EINVAL;
	if ((v = field(text, "CapEff")))
		out->has_cap_eff = parse_hex(skip_blanks(v), &out->cap_eff) != NULL;
	return 0;
}

int rs_parse_stat(const char *text, struct rs_proc_stat *out)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')'), *p;
	uint64_t v;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	memcpy(out->comm, open + 1, n < sizeof(out->comm) - 1 ? n : sizeof(out->comm) - 1);
	p = skip_blanks(close + 1);
	if (!*p || p[1] != ' ')
		return -EINVAL;
	out->state = *p;
	p++;
	/* fields 4 (ppid) to 39 (processor); some may be negative ("-1" tty_pgrp) */
	for (int f = 4; f <= 39; f++) {
		p = skip_blanks(p);
		if (*p == '-')
			p++;
		if (!(p = parse_u64(p, &v)))
			return -EINVAL;
		if (f == 9)
			out->flags = (uint32_t)v;
		else if (f == 22)
			out->starttime = v;
		else if (f == 28)
			out->startstack = v;
		else if (f == 39)
			out->cpu = (int32_t)v;
	}
	return 0;
}

int rs_parse_sched_ns(const char *text, const char *key, uint64_t *ns)
{
	size_t klen = strlen(key);
	uint64_t ms = 0, frac = 0;
	const char *p = NULL;
	int digits = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, klen) && (l[klen] == ' ' || l[klen] == ':')) {
			p = l + klen;
			break;
		}
	}
	if (!p)
		return -ENOENT;
	p = skip_blanks(p);
	if (*p++ != ':')
		return -EINVAL;
	p = skip_blanks(p);
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(ms, 10, &ms) ||
		    __builtin_add_overflow(ms, (uint64_t)(*p - '0'), &ms))
			return -EINVAL;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
			frac = frac * 10 + (uint64_t)(*p - '0');
	if (digits != 6 && digits != 0)
		return -EINVAL;
	if (__builtin_mul_overflow(ms, 1000000, &ms) || __builtin_add_overflow(ms, frac, &ms))
		return -EINVAL;
	*ns = ms;
	return 0;
}

int rs_parse_ns_link(const char *link, uint32_t *ino)
{
	const char *open = strchr(link, '[');
	uint64_t v = 0;
	const char *p;

	if (!open)
		return -EINVAL;
	for (p = open + 1; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -EINVAL;
	if (p == open + 1 || *p != ']' || p[1] || v > UINT32_MAX)
		return -EINVAL;
	*ino = (uint32_t)v;
	return 0;
}

int rs_state_from_letter(char c, uint32_t *state, uint32_t *exit_state)
{
	/* TASK_* bits of include/linux/sched.h, as rs_state_letter() reads them */
	static const struct {
		char c;
		uint32_t state, exit_state;
	} map[] = {
		{ 'R', 0x0, 0 },    { 'S', 0x1, 0 },  { 'D', 0x2, 0 },
		{ 'T', 0x4, 0 },    { 't', 0x8, 0 },  { 'X', 0x0, 0x10 },
		{ 'Z', 0x0, 0x20 }, { 'P', 0x40, 0 }, { 'I', 0x402, 0 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].c == c) {
			*state = map[i].state;
			*exit_state = map[i].exit_state;
			return 0;
		}
	}
	return -EINVAL;
}
