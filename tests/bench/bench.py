#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rsample snapshot benchmarks (`make bench`; results in BENCHMARKS.md).

Sections (--only picks some; all by default):
  snapshot   stall imposed on the target, snapshot latency, CPU time, peak RSS and
             capture spread: C (ledger-nofp) and Rust (orderd) victims at 10, 100
             and 1000 threads; rsample vs gdb, lldb and eu-stack. After each rsample
             run, two windows as long as that run: no tool (the noise floor), and a
             CPU-bound shell loop that stops nothing (what CPU contention alone does)
  big        the same on a big binary: bigrs (Rust, 64 MB with full DWARF) with
             Debian's libLLVM dlopen'd into it, 100 worker threads
  symbolize  100 000 addresses drawn from bigrs's text through rsample's symbolizer
             (symbench) vs eu-addr2line, addr2line and llvm-symbolizer, cold and warm

Every tool runs on the same victim instance, alternating (the order rotates each
round), --runs times (default 5), with a pause between runs so the victim
recovers; figures are min / median / max and the ratio of medians to rsample's.
Every command is printed as it runs. Tools start through $RS_BENCH/rusage, which
records their own peak RSS and CPU time. Results go to $RS_BENCH/results.md
(the tables BENCHMARKS.md records) and results.json (every run).

