# SPDX-License-Identifier: GPL-2.0
"""rsample's OCI image against a victim container, with Debian's podman (make
integration-podman).

Run as root by `make integration-podman` (or: RS_IMAGE=build/image/rsample-oci.tar
RS_HOSTILE_VICTIMS=build/hostile-victims python3 tests/integration/podman/run.py
[-k PATTERN]). Prints "N passed, M failed" as its last line and exits non-zero when
anything failed. Skips (SKIPPED: reason) only without root, BTF or podman.

Everything podman keeps lives in one /tmp/rsample-podman-* directory (--root,
--runroot, --tmpdir, vfs storage, a containers.conf and an empty registries.conf given
through CONTAINERS_CONF and CONTAINERS_REGISTRIES_CONF, so the machine's own settings
do not count); every container's cgroup is under /rsample-podman-<random>
(--cgroup-parent) in each hierarchy. Nothing is pulled: both images are OCI archives
written offline by scripts/oci-image.py: rsample's (make image) and a victim's,
tests/victims/ledger.c built static (hostile.mk) at /app/ledger, run as 1000:1000 with
no debugger inside.

This machine's cgroups are hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified
holding hugetlb): crun refuses that ("cgroups in hybrid mode not supported, drop all
controllers from cgroupv2"), runc puts the container in the v1 hierarchies and the
cgroup2 one, so the runtime is runc. podman's default ulimits (nofile and nproc
1048576) are over this machine's hard limits, which runc may not raise ("error
setting rlimit type 6: operation not permitted"; here even the hard limit itself was
refused for nproc): the test passes small ones (nofile 1024, nproc 4096).

The victim runs in its own PID, mount, cgroup, network and IPC namespaces. rsample runs
from its image in a privileged container with the host's PID and cgroup namespaces and
the host's /sys/fs/cgroup bound over podman's (which has only the v1 hierarchies here,
no cgroup2), as the README's podman line says,
naming the victim by its container ID (full and a 12-character prefix) and by its
cgroup path. The tests assert the victim's frames in order, with file:line, and that
no victim task was ever stopped or traced (observe.StopMonitor reads
/proc/PID/task/*/status every 2 ms). Cleanup (after each test and at exit): podman rm
-f of the containers started here, podman rmi, the cgroups made under the parent,
the directory.
"""

import atexit
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import expect  # noqa: E402  (tests/integration/expect.py)
import launch  # noqa: E402  (tests/integration/launch.py)
import observe  # noqa: E402  (tests/integration/observe.py)
import suite  # noqa: E402  (tests/integration/suite.py)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
IMAGE = os.path.abspath(os.environ.get(
    "RS_IMAGE", os.path.join(REPO, "build", "image", "rsample-oci.tar")))
VICTIMS = os.path.abspath(os.environ.get(
    "RS_HOSTILE_VICTIMS", os.path.join(REPO, "build", "hostile-victims")))
TIMEOUT_S = 120  # one podman command; vfs copies the layer, on a loaded machine
READY_S = 60

CONTAINERS_CONF = """[containers]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "runc"
"""

