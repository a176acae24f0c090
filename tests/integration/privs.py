# SPDX-License-Identifier: GPL-2.0
"""Least privilege (root, real BPF): what rsample keeps after loading, and the minimum.

Run by `make integration-privs` (RSAMPLE=build/rsample RS_VICTIMS=build/victims
python3 tests/integration/privs.py [-k PATTERN]). Checks, against the namespaced
ledger victim (tests/integration/launch.py):
  - while a profile runs (and a continuous one), /proc/<rsample>/status holds only the
    kept capabilities (CapEff, CapPrm) and NoNewPrivs 1; -v says the same set;
  - with only the README's minimum (setpriv: CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE,
    CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE, CAP_SYSLOG) a snapshot has every
    thread's DWARF-unwound stack down to its start, with kernel frames, exit 0, and a
    profile finds the spinning function;
  - without one capability of the minimum: one stderr line naming it, exit 2.
Prints "N passed, M failed" as its last line.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import launch  # noqa: E402
import suite  # noqa: E402  (tests/integration/suite.py)
from observe import NOTES, RSAMPLE, RUN_TIMEOUT_S, SKIP, VICTIM_DIR, note  # noqa: E402

CAP = {"dac_override": 1, "dac_read_search": 2, "sys_ptrace": 19, "sys_admin": 21,
       "sys_resource": 24, "syslog": 34, "perfmon": 38, "bpf": 39, "checkpoint_restore": 40}
MINIMUM = ("bpf", "perfmon", "sys_ptrace", "dac_read_search", "checkpoint_restore", "syslog")
KEPT = ("sys_ptrace", "dac_read_search", "checkpoint_restore")  # after loading, Linux >= 5.19
THREADS = ("dl-a", "dl-b", "cv-wait", "pipe-rd", "epoll", "sleeper")


def mask(names):
    return sum(1 << CAP[n] for n in names)


def minimum(without=()):
    """setpriv's prefix: uid 0 with only the minimum (less WITHOUT) in every set."""
    caps = ",".join("+" + c for c in MINIMUM if c not in without)
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all," + caps]


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        text = f.read()
    return {k: v.strip() for k, v in re.findall(r"^(\w+):\s*(.*)$", text, re.M)}


