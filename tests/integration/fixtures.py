# SPDX-License-Identifier: GPL-2.0
"""The recorded runs the tests assert on (tests/integration).

VictimRun starts one victim build in a fresh cgroup + PID/mount namespace, waits
2 s after it is ready, records what /proc says, runs rsample five ways under a
StopMonitor, reads the victim's own counters and kills it; its check_* methods
turn a snapshot into a list of errors. GdbPeer does the same with gdb on a
separate instance (never on one the tests check).
"""

import os
import re
import shutil
import subprocess
import time
import traceback

import expect
import launch
from observe import (BLOCK_TOL_NS, REPO, SETTLE_S, VICTIM_DIR, fmt_ms, hb_gap, note,
                     proc_threads, run_rsample)

# ---- per-victim fixture -------------------------------------------------------

class VictimRun:
    """Starts one victim build, snapshots it five ways, records everything, stops it."""

    def __init__(self, key, deleted=False):
        self.key = key
        self.deleted = deleted  # remove the binary before snapshotting
        self.label = key + (" (binary deleted)" if deleted else "")
        self.spec = expect.VICTIMS[key]
        self.marks = expect.markers(os.path.join(REPO, self.spec["source"]))
        self.symbols = expect.Symbols()
        self.runs = {}
        self.oncpu_tries = 0
        self.taken_lag_ns = 0  # how long after taken_at_unix_ns the threads were captured
        self.error = None
        self._done = False

    def ensure(self):
        if not self._done:
            self._done = True
            try:
                self._run()
            except Exception:  # each test that needs it reports it
                self.error = traceback.format_exc()
        if self.error:
            raise RuntimeError("setting up %s failed:\n%s" % (self.key, self.error))

    def _run(self):
        spec = self.spec
        binary = os.path.join(VICTIM_DIR, spec["binary"])
        debug = os.path.join(VICTIM_DIR, spec["debug"]) if spec["debug"] else None
        v = launch.Victim(binary, debug_file=debug)
        try:
            v.start()
            self.ready_ns = v.state()["now"]
            time.sleep(SETTLE_S)
            self.host_pid, self.exe, self.root = v.host_pid, v.exe, "/proc/%d/root" % v.host_pid
            self.cgroup_rel = v.cgroup_rel.lstrip("/")
            self.proc_before = proc_threads(v.host_pid)
            self.state_before = v.state()
            by_name = {d["comm"]: d for d in self.proc_before.values()}
            self.tid_target = by_name["epoll"]["tid"]
            self.spin_tid = by_name["spin"]["tid"]
            if self.deleted:
                # Deleted inside the container: readable only through /proc/PID/map_files.
                os.unlink(self.root + self.exe)
                self.runs["pid"] = run_rsample(["--pid", str(v.host_pid), "--json"], v.host_pid)
            else:
                self._snapshots(v)
            self._finish(v)
        finally:
            v.stop()
        self._notes()

    def _snap(self, v, args, **kw):
        """run_rsample, and the heartbeat gaps of its run read at once: the victim keeps
        only its last ~10 s of slots, and a slow machine (TCG) takes longer than that
        for all the runs of a fixture."""
        r = run_rsample(args, v.host_pid, **kw)
        time.sleep(0.25)  # the victim rewrites its state file every 100 ms
        r.hb_gap_ns = hb_gap(v.state(), r.t0, r.t1)
        return r

    def _snapshots(self, v):
        self.runs["cgroup"] = self._snap(v, ["--cgroup", self.cgroup_rel, "--json"])
        self.runs["pid"] = self._snap(v, ["--pid", str(v.host_pid), "--json"])
        self.runs["tid"] = self._snap(v, ["--tid", str(self.tid_target), "--json"])
        self.runs["text"] = self._snap(v, ["--cgroup", self.cgroup_rel])
        # Kernel frames named by the kernel (the capture's own names) and, forced, by
        # /proc/kallsyms: --timings says which way each run went.
        self.runs["knames"] = self._snap(v, ["--pid", str(v.host_pid), "--json", "--timings"])
        self.runs["kallsyms"] = self._snap(v, ["--pid", str(v.host_pid), "--json", "--timings"],
                                           env={"RSAMPLE_KSYMS": "kallsyms"})
        # The on-CPU path, deterministically: the spinning thread alone on the last
        # CPU, rsample on the others, so it is on a CPU when captured. Another
        # process may still preempt it on a busy machine: up to 15 tries.
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return
        os.sched_setaffinity(self.spin_tid, {cpus[-1]})
        time.sleep(0.1)
        for self.oncpu_tries in range(1, 16):
            r = run_rsample(["--tid", str(self.spin_tid), "--json"], v.host_pid,
                            cpus=set(cpus[:-1]))
            self.runs["oncpu"] = r
            ts = [t for p in (r.doc or {}).get("processes") or [] for t in p.get("threads") or []]
            if r.rc != 0 or any(t.get("on_cpu") for t in ts):
                break

    def _finish(self, v):
        """Reads the victim's state and the modules' symbols after the runs."""
        self.proc_after = proc_threads(v.host_pid)
        time.sleep(0.35)  # the victim rewrites its state file every 100 ms
        self.state_after = v.state()
        self.wall_offset_ns = time.time_ns() - time.monotonic_ns()
        for r in self.runs.values():
            if r.hb_gap_ns is None:
                r.hb_gap_ns = hb_gap(self.state_after, r.t0, r.t1)
        # Read the modules' symbol tables while /proc/PID/root still exists.
        for r in self.runs.values():
            for p in (r.doc or {}).get("processes", []) or []:
                for t in p.get("threads", []) or []:
                    for f in t.get("user_stack", []) or []:
                        if f.get("module"):
                            self.symbols.table(f["module"], self.root)
        first = min(r.t0 for r in self.runs.values())
        self.idle_gap_ns = hb_gap(self.state_after, self.ready_ns + 100_000_000,
                                  first - 100_000_000)

    def _notes(self):
        note("%s: heartbeat max gap while idle (2 s before the first run): %s"
             % (self.label, fmt_ms(self.idle_gap_ns)))
        for name, r in self.runs.items():
            note("%s: rsample %s: exit %s, wall %.3f s, heartbeat max gap %s, %d monitor samples%s"
                 % (self.label, name, r.rc, r.wall, fmt_ms(r.hb_gap_ns), r.monitor_samples,
                    " (try %d)" % self.oncpu_tries if name == "oncpu" else ""))

    # -- checks -------------------------------------------------------------

    def thread_specs(self):
        return {s["name"]: s for s in self.spec["threads"]}

    def check_process(self, run, expect_all=True):
        """Errors in a snapshot's process entry; returns (errors, process dict)."""
        errs = []
        if run.rc != 0:
            return [run.describe()], None
        if run.doc is None:
            return ["invalid JSON: %s" % run.json_error], None
        if run.doc.get("schema_version") != 1:
            errs.append("schema_version is %r, want 1" % run.doc.get("schema_version"))
        procs = run.doc.get("processes")
        if not isinstance(procs, list) or len(procs) != 1:
            return errs + ["want exactly 1 process, got %r" % (
                [(p.get("pid"), p.get("comm")) for p in procs] if isinstance(procs, list) else procs)], None
        p = procs[0]
        want = {"pid": self.host_pid, "ns_pid": self.state_before["pid"],
                "comm": self.spec["binary"][:15], "exe": self.exe}
        for k, w in want.items():
            if p.get(k) != w and not (k == "exe" and self.deleted and p.get(k) == w + " (deleted)"):
                errs.append("process %s: got %r, want %r" % (k, p.get(k), w))
        if self.state_before["pid"] != 1:
            errs.append("victim is pid %r in its namespace, want 1" % self.state_before["pid"])
        if expect_all:
            got = sorted(t.get("name") for t in p.get("threads", []))
            wantn = sorted(self.thread_specs())
            if got != wantn:
                errs.append("threads: got %s, want %s" % (got, wantn))
        return errs, p

    def check_thread(self, t, run):
        """Every expectation on one thread entry of a snapshot; a list of errors."""
        name = t.get("name")
        spec = self.thread_specs().get(name)
        if spec is None:
            return ["unexpected thread %r" % name]
        errs = []
        e = errs.append
        st = self.state_before["threads_by_name"].get(name, {})
        proc = {d["ns_tid"]: d for d in self.proc_before.values()}.get(st.get("ns_tid"))
        if proc is None:
            return ["%s: victim did not record its tid" % name]
        if t.get("ns_tid") != st["ns_tid"]:
            e("%s: ns_tid %r, want %r" % (name, t.get("ns_tid"), st["ns_tid"]))
        if t.get("tid") != proc["tid"]:
            e("%s: tid %r, want host tid %r" % (name, t.get("tid"), proc["tid"]))
        state = t.get("state")
        if spec["state"] and state != spec["state"]:
            e("%s: state %r, want %r" % (name, state, spec["state"]))
        # A thread with no fixed state (the stats writer) may be caught in D
        # while its write waits for the page cache; blocked ones never are.
        if state not in (("R", "S") if spec["state"] else ("R", "S", "D")):
            e("%s: state %r" % (name, state))
        # A thread on a CPU has stale saved registers: rsample must capture it by
        # perf in its own context. A runnable thread that is not on a CPU (say,
        # preempted by rsample itself on a small machine) has valid saved ones.
        if t.get("on_cpu") and not t.get("from_perf"):
            e("%s: on a CPU but not captured by perf (stale registers)" % name)
        sc = t.get("syscall") or {}
        if spec["state"] == "S":
            if sc.get("name") != spec["syscall"]:
                e("%s: syscall %r, want %r" % (name, sc.get("name"), spec["syscall"]))
            if sc.get("nr") != proc["syscall_nr"]:
                e("%s: syscall nr %r, /proc says %r" % (name, sc.get("nr"), proc["syscall_nr"]))
            if not isinstance(sc.get("args"), list) or len(sc.get("args")) < 3:
                e("%s: syscall args %r" % (name, sc.get("args")))
        if spec["blocked"]:
            errs += self.check_blocked(t, st, run)
        errs += self.check_user_stack(t, spec, sc)
        uw = t.get("unwind") or {}
        if uw.get("complete") is not True:
            e("%s: unwind not complete: %r" % (name, uw))
        if self.key != "c_fp" and uw.get("method") not in ("dwarf", "dwarf+fp"):
            e("%s: unwind method %r on a build without frame pointers" % (name, uw.get("method")))
        if state == "S" and not t.get("kernel_stack"):
            e("%s: no kernel stack" % name)
        return errs

    def check_blocked(self, t, st, run):
        name = t.get("name")
        b = t.get("blocked_ns")
        start = st.get("block_start_ns")
        if not isinstance(b, int):
            return ["%s: blocked_ns %r" % (name, b)]
        lo = run.t0 - start - BLOCK_TOL_NS
        hi = run.t1 - start + BLOCK_TOL_NS
        errs = []
        if not lo <= b <= hi:
            errs.append("%s: blocked %.3f s, the victim blocked %.3f-%.3f s before the snapshot (+-0.2 s)"
                        % (name, b / 1e9, (run.t0 - start) / 1e9, (run.t1 - start) / 1e9))
        taken = run.doc.get("taken_at_unix_ns") if run.doc else None
        if isinstance(taken, int) and start + b < taken - self.wall_offset_ns - BLOCK_TOL_NS:
            errs.append("%s: blocked %.3f s puts the capture %.3f s before the snapshot's taken_at"
                        % (name, b / 1e9, (taken - self.wall_offset_ns - start - b) / 1e9))
        return errs

    def check_capture_instants(self, p, run):
        """Block start + blocked_ns is the capture instant: the same for every thread
        of one snapshot, within the capture spread and +-0.2 s."""
        inst = {}
        for t in p.get("threads", []):
            spec = self.thread_specs().get(t.get("name"))
            st = self.state_before["threads_by_name"].get(t.get("name"), {})
            if spec and spec["blocked"] and isinstance(t.get("blocked_ns"), int):
                inst[t["name"]] = st["block_start_ns"] + t["blocked_ns"]
        if len(inst) < 2:
            return []
        spread = run.doc.get("capture_spread_ns") or 0
        lo, hi = min(inst.values()), max(inst.values())
        taken = run.doc.get("taken_at_unix_ns")
        if isinstance(taken, int):
            self.taken_lag_ns = max(self.taken_lag_ns, lo - (taken - self.wall_offset_ns))
        if hi - lo > spread + BLOCK_TOL_NS:
            return ["blocked_ns inconsistent across threads: block start + blocked_ns spans %.3f s "
                    "(capture spread %.3f s): %s" % ((hi - lo) / 1e9, spread / 1e9, {
                        n: "%.3f" % ((i - lo) / 1e9) for n, i in sorted(inst.items())})]
        return []

    def frame_ok(self, exp, f, idx, name):
        """Errors for one user frame against an expected entry (name or (name, marker))."""
        errs = []
        want, marker = expect.frame_name(exp), expect.frame_marker(exp)
        got = f.get("function")
        if not expect.names_match(want, got, f.get("module"), self.root, self.symbols):
            return ["#%d %s, want %s" % (idx, self.fmt_frame(f), want)]
        if bool(f.get("tailcall")) != expect.frame_tailcall(exp):
            errs.append("#%d %s: tailcall is %r, want %r" % (idx, got, f.get("tailcall"),
                                                            expect.frame_tailcall(exp)))
        if marker and not marker.startswith("-"):
            lines = expect.marker_lines(self.marks, marker)
            src = os.path.basename(self.spec["source"])
            if not (f.get("file") or "").endswith(src) or f.get("line") not in lines:
                errs.append("#%d %s: want %s:%s" % (idx, self.fmt_frame(f), src,
                                                     lines[0] if len(lines) == 1 else
                                                     "%d-%d" % (lines[0], lines[-1])))
            if f.get("module") != self.exe:
                errs.append("#%d %s: module %r, want %r" % (idx, got, f.get("module"), self.exe))
            if bool(f.get("inlined")) != expect.frame_inlined(exp):
                errs.append("#%d %s: inlined is %r, want %r" % (idx, got, f.get("inlined"),
                                                              expect.frame_inlined(exp)))
        return errs

    @staticmethod
    def fmt_frame(f):
        return "%s%s%s (%s:%s)" % (f.get("function"), " [i]" if f.get("inlined") else "",
                                   " [t]" if f.get("tailcall") else "", f.get("file"),
                                   f.get("line"))

    def check_user_stack(self, t, spec, sc):
        name = t.get("name")
        frames = t.get("user_stack") or []
        for f in frames:  # DESIGN.md 4: demangled, Rust's ::h<hash> dropped
            fn = f.get("function") or ""
            if re.search(r"::h[0-9a-f]{16}$", fn) or re.match(r"^(_ZN|_R[A-Z])", fn):
                return ["%s: mangled or hashed name %r" % (name, fn)]
        full = spec["frames"] is not None and (
            spec["state"] is not None or (t.get("state") == "S" and sc.get("name") == spec["syscall"]))
        if full:
            def match(exp, f):
                return expect.names_match(expect.frame_name(exp), f.get("function"),
                                          f.get("module"), self.root, self.symbols)
            pairs, errs = expect.align(spec["frames"], frames, match)
            for exp, j in pairs:
                errs += self.frame_ok(exp, frames[j], j, name)
            if errs:
                return ["%s: user stack differs:\n      %s\n    got:\n      %s\n    want:\n      %s" % (
                    name, "\n      ".join(errs),
                    "\n      ".join(self.fmt_frame(f) for f in frames),
                    "\n      ".join(str(x) for x in spec["frames"]))]
            return []
        tail = spec.get("always") or []
        got_tail = frames[len(frames) - len(tail):] if len(frames) >= len(tail) else frames
        if len(got_tail) != len(tail) or any(
                self.frame_ok(x, f, i, name) for i, (x, f) in enumerate(zip(tail, got_tail))):
            return ["%s: outermost frames %s, want %s" % (
                name, [self.fmt_frame(f) for f in got_tail], tail)]
        return []

    def check_snapshot(self, run, expect_all=True):
        errs, p = self.check_process(run, expect_all)
        if p is None:
            return errs
        for t in p.get("threads", []):
            errs += self.check_thread(t, run)
        return errs + self.check_capture_instants(p, run)


