# SPDX-License-Identifier: GPL-2.0
"""What rsample must report for the victims in tests/victims/.

The expected stacks are what
    gdb -batch -ex 'set backtrace past-main on' -ex 'thread apply all bt' -p PID
prints for each victim thread on the reference machine (Debian 12: glibc 2.36
with libc6-dbg, gcc 12, rustc 1.95), innermost first, inline frames included.
test_expectations_match_gdb_* re-checks them against a live gdb run on a
separate victim instance, so a toolchain change shows up as a failure there.

A frame is a function name, or (name, marker[, inlined]): the victim's own
frames carry the "@L:<marker>" label of their source line and are not inline
frames unless the third element says so; ("hash_leaf", "a..b") means a line
between markers a and b (the busy loop). Tail(name) is a frame gdb synthesizes
for a function that left through a tail call (a jmp, so it is not on the
stack; gdb rebuilds it from DW_TAG_call_site / DW_AT_call_tail_call): rsample
must report it in gdb's place with "tailcall": true, and no other frame with it.

Documented differences allowed between gdb's names and rsample's:
  C   - aliases: two names match when the module's symbol tables (the ELF and
        its separate debug file) give them the same address, e.g. gdb's
        "__GI___libc_read" = "read", "___pthread_mutex_lock" =
        "pthread_mutex_lock", "__libc_start_main_impl" = "__libc_start_main";
        symbol versions ("@GLIBC_2.2.5") are ignored.
  Rust- names are compared after rust_keys(): generic arguments are dropped;
        "{closure#N}", "{closure_env#N}" and "{{closure}}" are one
        "{closure}"; impl blocks ("{impl#N}" in DWARF, "<T as Trait>" or
        "<impl Trait for T>" in symbols) and type names (segments starting
        with an upper-case letter) are dropped, since DWARF names an impl
        block where a symbol names its type. A qualified "<T as Trait>::f"
        matches through T's module or Trait's module. (The "::h<hash>" suffix
        is ignored here, but run.py fails any frame that still carries one.)
  gdb stops at main unless "set backtrace past-main on"; with it, gdb and
  rsample both go down to _start.
"""

import os
import re
import subprocess


class Tail(str):
    """A function gdb shows as a tail-call frame (see the module doc)."""


def frame_name(exp):
    return exp[0] if isinstance(exp, tuple) else str(exp)


def frame_marker(exp):
    return exp[1] if isinstance(exp, tuple) else None


def frame_inlined(exp):
    """Whether an own frame (one with a marker) must be an inline frame."""
    return len(exp) > 2 and exp[2] if isinstance(exp, tuple) else False


def frame_tailcall(exp):
    """Whether the frame must be one rebuilt from a tail call."""
    return isinstance(exp, Tail)


def align(expected, got, match):
    """Pairs expected entries with got frames in order.
    Returns (pairs [(expected, got index)], errors)."""
    pairs, errs, j = [], [], 0
    for exp in expected:
        if j < len(got) and match(exp, got[j]):
            pairs.append((exp, j))
            j += 1
        else:
            errs.append("#%d: want %s" % (j, frame_name(exp)))
            return pairs, errs
    if j != len(got):
        errs.append("%d more frames than expected" % (len(got) - j))
    return pairs, errs


# ---- C victim: tests/victims/ledger.c --------------------------------------

C_SOURCE = "tests/victims/ledger.c"
C_THREAD_START = ["start_thread", "clone3"]
C_MAIN_START = ["__libc_start_call_main", "__libc_start_main_impl", "_start"]
C_FUTEX_WAIT = ["__futex_abstimed_wait_common64", "__futex_abstimed_wait_common",
                Tail("__GI___futex_abstimed_wait_cancelable64")]
C_MUTEX_LOCK = ["futex_wait", "__GI___lll_lock_wait", "lll_mutex_lock_optimized",
                "___pthread_mutex_lock"]


