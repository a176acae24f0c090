#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rsample profile at -F 100000 on every CPU: does it end on time (`make bench-profile-stop`).

The victim (tests/integration/profile/victims/spinall.c) runs one spinning
thread per online CPU, so every CPU samples at the requested rate. Each run is
`rsample profile --pid P -F 100000 -d 1s -o FILE -v`; "on time" is measured
from rsample's "sampling ... now" line (-v, printed when the perf events are
attached) to its exit, and compared with the peer, the requested 1 s. The
interval rsample reports, its CPU time (wait4 rusage: user+sys for the whole
run, loading included), the adapted kernel rate and the drops it counted are
printed per run. The SIGINT runs send SIGINT 2 s into sampling a -d 60s
profile and time the exit. Every command is printed. Root.

Environment: RSAMPLE (rsample binary), RS_SPINALL (the victim binary).
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

RSAMPLE = os.environ.get("RSAMPLE", "build/rsample")
SPINALL = os.environ.get("RS_SPINALL", "build/profile-victims/spinall")


def run(pid, out, duration, signal_after=None):
    argv = [RSAMPLE, "profile", "--pid", str(pid), "-F", "100000", "-d", duration, "-o", out,
            "-v"]
    print("  $ " + " ".join(argv) + ("   (SIGINT after %.1f s)" % signal_after
                                     if signal_after else ""), flush=True)
    p = subprocess.Popen(argv, stderr=subprocess.PIPE)
    lines, began = [], None
    for raw in p.stderr:
        lines.append(raw.decode())
        if re.search(r"^rsample: sampling .* now$", lines[-1]):
            began = time.monotonic()
            break
    if began is None:
        p.kill()
        p.wait()
        raise SystemExit("no 'sampling ... now' line: %s" % "".join(lines))
    t0 = began
    if signal_after:
        time.sleep(signal_after)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
    rest = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    took = time.monotonic() - t0
    text = "".join(lines) + rest
    iv = re.search(r"1 interval, ([0-9.]+) s, (\d+) on-CPU samples \((\d+) lost\)", text)
    dr = re.search(r"at (\d+) Hz at the end \(lowest (\d+), -F 100000\); (\d+) samples dropped "
                   r"over --max-cpu (\d+)%, (\d+) samples", text)
    if not iv or not dr:
        raise SystemExit("unexpected output: %s" % text)
    return {"took": took, "interval": float(iv.group(1)), "kept": int(iv.group(2)),
            "lost": int(iv.group(3)), "rate_end": int(dr.group(1)), "rate_low": int(dr.group(2)),
            "shed_cpu": int(dr.group(3)), "late": int(dr.group(5)),
            "cpu": ru.ru_utime + ru.ru_stime, "rc": os.waitstatus_to_exitcode(status)}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("root needed (BPF, perf events)")
    print("machine: %d CPUs, %s" % (os.cpu_count(), os.uname().release), flush=True)
    v = subprocess.Popen([SPINALL], stdout=subprocess.PIPE)
    d = tempfile.mkdtemp(prefix="rsample-bench-stop-")
    out = os.path.join(d, "x.folded")
    rows = []
    try:
        if v.stdout.readline().strip() != b"ready":
            raise SystemExit("spinall did not start")
        for i in range(args.runs):
            rows.append(("-d 1s", 1.0, run(v.pid, out, "1s")))
        for i in range(max(1, args.runs // 2)):
            rows.append(("SIGINT", 0.0, run(v.pid, out, "60s", signal_after=2.0)))
    finally:
        v.kill()
        v.wait()
        if os.path.exists(out):
            os.unlink(out)
        os.rmdir(d)
    print("\n| run | end | exit after | / requested | interval | rsample CPU | kept | "
          "lost (ring full) | shed (--max-cpu) | dropped at end | rate at end (lowest) | exit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, (kind, want, r) in enumerate(rows, 1):
        ratio = "%.3f×" % (r["took"] / want) if want else "+%.3f s" % r["took"]
        print("| %d | %s | %.3f s | %s | %.3f s | %.2f s | %d | %d | %d | %d | %d Hz (%d) | %d |" % (
            n, kind, r["took"], ratio, r["interval"], r["cpu"], r["kept"], r["lost"],
            r["shed_cpu"], r["late"], r["rate_end"], r["rate_low"], r["rc"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
