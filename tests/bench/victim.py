# SPDX-License-Identifier: GPL-2.0
"""Benchmark victims: a victim process in a fresh cgroup, in the host's PID and
mount namespaces, and its heartbeat read from the state file.

The integration suite (tests/integration/launch.py) runs victims in their own
PID + mount namespace, the container case. The benchmarks compare rsample with
ptrace-based peers, and two of them cannot work there (eu-stack cannot open
binaries in another mount namespace; lldb 14 fails to attach across PID
namespaces), so here victims stay in the host's namespaces: every peer gets
its best case. Only the cgroup is new ("rsample-bench-<random>"), so cleanup
kills exactly what was started.

The state file format is tests/victims/ledger.c's; the heartbeat thread wakes
every 1 ms and records, per 20 ms slot, its largest wake-up interval.
"""

import atexit
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import launch  # noqa: E402  (cgroup2_mount, parse_state)

HB_SLOT_NS = 20_000_000  # tests/victims/*: heartbeat slot length
_live = []


class HostVictim:
    """One victim process in its own cgroup; stop() kills the cgroup and removes it."""

    def __init__(self, binary, args=(), label=None):
        self.binary = os.path.abspath(binary)
        self.args = list(args)
        self.label = label or os.path.basename(binary)
        self.cgroup = None
        self.tmpdir = None
        self.state_path = None
        self.proc = None
        self.pid = None
        self.log = None

    def start(self, timeout=60.0):
        _live.append(self)
        tag = secrets.token_hex(4)
        self.cgroup = os.path.join(launch.cgroup2_mount(), "rsample-bench-" + tag)
        os.mkdir(self.cgroup)
        self.tmpdir = tempfile.mkdtemp(prefix="rsample-bench-" + tag + "-", dir="/tmp")
        self.state_path = os.path.join(self.tmpdir, "state")
        self.log = open(os.path.join(self.tmpdir, "stderr"), "wb")
        # The shell moves itself into the cgroup, then becomes the victim.
        cmd = ["/bin/sh", "-c", 'echo 0 > "$0/cgroup.procs" && exec "$@"', self.cgroup,
               self.binary, "--state", self.state_path] + self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log)
        self.pid = self.proc.pid
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if st and st.get("ready") == 1:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("victim %s exited with %s: %s"
                                   % (self.label, self.proc.returncode, self.stderr()))
            if time.monotonic() > deadline:
                raise RuntimeError("victim %s not ready after %.0f s" % (self.label, timeout))
            time.sleep(0.02)

    def state(self):
        try:
            with open(self.state_path) as f:
                return launch.parse_state(f.read())
        except (FileNotFoundError, ValueError):
            return None

    def fresh_state(self, after_ns, timeout=2.0):
        """The first state written at or after CLOCK_MONOTONIC after_ns."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if st and st.get("now", 0) >= after_ns:
                return st
            if time.monotonic() > deadline:
                raise RuntimeError("victim %s stopped writing its state file" % self.label)
            time.sleep(0.005)

    def stderr(self):
        try:
            with open(os.path.join(self.tmpdir, "stderr"), "rb") as f:
                return f.read().decode(errors="replace").strip()[-2000:]
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stopped_tasks(self):
        """Tasks of the victim in state t/T (ptrace- or job-control-stopped)."""
        out = []
        base = "/proc/%d/task" % self.pid
        try:
            tids = os.listdir(base)
        except OSError:
            return out
        for tid in tids:
            try:
                with open("%s/%s/stat" % (base, tid)) as f:
                    st = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if st in ("t", "T"):
                out.append(int(tid))
        return out

    def cpu_s(self):
        """User + system CPU seconds of the victim so far (all its threads)."""
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                v = f.read().rsplit(")", 1)[1].split()
            return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def thread_count(self):
        try:
            return len(os.listdir("/proc/%d/task" % self.pid))
        except OSError:
            return 0

    def stop(self):
        if self.cgroup and os.path.isdir(self.cgroup):
            try:
                with open(os.path.join(self.cgroup, "cgroup.kill"), "w") as f:
                    f.write("1")
            except OSError:
                try:
                    with open(os.path.join(self.cgroup, "cgroup.procs")) as f:
                        for pid in f.read().split():  # only our own cgroup's members
                            try:
                                os.kill(int(pid), signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                except OSError:
                    pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.cgroup:
            for _ in range(200):
                try:
                    os.rmdir(self.cgroup)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY while the last task is being reaped
                    time.sleep(0.02)
            self.cgroup = None
        if self.log:
            self.log.close()
            self.log = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _cleanup():
    for v in list(_live):
        try:
            v.stop()
        except Exception as e:  # keep cleaning the others
            print("bench: cleanup: %s" % e, file=sys.stderr)


def _on_signal(signum, frame):
    _cleanup()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_cleanup)
for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class SlotLog(threading.Thread):
    """Collects the victim's heartbeat slots while a run lasts longer than the
    ~10 s the state file keeps: reads the state every 2 s and merges."""

    def __init__(self, victim):
        super().__init__(daemon=True)
        self.victim = victim
        self.slots = {}
        self._halt = threading.Event()

    def merge(self, st):
        for start, gap, n in (st or {}).get("slots", []):
            old = self.slots.get(start)
            # A slot still being filled grows; keep its latest (largest) figures.
            if old is None or n >= old[1]:
                self.slots[start] = (gap, n)

    def run(self):
        while not self._halt.wait(2.0):
            self.merge(self.victim.state())

    def stop(self):
        self._halt.set()
        self.join()


def max_gap(slots, t0, t1):
    """The largest heartbeat interval (ns) recorded in the slots overlapping [t0, t1]."""
    gaps = [g for s, (g, n) in slots.items() if s + HB_SLOT_NS > t0 and s <= t1 and n]
    return max(gaps) if gaps else None