def _c_threads(main_name):
    teller = C_MUTEX_LOCK + [("lock_pair", "dl-lock"), ("post_transfer", "dl-post"),
                             ("teller_thread", "dl-entry")] + C_THREAD_START
    return [
        dict(name=main_name, state="S", syscall="futex", blocked=True,
             frames=C_FUTEX_WAIT + ["__pthread_clockjoin_ex", Tail("___pthread_join"),
                                    ("wait_workers", "main-join"), ("serve", "main-serve"),
                                    ("main", "main-entry")] + C_MAIN_START),
        dict(name="dl-a", state="S", syscall="futex", blocked=True, frames=teller),
        dict(name="dl-b", state="S", syscall="futex", blocked=True, frames=teller),
        dict(name="cv-wait", state="S", syscall="futex", blocked=True,
             frames=C_FUTEX_WAIT + ["__pthread_cond_wait_common", "___pthread_cond_wait",
                                    ("queue_pop", "cv-wait"), ("next_job", "cv-next"),
                                    ("dispatcher_thread", "cv-entry")] + C_THREAD_START),
        dict(name="pipe-rd", state="S", syscall="read", blocked=True,
             frames=["__GI___libc_read", "__GI___libc_read", ("read_full", "pipe-read"),
                     ("read_command", "pipe-cmd"), ("control_thread", "pipe-entry")]
             + C_THREAD_START),
        dict(name="epoll", state="S", syscall="epoll_wait", blocked=True,
             frames=["epoll_wait", ("wait_events", "epoll-wait"), ("event_loop", "epoll-loop"),
                     ("net_thread", "epoll-entry")] + C_THREAD_START),
        dict(name="sleeper", state="S", syscall="clock_nanosleep", blocked=True,
             frames=["__GI___clock_nanosleep", "__GI___nanosleep", ("nap", "sleep"),
                     ("janitor_cycle", "sleep-cycle"), ("janitor_thread", "sleep-entry")]
             + C_THREAD_START),
        dict(name="spin", state="R", syscall=None, blocked=False,
             frames=[("hash_leaf", "spin-leaf-begin..spin-leaf-end"),
                     ("hash_tree", "spin-leaf-call")] + [("hash_tree", "spin-recurse")] * 9
             + [("hasher_thread", "spin-entry")] + C_THREAD_START),
        # Wakes every 1 ms: the full stack is checked only when it is caught
        # asleep in clock_nanosleep; the outermost frames always.
        dict(name="heartbeat", state=None, syscall="clock_nanosleep", blocked=False,
             frames=["__GI___clock_nanosleep", ("heartbeat_thread", "hb-sleep")] + C_THREAD_START,
             always=["heartbeat_thread"] + C_THREAD_START),
        dict(name="stats", state=None, syscall=None, blocked=False, frames=None,
             always=["stats_thread"] + C_THREAD_START),
    ]


# ---- Rust victim: tests/victims/orderd.rs ----------------------------------

RS_SOURCE = "tests/victims/orderd.rs"
RS_THREAD_START = [
    "std::sys::backtrace::__rust_begin_short_backtrace",
    "std::thread::lifecycle::spawn_unchecked::{closure#1}::{closure#0}",
    "core::panic::unwind_safe::{impl#23}::call_once",
    "std::panicking::catch_unwind::do_call",
    "std::panicking::catch_unwind",
    "std::panic::catch_unwind",
    "std::thread::lifecycle::spawn_unchecked::{closure#1}",
    "core::ops::function::FnOnce::call_once",
    "alloc::boxed::{impl#31}::call_once",
    "std::sys::thread::unix::{impl#2}::new::thread_start",
    "start_thread",
    "clone3",
]
RS_SPAWN = "orderd::serve::{closure#0}"  # the spawn closure, inlined; its number does not matter
RS_MAIN_START = [
    "core::ops::function::FnOnce::call_once",
    "std::sys::backtrace::__rust_begin_short_backtrace",
    "std::rt::lang_start::{closure#0}",
    "core::ops::function::impls::{impl#2}::call_once",
    "std::panicking::catch_unwind::do_call",
    "std::panicking::catch_unwind",
    "std::panic::catch_unwind",
    "std::rt::lang_start_internal::{closure#0}",
    "std::panicking::catch_unwind::do_call",
    "std::panicking::catch_unwind",
    "std::panic::catch_unwind",
    "std::rt::lang_start_internal",
    "main",
] + C_MAIN_START
RS_SLEEP = ["__GI___clock_nanosleep", "std::sys::thread::unix::sleep::nanosleep",
            "std::sys::thread::unix::sleep", "std::thread::functions::sleep"]