Environment: RSAMPLE (rsample binary), RS_VICTIMS (ledger-nofp, orderd),
RS_BENCH (bigrs, symbench, rusage; the output directory). Root is required.
"""

import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import elfsyms  # noqa: E402
import report  # noqa: E402
import symbolization  # noqa: E402
import tools  # noqa: E402
from victim import HostVictim, SlotLog, max_gap  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
RSAMPLE = os.path.abspath(os.environ.get("RSAMPLE", os.path.join(REPO, "build", "rsample")))
VICTIMS = os.path.abspath(os.environ.get("RS_VICTIMS", os.path.join(os.path.dirname(RSAMPLE),
                                                                    "victims")))
BENCH = os.path.abspath(os.environ.get("RS_BENCH", os.path.join(os.path.dirname(RSAMPLE),
                                                                "bench")))
CORE_THREADS = 10   # ledger and orderd: main + 9 threads of their own before --threads
BIG_THREADS = 100
N_ADDRESSES = 100_000
RECOVER_S = 0.3     # pause between runs on one victim
SLACK_NS = 5_000_000


def log(msg):
    print(msg, flush=True)


def machine():
    """What BENCHMARKS.md says about the machine."""
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip() \
                .splitlines()[0]
        except (OSError, IndexError):
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    vers = {}
    for name, cmd in (("gdb", ["gdb", "--version"]), ("lldb", ["lldb", "--version"]),
                      ("eu-stack", ["eu-stack", "--version"]),
                      ("addr2line", ["addr2line", "--version"]),
                      ("llvm-symbolizer", ["llvm-symbolizer", "--version"]),
                      ("rsample", [RSAMPLE, "--version"]), ("rustc", ["rustc", "--version"])):
        vers[name] = first(cmd)
    if "llvm-symbolizer" in vers:  # "LLVM (http://llvm.org/):" then "  LLVM version 14.0.6"
        try:
            out = subprocess.run(["llvm-symbolizer", "--version"], capture_output=True,
                                 text=True).stdout
            vers["llvm-symbolizer"] = next(l.strip() for l in out.splitlines() if "version" in l)
        except (OSError, StopIteration):
            pass
    return {"kernel": platform.release(), "cpu": cpu, "cpus": os.cpu_count(), "mem_mb": mem,
            "versions": vers}


class Bench:
    def __init__(self, args):
        self.args = args
        self.rows = []  # one dict per run
        self.trace = None
        self.notes = []
        self.warmed = set()

    # -- one run -------------------------------------------------------------------

    def measure(self, v, section, cell, tool, rnd, window_s=None):
        """One run of tool against victim v ("idle": a window of window_s with no tool)."""
        time.sleep(RECOVER_S)
        self.wait_not_stopped(v)
        base = v.fresh_state(time.monotonic_ns())
        slots = SlotLog(v)
        slots.start()
        cpu0 = cpu_busy_s(), v.cpu_s()
        if tool == "idle":
            cmd = ["(no tool: sleep %.3f s)" % window_s]
            t0 = time.monotonic_ns()
            time.sleep(window_s)
            t1 = time.monotonic_ns()
            r = None
        else:
            cmd = tools.command(tool, v.pid, RSAMPLE, window_s)
            out = os.path.join(BENCH, "out", "%s-%s-%s.txt" % (section, cell.replace("/", "-"),
                                                                tool))
            r = tools.run(tool, cmd, timeout=self.args.timeout, stdout_path=out)
            t0, t1 = r.t0, r.t1
        cpu1 = cpu_busy_s(), v.cpu_s()
        slots.stop()
        after = v.fresh_state(t1 + 30_000_000)
        slots.merge(after)
        row = {"section": section, "cell": cell, "tool": tool, "round": rnd,
               "cmd": tools.show(cmd) if r else cmd[0], "t0": t0, "t1": t1,
               "wall": (t1 - t0) / 1e9,
               "gap_ns": max_gap(slots.slots, t0, t1 + SLACK_NS),
               "late_1ms": after["hb_late_1ms"] - base["hb_late_1ms"],
               "late_10ms": after["hb_late_10ms"] - base["hb_late_10ms"],
               "eintr": after.get("eintr_total", 0) - base.get("eintr_total", 0),
               # CPUs kept busy by anything but the victim and the tool: other users' jobs
               "foreign_cpus": (cpu1[0] - cpu0[0] - (cpu1[1] - cpu0[1]) - (r.cpu if r else 0))
               / ((t1 - t0) / 1e9)}
        if r:
            row.update(rc=r.rc, ok=r.ok(), cpu=r.cpu, maxrss_kb=r.maxrss_kb,
                       timed_out=r.timed_out, threads_shown=tools.threads_shown(tool, r.stdout),
                       threads=v.thread_count())
            if tool == "rsample":
                row["spread_ns"] = tools.rsample_spread_ns(r.stdout)
            if not row["ok"] or (tool != "busy" and row["threads_shown"] < row["threads"]):
                self.notes.append("%s %s %s round %d: exit %s, %d of %d threads shown%s"
                                  % (section, cell, tool, rnd, r.rc, row["threads_shown"],
                                     row["threads"], ", timed out" if r.timed_out else ""))
        self.rows.append(row)
        gap = row["gap_ns"]
        log("  [%s %s #%d] %-8s %6.3f s  gap %s  late>1ms %d%s  other load %.1f CPUs  $ %s"
            % (section, cell, rnd + 1, tool, row["wall"],
               "%.1f ms" % (gap / 1e6) if gap is not None else "n/a", row["late_1ms"],
               "  rss %d MB" % (row["maxrss_kb"] // 1024) if r and row["maxrss_kb"] else "",
               max(0.0, row["foreign_cpus"]),
               row["cmd"]))
        return row

    def wait_not_stopped(self, v, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            if not v.alive():
                raise RuntimeError("victim %s died: %s" % (v.label, v.stderr()))
            stopped = v.stopped_tasks()
            if not stopped:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("victim %s: tasks %s stay stopped after a peer"
                                   % (v.label, stopped[:10]))
            time.sleep(0.05)

    def rounds(self, v, section, cell, peers):
        """--runs rounds of rsample (then an idle window and the CPU-bound control, as long
        as that rsample run) and every peer, the order rotating each round."""
        # Warm-up runs, not counted: rsample once per victim, each peer once per binary
        # (their own files and the victim's debug info into the page cache).
        tools.run("rsample", tools.command("rsample", v.pid, RSAMPLE), timeout=self.args.timeout)
        for p in peers:
            if (p, v.binary) not in self.warmed:
                self.warmed.add((p, v.binary))
                tools.run(p, tools.command(p, v.pid, RSAMPLE), timeout=self.args.timeout)
        units = ["rsample"] + peers
        for rnd in range(self.args.runs):
            k = rnd % len(units)
            for tool in units[k:] + units[:k]:
                row = self.measure(v, section, cell, tool, rnd)
                if tool == "rsample":
                    self.measure(v, section, cell, "idle", rnd, window_s=row["wall"])
                    self.measure(v, section, cell, "busy", rnd, window_s=row["wall"])

    # -- sections ---------------------------------------------------------------

    def snapshot(self):
        peers = [p for p in self.args.peers if p not in tools.missing_peers()]
        for lang, binary in (("C", "ledger-nofp"), ("Rust", "orderd")):
            if lang.lower() not in self.args.langs:
                continue
            for size in self.args.sizes:
                cell = "%s/%d" % (lang, size)
                log("== snapshot %s: %s with %d threads" % (cell, binary, size))
                v = HostVictim(os.path.join(VICTIMS, binary),
                               ["--threads", str(size - CORE_THREADS)], label=binary)
                with v:
                    time.sleep(self.args.settle)
                    self.rounds(v, "snapshot", cell, peers)

    def big(self):
        peers = [p for p in self.args.peers if p not in tools.missing_peers()]
        lib = big_library()
        args = ["--threads", str(BIG_THREADS)] + (["--dlopen", lib] if lib else [])
        binary = os.path.realpath(os.path.join(BENCH, "bigrs"))
        size = os.path.getsize(binary)
        cell = "bigrs/%d" % (BIG_THREADS + 3)
        self.big_info = {"binary": binary, "size": size, "text": elfsyms.text_size(binary),
                         "lib": lib, "lib_size": os.path.getsize(lib) if lib else None,
                         "args": args}
        log("== big: %s (%.0f MB) %s" % (binary, size / 1e6, " ".join(args)))
        with HostVictim(binary, args, label="bigrs") as v:
            time.sleep(self.args.settle)
            self.rounds(v, "big", cell, peers)

    def symbolize(self):
        binary = os.path.realpath(os.path.join(BENCH, "bigrs"))
        symbench = os.path.join(BENCH, "symbench")
        addrs, nfuncs = elfsyms.draw_addresses(binary, N_ADDRESSES)
        sdir = os.path.join(BENCH, "sym")
        os.makedirs(sdir, exist_ok=True)
        apath = os.path.join(sdir, "addresses.txt")
        symbolization.write_addresses(apath, addrs)
        self.sym_info = {"binary": binary, "functions": nfuncs, "addresses": len(addrs),
                         "distinct": len(set(addrs)), "cap": self.args.sym_cap}
        peers = symbolization.available_peers()
        log("== symbolize: %d addresses (%d distinct) from %d functions of %s; peers %s"
            % (len(addrs), len(set(addrs)), nfuncs, binary, ", ".join(peers)))
        with HostVictim(binary, ["--threads", "10"], label="bigrs") as v:
            units = ["rsample"] + peers
            for rnd in range(self.args.runs):
                k = rnd % len(units)
                for tool in units[k:] + units[:k]:
                    if tool == "rsample":
                        cmd = symbolization.symbench_command(
                            symbench, v.pid, binary, apath, os.path.join(sdir, "rsample.out"),
                            self.args.sym_cap, self.args.sym_cache_limit)
                        res = symbolization.run_symbench(cmd)
                    else:
                        cmd = symbolization.peer_command(tool, binary)
                        res = symbolization.run_peer(tool, cmd, addrs, self.args.sym_cap)
                    res.update(section="symbolize", round=rnd)
                    self.rows.append(res)
                    log("  [symbolize #%d] %-15s %s  $ %s" % (rnd + 1, tool,
                                                              report.sym_line(res), res["cmd"]))

    # -- driver ------------------------------------------------------------------

    def run(self):
        os.makedirs(os.path.join(BENCH, "out"), exist_ok=True)
        self.machine = machine()
        t_start = time.monotonic()
        sections = self.args.only or ["snapshot", "big", "symbolize"]
        if "snapshot" in sections or "big" in sections:
            self.trace = tools.PtraceTrace(os.path.join(BENCH, "ptrace.data"))
            if self.trace.start():
                log("recording ptrace attaches: $ %s" % tools.show(self.trace.cmd))
            else:
                log("no ptrace trace (%s): peers' capture spread is not measured"
                    % self.trace.error)
        try:
            for s in sections:
                t = time.monotonic()
                getattr(self, s)()
                log("-- %s took %.0f s" % (s, time.monotonic() - t))
        finally:
            if self.trace:
                self.trace.stop()
        if self.trace and self.trace.times is not None:
            for row in self.rows:
                if row.get("tool") in tools.PEERS and "t0" in row:
                    w = self.trace.window(row["t0"], row["t1"])
                    row["attaches"], row["attach_window_ns"] = w
        self.elapsed = time.monotonic() - t_start
        doc = {"machine": self.machine, "args": vars(self.args), "rows": self.rows,
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "notes": self.notes, "elapsed_s": self.elapsed,
               "big": getattr(self, "big_info", None), "sym": getattr(self, "sym_info", None),
               "commands": {"rsample": tools.show(tools.command("rsample", "PID", RSAMPLE)),
                            **{p: tools.show(tools.command(p, "PID", RSAMPLE))
                               for p in tools.PEERS}},
               "ptrace_trace": tools.show(self.trace.cmd) if self.trace and
               self.trace.times is not None else None}
        with open(os.path.join(BENCH, "results.json"), "w") as f:
            json.dump(doc, f, indent=1)
        md = report.markdown(doc)
        with open(os.path.join(BENCH, "results.md"), "w") as f:
            f.write(md)
        log("")
        log(md)
        log("results: %s/results.md, %s/results.json (%.0f s)" % (BENCH, BENCH, self.elapsed))


def cpu_busy_s():
    """CPU seconds the whole machine spent busy since boot (/proc/stat, all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def big_library():
    """The largest libLLVM Debian installs (libllvm15 / libllvm14), or None."""
    libs = glob.glob("/usr/lib/*-linux-gnu/libLLVM-*.so.1") + glob.glob("/usr/lib/libLLVM-*.so.1")
    return max(libs, key=os.path.getsize) if libs else None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--only", action="append", choices=["snapshot", "big", "symbolize"])
    ap.add_argument("--runs", type=int, default=5, help="runs of each tool per cell (5)")
    ap.add_argument("--sizes", default="10,100,1000", help="thread counts (10,100,1000)")
    ap.add_argument("--langs", default="c,rust", help="victims: c, rust (both)")
    ap.add_argument("--peers", default=",".join(tools.PEERS), help="snapshot peers")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after a victim is ready")
    ap.add_argument("--timeout", type=float, default=120.0, help="per snapshot run (s)")
    ap.add_argument("--sym-cap", type=float, default=10.0,
                    help="seconds a symbolizer run may take (10): rsample's cold pass, a "
                    "peer's two passes; a run stopped there is extrapolated from its rate")
    ap.add_argument("--sym-cache-limit", type=int, default=0,
                    help="symbench --cache-limit: rsample's symbol cache size (default: "
                    "none: the cache is bounded by memory, what rsample uses)")
    a = ap.parse_args(argv)
    a.sizes = [int(x) for x in a.sizes.split(",")]
    a.langs = a.langs.split(",")
    a.peers = a.peers.split(",")
    if os.geteuid() != 0:
        sys.exit("bench: run as root: rsample needs CAP_BPF/CAP_PERFMON, peers need ptrace")
    for p in (RSAMPLE,):
        if not os.access(p, os.X_OK):
            sys.exit("bench: '%s' is not built (make bench builds it)" % p)
    missing = tools.missing_peers()
    if missing:
        log("bench: peers not installed, skipped: %s (scripts/deps.sh installs them)"
            % ", ".join(missing))
    Bench(a).run()


if __name__ == "__main__":
    main(sys.argv[1:])