_fixtures = {}


def fixture(key, deleted=False):
    """The recorded runs of victim build KEY, made on first use (see VictimRun)."""
    if (key, deleted) not in _fixtures:
        _fixtures[key, deleted] = VictimRun(key, deleted)
    _fixtures[key, deleted].ensure()
    return _fixtures[key, deleted]


# ---- peers: gdb on separate victim instances --------------------------------------

class GdbPeer:
    """A separate victim instance: one rsample run, then one gdb run, with heartbeat gaps."""

    def __init__(self, key):
        self.key = key
        self.spec = expect.VICTIMS[key]
        self.error = None
        self._done = False

    def ensure(self):
        if not self._done:
            self._done = True
            try:
                self._run()
            except Exception:  # each test that needs it reports it
                self.error = traceback.format_exc()
        if self.error:
            raise RuntimeError("setting up %s failed:\n%s" % (self.key, self.error))

    def _run(self):
        v = launch.Victim(os.path.join(VICTIM_DIR, self.spec["binary"]), prefix="rsample-test-gdb-")
        try:
            v.start()
            time.sleep(1.0)
            self.exe, self.root = v.exe, "/proc/%d/root" % v.host_pid
            self.rs = run_rsample(["--pid", str(v.host_pid), "--json"], v.host_pid)
            time.sleep(0.5)
            st = v.state()
            eintr_before = st["eintr_total"]
            # now: the victim keeps ~10 s of slots, gdb may take longer than that (TCG)
            self.rs.hb_gap_ns = hb_gap(st, self.rs.t0, self.rs.t1)
            if not shutil.which("gdb"):
                raise RuntimeError("gdb is not installed: the stall comparison needs it")
            t0 = time.monotonic_ns()
            g = subprocess.run(["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off",
                                "-ex", "set backtrace past-main on", "-ex", "thread apply all bt",
                                "-p", str(v.host_pid)], capture_output=True, encoding="utf-8",
                               errors="replace", timeout=600)
            t1 = time.monotonic_ns()
            self.gdb_wall = (t1 - t0) / 1e9
            self.gdb_out = g.stdout
            time.sleep(0.35)
            st = v.state()
            self.gdb_gap_ns = hb_gap(st, t0, t1)
            self.gdb_eintr = st["eintr_total"] - eintr_before
            self.symbols = expect.Symbols()
            libc = [l.split()[-1] for l in open("/proc/%d/maps" % v.host_pid) if "libc.so" in l]
            self.modules = [v.exe] + libc[:1]
            for m in self.modules:
                self.symbols.table(m, self.root)
        finally:
            v.stop()
        note("%s: stall imposed: rsample --pid max heartbeat gap %s (wall %.3f s) vs gdb "
             "'thread apply all bt' %s (wall %.3f s); EINTR caused by gdb: %d"
             % (self.key, fmt_ms(self.rs.hb_gap_ns), self.rs.wall, fmt_ms(self.gdb_gap_ns),
                self.gdb_wall, self.gdb_eintr))

    def names_match(self, want, got):
        return any(expect.names_match(want, got, m, self.root, self.symbols) for m in self.modules)


_peers = {}


def peer(key):
    if key not in _peers:
        _peers[key] = GdbPeer(key)
    _peers[key].ensure()
    return _peers[key]