RS_FUTEX = ["syscall", "std::sys::pal::unix::futex::futex_wait"]


def _rs_threads(main_name):
    teller = RS_FUTEX + [
        "std::sys::sync::mutex::futex::Mutex::lock_contended",
        "std::sys::sync::mutex::futex::Mutex::lock",
        "std::sync::poison::mutex::Mutex<i64>::lock<i64>",
        ("orderd::ledger::lock_pair", "dl-lock"), ("orderd::ledger::post_transfer", "dl-post"),
        ("orderd::ledger::run_teller", "dl-entry"), RS_SPAWN] + RS_THREAD_START
    return [
        dict(name=main_name, state="S", syscall="futex", blocked=True,
             frames=C_FUTEX_WAIT + [
                 "__pthread_clockjoin_ex", "std::sys::thread::unix::Thread::join",
                 "std::thread::lifecycle::JoinInner<()>::join<()>",
                 "std::thread::join_handle::JoinHandle<()>::join<()>",
                 ("orderd::wait_workers", "main-join"), ("orderd::serve", "main-serve"),
                 ("orderd::main", "main-entry")] + RS_MAIN_START),
        dict(name="dl-a", state="S", syscall="futex", blocked=True, frames=teller),
        dict(name="dl-b", state="S", syscall="futex", blocked=True, frames=teller),
        dict(name="cv-wait", state="S", syscall="futex", blocked=True,
             frames=RS_FUTEX + [
                 "std::sys::sync::condvar::futex::Condvar::wait_optional_timeout",
                 "std::sys::sync::condvar::futex::Condvar::wait",
                 "std::sync::poison::condvar::Condvar::wait<alloc::collections::vec_deque::VecDeque<orderd::jobs::Job, alloc::alloc::Global>>",
                 ("orderd::jobs::Queue::pop_blocking", "cv-wait"), ("orderd::jobs::next_job", "cv-next"),
                 ("orderd::jobs::run_dispatcher", "cv-entry"), RS_SPAWN] + RS_THREAD_START),
        dict(name="sock-rd", state="S", syscall="recvfrom", blocked=True,
             frames=["__libc_recv", "__libc_recv",
                     "std::sys::net::connection::socket::unix::Socket::recv_with_flags",
                     "std::sys::net::connection::socket::unix::Socket::read",
                     "std::os::unix::net::stream::{impl#4}::read",
                     "std::os::unix::net::stream::{impl#3}::read",
                     ("orderd::server::read_request", "sock-read"),
                     ("orderd::server::handle_connection", "sock-handle"),
                     ("orderd::server::serve_client", "sock-entry"), RS_SPAWN] + RS_THREAD_START),
        dict(name="epoll", state="S", syscall="epoll_wait", blocked=True,
             frames=["epoll_wait", ("orderd::sys::epoll_wait_forever", "epoll-sys", True),
                     ("orderd::reactor::poll_events", "epoll-wait"),
                     ("orderd::reactor::run_loop", "epoll-loop"),
                     ("orderd::reactor::run_reactor", "epoll-entry"), RS_SPAWN] + RS_THREAD_START),
        dict(name="sleeper", state="S", syscall="clock_nanosleep", blocked=True,
             frames=RS_SLEEP + [("orderd::janitor::nap", "sleep"), ("orderd::janitor::cycle", "sleep-cycle"),
                                ("orderd::janitor::run_janitor", "sleep-entry"), RS_SPAWN]
             + RS_THREAD_START),
        dict(name="spin", state="R", syscall=None, blocked=False,
             frames=[("orderd::compute::mix_leaf", "spin-leaf-begin..spin-leaf-end"),
                     ("orderd::compute::walk_tree", "spin-leaf-call")]
             + [("orderd::compute::walk_tree", "spin-recurse")] * 9
             + [("orderd::compute::run_hasher", "spin-entry"), RS_SPAWN] + RS_THREAD_START),
        dict(name="heartbeat", state=None, syscall="clock_nanosleep", blocked=False,
             frames=RS_SLEEP + [("orderd::heartbeat::run_heartbeat", "hb-sleep"), RS_SPAWN]
             + RS_THREAD_START,
             always=["orderd::heartbeat::run_heartbeat", RS_SPAWN] + RS_THREAD_START),
        dict(name="stats", state=None, syscall=None, blocked=False, frames=None,
             always=["orderd::stats::run_stats", RS_SPAWN] + RS_THREAD_START),
    ]


