# SPDX-License-Identifier: GPL-2.0
"""Starts a test victim "in a container" and always cleans up after it.

A victim runs
  - in a fresh cgroup v2 <cgroup2 mount>/<prefix><random> (the mount is found
    in /proc/self/mountinfo; the name always contains "rsample"),
  - in a fresh PID and mount namespace (util-linux unshare), as PID 1,
  - from a tmpfs mounted inside its mount namespace over an empty directory
    /tmp/rsample-ns-<random>/app: on the host that directory stays empty, so
    the binary (and its .debug file) can only be reached through
    /proc/PID/root or /proc/PID/map_files,
  - with own_root="pivot", with /tmp/rsample-ns-<random> as the root of its
    mount namespace (pivot_root, the old root detached, as container runtimes
    do): a container root the host can see, where a test puts what the
    "container image" holds. The binary must be static; /proc/PID/maps shows
    it as /app/NAME, as it would in a container. With own_root="chroot", only
    chrooted there, and without the tmpfs: the host sees the binary at
    /tmp/rsample-ns-<random>/app/NAME, and so does /proc/PID/maps.
It reports through a state file in /tmp/rsample-ns-<random>/state/, which the
host can read (see tests/victims/ledger.c for the format).

Cleanup kills only what this module started: the processes of its own cgroup
(cgroup.kill, else SIGKILL by PID from cgroup.procs) and its own unshare
process, waits until the cgroup is empty, removes it and the temporary
directory. It runs from stop(), atexit, and SIGINT/SIGTERM/SIGHUP handlers.

Command line (used by scripts/demo.sh):
  launch.py [--prefix P] [--as NAME] [--debug-file F] [--settle S] VICTIM [-- CMD ...]
starts VICTIM, waits until it is ready plus S seconds, runs CMD with {cgroup}
(path relative to the cgroup2 mount), {cgroup_abs}, {pid} (host PID) and
{exe} (the path inside the namespace) substituted, then cleans up. Without
CMD it prints those values and waits for Ctrl-C.
"""

import argparse
import atexit
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

_live = []  # victims not yet cleaned up
_cgroups = []  # cgroups made by make_cgroup(), removed after the victims


def cgroup2_mount(mountinfo="/proc/self/mountinfo"):
    """The cgroup v2 mount point, from mountinfo (fstype after the " - " separator)."""
    with open(mountinfo) as f:
        for line in f:
            pre, sep, post = line.partition(" - ")
            if sep and post.split()[0] == "cgroup2":
                return pre.split()[4].replace("\\040", " ")
    raise RuntimeError("no cgroup2 mount in /proc/self/mountinfo")


def parse_state(text):
    """Parses a victim state file into a dict (see tests/victims/ledger.c)."""
    st = {"threads_by_name": {}, "slots": []}
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "thread" and len(f) == 6:
            st["threads_by_name"][f[1]] = {
                "name": f[1], "ns_tid": int(f[2]), "block_start_ns": int(f[3]),
                "eintr": int(f[4]), "spurious": int(f[5])}
        elif f[0] == "slot" and len(f) == 4:
            st["slots"].append((int(f[1]), int(f[2]), int(f[3])))
        elif len(f) == 2:
            st[f[0]] = int(f[1])
    return st


_SCRIPT = r'''
set -e
echo 0 > "$RS_CGROUP/cgroup.procs"
if [ "$RS_ROOT_MODE" = pivot ]; then mount --bind "$RS_ROOT" "$RS_ROOT"; fi
if [ "$RS_ROOT_MODE" != chroot ]; then mount -t tmpfs -o size=256m,mode=0755 rsample-app "$RS_APP"; fi
cp "$RS_BIN" "$RS_APP/$RS_NAME"
if [ -n "$RS_DEBUG" ]; then cp "$RS_DEBUG" "$RS_APP/"; fi
if [ "$RS_ROOT_MODE" = chroot ]; then exec chroot "$RS_ROOT" "/app/$RS_NAME" "$@"; fi
if [ "$RS_ROOT_MODE" = pivot ]; then cd "$RS_ROOT"; exec python3 -c "$RS_PIVOT" "/app/$RS_NAME" "$@"; fi
cd /
exec "$RS_APP/$RS_NAME" "$@"
'''

