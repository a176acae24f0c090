# SPDX-License-Identifier: GPL-2.0
"""The hang watch (root, real BPF): `rsample watch` over a service that runs normally,
then hangs (tests/victims/hangsvc.c and hangsvc.rs).

Run by `make integration-watch` (RSAMPLE=build/rsample RS_VICTIMS=build/victims
python3 tests/integration/watch.py [-k PATTERN]). Each victim runs in a fresh cgroup,
PID and mount namespace (launch.py); its idle pool workers (condvar), reactor (epoll)
and parked thread stay blocked for several thresholds before the hang. It writes the
CLOCK_REALTIME instant it hangs (and recovers) into its state file. Asserted: exactly
one report, within threshold + 2 s of the hang, none before it, none again while it
stays hung, one `cleared` line after it recovers, --json one schema-valid line per
incident, --out-dir one schema-valid file per incident, the victim never stopped or
traced, exit 0 on SIGINT; a process that joins the watched cgroup after the watch
started is watched too; a cgroup removed while watched, and an unknown one, are one
line and exit 2. Prints
"N passed, M failed" as its last line.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import launch  # noqa: E402
import suite  # noqa: E402
from observe import (NOTES, RSAMPLE, SKIP, VICTIM_DIR, StopMonitor, note,  # noqa: E402
                     schema_errors)

THRESHOLD_S = 2
LATE_S = 2.0     # the bound: a report within threshold + 2 s of the hang
HANG_AFTER_S = 7  # more than three thresholds of idle pool workers first
READY_S = 30


class Watcher:
    """`rsample watch` running, its stdout lines kept with their CLOCK_REALTIME arrival."""

    def __init__(self, args):
        self.lines = []  # (time_ns, line)
        self.proc = subprocess.Popen([RSAMPLE, "watch"] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.err = ""
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        self._e = threading.Thread(target=self._read_err, daemon=True)
        self._e.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.time_ns(), line.rstrip("\n")))

    def _read_err(self):
        for line in self.proc.stderr:
            self.err += line

    def wait_started(self):
        """Until its "watching ..." line (the BPF is loaded, the first tick is next)."""
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            if "watching " in self.err:
                return
            time.sleep(0.05)

    def stop(self):
        """SIGINT to the rsample we started (by its PID); its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._t.join(5)
        self._e.join(5)
        return self.proc.returncode

    def matching(self, pattern):
        return [(t, ln) for t, ln in self.lines if re.search(pattern, ln)]