# Each victim build: binary name in $(OUT)/victims, debug file to place beside it.
VICTIMS = {
    "c_nofp": dict(binary="ledger-nofp", debug=None, source=C_SOURCE, threads=_c_threads("ledger-nofp")),
    "c_fp": dict(binary="ledger-fp", debug=None, source=C_SOURCE, threads=_c_threads("ledger-fp")),
    "c_debuglink": dict(binary="ledger-dbg", debug="ledger-dbg.debug", source=C_SOURCE,
                        threads=_c_threads("ledger-dbg")),
    "rust": dict(binary="orderd", debug=None, source=RS_SOURCE, threads=_rs_threads("orderd")),
}


# ---- source markers -----------------------------------------------------------

def markers(path):
    """{label: line} for every "@L:<label>" in a source file (1-based lines)."""
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            for m in re.finditer(r"@L:([A-Za-z0-9_.-]+)", line):
                if m.group(1) in out:
                    raise ValueError("%s: marker %s twice" % (path, m.group(1)))
                out[m.group(1)] = n
    return out


def marker_lines(marks, marker):
    """The allowed line numbers for a marker spec "a" or "a..b"."""
    if ".." in marker:
        a, b = marker.split("..")
        return range(marks[a], marks[b] + 1)
    return range(marks[marker], marks[marker] + 1)


# ---- name comparison ------------------------------------------------------------

_HASH = re.compile(r"::h[0-9a-f]{16}$")
_CLOSURE = re.compile(r"^\{+closure(?:_env)?(?:#\d+)?\}+$")


def _split_path(name):
    """Splits a Rust path at top-level "::" (not inside <...>)."""
    segs, depth, cur, i = [], 0, "", 0
    while i < len(name):
        c = name[i]
        if c == "<":
            depth += 1
        elif c == ">" and not (i > 0 and name[i - 1] == "-"):
            depth -= 1
        if depth == 0 and name.startswith("::", i):
            segs.append(cur)
            cur = ""
            i += 2
            continue
        cur += c
        i += 1
    segs.append(cur)
    return segs


def _strip_generics(seg):
    out, depth = "", 0
    for i, c in enumerate(seg):
        if c == "<":
            depth += 1
        elif c == ">" and not (i > 0 and seg[i - 1] == "-"):
            depth -= 1
        elif depth == 0:
            out += c
    return out


def _path_keys(segs):
    keep = []
    for s in segs:
        s = s.replace("{{vtable.shim}}", "").replace("{vtable_shim}", "")
        s = _strip_generics(s).strip()
        if not s or s.startswith("{impl") or s.startswith("{shim") or s[:1].isupper():
            continue
        if _CLOSURE.match(s):
            s = "{closure}"
        keep.append(s)
    return keep


def _drop_bounds(t):
    """"dyn Fn() + Send" -> "Fn()": cuts at the first top-level " + "."""
    depth = 0
    for i, c in enumerate(t):
        if c == "<":
            depth += 1
        elif c == ">" and not (i > 0 and t[i - 1] == "-"):
            depth -= 1
        elif depth == 0 and t.startswith(" + ", i):
            return t[:i]
    return t


