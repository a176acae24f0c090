# SPDX-License-Identifier: GPL-2.0
"""The function symbols of an ELF file (64-bit little-endian), for drawing
benchmark addresses from a binary's text without depending on a peer tool."""

import random
import struct

SHT_SYMTAB = 2
STT_FUNC = 2


def _sections(data):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    out = []
    for i in range(shnum):
        name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        out.append({"name_off": name, "type": typ, "flags": flags, "addr": addr, "off": off,
                    "size": size, "link": link, "entsize": entsize})
    strtab = out[shstrndx]
    for s in out:
        end = data.index(b"\0", strtab["off"] + s["name_off"])
        s["name"] = data[strtab["off"] + s["name_off"]:end].decode()
    return out


def functions(path):
    """[(address, size)] of the sized STT_FUNC symbols in .text, sorted, deduplicated."""
    with open(path, "rb") as f:
        data = f.read()
    secs = _sections(data)
    text = next(s for s in secs if s["name"] == ".text")
    lo, hi = text["addr"], text["addr"] + text["size"]
    funcs = set()
    for s in secs:
        if s["type"] != SHT_SYMTAB:
            continue
        for off in range(s["off"], s["off"] + s["size"], s["entsize"]):
            _, info, _, _, value, size = struct.unpack_from("<IBBHQQ", data, off)
            if info & 0xF == STT_FUNC and size and lo <= value and value + size <= hi:
                funcs.add((value, size))
    if not funcs:
        raise ValueError("%s has no sized function symbols in .text (stripped?)" % path)
    return sorted(funcs)


def text_size(path):
    with open(path, "rb") as f:
        data = f.read()
    return next(s for s in _sections(data) if s["name"] == ".text")["size"]


def draw_addresses(path, n, seed=42):
    """n addresses: a function drawn uniformly, then a byte inside it uniformly (fixed seed)."""
    funcs = functions(path)
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        addr, size = funcs[rnd.randrange(len(funcs))]
        out.append(addr + rnd.randrange(size))
    return out, len(funcs)
