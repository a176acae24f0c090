# SPDX-License-Identifier: GPL-2.0
"""Median wall time of a one-shot snapshot of a victim in its own namespaces.

  python3 tests/bench/snapwall.py [--runs N] [--threads N] [--victim PATH]
                                  [--also RSAMPLE2 ...] [--] RSAMPLE [ARGS...]

Starts the victim (default build/victims/orderd: 16 threads) in a fresh cgroup
and PID + mount namespace (tests/integration/launch.py), runs
'RSAMPLE snapshot --pid PID ARGS' once uncounted, then N times (default 5), and
prints each run's wall time and the min / median / max, and the same of its CPU
time (user + system, from the kernel's accounting of the child: on a loaded
machine the steadier figure). With --timings among
ARGS it also prints, per phase, the median of the wall ms rsample reported.
With --also, each round runs every binary once with the same ARGS (the order
rotating), so builds are compared under the same load. The victim is always
cleaned up.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import launch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PHASE = re.compile(r"^rsample: timings: (.+?)\s+wall\s+([0-9.]+) ms\s+cpu\s+([0-9.]+) ms")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="extra threads (orderd --threads)")
    ap.add_argument("--victim", default=os.path.join(ROOT, "build", "victims", "orderd"))
    ap.add_argument("--also", action="append", default=[], help="another rsample to compare")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("give the rsample binary")
    args = ["--threads", str(a.threads)] if a.threads else []
    v = launch.Victim(a.victim, args=args, prefix="rsample-bench-")
    try:
        v.start()
        ntask = len(os.listdir("/proc/%d/task" % v.host_pid))
        bins = [cmd[0]] + a.also
        print("victim %s: %d threads; command: RSAMPLE snapshot --pid %d %s" % (
            os.path.basename(a.victim), ntask, v.host_pid, " ".join(cmd[1:])))
        walls = {b: [] for b in bins}
        cpus = {b: [] for b in bins}
        phases = {b: {} for b in bins}
        for i in range(a.runs + 1):
            for k in range(len(bins)):
                b = bins[(i + k) % len(bins)]
                full = [b, "snapshot", "--pid", str(v.host_pid)] + cmd[1:]
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.monotonic()
                r = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
                dt = time.monotonic() - t0
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
                if r.returncode not in (0, 1):
                    print(r.stderr, file=sys.stderr)
                    return 2
                time.sleep(0.2)
                if i == 0:
                    continue  # warm-up
                walls[b].append(dt)
                cpus[b].append(cpu)
                for line in r.stderr.splitlines():
                    m = PHASE.match(line)
                    if m:
                        phases[b].setdefault(m.group(1), []).append((float(m.group(2)),
                                                                     float(m.group(3))))
        for b in bins:
            w = walls[b]
            print("%s: wall s: %s" % (b, " ".join("%.3f" % x for x in w)))
            print("%s: wall s min / median / max: %.3f / %.3f / %.3f" % (
                b, min(w), statistics.median(w), max(w)))
            c = cpus[b]
            print("%s: CPU s (user + sys) min / median / max: %.3f / %.3f / %.3f" % (
                b, min(c), statistics.median(c), max(c)))
            for name, vals in phases[b].items():
                print("  %-52s wall %7.2f ms  cpu %7.2f ms (median of %d)" % (
                    name, statistics.median(x[0] for x in vals),
                    statistics.median(x[1] for x in vals), len(vals)))
        return 0
    finally:
        v.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
