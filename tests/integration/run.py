# SPDX-License-Identifier: GPL-2.0
"""rsample integration suite: real BPF, real victims in a cgroup + PID/mount namespace.

Run as root by `make integration` (or: RSAMPLE=build/rsample RS_VICTIMS=build/victims
python3 tests/integration/run.py [-k PATTERN]). Prints "N passed, M failed[, K skipped]"
as its last line and exits non-zero when anything failed. Tests skip only when BPF
cannot work here at all (not root, no /sys/kernel/btf/vmlinux), saying "SKIPPED: why".

For each victim build (C without/with frame pointers, C stripped with a debuglink,
Rust) one instance is started in a fresh cgroup, PID and mount namespace; the suite
waits 2 s after it is ready, records what /proc says (thread ids, syscalls, kernel
stacks - reading /proc never stops a task), runs rsample with --cgroup, --pid, --tid,
the text report and --tid of the spinning thread pinned alone on a CPU, while a
monitor samples /proc/PID/task/*/status every 2 ms, reads the victim's own counters
(EINTR, heartbeat gaps) and kills it. The tests then assert on what was recorded
(fixtures.py); the expected stacks and the allowed differences from gdb are in
expect.py, the launcher in launch.py. The suite never ptraces a victim it checks; gdb runs only on
separate instances, to compare stalls and to re-check the expected stacks.
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expect  # noqa: E402
import suite  # noqa: E402  (tests/integration/suite.py)
import launch  # noqa: E402
import rank  # noqa: E402
from fixtures import fixture, peer  # noqa: E402
from observe import (BACKEND, NOTES, REPO, RSAMPLE, RUN_TIMEOUT_S, SCHEMA_CHECKED, SKIP,  # noqa: E402
                     VICTIM_DIR, Run, fmt_ms, note, proc_threads, run_rsample, with_backend)


def require_bpf(test):
    if SKIP:
        test.skipTest(SKIP)  # said as "SKIPPED: why" by suite.Result


def fail_if(test, errs):
    if errs:
        test.fail("\n  " + "\n  ".join(errs))


class VictimTests:
    """The same checks for each victim build (mixed into one TestCase per build)."""

    key = None

    def setUp(self):
        require_bpf(self)
        self.fx = fixture(self.key)

    def test_cgroup_json(self):
        """--cgroup REL --json: every thread's name, ids, state, syscall, blocked-for, stack."""
        fail_if(self, self.fx.check_snapshot(self.fx.runs["cgroup"]))

    def test_pid_json(self):
        """--pid HOSTPID --json: the same answers as --cgroup."""
        fail_if(self, self.fx.check_snapshot(self.fx.runs["pid"]))

    def test_tid_json(self):
        """--tid HOSTTID --json: exactly that one thread."""
        run = self.fx.runs["tid"]
        errs, p = self.fx.check_process(run, expect_all=False)
        if p is not None:
            tids = [t.get("tid") for t in p.get("threads", [])]
            if tids != [self.fx.tid_target]:
                errs.append("threads %r, want only tid %d" % (tids, self.fx.tid_target))
            for t in p.get("threads", []):
                errs += self.fx.check_thread(t, run)
        fail_if(self, errs)

    def test_deadlock_found(self):
        """The two tellers' mutexes: each one's owner is the other, and the cycle is a deadlock.

        glibc mutexes record their owner; Rust's std Mutex does not, so there the
        threads must carry no lock claim at all rather than a guessed one."""
        run = self.fx.runs["cgroup"]
        threads = {t.get("name"): t for p in (run.doc or {}).get("processes") or []
                   for t in p.get("threads") or []}
        a, b = threads.get("dl-a"), threads.get("dl-b")
        if a is None or b is None:
            self.fail("no dl-a/dl-b threads in %r" % sorted(threads))
        if self.key == "rust":
            fail_if(self, ["%s: lock %r, want null (std Mutex keeps no owner)" % (t["name"], t["lock"])
                           for t in (a, b) if t.get("lock") is not None])
            return
        errs = []
        for t, other in ((a, b), (b, a)):
            lock = t.get("lock") or {}
            if lock.get("owner_tid") != other["tid"] or lock.get("owner_ns_tid") != other["ns_tid"]:
                errs.append("%s: lock %r, want owner tid %d (ns %d)"
                            % (t["name"], lock, other["tid"], other["ns_tid"]))
            if not lock.get("deadlock"):
                errs.append("%s: not marked as in a deadlock: %r" % (t["name"], lock))
            if lock.get("addr") != (t.get("syscall") or {}).get("args", [None])[0]:
                errs.append("%s: lock addr %r is not the futex address" % (t["name"], lock.get("addr")))
        procs = (run.doc or {}).get("processes") or [{}]
        if procs[0].get("deadlocks") != 1:
            errs.append("process deadlocks %r, want 1" % procs[0].get("deadlocks"))
        others = [t["name"] for t in threads.values() if t.get("lock") and t not in (a, b)]
        if others:
            errs.append("lock claimed for threads not waiting on a mutex: %r" % others)
        if "DEADLOCK: tid %d" % min(a["tid"], b["tid"]) not in (self.fx.runs["text"].stdout or ""):
            errs.append("the text report has no DEADLOCK line")
        fail_if(self, errs)

    def test_on_cpu_capture(self):
        """The spinning thread, alone on a CPU: R, on_cpu, captured by perf, its recursion unwound."""
        run = self.fx.runs.get("oncpu")
        if run is None:
            self.assertEqual(len(os.sched_getaffinity(0)), 1)
            run = self.fx.runs["cgroup"]  # one CPU: rsample itself preempts the spinner
        errs, p = self.fx.check_process(run, expect_all=False)
        if p is not None:
            ts = p.get("threads", [])
            if [t.get("name") for t in ts] != ["spin"] and run is self.fx.runs.get("oncpu"):
                errs.append("threads %r, want only spin" % [t.get("name") for t in ts])
            for t in ts:
                if t.get("name") != "spin":
                    continue
                if run is self.fx.runs.get("oncpu") and not (t.get("on_cpu") and t.get("from_perf")):
                    errs.append("spin: on_cpu %r, from_perf %r, want both true"
                                % (t.get("on_cpu"), t.get("from_perf")))
                errs += self.fx.check_thread(t, run)
        fail_if(self, errs)

    def test_kernel_stacks(self):
        """Kernel frames of every blocked thread equal /proc/PID/task/TID/stack."""
        run = self.fx.runs["cgroup"]
        errs, p = self.fx.check_process(run)
        if p is None:
            fail_if(self, errs)
        checked = 0
        for t in p.get("threads", []):
            before, after = self.fx.proc_before.get(t.get("tid")), self.fx.proc_after.get(t.get("tid"))
            if not before or not after or before["kstack"] != after["kstack"] or t.get("state") != "S":
                continue  # /proc is an oracle only for a thread that did not move
            if t.get("name") in ("heartbeat", "stats"):
                continue
            got = [re.sub(r"\+0x[0-9a-f]+(/0x[0-9a-f]+)?$", "", k.get("function") or "?")
                   for k in t.get("kernel_stack") or []]
            checked += 1
            if got != before["kstack"]:
                errs.append("%s: kernel stack %s, /proc says %s" % (t.get("name"), got, before["kstack"]))
            for k in t.get("kernel_stack") or []:
                if not re.match(r"^0xffff[0-9a-f]{12}$", str(k.get("addr"))):
                    errs.append("%s: kernel frame address %r" % (t.get("name"), k.get("addr")))
                    break
        if checked < 7:
            errs.append("only %d blocked threads had a stable /proc stack to compare" % checked)
        fail_if(self, errs)

    def test_kernel_names_equal_kallsyms(self):
        """Kernel frames named by the kernel (%pB of exactly the captured PCs) are the
        ones /proc/kallsyms names: same function, offset and module for every frame of
        every thread, and /proc/PID/task/TID/stack's names where the thread did not move."""
        runs = self.fx.runs
        errs = []
        for name in ("knames", "kallsyms"):
            if runs[name].rc != 0 or runs[name].doc is None:
                errs.append("%s run: exit %s, %s" % (name, runs[name].rc,
                                                     runs[name].json_error or runs[name].stderr[-300:]))
        fail_if(self, errs)
        read = "timings: kallsyms: read (frames not named by the kernel)"
        named = "timings: capture: kernel frames named ("
        if BACKEND != "proc":
            if read in runs["knames"].stderr or named not in runs["knames"].stderr:
                errs.append("the normal run did not name its kernel frames by the kernel:\n%s"
                            % runs["knames"].stderr)
            if read not in runs["kallsyms"].stderr or named in runs["kallsyms"].stderr:
                errs.append("RSAMPLE_KSYMS=kallsyms did not read /proc/kallsyms:\n%s"
                            % runs["kallsyms"].stderr)
        elif read in runs["knames"].stderr:
            errs.append("the /proc backend's capture had kallsyms read twice")

        def kframes(run):
            return {t["tid"]: (t.get("state"), [(k.get("addr"), k.get("function"), k.get("offset"),
                                                 k.get("module")) for k in t.get("kernel_stack") or []])
                    for p in run.doc.get("processes") or [] for t in p.get("threads") or []}
        a, b = kframes(runs["knames"]), kframes(runs["kallsyms"])
        frames = same = checked = 0
        for tid, (state, ka) in a.items():
            before, after = self.fx.proc_before.get(tid), self.fx.proc_after.get(tid)
            if tid not in b or state != "S" or b[tid][0] != "S":
                continue
            kb = b[tid][1]
            if [f[0] for f in ka] != [f[0] for f in kb]:
                continue  # the thread moved between the two runs: other PCs
            same += 1
            frames += len(ka)
            for fa, fb in zip(ka, kb):
                if fa != fb:
                    errs.append("tid %d: frame %s named %r by the kernel, %r by kallsyms"
                                % (tid, fa[0], fa[1:], fb[1:]))
                if not fa[1]:
                    errs.append("tid %d: frame %s has no name" % (tid, fa[0]))
            if before and after and before["kstack"] == after["kstack"]:
                checked += 1
                if [f[1] for f in ka] != before["kstack"]:
                    errs.append("tid %d: kernel stack %s, /proc says %s"
                                % (tid, [f[1] for f in ka], before["kstack"]))
        if same < 7 or checked < 7 or frames < 7 * 4:
            errs.append("only %d threads (%d frames) with the same PCs in both runs, %d with a "
                        "stable /proc stack" % (same, frames, checked))
        fail_if(self, errs)

    def test_not_stopped_nor_disturbed(self):
        """No t/T state and TracerPid 0 throughout every run; no EINTR; heartbeat gaps recorded."""
        if self.fx.taken_lag_ns:
            note("%s: threads captured up to %s after the snapshot's taken_at_unix_ns"
                 % (self.key, fmt_ms(self.fx.taken_lag_ns)))
        errs = []
        for name, r in self.fx.runs.items():
            if r.violations:
                errs.append("during %s: %s" % (name, "; ".join(sorted(set(r.violations))[:10])))
            if r.monitor_samples < 3:
                errs.append("during %s: the monitor took only %d samples" % (name, r.monitor_samples))
            if r.hb_gap_ns is None:
                errs.append("during %s: no heartbeat recorded" % name)
        sa = self.fx.state_after
        if sa["eintr_total"] != 0:
            errs.append("EINTR/spurious wake-ups in the victim: %s" % {
                n: (t["eintr"], t["spurious"]) for n, t in sa["threads_by_name"].items()
                if t["eintr"] or t["spurious"]})
        if sa["hb_count"] <= self.fx.state_before["hb_count"]:
            errs.append("the victim's heartbeat did not advance during the runs")
        note("%s: heartbeat since ready: max gap %s, %d wake-ups >1 ms late, %d >10 ms late"
             % (self.key, fmt_ms(sa["hb_max_gap_ns"]), sa["hb_late_1ms"], sa["hb_late_10ms"]))
        fail_if(self, errs)

    def test_text_report(self):
        """The text report names every thread and the victim's blocking functions."""
        r = self.fx.runs["text"]
        if r.rc != 0:
            self.fail(r.describe())
        errs = []
        for s in self.fx.spec["threads"]:
            if s["name"] not in r.stdout:
                errs.append("thread %s missing" % s["name"])
        for fn in ("lock_pair", "post_transfer"):
            if fn not in r.stdout:
                errs.append("function %s missing" % fn)
        if "futex" not in r.stdout:
            errs.append("syscall futex missing")
        if errs:
            errs.append("stdout:\n" + r.stdout[:4000])
        fail_if(self, errs)