# pivot_root(".", ".oldroot"), detach the old root, exec argv[1:] (run from the new root).
_PIVOT = r'''
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs(".oldroot", exist_ok=True)
if libc.syscall(155, b".", b".oldroot") or libc.umount2(b"/.oldroot", 2):  # SYS_pivot_root, MNT_DETACH
    sys.exit("pivot_root: %s" % os.strerror(ctypes.get_errno()))
os.rmdir("/.oldroot")
os.chdir("/")
os.execv(sys.argv[1], sys.argv[1:])
'''


class Victim:
    """One victim process in its own cgroup, PID namespace and mount namespace."""

    def __init__(self, binary, args=(), debug_file=None, name=None, prefix="rsample-test-",
                 parent=None, own_root=None):
        if "rsample" not in prefix:
            raise ValueError("cgroup prefix must contain 'rsample'")
        self.parent = parent  # a cgroup from make_cgroup(), or None for the root
        self.binary = os.path.abspath(binary)
        self.debug_file = os.path.abspath(debug_file) if debug_file else None
        self.name = name or os.path.basename(binary)
        self.args = list(args)
        self.own_root = own_root
        self.prefix = prefix
        self.cg_mount = cgroup2_mount()
        self.cgroup_rel = None  # "/rsample-test-..."
        self.cgroup_abs = None
        self.tmpdir = None
        self.app_dir = None
        self.state_path = None
        self.exe = None  # path inside the namespace
        self.proc = None  # our unshare process
        self.host_pid = None
        self.log_path = None
        self._log = None

    # -- lifecycle ---------------------------------------------------------

    def start(self, wait_ready=True, timeout=30.0, allow_exit=False):
        """Starts the victim and finds its host PID; waits for "ready" unless told not to.
        allow_exit: a victim that exits before it is found is not an error (host_pid None)."""
        _live.append(self)
        tag = secrets.token_hex(4)
        parent = self.parent or self.cg_mount
        self.cgroup_abs = os.path.join(parent, self.prefix + tag)
        self.cgroup_rel = "/" + os.path.relpath(self.cgroup_abs, self.cg_mount)
        os.mkdir(self.cgroup_abs)
        self.tmpdir = tempfile.mkdtemp(prefix="rsample-ns-" + tag + "-", dir="/tmp")
        self.app_dir = os.path.join(self.tmpdir, "app")
        os.mkdir(self.app_dir, 0o755)
        os.mkdir(os.path.join(self.tmpdir, "state"))
        self.state_path = os.path.join(self.tmpdir, "state", "state")
        self.exe = os.path.join("/app" if self.own_root == "pivot" else self.app_dir, self.name)
        self.log_path = os.path.join(self.tmpdir, "state", "stderr")
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, RS_CGROUP=self.cgroup_abs, RS_APP=self.app_dir,
                   RS_BIN=self.binary, RS_NAME=self.name, RS_DEBUG=self.debug_file or "",
                   RS_ROOT=self.tmpdir, RS_ROOT_MODE=self.own_root or "", RS_PIVOT=_PIVOT)
        state = "/state/state" if self.own_root else self.state_path  # as the victim sees it
        cmd = ["unshare", "--pid", "--mount", "--fork", "--mount-proc", "--propagation", "private",
               "/bin/sh", "-c", _SCRIPT, "sh", "--state", state] + self.args
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        while self.host_pid is None:
            pids = self.cgroup_pids()
            for pid in pids:
                try:
                    exe = os.readlink("/proc/%d/exe" % pid)
                    if exe.startswith(self.app_dir + "/") or (self.own_root and exe == self.exe):
                        self.host_pid = pid
                except OSError:
                    pass
            if self.host_pid is None:
                if allow_exit and self.proc.poll() is not None:
                    return self
                self._check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError("victim %s did not start: %s" % (self.name, self.stderr()))
                time.sleep(0.01)
        if wait_ready:
            self.wait_ready(deadline - time.monotonic())
        return self

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError("victim %s exited with %s: %s"
                               % (self.name, self.proc.returncode, self.stderr()))

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if st and st.get("ready") == 1:
                return st
            self._check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError("victim %s not ready after %.0fs: %s"
                                   % (self.name, timeout, self.stderr()))
            time.sleep(0.02)

    def state(self):
        try:
            with open(self.state_path) as f:
                return parse_state(f.read())
        except FileNotFoundError:
            return None

    def stderr(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace").strip()
        except (OSError, TypeError):
            return ""

    def cgroup_pids(self):
        try:
            with open(os.path.join(self.cgroup_abs, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except FileNotFoundError:
            return []

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Kills what we started and removes the cgroup and temporary files. Idempotent."""
        errors = []
        if self.cgroup_abs and os.path.isdir(self.cgroup_abs):
            try:
                with open(os.path.join(self.cgroup_abs, "cgroup.kill"), "w") as f:
                    f.write("1")
            except OSError:
                for pid in self.cgroup_pids():  # only our own cgroup's members
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            deadline = time.monotonic() + 10
            while self.cgroup_pids() and time.monotonic() < deadline:
                time.sleep(0.01)
            for _ in range(100):
                try:
                    os.rmdir(self.cgroup_abs)
                    break
                except FileNotFoundError:
                    break
                except OSError as e:  # EBUSY while the last task is being reaped
                    err = e
                    time.sleep(0.02)
            else:
                errors.append("cannot remove cgroup %s: %s" % (self.cgroup_abs, err))
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # our own unshare process, by its PID
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None
        if self.tmpdir and os.path.isdir(self.tmpdir):
            if (self.own_root != "chroot" and self.app_dir and os.path.isdir(self.app_dir)
                    and os.listdir(self.app_dir)):
                errors.append("%s is not empty on the host" % self.app_dir)
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self in _live:
            _live.remove(self)
        if errors:
            raise RuntimeError("; ".join(errors))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def make_cgroup(prefix):
    """Creates <cgroup2 mount>/<prefix><random> (a pod for child victims); removed at exit."""
    if "rsample" not in prefix:
        raise ValueError("cgroup prefix must contain 'rsample'")
    path = os.path.join(cgroup2_mount(), prefix + secrets.token_hex(4))
    os.mkdir(path)
    _cgroups.append(path)
    return path


def remove_cgroup(path):
    """Removes a cgroup from make_cgroup() once its victims are stopped."""
    for i in range(100):
        try:
            os.rmdir(path)
            break
        except FileNotFoundError:
            break
        except OSError as e:
            if i == 99:
                print("launch: cannot remove cgroup %s: %s" % (path, e), file=sys.stderr)
            time.sleep(0.02)
    if path in _cgroups:
        _cgroups.remove(path)


def cleanup_all():
    for v in list(_live):
        try:
            v.stop()
        except Exception as e:  # keep cleaning the others
            print("launch: cleanup: %s" % e, file=sys.stderr)
    for c in list(_cgroups):
        remove_cgroup(c)


def _on_signal(signum, frame):
    cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_cleanup_handlers():
    atexit.register(cleanup_all)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)


install_cleanup_handlers()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prefix", default="rsample-test-")
    ap.add_argument("--as", dest="name")
    ap.add_argument("--debug-file")
    ap.add_argument("--settle", type=float, default=0.0)
    ap.add_argument("victim")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    v = Victim(a.victim, debug_file=a.debug_file, name=a.name, prefix=a.prefix)
    try:
        v.start()
        time.sleep(a.settle)
        subst = {"cgroup": v.cgroup_rel, "cgroup_abs": v.cgroup_abs, "pid": str(v.host_pid),
                 "exe": v.exe}
        if not cmd:
            print(" ".join("%s=%s" % kv for kv in sorted(subst.items())), flush=True)
            signal.pause()
            return 0
        return subprocess.call([c.format(**subst) for c in cmd])
    finally:
        v.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
