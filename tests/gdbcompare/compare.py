#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare rsample's user stacks with gdb's 'thread apply all bt', frame by frame.

    compare.py [--rsample PATH] [--rsample-args ARGS] [--label NAME] [--save DIR] [-v] PID...
    compare.py --files RSAMPLE.json GDB.txt [--label NAME]

For each PID: runs `rsample --pid PID --json` first (it never stops the
target; --rsample-args adds more, such as "--backend proc"), then
    gdb -nx -batch -ex 'set backtrace past-main on' -ex 'thread apply all bt' -p PID
with frame arguments hidden (they are not compared) and no line wrapping.
Threads are matched by LWP. Frames are aligned on their function names and
compared on: function name, file (gdb's file name must be a path suffix of
rsample's, after "./" and "../" are resolved) and line, and the PC where gdb
prints one. Frames below main are compared too (gdb shows them only with
past-main on) and marked "past-main" in the listing.

Prints, per program: threads, frames equal, frames different (both sides,
and why), frames only in gdb or only in rsample; then one summary line per
program and a total. Exit status 0 when every frame is equal, 1 otherwise,
2 on errors.
"""

import argparse
import difflib
import json
import os
import re
import shlex
import subprocess
import sys

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

GDB_CMDS = [
    "set debuginfod enabled off",
    "set pagination off",
    "set width 0",
    "set height 0",
    "set print frame-arguments none",
    "set backtrace past-main on",
    "thread apply all bt",
]

_THREAD = re.compile(r"^Thread \d+ \((?:Thread 0x[0-9a-f]+ \()?(?:LWP|process) (\d+)\)?")
_FRAME = re.compile(r"^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(.*)$")
_AT = re.compile(r" at (\S+):(\d+)$")  # the last " at ": names may hold one ("(lambda at f.cc:3:5)")
_FROM = re.compile(r" from (\S+)$")


class Frame:
    def __init__(self, name, file=None, line=0, addr=None, inlined=False, tailcall=False,
                 module=None):
        self.name = name or "??"
        self.file = file
        self.line = line or 0
        self.addr = addr
        self.inlined = inlined
        self.tailcall = tailcall
        self.module = module
        self.past_main = False

    def loc(self):
        return "%s:%d" % (self.file, self.line) if self.file else "-"

    def text(self):
        s = "%s at %s" % (self.name, self.loc())
        if self.addr is not None:
            s += " [0x%x]" % self.addr
        if self.inlined:
            s += " (inlined)"
        if self.tailcall:
            s += " (tailcall)"
        return s


def gdb_name(rest):
    """The function name of a gdb frame: what precedes the " (...)" of the arguments."""
    rest = _AT.sub("", rest)
    rest = _FROM.sub("", rest)
    if rest.startswith("<signal handler called>"):
        return "<signal handler called>"
    # frame-arguments none: the arguments hold no parentheses ("a=...", "...")
    m = re.match(r"^(.*) \([^()]*\)$", rest)
    return m.group(1) if m else rest


def parse_gdb(text):
    """{tid: [Frame]} and {tid: stop note} from 'thread apply all bt' output."""
    threads, notes, cur = {}, {}, None
    for line in text.splitlines():
        m = _THREAD.match(line)
        if m:
            cur = int(m.group(1))
            threads[cur] = []
            continue
        if cur is None:
            continue
        if line.startswith("Backtrace stopped:"):
            notes[cur] = line
            continue
        m = _FRAME.match(line)
        if not m:
            continue
        rest = m.group(3)
        at = _AT.search(rest)
        f = Frame(gdb_name(rest), at.group(1) if at else None, int(at.group(2)) if at else 0,
                  int(m.group(2), 16) if m.group(2) else None)
        fr = _FROM.search(rest)
        if fr:
            f.module = fr.group(1)
        threads[cur].append(f)
    return threads, notes


def parse_rsample(doc):
    """{tid: [Frame]}, {tid: unwind note} and {tid: thread name} from rsample --json."""
    threads, notes, names = {}, {}, {}
    for p in doc.get("processes", []):
        for t in p.get("threads", []):
            tid = t["tid"]
            names[tid] = t.get("name")
            out = []
            for f in t.get("user_stack") or []:
                out.append(Frame(f.get("function"), f.get("file"), f.get("line"),
                                 int(f["addr"], 16) if f.get("addr") else None,
                                 f.get("inlined", False), f.get("tailcall", False),
                                 f.get("module")))
            threads[tid] = out
            u = t.get("unwind") or {}
            notes[tid] = "%s, %s" % (u.get("method"), u.get("stop_reason"))
    return threads, notes, names


def norm_parts(path):
    """Path components with "." dropped and ".." applied (leading ".." dropped)."""
    out = []
    for c in path.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if out:
                out.pop()
            continue
        out.append(c)
    return out


def same_file(gdb_file, rs_file):
    if not gdb_file or not rs_file:
        return not gdb_file and not rs_file
    g, r = norm_parts(gdb_file), norm_parts(rs_file)
    return len(g) <= len(r) and r[len(r) - len(g):] == g


def mark_past_main(frames):
    for i, f in enumerate(frames):
        if f.name == "main" and not f.inlined:
            for g in frames[i + 1:]:
                g.past_main = True
            return


def frame_diffs(g, r):
    """Why rsample frame r differs from gdb frame g (empty when equal)."""
    why = []
    if g.name != r.name:
        why.append("name")
    if not same_file(g.file, r.file):
        why.append("file")
    if g.file and r.file and g.line != r.line:
        why.append("line")
    if g.addr is not None and r.addr is not None and g.addr != r.addr and not r.inlined:
        why.append("pc")
    return why


class Result:
    def __init__(self, label):
        self.label = label
        self.threads = 0
        self.equal = 0
        self.different = 0
        self.only_gdb = 0
        self.only_rs = 0
        self.lines = []

    def add(self, s):
        self.lines.append(s)


def compare_thread(res, tid, tname, gf, rf, gnote, rnote, verbose):
    mark_past_main(gf)
    mark_past_main(rf)
    head = "  thread %d %s: gdb %d frames, rsample %d frames" % (
        tid, '"%s"' % tname if tname else "", len(gf), len(rf))
    body = []
    sm = difflib.SequenceMatcher(a=[f.name for f in gf], b=[f.name for f in rf],
                                 autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op in ("equal", "replace"):
            n = min(a1 - a0, b1 - b0)
            for k in range(n):
                g, r = gf[a0 + k], rf[b0 + k]
                why = frame_diffs(g, r)
                pm = " past-main" if g.past_main else ""
                if why:
                    res.different += 1
                    body.append("    #%-3d DIFF(%s)%s\n         gdb:     %s\n         rsample: %s"
                                % (a0 + k, ",".join(why), pm, g.text(), r.text()))
                else:
                    res.equal += 1
                    if verbose:
                        body.append("    #%-3d ok%s  %s" % (a0 + k, pm, r.text()))
            a0 += n
            b0 += n
        for k in range(a0, a1):
            res.only_gdb += 1
            body.append("    #%-3d ONLY-GDB%s  %s" % (k, " past-main" if gf[k].past_main else "",
                                                      gf[k].text()))
        for k in range(b0, b1):
            res.only_rs += 1
            body.append("    r%-3d ONLY-RSAMPLE%s  %s"
                        % (k, " past-main" if rf[k].past_main else "", rf[k].text()))
    diff = any("DIFF" in b or "ONLY" in b for b in body)
    if diff or verbose:
        res.add(head)
        if gnote:
            res.add("    gdb: " + gnote)
        res.add("    rsample unwind: " + rnote)
        res.lines.extend(body)


def compare(label, rs_doc, gdb_text, verbose=False):
    res = Result(label)
    rs, rnotes, names = parse_rsample(rs_doc)
    gd, gnotes = parse_gdb(gdb_text)
    for tid in sorted(set(rs) | set(gd)):
        if tid not in gd:
            res.add("  thread %d: only in rsample (exited before gdb attached?)" % tid)
            continue
        if tid not in rs:
            res.add("  thread %d: only in gdb (started after rsample ran?)" % tid)
            continue
        res.threads += 1
        compare_thread(res, tid, names.get(tid), gd[tid], rs[tid], gnotes.get(tid),
                       rnotes.get(tid, ""), verbose)
    return res


def run_pid(pid, rsample, save, label, extra=()):
    """rsample --pid PID --json EXTRA..., then gdb; their outputs (saved in SAVE if given)."""
    r = subprocess.run([rsample, "--pid", str(pid), "--json"] + list(extra), capture_output=True,
                       encoding="utf-8", errors="replace", timeout=120)
    if r.returncode != 0:
        raise RuntimeError("rsample failed (%d): %s" % (r.returncode, r.stderr.strip()))
    doc = json.loads(r.stdout)
    cmd = ["gdb", "-nx", "-batch"]
    for c in GDB_CMDS:
        cmd += ["-ex", c]
    cmd += ["-p", str(pid)]
    g = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace",
                       timeout=600, stdin=subprocess.DEVNULL)
    if save:
        os.makedirs(save, exist_ok=True)
        with open(os.path.join(save, "%s.rsample.json" % label), "w") as f:
            f.write(r.stdout)
        with open(os.path.join(save, "%s.gdb.txt" % label), "w") as f:
            f.write(g.stdout)
    return doc, g.stdout


def summary(res):
    total = res.equal + res.different + res.only_gdb + res.only_rs
    return ("%-24s threads %3d  frames %4d  equal %4d  different %3d  only-gdb %3d  "
            "only-rsample %3d" % (res.label, res.threads, total, res.equal, res.different,
                                  res.only_gdb, res.only_rs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pids", nargs="*", type=int)
    ap.add_argument("--rsample", default=os.path.join(REPO, "build", "rsample"))
    ap.add_argument("--rsample-args", default="", metavar="ARGS",
                    help='more arguments for every rsample run, e.g. "--backend proc"')
    ap.add_argument("--label", action="append", default=[],
                    help="a name per PID (default: the process's comm)")
    ap.add_argument("--save", help="keep the raw outputs in this directory")
    ap.add_argument("--files", nargs=2, metavar=("RSAMPLE_JSON", "GDB_TXT"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list equal frames too")
    a = ap.parse_args()
    results = []
    try:
        if a.files:
            with open(a.files[0]) as f:
                doc = json.load(f)
            with open(a.files[1]) as f:
                text = f.read()
            results.append(compare(a.label[0] if a.label else os.path.basename(a.files[0]),
                                   doc, text, a.verbose))
        for i, pid in enumerate(a.pids):
            label = a.label[i] if i < len(a.label) else open(
                "/proc/%d/comm" % pid).read().strip()
            doc, text = run_pid(pid, a.rsample, a.save, label, shlex.split(a.rsample_args))
            results.append(compare(label, doc, text, a.verbose))
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    bad = False
    for res in results:
        print("== %s" % res.label)
        for line in res.lines:
            print(line)
    print()
    for res in results:
        print(summary(res))
        bad |= bool(res.different or res.only_gdb or res.only_rs)
    if len(results) > 1:
        t = Result("TOTAL")
        for res in results:
            t.threads += res.threads
            t.equal += res.equal
            t.different += res.different
            t.only_gdb += res.only_gdb
            t.only_rs += res.only_rs
        print(summary(t))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