class Podman:
    """podman with all of its state in a directory of its own."""

    def __init__(self):
        self.tag = secrets.token_hex(4)
        self.dir = "/tmp/rsample-podman-" + self.tag
        os.mkdir(self.dir, 0o700)
        self.cg_parent = "/rsample-podman-" + self.tag
        for name, text in (("containers.conf", CONTAINERS_CONF), ("registries.conf", "")):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.env = dict(os.environ, CONTAINERS_CONF=os.path.join(self.dir, "containers.conf"),
                        CONTAINERS_REGISTRIES_CONF=os.path.join(self.dir, "registries.conf"),
                        TMPDIR=os.path.join(self.dir, "tmp"))
        os.mkdir(os.path.join(self.dir, "tmp"))
        self.base = ["podman", "--root", os.path.join(self.dir, "root"),
                     "--runroot", os.path.join(self.dir, "run"), "--tmpdir",
                     os.path.join(self.dir, "tmp"), "--storage-driver", "vfs",
                     "--cgroup-manager", "cgroupfs", "--events-backend", "none",
                     "--runtime", "runc"]
        self.containers = []

    def __call__(self, *args, check=True, timeout=TIMEOUT_S):
        p = subprocess.run(self.base + list(args), capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("podman %s -> exit %d: %s" % (" ".join(args), p.returncode,
                                                               p.stderr.strip()[-1500:]))
        return p

    def run_flags(self):
        """What every container gets: its cgroup under ours, limits this machine allows."""
        flags = ["--pull", "never", "--network", "none", "--cgroup-parent", self.cg_parent]
        for name, res, want in (("nofile", resource.RLIMIT_NOFILE, 1024),
                                ("nproc", resource.RLIMIT_NPROC, 4096)):
            hard = resource.getrlimit(res)[1]
            n = want if hard == resource.RLIM_INFINITY else min(want, hard)
            flags += ["--ulimit", "%s=%d:%d" % (name, n, n)]
        return flags

    def cleanup(self):
        errors = []
        for cid in self.containers:
            p = self("rm", "-f", "-t", "0", cid, check=False)
            if p.returncode != 0:
                errors.append("podman rm %s: %s" % (cid, p.stderr.strip()))
        self.containers = []
        self("rmi", "-a", "-f", check=False)
        # every hierarchy's copy of our parent cgroup, deepest first (conmon's is inside)
        cg_root = "/sys/fs/cgroup"
        for h in sorted(os.listdir(cg_root)):
            top = os.path.join(cg_root, h, self.cg_parent.lstrip("/"))
            if not os.path.isdir(top):
                continue
            for d, _, _ in sorted(os.walk(top), key=lambda t: -t[0].count("/")):
                try:
                    os.rmdir(d)
                except OSError as e:
                    errors.append("cannot remove cgroup %s: %s" % (d, e.strerror))
        with open("/proc/self/mountinfo") as f:
            for ln in f:
                mnt = ln.split()[4]
                if mnt.startswith(self.dir + "/"):
                    subprocess.run(["umount", "-l", mnt], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise RuntimeError("; ".join(errors))


_pm = []


def podman():
    if not _pm:
        _pm.append(Podman())
    return _pm[0]


def cleanup():
    while _pm:
        _pm.pop().cleanup()


def load_images(pm):
    """rsample's image (make image) and the victim's, written here offline."""
    out = pm("load", "-q", "-i", IMAGE).stdout
    assert "localhost/rsample:latest" in out, out
    victim = os.path.join(pm.dir, "victim.tar")
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "oci-image.py"), "--layout",
                    os.path.join(pm.dir, "victim-oci"), "--archive", victim, "--name",
                    "rsample-victim:latest", "--entrypoint", "/app/ledger", "--user",
                    "1000:1000", os.path.join(VICTIMS, "ledger-static") + "=/app/ledger"],
                   check=True, capture_output=True)
    out = pm("load", "-q", "-i", victim).stdout
    assert "localhost/rsample-victim:latest" in out, out


def start_victim(pm):
    """The victim container, ready: (container id, host pid)."""
    p = pm("run", "-d", "--name", "rsample-victim-" + pm.tag, "--user", "1000:1000",
           "--pid", "private", "--cgroupns", "private", *pm.run_flags(),
           "localhost/rsample-victim:latest", "--state", "/tmp/state")
    cid = p.stdout.strip().splitlines()[-1]
    pm.containers.append(cid)
    pid = int(pm("inspect", "-f", "{{.State.Pid}}", cid).stdout.strip())
    deadline = time.monotonic() + READY_S
    state = "/proc/%d/root/tmp/state" % pid
    while True:
        try:
            with open(state) as f:
                if launch.parse_state(f.read()).get("ready") == 1:
                    break
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            logs = pm("logs", cid, check=False)
            raise AssertionError("victim container not ready in %d s: %s" % (
                READY_S, (logs.stdout + logs.stderr)[-800:]))
        time.sleep(0.05)
    time.sleep(observe.SETTLE_S)
    return cid, pid


