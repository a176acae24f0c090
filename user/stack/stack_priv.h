/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of stack/: proc.c (Dwfl construction), elfopen.c (finding ELF
 * and debug files), fileopen.c and dwopen.c (opening them), symcache.c, unwind.c and unwind_sppc.c,
 * symbolize.c, tailcall.c and callsite.c. Not for other stages.
 */
#ifndef RS_STACK_PRIV_H
#define RS_STACK_PRIV_H

#include <sys/types.h>
#include <elfutils/libdwfl.h>
#include "stack/stack.h"

/* One reported module: the mappings of one file instance, or the vdso. */
struct rs_mod {
	struct rs_proc *proc;
	const struct rs_map *map; /* lowest mapping of the file, opened via map_files */
	const char *path;	  /* as the target sees it; borrowed from proc->maps */
	uint64_t low, high;
	bool vdso;
	bool warned;  /* a problem with this module was already recorded */
	int host_own; /* the host's <path> is the mapped file: 1 yes, -1 no, 0 not known */
	struct rs_lcache *lines;   /* decoded line tables (gdb.h), or NULL */
	struct rs_cutab *cus;	   /* CU address ranges when libdw has no aranges, or NULL */
	struct rs_cufuncs *funcs;  /* per CU, its functions by address (cuindex.c), or NULL */
	struct rs_cufuncs *nested; /* per CU, every subprogram by address (cuindex.c), or NULL */
	struct rs_dwcache *names;  /* DIE parents for function names (gdb.h), or NULL */
	bool dwarf_asked;	   /* --timings: the first DWARF lookup (its open) was timed */
	struct rs_alias *aliases;  /* per function address, its public name (symbolize.c) */
	size_t n_aliases;	   /* entries of aliases; SIZE_MAX: could not be built */
};

struct rs_proc {
	char *proc_root;
	uint32_t pid;
	struct rs_symcache *cache; /* borrowed, may be NULL */
	struct rs_maps maps;
	Dwfl *dwfl;
	struct rs_mod *mods;
	size_t n_mods;
	void *vdso_img; /* copy of this process's vdso image, or NULL */
	size_t vdso_len;
	bool same_root; /* PROC/PID/root is the host's "/": search it once */
	int root_fd;	/* O_PATH directory fd of PROC/PID/root (-1: not readable) */
	int host_fd;	/* O_PATH directory fd of the host's "/", for files proven the host's */
	uint64_t max_debug_size; /* --max-debug-size: bytes a debug file may decompress to */
	bool warned_openat2;	 /* the missing openat2() was reported */
	uint64_t deadline_ns;	 /* rs_mono_ns() after which DWARF is not read (0: none) */
	char *warnings;		 /* newline-separated, or NULL */
	size_t warnings_len;
	unsigned int unwind_methods; /* RS_UNWIND_* */
	int attached;		     /* dwfl_attach_state: 0 not tried, 1 done, -1 failed */
	struct rs_sample *cur;	     /* the sample rs_unwind is working on */
	pid_t next_tid;		     /* a fresh libdwfl thread id per unwind */
};

/* ---- unwinding (unwind.c; unwind_sppc.c from sp and pc only) ---- */

/* Why libdw's walk ended, as frame_cb() saw it. */
enum rs_unwind_stop {
	RS_STOP_NONE = 0,
	RS_STOP_ZERO,  /* zero return address: the outermost frame */
	RS_STOP_LIMIT, /* RS_MAX_UFRAMES reached */
	RS_STOP_BADPC, /* return address outside any executable mapping */
	RS_STOP_ERROR, /* dwfl_frame_pc failed */
};

