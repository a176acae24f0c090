/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User and kernel stacks (stack.h): from captured registers and a copy of
 * the stack to symbolized frames, and kernel PCs to kernel frames.
 *
 * A target process as the unwinder and symbolizer see it: its mappings and a
 * libdw Dwfl over them. ELF files are opened through PROC/PID/map_files/<range>
 * (works across mount namespaces and for deleted files), then <path> inside
 * the target's root when its inode is the mapped one, then the host's <path>
 * only when stat() says device and inode are the mapped ones. Debug info: the
 * file itself, then build-id and .gnu_debuglink files inside the target's
 * root, then the host's /usr/lib/debug for a module that is the host's file,
 * each checked against the module's build-id (or the debuglink CRC), then
 * debuginfod when DEBUGINFOD_URLS is set. Every file is opened inside a root
 * (openat2 RESOLVE_IN_ROOT), regular files only, libdw's own opens included
 * (dwopen.c); debug files are bounded by rs_proc_set_max_debug_size(). The target's memory is never
 * read: the vdso image is this process's own (the kernel maps the same one
 * into every process).
 *
 * Files: maps.c (/proc/PID/maps), proc.c (the Dwfl of a process),
 * elfopen.c (ELF and debug files), fileopen.c (opening a target's files,
 * sizing their compressed sections), dwopen.c (libdw's own open() calls), unwind.c, unwind_sppc.c,
 * symbolize.c, tailcall.c and callsite.c (tail-call frames), symcache.c, frame.c (frames, kernel
 * frames), dataname.c (data addresses: symbols and regions), ksyms.c (/proc/kallsyms, or the
 * kernel's names of given addresses), demangle.c; gdb/ holds what exists to print names and lines
 * as gdb does.
 */
#ifndef RS_STACK_H
#define RS_STACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rsample.h"

/* One symbolized frame. Strings are malloc'd and owned by the frame. */
struct rs_frame {
	uint64_t addr;	 /* the PC (user: as unwound; kernel: from the kernel stack) */
	char *function;	 /* demangled function name, or NULL when unknown */
	char *module;	 /* module path as the target sees it; "[kernel]" or "[mod]" for kernel */
	char *file;	 /* source file, or NULL */
	uint32_t line;	 /* 0 when unknown */
	uint32_t column; /* 0 when unknown */
	uint64_t sym_offset; /* addr - symbol start when the name came from a symbol table */
	bool inlined;	     /* this frame was inlined into the frame that follows it */
	bool tailcall;	     /* left by a tail call (not on the stack); addr: its return PC */
	bool kernel;
};

/* How a user stack was unwound. */
struct rs_unwind_info {
	const char *method; /* "dwarf", "fp", "dwarf+fp" or "none" (static string) */
	bool complete;	    /* reached the outermost frame (e.g. _start / clone3) */
	char stop_reason[160];
	/* What the /proc backend could not know (RS_TF_REGS_SPIP, RS_TF_MOVED): */
	bool sp_pc_only; /* unwound from sp and pc only, every other register unknown */
	bool guessed;	 /* frames from guessed_frame on: found with rbp recovered from the stack */
	uint32_t guessed_frame; /* an index of the thread's symbolized user frames */
	bool
	    moved; /* the thread ran while its stack was copied: stack and registers may disagree */
};

/* ---- frames (frame.c) ---- */

/* Frees the strings a frame owns; the frame itself is not freed. Accepts NULL. */
void rs_frame_clear(struct rs_frame *f);
/* Clears n frames and frees the array. Accepts NULL. */
void rs_frames_free(struct rs_frame *v, size_t n);
/* A deep copy of src in *dst (its strings malloc'd). 0 or -ENOMEM (*dst left empty). */
int rs_frame_copy(struct rs_frame *dst, const struct rs_frame *src);

#define RS_MAX_UFRAMES 1024

/* One line of /proc/PID/maps. */
struct rs_map {
	uint64_t start, end, offset;
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char perms[5]; /* "r-xp" */
	char *path;    /* NULL for anonymous; "[stack]" etc. kept as is; " (deleted)" stripped */
	bool deleted;
};

struct rs_maps {
	struct rs_map *v;
	size_t n;
};

/*
 * Parses maps text (the whole file contents) into *out, sorted by address;
 * the caller owns the result (rs_maps_clear). 0, -EINVAL on a malformed line
 * or -ENOMEM; *out untouched on failure.
 */
int rs_maps_parse(const char *text, struct rs_maps *out);
/* Reads and parses a maps file: 0 or -errno of open/read, or as rs_maps_parse. */
int rs_maps_read(const char *path, struct rs_maps *out);
/* Frees what m holds and empties it. Accepts NULL. */
void rs_maps_clear(struct rs_maps *m);
/* The mapping holding addr (binary search), or NULL. */
const struct rs_map *rs_maps_find(const struct rs_maps *m, uint64_t addr);

/*
 * Symbol results shared across processes, keyed by build-id and ELF address,
 * so the processes of a pod that run the same binaries symbolize each PC once.
 * Bounded by memory (RS_SYMCACHE_BYTES_DEFAULT, or rs_symcache_set_bytes()):
 * past it, the entries not used lately are evicted (CLOCK). Not
 * thread-safe. It must outlive every rs_proc opened with it.
 */
#define RS_SYMCACHE_BYTES_DEFAULT (64u << 20)
struct rs_symcache;
/* Creates an empty cache. 0 or -ENOMEM; *out untouched on failure. */
int rs_symcache_new(struct rs_symcache **out);
/* Sets the memory the cache may hold (--symbol-cache-size), evicting what is over it. */
void rs_symcache_set_bytes(struct rs_symcache *c, size_t bytes);
/* Memory its entries hold now, and entries evicted so far. */
size_t rs_symcache_bytes(const struct rs_symcache *c);
size_t rs_symcache_evicted(const struct rs_symcache *c);
/* Frees the cache and every entry. Accepts NULL. */
void rs_symcache_free(struct rs_symcache *c);

struct rs_proc;

/*
 * Opens a process for unwinding and symbolization. proc_root is "/proc"
 * (tests may pass another). cache may be NULL (no caching); it is borrowed.
 * Returns 0 or -errno (-ESRCH when the process is gone, -EACCES without the
 * right to read its maps); *out untouched on failure. Problems with single modules
 * are not fatal: they are recorded and rs_proc_warnings() lists them.
 */
int rs_proc_open(const char *proc_root, uint32_t pid, struct rs_symcache *cache,
		 struct rs_proc **out);
/* Frees the process, its Dwfl and everything libdw loaded for it. Accepts NULL. */
void rs_proc_free(struct rs_proc *p);
/*
 * Reads p's maps again, for a p opened a while ago (rs_proc_prewarm): when
 * they map the same modules (file, device, inode, addresses) p keeps its
 * Dwfl and what it loaded over the new maps and 0 is returned; -ESTALE when
 * the modules changed (an exec, a dlopen: open it anew), -ESRCH when the
 * process is gone, else -errno of reading; p is unchanged on failure.
 */
int rs_proc_refresh(struct rs_proc *p);
/* The process p was opened for. */
uint32_t rs_proc_pid(const struct rs_proc *p);
/*
 * Opens p's DWARF as its first lookups would (its ELF and debug files, the
 * inflated sections, libdwfl's CU ranges, the symbol table) of the modules
 * nearly every stack passes through: the main executable (the lowest mapped
 * module) and libc; until *stop is true (checked before each module; an
 * open under way is finished). For a thread of its own while the capture runs:
 * p must not be used elsewhere meanwhile. Returns the modules opened.
 */
size_t rs_proc_prewarm(struct rs_proc *p, const atomic_bool *stop);
/* The target's mappings as read at rs_proc_open() (or rs_proc_refresh()); owned by p. */
const struct rs_maps *rs_proc_maps(const struct rs_proc *p);
/*
 * Newline-separated non-fatal problems found so far (unreadable module,
 * file that is not the mapped one…), or NULL. Modules are opened lazily, so
 * the list grows as rs_stack_unwind() and rs_symbolize() touch them. Owned by p.
 */
const char *rs_proc_warnings(const struct rs_proc *p);

/*
 * The most a debug file (or the debug sections of an ELF file, or a .dwo)
 * may take decompressed, and the most of a .gnu_debuglink file read for its
 * CRC, before it is refused with a warning (--max-debug-size; default 1 GiB).
 */
#define RS_MAX_DEBUG_SIZE_DEFAULT (1ull << 30)
/* Sets p's limit for later reads (rs_stack_unwind, rs_symbolize). */
void rs_proc_set_max_debug_size(struct rs_proc *p, uint64_t bytes);

/*
 * From CLOCK_MONOTONIC time deadline_ns on (rs_mono_ns(); 0: never), p's
 * PCs are named from the symbol table only: no DWARF is loaded or read, no
 * tail-call frames are searched, nothing so degraded is cached, and one
 * warning says so (a snapshot's --symbolize-budget).
 */
void rs_proc_set_deadline(struct rs_proc *p, uint64_t deadline_ns);
/* Whether p's deadline has passed (then the warning is recorded, once). */
bool rs_proc_past_deadline(struct rs_proc *p);

/* Methods rs_stack_unwind() may use, for rs_proc_set_unwind_methods(). */
#define RS_UNWIND_DWARF (1u << 0) /* DWARF CFI (.eh_frame, .debug_frame) through libdw */
#define RS_UNWIND_FP	(1u << 1) /* the frame-pointer chain (rbp) */
#define RS_UNWIND_ALL	(RS_UNWIND_DWARF | RS_UNWIND_FP)
/* Restricts the methods later rs_stack_unwind() calls use (default RS_UNWIND_ALL). */
void rs_proc_set_unwind_methods(struct rs_proc *p, unsigned int methods);

struct rs_unwound {
	uint64_t pc[RS_MAX_UFRAMES];
	bool activation[RS_MAX_UFRAMES]; /* true: pc is exact (innermost or signal frame) */
	size_t n;
	struct rs_unwind_info info;
	/*
	 * From sp/pc only: pc[guessed_from] and the frames after it were found
	 * with an rbp recovered from the stack, not known (SIZE_MAX: none).
	 */
	size_t guessed_from;
};

/* A copy of a user stack, as a capture hands it over. */
struct rs_ustack {
	const struct rs_regs *regs; /* the registers of the innermost frame */
	const void *stack;	    /* len bytes that were at regs->sp */
	size_t len;
	const void *top;   /* when the window did not reach the stack's top: top_len bytes */
	uint64_t top_addr; /* that were at top_addr, read where the window does not reach */
	size_t top_len;	   /* (top NULL and top_len 0 otherwise) */
	/*
	 * Only regs' pc and sp are known (the /proc backend's blocked threads,
	 * RS_TF_REGS_SPIP): libdw gets only those, every other register stays
	 * undefined until CFI restores it, and the frame-pointer chain starts
	 * only where rbp became known. A frame whose CFA needs an rbp nobody
	 * restored is passed with an rbp recovered from the stack
	 * (rs_unwound.guessed_from says where).
	 */
	bool sp_pc_only;
	/*
	 * What limited the copy, for a stop at its end: "end of copied stack
	 * window (N bytes; window_limit)". NULL: "raise --stack-bytes".
	 */
	const char *window_limit;
};

/*
 * Unwinds a copied user stack (unwind.c). DWARF CFI first, frame pointers
 * as the fallback (see rs_proc_set_unwind_methods). Never reads the live
 * target's memory, only the copy and the target's ELF files. *out is filled
 * (pc[0] = regs->ip, activation[0] = true); info.method is "dwarf", "fp",
 * "dwarf+fp" (DWARF, with frame-pointer steps where CFI was missing) or
 * "none", info.stop_reason says why it ended. Returns 0, or -EINVAL / -ENOMEM
 * with *out unspecified. Not thread-safe: one thread per rs_proc.
 */
int rs_stack_unwind(struct rs_proc *p, const struct rs_ustack *s, struct rs_unwound *out);

/*
 * Symbolizes one user PC and appends its frames (inline chain expanded,
 * innermost first) to *frames / *n (realloc'd). Caller frames (activation ==
 * false) are looked up at pc - 1. Returns 0 or -ENOMEM (-EINVAL for NULL
 * arguments); on failure *frames / *n still hold what they held, and stay the
 * caller's. Every frame has addr = pc and module = the file as the target sees
 * it (NULL outside any mapping). function is NULL when unknown: then
 * sym_offset holds the ELF address (pc minus the load bias), as addr2line -e
 * MODULE wants it; when the name came from a symbol table, sym_offset is pc
 * minus the symbol's start; it is 0 for DWARF names. Not thread-safe.
 */
int rs_symbolize(struct rs_proc *p, uint64_t pc, bool activation, struct rs_frame **frames,
		 size_t *n);

/*
 * Symbolizes an unwound stack (tailcall.c): rs_symbolize() for each PC, a
 * signal trampoline as "<signal handler called>", and between a frame and
 * its caller the frames of functions that left through a tail call
 * (tailcall set, addr the return PC of the tail-call site, no inline frames),
 * rebuilt from DWARF call sites as gdb does when the chain of tail calls is
 * unambiguous. Appends to *frames / *n (realloc'd), innermost first. Returns
 * 0 or -ENOMEM (-EINVAL for NULL arguments); on failure *frames / *n hold
 * what was appended so far, still the caller's. Not thread-safe.
 */
int rs_stack_frames(struct rs_proc *p, const struct rs_unwound *u, struct rs_frame **frames,
		    size_t *n);

/*
 * The one user-stack path (userstack.c), for snapshots and profiles alike:
 * rs_stack_unwind() of s into *u, then rs_stack_frames() of the result,
 * appended to *frames / *n. Returns 0, -ENOMEM, or -EINVAL for bad
 * arguments; a stack that cannot be unwound is not an error (u->info says
 * why it stopped). Profiles call the two halves apart, to symbolize each
 * distinct stack once.
 */
int rs_stack_user(struct rs_proc *p, const struct rs_ustack *s, struct rs_unwound *u,
		  struct rs_frame **frames, size_t *n);

/* ---- naming data addresses (dataname.c) ---- */

/* Where a data address lies in a process. */
enum rs_data_region {
	RS_DATA_UNKNOWN = 0, /* in no mapping, or the maps were not read */
	RS_DATA_SYMBOL,	     /* inside a data symbol (.data, .bss, .rodata) of a module */
	RS_DATA_MODULE,	     /* in a module's mappings, but no symbol covers it */
	RS_DATA_HEAP,	     /* the brk heap ([heap]) */
	RS_DATA_STACK,	     /* a thread's stack */
	RS_DATA_ANON,	     /* another anonymous mapping (malloc arenas, mmap) */
	RS_DATA_FILE,	     /* a mapping of a file that is not a module, or [vdso]-like */
};

/* What a data address is. Strings are malloc'd and owned (rs_data_name_clear()). */
struct rs_data_name {
	enum rs_data_region region;
	char *symbol;	 /* RS_DATA_SYMBOL: the demangled name (Rust's hash dropped) */
	uint64_t offset; /* RS_DATA_SYMBOL: address - the symbol's start */
	char *module;	 /* SYMBOL, MODULE, FILE: the file as the target sees it */
	uint32_t tid;	 /* RS_DATA_STACK: the thread whose stack it is (0: the main
			  * [stack] with no captured thread on it) */
};

/* A thread and its user stack pointer: whose stack an address is on. */
struct rs_thread_sp {
	uint32_t tid;
	uint64_t sp;
};

/*
 * Names the data address addr of p (a lock word, a wait target): the data
 * symbol of the module holding it (a static Mutex, a global
 * pthread_mutex_t; .bss past the file's last page included), else its
 * region: heap, the stack of the thread among sps[0..n_sps) whose sp is in
 * the same mapping, another anonymous mapping, a mapped file. p NULL gives
 * RS_DATA_UNKNOWN. Reads only the target's maps and ELF symbol tables,
 * never its memory. Fills *out (cleared first); 0 or -ENOMEM (*out empty).
 */
int rs_name_data_addr(struct rs_proc *p, uint64_t addr, const struct rs_thread_sp *sps,
		      size_t n_sps, struct rs_data_name *out);
/* Frees what n owns and empties it. Accepts NULL. */
void rs_data_name_clear(struct rs_data_name *n);
/* A deep copy of src in *dst. 0 or -ENOMEM (*dst left empty). */
int rs_data_name_copy(struct rs_data_name *dst, const struct rs_data_name *src);
/*
 * One short phrase for n: "asyncd::STATE", "ACCOUNTS+0x28", "in /app/x (no
 * symbol)", "heap", "stack of tid 4251", "main stack", "anonymous mapping",
 * "in /app/data.bin", "unknown memory". Cut to fit len, NUL-terminated (len > 0).
 */
void rs_data_name_format(const struct rs_data_name *n, char *buf, size_t len);
/* The region as a JSON word: "symbol", "module", "heap", "stack", "anonymous", "file", "unknown".
 */
const char *rs_data_region_name(enum rs_data_region r);

/* ---- kernel symbols (ksyms.c) ---- */

struct rs_ksyms;

/*
 * Loads the text symbols (t/T/w/W) of a kallsyms file ("/proc/kallsyms")
 * into a sorted table. Returns 0 and *out (free with rs_ksyms_free()), or
 * -errno with *out untouched: -EPERM when every address reads 0
 * (kernel.kptr_restrict, or not root: the caller should say so and suggest
 * running as root), -ENODATA for an empty file, -EINVAL when no line is a
 * text symbol. Prints nothing.
 */
int rs_ksyms_load(const char *path, struct rs_ksyms **out);
/*
 * rs_ksyms_load() that also keeps every text symbol's name (aliases
 * included) for rs_ksyms_addr(). Same results.
 */
int rs_ksyms_load_names(const char *path, struct rs_ksyms **out);
/* Accepts NULL. */
void rs_ksyms_free(struct rs_ksyms *k);
/* One kernel address as the kernel named it ("%pB": a return address's name and offset). */
struct rs_kname {
	uint64_t addr;
	const char *name;   /* NULL or "": unnamed, left out of the table */
	const char *module; /* "[mod]" (a build-id after the name is dropped), or NULL or "" */
	uint64_t off;	    /* the printed offset: addr - the symbol's start */
};
/*
 * A sparse table of exact addresses from v[0..n) (strings copied; of
 * duplicate addresses one is kept): rs_ksyms_lookup() answers only these
 * addresses, with the name, offset and module given; rs_ksyms_addr() is
 * -EOPNOTSUPP. 0 and *out, or -ENOMEM (*out untouched).
 */
int rs_ksyms_from_names(const struct rs_kname *v, size_t n, struct rs_ksyms **out);
/*
 * The address name+off, as /proc/PID/stack prints it ("name+off/size
 * [module]"): module "[mod]", or NULL or "" for the kernel proper; size the
 * printed size (0 when not printed) chooses among symbols of the same name.
 * Returns 0 and *addr; -ENOENT when no symbol of that name holds off;
 * -EOPNOTSUPP when k was not loaded by rs_ksyms_load_names().
 */
int rs_ksyms_addr(const struct rs_ksyms *k, const char *name, const char *module, uint64_t off,
		  uint64_t size, uint64_t *addr);
/*
 * The one-line warning for an rs_ksyms_load() of path that failed with err:
 * what was wrong and what it costs (kernel frames shown as addresses).
 */
void rs_ksyms_explain(const char *path, int err, char *buf, size_t len);
/*
 * Name of the symbol containing addr, or NULL (before the first symbol, or
 * more than 64 KiB past the last symbol of the kernel or of a module; for a
 * table of rs_ksyms_from_names(), any address it was not given). The
 * name is owned by k. *off = addr - start; *module = "[mod]" or NULL for the
 * kernel proper. off and module may be NULL.
 */
const char *rs_ksyms_lookup(const struct rs_ksyms *k, uint64_t addr, uint64_t *off,
			    const char **module);

/*
 * The one kernel-frame builder: fills f for kernel PC pc, its function and
 * offset from ks (NULL: the address only), module "[kernel]" or "[mod]".
 * Strings are malloc'd. 0 or -ENOMEM (f left empty).
 */
int rs_kframe(const struct rs_ksyms *ks, uint64_t pc, struct rs_frame *f);

/* ---- demangling (demangle.c) ---- */

#define RS_DEMANGLE_KEEP_HASH 0x1 /* keep Rust legacy "::h<16 hex>" suffixes */
#define RS_DEMANGLE_PARAMS    0x2 /* C++: with return type and parameter list */
#define RS_DEMANGLE_RET_DROP  0x4 /* C++, with PARAMS: no return type (gdb's DWARF names) */

/*
 * Demangles C++ (Itanium) and Rust (legacy and v0) names with libiberty.
 * gdb names a function with DWARF "ns::f<T>" and one known only from the
 * symbol table "ns::f<T>(int)": callers pick with RS_DEMANGLE_PARAMS to print
 * what gdb prints. Returns a malloc'd string: the demangled name, or a copy of
 * name when it is not mangled. NULL only on allocation failure.
 */
char *rs_demangle(const char *name, unsigned int flags);

#endif
