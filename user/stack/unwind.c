// SPDX-License-Identifier: GPL-2.0
/*
 * User stack unwinding over a copied stack (stack.h): libdw's unwinder with our
 * own thread callbacks, then the frame-pointer chain as the fallback.
 *
 * A Dwfl accepts dwfl_attach_state() once, so the callbacks read the sample
 * being unwound from rs_proc.cur. libdw (0.188) keeps no per-thread state
 * between dwfl_getthread_frames() calls: every call asks
 * set_initial_registers() again. Each call still gets a fresh thread id so a
 * libdw that cached per-tid state could not mix two samples up.
 *
 * Memory reads are answered from the copied stack bytes, else from the
 * read-only segments of the mapped ELF files. The live target is never read.
 *
 * A stack with only sp and pc (rs_ustack.sp_pc_only) is finished by
 * unwind_sppc.c.
 *
 * Just over 500 lines: libdw's callbacks, the frame-pointer fallback and the
 * joining of the two share the sample's state; unwinding from sp and pc
 * only (the /proc backend) is unwind_sppc.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "stack/stack_priv.h"

/* The word at addr from a window of len bytes copied from base. */
static bool window_word(const unsigned char *w, uint64_t base, size_t len, uint64_t addr,
			uint64_t *v)
{
	if (!w || addr < base || addr - base > len || len - (addr - base) < sizeof(*v))
		return false;
	memcpy(v, w + (addr - base), sizeof(*v));
	return true;
}

bool rs_unwind_stack_word(const struct rs_sample *s, uint64_t addr, uint64_t *v)
{
	return window_word(s->stack, s->sp, s->len, addr, v) ||
	       window_word(s->top, s->top_addr, s->top_len, addr, v);
}

/* In the stack mapping, but in neither copied window. */
static bool beyond_window(const struct rs_sample *s, uint64_t addr)
{
	return addr >= s->sp + s->len && addr < s->stack_end &&
	       !(s->top && addr >= s->top_addr && addr - s->top_addr < s->top_len);
}

/* Reads a word of a read-only, file-backed segment of a mapped ELF file. */
bool rs_unwind_elf_word(Dwfl *dwfl, uint64_t addr, uint64_t *v)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	GElf_Addr bias;
	const char *raw;
	size_t phnum, size;
	Elf *elf;

	if (!mod || !(elf = dwfl_module_getelf(mod, &bias)) || elf_getphdrnum(elf, &phnum))
		return false;
	raw = elf_rawfile(elf, &size);
	if (!raw)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		uint64_t va = addr - bias, off;
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (ph.p_flags & PF_W) || va < ph.p_vaddr || va - ph.p_vaddr >= ph.p_filesz ||
		    ph.p_filesz - (va - ph.p_vaddr) < sizeof(*v))
			continue;
		off = ph.p_offset + (va - ph.p_vaddr);
		if (off > size || size - off < sizeof(*v))
			return false;
		memcpy(v, raw + off, sizeof(*v));
		return true;
	}
	return false;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct rs_proc *p = arg;

	(void)dwfl;
	if (!p->cur || p->cur->tid_given)
		return 0;
	p->cur->tid_given = true;
	*thread_argp = p;
	return p->cur->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct rs_proc *p = arg;

	(void)dwfl;
	if (!p->cur || p->cur->tid != tid)
		return false;
	*thread_argp = p;
	return true;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct rs_proc *p = arg;
	struct rs_sample *s = p->cur;
	uint64_t v;

	if (rs_unwind_stack_word(s, addr, &v) ||
	    (!beyond_window(s, addr) && rs_unwind_elf_word(dwfl, addr, &v))) {
		*result = v;
		return true;
	}
	/* libdw takes an unreadable return address for the end of the stack: remember why. */
	s->read_failed = true;
	s->fail_window = beyond_window(s, addr);
	s->fail_idx = s->cur_idx;
	s->fail_addr = addr;
	return false;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct rs_proc *p = arg;
	const struct rs_regs *r = p->cur->regs;
	uint64_t v[RS_DWARF_NREGS];
	Dwarf_Word w[RS_DWARF_NREGS];

	if (p->cur->sp_pc_only) {
		/* Registers never set stay undefined for libdw: never a made-up zero. */
		Dwarf_Word sp = rs_regs_sp(r), bp = p->cur->bp_init;

		if (!dwfl_thread_state_registers(thread, RS_DWARF_SP, 1, &sp) ||
		    (p->cur->have_bp && !dwfl_thread_state_registers(thread, RS_DWARF_FP, 1, &bp)))
			return false;
		dwfl_thread_state_register_pc(thread, rs_regs_pc(r));
		return true;
	}
	rs_regs_dwarf(r, v);
	for (int i = 0; i < RS_DWARF_NREGS; i++)
		w[i] = v[i];
	if (!dwfl_thread_state_registers(thread, 0, RS_DWARF_NREGS, w))
		return false;
	dwfl_thread_state_register_pc(thread, rs_regs_pc(r));
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

