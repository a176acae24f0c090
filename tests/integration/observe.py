# SPDX-License-Identifier: GPL-2.0
"""Running rsample and watching the victim while it runs (tests/integration).

run_rsample() runs one rsample command while a StopMonitor samples
/proc/PID/task/*/status every 2 ms for stopped (t/T) or traced tasks; with
RS_BACKEND set, snapshots run with --backend RS_BACKEND (with_backend()).
proc_threads() records what /proc says about each thread (ids, syscall, kernel
stack); reading /proc never stops a task. hb_gap() reads the victim's heartbeat
slots (tests/victims/ledger.c) for a time window. Every --json document a run prints
is checked against docs/rsample.schema.json (python3-jsonschema); one that does not
match is no document (doc None, json_error says where it breaks the schema).
"""

import json
import os
import re
import subprocess
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RSAMPLE = os.path.abspath(os.environ.get("RSAMPLE", os.path.join(REPO, "build", "rsample")))
VICTIM_DIR = os.path.abspath(os.environ.get("RS_VICTIMS", os.path.join(os.path.dirname(RSAMPLE),
                                                                       "victims")))
SETTLE_S = 2.2           # wait after "ready" before snapshotting: blocks are >= 2 s old
BLOCK_TOL_NS = 200_000_000
HB_SLOT_NS = 20_000_000  # tests/victims/*: heartbeat slot length
MONITOR_PERIOD_S = 0.002
RUN_TIMEOUT_S = 60

NOTES = []  # measured numbers, printed at the end
SCHEMA_PATH = os.path.join(REPO, "docs", "rsample.schema.json")
_validator = []  # the schema's validator, made at the first document
SCHEMA_CHECKED = [0]  # documents checked against it


def schema_errors(doc):
    """Where DOC breaks docs/rsample.schema.json (at most 5 places), [] when it matches."""
    if not _validator:
        try:
            import jsonschema
        except ImportError:
            raise SystemExit("python3-jsonschema is missing (the --json documents are checked "
                             "against %s): install it with 'make deps-test'" % SCHEMA_PATH)
        with open(SCHEMA_PATH) as f:
            _validator.append(jsonschema.Draft202012Validator(json.load(f)))
    SCHEMA_CHECKED[0] += 1
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(document)", e.message)
            for e in list(_validator[0].iter_errors(doc))[:5]]

# RS_BACKEND=proc (make integration-proc), bpf or auto: every snapshot run gets --backend.
BACKEND = os.environ.get("RS_BACKEND") or None
if BACKEND not in (None, "auto", "bpf", "proc"):
    raise SystemExit("RS_BACKEND=%r: expected auto, bpf or proc" % BACKEND)
TARGET_OPTS = ("-p", "--pid", "-t", "--tid", "-c", "--cgroup")


def with_backend(args):
    """ARGS with --backend BACKEND in front when they take a snapshot and choose none."""
    args = list(args)
    snapshot = args[:1] == ["snapshot"]
    if not BACKEND or any(a == "--backend" or a.startswith("--backend=") for a in args) or \
            not any(a in TARGET_OPTS or a.startswith(("--pid=", "--tid=", "--cgroup="))
                    for a in args) or args[:1] in (["profile"], ["check"]):
        return args
    return args[:1] + ["--backend", BACKEND] + args[1:] if snapshot else \
        ["--backend", BACKEND] + args


def note(msg):
    NOTES.append(msg)
    print("  note: " + msg, flush=True)


def skip_reason():
    if os.geteuid() != 0:
        return "not root: rsample needs CAP_BPF/CAP_PERFMON and these tests create cgroups"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no /sys/kernel/btf/vmlinux: the kernel has no BTF, CO-RE BPF cannot load"
    return None


SKIP = skip_reason()


# ---- observing the victim ---------------------------------------------------

class StopMonitor(threading.Thread):
    """Samples /proc/PID/task/*/status; records any stopped/traced task."""

    def __init__(self, pid, cpus=None):
        super().__init__(daemon=True)
        self.pid = pid
        self.cpus = cpus  # keep off the other CPUs (the pinned spinner's)
        self.samples = 0
        self.violations = []
        self._halt = threading.Event()

    def run(self):
        if self.cpus:
            os.sched_setaffinity(0, self.cpus)
        base = "/proc/%d/task" % self.pid
        while not self._halt.is_set():
            try:
                tids = os.listdir(base)
            except OSError:
                break  # process gone
            for tid in tids:
                try:
                    with open("%s/%s/status" % (base, tid)) as f:
                        text = f.read()
                except OSError:
                    continue
                st = re.search(r"^State:\s+(\S)", text, re.M)
                tr = re.search(r"^TracerPid:\s+(\d+)", text, re.M)
                if (st and st.group(1) in "tT") or (tr and tr.group(1) != "0"):
                    self.violations.append("tid %s: State %s TracerPid %s" % (
                        tid, st.group(1) if st else "?", tr.group(1) if tr else "?"))
            self.samples += 1
            time.sleep(MONITOR_PERIOD_S)

    def stop(self):
        self._halt.set()
        self.join()