struct rs_sample {
	struct rs_proc *proc;
	const struct rs_regs *regs;
	const unsigned char *stack;
	uint64_t sp;
	size_t len;
	const unsigned char *top; /* a second window: the stack's top, when it was deeper */
	uint64_t top_addr;
	size_t top_len;
	uint64_t stack_end; /* end of the mapping holding sp, 0 when unknown */
	size_t cur_idx;	    /* the frame libdw is stepping from */
	bool read_failed;   /* a memory read failed while stepping from frame fail_idx */
	bool fail_window;   /* ... beyond the copy, inside the stack mapping */
	size_t fail_idx;
	uint64_t fail_addr;
	bool window_stop;	  /* DWARF unwinding ended at the end of the copied window */
	const char *window_limit; /* rs_ustack.window_limit */
	bool tid_given;
	pid_t tid;
	enum rs_unwind_stop stop;
	uint64_t bad_pc;
	struct rs_unwound *out;
	uint64_t bp[RS_MAX_UFRAMES]; /* rbp per DWARF frame, for the fp continuation */
	uint64_t spv[RS_MAX_UFRAMES];
	bool bp_ok[RS_MAX_UFRAMES];
	/* sp/pc only (rs_ustack.sp_pc_only, unwind_sppc.c) */
	bool sp_pc_only;
	bool have_bp; /* bp_init (a candidate of unwind_sppc.c) is handed to libdw as rbp */
	uint64_t bp_init;
	uint32_t known[RS_MAX_UFRAMES]; /* DWARF registers (bit n: register n) each frame knows */
};

/* The word at addr from one of s's copied windows. */
bool rs_unwind_stack_word(const struct rs_sample *s, uint64_t addr, uint64_t *v);
/* A word of a read-only, file-backed segment of a mapped ELF file. */
bool rs_unwind_elf_word(Dwfl *dwfl, uint64_t addr, uint64_t *v);
/* Whether pc is in an executable mapping of p. */
bool rs_unwind_is_exec(const struct rs_proc *p, uint64_t pc);
/* The path of the mapping holding pc, or "anonymous memory"; owned by p. */
const char *rs_unwind_module(const struct rs_proc *p, uint64_t pc);
/*
 * Runs libdw's unwinder over s into s->out (appending frames, setting the
 * stop reason); true when it ended cleanly (outermost frame reached).
 */
bool rs_unwind_dwarf(struct rs_proc *p, struct rs_sample *s);
/*
 * From sp and pc only (unwind_sppc.c), after rs_unwind_dwarf(): when the
 * last frame needs a register nobody knows, the walk did not end at the
 * outermost frame though libdw took it so. For rbp, the walk is redone with
 * rbp recovered from the stack when that goes on past the frame
 * (s->out->guessed_from says where); otherwise the stop reason names the
 * register. Returns whether the (possibly redone) walk ended cleanly.
 */
bool rs_unwind_sppc_finish(struct rs_proc *p, struct rs_sample *s, bool clean);

/* Appends one line to the warnings (dropped silently on allocation failure). */
void rs_proc_warn(struct rs_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- files from targets (fileopen.c, dwopen.c) ---- */

/* rs_open_in_root(): the path names something other than a regular file. */
#define RS_ENOTREG EMEDIUMTYPE

/*
 * Opens path (absolute or relative, both taken from root_fd) for reading
 * inside root_fd as its root: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
 * O_PATH first, then only a regular file is opened for reading (no device
 * open, no FIFO to block on), O_CLOEXEC, blocking mode. fd, or -errno:
 * -RS_ENOTREG, -ENOSYS when openat2() is missing (Linux < 5.6) or denied.
 */
int rs_open_in_root(int root_fd, const char *path);
/* Opens a PROC/PID/map_files/<range> (a magic link) the same way: a regular file, or refused. */
int rs_open_proc_link(const char *path);
/*
 * What the compressed sections of ELF file fd take decompressed
 * (SHF_COMPRESSED: the Elf_Chdr's ch_size; GNU .zdebug_*: the size after
 * "ZLIB"; .gnu_debugdata: its xz index, UINT64_MAX unless it is one
 * well-formed stream), from the headers alone, in *out. 0; -ENOEXEC when fd is not ELF;
 * -EBADMSG for headers libelf should not be given (other byte order,
 * truncated, over a million sections).
 */
int rs_elf_inflated_size(int fd, uint64_t *out);
/*
 * Whether ELF file fd (shown as name) may be given to libdw for its DWARF:
 * what it decompresses to is within p->max_debug_size. When not, one
 * warning says so, naming the limit and --max-debug-size.
 */
bool rs_debug_size_ok(struct rs_proc *p, int fd, const char *name);
/*
 * The debug file fd, or in its place (fd closed) its copy with every
 * compressed section inflated, kept between runs (debugcache.c): made on
 * first use, handed out while it is what its name says. fd itself when
 * there is nothing to inflate, no cache (RSAMPLE_CACHE_DIR=off, no
 * directory of the caller's own) or any failure.
 */
int rs_debugcache_swap(int fd);
/*
 * rs_open_in_root() for p, then rs_debug_size_ok(), with one warning per
 * refused file (not a regular file, too large, no openat2). fd or -errno
 * (-EFBIG: over the limit). *name (when name is not NULL) gets the file's
 * name for messages and libdwfl: PROC/PID/root<path> for p->root_fd, path
 * for the host's root.
 */
int rs_proc_open_file(struct rs_proc *p, int root_fd, const char *path, char **name);
/*
 * Makes p the process whose root libdw's own open() calls resolve in
 * (dwopen.c), for this thread; returns the previous one for rs_root_leave().
 * Every stack entry point that lets libdw read files brackets that use.
 */
struct rs_proc *rs_root_enter(struct rs_proc *p);
void rs_root_leave(struct rs_proc *prev);

/* The rs_mod a libdwfl module was reported with, or NULL. */
struct rs_mod *rs_mod_of(Dwfl_Module *mod);

/* libdwfl callbacks (elfopen.c): open ELF files and their debug info for a target. */
int rs_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		char **file_name, Elf **elfp);
int rs_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name);