bool rs_unwind_is_exec(const struct rs_proc *p, uint64_t pc)
{
	const struct rs_map *m = rs_maps_find(&p->maps, pc);

	return m && m->perms[2] == 'x';
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct rs_sample *s = arg;
	struct rs_unwound *u = s->out;
	Dwarf_Addr pc;
	Dwarf_Word v;
	bool act;

	/* Asking for isactivation makes libdw step from this frame now: reads are for it. */
	s->cur_idx = u->n;
	if (!dwfl_frame_pc(state, &pc, &act)) {
		s->stop = RS_STOP_ERROR;
		return DWARF_CB_ABORT;
	}
	if (u->n && !pc) {
		s->stop = RS_STOP_ZERO;
		return DWARF_CB_ABORT;
	}
	if (u->n == RS_MAX_UFRAMES) {
		s->stop = RS_STOP_LIMIT;
		return DWARF_CB_ABORT;
	}
	if (u->n && !rs_unwind_is_exec(s->proc, pc)) {
		s->stop = RS_STOP_BADPC;
		s->bad_pc = pc;
		return DWARF_CB_ABORT;
	}
	u->pc[u->n] = pc;
	u->activation[u->n] = act;
	s->bp_ok[u->n] = !dwfl_frame_reg(state, RS_DWARF_FP, &v);
	s->bp[u->n] = s->bp_ok[u->n] ? v : 0;
	s->spv[u->n] = !dwfl_frame_reg(state, RS_DWARF_SP, &v) ? v : 0;
	if (s->sp_pc_only) {
		s->known[u->n] = 0;
		for (unsigned int r = 0; r < RS_DWARF_PC; r++)
			if (!dwfl_frame_reg(state, r, &v))
				s->known[u->n] |= 1u << r;
	}
	u->n++;
	return DWARF_CB_OK;
}

/* True when libdw has CFI for the frame at pc (so it did not step by frame pointer). */
/*
 * The CFI frame of address a in mod (malloc'd), or NULL: .eh_frame first, as
 * libdw does, since .debug_frame means loading (inflating) all DWARF.
 */
static Dwarf_Frame *cfi_frame(Dwfl_Module *mod, Dwarf_Addr a)
{
	for (int i = 0; i < 2; i++) {
		Dwarf_Addr bias;
		Dwarf_CFI *cfi =
		    i ? dwfl_module_dwarf_cfi(mod, &bias) : dwfl_module_eh_cfi(mod, &bias);
		Dwarf_Frame *frame;

		if (cfi && !dwarf_cfi_addrframe(cfi, a - bias, &frame))
			return frame;
	}
	return NULL;
}

static bool has_cfi(Dwfl *dwfl, uint64_t pc, bool activation)
{
	uint64_t a = activation ? pc : pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, a);
	Dwarf_Frame *frame = mod ? cfi_frame(mod, a) : NULL;

	free(frame);
	return frame != NULL;
}

