# SPDX-License-Identifier: GPL-2.0
"""deploy/: the manifests, the kubectl plugin and --host-root (make integration-deploy).

- The manifests against the Kubernetes API schemas bundled in npm's kubernetes-models
  (offline once `npm ci` has installed tests/deploy/package-lock.json into OUT/deploy),
  then the DaemonSet's privileges, mounts and args (tests/deploy/validate.mjs).
- deploy/kubectl-rsample with a fake `kubectl` first on PATH: the exact command lines it
  runs (get pod ... jsonpath, then debug node/...), and its errors.
- --host-root as a debug pod needs it: rsample in a cgroup namespace and mount namespace
  of its own (its /sys/fs/cgroup then shows only its own subtree), the node's cgroup2 tree
  and kubelet's pod log directory under a directory, takes a snapshot of a victim named
  namespace/pod and finds its frames (root, real BPF).
Prints "N passed, M failed" last. Everything made here (processes by PID, cgroups,
directories) is removed in cleanup, also on failure.
"""

import importlib.util
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import suite  # noqa: E402  (tests/integration/suite.py)

_spec = importlib.util.spec_from_file_location(
    "prof", os.path.join(REPO, "tests", "integration", "profile", "run.py"))
prof = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prof)  # the profile suite's helpers: cgroups, victims, stop()
check = prof.check

OUT = os.path.abspath(os.environ.get("RS_OUT", os.path.join(REPO, "build")))
PLUGIN = os.path.join(REPO, "deploy", "kubectl-rsample")
MANIFESTS = [os.path.join(REPO, "deploy", "rsample-daemonset.yaml")]
_dirs = []  # temporary directories made here


def tmpdir():
    d = tempfile.mkdtemp(prefix="rsample-deploy-")
    _dirs.append(d)
    return d


# ---- the manifests -----------------------------------------------------------

def npm_modules():
    """OUT/deploy with node_modules from tests/deploy/package-lock.json (npm ci once)."""
    work = os.path.join(OUT, "deploy")
    stamp = os.path.join(work, "node_modules", ".rsample-lock.json")
    lock = os.path.join(HERE, "package-lock.json")
    check(shutil.which("node") and shutil.which("npm"),
          "node and npm not found: make deps-test installs Debian's nodejs and npm")
    if os.path.exists(stamp) and open(stamp, "rb").read() == open(lock, "rb").read():
        return work
    os.makedirs(work, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, f), work)
    r = subprocess.run(["npm", "ci", "--prefix", work, "--no-audit", "--no-fund",
                        "--loglevel=error"], capture_output=True, timeout=600,
                       env=dict(os.environ, HOME=work))
    check(r.returncode == 0, "npm ci of tests/deploy/package.json failed (the npm registry "
          "must be reachable once): %s" % r.stderr.decode()[-800:])
    shutil.copy(lock, stamp)
    return work


def validate(files):
    return subprocess.run(["node", os.path.join(HERE, "validate.mjs")] + files,
                          capture_output=True, timeout=120,
                          env=dict(os.environ, RS_NODE_DIR=npm_modules()))


def test_manifests_match_kubernetes_schema():
    r = validate(MANIFESTS)
    out = r.stdout.decode()
    print("  " + out.strip().replace("\n", "\n  "), flush=True)
    check(r.returncode == 0, "deploy/ manifests: %s %s" % (out, r.stderr.decode()))
    check(out.count("matches the Kubernetes schema") == 2 and "privileges, mounts" in out,
          "not every document was checked: %s" % out)


def test_schema_check_rejects_a_broken_manifest():
    d = tmpdir()
    text = open(MANIFESTS[0]).read()
    for name, broken, want in [
            ("type", text.replace("hostPID: true", 'hostPID: "yes"'), "hostPID must be boolean"),
            ("caps", text.replace("add: [BPF, PERFMON", "add: [SYS_ADMIN, BPF, PERFMON"),
             "capabilities.add"),
            ("privileged", text.replace("privileged: false", "privileged: true"),
             "must not be privileged")]:
        path = os.path.join(d, name + ".yaml")
        with open(path, "w") as f:
            f.write(broken)
        r = validate([path])
        check(r.returncode != 0 and want in r.stdout.decode(),
              "a manifest with %s broken passed: %r" % (name, r.stdout))


# ---- the kubectl plugin, against a fake kubectl ------------------------------

