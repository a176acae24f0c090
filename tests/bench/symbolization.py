# SPDX-License-Identifier: GPL-2.0
"""Symbolization throughput: one address set through rsample's symbolizer
(tests/bench/symbench.c) and through the peers, cold and warm.

Peers get the address set twice on stdin, in one process: the first copy is
the cold pass (process start, opening the binary, reading its DWARF, then the
lookups), the second the warm pass (the same lookups with everything the tool
keeps loaded). The moment the first pass is done is when the tool has written
half its output (both passes print the same); output is read as it comes.
A run that does not finish both passes within the cap is stopped; its rate
is the input it consumed over that time (a 4 KiB pipe feeds it, so the count
is good to a few hundred addresses). rsample's cold pass stops itself at the
cap (symbench --deadline) and reports how many addresses it did.
"""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import tools

PEERS = {
    "eu-addr2line": ["eu-addr2line", "-f", "-i", "-e", "{binary}"],
    "addr2line": ["addr2line", "-f", "-i", "-C", "-e", "{binary}"],
    "llvm-symbolizer": ["llvm-symbolizer", "--obj={binary}"],
}
LINE = "0x%016x\n"  # fixed width: consumed bytes / width = addresses consumed
LINE_LEN = len(LINE % 0)


def available_peers():
    return [t for t, c in PEERS.items() if shutil.which(c[0])]


def peer_command(tool, binary):
    return [a.format(binary=binary) for a in PEERS[tool]]


def symbench_command(symbench, pid, binary, addrs_path, out_path, cap, cache_limit=0):
    return [symbench, "--pid", str(pid), "--module", binary, "--addrs", addrs_path,
            "--out", out_path, "--deadline", "%g" % cap] + \
        (["--cache-limit", str(cache_limit)] if cache_limit else [])


def write_addresses(path, addrs):
    with open(path, "w") as f:
        f.write("".join(LINE % a for a in addrs))


def run_symbench(cmd):
    r = tools.run("rsample", cmd, timeout=600, stdout_path=cmd[cmd.index("--out") + 1] + ".json")
    if r.rc != 0:
        raise RuntimeError("%s failed (exit %s): %s" % (tools.show(cmd), r.rc, r.stderr[-500:]))
    doc = json.loads(r.stdout)
    n = doc["addresses"]
    cold, warm = doc["cold"], doc["warm"]
    return {"tool": "rsample", "cmd": tools.show(cmd), "addresses": n, "done": cold["done"],
            "complete": cold["done"] == n, "cold": cold["seconds"], "warm": warm["seconds"],
            "shared": doc["shared"]["seconds"], "frames": cold["frames"],
            "resolved": cold["resolved"], "maxrss_kb": doc["max_rss_kb"], "wall": r.wall}


def run_peer(tool, cmd, addrs, cap):
    """One run of a peer over addrs twice: cold and warm seconds; when it needs more than
    cap seconds in all, it is stopped and its rate comes from the input it consumed."""
    data = ("".join(LINE % a for a in addrs)).encode()
    n = len(addrs)
    chunks = []  # (CLOCK_MONOTONIC ns, cumulative output bytes)
    fed = [0]
    rpath = "%s.rusage.%d" % (tools.RUSAGE, os.getpid())
    t0 = time.monotonic_ns()
    p = subprocess.Popen(tools.wrapped(cmd, rpath), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        fcntl.fcntl(p.stdin.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    except OSError:
        pass

    both = data * 2

    def feed():
        try:
            for off in range(0, len(both), 4096):
                part = both[off:off + 4096]
                p.stdin.write(part)
                p.stdin.flush()
                fed[0] = off + len(part)
            p.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    killed = []

    def kill():
        killed.append(time.monotonic_ns())
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the tool's own session only
        except ProcessLookupError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    timer = threading.Timer(cap, kill)
    writer.start()
    timer.start()
    first = bytearray()
    total = 0
    while True:
        b = p.stdout.read1(1 << 16)
        if not b:
            break
        total += len(b)
        chunks.append((time.monotonic_ns(), total))
        if len(first) < (256 << 20):
            first += b
    _, status, _ = os.wait4(p.pid, 0)
    timer.cancel()
    maxrss, _ = tools.read_rusage(rpath)
    t_end = time.monotonic_ns()
    writer.join(timeout=5)
    rc = os.waitstatus_to_exitcode(status)
    res = {"tool": tool, "cmd": tools.show(cmd) + " < addresses (the set twice)",
           "addresses": n, "maxrss_kb": maxrss, "wall": (t_end - t0) / 1e9, "rc": rc}
    if killed or rc != 0:
        consumed = max(0, fed[0] - 2 * 4096) // LINE_LEN  # minus the pipe and stdin buffer
        res.update(complete=False, done=min(consumed, n), cold=None, warm=None, capped_at=cap,
                   rate=consumed / ((killed[0] if killed else t_end) - t0) * 1e9)
        return res
    half = total / 2
    t_half = next(t for t, c in chunks if c >= half)
    lines = bytes(first[:int(half)]).decode(errors="replace").splitlines()
    if tool == "llvm-symbolizer":  # function, file:line:col, a blank line after each address
        funcs = [l for i, l in enumerate(x for x in lines if x) if i % 2 == 0]
    else:  # function, file:line
        funcs = lines[0::2]
    res.update(complete=True, done=n, cold=(t_half - t0) / 1e9,
               warm=(chunks[-1][0] - t_half) / 1e9, frames=len(funcs),
               unknown_frames=sum(1 for f in funcs if f.startswith("??")))
    return res
