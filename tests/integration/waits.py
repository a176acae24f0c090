# SPDX-License-Identifier: GPL-2.0
"""What each thread waits on (root, real BPF or the /proc backend).

Run by `make integration-waits` (RSAMPLE=build/rsample RS_VICTIMS=build/victims
python3 tests/integration/waits.py [-k PATTERN]; RS_BACKEND=proc for the /proc
backend, as run.py). tests/victims/waiter.c runs in a fresh cgroup, PID and mount
namespace with threads blocked on a pipe only it writes, a pipe a child process
writes, a TCP recv and accept over loopback, an epoll set of 2 fds, a 60 s
nanosleep, a waitpid, a pthread_join, a rwlock held for writing (a writer and a
reader wait) and a vfork (D state). Each wait target must appear with the right
fd, path, peer process, address, tid and time left in the JSON and in the text
report's "waits on:" lines, and the victim is never stopped or traced. Both
backends read the same words (BPF copies them; /proc reads them with
process_vm_readv), so both must say the same. `rsample watch` over the same victim
finds the pipes' and sockets' holders with its task_file iterator instead of the
/proc/PID/fd scan: its incident must name exactly the same holders. Prints
"N passed, M failed" last.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import launch  # noqa: E402
import suite  # noqa: E402
from observe import (BACKEND, NOTES, RSAMPLE, SKIP, VICTIM_DIR, StopMonitor, note,  # noqa: E402
                     run_rsample)

WATCH_READY_S = 60  # generous: the first incident on a loaded 2-CPU machine

SLEEP_NS = 60 * 10**9
SLACK_NS = 200 * 10**6  # the time left: within 0.2 s of what the victim's clock says


def kernel_records_blocker():
    """Whether this kernel's task_struct has the hung-task blocker field (Linux 6.16 with
    CONFIG_DETECT_HUNG_TASK_BLOCKER), from its BTF."""
    out = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"STRUCT 'task_struct' size=\d+ vlen=\d+\n((?:\t.*\n)+)", out)
    return bool(m) and "\t'blocker' " in m.group(1)


def nspid_of(pid):
    """The NSpid ids of a host pid, host first."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    return []


def children_of(pid):
    """Host pids of the children of every thread of pid."""
    kids = []
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
            kids += [int(x) for x in f.read().split()]
    return kids


