#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed corpora made at build time: seeds.py OUTDIR BINARY...

OUTDIR/elf gets each binary and corrupted copies of it (truncated, header
fields out of range, bytes flipped with a fixed seed); the text targets get
the unit tests' fixture files (tests/fixtures), with the selector byte their
target reads first where it has one."""
import os
import random
import struct
import sys

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def put(outdir, target, name, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def corrupt(data):
    """(name, bytes) pairs: broken variants of one ELF file."""
    out = [("trunc%d" % q, data[: len(data) * q // 4]) for q in (1, 2, 3)]
    if len(data) >= 64 and data[:4] == b"\x7fELF":
        for name, off, fmt, val in (
            ("shoff", 0x28, "<Q", len(data) - 8),
            ("shnum", 0x3C, "<H", 0xFFFF),
            ("shstrndx", 0x3E, "<H", 0xFFF0),
            ("phoff", 0x20, "<Q", 1 << 40),
            ("phnum", 0x38, "<H", 0x7FFF),
        ):
            b = bytearray(data)
            struct.pack_into(fmt, b, off, val)
            out.append((name, bytes(b)))
    rnd = random.Random(len(data))
    for i in range(4):
        b = bytearray(data)
        for _ in range(32):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        out.append(("flip%d" % i, bytes(b)))
    return out


def main():
    outdir, bins = sys.argv[1], sys.argv[2:]
    for path in bins:
        with open(path, "rb") as f:
            data = f.read()
        base = os.path.basename(path)
        put(outdir, "elf", base, data)
        for name, b in corrupt(data):
            put(outdir, "elf", base + "." + name, b)
    text = {
        "ksyms": [("ksyms", n) for n in os.listdir(os.path.join(FIX, "ksyms"))],
        "maps": [("maps", "tricky.maps")],
        "cgroupfiles": [("cgroup/mountinfo", n) for n in os.listdir(os.path.join(FIX, "cgroup", "mountinfo"))],
        "folded": [("profile", n) for n in os.listdir(os.path.join(FIX, "profile")) if n.endswith(".folded")],
    }
    for target, files in text.items():
        for sub, name in files:
            with open(os.path.join(FIX, sub, name), "rb") as f:
                data = f.read()
            put(outdir, target, name, b"\x01" + data if target == "cgroupfiles" else data)
    sel = {"syscall": 0, "stack": 1, "status": 2, "stat": 3, "sched": 4}
    for name in os.listdir(os.path.join(FIX, "procfs")):
        kind = name.split(".")[0]
        with open(os.path.join(FIX, "procfs", name), "rb") as f:
            data = f.read()
        if kind == "stack":
            data = data.split(b"\n")[0]
        put(outdir, "procparse", name, bytes([sel[kind]]) + data)
    for pid in os.listdir(os.path.join(FIX, "cgroup", "proc")):
        p = os.path.join(FIX, "cgroup", "proc", pid, "cgroup")
        if os.path.exists(p):
            with open(p, "rb") as f:
                put(outdir, "cgroupfiles", "cgroup." + pid, b"\x00" + f.read())


if __name__ == "__main__":
    main()
