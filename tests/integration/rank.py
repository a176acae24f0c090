# SPDX-License-Identifier: GPL-2.0
"""Suspicion ranking on real hangs (README "Suspicion ranking"), part of run.py's suite.

tests/victims/asyncd.rs is an async service whose task holds a std::sync::Mutex (the
static STATE, and a heap one) across a pool get that never returns, while other tasks
wait on those mutexes and the rest of the service is idle: executor workers waiting for
tasks, a reactor in epoll_wait, main parked. Each build (DWARF; stripped with a
.gnu_debuglink) runs once in a fresh cgroup + PID/mount namespace; rsample's JSON and
text reports of it (with RS_BACKEND's --backend, as every run.py snapshot) must put the
waiters' and the holder's groups before every idle group, group the waiters per lock
address, name STATE as its data symbol, and claim no owner. The C ledger victim's
deadlock must still come first.
"""

import os
import time
import unittest

import launch
from observe import SETTLE_S, SKIP, VICTIM_DIR, run_rsample

IDLE = {"idle_pool", "idle_reactor", "idle_park"}
# build key: (binary, debug file)
BUILDS = {"dwarf": ("asyncd", None), "debuglink": ("asyncd-dbg", "asyncd-dbg.debug")}
_runs = {}


class VictimRuns:
    """One victim build started, snapshotted three ways, stopped; what rsample said."""

    def __init__(self, binary, debug=None, snapshots=()):
        self.binary = binary
        v = launch.Victim(os.path.join(VICTIM_DIR, binary),
                          debug_file=os.path.join(VICTIM_DIR, debug) if debug else None)
        try:
            v.start()
            time.sleep(SETTLE_S)
            self.state = v.state()
            self.host_pid = v.host_pid
            rel = v.cgroup_rel.lstrip("/")
            self.runs = {name: run_rsample([a.replace("{cgroup}", rel) for a in args], v.host_pid)
                         for name, args in snapshots}
        finally:
            v.stop()

    def roles(self, run):
        """{role: host tid} from the victim's state file (ns tids) and the snapshot's threads."""
        by_ns = {t["ns_tid"]: t["tid"] for p in run.doc["processes"] for t in p["threads"]}
        return {name: by_ns.get(d["ns_tid"]) for name, d in self.state["threads_by_name"].items()}


def asyncd(key):
    if key not in _runs:
        binary, debug = BUILDS[key]
        _runs[key] = VictimRuns(binary, debug, (
            ("json", ["--cgroup", "{cgroup}", "--json"]),
            ("text", ["--cgroup", "{cgroup}"]),
            ("blocked", ["--cgroup", "{cgroup}", "--json", "--sort", "blocked"])))
    return _runs[key]


