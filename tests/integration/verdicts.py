# SPDX-License-Identifier: GPL-2.0
"""Stuck, spinning, progressing, idle: rsample --compare (root, real BPF or the /proc backend).

Run by `make integration-verdicts` (RSAMPLE=build/rsample RS_VICTIMS=build/victims
python3 tests/integration/verdicts.py [-k PATTERN]; RS_BACKEND=proc for the /proc backend,
as run.py; make integration-verdicts-proc). tests/victims/verdicts.c (C) and
tests/victims/verdictd.rs (Rust) run in a fresh cgroup, PID and mount namespace, each with
a thread busy-waiting in spin_on_flag, threads that never run (a read nobody answers, a
mutex held by a sleeping thread, the sleeper itself), a thread that computes 10 ms and
sleeps 10 ms in a loop, and idle pool workers (condvar; C: an epoll reactor too). Every
thread must get its verdict in the JSON (with the deltas it rests on) and in the text
report, stuck groups first, then spinning, progressing, idle; the victim is never
stopped or traced. Prints "N passed, M failed" last.
"""

import os
import re
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import launch  # noqa: E402
import suite  # noqa: E402
from observe import BACKEND, NOTES, SKIP, VICTIM_DIR, note, run_rsample  # noqa: E402

INTERVAL_S = 2
# compare.interval_ns (first thread captured in the first snapshot to the same in the last):
# the snapshots start DUR apart, but on the loaded 2-CPU machine one /proc capture was seen
# to reach its first thread 0.56 s later than another (reading /proc waits for the CPU);
# and one was seen to start 2.2 s late (load average 7)
EARLY_NS = 1_000_000_000
INTERVAL_SLACK_NS = 5_000_000_000
READY_TIMEOUT_S = 30
ORDER = ["stuck", "spinning", "progressing", "new", "idle"]

# Linux x86_64 syscall numbers the threads settle in.
SYS = {"read": 0, "recvfrom": 45, "futex": 202, "epoll_wait": 232, "clock_nanosleep": 230}


def check_rc(test, r):
    """Exit 0; or, on the /proc backend only, 1 when the one reason is a thread that woke
    during every retry of its stack copy (the progressing worker wakes 100 times a second)
    and the report flags it (as tests/integration/run.py's churn test accepts)."""
    lines = [ln for ln in r.stderr.splitlines() if ln]
    if r.rc == 1 and BACKEND == "proc" and lines and all(
            "while its stack was copied" in ln or "while their stack was copied" in ln
            for ln in lines):
        if r.doc is not None:
            flagged = any((t.get("unwind") or {}).get("moved_during_copy")
                          for p in r.doc["processes"] for t in p["threads"])
        else:
            flagged = "stack may be inconsistent: the thread kept running" in r.stdout
        test.assertTrue(flagged, r.describe())
        note("/proc backend: a thread moved during every copy retry (exit 1, flagged)")
        return
    test.assertEqual(r.rc, 0, r.describe())


def proc_syscall(pid, tid):
    """The syscall number tid is blocked in (from /proc/PID/task/TID/syscall), or None."""
    try:
        with open("/proc/%d/task/%d/syscall" % (pid, tid)) as f:
            first = f.read().split()[:1]
    except OSError:
        return None
    return int(first[0]) if first and first[0].lstrip("-").isdigit() else None


