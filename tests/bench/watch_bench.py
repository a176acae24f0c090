# SPDX-License-Identifier: GPL-2.0
"""The hang watch's costs (`make bench-watch`, part of `make bench`; root, real BPF).

1. Cost per incident: tests/victims/hangsvc.c in flap mode (16 threads: 12 pool
   workers idle in a condvar, a reactor in epoll_wait, a worker that blocks on a pipe
   for --hang-ms at a time, its rescuer, main) runs in its own cgroup, PID and mount
   namespace; `rsample watch --cgroup CG --threshold T -v` reports each block as one
   incident and says on stderr the CPU each snapshot and report took (warm caches from
   the second on). rsample's RSS (VmRSS) at the first and the last incident tells
   whether memory stays flat.
2. Idle overhead node-wide: `perf bench sched pipe` pinned to one CPU, outside the
   watched cgroup, alone and with `rsample watch` on an idle cgroup (one `sleep`),
   interleaved, as the off-CPU profiler's benchmark does (tests/bench/profile_bench.py,
   whose helpers this uses).
Prints every command and a Markdown table for BENCHMARKS.md.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import launch  # noqa: E402
import profile_bench as pb  # noqa: E402

RSAMPLE = pb.RSAMPLE
VICTIMS = os.path.abspath(os.environ.get("RS_VICTIMS", os.path.join(os.path.dirname(RSAMPLE),
                                                                     "victims")))
COST_RE = re.compile(r"hang (\d+): snapshot and report took ([\d.]+) ms of CPU, ([\d.]+) ms")


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def per_incident(n, hang_ms, threshold):
    v = launch.Victim(os.path.join(VICTIMS, "hangsvc"), args=["flap", str(hang_ms), "0"],
                      prefix="rsample-bench-watch-")
    v.start()
    argv = [RSAMPLE, "watch", "--cgroup", v.cgroup_rel, "--threshold", threshold, "-v"]
    pb.log("  $ " + pb.cmdline(argv))
    err_path = tempfile.mktemp(prefix="rsample-bench-watch-", suffix=".err")
    err = open(err_path, "w")
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, text=True)
    err.close()
    rss, costs = {}, []
    try:
        deadline = time.monotonic() + n * (hang_ms / 1000 + 0.1) * 3 + 60
        while time.monotonic() < deadline and p.poll() is None:
            with open(err_path) as f:
                costs = [(int(m.group(1)), float(m.group(2)), float(m.group(3)))
                         for m in COST_RE.finditer(f.read())]
            if costs and costs[-1][0] not in rss:
                rss[costs[-1][0]] = vmrss_kb(p.pid)
            if len(costs) >= n:
                break
            time.sleep(0.05)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
        v.stop()
        os.unlink(err_path)
    if len(costs) < n:
        sys.exit("watch_bench: only %d of %d incidents reported (rc %s)" % (len(costs), n,
                                                                           p.returncode))
    costs = costs[:n]
    cpu = [c[1] for c in costs[1:]]  # warm caches: all but the first
    first = min(rss)
    last = max(k for k in rss if k <= n)
    return {"n": n, "first_cpu": costs[0][1], "cpu": cpu, "wall": [c[2] for c in costs[1:]],
            "rss_first": (first, rss[first]), "rss_last": (last, rss[last]),
            "argv": argv, "victim": "hangsvc flap %d 0 (16 threads)" % hang_ms}


def idle_overhead(runs):
    cg_root = pb.cgroup2_root()
    idle_cg = os.path.join(cg_root, "rsample-bench-watch-idle-%d" % os.getpid())
    os.mkdir(idle_cg)
    sleeper = subprocess.Popen(["sleep", "3600"], preexec_fn=lambda: open(
        os.path.join(idle_cg, "cgroup.procs"), "w").write(str(os.getpid())))
    rel = "/" + os.path.relpath(idle_cg, cg_root)
    res = {"alone": [], "watch": []}
    try:
        loops = pb.calibrate_pipe()
        pb.log("  bench: $ " + pb.cmdline(pb.pipe_cmd(loops)))
        tr = lambda pid, out: [RSAMPLE, "watch", "--cgroup", rel, "--threshold", "10s"]  # noqa
        for i in range(runs):
            res["alone"].append(pb.pipe_once(loops, None, None, "alone", i)["usec_op"])
            r = pb.pipe_once(loops, None, tr, "watch", i)
            res["watch"].append(r["usec_op"])
            res.setdefault("cpu", []).append(r["tracer"]["cpu"])
        res["loops"] = loops
        res["rel"] = rel
    finally:
        sleeper.kill()
        sleeper.wait()
        for _ in range(100):
            try:
                os.rmdir(idle_cg)
                break
            except OSError:
                time.sleep(0.05)
    return res


def mmm(xs, f="{:.3f}"):
    return " / ".join(f.format(x) for x in (min(xs), statistics.median(xs), max(xs)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=200)
    ap.add_argument("--hang-ms", type=int, default=400)
    ap.add_argument("--threshold", default="200ms")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", choices=["incident", "idle"])
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("watch_bench: run as root (BPF, cgroups)")
    pb.TMP = tempfile.mkdtemp(prefix="rsample-bench-watch-")
    launch.install_cleanup_handlers()
    out = ["## Hang watch (`make bench-watch`)", ""]
    try:
        if a.only != "idle":
            pb.log("== cost per incident")
            m = per_incident(a.incidents, a.hang_ms, a.threshold)
            out += ["Per incident: `%s` over `%s`; -v says each snapshot and report's CPU."
                    % (pb.cmdline(m["argv"]), m["victim"]), "",
                    "| incidents | first report CPU ms | CPU ms per report, warm (min / med / max) "
                    "| wall ms (min / med / max) | VmRSS KiB at incident (first → last) |",
                    "|---|---|---|---|---|",
                    "| %d | %.2f | %s | %s | %d (#%d) → %d (#%d) |" % (
                        m["n"], m["first_cpu"], mmm(m["cpu"], "{:.2f}"), mmm(m["wall"], "{:.2f}"),
                        m["rss_first"][1], m["rss_first"][0], m["rss_last"][1],
                        m["rss_last"][0]), ""]
        if a.only != "incident":
            pb.log("== idle overhead, outside the watched cgroup")
            r = idle_overhead(a.runs)
            base = statistics.median(r["alone"])
            out += ["Idle overhead: `%s` outside the watched cgroup; `%s watch --cgroup %s "
                    "--threshold 10s` on an idle cgroup (one `sleep`), runs interleaved."
                    % (pb.cmdline(pb.pipe_cmd(r["loops"])), RSAMPLE, r["rel"]), "",
                    "| config | usec/op (min / med / max) | ratio (medians) | rsample CPU s |",
                    "|---|---|---|---|",
                    "| alone | %s | 1.0000× | – |" % mmm(r["alone"]),
                    "| rsample watch | %s | %.4f× | %s |" % (
                        mmm(r["watch"]), statistics.median(r["watch"]) / base,
                        mmm(r["cpu"], "{:.2f}")), ""]
    finally:
        launch.cleanup_all()
    print("\n".join(out))


if __name__ == "__main__":
    main()