def rust_keys(name):
    """Normalized forms of a Rust function name (see module doc): a set of
    (prefix, rest, exact). An exact key is the whole path in prefix. A
    qualified "<T as Trait>::f" gives inexact keys: some path that starts with
    T's or Trait's module (prefix) and ends with f (rest), since the impl block
    may sit in a submodule that the symbol does not name."""
    name = _HASH.sub("", name.strip())
    segs = _split_path(name)
    head = segs[0]
    if head.startswith("<") and head.endswith(">"):
        inner = head[1:-1]
        rest = tuple(_path_keys(segs[1:]))
        if inner.startswith("impl "):
            return {((), rest, False)}
        m = re.match(r"^(.*?) as (.*)$", inner)
        parts = [m.group(1), m.group(2)] if m else [inner]
        keys = set()
        for part in parts:
            part = re.sub(r"^(?:&(?:mut )?|\*(?:const|mut) |dyn )+", "", part.strip())
            keys.add((tuple(_path_keys(_split_path(_drop_bounds(part)))), rest, not m))
        return {(p + r, (), True) if exact else (p, r, False) for p, r, exact in keys}
    out = [s for s in segs if not (s.startswith("<impl ") and s.endswith(">"))]
    return {(tuple(_path_keys(out)), (), True)}


def _key_match(a, b):
    (pa, ra, ea), (pb, rb, eb) = a, b
    if ea and eb:
        return pa == pb
    if not ea and not eb:
        return ra == rb and (pa[:len(pb)] == pb or pb[:len(pa)] == pa)
    full, (p, r) = (pa, (pb, rb)) if ea else (pb, (pa, ra))
    return (len(full) >= len(p) + len(r) and full[:len(p)] == p
            and full[len(full) - len(r):] == r)


def rust_names_match(a, b):
    return any(_key_match(x, y) for x in rust_keys(a) for y in rust_keys(b))


def is_rust_name(name):
    return "::" in name


