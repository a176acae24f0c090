# SPDX-License-Identifier: GPL-2.0
"""Size and start-up time of the static build against the dynamic one (BENCHMARKS.md,
"Static build"). Root. Run as

    python3 tests/bench/static_startup.py [--runs N] build/rsample build/static/rsample

For each binary: its size and its stripped size (strip -o to a temp file), then the
median and the minimum wall time of N runs (default 20) of `--version`, `check`, and one
snapshot (`--cgroup` of tests/victims/ledger.c built static, started by
tests/integration/launch.py), each run one after the other, alternating binaries.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import launch  # noqa: E402  (tests/integration/launch.py)


def wall(argv):
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("%s -> exit %d: %s" % (" ".join(argv), p.returncode, p.stderr[-300:]))
    return t


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args(argv)
    victim = launch.Victim(os.path.join(REPO, "build", "hostile-victims", "ledger-static"),
                           name="ledger", prefix="rsample-bench-static-").start()
    try:
        cmds = {"--version": ["--version"], "check": ["check"],
                "snapshot": ["--cgroup", victim.cgroup_rel]}
        times = {(b, c): [] for b in a.binaries for c in cmds}
        for _ in range(a.runs):
            for c, args in cmds.items():
                for b in a.binaries:
                    times[(b, c)].append(wall([b] + args))
        print("| binary | size | stripped | " + " | ".join(
            "%s median (min)" % c for c in cmds) + " |")
        print("|---|---|---|" + "---|" * len(cmds))
        for b in a.binaries:
            with tempfile.NamedTemporaryFile() as t:
                subprocess.run(["strip", "-o", t.name, b], check=True)
                stripped = os.path.getsize(t.name)
            cells = ["%.1f ms (%.1f)" % (statistics.median(times[(b, c)]) * 1e3,
                                         min(times[(b, c)]) * 1e3) for c in cmds]
            print("| %s | %.2f MB | %.2f MB | %s |" % (b, os.path.getsize(b) / 1e6,
                                                       stripped / 1e6, " | ".join(cells)))
    finally:
        victim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
