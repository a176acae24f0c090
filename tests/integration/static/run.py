# SPDX-License-Identifier: GPL-2.0
"""The static build in an empty root (make integration-static).

Run as root by `make integration-static` (or: RSAMPLE_STATIC=build/static/rsample
RS_HOSTILE_VICTIMS=build/hostile-victims python3 tests/integration/static/run.py
[-k PATTERN]). Prints "N passed, M failed" as its last line and exits non-zero when
anything failed; without root or BTF every test is skipped, with why.

Each test copies only build/static/rsample into an empty /tmp/rsample-static-* directory
and runs it chrooted there, from a private mount namespace (unshare --mount
--propagation private) in which /proc and /sys are bind-mounted into that root, a tmpfs
covers its sys/fs/cgroup and the cgroup2 mount (found in /proc/self/mountinfo) is
bind-mounted at the same path under it. Those mounts exist only in that namespace, so
they vanish with its last process, whatever happens to the test. The victim is
tests/victims/ledger.c built static (hostile.mk), started by tests/integration/launch.py
in its own cgroup, PID and mount namespace, from a tmpfs mounted only in that namespace:
its binary is reachable only through /proc/PID/root and /proc/PID/map_files.

  - a snapshot (--json) names the victim's frames in order, from its DWARF (file:line),
    and validates against docs/rsample.schema.json (observe.schema_errors);
  - a text snapshot shows the same frames;
  - an on-CPU profile shows the spinning thread's hash_leaf under hash_tree;
  - DEBUGINFOD_URLS set: one line says debuginfod is unavailable, the snapshot still works;
  - --version says it is the static build, and `file` says statically linked.
While rsample runs, observe.StopMonitor checks that no victim task is stopped or traced.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import expect  # noqa: E402  (tests/integration/expect.py)
import launch  # noqa: E402  (tests/integration/launch.py)
import observe  # noqa: E402  (tests/integration/observe.py)
import suite  # noqa: E402  (tests/integration/suite.py)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RSAMPLE = os.path.abspath(os.environ.get(
    "RSAMPLE_STATIC", os.path.join(REPO, "build", "static", "rsample")))
VICTIMS = os.path.abspath(os.environ.get(
    "RS_HOSTILE_VICTIMS", os.path.join(REPO, "build", "hostile-victims")))
TIMEOUT_S = 60

_dirs = []


def cleanup():
    launch.cleanup_all()
    for d in list(_dirs):
        shutil.rmtree(d, ignore_errors=True)
        _dirs.remove(d)


def empty_root():
    """A new empty directory holding only the static rsample."""
    d = tempfile.mkdtemp(prefix="rsample-static-", dir="/tmp")
    _dirs.append(d)
    shutil.copy2(RSAMPLE, os.path.join(d, "rsample"))
    assert sorted(os.listdir(d)) == ["rsample"]
    return d


# In the private mount namespace: the mounts, then rsample chrooted ($1 root, $2 cgroup2).
_CHROOT = r'''
set -e
root=$1 cg=$2
shift 2
mkdir "$root/proc" "$root/sys"
mount --bind /proc "$root/proc"
mount --bind /sys "$root/sys"
mount -t tmpfs -o mode=755 rsample-static "$root/sys/fs/cgroup"
mkdir -p "$root$cg"
mount --bind "$cg" "$root$cg"
exec chroot "$root" /rsample "$@"
'''


def run_chrooted(args, victim, env=None):
    """rsample ARGS in an empty root, the victim watched; an observe.Run."""
    root = empty_root()
    r = observe.Run(args)
    mon = observe.StopMonitor(victim.host_pid)
    mon.start()
    cmd = ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", _CHROOT, "sh",
           root, victim.cg_mount] + list(args)
    t0 = time.monotonic()
    try:
        # the environment is the caller's plus ENV: the chroot has no files to read one from
        p = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace",
                           timeout=TIMEOUT_S, env=dict(os.environ, **(env or {})))
        r.rc, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        r.rc, r.stderr = "timeout", "rsample did not finish in %d s" % TIMEOUT_S
    r.wall = time.monotonic() - t0
    mon.stop()
    r.monitor_samples, r.violations = mon.samples, mon.violations
    # nothing of the chroot's mounts is left on the host: the namespace took them along
    with open("/proc/self/mountinfo") as f:
        leaked = [ln for ln in f if root in ln]
    assert not leaked, "mounts left on the host: %s" % leaked
    assert not r.violations, "victim stopped or traced: %s" % r.violations[:3]
    assert r.monitor_samples > 0, "the stop monitor never sampled the victim"
    return r


def start_victim():
    v = launch.Victim(os.path.join(VICTIMS, "ledger-static"), name="ledger",
                      prefix="rsample-static-")
    v.start()
    time.sleep(observe.SETTLE_S)  # the blocked threads' blocks grow older than 2 s
    return v


def assert_in_order(names, want, what):
    """WANT appears in NAMES as consecutive entries."""
    assert any(names[i:i + len(want)] == want for i in range(len(names) - len(want) + 1)), \
        "%s: frames %s do not hold %s in order" % (what, names, want)


def test_snapshot_json():
    """--json in an empty root: full DWARF frames in order, the schema's document."""
    v = start_victim()
    r = run_chrooted(["--cgroup", v.cgroup_rel, "--json"], v)
    assert r.rc == 0, r.describe()
    doc = json.loads(r.stdout)
    errs = observe.schema_errors(doc)
    assert not errs, "not valid against the schema: %s" % errs
    procs = [p for p in doc["processes"] if p["pid"] == v.host_pid]
    assert len(procs) == 1, "victim pid %d not in %s" % (v.host_pid,
                                                          [p["pid"] for p in doc["processes"]])
    errs = expect.ledger_static_errors(procs[0])
    assert not errs, "; ".join(errs)
    assert r.stderr == "", "stderr: %r" % r.stderr