FAKE_KUBECTL = r"""#!/bin/sh
# Records each call (one line, shell-quoted words) and answers as the API server would.
{ for a in "$@"; do printf "'%s' " "$a"; done; echo; } >> "$FAKE_LOG"
case "$*" in
*"jsonpath={.spec.nodeName}"*) printf '%s' "$FAKE_NODE" ;;
*"jsonpath={.metadata.uid}"*) printf '%s' "$FAKE_UID" ;;
*"containerStatuses"*) printf '%s' "$FAKE_CID" ;;
"debug "*) echo "rsample ran" ;;
*) echo "fake kubectl: unexpected call: $*" >&2; exit 1 ;;
esac
"""


def plugin(args, node="node-a", uid="6a1f3c2e-9b4d-4e8a-8f1b-2c3d4e5f6a7b", cid=""):
    d = tmpdir()
    with open(os.path.join(d, "kubectl"), "w") as f:
        f.write(FAKE_KUBECTL)
    os.chmod(os.path.join(d, "kubectl"), 0o755)
    log = os.path.join(d, "calls")
    env = dict(os.environ, PATH=d + ":" + os.environ["PATH"], FAKE_LOG=log, FAKE_NODE=node,
               FAKE_UID=uid, FAKE_CID=cid)
    env.pop("RSAMPLE_IMAGE", None)
    r = subprocess.run(["sh", PLUGIN] + args, capture_output=True, timeout=30, env=env,
                       stdin=subprocess.DEVNULL)
    calls = [shlex.split(x) for x in open(log).read().splitlines()] if os.path.exists(log) \
        else []
    return r, calls


def test_plugin_pod_by_uid():
    r, calls = plugin(["-n", "shop", "web-0"])
    check(r.returncode == 0 and r.stdout == b"rsample ran\n", "exit %d %r" % (
        r.returncode, r.stderr))
    check(calls == [
        ["get", "pod", "web-0", "-n", "shop", "-o", "jsonpath={.spec.nodeName}"],
        ["get", "pod", "web-0", "-n", "shop", "-o", "jsonpath={.metadata.uid}"],
        ["debug", "node/node-a", "--profile=sysadmin", "--image=rsample:latest", "-i",
         "--quiet", "--", "rsample", "--host-root", "/host", "--cgroup",
         "6a1f3c2e-9b4d-4e8a-8f1b-2c3d4e5f6a7b"],
    ], "kubectl calls: %r" % calls)


def test_plugin_container_and_profile_args():
    cid = "3f2a9c01566dc3daf89efe8872b8bc09d4a3b52cc1deae58dc5dbfb53e7ab4ea"
    r, calls = plugin(["--image", "reg.example/rsample:1", "-c", "app", "web-0", "--",
                       "profile", "--on-cpu", "-d", "10s", "-o", "/dev/stdout"],
                      cid="containerd://" + cid)
    check(r.returncode == 0, "exit %d %r" % (r.returncode, r.stderr))
    check(calls == [
        ["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"],
        ["get", "pod", "web-0", "-o",
         'jsonpath={.status.containerStatuses[?(@.name=="app")].containerID}'],
        ["debug", "node/node-a", "--profile=sysadmin", "--image=reg.example/rsample:1", "-i",
         "--quiet", "--", "rsample", "profile", "--host-root", "/host", "--cgroup", cid,
         "--on-cpu", "-d", "10s", "-o", "/dev/stdout"],
    ], "kubectl calls: %r" % calls)


def test_plugin_errors():
    r, calls = plugin(["web-0"], node="")
    err = r.stderr.decode()
    check(r.returncode == 2 and err.count("\n") == 1 and "has no node yet" in err,
          "unscheduled pod: exit %d %r" % (r.returncode, err))
    check(len(calls) == 1, "went on after no node: %r" % calls)
    r, calls = plugin(["-c", "nope", "web-0"], cid="")
    check(r.returncode == 2 and b"no running container 'nope'" in r.stderr,
          "unknown container: exit %d %r" % (r.returncode, r.stderr))
    r, calls = plugin([])
    check(r.returncode == 64 and b"usage:" in r.stderr and not calls, "no pod: %r" % r.stderr)


# ---- --host-root, from a cgroup namespace of its own ------------------------