class RankingChecks:
    key = None

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)
        self.fx = asyncd(self.key)
        for name, r in self.fx.runs.items():
            if r.rc != 0 or (name != "text" and r.doc is None):
                self.fail("%s: %s %s" % (name, r.describe(), r.json_error or ""))
            if r.violations:
                self.fail("victim stopped or traced during %s: %s" % (name, r.violations[:3]))
        self.doc = self.fx.runs["json"].doc
        self.roles = self.fx.roles(self.fx.runs["json"])
        self.threads = {t["tid"]: t for p in self.doc["processes"] for t in p["threads"]}
        self.group_of = {tid: g for g in self.doc["groups"] for tid in g["tids"]}

    def group(self, role):
        return self.group_of[self.roles[role]]

    def test_holder_and_waiters_before_idle(self):
        """The holder's and the waiters' groups come before every idle group; idle ones last."""
        groups = self.doc["groups"]
        ids = [g["id"] for g in groups]
        self.assertEqual(ids, sorted(ids))
        suspects = {self.group(r)["id"] for r in ("holder", "waiter-1", "waiter-2", "waiter-heap")}
        idle_ids = [g["id"] for g in groups if g["rank_reason"] in IDLE]
        self.assertTrue(idle_ids, "no idle group in %r" % groups)
        self.assertLess(max(suspects), min(idle_ids), groups)
        # the first screen: the lock waiters, then the thread that may hold their locks
        self.assertEqual([g["rank_reason"] for g in groups[:3]],
                         ["lock_contended", "lock_contended", "may_hold_lock"], groups)
        self.assertEqual(self.group("holder")["rank_reason"], "may_hold_lock")
        self.assertEqual([g["rank"] for g in groups], sorted(g["rank"] for g in groups))

    def test_idle_groups_tagged(self):
        """Idle executor workers, the reactor and the parked main thread: each with its idle tag."""
        busy = {self.roles[r] for r in ("holder", "waiter-1", "waiter-2", "waiter-heap")}
        workers = [self.roles["exec-%d" % i] for i in range(6)]
        idle_workers = [t for t in workers if t not in busy]
        self.assertEqual(len(idle_workers), 2)
        for tid in idle_workers:
            self.assertEqual(self.group_of[tid]["rank_reason"], "idle_pool")
        self.assertEqual(self.group("reactor")["rank_reason"], "idle_reactor")
        self.assertEqual(self.group("main")["rank_reason"], "idle_park")
        self.assertEqual({g["rank"] for g in self.doc["groups"] if g["rank_reason"] in IDLE}, {7})
        text = self.fx.runs["text"].stdout
        for tag in ("[rank: idle: worker waiting for work]", "[rank: idle: reactor, nothing ready]",
                    "[rank: idle: parked]"):
            self.assertIn(tag, text)

    def test_waiters_grouped_per_lock_named_no_owner(self):
        """Waiters on STATE share one group, the heap mutex's waiter has its own; no owner claimed."""
        w1, w2, wh = (self.roles[r] for r in ("waiter-1", "waiter-2", "waiter-heap"))
        self.assertEqual(sorted(self.group_of[w1]["tids"]), sorted([w1, w2]))
        self.assertEqual(self.group_of[wh]["tids"], [wh])
        lw1, lw2, lwh = (self.threads[t]["lock_wait"] for t in (w1, w2, wh))
        self.assertEqual(lw1["addr"], lw2["addr"])
        self.assertNotEqual(lw1["addr"], lwh["addr"])
        for lw, tid in ((lw1, w1), (lw2, w2), (lwh, wh)):
            self.assertEqual(lw["type"], "rust_std_mutex")
            self.assertEqual(lw["addr"], self.threads[tid]["syscall"]["args"][0])
            self.assertIs(lw["owner_recorded"], False)
            self.assertIsNone(lw["owner_tid"])
        self.assertEqual((lw1["region"], lw1["symbol"], lw1["offset"]), ("symbol", "asyncd::STATE", 0))
        self.assertTrue(lw1["module"].endswith("/" + self.fx.binary), lw1)
        self.assertEqual((lwh["region"], lwh["symbol"]), ("heap", None))
        for t in self.threads.values():
            self.assertIsNone(t["lock"], "%s claims an owner: %r" % (t["name"], t["lock"]))
            if t["tid"] not in (w1, w2, wh):
                self.assertIsNone(t["lock_wait"], t["name"])
        text = self.fx.runs["text"].stdout
        groups = text.split("\ngroup ")
        state = [g for g in groups if "(asyncd::STATE), contended; owner not recorded" in g]
        self.assertEqual(len(state), 1, text)
        self.assertIn("[rank: lock contended]", state[0])
        self.assertIn("2 threads wait for std Mutex", state[0])
        self.assertIn("[rank: lock contended]", groups[1])
        self.assertIn("may hold: ", text)
        self.assertNotIn("held by", text)

    def test_sort_blocked_keeps_old_order(self):
        """--sort blocked: the same groups, longest blocked first, no rank order."""
        doc = self.fx.runs["blocked"].doc
        self.assertEqual(doc["sort"], "blocked")
        self.assertEqual(self.doc["sort"], "rank")
        blocked = [g["max_blocked_ns"] for g in doc["groups"]]
        self.assertEqual(blocked, sorted(blocked, reverse=True))
        self.assertEqual(sorted(sorted(g["tids"]) for g in doc["groups"]),
                         sorted(sorted(g["tids"]) for g in self.doc["groups"]))


class RankingRustDwarf(RankingChecks, unittest.TestCase):
    key = "dwarf"


class RankingRustDebuglink(RankingChecks, unittest.TestCase):
    key = "debuglink"


class RankingLedgerDeadlock(unittest.TestCase):
    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    def test_deadlock_still_first(self):
        """The C ledger's deadlocked tellers are group 1, tagged as a deadlock, in both reports."""
        fx = VictimRuns("ledger-nofp", snapshots=(("json", ["--cgroup", "{cgroup}", "--json"]),
                                                  ("text", ["--cgroup", "{cgroup}"])))
        for r in fx.runs.values():
            # 1 (partial) only for ledger's spinner not caught on a busy machine (--backend proc)
            self.assertIn(r.rc, (0, 1), r.describe())
            if r.rc:
                self.assertIn("no perf sample caught it", r.stderr)
            self.assertEqual(r.violations, [])
        roles = fx.roles(fx.runs["json"])
        g = fx.runs["json"].doc["groups"][0]
        self.assertEqual((g["rank"], g["rank_reason"]), (1, "deadlock"))
        self.assertEqual(sorted(g["tids"]), sorted([roles["dl-a"], roles["dl-b"]]))
        text = fx.runs["text"].stdout
        self.assertIn("[rank: deadlock]", text.split("\ngroup 2:")[0].split("\ngroup 1:")[1])
        self.assertEqual(fx.runs["json"].doc["groups"][-1]["rank"], 7, "ledger's epoll reader is idle")
        # a global pthread_mutex_t array, named as the data symbol: accounts[0] and accounts[1]
        threads = {t["tid"]: t for p in fx.runs["json"].doc["processes"] for t in p["threads"]}
        a, b = threads[roles["dl-a"]], threads[roles["dl-b"]]
        self.assertEqual(sorted(t["lock_wait"]["name"] for t in (a, b)), ["accounts", "accounts+0x30"])
        for t, other in ((a, b), (b, a)):
            lw = t["lock_wait"]
            self.assertEqual((lw["type"], lw["owner_recorded"], lw["owner_tid"]),
                             ("glibc_mutex", True, other["tid"]))
            self.assertIn("(%s) held by tid %d" % (lw["name"], other["tid"]), text)


CASES = (RankingRustDwarf, RankingRustDebuglink, RankingLedgerDeadlock)