/*
 * True when the frame at pc (an activation: the exact PC) is in a signal
 * trampoline (unwind.c): its CFI is marked as a signal frame, or it is
 * glibc's __restore_rt. gdb shows such a frame as "<signal handler called>".
 */
bool rs_is_sigtramp(struct rs_proc *p, uint64_t pc);

/* A module's name in --timings phases: its file name (cuindex.c). */
const char *rs_mod_label(const struct rs_mod *m);
/*
 * The CU holding addr, as dwfl_module_addrdie(); when that finds none (no
 * .debug_aranges, as Go and clang leave out, or a CU they miss), the CUs' own
 * ranges (symbolize.c). NULL when no CU holds addr.
 */
Dwarf_Die *rs_addrdie(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias);
/*
 * The unit whose DIEs describe cu's code: for a split-DWARF skeleton, its
 * split unit from the .dwo (libdw finds it beside the binary or under
 * DW_AT_comp_dir) in *buf; otherwise cu itself.
 */
Dwarf_Die *rs_unit_die(Dwarf_Die *cu, Dwarf_Die *buf);
void rs_cutab_free(struct rs_cutab *t);
/*
 * The top DIE of the function (or other code scope) of cu holding pc that a
 * walk of cu would find first, from m's index of cu (built on first use):
 * 1 with *out set, 0 when none holds pc, -1 when the index cannot be built.
 */
int rs_cu_top_die(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out);
/*
 * The subprogram of cu holding pc that a walk of the whole tree (into code,
 * not into imported units, at most RS_NESTED_DEPTH_MAX deep) finds first,
 * from m's second index of cu: 1 with *out and *depth (its depth in that
 * walk) set, 0 when none holds pc, -1 when the index cannot be built.
 */
#define RS_NESTED_DEPTH_MAX 64
int rs_cu_nested_die(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out, int *depth);
void rs_cufuncs_free(struct rs_cufuncs *t);

/* What a DIE is to the walks that look for code (the function index, the inline chain). */
enum rs_die_kind {
	RS_DIE_OTHER = 0,
	RS_DIE_CODE,	  /* a subprogram, inlined subroutine or block: holds code ranges */
	RS_DIE_CONTAINER, /* a namespace, module, class, struct, union: holds functions */
	RS_DIE_IMPORT,	  /* DW_TAG_imported_unit: the walk goes on in the unit it imports */
};
/* The kind of a DIE of tag tag (DW_TAG_*). */
enum rs_die_kind rs_die_kind(int tag);

/*
 * The innermost DW_TAG_subprogram of cu whose ranges hold addr (an address of
 * the module's ELF file), through namespaces, types and imported units
 * (symbolize.c): 0, -ENOENT when none does, or -ENOMEM; *out set on success.
 */
int rs_dwarf_function(struct rs_mod *m, Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Die *out);

/* Symbol cache (symcache.c). A key: the ELF's build-id, an ELF address and the activation flag. */
struct rs_symkey {
	const unsigned char *build_id;
	size_t build_id_len;
	uint64_t addr; /* pc - load bias: the same for every process mapping this file */
	bool activation;
};

/*
 * The cached frames for k (module and addr fields unset), or NULL. *n gets
 * their count. The array stays valid until the next rs_symcache_put().
 */