bool rs_is_sigtramp(struct rs_proc *p, uint64_t pc)
{
	Dwfl_Module *mod = p ? dwfl_addrmodule(p->dwfl, pc) : NULL;
	Dwarf_Frame *frame;
	const char *name;
	bool sig = false;

	if (!mod)
		return false;
	/* the CIE of a signal trampoline's FDE says so ("S" augmentation) */
	frame = cfi_frame(mod, pc);
	if (frame) {
		dwarf_frame_info(frame, NULL, NULL, &sig);
		free(frame);
		return sig;
	}
	/*
	 * No CFI for it: gdb's amd64 Linux check, the trampoline by name (a
	 * search of the symbol table, so only here: glibc's has CFI saying "S").
	 */
	name = dwfl_module_addrname(mod, pc);
	return name && !strcmp(name, "__restore_rt");
}

const char *rs_unwind_module(const struct rs_proc *p, uint64_t pc)
{
	const struct rs_map *m = rs_maps_find(&p->maps, pc);

	return m && m->path ? m->path : "anonymous memory";
}

/* True when the frame at pc is in a function that starts every stack. */
static bool is_outermost(Dwfl *dwfl, uint64_t pc, bool activation)
{
	static const char *const names[] = {
		"_start",
		"__libc_start_main",
		"__libc_start_main_impl",
		"__libc_start_call_main",
		"start_thread",
		"clone",
		"__clone",
		"clone3",
		"__clone3",
		"__GI___clone3",
		"__GI___clone",
	};
	uint64_t a = activation ? pc : pc - 1;
	Dwfl_Module *mod;
	const char *name;

	if (!dwfl || !(mod = dwfl_addrmodule(dwfl, a)) || !(name = dwfl_module_addrname(mod, a)))
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static void set_window_reason(struct rs_unwind_info *info, const struct rs_sample *s)
{
	snprintf(info->stop_reason, sizeof(info->stop_reason),
		 "end of copied stack window (%zu bytes; %s)", s->len,
		 s->window_limit ? s->window_limit : "raise --stack-bytes");
}

/* Follows the rbp chain from bp, appending return addresses; sets the stop reason. */
static void fp_walk(struct rs_sample *s, uint64_t bp, uint64_t min_sp)
{
	struct rs_unwound *u = s->out;
	char *reason = u->info.stop_reason;
	size_t rlen = sizeof(u->info.stop_reason);

	while (u->n < RS_MAX_UFRAMES) {
		uint64_t next, ret;

		if (!bp) {
			snprintf(reason, rlen, "end of frame pointer chain");
			return;
		}
		if (bp < min_sp || bp & 7) {
			snprintf(reason, rlen, "bad frame pointer chain (rbp 0x%" PRIx64 ")", bp);
			return;
		}
		if (!rs_unwind_stack_word(s, bp + RS_FP_NEXT, &next) ||
		    !rs_unwind_stack_word(s, bp + RS_FP_RET, &ret)) {
			if (beyond_window(s, bp + RS_FP_RET))
				set_window_reason(&u->info, s);
			else
				snprintf(reason, rlen,
					 "bad frame pointer chain (rbp 0x%" PRIx64
					 " outside the stack)",
					 bp);
			return;
		}
		if (!ret) {
			snprintf(reason, rlen, "end of stack");
			u->info.complete = true;
			return;
		}
		if (!rs_unwind_is_exec(s->proc, ret)) {
			snprintf(reason, rlen,
				 "bad frame pointer chain (return address 0x%" PRIx64 ")", ret);
			return;
		}
		u->pc[u->n] = ret;
		u->activation[u->n++] = false;
		if (next && next <= bp) {
			snprintf(reason, rlen, "bad frame pointer chain (rbp 0x%" PRIx64 ")", next);
			return;
		}
		min_sp = bp + RS_FP_FRAME;
		bp = next;
	}
	snprintf(reason, rlen, "frame limit reached (%d frames)", RS_MAX_UFRAMES);
}

static int count_elf(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	GElf_Addr bias;

	(void)ud, (void)name, (void)start;
	if (dwfl_module_getelf(mod, &bias)) /* libdwfl keeps a failed open's error: no retry */
		(*(size_t *)arg)++;
	return DWARF_CB_OK;
}

/*
 * dwfl_attach_state() failed. When no module is an ELF file libdwfl says
 * "Couldn't find architecture of any ELF": said here in our words (each
 * module's own warning says why it could not be opened).
 */
static void attach_failed(struct rs_proc *p)
{
	const char *why = dwfl_errmsg(-1); /* libdwfl's static text; before more calls */
	size_t n_elf = 0;

	dwfl_getmodules(p->dwfl, count_elf, &n_elf, 0);
	if (!p->n_mods)
		rs_proc_warn(p, "cannot unwind: the process has no mappings left (it is exiting)");
	else if (!n_elf)
		rs_proc_warn(
		    p,
		    "cannot unwind with DWARF: none of its %zu modules could be opened; using frame pointers",
		    p->n_mods);
	else
		rs_proc_warn(p, "cannot unwind with DWARF: %s; using frame pointers", why);
}

static bool attach(struct rs_proc *p)
{
	if (!p->attached) {
		p->attached =
		    dwfl_attach_state(p->dwfl, NULL, (pid_t)p->pid, &thread_callbacks, p) ? 1 : -1;
		if (p->attached < 0)
			attach_failed(p);
	}
	return p->attached > 0;
}

/* Runs libdw's unwinder; returns true when it ended cleanly (outermost frame reached). */
bool rs_unwind_dwarf(struct rs_proc *p, struct rs_sample *s)
{
	struct rs_unwind_info *info = &s->out->info;
	char *reason = info->stop_reason;
	size_t rlen = sizeof(info->stop_reason);
	bool read_stop;
	int rc;

	if (++p->next_tid <= 0)
		p->next_tid = 1;
	s->tid = p->next_tid;
	p->cur = s;
	rc = dwfl_getthread_frames(p->dwfl, s->tid, frame_cb, s);
	p->cur = NULL;
	/* A read failed while stepping from the last frame: that is why it is the last. */
	read_stop =
	    s->read_failed && s->out->n && s->fail_idx == s->out->n - 1 && s->stop == RS_STOP_NONE;
	if ((rc == 0 && !read_stop) || s->stop == RS_STOP_ZERO) {
		snprintf(reason, rlen, "end of stack");
		return true;
	}
	s->window_stop = read_stop && s->fail_window;
	if (s->stop == RS_STOP_LIMIT) {
		snprintf(reason, rlen, "frame limit reached (%d frames)", RS_MAX_UFRAMES);
	} else if (s->window_stop) {
		set_window_reason(info, s);
	} else if (read_stop) {
		snprintf(reason, rlen, "cannot read 0x%" PRIx64 ": not in the copied stack",
			 s->fail_addr);
	} else if (s->stop == RS_STOP_BADPC) {
		snprintf(reason, rlen, "bad return address 0x%" PRIx64, s->bad_pc);
	} else if (s->out->n) {
		size_t i = s->out->n - 1;
		uint64_t pc = s->out->pc[i];

		if (!has_cfi(p->dwfl, pc, s->out->activation[i]))
			snprintf(reason, rlen, "no CFI for %s at 0x%" PRIx64,
				 rs_unwind_module(p, pc), pc);
		else
			snprintf(reason, rlen, "%s at 0x%" PRIx64 " in %s", dwfl_errmsg(-1), pc,
				 rs_unwind_module(p, pc));
	} else {
		snprintf(reason, rlen, "%s", dwfl_errmsg(-1));
	}
	return false;
}

/* True when libdw stepped by frame pointer somewhere (its fallback without CFI). */
static bool used_fp(Dwfl *dwfl, const struct rs_unwound *u, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (!has_cfi(dwfl, u->pc[i], u->activation[i]))
			return true;
	return false;
}

/*
 * Continues with the frame-pointer chain from the last DWARF frame, or from
 * the registers when DWARF gave at most one frame. Keeps the DWARF stop
 * reason when the chain adds nothing.
 */
static void fp_continue(struct rs_sample *s, size_t n_dwarf)
{
	struct rs_unwound *u = s->out;
	size_t from = n_dwarf > 1 ? n_dwarf - 1 : 0;
	char dwarf_reason[sizeof(u->info.stop_reason)];
	uint64_t bp = from ? s->bp[from] : rs_regs_fp(s->regs);
	uint64_t sp = from ? s->spv[from] : rs_regs_sp(s->regs);

	/* From sp/pc only, rbp is known only where libdw knows it (restored, or recovered). */
	if (s->sp_pc_only && (!n_dwarf || !s->bp_ok[from]))
		return;
	if (from && !s->bp_ok[from])
		return;
	memcpy(dwarf_reason, u->info.stop_reason, sizeof(dwarf_reason));
	u->n = from + 1;
	fp_walk(s, bp, sp);
	if (u->n > from + 1) {
		u->info.method = from ? "dwarf+fp" : "fp";
		return;
	}
	if (n_dwarf) {
		memcpy(u->info.stop_reason, dwarf_reason, sizeof(dwarf_reason));
		u->info.complete = false;
	}
}

static int stack_unwind(struct rs_proc *p, const struct rs_ustack *us, struct rs_unwound *out)
{
	const struct rs_regs *regs = us ? us->regs : NULL;
	const void *stack = us ? us->stack : NULL, *top = us ? us->top : NULL;
	size_t stack_len = us ? us->len : 0, top_len = us ? us->top_len : 0;
	uint64_t top_addr = us ? us->top_addr : 0;
	struct rs_sample *s;
	const struct rs_map *sm;
	bool clean = false;
	size_t n_dwarf = 0;

	if (!p || !regs || !out || (!stack && stack_len) || (!top && top_len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->info.method = "none";
	out->guessed_from = SIZE_MAX;
	if (!rs_regs_pc(regs)) {
		snprintf(out->info.stop_reason, sizeof(out->info.stop_reason), "no user registers");
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->proc = p;
	s->regs = regs;
	s->stack = stack;
	s->sp = rs_regs_sp(regs);
	s->len = stack_len;
	if (top && top_len) {
		s->top = top;
		s->top_addr = top_addr;
		s->top_len = top_len;
	}
	s->sp_pc_only = us->sp_pc_only;
	s->window_limit = us->window_limit;
	s->out = out;
	sm = rs_maps_find(&p->maps, rs_regs_sp(regs));
	s->stack_end = sm ? sm->end : 0;

	if ((p->unwind_methods & RS_UNWIND_DWARF) && attach(p)) {
		clean = rs_unwind_dwarf(p, s);
		if (s->sp_pc_only)
			clean = rs_unwind_sppc_finish(p, s, clean);
		n_dwarf = out->n;
		if (n_dwarf > 1)
			out->info.method = used_fp(p->dwfl, out, n_dwarf) ? "dwarf+fp" : "dwarf";
	}
	if (!out->n) {
		out->pc[0] = rs_regs_pc(regs);
		out->activation[0] = true;
		out->n = 1;
	}
	if (!clean && (p->unwind_methods & RS_UNWIND_FP) && !s->window_stop &&
	    s->stop != RS_STOP_LIMIT)
		fp_continue(s, n_dwarf);
	else if (!clean && !n_dwarf && !out->info.stop_reason[0])
		snprintf(out->info.stop_reason, sizeof(out->info.stop_reason),
			 "no unwinding method");
	if (clean)
		out->info.complete = true;
	else if (!out->info.complete && s->stop != RS_STOP_LIMIT && !s->window_stop &&
		 is_outermost(p->dwfl, out->pc[out->n - 1], out->activation[out->n - 1])) {
		/* Stopped right after the function that starts every stack: nothing was lost. */
		out->info.complete = true;
		snprintf(out->info.stop_reason, sizeof(out->info.stop_reason), "end of stack");
	}
	free(s);
	return 0;
}

/* libdw reads p's files only inside p's root (dwopen.c). */
int rs_stack_unwind(struct rs_proc *p, const struct rs_ustack *us, struct rs_unwound *out)
{
	struct rs_proc *prev = rs_root_enter(p);
	int err = stack_unwind(p, us, out);

	rs_root_leave(prev);
	return err;
}