class Privileges(unittest.TestCase):
    victim = None

    @classmethod
    def setUpClass(cls):
        if SKIP:
            return
        cls.victim = launch.Victim(os.path.join(VICTIM_DIR, "ledger-nofp"),
                                   prefix="rsample-test-privs-")
        cls.victim.start()
        time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        if cls.victim:
            cls.victim.stop()

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)
        self.pid = self.victim.host_pid

    def run_rs(self, prefix, args):
        return subprocess.run(prefix + [RSAMPLE] + args, capture_output=True, encoding="utf-8",
                              errors="replace", timeout=RUN_TIMEOUT_S)

    def watch(self, prefix, args, out_dir=None):
        """Starts rsample; once -v said what it kept, reads its status. Ends it by SIGINT
        (our own child) for a continuous profile, else waits."""
        p = subprocess.Popen(prefix + [RSAMPLE] + args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, encoding="utf-8", errors="replace")
        try:
            deadline, st, err = time.monotonic() + 20, None, ""
            while time.monotonic() < deadline:
                line = p.stderr.readline()
                if not line:
                    break
                err += line
                if "capabilities kept after loading" in line:
                    time.sleep(0.3)  # well into the run: symbolizing, writing
                    st = status(p.pid)
                    break
            if out_dir:
                time.sleep(1.5)  # one whole interval written after the drop
                p.send_signal(2)
            rest = p.communicate(timeout=RUN_TIMEOUT_S)[1]
        finally:
            if p.poll() is None:
                p.kill()  # our own rsample
                p.wait()
        return p.returncode, err + rest, st

    def check_status(self, what, st, err, want):
        errs = []
        if st is None:
            return ["%s: never said what it kept: %r" % (what, err)]
        for field in ("CapEff", "CapPrm"):
            if int(st[field], 16) != want:
                errs.append("%s: %s %s, want %x" % (what, field, st[field], want))
        for field in ("CapInh", "CapAmb"):
            if int(st[field], 16):
                errs.append("%s: %s %s, want 0" % (what, field, st[field]))
        if st.get("NoNewPrivs") != "1":
            errs.append("%s: NoNewPrivs %r, want 1" % (what, st.get("NoNewPrivs")))
        names = ", ".join("CAP_" + c.upper() for c in
                          sorted(KEPT, key=lambda c: CAP[c]) if want >> CAP[c] & 1)
        if "capabilities kept after loading: %s; no_new_privs set" % names not in err:
            errs.append("%s: -v line %r, want %r" % (what, err, names))
        return errs

    def kept(self):
        """What rsample keeps here: CAP_BPF too before Linux 5.19 (map lookups need it)."""
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
        old = (major, minor) < (5, 19) and open("/proc/sys/kernel/unprivileged_bpf_disabled"
                                               ).read().strip() != "0"
        return mask(KEPT + (("bpf",) if old else ())), old

    def test_profile_runs_with_the_kept_set_only(self):
        """While a profile runs (one-shot to a file, and continuous): CapEff = CapPrm = the
        kept set, CapInh = CapAmb = 0, NoNewPrivs 1; -v names the same set."""
        want, old = self.kept()
        errs = []
        with tempfile.TemporaryDirectory(prefix="rsample-privs-") as d:
            rc, err, st = self.watch([], ["profile", "-v", "--pid", str(self.pid), "-d", "2s",
                                          "-o", os.path.join(d, "p.folded")])
            errs += self.check_status("profile", st, err, want)
            if rc != 0 or os.path.getsize(os.path.join(d, "p.folded")) == 0:
                errs.append("profile: exit %r, stderr %r" % (rc, err))
            rc, err, st = self.watch([], ["profile", "-v", "--pid", str(self.pid),
                                          "--interval", "1s", "--out-dir", d], out_dir=d)
            errs += self.check_status("continuous profile", st, err, want)
            if rc != 0 or len(os.listdir(d)) < 3:
                errs.append("continuous: exit %r, files %r, stderr %r" % (rc, os.listdir(d), err))
        note("kept after loading: CapEff %s%s" % (st and st["CapEff"],
                                                  " (CAP_BPF: Linux < 5.19)" if old else ""))
        if errs:
            self.fail("\n  " + "\n  ".join(errs))

    def test_snapshot_keeps_no_bpf(self):
        """A snapshot's symbolizing runs without CAP_BPF on every kernel: -v names the set."""
        r = self.run_rs([], ["-v", "--pid", str(self.pid)])
        line = "capabilities kept after loading: CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, " \
               "CAP_CHECKPOINT_RESTORE; no_new_privs set"
        if r.returncode != 0 or line not in r.stderr:
            self.fail("exit %r, stderr %r, want 0 and %r" % (r.returncode, r.stderr, line))

    def test_minimum_is_enough(self):
        """Only the documented minimum: a full snapshot (every thread to its start, DWARF,
        kernel frames named) and a profile that finds the spinning thread's functions."""
        errs = []
        r = self.run_rs(minimum(), ["--pid", str(self.pid), "--json"])
        if r.returncode != 0 or r.stderr.strip():
            errs.append("snapshot: exit %r, stderr %r" % (r.returncode, r.stderr))
        else:
            import json
            doc = json.loads(r.stdout)
            threads = {t["name"]: t for p in doc["processes"] for t in p["threads"]}
            for name in THREADS:
                t = threads.get(name)
                if not t:
                    errs.append("snapshot: no thread %s" % name)
                    continue
                u = t.get("unwind") or {}
                funcs = [f.get("function") for f in t.get("user_stack") or []]
                if u.get("method") != "dwarf" or not u.get("complete") or \
                        not any(f in ("start_thread", "main") for f in funcs):
                    errs.append("snapshot: %s: unwind %r, frames %r" % (name, u, funcs))
                if not any(re.match(r"^[a-z_]", k.get("function") or "")
                           for k in t.get("kernel_stack") or []):
                    errs.append("snapshot: %s: kernel frames unnamed" % name)
        with tempfile.TemporaryDirectory(prefix="rsample-privs-") as d:
            out = os.path.join(d, "p.folded")
            p = self.run_rs(minimum(), ["profile", "--pid", str(self.pid), "-d", "1s", "-o", out])
            text = open(out).read() if os.path.exists(out) else ""
            if p.returncode != 0 or "hash_leaf" not in text:
                errs.append("profile: exit %r, stderr %r, folded %r"
                            % (p.returncode, p.stderr, text[:300]))
        if errs:
            self.fail("\n  " + "\n  ".join(errs))

    def test_one_less_is_one_clear_line(self):
        """Without one capability of the minimum: exit 2, one stderr line naming it."""
        cases = (
            ("bpf", ["--backend", "bpf", "--pid", str(self.pid)], "CAP_BPF"),
            ("perfmon", ["--backend", "bpf", "--pid", str(self.pid)], "CAP_PERFMON"),
            ("perfmon", ["profile", "--pid", str(self.pid), "-d", "1s"], "CAP_PERFMON"),
            ("sys_ptrace", ["--pid", str(self.pid)], "CAP_SYS_PTRACE"),
        )
        errs = []
        for cap, args, word in cases:
            r = self.run_rs(minimum(without=(cap,)), args)
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            if r.returncode != 2 or len(lines) != 1 or word not in lines[0] or \
                    not lines[0].startswith("rsample: ") or "as root" in lines[0]:
                errs.append("without CAP_%s, rsample %s: exit %r, stderr %r (want 2 and one "
                            "line naming %s)" % (cap.upper(), " ".join(args), r.returncode,
                                                 lines, word))
            if r.stdout:
                errs.append("without CAP_%s: stdout %r, want nothing" % (cap.upper(),
                                                                        r.stdout[:200]))
        if errs:
            self.fail("\n  " + "\n  ".join(errs))


def main(argv):
    return suite.run_case(Privileges, argv, NOTES, launch.cleanup_all)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