class CNoFramePointers(VictimTests, unittest.TestCase):
    key = "c_nofp"


class CFramePointers(VictimTests, unittest.TestCase):
    key = "c_fp"


class CStrippedDebuglink(VictimTests, unittest.TestCase):
    key = "c_debuglink"


class RustRelease(VictimTests, unittest.TestCase):
    key = "rust"


class DeletedBinary(unittest.TestCase):
    def setUp(self):
        require_bpf(self)

    def test_deleted_binary(self):
        """The binary deleted inside the container: every stack still symbolized, file:line too."""
        fx = fixture("c_nofp", deleted=True)
        fail_if(self, fx.check_snapshot(fx.runs["pid"]))


# ---- --timings: the phases of a snapshot on stderr, the report unchanged ----------

class Timings(unittest.TestCase):
    """snapshot --timings on the Rust victim: one line per phase, the report as without it."""

    PHASES = ("target resolution", "bpf: open, load, verify (maps created)",
              "capture: task iterator pass", "capture: kernel frames named",
              "/proc reads: maps, modules reported", "unwinding (DWARF opens included)",
              "symbolization (DWARF opens included)", "report", "total")
    LINE = re.compile(r"^rsample: timings: \s*(\S.*?)\s+wall\s+([0-9.]+) ms\s+cpu\s+([0-9.]+) ms"
                      r"(?:\s+\((\d+) times\))?$")

    def setUp(self):
        require_bpf(self)

    def test_timings_phases(self):
        v = launch.Victim(os.path.join(VICTIM_DIR, "orderd"), prefix="rsample-test-")
        try:
            v.start()
            plain = run_rsample(["--pid", str(v.host_pid), "--json"], pid=v.host_pid)
            timed = run_rsample(["--pid", str(v.host_pid), "--json", "--timings"],
                                pid=v.host_pid)
        finally:
            v.stop()
        errs = []
        for r in (plain, timed):
            if r.rc != 0:
                errs.append(r.describe())
        if errs:
            self.fail("\n".join(errs))
        if "timings:" in plain.stderr:
            errs.append("timings printed without --timings:\n" + plain.stderr)
        phases, other = {}, []
        for line in timed.stderr.splitlines():
            m = self.LINE.match(line)
            if m:
                phases[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)))
            elif "timings" in line:
                other.append(line)
        errs += ["malformed line: " + x for x in other]
        want = self.PHASES if BACKEND != "proc" else tuple(
            n for n in self.PHASES
            if not n.startswith(("bpf:", "capture: task iterator", "capture: kernel frames"))) + (
            "capture: /proc reads of each thread", "capture: perf samples of running threads")
        for name in want:
            # the naming pass says how many PCs it named: "capture: kernel frames named (N PCs, P passes)"
            if name not in phases and not any(p.startswith(name + " (") for p in phases):
                errs.append("no phase %r" % name)
        if "kallsyms: read (frames not named by the kernel)" in phases:
            errs.append("/proc/kallsyms read although the kernel named the frames")
        if "total" in phases:
            total = phases["total"][0]
            if not 0 < total <= timed.wall * 1000 + 1:
                errs.append("total %.2f ms, but the run took %.0f ms" % (total, timed.wall * 1000))
            for name, (wall, cpu) in phases.items():
                if name != "total" and wall > total + 0.01:
                    errs.append("phase %r: %.2f ms, more than the total %.2f ms" % (name, wall, total))
        names = [t.get("name") for p in json.loads(timed.stdout)["processes"] for t in p["threads"]]
        want = [t.get("name") for p in json.loads(plain.stdout)["processes"] for t in p["threads"]]
        if sorted(names) != sorted(want):
            errs.append("threads %r with --timings, %r without" % (sorted(names), sorted(want)))
        if errs:
            errs.append("stderr:\n" + timed.stderr)
        fail_if(self, errs)