def host_tids(pid):
    """{ns tid: host tid} of the threads of host process pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if line.startswith("NSpid:"):
                    out[int(line.split()[-1])] = int(tid)
    return out


class VerdictCase:
    """One victim; subclasses name it and what each of its threads must be."""
    binary = None
    blocked_in = {}  # thread name: the syscall it settles in before the test starts
    want = {}  # thread name: verdict
    v = st = None
    runs = {}

    @classmethod
    def setUpClass(cls):
        if SKIP:
            return
        cls.runs = {}
        cls.v = launch.Victim(os.path.join(VICTIM_DIR, cls.binary),
                              prefix="rsample-test-verdicts-")
        try:
            cls.v.start()
            cls.st = cls.v.state()
            cls.wait_settled()
            pid = cls.v.host_pid
            args = ["--compare", "%ds" % INTERVAL_S]
            cls.runs["json"] = run_rsample(["--pid", str(pid), "--json"] + args, pid)
            cls.runs["text"] = run_rsample(["--cgroup", cls.v.cgroup_rel] + args, pid)
        except Exception:
            cls.v.stop()
            raise

    @classmethod
    def wait_settled(cls):
        """Polls /proc until every thread that must block is in its blocking call."""
        tids = host_tids(cls.v.host_pid)
        want = {name: tids[cls.st["tid_" + name]] for name in cls.blocked_in}
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            late = [n for n, tid in want.items()
                    if proc_syscall(cls.v.host_pid, tid) != SYS[cls.blocked_in[n]]]
            if not late:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("threads %s not blocked after %d s" % (late, READY_TIMEOUT_S))
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        if cls.v:
            cls.v.stop()

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    def threads(self):
        r = self.runs["json"]
        check_rc(self, r)
        self.assertIsNotNone(r.doc, r.json_error)
        self.assertEqual(r.violations, [], "victim stopped or traced")
        procs = [p for p in r.doc["processes"] if p["pid"] == self.v.host_pid]
        self.assertEqual(len(procs), 1)
        by_ns = {t["ns_tid"]: t for t in procs[0]["threads"]}
        return {name: by_ns[self.st["tid_" + name]] for name in self.want}

    def test_json_verdicts(self):
        th = self.threads()
        got = {n: t["verdict"] for n, t in th.items()}
        self.assertEqual(got, self.want, self.runs["json"].stdout[:2000])

    def test_json_deltas(self):
        th = self.threads()
        for name, t in th.items():
            self.assertGreaterEqual(t["compared_ns"], INTERVAL_S * 10**9 - EARLY_NS, name)
            if self.want[name] == "stuck":
                self.assertEqual((t["cpu_ns_delta"], t["ctxsw_delta"], t["same_site"]),
                                 (0, 0, True), name)
            elif self.want[name] == "spinning":
                self.assertGreater(t["cpu_ns_delta"], 0, name)
                self.assertGreaterEqual((t["cpu_ns_delta"] + t["runnable_ns_delta"]) * 2,
                                        t["compared_ns"], name)
                self.assertEqual(t["user_stack"][0]["function"].split("::")[-1],
                                 "spin_on_flag", name)
                note("%s: spinner ran %.0f%% and waited for a CPU %.0f%% of %.2f s" % (
                    self.binary, 100.0 * t["cpu_ns_delta"] / t["compared_ns"],
                    100.0 * t["runnable_ns_delta"] / t["compared_ns"], t["compared_ns"] / 1e9))
            elif self.want[name] == "progressing":
                self.assertGreater(t["ctxsw_delta"], 0, name)
                self.assertGreater(t["cpu_ns_delta"], 0, name)

    def test_json_compare_object(self):
        doc = self.runs["json"].doc
        self.assertIsNotNone(doc, self.runs["json"].json_error)
        c = doc["compare"]
        self.assertEqual(c["captures"], 2)
        self.assertGreaterEqual(c["interval_ns"], INTERVAL_S * 10**9 - EARLY_NS)
        self.assertLessEqual(c["interval_ns"], INTERVAL_S * 10**9 + INTERVAL_SLACK_NS)
        self.assertEqual(c["exited"], [])
        tids = {t["tid"]: t["verdict"] for p in doc["processes"] for t in p["threads"]}
        for g in doc["groups"]:
            self.assertEqual({tids[t] for t in g["tids"]}, {g["verdict"]}, g)

    def test_text_order_and_tags(self):
        r = self.runs["text"]
        check_rc(self, r)
        self.assertEqual(r.violations, [], "victim stopped or traced")
        heads = re.findall(r"^group \d+: .*\[(stuck|spinning|progressing|idle|new)([^\]]*)\]$",
                           r.stdout, re.M)
        verdicts = [h[0] for h in heads]
        self.assertEqual(len(heads), len(re.findall(r"^group \d+:", r.stdout, re.M)), r.stdout)
        self.assertEqual(verdicts, sorted(verdicts, key=ORDER.index), r.stdout[:3000])
        self.assertEqual(verdicts[0], "stuck")
        # the first group is the one waiting on the lock the sleeper holds
        first = r.stdout.split("\ngroup 1:", 1)[1].split("\ngroup 2:", 1)[0]
        self.assertIn("[rank: lock contended]", first)
        self.assertIn("lock_waiter", first)
        for v, tag in heads:
            if v == "stuck":
                self.assertRegex(tag, r"^ \d+\.\ds$")
            elif v in ("spinning", "progressing"):
                self.assertRegex(tag, r"^ \d+(-\d+)?% CPU")
        self.assertRegex(r.stdout, r"(?m)^compared 2 snapshots over \d+\.\ds: (\d+) stuck, 1 "
                         r"spinning, \d+ progressing, \d+ idle, 0 new, 0 exited$")
        spin = [g for g in r.stdout.split("\ngroup ") if "[spinning" in g.splitlines()[0]]
        self.assertEqual(len(spin), 1, r.stdout[:3000])
        self.assertRegex(spin[0], r"#0  (verdictd::)?spin_on_flag at ")

    def test_three_captures(self):
        pid = self.v.host_pid
        r = run_rsample(["--pid", str(pid), "--json", "--compare", "1s", "--captures", "3"], pid)
        check_rc(self, r)
        self.assertIsNotNone(r.doc, r.json_error)
        self.assertEqual(r.violations, [], "victim stopped or traced")
        self.assertEqual(r.doc["compare"]["captures"], 3)
        self.assertGreaterEqual(r.doc["compare"]["interval_ns"], 2 * 10**9 - EARLY_NS)
        self.assertLessEqual(r.doc["compare"]["interval_ns"], 2 * 10**9 + INTERVAL_SLACK_NS)
        by_ns = {t["ns_tid"]: t for p in r.doc["processes"] for t in p["threads"]}
        got = {n: by_ns[self.st["tid_" + n]]["verdict"] for n in self.want}
        self.assertEqual(got, self.want)


class CVictim(VerdictCase, unittest.TestCase):
    binary = "verdicts"
    blocked_in = {"piper": "read", "holder": "clock_nanosleep", "waiter": "futex",
                  "pool-0": "futex", "pool-1": "futex", "reactor": "epoll_wait", "main": "futex"}
    want = {"spinner": "spinning", "piper": "stuck", "holder": "stuck", "waiter": "stuck",
            "worker": "progressing", "pool-0": "idle", "pool-1": "idle", "reactor": "idle",
            "main": "stuck"}


class RustVictim(VerdictCase, unittest.TestCase):
    binary = "verdictd"
    blocked_in = {"reader": "recvfrom", "holder": "clock_nanosleep", "waiter": "futex",
                  "pool-0": "futex", "pool-1": "futex", "main": "futex"}
    want = {"spinner": "spinning", "reader": "stuck", "holder": "stuck", "waiter": "stuck",
            "worker": "progressing", "pool-0": "idle", "pool-1": "idle", "main": "idle"}


class Usage(unittest.TestCase):
    """Command-line errors: exit 64 and one line naming the fix, no capture."""

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    def check(self, args, msg):
        r = run_rsample(args)
        self.assertEqual(r.rc, 64, r.describe())
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(msg, r.stderr)

    def test_captures_needs_compare(self):
        self.check(["--pid", "1", "--captures", "3"], "--captures needs --compare DUR")

    def test_compare_zero(self):
        self.check(["--pid", "1", "--compare", "0"], "invalid --compare '0'")

    def test_captures_range(self):
        self.check(["--pid", "1", "--compare", "1s", "--captures", "1"], "invalid --captures '1'")

    def test_profile_has_no_compare(self):
        self.check(["profile", "--pid", "1", "--compare", "1s"],
                   "option '--compare' applies only to 'rsample snapshot'")


def main(argv):
    return suite.run_cases([CVictim, RustVictim, Usage], argv, NOTES, launch.cleanup_all)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
