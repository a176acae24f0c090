#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check rsample's line choice (user/srcline.c) against gdb's find_pc_line(), offline.

    linecheck.py [--max N] [--build DIR] FILE...

For each ELF FILE (its debug info found by build-id or debuglink): every
line-table row address, and the addresses one before and one after it,
those inside a function symbol, are
looked up by linecheck (built here from linecheck.c and DIR/user/srcline.o,
default build-gdb) and by gdb's Python gdb.find_pc_line() on the file. Prints
the addresses where the two disagree (at most 20 per file) and one line per
file: addresses checked, equal, different. Exit status 1 when any differ.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from compare import same_file  # noqa: E402

GDB_PY = r'''
import gdb
out = open(OUT, "w")
for a in open(ADDRS):
    a = int(a, 16)
    sal = gdb.find_pc_line(a)
    if sal.symtab is None or sal.line == 0:
        out.write("%x -\n" % a)
    else:
        out.write("%x %s:%d\n" % (a, sal.symtab.filename, sal.line))
out.close()
'''


def build(builddir):
    exe = os.path.join(tempfile.gettempdir(), "rsample-linecheck")
    src = os.path.join(HERE, "linecheck.c")
    obj = os.path.join(REPO, builddir, "user", "srcline.o")
    subprocess.run(["cc", "-O2", "-g", "-I" + os.path.join(REPO, "user"), src, obj, "-ldw",
                    "-lelf", "-o", exe], check=True)
    return exe


def parse(path):
    out = {}
    for line in open(path):
        a, _, loc = line.strip().partition(" ")
        out[int(a, 16)] = loc
    return out


def same(g, r):
    if g == "-" or r == "-":
        return g == r
    gf, _, gl = g.rpartition(":")
    rf, _, rl = r.rpartition(":")
    return gl == rl and same_file(gf, rf)


def check(exe, path, maxn):
    rows = subprocess.run([exe, "--rows", path], capture_output=True, text=True, check=True)
    addrs = sorted({int(a, 16) for a in rows.stdout.split()})
    if maxn and len(addrs) > maxn:
        addrs = sorted(random.Random(1).sample(addrs, maxn))
    with tempfile.TemporaryDirectory() as d:
        af, gf = os.path.join(d, "addrs"), os.path.join(d, "gdb")
        with open(af, "w") as f:
            f.write("".join("%x\n" % a for a in addrs))
        py = os.path.join(d, "q.py")
        with open(py, "w") as f:
            f.write("OUT = %r\nADDRS = %r\n" % (gf, af) + GDB_PY)
        subprocess.run(["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off",
                        "-ex", "source " + py, path], capture_output=True, check=True)
        gdb = parse(gf)
        with open(af) as f:
            r = subprocess.run([exe, path], stdin=f, capture_output=True, text=True, check=True)
        rs = {int(a, 16): loc for a, _, loc in (l.partition(" ") for l in r.stdout.splitlines())}
    bad = [a for a in addrs if not same(gdb.get(a, "?"), rs.get(a, "?"))]
    for a in bad[:20]:
        print("  %s 0x%x: gdb %s, rsample %s" % (os.path.basename(path), a, gdb.get(a),
                                                 rs.get(a)))
    print("%-40s addresses %7d  equal %7d  different %5d"
          % (path, len(addrs), len(addrs) - len(bad), len(bad)))
    return not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--max", type=int, default=0, help="check at most N addresses per file")
    ap.add_argument("--build", default="build-gdb")
    a = ap.parse_args()
    exe = build(a.build)
    ok = True
    for f in a.files:
        ok &= check(exe, f, a.max)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