const struct rs_frame *rs_symcache_get(struct rs_symcache *c, const struct rs_symkey *k, size_t *n);
/* Stores a copy of frames under k (module and addr are not kept). 0 or -ENOMEM. */
int rs_symcache_put(struct rs_symcache *c, const struct rs_symkey *k, const struct rs_frame *frames,
		    size_t n);
/*
 * A tail-call chain key (tailcall.c): the caller's return address and the
 * callee's address-in-block (its PC, minus 1 for a caller frame), each as an
 * offset from its module's lowest mapping, with the modules' build-ids.
 */
struct rs_chainkey {
	const unsigned char *caller_id, *callee_id;
	size_t caller_id_len, callee_id_len;
	uint64_t caller_addr, callee_addr;
};

/* A site of a cached chain: an offset from the lowest mapping of the caller's or callee's. */
struct rs_chainsite {
	uint64_t off;
	bool in_callee;
};

/*
 * The cached tail-call sites for k (innermost first; possibly none), or NULL
 * when k is not cached. *n gets their count. Valid until the next put.
 */
const struct rs_chainsite *rs_symcache_chain_get(struct rs_symcache *c, const struct rs_chainkey *k,
						 size_t *n);
/* Stores a copy of sites under k. 0 or -ENOMEM. */
int rs_symcache_chain_put(struct rs_symcache *c, const struct rs_chainkey *k,
			  const struct rs_chainsite *sites, size_t n);
/* Symbol entries held now (tail-call chains not counted). */
size_t rs_symcache_count(const struct rs_symcache *c);
/* Tail-call chain entries held now. */
size_t rs_symcache_chains(const struct rs_symcache *c);
/* Sets the entry count above which the cache evicts (tests use small limits). */
void rs_symcache_set_limit(struct rs_symcache *c, size_t max);

/*
 * ---- call sites (callsite.c) ----
 *
 * DWARF call sites as gdb reads them, for the tail-call search of
 * tailcall.c: a graph of call sites and functions read lazily, function by
 * function, across a process's modules. Addresses are absolute (the target's).
 */

/* A call site (DW_TAG_call_site or DW_TAG_GNU_call_site). */
struct rs_csite {
	uint64_t pc;  /* return PC: DW_AT_call_return_pc, or DW_AT_low_pc before DWARF 5 */
	int first, n; /* targets[first .. first + n); n < 0: a target gdb cannot resolve */
};

/* A function, from its entry. */
struct rs_cfunc {
	uint64_t entry;
	int first, n; /* sites[first .. first + n) are its tail calls; n < 0: no function here */
};

/* What was read so far. Zero it, set p and home, then use it; rs_csgraph_clear() frees it. */
struct rs_csgraph {
	struct rs_proc *p;
	Dwfl_Module *home; /* searched first for the symbol a declaration names */
	struct rs_csite *sites;
	struct rs_cfunc *funcs;
	uint64_t *targets;
	int nsites, nfuncs, ntargets;
	int cap_sites, cap_funcs, cap_targets;
	bool full; /* a size limit was hit or memory ran out: stop using it */
	int err;   /* -ENOMEM once memory ran out */
};

/*
 * gdb's get_pc_function_start(): the entry of the function holding addr in
 * mod, from DWARF, else from the ELF symbol holding it. False when none.
 */
bool rs_cs_function_entry(struct rs_csgraph *g, Dwfl_Module *mod, uint64_t addr, uint64_t *entry);

/*
 * Reads the call site whose return PC is ret, looked for in the function
 * holding ret - 1: its index in g->sites, or -1 when there is none (or g->full).
 */
int rs_cs_caller_site(struct rs_csgraph *g, uint64_t ret);

/*
 * The index in g->funcs of the function that starts at entry, read on first
 * use with its tail-call sites and their targets; -1 when g->full.
 */
int rs_cs_func(struct rs_csgraph *g, uint64_t entry);

/* Frees the arrays g holds. */
void rs_csgraph_clear(struct rs_csgraph *g);

/* ---- kallsyms text (ksyms.c) ---- */

/*
 * rs_ksyms_load() (names: rs_ksyms_load_names()) of kallsyms text already
 * read: text[0..len) is malloc'd with text[len] == '\0', and is owned by the
 * table from the call on, failure included. Same results.
 */
int rs_ksyms_parse(char *text, size_t len, bool names, struct rs_ksyms **out);

#endif
