#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""XML-side checks for tests/validate/run.sh (python3's standard library only).

  checks.py folded-total FILE             sum of a folded file's weights, with thousands commas
  checks.py flamegraph FOLDED SVG UNIT    flamegraph.pl's SVG of FOLDED: parses, its "all" frame
                                          has the folded total, every stack's leaf wider than
                                          flamegraph.pl's 0.1 px minimum is drawn
  checks.py svg FILE                      rsample's SVG parses; prints its frame count per panel
  checks.py dom FILE NEEDLE...            a DOM dumped by Chromium holds every NEEDLE
Exits 1 with a message on the first failed check.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("check failed: " + msg, file=sys.stderr)
    sys.exit(1)


def folded(path):
    stacks = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            stack, _, w = line.rpartition(" ")
            if not stack or not w.isdigit():
                fail("%s:%d: not a folded line: %r" % (path, n, line))
            stacks.append((stack.split(";"), int(w)))
    return stacks


def commas(n):
    return "{:,}".format(n)


def flamegraph(folded_path, svg_path, unit):
    stacks = folded(folded_path)
    total = sum(w for _, w in stacks)
    try:
        root = ET.parse(svg_path).getroot()
    except ET.ParseError as e:
        fail("%s: not XML: %s" % (svg_path, e))
    titles = [t.text or "" for t in root.iter(NS + "title")]
    want = "all (%s %s, 100%%)" % (commas(total), unit)
    if want not in titles:
        fail("%s: no frame %r (flamegraph.pl read another total)" % (svg_path, want))
    drawn = {t.rsplit(" (", 1)[0] for t in titles}
    for frames, w in stacks:
        leaf = frames[-1].translate(str.maketrans("<>", "()"))  # as flamegraph.pl tidies names
        if w * 1180 / total >= 0.1 and leaf not in drawn:
            fail("%s: leaf %r (weight %d) not drawn" % (svg_path, frames[-1], w))
    print("%d stacks, total %s %s" % (len(stacks), commas(total), unit))


def svg(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s: not XML: %s" % (path, e))
    if root.tag != NS + "svg" or root.find(NS + "script") is None:
        fail("%s: not an SVG with a script" % path)
    panels = []
    for g in root.iter(NS + "g"):
        if g.get("class") == "panel":
            frames = [f for f in g.findall(NS + "g") if f.get("class") == "f"]
            for f in frames:
                if f.find(NS + "title") is None or f.find(NS + "rect") is None:
                    fail("%s: a frame without title or rect" % path)
            panels.append("%s %d frames" % (g.get("data-kind"), len(frames)))
    if not panels:
        fail("%s: no panel" % path)
    print(", ".join(panels))


def dom(path, needles):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for n in needles:
        if n not in text:
            fail("%s: %r not found" % (path, n))
    print("found: " + "; ".join(needles))


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "folded-total":
        print(commas(sum(w for _, w in folded(args[0]))))
    elif cmd == "flamegraph" and len(args) == 3:
        flamegraph(*args)
    elif cmd == "svg":
        svg(args[0])
    elif cmd == "dom":
        dom(args[0], args[1:])
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