def run_rsample(pm, pid, *args):
    """rsample from its image, privileged, host PID and cgroup namespaces; the victim watched."""
    mon = observe.StopMonitor(pid)
    mon.start()
    try:
        p = pm("run", "--rm", "--privileged", "--pid", "host", "--cgroupns", "host",
               "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", *pm.run_flags(),
               "localhost/rsample:latest", *args, check=False)
    finally:
        mon.stop()
    assert not mon.violations, "victim stopped or traced: %s" % mon.violations[:3]
    assert mon.samples > 0, "the stop monitor never sampled the victim"
    return p


def assert_victim_frames(p, pid):
    assert p.returncode == 0, "rsample -> exit %d: %s" % (p.returncode, p.stderr.strip()[-1500:])
    doc = json.loads(p.stdout)
    errs = observe.schema_errors(doc)
    assert not errs, "not valid against the schema: %s" % errs
    procs = [pr for pr in doc["processes"] if pr["pid"] == pid]
    assert len(procs) == 1, "victim pid %d not in %s" % (pid, [pr["pid"] for pr in doc["processes"]])
    assert procs[0]["ns_pid"] == 1, "the victim is not PID 1 of its own namespace: %s" % procs[0]
    errs = expect.ledger_static_errors(procs[0])
    assert not errs, "; ".join(errs)
    return doc


def assert_isolated(pid):
    """The victim's own namespaces and user, and no debugger inside its image."""
    for ns in ("pid", "mnt", "cgroup"):
        assert os.readlink("/proc/%d/ns/%s" % (pid, ns)) != os.readlink("/proc/self/ns/" + ns), \
            "victim shares the host's %s namespace" % ns
    with open("/proc/%d/status" % pid) as f:
        uid = [ln.split()[1] for ln in f if ln.startswith("Uid:")][0]
    assert uid == "1000", "victim runs as uid %s" % uid
    for dbg in ("usr/bin/gdb", "usr/bin/strace", "bin/sh"):
        assert not os.path.exists("/proc/%d/root/%s" % (pid, dbg)), dbg


def test_by_container_id():
    """--cgroup <container id> (full, then a 12-character prefix) from the image."""
    pm = podman()
    load_images(pm)
    cid, pid = start_victim(pm)
    assert_isolated(pid)
    doc = assert_victim_frames(run_rsample(pm, pid, "--cgroup", cid, "--json"), pid)
    assert cid in doc["processes"][0]["cgroup"], doc["processes"][0]["cgroup"]
    assert_victim_frames(run_rsample(pm, pid, "--cgroup", cid[:12], "--json"), pid)


def test_by_cgroup_path():
    """--cgroup <the container's cgroup2 path> from the image; the text report too."""
    pm = podman()
    load_images(pm)
    cid, pid = start_victim(pm)
    with open("/proc/%d/cgroup" % pid) as f:
        path = [ln.split(":", 2)[2].strip() for ln in f if ln.startswith("0::")][0]
    assert cid in path, path
    assert_victim_frames(run_rsample(pm, pid, "--cgroup", path, "--json"), pid)
    p = run_rsample(pm, pid, "--cgroup", path)
    assert p.returncode == 0, p.stderr
    assert '"ledger" /app/ledger' in p.stdout and "janitor_thread at " in p.stdout, p.stdout[:800]


def skip_reason():
    reason = observe.skip_reason()
    if reason:
        return reason
    if not shutil.which("podman") or not shutil.which("runc"):
        return "podman or runc is missing: make deps-test installs them"
    if not os.path.exists(IMAGE):
        return "no %s: make image" % IMAGE
    if not os.path.exists(os.path.join(VICTIMS, "ledger-static")):
        return "no %s/ledger-static: make hostile-victims" % VICTIMS
    return None


def main(argv):
    atexit.register(cleanup)
    return suite.run([test_by_container_id, test_by_cgroup_path], argv, skip_reason, cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