# ---- debug files kept decompressed between runs (RSAMPLE_CACHE_DIR) --------------

class DebugCache(unittest.TestCase):
    """libc6-dbg's compressed debug file, inflated once into the cache: the same frames
    cold, warm and without the cache; a damaged entry is made again; a directory that
    others can write is not used."""

    def setUp(self):
        require_bpf(self)

    # ledger's threads that block for good (the deadlock, a condvar, a pipe, epoll, a
    # long sleep, main's join): the same stack in every run
    STILL = ("dl-a", "dl-b", "cv-wait", "pipe-rd", "epoll", "sleeper", "ledger-nofp")

    @classmethod
    def frames(cls, run):
        """name -> the user frames of each of STILL, as (function, file, line, module)."""
        out = {}
        for p in json.loads(run.stdout)["processes"]:
            for t in p["threads"]:
                if t.get("name") not in cls.STILL:
                    continue
                us = t["user_stack"]
                fr = us["frames"] if isinstance(us, dict) else us
                out[t["name"]] = [(f.get("function"), f.get("file"), f.get("line"), f.get("module"))
                                  for f in fr]
        return out

    def test_debug_cache(self):
        import tempfile
        import shutil
        d = tempfile.mkdtemp(prefix="rsample-test-cache-")
        cache = os.path.join(d, "cache")
        v = launch.Victim(os.path.join(VICTIM_DIR, "ledger-nofp"), prefix="rsample-test-")
        errs = []
        try:
            v.start()
            args = ["--pid", str(v.host_pid), "--json", "--timings"]

            def snap(what, env):
                r = run_rsample(args, pid=v.host_pid, env=env)
                if r.rc != 0:
                    errs.append("%s: %s" % (what, r.describe()))
                return r

            off = snap("RSAMPLE_CACHE_DIR=off", {"RSAMPLE_CACHE_DIR": "off"})
            cold = snap("cold cache", {"RSAMPLE_CACHE_DIR": cache})
            entries = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
            warm = snap("warm cache", {"RSAMPLE_CACHE_DIR": cache})
            if errs:
                self.fail("\n".join(errs))
            made = "debug file decompressed into the cache"
            if made not in cold.stderr:
                errs.append("the cold run made no cache entry:\n" + cold.stderr)
            if made in warm.stderr:
                errs.append("the warm run made an entry again:\n" + warm.stderr)
            bid = subprocess.run(["readelf", "-n", "/lib/x86_64-linux-gnu/libc.so.6"],
                                 capture_output=True, text=True).stdout
            m = re.search(r"Build ID: ([0-9a-f]+)", bid)
            libc = [e for e in entries if m and e.startswith(m.group(1) + "-")]
            if len(libc) != 1:
                errs.append("cache holds %r, want one entry named after libc's build-id" % entries)
            else:
                st = os.stat(os.path.join(cache, libc[0]))
                if st.st_mode & 0o777 != 0o600:
                    errs.append("entry mode %o, want 600" % (st.st_mode & 0o777))
            if sorted(os.listdir(cache)) != entries:
                errs.append("the warm run changed the entries: %r -> %r" % (
                    entries, sorted(os.listdir(cache))))
            base = self.frames(off)
            if sorted(base) != sorted(self.STILL):
                errs.append("threads %r without the cache, want %r" % (sorted(base), sorted(self.STILL)))
            libc_lines = [f for fr in base.values() for f in fr
                          if f[3] and "libc.so" in f[3] and f[1] and f[2]]
            if not libc_lines:
                errs.append("no libc frame with file:line without the cache: nothing compared")
            for what, r in (("cold", cold), ("warm", warm)):
                got = self.frames(r)
                for tid, fr in base.items():
                    if got.get(tid) != fr:
                        errs.append("%s cache, %s: %r, without the cache %r" % (what, tid,
                                                                                  got[tid], fr))
            # a damaged entry: used as if absent, and made again
            if libc:
                path = os.path.join(cache, libc[0])
                size = os.path.getsize(path)
                with open(path, "r+b") as f:
                    f.truncate(4096)
                again = snap("damaged entry", {"RSAMPLE_CACHE_DIR": cache})
                if again.rc == 0:
                    if made not in again.stderr:
                        errs.append("a truncated entry was used, not made again")
                    if os.path.getsize(path) != size:
                        errs.append("entry is %d bytes after the remake, was %d" % (
                            os.path.getsize(path), size))
                    got = self.frames(again)
                    for tid, fr in base.items():
                        if got.get(tid) != fr:
                            errs.append("after the remake, %s: %r, want %r" % (tid, got[tid], fr))
            # a directory others may write: not used, nothing said, same frames
            shared = os.path.join(d, "shared")
            os.mkdir(shared)
            os.chmod(shared, 0o777)
            open_dir = snap("shared directory", {"RSAMPLE_CACHE_DIR": shared})
            if open_dir.rc == 0:
                if os.listdir(shared):
                    errs.append("wrote %r into a directory others can write" % os.listdir(shared))
                if "cache" in "".join(l for l in open_dir.stderr.splitlines()
                                      if "timings:" not in l):
                    errs.append("said something about the cache:\n" + open_dir.stderr)
                got = self.frames(open_dir)
                for tid, fr in base.items():
                    if got.get(tid) != fr:
                        errs.append("shared dir, %s: %r, want %r" % (tid, got[tid], fr))
        finally:
            v.stop()
            shutil.rmtree(d, ignore_errors=True)
        fail_if(self, errs)