class Run:
    """One rsample invocation."""

    def __init__(self, args):
        self.args = args
        self.rc = None
        self.stdout = ""
        self.stderr = ""
        self.wall = None
        self.t0 = self.t1 = None  # CLOCK_MONOTONIC ns around the run
        self.doc = None
        self.json_error = None
        self.monitor_samples = 0
        self.violations = []
        self.hb_gap_ns = None

    def describe(self):
        return "rsample %s -> exit %s (%.3f s)\nstderr: %s" % (
            " ".join(self.args), self.rc, self.wall or 0, self.stderr.strip()[-2000:])


def run_rsample(args, pid=None, timeout=RUN_TIMEOUT_S, want_json=None, cpus=None, env=None):
    """Runs rsample ARGS (on CPUS only, if given; ENV added to the environment) while a
    StopMonitor watches PID."""
    args = with_backend(args)
    r = Run(args)
    mon = StopMonitor(pid, cpus) if pid else None
    if mon:
        mon.start()
        time.sleep(0.01)
    saved = os.sched_getaffinity(0)
    if cpus:
        os.sched_setaffinity(0, cpus)  # this thread only; the child inherits it
    r.t0 = time.monotonic_ns()
    try:
        p = subprocess.run([RSAMPLE] + args, capture_output=True, encoding="utf-8",
                           errors="replace", timeout=timeout,
                           env=dict(os.environ, **env) if env else None)
        r.rc, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        r.rc = "timeout"
        out = e.stdout or b""  # always bytes, whatever the text mode
        r.stdout = out.decode(errors="replace") if isinstance(out, bytes) else out
        r.stderr = "rsample did not finish in %d s" % timeout
    finally:
        if cpus:
            os.sched_setaffinity(0, saved)
    r.t1 = time.monotonic_ns()
    r.wall = (r.t1 - r.t0) / 1e9
    if mon:
        mon.stop()
        r.monitor_samples, r.violations = mon.samples, mon.violations
    if want_json if want_json is not None else "--json" in args:
        try:
            r.doc = json.loads(r.stdout)
        except ValueError as e:
            r.json_error = "%s; stdout starts %r" % (e, r.stdout[:300])
        errs = schema_errors(r.doc) if r.doc is not None else []
        if errs:
            r.doc = None
            r.json_error = "not valid against %s: %s" % (SCHEMA_PATH, "; ".join(errs))
    return r


def proc_threads(pid):
    """{host tid: {"ns_tid", "comm", "syscall_nr", "kstack"}} from /proc (no task is stopped)."""
    out = {}
    base = "/proc/%d/task" % pid
    for tid in os.listdir(base):
        d = {"tid": int(tid)}
        try:
            with open("%s/%s/status" % (base, tid)) as f:
                status = f.read()
            nspid = re.search(r"^NSpid:\s+(.*)$", status, re.M).group(1).split()
            d["ns_tid"] = int(nspid[-1])
            with open("%s/%s/comm" % (base, tid)) as f:
                d["comm"] = f.read().strip()
            with open("%s/%s/syscall" % (base, tid)) as f:
                sc = f.read().split()
            d["syscall_nr"] = int(sc[0]) if sc and sc[0].lstrip("-").isdigit() else None
            with open("%s/%s/stack" % (base, tid)) as f:
                d["kstack"] = [re.sub(r"^\[<[0-9a-f]+>\]\s+", "", l).split("+")[0]
                               for l in f.read().splitlines() if l.strip()]
        except (OSError, AttributeError):
            continue
        out[int(tid)] = d
    return out


def hb_gap(state, t0, t1):
    """The victim heartbeat's longest wake-up interval in slots overlapping [t0, t1]."""
    gaps = [g for s, g, n in state["slots"] if s + HB_SLOT_NS > t0 and s <= t1 and n]
    return max(gaps) if gaps else None


def fmt_ms(ns):
    return "n/a" if ns is None else "%.2f ms" % (ns / 1e6)