def test_host_root_from_own_cgroup_namespace():
    reason = suite.root_bpf_skip_reason(prof.RSAMPLE)
    check(not reason, "needs root and BPF: %s" % reason)
    mnt = prof.cgroup2_mount()
    uid, cid = str(uuid.uuid4()), secrets.token_hex(32)
    ns, pod = "rs-deploy", "web-" + secrets.token_hex(3)
    top = os.path.join(mnt, "rsample-deploy-" + secrets.token_hex(4))
    os.mkdir(top)
    prof._cgroups.append(top)
    path = top
    for part in ("kubepods", "pod" + uid, cid):
        path = os.path.join(path, part)
        os.mkdir(path)
        prof._cgroups.append(path)
    me = os.path.join(top, "rsample")  # rsample's own cgroup: its namespace's root
    os.mkdir(me)
    prof._cgroups.append(me)
    host = tmpdir()
    os.makedirs(os.path.join(host, "sys", "fs", "cgroup"))
    os.makedirs(os.path.join(host, "var", "log", "pods", "%s_%s_%s" % (ns, pod, uid), "app"))
    p = prof.start(prof.victim("cpusplit"), cgroup=path)
    # As a debug pod: its own cgroup namespace (rooted at `me`) and mount namespace, the
    # node's cgroup2 tree bind-mounted under the host root; no /var/log/pods entry outside.
    inner = "mount --bind %s %s/sys/fs/cgroup && exec %s \"$@\"" % (
        shlex.quote(mnt), shlex.quote(host), shlex.quote(prof.RSAMPLE))
    outer = "echo $$ > %s/cgroup.procs && exec unshare --mount --propagation private " \
        "--cgroup sh -c %s rsample \"$@\"" % (shlex.quote(me), shlex.quote(inner))

    def run(args):
        return subprocess.run(["sh", "-c", outer, "sh"] + args, capture_output=True,
                              timeout=120)
    try:
        without = run(["--cgroup", "%s/%s" % (ns, pod), "--json"])
        r = run(["--host-root", host, "--cgroup", "%s/%s" % (ns, pod), "--json"])
        ctx = run(["--host-root", host, "--cgroup", cid, "--json"])
    finally:
        prof.stop(p)
    check(without.returncode == 2, "without --host-root the pod name cannot resolve: exit %d "
          "%r" % (without.returncode, without.stderr))
    check(r.returncode == 0, "--host-root: exit %d %r" % (r.returncode, r.stderr[-800:]))
    doc = json.loads(r.stdout)
    frames = [f.get("function") or "" for pr in doc["processes"] for t in pr["threads"]
              for f in t.get("user_stack") or []]
    check(len(doc["processes"]) == 1 and doc["processes"][0]["pid"] == p.pid,
          "the snapshot holds %r, want the victim %d" % (
              [x["pid"] for x in doc["processes"]], p.pid))
    check(any(f in ("burn_three", "burn_one", "spin") for f in frames) and "main" in frames,
          "the victim's frames are missing: %r" % frames[:20])
    check(ctx.returncode == 0 and json.loads(ctx.stdout)["processes"][0]["pid"] == p.pid,
          "--host-root by container ID: exit %d %r" % (ctx.returncode, ctx.stderr[-500:]))


def test_host_root_errors():
    r = subprocess.run([prof.RSAMPLE, "--host-root", "host", "--pid", "1"],
                       capture_output=True, timeout=30)
    check(r.returncode == 64 and b"invalid --host-root 'host'" in r.stderr, "relative: %r" %
          r.stderr)
    d = tmpdir()
    r = subprocess.run([prof.RSAMPLE, "--host-root", d, "--cgroup", "x/y"], capture_output=True,
                       timeout=30)
    err = r.stderr.decode()
    check(r.returncode == 2 and err.count("\n") == 1 and "no cgroup2 mount at" in err,
          "no cgroup2 under the root: exit %d %r" % (r.returncode, err))


TESTS = [
    test_manifests_match_kubernetes_schema,
    test_schema_check_rejects_a_broken_manifest,
    test_plugin_pod_by_uid,
    test_plugin_container_and_profile_args,
    test_plugin_errors,
    test_host_root_from_own_cgroup_namespace,
    test_host_root_errors,
]


def cleanup():
    prof.cleanup()
    while _dirs:
        shutil.rmtree(_dirs.pop(), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(suite.main(TESTS, sys.argv[1:], lambda: None, cleanup))