# ---- a running thread deeper than --stack-bytes --------------------------------

class DeepRunningThread(unittest.TestCase):
    """tests/victims/deepspin.c: a thread spinning on a CPU 900 calls (~115 KiB) deep."""

    DEPTH = 900
    CAUGHT = 3  # snapshots that must catch it by its perf sample
    TRIES = 40

    def setUp(self):
        require_bpf(self)

    def frame_errors(self, t, marks, full):
        """The user stack of one capture, innermost first: spin_leaf, recurse x DEPTH, the
        thread's start down to clone3 (full), or as much of that chain as was copied."""
        src = os.path.join(REPO, "tests", "victims", "deepspin.c")
        want = ([("spin_leaf", "deep-spin..deep-spin-end"), ("recurse", "deep-leaf-call")]
                + [("recurse", "deep-recurse")] * (self.DEPTH - 1)
                + [("deep_thread", "deep-thread"), ("start_thread", None), ("clone3", None)])
        got = t.get("user_stack") or []
        errs = []
        if full and len(got) != len(want):
            errs.append("%d user frames, want %d" % (len(got), len(want)))
        for i, ((fn, marker), f) in enumerate(zip(want, got)):
            line_ok = marker is None or (f.get("file") == src and
                                         f.get("line") in expect.marker_lines(marks, marker))
            if f.get("function") != fn or not line_ok or f.get("inlined"):
                errs.append("frame #%d is %s at %s:%s, want %s (%s)"
                            % (i, f.get("function"), f.get("file"), f.get("line"), fn, marker))
                break
        u = t.get("unwind") or {}
        if full and (not u.get("complete") or u.get("stop_reason") != "end of stack"):
            errs.append("unwind %r, want complete, 'end of stack'" % u)
        return errs

    def test_deep_running_thread_whole_stack(self):
        """Caught on its CPU by the perf sample (on_cpu, from_perf), several times: every one
        of the 900 recursion frames in order, then deep_thread, start_thread, clone3. The
        /proc backend's perf sample holds at most 65528 bytes of stack: there the stack is
        the chain's first part, cut with a reason that says so."""
        full = BACKEND != "proc"
        marks = expect.markers(os.path.join(REPO, "tests", "victims", "deepspin.c"))
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest("one CPU: the spinner cannot run while rsample does")
        v = launch.Victim(os.path.join(VICTIM_DIR, "deepspin"), prefix="rsample-test-deep-")
        errs, caught, tries = [], 0, 0
        try:
            v.start()
            tid = [d["tid"] for d in proc_threads(v.host_pid).values()
                   if d.get("comm") == "deep-spin"][0]
            # It alone on the last CPU, rsample on the others: on a CPU when captured.
            os.sched_setaffinity(tid, {cpus[-1]})
            time.sleep(0.1)
            while caught < self.CAUGHT and tries < self.TRIES:
                tries += 1
                r = run_rsample(["--pid", str(v.host_pid), "--json"], v.host_pid,
                                cpus=set(cpus[:-1]))
                if r.violations:
                    errs.append("victim stopped or traced: %s" % r.violations[:3])
                if r.rc == 1 and "no perf sample caught it" in r.stderr:
                    continue  # /proc: it ran so little in the wait that no sample came
                if r.rc != 0 or r.doc is None:
                    errs.append(r.describe())
                    break
                ts = [t for p in r.doc.get("processes") or [] for t in p.get("threads") or []
                      if t.get("tid") == tid]
                if len(ts) != 1:
                    errs.append("snapshot has %d deep-spin threads, want 1" % len(ts))
                    break
                t = ts[0]
                if not (t.get("on_cpu") and t.get("from_perf") and t.get("state") == "R"):
                    continue  # preempted by another process: not on a CPU this time
                caught += 1
                errs += ["capture %d: %s" % (caught, e) for e in self.frame_errors(t, marks, full)]
                u = t.get("unwind") or {}
                if not full and (u.get("complete") or "perf sample" not in u.get("stop_reason", "")
                                 or len(t.get("user_stack") or []) < 400):
                    errs.append("capture %d: %d frames, unwind %r, want 400 or more, cut at the "
                                "perf sample's copy" % (caught, len(t.get("user_stack") or []), u))
        finally:
            v.stop()
        note("deep running thread: caught on its CPU by the perf sample in %d of %d snapshots"
             % (caught, tries))
        if caught < self.CAUGHT:
            errs.append("caught on its CPU by the perf sample in %d of %d snapshots, want %d"
                        % (caught, tries, self.CAUGHT))
        fail_if(self, errs)