def wait_for(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    return cond()


class Watch(unittest.TestCase):
    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    def start(self, binary, mode, recover_s):
        v = launch.Victim(os.path.join(VICTIM_DIR, binary),
                          args=[mode, str(HANG_AFTER_S), str(recover_s)],
                          prefix="rsample-test-watch-")
        self.addCleanup(v.stop)
        v.start(timeout=READY_S)
        return v

    def watch(self, v, *extra):
        w = Watcher(["--cgroup", v.cgroup_rel, "--threshold", "%ds" % THRESHOLD_S] +
                    list(extra))
        self.addCleanup(w.stop)
        mon = StopMonitor(v.host_pid)
        mon.start()
        self.addCleanup(mon.stop)
        return w, mon

    def wait_state(self, v, key, timeout):
        st = wait_for(lambda: (v.state() or {}).get(key), timeout)
        self.assertTrue(st, "victim never wrote %s: %s" % (key, v.stderr()))
        return st

    def check_common(self, w, mon, rc, hang_ns, reports, errs):
        if rc != 0:
            errs.append("rsample watch exited %s on SIGINT, want 0; stderr: %s" % (rc, w.err))
        if mon.violations:
            errs.append("the victim was stopped or traced: %s" % mon.violations[:3])
        if len(reports) != 1:
            errs.append("%d reports, want exactly 1: %s" % (len(reports),
                                                            [ln for _, ln in reports]))
        for t, ln in reports:
            late = (t - hang_ns) / 1e9
            if t < hang_ns:
                errs.append("a report before the hang (%.1f s early): %s" % (-late, ln[:300]))
            elif late > THRESHOLD_S + LATE_S:
                errs.append("the report came %.2f s after the hang, want <= %d s"
                            % (late, THRESHOLD_S + LATE_S))
            else:
                note("%s: reported %.2f s after the hang (threshold %d s)"
                     % (self.id().rsplit(".", 1)[-1], late, THRESHOLD_S))

    def text_case(self, binary, mode, syscall_word, reason_word):
        v = self.start(binary, mode, recover_s=5)
        w, mon = self.watch(v)
        hang_ns = self.wait_state(v, "hang_ns", HANG_AFTER_S + READY_S)
        rec_ns = self.wait_state(v, "recovered_ns", 5 + READY_S)
        wait_for(lambda: w.matching(r"^cleared: "), THRESHOLD_S + 5)
        time.sleep(1.0)  # nothing more should come
        rc = w.stop()
        mon.stop()
        errs = []
        reports = w.matching(r"^hang \d+: ")
        self.check_common(w, mon, rc, hang_ns, reports, errs)
        text = "\n".join(ln for _, ln in w.lines)
        if reports:
            head = reports[0][1]
            if not re.search(r'tid \d+ "worker" blocked for [\d.]+s in %s' % syscall_word, head):
                errs.append("the header does not name the worker blocked in %s: %s"
                            % (syscall_word, head))
            if reason_word and reason_word not in head:
                errs.append("the header does not say %r: %s" % (reason_word, head))
            for idle in ("pool-0", "pool-1", "reactor", "parked"):
                if '"%s"' % idle in head:
                    errs.append("idle thread %s is named in the incident: %s" % (idle, head))
            if not re.search(r'^  tid \d+ \(ns \d+\) "worker"', text, re.M):
                errs.append("the report has no group with the worker:\n%s" % text[:3000])
        cleared = w.matching(r"^cleared: hang 1 of pid %d " % v.host_pid)
        if len(cleared) != 1:
            errs.append("%d cleared lines for it, want 1: %s" % (len(cleared), w.lines[-5:]))
        elif cleared[0][0] < rec_ns:
            errs.append("cleared before the victim recovered")
        if errs:
            self.fail("\n  " + "\n  ".join(errs) + "\nstdout tail:\n" + text[-2000:])

    def test_c_pipe_hang_reported_once_and_cleared(self):
        """C: a worker blocks reading a pipe nobody writes; pool workers idle in a condvar,
        a reactor in epoll_wait: one report naming the worker, one cleared line."""
        self.text_case("hangsvc", "pipe", "read", "not an idle wait")

    def test_c_mutex_hang_reported_once_and_cleared(self):
        """C: a glibc mutex held by a sleeping thread: the worker waits on it."""
        self.text_case("hangsvc", "mutex", "futex", "lock contended")

    def test_rust_pipe_hang_reported_once_and_cleared(self):
        """Rust: std Condvar pool workers and a parked thread idle, the worker reads a pipe."""
        self.text_case("hangsvc-rs", "pipe", "read", "not an idle wait")

    def test_rust_mutex_hang_reported_once_and_cleared(self):
        """Rust: a std Mutex held by a sleeping thread (no owner recorded)."""
        self.text_case("hangsvc-rs", "mutex", "futex", "lock contended")

    def test_json_and_out_dir_once_while_hung(self):
        """--json --out-dir, a hang that never clears: one JSON line and one file, both
        valid against the schema with the incident; nothing again for 3 thresholds."""
        v = self.start("hangsvc", "mutex", recover_s=0)
        out = tempfile.mkdtemp(prefix="rsample-watch-out-")
        self.addCleanup(shutil.rmtree, out, True)
        w, mon = self.watch(v, "--json", "--out-dir", out)
        hang_ns = self.wait_state(v, "hang_ns", HANG_AFTER_S + READY_S)
        wait_for(lambda: w.matching(r'"incident"'), THRESHOLD_S + LATE_S + 5)
        time.sleep(3 * THRESHOLD_S)  # stays hung: no second report
        rc = w.stop()
        mon.stop()
        errs = []
        reports = w.matching(r'"incident"')
        self.check_common(w, mon, rc, hang_ns, reports, errs)
        if w.matching(r'"cleared"'):
            errs.append("a cleared line while it stays hung")
        docs = []
        for _, ln in reports:
            try:
                docs.append(json.loads(ln))
            except ValueError as e:
                errs.append("not one JSON document per line: %s: %s" % (e, ln[:200]))
        files = sorted(f for f in os.listdir(out) if not f.startswith("."))
        if len(files) != 1:
            errs.append("%d files in --out-dir, want 1: %s" % (len(files), files))
        for f in files:
            with open(os.path.join(out, f)) as fh:
                docs.append(json.load(fh))
        for d in docs:
            errs += ["schema: " + e for e in schema_errors(d)]
            inc = d.get("incident") or {}
            if inc.get("pid") != v.host_pid or inc.get("id") != 1:
                errs.append("incident %r is not incident 1 of pid %d" % (inc, v.host_pid))
            names = {t["comm"]: t for t in inc.get("threads", [])}
            wk = names.get("worker")
            if not wk or wk.get("reason") != "lock contended" or \
                    wk.get("syscall") != "futex" or wk.get("blocked_ns", 0) < THRESHOLD_S * 1e9:
                errs.append("the incident does not have the worker waiting on the lock: %r"
                            % inc)
            if [p["pid"] for p in d.get("processes", [])] != [v.host_pid]:
                errs.append("the document is not of the one process")
        if errs:
            self.fail("\n  " + "\n  ".join(errs))

    def test_pid_target_that_exits_ends_the_watch(self):
        """--pid: once the process exits there is nothing left to watch: one line, exit 0."""
        v = launch.Victim(os.path.join(VICTIM_DIR, "hangsvc"), args=["pipe", "0", "0"],
                          prefix="rsample-test-watch-")
        self.addCleanup(v.stop)
        v.start(timeout=READY_S)
        w = Watcher(["--pid", str(v.host_pid), "--threshold", "2s"])
        self.addCleanup(w.stop)
        time.sleep(1.0)  # a few ticks with the process there
        self.assertIsNone(w.proc.poll(), "watch ended while its target ran")
        v.stop()
        self.assertTrue(wait_for(lambda: w.proc.poll() is not None, 20),
                        "watch still runs 20 s after its only target exited")
        rc = w.stop()
        self.assertEqual(rc, 0, w.err)
        self.assertIn("exited: nothing left to watch", w.err)
        self.assertEqual(w.lines, [], "no report, no cleared line for a process that ran fine")

    def pod(self):
        """A pod cgroup (make_cgroup) for several victims; removed after them."""
        pod = launch.make_cgroup("rsample-test-watchpod-")
        self.addCleanup(launch.remove_cgroup, pod)
        return pod, "/" + os.path.relpath(pod, launch.cgroup2_mount())

    def in_pod(self, pod, args):
        v = launch.Victim(os.path.join(VICTIM_DIR, "hangsvc"), args=args, parent=pod,
                          prefix="rsample-test-watch-")
        self.addCleanup(v.stop)
        v.start(timeout=READY_S)
        return v

    def test_process_that_joins_the_cgroup_is_watched(self):
        """A pod with one healthy service; a second process starts in it after the watch
        did, and hangs: one report, of the newcomer, within threshold + 2 s."""
        pod, rel = self.pod()
        calm = self.in_pod(pod, ["pipe", "0", "0"])  # never hangs
        w = Watcher(["--cgroup", rel, "--threshold", "%ds" % THRESHOLD_S])
        self.addCleanup(w.stop)
        w.wait_started()
        time.sleep(THRESHOLD_S + 1)  # a few ticks with only the calm one
        self.assertIsNone(w.proc.poll(), "watch ended: %s" % w.err)
        late = self.in_pod(pod, ["pipe", str(HANG_AFTER_S), "0"])
        mon = StopMonitor(late.host_pid)
        mon.start()
        self.addCleanup(mon.stop)
        hang_ns = self.wait_state(late, "hang_ns", HANG_AFTER_S + READY_S)
        wait_for(lambda: w.matching(r"^hang \d+: "), THRESHOLD_S + LATE_S + 5)
        time.sleep(1.0)
        rc = w.stop()
        mon.stop()
        errs = []
        reports = w.matching(r"^hang \d+: ")
        self.check_common(w, mon, rc, hang_ns, reports, errs)
        for _, ln in reports:
            if not re.match(r'^hang \d+: pid %d "hangsvc", .*"worker" blocked' % late.host_pid,
                            ln):
                errs.append("the report is not of the newcomer's worker (pid %d; the calm "
                            "one is %d): %s" % (late.host_pid, calm.host_pid, ln[:300]))
        if errs:
            self.fail("\n  " + "\n  ".join(errs))

    def test_cgroup_removed_while_watched_is_one_line_exit_2(self):
        """The pod is deleted under the watch (its process ends, the cgroup is removed):
        one line naming the cgroup, exit 2, no report."""
        pod, rel = self.pod()
        v = self.in_pod(pod, ["pipe", "0", "0"])
        w = Watcher(["--cgroup", rel, "--threshold", "%ds" % THRESHOLD_S])
        self.addCleanup(w.stop)
        w.wait_started()
        time.sleep(1.0)
        self.assertIsNone(w.proc.poll(), "watch ended while its pod ran: %s" % w.err)
        v.stop()
        launch.remove_cgroup(pod)
        self.assertFalse(os.path.exists(pod), "the test could not remove the pod cgroup")
        self.assertTrue(wait_for(lambda: w.proc.poll() is not None, 20),
                        "watch still runs 20 s after its cgroup was removed")
        rc = w.stop()
        lines = [ln for ln in w.err.splitlines()
                 if ln.strip() and not ln.startswith("rsample: watching ")]
        errs = []
        if rc != 2:
            errs.append("exit %s, want 2" % rc)
        if len(lines) != 1 or "was removed while watching" not in lines[-1] or \
                os.path.basename(pod) not in lines[-1]:
            errs.append("want one line naming the removed cgroup, got %r" % lines)
        if w.lines:
            errs.append("output for a pod that never hung: %r" % w.lines[:5])
        if errs:
            self.fail("\n  " + "\n  ".join(errs))

    def test_unknown_cgroup_is_one_line_exit_2(self):
        """An unknown cgroup: exit 2, one line on stderr naming it."""
        r = subprocess.run([RSAMPLE, "watch", "--cgroup", "/rsample-test-watch-nonexistent",
                            "--threshold", "2s"], capture_output=True, text=True, timeout=60)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("rsample-test-watch-nonexistent", lines[0])


def main(argv):
    return suite.run_case(Watch, argv, NOTES, launch.cleanup_all)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
