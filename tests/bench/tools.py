# SPDX-License-Identifier: GPL-2.0
"""The snapshot tools compared (rsample and its ptrace-based peers): their
exact command lines, one timed run with the child's rusage, and what their
output says (threads shown, rsample's capture spread)."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time

# One line per peer: the command a user would type, with the flags that make it
# do what rsample does (every thread, DWARF unwinding, function names, inline
# frames and file:line) and nothing else (no ~/.gdbinit, no debuginfod downloads).
PEERS = {
    "gdb": ["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off",
            "-ex", "thread apply all bt", "-p", "{pid}"],
    "lldb": ["lldb", "--batch", "-o", "bt all", "-p", "{pid}"],
    "eu-stack": ["eu-stack", "-i", "-s", "-p", "{pid}"],
}

# Lines that start one thread's stack in each tool's output.
_THREAD_RE = {
    "gdb": re.compile(r"^Thread (\d+) ", re.M),
    "lldb": re.compile(r"^[* ] thread #(\d+)", re.M),  # lldb lists them at attach, then in bt
    "eu-stack": re.compile(r"^TID (\d+):", re.M),
}
_RS_HEADER = re.compile(r"^(\d+) threads? in \d+ process(?:es)?(?:, all threads captured within "
                        r"([\d.]+)(ns|us|ms|s))?", re.M)
_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


# A control: a CPU-bound process that stops nothing, over the window of the rsample
# run before it; it shows what CPU contention alone does to the heartbeat.
BUSY = ["timeout", "{window}", "sh", "-c", "while :; do :; done"]


def command(tool, pid, rsample, window_s=None):
    if tool == "rsample":
        return [rsample, "--pid", str(pid)]
    if tool == "busy":
        return [a.format(window="%.3f" % window_s) for a in BUSY]
    return [a.format(pid=pid) for a in PEERS[tool]]


def missing_peers():
    return [t for t, c in PEERS.items() if not shutil.which(c[0])]


def show(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


class Result:
    def __init__(self, tool, cmd):
        self.tool = tool
        self.cmd = cmd
        self.rc = None
        self.t0 = self.t1 = None  # CLOCK_MONOTONIC ns
        self.wall = None          # seconds
        self.cpu = None           # user + system seconds of the tool (and its waited children)
        self.maxrss_kb = None
        self.stdout = ""
        self.stderr = ""
        self.timed_out = False

    def ok(self):
        if self.tool == "busy":
            return self.rc == 124  # timeout's "the command timed out"
        return not self.timed_out and self.rc in ((0, 1) if self.tool == "rsample" else (0,))


# tests/bench/rusage.c: peak RSS and CPU time of a command, free of the runner's own RSS.
RUSAGE = os.path.join(os.environ.get("RS_BENCH", ""), "rusage")


def wrapped(cmd, rusage_path):
    """cmd started through the rusage helper, which writes its figures to rusage_path."""
    return [RUSAGE, rusage_path] + cmd


def read_rusage(path):
    """(maxrss_kb, cpu_s) written by the rusage helper, or (None, None)."""
    try:
        with open(path) as f:
            rss, user, sys_ = f.read().split()
        os.unlink(path)
        return int(rss), float(user) + float(sys_)
    except (OSError, ValueError):
        return None, None


def run(tool, cmd, timeout=300.0, stdout_path=None):
    """Runs cmd with stdout/stderr to files: wall time from fork to exit; peak RSS and CPU
    time from the rusage helper."""
    r = Result(tool, cmd)
    out = open(stdout_path or os.devnull, "w+b")
    err = open(os.devnull if stdout_path is None else stdout_path + ".err", "w+b")
    rpath = "%s.rusage.%d" % (RUSAGE, os.getpid())
    try:
        r.t0 = time.monotonic_ns()
        p = subprocess.Popen(wrapped(cmd, rpath), stdin=subprocess.DEVNULL, stdout=out,
                             stderr=err, start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, (p.pid, r))
        timer.start()
        try:
            _, status, _ = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        r.t1 = time.monotonic_ns()
        p.returncode = os.waitstatus_to_exitcode(status)
        r.rc = p.returncode
        r.wall = (r.t1 - r.t0) / 1e9
        r.maxrss_kb, r.cpu = read_rusage(rpath)
        if stdout_path:
            out.seek(0)
            r.stdout = out.read().decode(errors="replace")
            err.seek(0)
            r.stderr = err.read().decode(errors="replace")
    finally:
        out.close()
        err.close()
    return r


def _kill_group(pid, r):
    r.timed_out = True
    try:
        os.killpg(pid, signal.SIGKILL)  # the tool's own session: it and its helpers only
    except ProcessLookupError:
        pass


def threads_shown(tool, stdout):
    """How many threads the output shows."""
    if tool == "busy":
        return 0
    if tool == "rsample":
        m = _RS_HEADER.search(stdout)
        return int(m.group(1)) if m else 0
    return len(set(_THREAD_RE[tool].findall(stdout)))


def rsample_spread_ns(stdout):
    """rsample's "all threads captured within X" from the report header, in ns, or None."""
    m = _RS_HEADER.search(stdout)
    if not m or not m.group(2):
        return None
    return int(float(m.group(2)) * _UNIT_NS[m.group(3)])


class PtraceTrace:
    """Records every PTRACE_ATTACH / PTRACE_SEIZE on the machine (perf, system-wide,
    the filter runs in the kernel), with CLOCK_MONOTONIC times, so a peer's capture
    spread is measured as the time from its first thread attach to its last."""

    EVENT = "syscalls:sys_enter_ptrace"
    FILTER = "request == 16 || request == 16902"  # PTRACE_ATTACH, PTRACE_SEIZE

    def __init__(self, path):
        self.path = path
        self.proc = None
        self.times = None
        self.error = None

    def start(self):
        if not shutil.which("perf"):
            self.error = "perf is not installed"
            return False
        self.cmd = ["perf", "record", "-a", "-q", "-k", "mono", "-e", self.EVENT,
                    "--filter", self.FILTER, "-o", self.path]
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        time.sleep(1.0)  # perf opens its events before the first run
        if self.proc.poll() is not None:
            self.error = "perf record failed: %s" % self.proc.stderr.read().decode()[-300:]
            self.proc = None
            return False
        return True

    def stop(self):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        p = subprocess.run(["perf", "script", "-i", self.path, "-F", "time"],
                           capture_output=True, text=True)
        if p.returncode:
            self.error = "perf script failed: %s" % p.stderr[-300:]
            return
        self.times = sorted(int(round(float(t.strip().rstrip(":")) * 1e9))
                            for t in p.stdout.split() if t.strip())

    def window(self, t0, t1):
        """(attaches, first-to-last attach in ns) within [t0, t1], or None."""
        if self.times is None:
            return None
        ts = [t for t in self.times if t0 <= t <= t1]
        return (len(ts), ts[-1] - ts[0]) if ts else (0, None)