# ---- a pod: one cgroup with two container cgroups ---------------------------------

class PodSubtree(unittest.TestCase):
    def setUp(self):
        require_bpf(self)

    def test_cgroup_subtree(self):
        """--cgroup of a parent cgroup reports the processes of all its child cgroups, however spelled."""
        pod = launch.make_cgroup("rsample-test-pod-")
        vs = []
        try:
            for key in ("c_nofp", "rust"):
                spec = expect.VICTIMS[key]
                v = launch.Victim(os.path.join(VICTIM_DIR, spec["binary"]), parent=pod,
                                  prefix="rsample-test-ctr-")
                vs.append(v)
                v.start()
            rel = os.path.relpath(pod, launch.cgroup2_mount())
            want = sorted(v.host_pid for v in vs)
            errs = []
            for spelling in (rel, "/" + rel, pod):
                r = run_rsample(["--cgroup", spelling, "--json"])
                if r.rc != 0 or r.doc is None:
                    errs.append(r.describe() + (" " + r.json_error if r.json_error else ""))
                    continue
                procs = r.doc.get("processes", [])
                got = sorted(p.get("pid") for p in procs)
                if got != want:
                    errs.append("--cgroup %s: pids %s, want %s" % (spelling, got, want))
                for p in procs:
                    if len(p.get("threads", [])) != 10:
                        errs.append("--cgroup %s: pid %s has %d threads, want 10"
                                    % (spelling, p.get("pid"), len(p.get("threads", []))))
            fail_if(self, errs)
        finally:
            for v in vs:
                v.stop()
            launch.remove_cgroup(pod)


# ---- errors ------------------------------------------------------------------------

def free_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists("/proc/%d" % pid):
        pid -= 1
    return pid