def test_snapshot_text():
    """The text report in an empty root: the same frames, the victim's path."""
    v = start_victim()
    r = run_chrooted(["--cgroup", v.cgroup_rel], v)
    assert r.rc == 0, r.describe()
    assert '"ledger" %s:' % v.exe in r.stdout, r.stdout[:600]
    lines = [ln.split()[1] for ln in r.stdout.splitlines()
             if ln.lstrip().startswith("#") and len(ln.split()) > 1]
    assert_in_order(lines, ["nap", "janitor_cycle", "janitor_thread"], "text report")
    assert "ledger.c:" in r.stdout, "no file:line in the text report"


def test_profile_on_cpu():
    """An on-CPU profile in an empty root: the spinning thread's hot leaf, under its caller."""
    v = start_victim()
    r = run_chrooted(["profile", "--cgroup", v.cgroup_rel, "--on-cpu", "-F", "199", "-d", "2s",
                      "--format", "folded"], v)
    assert r.rc == 0, r.describe()
    stacks = {}
    for ln in r.stdout.splitlines():
        stack, _, count = ln.rpartition(" ")
        stacks[stack] = stacks.get(stack, 0) + int(count)
    hot = sum(c for s, c in stacks.items() if s.split(";")[-1] == "hash_leaf")
    total = sum(stacks.values())
    # the spinner runs all the time; on a loaded 2-CPU machine it still gets a good part
    assert total > 0 and hot > 0, "no hash_leaf leaf in %s" % sorted(stacks)[:10]
    assert any("hasher_thread;hash_tree" in s and s.endswith(";hash_leaf") for s in stacks), \
        "hash_leaf not under hasher_thread;hash_tree: %s" % sorted(stacks)[:10]
    observe.note("static profile: %d of %d samples in hash_leaf" % (hot, total))


def test_debuginfod_unavailable():
    """DEBUGINFOD_URLS set: one stderr line says why it is ignored; the snapshot still works."""
    v = start_victim()
    r = run_chrooted(["--cgroup", v.cgroup_rel], v,
                     env={"DEBUGINFOD_URLS": "http://127.0.0.1:9/"})
    assert r.rc == 0, r.describe()
    lines = [ln for ln in r.stderr.splitlines() if "debuginfod" in ln]
    assert len(lines) == 1 and lines[0].startswith(
        "rsample: debuginfod is not available in the static build: DEBUGINFOD_URLS ignored"), \
        r.stderr
    assert "janitor_thread" in r.stdout


def test_version_and_linkage():
    """--version names the static build; the file has no interpreter and no dynamic section."""
    out = subprocess.run([RSAMPLE, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.endswith(" (static; no debuginfod)\n"), out
    hdr = subprocess.run(["readelf", "-ld", RSAMPLE], capture_output=True, text=True).stdout
    assert "INTERP" not in hdr and "There is no dynamic section" in hdr, hdr[:800]


def skip_reason():
    reason = suite.root_bpf_skip_reason(RSAMPLE)
    if not reason and not os.path.exists(os.path.join(VICTIMS, "ledger-static")):
        reason = "no %s/ledger-static: make hostile-victims" % VICTIMS
    return reason


def main(argv):
    atexit.register(cleanup)
    tests = [test_version_and_linkage, test_snapshot_json, test_snapshot_text,
             test_profile_on_cpu, test_debuginfod_unavailable]
    return suite.run(tests, argv, skip_reason, cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