class Waits(unittest.TestCase):
    v = st = None
    runs = {}

    @classmethod
    def setUpClass(cls):
        if SKIP:
            return
        cls.v = launch.Victim(os.path.join(VICTIM_DIR, "waiter"), prefix="rsample-test-waits-")
        try:
            cls.v.start()
            cls.st = cls.v.state()
            # its children run the same binary: the victim is the one with its own pid
            cls.v.host_pid = [p for p in cls.v.cgroup_pids() if nspid_of(p)[-1:] == [cls.st["pid"]]][0]
            # the victim's children by their pid in its namespace
            cls.child_host = {nspid_of(k)[-1]: k for k in children_of(cls.v.host_pid)}
            cls.runs["json"] = run_rsample(["--pid", str(cls.v.host_pid), "--json"],
                                           cls.v.host_pid)
            cls.runs["text"] = run_rsample(["--cgroup", cls.v.cgroup_rel], cls.v.host_pid)
        except Exception:
            cls.v.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.v:
            cls.v.stop()

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    # -- helpers -------------------------------------------------------------

    def doc_threads(self):
        r = self.runs["json"]
        self.assertIn(r.rc, (0,), r.describe())
        self.assertIsNotNone(r.doc, r.json_error)
        self.assertEqual(r.violations, [], "victim stopped or traced")
        procs = [p for p in r.doc["processes"] if p["pid"] == self.v.host_pid]
        self.assertEqual(len(procs), 1)
        return {t["name"]: t for t in procs[0]["threads"]}

    def wait_of(self, name, kind, call):
        t = self.doc_threads()[name]
        w = t.get("wait")
        self.assertIsNotNone(w, "%s: no wait object (syscall %r)" % (name, t.get("syscall")))
        self.assertEqual((w["kind"], w["call"]), (kind, call), "%s: %r" % (name, w))
        return t, w

    def host_tid(self, name):
        return self.doc_threads()[name]["tid"]

    def check_own_pipe(self, fdobj, want_fd):
        """The pipe rd-self reads: written only by the victim itself, through fd_self_w."""
        self.assertEqual((fdobj["fd"], fdobj["type"], fdobj["mode"]), (want_fd, "pipe", "r"))
        self.assertTrue(re.fullmatch(r"pipe:\[\d+\]", fdobj["link"]), fdobj)
        writers = [h for h in fdobj["holders"] if h["writes"]]
        self.assertEqual([(h["pid"], h["fd"]) for h in writers],
                         [(self.v.host_pid, self.st["fd_self_w"])], fdobj)
        self.assertTrue(fdobj["writer_open"])

    def check_peer_pipe(self, fdobj):
        """The pipe rd-peer reads: the holder child keeps its only write end."""
        holder = self.child_host[self.st["child_holder"]]
        self.assertEqual((fdobj["fd"], fdobj["type"]), (self.st["fd_peer"], "pipe"))
        writers = [(h["pid"], h["comm"]) for h in fdobj["holders"] if h["writes"]]
        self.assertEqual(writers, [(holder, "holder")], fdobj)

    # -- JSON ----------------------------------------------------------------

    def test_pipe_only_this_process_writes(self):
        _, w = self.wait_of("rd-self", "fd", "read")
        self.check_own_pipe(w["fd"], self.st["fd_self"])
        self.assertIn("written by only this process (fd %d): no other process holds the "
                      "write end" % self.st["fd_self_w"], w["text"])

    def test_pipe_another_process_writes(self):
        _, w = self.wait_of("rd-peer", "fd", "read")
        self.check_peer_pipe(w["fd"])
        holder = self.child_host[self.st["child_holder"]]
        self.assertRegex(w["text"], r'^read\(fd %d\): pipe:\[\d+\], writer: pid %d "holder" '
                         r'\(fd \d+\)$' % (self.st["fd_peer"], holder))

    def test_recv_connected_tcp(self):
        _, w = self.wait_of("recv", "fd", "recvfrom")
        f = w["fd"]
        self.assertEqual((f["fd"], f["type"], f["proto"], f["state"]),
                         (self.st["fd_conn"], "socket", "TCP", "ESTABLISHED"), f)
        self.assertEqual(f["remote"], "127.0.0.1:%d" % self.st["port_listen"])
        self.assertRegex(f["local"], r"^127\.0\.0\.1:\d+$")
        self.assertRegex(f["link"], r"^socket:\[%d\]$" % f["inode"])
        # its other end is the victim's own accepted socket
        self.assertEqual([(h["pid"], h["fd"]) for h in f["peer"]["holders"]],
                         [(self.v.host_pid, self.st["fd_server"])], f)
        self.assertEqual(w["text"], "recvfrom(fd %d): socket TCP %s -> 127.0.0.1:%d ESTABLISHED, "
                         "peer: this process (fd %d)" % (self.st["fd_conn"], f["local"],
                                                         self.st["port_listen"],
                                                         self.st["fd_server"]))

    def test_accept_listening_tcp(self):
        _, w = self.wait_of("accept", "fd", "accept")
        f = w["fd"]
        self.assertEqual((f["fd"], f["proto"], f["local"], f["remote"], f["state"]),
                         (self.st["fd_accept"], "TCP", "127.0.0.1:%d" % self.st["port_accept"],
                          None, "LISTEN"), f)
        self.assertIsNone(f["peer"])
        self.assertEqual(w["text"], "accept(fd %d): socket TCP 127.0.0.1:%d LISTEN"
                         % (self.st["fd_accept"], self.st["port_accept"]))

    def test_epoll_set_of_two(self):
        _, w = self.wait_of("epoll", "epoll", "epoll_wait")
        f = w["fd"]
        self.assertEqual((f["fd"], f["type"], f["count"]), (self.st["fd_epoll"], "epoll", 2), f)
        members = {m["fd"]: m for m in f["members"]}
        self.assertEqual(sorted(members), sorted([self.st["fd_peer"], self.st["fd_listen"]]))
        self.check_peer_pipe(members[self.st["fd_peer"]])
        lst = members[self.st["fd_listen"]]
        self.assertEqual((lst["type"], lst["local"], lst["state"]),
                         ("socket", "127.0.0.1:%d" % self.st["port_listen"], "LISTEN"))
        self.assertTrue(w["text"].startswith("epoll_wait(fd %d): 2 fds: fd " % self.st["fd_epoll"]),
                        w["text"])
        self.assertIn("fd %d socket TCP 127.0.0.1:%d LISTEN" % (self.st["fd_listen"],
                                                                  self.st["port_listen"]), w["text"])

    def test_nanosleep_time_left(self):
        _, w = self.wait_of("sleeper", "sleep", "clock_nanosleep")  # glibc's nanosleep
        self.assertEqual((w["request_ns"], w["absolute"]), (SLEEP_NS, False), w)
        r = self.runs["json"]
        lo = SLEEP_NS - (r.t1 - self.st["sleep_start_ns"]) - SLACK_NS
        hi = SLEEP_NS - (r.t0 - self.st["sleep_start_ns"]) + SLACK_NS
        self.assertTrue(lo <= w["remaining_ns"] <= hi,
                        "remaining %d ns, want %d..%d" % (w["remaining_ns"], lo, hi))
        self.assertRegex(w["text"], r"^clock_nanosleep: \d+\.\ds of 1m00s left$")
        note("nanosleep (%s backend): %.3f s left, the victim's clock says %.3f..%.3f s"
             % (BACKEND or "default", w["remaining_ns"] / 1e9, (lo + SLACK_NS) / 1e9,
                (hi - SLACK_NS) / 1e9))

    def test_waitpid_child(self):
        _, w = self.wait_of("reaper", "child", "wait4")
        napper = self.child_host[self.st["child_napper"]]
        self.assertEqual(w["pid_arg"], self.st["child_napper"])
        self.assertEqual(w["children"], [{"pid": napper, "ns_pid": self.st["child_napper"],
                                          "comm": "napper", "state": "S"}])
        self.assertEqual(w["text"], 'wait4: child %d (ns %d) "napper" (S)'
                         % (napper, self.st["child_napper"]))

    def test_pthread_join_thread(self):
        _, w = self.wait_of("joiner", "join", "pthread_join")
        self.assertEqual(w["thread"], {"tid": self.host_tid("jnap"), "ns_tid": self.st["tid_jnap"],
                                       "name": "jnap"})
        self.assertEqual(w["text"], 'pthread_join: thread %d "jnap"' % self.host_tid("jnap"))

    def check_rwlock(self, name, call):
        _, w = self.wait_of(name, "rwlock", call)
        self.assertEqual(int(w["addr"], 16), self.st["rwlock"], w)
        self.assertEqual(w["writer"], {"tid": self.host_tid("rw-hold"),
                                       "ns_tid": self.st["tid_rw-hold"], "name": "rw-hold"})
        # the static pthread_rwlock_t rw of waiter.c, named from its futex word
        self.assertEqual((w["symbol"], w["region"]), ("rw", "symbol"), w)
        self.assertEqual(w["text"], '%s(0x%x rw): held for writing by thread %d "rw-hold"'
                         % (call, self.st["rwlock"], self.host_tid("rw-hold")))

    def test_rwlock_writer_waits_for_writer(self):
        self.check_rwlock("rw-write", "pthread_rwlock_wrlock")

    def test_rwlock_reader_waits_for_writer(self):
        self.check_rwlock("rw-read", "pthread_rwlock_rdlock")

    def test_vfork_parent_in_d_state(self):
        t, w = self.wait_of("vforker", "kernel", "vfork")
        self.assertEqual(t["state"], "D")
        kfuncs = [f["function"] for f in t["kernel_stack"]]
        self.assertTrue(kfuncs, "no kernel stack")
        self.assertEqual(w["function"], kfuncs[0])
        self.assertIsNone(w["blocker"])  # vfork waits on a completion, not on a lock
        self.assertEqual(w["text"].split(" (wchan")[0], "vfork: uninterruptible (D) in %s"
                         % kfuncs[0])

    def test_d_state_on_kernel_mutex(self):
        """mtx-wait sleeps in D on the pipe's kernel mutex, held by uf-hold (stuck in a
        userfaultfd page fault inside write()): the BPF capture names the owner where the
        kernel records it (task->blocker); /proc has no such file."""
        self.assertEqual(self.st["uffd"], 1, "userfaultfd failed in the victim: no mutex holder")
        t, w = self.wait_of("mtx-wait", "kernel", "write")
        self.assertEqual(t["state"], "D")
        self.assertEqual(w["function"], t["kernel_stack"][0]["function"])
        _, h = self.wait_of("uf-hold", "fd", "write")
        self.assertEqual((h["fd"]["fd"], h["fd"]["mode"]), (self.st["fd_mtx_w"], "w"), h)
        if BACKEND == "proc" or not kernel_records_blocker():
            self.assertIsNone(w["blocker"], w)
            note("kernel blocker (%s backend): not recorded here, as expected"
                 % (BACKEND or "default"))
            return
        b = w["blocker"]
        self.assertIsNotNone(b, w)
        self.assertEqual((b["type"], b["owner_tid"], b["owner_name"]),
                         ("mutex", self.host_tid("uf-hold"), "uf-hold"), b)
        self.assertRegex(b["addr"], r"^0xffff[0-9a-f]{12}$")
        self.assertEqual(w["text"], 'write: uninterruptible (D) in %s, on kernel mutex %s held '
                         'by tid %d "uf-hold"' % (w["function"], b["addr"],
                                                  self.host_tid("uf-hold")))

    def test_no_wait_for_running_or_unknown(self):
        """Threads in calls the analysis does not know get null, never a guess."""
        for name, t in self.doc_threads().items():
            if t.get("syscall") is None:
                self.assertIsNone(t.get("wait"), name)

    # -- text ----------------------------------------------------------------

    def test_text_report_lines(self):
        r = self.runs["text"]
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(r.violations, [])
        lines = {}
        tid = pid = None
        for line in r.stdout.splitlines():
            g = re.match(r"^group \d+: pid (\d+) ", line)
            m = re.match(r'^  tid \d+(?: \(ns \d+\))? "([^"]+)"', line)
            if g:
                pid, tid = int(g.group(1)), None
            elif m and pid == self.v.host_pid:  # not its children, one of which is a vforker too
                tid = m.group(1)
            elif line.startswith("  waits on: ") and tid:
                lines[tid] = line[len("  waits on: "):]
        st, holder = self.st, self.child_host[self.st["child_holder"]]
        want = {
            "rd-self": r"read\(fd %d\): pipe:\[\d+\], written by only this process \(fd %d\)"
                       % (st["fd_self"], st["fd_self_w"]),
            "rd-peer": r'read\(fd %d\): pipe:\[\d+\], writer: pid %d "holder"'
                       % (st["fd_peer"], holder),
            "recv": r"recvfrom\(fd %d\): socket TCP 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:%d ESTABLISHED"
                    % (st["fd_conn"], st["port_listen"]),
            "accept": r"accept\(fd %d\): socket TCP 127\.0\.0\.1:%d LISTEN"
                      % (st["fd_accept"], st["port_accept"]),
            "epoll": r"epoll_wait\(fd %d\): 2 fds: " % st["fd_epoll"],
            "sleeper": r"clock_nanosleep: \d+\.\ds of 1m00s left",
            "reaper": r'wait4: child \d+ \(ns %d\) "napper" \(S\)' % st["child_napper"],
            "joiner": r'pthread_join: thread \d+ "jnap"',
            "rw-write": r'pthread_rwlock_wrlock\(0x%x rw\): held for writing by thread \d+ '
                        r'"rw-hold"' % st["rwlock"],
            "rw-read": r'pthread_rwlock_rdlock\(0x%x rw\): held for writing by thread \d+ '
                       r'"rw-hold"' % st["rwlock"],
            "vforker": r"vfork: uninterruptible \(D\) in \w+",
            "mtx-wait": r"write: uninterruptible \(D\) in \w+",
        }
        errs = ["%s: %r, want /%s/" % (n, lines.get(n), rx) for n, rx in want.items()
                if not re.match(rx, lines.get(n) or "")]
        if errs:
            self.fail("\n  " + "\n  ".join(errs) + "\n" + r.stdout[:3000])

    # -- the watch's holder search (task_file iterator) ----------------------

    def watch_incident(self):
        """The first incident of `rsample watch --pid VICTIM --json -v`: its document and
        rsample's stderr. Only the rsample we started is signalled, by its PID."""
        mon = StopMonitor(self.v.host_pid)
        mon.start()
        self.addCleanup(mon.stop)
        p = subprocess.Popen([RSAMPLE, "watch", "--pid", str(self.v.host_pid), "--threshold",
                              "1s", "--json", "-v"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()  # the first incident, or "" if it exited
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
            try:
                _, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
        mon.stop()
        self.assertEqual(mon.violations, [], "victim stopped or traced")
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(line, "no incident; stderr: %s" % err)
        return json.loads(line), err

    def test_watch_holders_by_iterator_as_proc_scan(self):
        """watch names the same holders of every pipe and socket as the /proc scan."""
        doc, err = self.watch_incident()
        self.assertRegex(err, r"what threads wait on: .* other ends searched for in \d+ "
                         r"processes, \d+ fds \(by the kernel's file iterator\)")
        procs = [p for p in doc["processes"] if p["pid"] == self.v.host_pid]
        self.assertEqual(len(procs), 1, doc.get("incident"))
        got = {t["name"]: t.get("wait") for t in procs[0]["threads"]}
        want = {n: t.get("wait") for n, t in self.doc_threads().items()}
        compared = 0
        for name in ("rd-self", "rd-peer", "recv", "accept", "epoll", "uf-hold"):
            self.assertIsNotNone(got.get(name), "%s: no wait in the incident" % name)
            self.assertEqual(got[name].get("fd"), want[name].get("fd"), name)
            compared += 1
        self.assertEqual(compared, 6)
        # not vacuous: the peer pipe's writer is the other process, found by the iterator
        self.check_peer_pipe(got["rd-peer"]["fd"])
        self.assertEqual([(h["pid"], h["fd"]) for h in got["recv"]["fd"]["peer"]["holders"]],
                         [(self.v.host_pid, self.st["fd_server"])], got["recv"])


class FutexWaits(unittest.TestCase):
    """Futex waits in plain words: a glibc mutex with its owner, a Rust std Mutex (no owner
    recorded), condition variables, each futex word named by its data symbol; on
    tests/victims/verdicts.c (waiter on ledger_lock held by holder, pool workers on pool_cv)
    and tests/victims/verdictd.rs (waiter on the static LEDGER, workers on POOL_CV)."""
    docs = {}

    @classmethod
    def setUpClass(cls):
        if SKIP:
            return
        for name in ("verdicts", "verdictd"):
            v = launch.Victim(os.path.join(VICTIM_DIR, name), prefix="rsample-test-futex-")
            try:
                v.start()
                st = v.state()
                # the waiter blocks once the holder has the lock: wait until the kernel says so
                deadline = time.monotonic() + 30
                while not cls.blocked_on_futex(v.host_pid, st):
                    if time.monotonic() > deadline:
                        raise RuntimeError("%s: waiter and pool not in futex waits" % name)
                    time.sleep(0.05)
                r = run_rsample(["--pid", str(v.host_pid), "--json"], v.host_pid)
                r.st, r.pid = st, v.host_pid
                cls.docs[name] = r
            finally:
                v.stop()

    @staticmethod
    def blocked_on_futex(pid, st):
        by_ns = {nspid_of(int(t))[-1]: t for t in os.listdir("/proc/%d/task" % pid)}
        for n in ("waiter", "pool-0", "pool-1"):
            tid = by_ns.get(st["tid_" + n])
            try:
                with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                    if f.read().split()[0] != "202":
                        return False
            except (OSError, TypeError, IndexError):
                return False
        return True

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)

    def threads(self, name):
        r = self.docs[name]
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIsNotNone(r.doc, r.json_error)
        self.assertEqual(r.violations, [], "victim stopped or traced")
        by_ns = {t["ns_tid"]: t for p in r.doc["processes"] for t in p["threads"]}
        return r, {n: by_ns[v] for n, v in
                   ((k[4:], v) for k, v in r.st.items() if k.startswith("tid_"))}

    def test_glibc_mutex_names_owner(self):
        r, th = self.threads("verdicts")
        w = th["waiter"]["wait"]
        holder = th["holder"]
        self.assertEqual((w["kind"], w["lock"], w["symbol"], w["region"]),
                         ("futex", "glibc_mutex", "ledger_lock", "symbol"), w)
        self.assertEqual(w["owner"], {"tid": holder["tid"], "ns_tid": holder["ns_tid"],
                                      "name": "holder"})
        self.assertEqual(w["text"], 'futex %s: mutex ledger_lock, owner thread %d "holder" '
                         '(glibc records it)' % (w["addr"], holder["tid"]))

    def test_rust_mutex_no_owner(self):
        r, th = self.threads("verdictd")
        w = th["waiter"]["wait"]
        self.assertEqual((w["kind"], w["lock"], w["symbol"], w["owner"]),
                         ("futex", "rust_std_mutex", "verdictd::LEDGER", None), w)
        self.assertEqual(w["text"], "futex %s: Rust std Mutex verdictd::LEDGER (no owner "
                         "recorded: waiters grouped)" % w["addr"])

    def test_condvars_named(self):
        for name, sym in (("verdicts", r"pool_cv\+0x[0-9a-f]+"), ("verdictd", r"verdictd::POOL_CV")):
            r, th = self.threads(name)
            for n in ("pool-0", "pool-1"):
                w = th[n]["wait"]
                self.assertEqual((w["kind"], w["lock"], w["region"]),
                                 ("futex", "condvar", "symbol"), w)
                self.assertRegex(w["symbol"], "^%s$" % sym)
                self.assertEqual(w["text"], "futex %s: condition variable %s"
                                 % (w["addr"], w["symbol"]))


def main(argv):
    return suite.run_cases([Waits, FutexWaits], argv, NOTES, launch.cleanup_all)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