class Errors(unittest.TestCase):
    def setUp(self):
        require_bpf(self)

    def test_pid_not_found(self):
        """--pid of a process that does not exist: exit 2, one line on stderr, nothing on stdout."""
        pid = free_pid()
        r = run_rsample(["--pid", str(pid), "--json"], want_json=False)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        errs = []
        if r.rc != 2:
            errs.append("exit %r, want 2" % r.rc)
        if len(lines) != 1 or str(pid) not in lines[0] or not lines[0].startswith("rsample: "):
            errs.append("stderr %r, want one 'rsample: ...' line naming %d" % (r.stderr, pid))
        if r.stdout:
            errs.append("stdout %r, want empty" % r.stdout[:200])
        fail_if(self, errs)

    def test_cgroup_not_found(self):
        """--cgroup no-such-pod: exit 2 and a message naming the spec and the cause."""
        r = run_rsample(["--cgroup", "no-such-pod"], want_json=False)
        errs = []
        if r.rc != 2:
            errs.append("exit %r, want 2" % r.rc)
        if "no-such-pod" not in r.stderr or not r.stderr.startswith("rsample: "):
            errs.append("stderr %r, want an 'rsample: ...' message naming no-such-pod" % r.stderr)
        if r.stdout:
            errs.append("stdout %r, want empty" % r.stdout[:200])
        fail_if(self, errs)

    def test_usage_errors(self):
        """Bad command lines exit 64 with a message on stderr and nothing on stdout."""
        errs = []
        for args in ([], ["--bogus"], ["--pid"], ["--pid", "abc"], ["--tid", "-3"], ["--cgroup"],
                     ["--pid", "1", "--threshold", "5parsecs"], ["--pid", "1", "--stack-bytes", "lots"],
                     ["--pid", "1", "extra-argument"]):
            r = run_rsample(args, want_json=False)
            if r.rc != 64 or len(r.stderr.splitlines()) != 1 or r.stdout or \
                    r.stderr.count("rsample --help") != 1:
                errs.append("rsample %s: exit %r, stderr %r, stdout %r (want 64, one line pointing "
                            "at --help once, nothing)"
                            % (" ".join(args), r.rc, r.stderr.strip()[:200], r.stdout[:100]))
        fail_if(self, errs)

    def test_help_and_version(self):
        """--help documents the targets and exit codes on stdout; --version prints a version."""
        r = run_rsample(["--help"], want_json=False)
        errs = []
        if r.rc != 0:
            errs.append("--help: exit %r" % r.rc)
        for word in ("--cgroup", "--pid", "--tid", "--json", "64"):
            if word not in r.stdout:
                errs.append("--help does not mention %s" % word)
        v = run_rsample(["--version"], want_json=False)
        if v.rc != 0 or not v.stdout.strip():
            errs.append("--version: exit %r, stdout %r" % (v.rc, v.stdout))
        fail_if(self, errs)

    def test_target_exits_midrun(self):
        """Snapshots of a process exiting under them: exit 0/1/2, never a crash or a hang, valid JSON."""
        errs, outcomes = [], {}
        binary = os.path.join(VICTIM_DIR, "ledger-nofp")
        for delay_ms in (150, 250, 400, 600):
            v = launch.Victim(binary, args=["--exit-after", str(delay_ms)], prefix="rsample-test-exit-")
            try:
                v.start(wait_ready=False, allow_exit=True)
                started = time.monotonic()
                procs = []
                for i, off in enumerate((-0.12, -0.06, -0.03, 0.0, 0.02, 0.05, 0.1)):
                    time.sleep(max(0.0, started + delay_ms / 1000 + off - time.monotonic()))
                    args = (["--cgroup", v.cgroup_rel.lstrip("/"), "--json"] if i % 2 or not v.host_pid
                            else ["--pid", str(v.host_pid), "--json"])
                    procs.append((args, subprocess.Popen([RSAMPLE] + with_backend(args),
                                                         stdout=subprocess.PIPE,
                                                         stderr=subprocess.PIPE, encoding="utf-8",
                                                         errors="replace")))
                for args, p in procs:
                    try:
                        out, err = p.communicate(timeout=RUN_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        p.kill()  # our own rsample
                        p.communicate()
                        errs.append("rsample %s hung (> %d s)" % (" ".join(args), RUN_TIMEOUT_S))
                        continue
                    outcomes[p.returncode] = outcomes.get(p.returncode, 0) + 1
                    what = "rsample %s (exit at %d ms)" % (" ".join(args), delay_ms)
                    if p.returncode not in (0, 1, 2):
                        errs.append("%s: exit %r, stderr %r" % (what, p.returncode, err[-500:]))
                    elif p.returncode in (0, 1):
                        try:
                            doc = json.loads(out)
                            if not isinstance(doc.get("processes"), list):
                                errs.append("%s: no processes list" % what)
                        except ValueError as e:
                            errs.append("%s: exit %d with invalid JSON (%s): %r"
                                        % (what, p.returncode, e, out[:200]))
                    elif not err.strip():
                        errs.append("%s: exit 2 without a message" % what)
            finally:
                v.stop()
        note("target exiting mid-run: exit codes %s" % dict(sorted(outcomes.items())))
        fail_if(self, errs)

    def _one_fatal_line(self, r, words):
        """Exit 2, nothing on stdout, one 'rsample: ...' stderr line containing all WORDS."""
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        errs = []
        if r.rc != 2:
            errs.append("exit %r, want 2" % r.rc)
        if len(lines) != 1 or not lines[0].startswith("rsample: ") or \
                not all(w in lines[0] for w in words):
            errs.append("stderr %r, want one 'rsample: ...' line with %r" % (r.stderr, words))
        if r.stdout:
            errs.append("stdout %r, want empty" % r.stdout[:200])
        return errs

    def test_no_permission(self):
        """Without root or capabilities: exit 2, one line naming the cause and the fix; auto
        falls back to /proc when BPF cannot load, and says why."""
        sleeper = subprocess.Popen(["sleep", "30"])
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        drop = ["--inh-caps=-all", "--bounding-set=-all"]
        other = subprocess.Popen(nobody + ["sleep", "30"])  # another user's process
        capless = subprocess.Popen(["setpriv"] + drop + ["sleep", "30"])  # uid 0, no capabilities

        def run(prefix, args):
            return subprocess.run(prefix + [RSAMPLE] + with_backend(args), capture_output=True,
                                  encoding="utf-8", timeout=RUN_TIMEOUT_S)
        try:
            time.sleep(0.1)
            r = run_rsample(["--pid", str(sleeper.pid)], want_json=False)
            p = run(nobody + drop, ["--pid", str(sleeper.pid)])
            # uid 0 without capabilities (a container's root): never told to run as root
            p0 = run(["setpriv"] + drop, ["--backend", "bpf", "--pid", str(sleeper.pid)])
            p1 = run(["setpriv"] + drop, ["--backend", "proc", "--pid", str(other.pid)])
            pa = run(["setpriv"] + drop, ["--backend", "auto", "--pid", str(capless.pid)])
        finally:
            for c in (sleeper, other, capless):
                c.kill()  # our own children
                c.wait()
        errs = [] if r.rc == 0 else ["as root: exit %r, stderr %r" % (r.rc, r.stderr)]
        r.rc, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
        if BACKEND == "proc":
            words = ["Permission denied", "CAP_SYS_PTRACE", "root"]
        elif BACKEND == "bpf":
            words = ["Operation not permitted", "root"]
        else:  # auto: both causes, in one line
            words = ["Operation not permitted", "/proc fallback failed too", "CAP_SYS_PTRACE"]
        errs += self._one_fatal_line(r, words)
        for what, q, words in (("BPF", p0, ["Operation not permitted", "capability set is reduced",
                                            "CAP_BPF"]),
                               ("/proc", p1, ["capability set is reduced", "CAP_SYS_PTRACE"])):
            r.rc, r.stdout, r.stderr = q.returncode, q.stdout, q.stderr
            errs += ["%s: %s" % (what, e) for e in self._one_fatal_line(r, words)]
            if "as root" in q.stderr:
                errs.append("uid 0 without capabilities was told to run as root: %r" % q.stderr)
        first = (pa.stderr.splitlines() or [""])[0]
        if pa.returncode not in (0, 1) or "backend: /proc" not in pa.stdout:
            errs.append("auto without CAP_BPF: exit %r, stdout %r, stderr %r, want a report from /proc"
                        % (pa.returncode, pa.stdout[:300], pa.stderr))
        if not first.startswith("rsample: snapshot from /proc, not BPF: ") or "CAP_BPF" not in first \
                or "as root" in pa.stderr:
            errs.append("auto without CAP_BPF: first stderr line %r, want why BPF could not load"
                        % first)
        note("auto fallback without CAP_BPF: exit %d, %r" % (pa.returncode, first[:160]))
        fail_if(self, errs)

    def test_check(self):
        """rsample check: every capability on this kernel, by which mechanism; exit 0; 1 unprivileged."""
        r = run_rsample(["check"], want_json=False)
        errs = [] if r.rc == 0 else ["check: exit %r, stderr %r" % (r.rc, r.stderr)]
        rows = dict((m.group(1), m.group(2)) for m in
                    re.finditer(r"^  (\S.*?)\s{2,}(yes|no)\s+\S", r.stdout, re.M))
        for cap in ("snapshot", "locks", "snapshot (/proc)", "on-CPU profile", "off-CPU profile",
                    "kernel stacks", "container files"):
            if rows.get(cap) != "yes":
                errs.append("check: %r is %r, want yes:\n%s" % (cap, rows.get(cap), r.stdout))
        if "sched_switch" not in r.stdout or "task iterator" not in r.stdout:
            errs.append("check does not name the mechanisms:\n%s" % r.stdout)
        v = run_rsample(["check", "-v"], want_json=False)
        if "bpf_copy_from_user_task() (Linux 5.18)" not in v.stdout:
            errs.append("check -v does not list the kernel's features:\n%s" % v.stdout)
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=-all", "--bounding-set=-all", RSAMPLE, "check"],
                           capture_output=True, encoding="utf-8", timeout=RUN_TIMEOUT_S)
        # unprivileged: no BPF; a /proc snapshot of its own processes, without kernel stacks
        if p.returncode != 1 or not re.search(r"^  snapshot +no .*CAP_BPF", p.stdout, re.M) \
                or not re.search(r"^  snapshot \(/proc\) +no .*CAP_SYS_ADMIN", p.stdout, re.M):
            errs.append("unprivileged check: exit %r, stdout %r" % (p.returncode, p.stdout))
        fail_if(self, errs)

    def test_kernel_without_btf(self):
        """A kernel without BTF (hidden here by a private tmpfs): --backend bpf exits 2 with one
        line and the fix; auto takes the snapshot from /proc and says why."""
        sleeper = subprocess.Popen(["sleep", "30"])
        out = {}
        try:
            for backend in ("bpf", "auto"):
                cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                       'mount -t tmpfs rsample-nobtf /sys/kernel/btf && exec "$0" "$@"',
                       RSAMPLE, "--backend", backend, "--pid", str(sleeper.pid)]
                out[backend] = subprocess.run(cmd, capture_output=True, encoding="utf-8",
                                              timeout=RUN_TIMEOUT_S)
        finally:
            sleeper.kill()  # our own child
            sleeper.wait()
        p = out["bpf"]
        r = Run(["--backend", "bpf", "--pid", str(sleeper.pid)])
        r.rc, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
        errs = self._one_fatal_line(r, ["BTF", "CONFIG_DEBUG_INFO_BTF"])
        a = out["auto"]
        first = (a.stderr.splitlines() or [""])[0]
        if a.returncode not in (0, 1) or "backend: /proc" not in a.stdout:
            errs.append("auto without BTF: exit %r, stdout %r, stderr %r, want a /proc report"
                        % (a.returncode, a.stdout[:300], a.stderr))
        if not first.startswith("rsample: snapshot from /proc, not BPF: ") or "BTF" not in first:
            errs.append("auto without BTF: first stderr line %r, want why BPF could not load"
                        % first)
        fail_if(self, errs)

    def test_threads_exiting_midrun(self):
        """Threads starting and exiting while snapshotted: exit 0 (churn), valid JSON, no crash."""
        churn = ("import threading, time\n"
                 "def worker():\n"
                 "    while True:\n"
                 "        t = threading.Thread(target=time.sleep, args=(0.002,)); t.start(); t.join()\n"
                 "for _ in range(4): threading.Thread(target=worker, daemon=True).start()\n"
                 "time.sleep(60)\n")
        victim = subprocess.Popen([sys.executable, "-c", churn])
        errs, seen, moved = [], 0, 0

        def moved_only(r):
            """The /proc backend copies a sleeping thread's stack with reads that take time; a
            thread that woke during every retry is flagged, and that makes the report partial
            (exit 1). Accepted only there, only with that reason, and only when flagged."""
            lines = [ln for ln in r.stderr.splitlines() if ln]
            flagged = any((t.get("unwind") or {}).get("moved_during_copy")
                          for p in r.doc["processes"] for t in p["threads"])
            return (BACKEND == "proc" and flagged and lines and all(
                "while its stack was copied" in ln or "while their stack was copied" in ln
                or "exited during the snapshot" in ln for ln in lines))
        try:
            time.sleep(0.3)
            for _ in range(10):
                r = run_rsample(["--pid", str(victim.pid), "--json"], victim.pid)
                if r.rc == 1 and r.doc is not None and moved_only(r):
                    moved += 1  # /proc: a thread woke on every retry of its copy, and says so
                elif r.rc != 0 or r.doc is None:
                    errs.append("exit %r, stderr %r, stdout %r" % (r.rc, r.stderr[-300:],
                                                                    r.stdout[:200]))
                    continue
                if r.violations:
                    errs.append("victim stopped or traced: %s" % r.violations[:3])
                seen = max(seen, sum(len(p["threads"]) for p in r.doc["processes"]))
        finally:
            victim.kill()  # our own child
            victim.wait()
        if seen < 2:
            errs.append("never saw the churning threads (max %d threads)" % seen)
        if moved == 10:
            errs.append("every snapshot had a thread moving on every copy retry")
        note("threads exiting mid-run: %d of 10 snapshots flagged a thread that moved during "
             "its copy" % moved)
        fail_if(self, errs)