class Symbols:
    """Alias sets of a module: name -> addresses, from the ELF and its debug file."""

    def __init__(self):
        self._cache = {}

    @staticmethod
    def _readelf_syms(path):
        out = {}
        try:
            text = subprocess.run(["readelf", "-Ws", "--wide", path], capture_output=True,
                                  encoding="utf-8", errors="replace", timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            return out
        for line in text.splitlines():
            f = line.split()
            if len(f) >= 8 and f[3] in ("FUNC", "IFUNC", "NOTYPE") and f[6] != "UND":
                try:
                    addr = int(f[1], 16)
                except ValueError:
                    continue
                out.setdefault(f[7].split("@")[0], set()).add(addr)
        return out

    @staticmethod
    def _debug_files(path, root):
        files = []
        try:
            notes = subprocess.run(["readelf", "-n", "--wide", path], capture_output=True,
                                   encoding="utf-8", errors="replace", timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            notes = ""
        m = re.search(r"Build ID: ([0-9a-f]+)", notes)
        if m:
            b = m.group(1)
            for r in (root, "/"):
                files.append(os.path.join(r, "usr/lib/debug/.build-id", b[:2], b[2:] + ".debug"))
        try:
            link = subprocess.run(["readelf", "--string-dump=.gnu_debuglink", path],
                                  capture_output=True, encoding="utf-8", errors="replace", timeout=30).stdout
            m = re.search(r"\]\s+(\S+)", link)
            if m:
                files.append(os.path.join(os.path.dirname(path), m.group(1)))
        except (OSError, subprocess.TimeoutExpired):
            pass
        return [f for f in files if os.path.exists(f)]

    def table(self, module, root):
        """Symbols of MODULE (a path as the target sees it) read through ROOT (/proc/PID/root)."""
        key = (module, root)
        if key not in self._cache:
            path = os.path.join(root, module.lstrip("/")) if module else None
            tab = {}
            if path and os.path.exists(path):
                for p in [path] + self._debug_files(path, root):
                    for n, a in self._readelf_syms(p).items():
                        tab.setdefault(n, set()).update(a)
            self._cache[key] = tab
        return self._cache[key]


def names_match(expected, got, module=None, root="/", symbols=None):
    """True when rsample's function name GOT matches gdb's name EXPECTED (see module doc)."""
    if not got:
        return False
    got = got.split("@")[0] if not is_rust_name(got) else got
    if expected == got:
        return True
    if is_rust_name(expected) or is_rust_name(got):
        return rust_names_match(expected, got)
    if symbols is not None and module:
        tab = symbols.table(module, root)
        a, b = tab.get(expected), tab.get(got)
        return bool(a and b and a & b)
    return False


# ---- gdb output ---------------------------------------------------------------

_GDB_THREAD = re.compile(r'^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\) "([^"]*)"\):')
_GDB_FRAME = re.compile(r"^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(.*)$")


def _gdb_name(rest):
    """Function name of a gdb frame line: up to the " (" that opens the arguments."""
    depth = 0
    for i, c in enumerate(rest):
        if c == "<":
            depth += 1
        elif c == ">" and not (i > 0 and rest[i - 1] == "-"):
            depth -= 1
        elif depth == 0 and rest.startswith(" (", i):
            return rest[:i]
    return rest.split(" ")[0]


def parse_gdb(text):
    """{thread name: [(function, file, line, has_address)]} from 'thread apply all bt'."""
    threads, cur = {}, None
    for line in text.splitlines():
        m = _GDB_THREAD.match(line)
        if m:
            cur = threads.setdefault(m.group(2), [])
            continue
        m = _GDB_FRAME.match(line)
        if m and cur is not None:
            rest = m.group(3)
            name = _gdb_name(rest)
            fl = re.search(r" at (\S+):(\d+)$", rest)
            cur.append((name, fl.group(1) if fl else None, int(fl.group(2)) if fl else 0,
                        m.group(2) is not None))
    return threads


# ---- tests/victims/ledger.c built static (hostile.mk's ledger-static) --------
# Threads whose frames the static and podman suites check, innermost first, as consecutive
# frames of the thread's user stack; the first of each has ledger.c's file:line (DWARF).

LEDGER_STATIC = {
    "dl-a": ["lock_pair", "post_transfer", "teller_thread", "start_thread", "clone3"],
    "cv-wait": ["queue_pop", "next_job", "dispatcher_thread", "start_thread", "clone3"],
    "pipe-rd": ["read_full", "read_command", "control_thread", "start_thread", "clone3"],
    "sleeper": ["nap", "janitor_cycle", "janitor_thread", "start_thread", "clone3"],
}


def ledger_static_errors(proc):
    """What a --json process of ledger-static gets wrong against LEDGER_STATIC ([] if
    nothing): a thread missing, an incomplete DWARF unwind, frames not in order, the
    first frame without file:line, no kernel frames."""
    threads = {t["name"]: t for t in proc["threads"]}
    errs = []
    for name, want in LEDGER_STATIC.items():
        t = threads.get(name)
        if not t:
            errs.append("no thread %r in %s" % (name, sorted(threads)))
            continue
        names = [fr.get("function") for fr in t["user_stack"]]
        if t["unwind"]["method"] != "dwarf" or not t["unwind"]["complete"]:
            errs.append("%s: unwind %s" % (name, t["unwind"]))
        if not any(names[i:i + len(want)] == want for i in range(len(names) - len(want) + 1)):
            errs.append("%s: frames %s do not hold %s in order" % (name, names, want))
        top = [fr for fr in t["user_stack"] if fr.get("function") == want[0]]
        if top and not ((top[0].get("file") or "").endswith("tests/victims/ledger.c")
                        and top[0].get("line")):
            errs.append("%s: %s has no file:line: %s" % (name, want[0], top[0]))
        if not t["kernel_stack"]:
            errs.append("%s: no kernel frames" % name)
    return errs
