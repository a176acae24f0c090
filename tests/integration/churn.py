# SPDX-License-Identifier: GPL-2.0
"""Exit codes that mean something: churn is not a partial result (root, real BPF).

Run by `make integration-churn` (RSAMPLE=build/rsample RS_VICTIMS=build/victims
python3 tests/integration/churn.py [-k PATTERN]). tests/victims/forker.c runs in a
fresh cgroup, PID and mount namespace and keeps forking children and starting
threads that live a millisecond or two; its long-lived threads wait in known places.
Snapshots of its cgroup, repeated, must exit 0 with at most one stderr line (the
churn summary) and report every long-lived thread; a zombie is reported as one,
with nothing said to be partial. Both backends (RS_BACKEND as in run.py). Prints
"N passed, M failed" as its last line.
"""

import os
import re
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import launch  # noqa: E402
import suite  # noqa: E402  (tests/integration/suite.py)
from observe import BACKEND, NOTES, SKIP, VICTIM_DIR, note, run_rsample  # noqa: E402

RUNS = 30
LONG_LIVED = ("forker", "keep-read", "keep-sleep", "keep-cond", "spawner", "threader")
SUMMARY = re.compile(r"^rsample: (\d+ process(es)?( and \d+ threads?)?|\d+ threads?) exited "
                     r"during the snapshot: left out of the report$")


class Churn(unittest.TestCase):
    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    def start(self, *args):
        v = launch.Victim(os.path.join(VICTIM_DIR, "forker"), args=list(args),
                          prefix="rsample-test-churn-")
        self.addCleanup(v.stop)
        v.start()
        time.sleep(0.3)  # the churn is running
        return v

    def test_forking_service_exits_0(self):
        """30 snapshots of a forking, thread-churning cgroup: exit 0, at most one stderr
        line (the churn summary), every long-lived thread reported by name."""
        v = self.start()
        errs, churned = [], 0
        for i in range(RUNS):
            r = run_rsample(["--cgroup", v.cgroup_rel, "--json"], v.host_pid)
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            if r.rc != 0 or r.doc is None:
                errs.append("run %d: %s" % (i, r.describe()))
                continue
            if len(lines) > 1 or (lines and not SUMMARY.match(lines[0])):
                errs.append("run %d: stderr %r, want at most the one churn summary line"
                            % (i, lines))
            churned += bool(lines)
            if r.doc.get("partial"):
                errs.append("run %d: the report says partial" % i)
            if r.violations:
                errs.append("run %d: victim stopped or traced: %s" % (i, r.violations[:3]))
            main = [p for p in r.doc.get("processes", []) if p.get("pid") == v.host_pid]
            names = sorted(t.get("name") for p in main for t in p.get("threads", []))
            missing = [n for n in LONG_LIVED if n not in names]
            if missing:
                errs.append("run %d: long-lived threads %s missing (have %s)"
                            % (i, missing, names))
            for p in main:
                for t in p.get("threads", []):
                    if t.get("name") in LONG_LIVED[1:4] and not t.get("user_stack"):
                        errs.append("run %d: %s has no user stack: %r"
                                    % (i, t["name"], t.get("unwind")))
        note("churn (%s backend): %d of %d snapshots said something churned"
             % (BACKEND or "default", churned, RUNS))
        if errs:
            self.fail("\n  " + "\n  ".join(errs[:20]))

    def test_zombie_is_said_as_such(self):
        """A zombie child in the cgroup: state Z, its stop reason says zombie, exit 0, and the
        report does not claim to be partial with nothing on stderr."""
        v = self.start("--zombie")
        r = run_rsample(["--cgroup", v.cgroup_rel], v.host_pid)
        errs = []
        if r.rc != 0:
            errs.append(r.describe())
        if "partial" in r.stdout:
            errs.append("the text report says partial: %r" % r.stdout[:400])
        if BACKEND != "proc":  # /proc's cgroup.procs no longer lists a zombie
            m = re.search(r"^group \d+: pid (\d+) \"forker\", 1 thread, Z \(zombie\)", r.stdout, re.M)
            if not m or "zombie: the thread has exited and waits to be reaped" not in r.stdout:
                errs.append("no zombie group with its reason:\n%s" % r.stdout[-3000:])
        if errs:
            self.fail("\n  " + "\n  ".join(errs))


def main(argv):
    return suite.run_case(Churn, argv, NOTES, launch.cleanup_all)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