class GdbComparison(unittest.TestCase):
    def setUp(self):
        require_bpf(self)

    def check_expectations(self, key):
        """The expected stacks in expect.py are what gdb prints for a live victim."""
        p = peer(key)
        marks = expect.markers(os.path.join(REPO, p.spec["source"]))
        gdb = expect.parse_gdb(p.gdb_out)
        errs = []
        for s in p.spec["threads"]:
            frames = gdb.get(s["name"])
            if frames is None:
                errs.append("gdb shows no thread %s" % s["name"])
                continue
            want = s["frames"]
            if want is None or (s["state"] is None and not p.names_match(want[0], frames[0][0])):
                want = s["always"]
                frames = frames[len(frames) - len(want):]
            bad = len(frames) != len(want)
            for exp, (fn, file, line, _) in zip(want, frames):
                name, marker = expect.frame_name(exp), expect.frame_marker(exp)
                if not p.names_match(name, fn):
                    bad = True
                elif marker and line not in expect.marker_lines(marks, marker):
                    bad = True
            if bad:
                errs.append("%s: gdb shows\n      %s\n    expect.py has\n      %s" % (
                    s["name"], "\n      ".join("%s at %s:%s" % f[:3] for f in frames),
                    "\n      ".join(str(x) for x in want)))
        fail_if(self, errs)

    def test_expectations_match_gdb_c(self):
        self.check_expectations("c_nofp")

    def test_expectations_match_gdb_rust(self):
        self.check_expectations("rust")

    def compare_with_gdb(self, argv):
        """tests/gdbcompare/compare.py on a fresh instance: every frame equal to gdb's."""
        victim = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # its threads reach their waits
            self.assertIsNone(victim.poll(), "%s exited early" % argv[0])
            cmp = subprocess.run([sys.executable, os.path.join(REPO, "tests", "gdbcompare",
                                                               "compare.py"),
                                  "--rsample", RSAMPLE, str(victim.pid)]
                                 + (["--rsample-args", "--backend " + BACKEND] if BACKEND else []),
                                 capture_output=True, text=True, timeout=120)
        finally:
            victim.kill()  # our own child
            victim.wait()
        summary = [ln for ln in cmp.stdout.splitlines() if "frames" in ln and "equal" in ln]
        print("  measured: %s" % (summary[-1] if summary else "no summary"), flush=True)
        if cmp.returncode != 0:
            self.fail("rsample and gdb differ on %s:\n%s%s" % (
                os.path.basename(argv[0]), cmp.stdout[-4000:], cmp.stderr[-1000:]))

    def test_rust_without_debuginfo_matches_gdb(self):
        """Rust release build without DWARF: symbol-table names as gdb prints them (legacy
        hashes, v0 crate disambiguators), frames unwound from .eh_frame."""
        port = 20000 + os.getpid() % 20000
        self.compare_with_gdb([os.path.join(VICTIM_DIR, "rsservice-nodebug"), str(port)])

    def test_rust_panic_abort_matches_gdb(self):
        """Rust, panic=abort, frame pointers: no line for the main shim that .debug_aranges
        hands to a CU whose own ranges leave it out (gdb shows none either)."""
        port = 20000 + (os.getpid() + 1) % 20000
        self.compare_with_gdb([os.path.join(VICTIM_DIR, "rsservice-abort"), str(port)])

    def test_symtab_names_match_gdb(self):
        """C without debug info: clone suffixes and "__" names as gdb prints them (it reads
        them as GNAT-encoded Ada: "worker.part", "flush[cold]", "isc.trampoline_run")."""
        self.compare_with_gdb([os.path.join(VICTIM_DIR, "symnames")])

    def test_frame_beyond_window_matches_gdb(self):
        """A 300 KiB frame (beyond the default 64 KiB copy) between a wait and main / a
        thread's start: the outer frames unwind from the copied top of the stack."""
        self.compare_with_gdb([os.path.join(VICTIM_DIR, "bigframe")])

    def test_split_dwarf_matches_gdb(self):
        """C++ built with -gsplit-dwarf: functions, inline frames and lines from the .dwo."""
        self.compare_with_gdb([os.path.join(VICTIM_DIR, "cxxservice-split")])

    def test_stall_rsample_vs_gdb(self):
        """Heartbeat gap under rsample vs under gdb (printed; only sanity-checked)."""
        errs = []
        for key in ("c_nofp", "rust"):
            p = peer(key)
            if p.rs.rc != 0:
                errs.append(p.rs.describe())
            for what, gap in (("rsample", p.rs.hb_gap_ns), ("gdb", p.gdb_gap_ns)):
                if gap is None or not 500_000 <= gap < 60_000_000_000:
                    errs.append("%s: heartbeat gap under %s is %r" % (key, what, gap))
            if p.rs.violations:
                errs.append("%s: rsample run saw %s" % (key, p.rs.violations[:5]))
        fail_if(self, errs)


# ---- runner ---------------------------------------------------------------------------

def main(argv):
    print("rsample integration: RSAMPLE=%s victims=%s backend=%s"
          % (RSAMPLE, VICTIM_DIR, BACKEND or "default"), flush=True)
    if not SKIP:
        for f in [RSAMPLE] + [os.path.join(VICTIM_DIR, v["binary"]) for v in expect.VICTIMS.values()]:
            if not os.access(f, os.X_OK):
                print("missing %s: build it first (make all victims)" % f, flush=True)
        libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
        if os.path.exists(libc) and not expect.Symbols._debug_files(libc, "/"):
            print("note: no separate debug info for %s (Debian: libc6-dbg); the expected stacks "
                  "in expect.py include glibc's inline frames, which need it" % libc, flush=True)
    def cleanup():
        launch.cleanup_all()
        NOTES.append("%d --json documents checked against docs/rsample.schema.json"
                     % SCHEMA_CHECKED[0])

    return suite.run_cases([CNoFramePointers, CFramePointers, CStrippedDebuglink, RustRelease,
                            DeletedBinary, PodSubtree, Errors, GdbComparison,
                            DeepRunningThread, Timings, DebugCache] + list(rank.CASES),
                           argv, NOTES, cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
