# SPDX-License-Identifier: GPL-2.0
"""Hostile containers: what a container's files can make rsample (root) do.

Run as root by `make integration-hostile` (or: RSAMPLE=build/rsample
RS_HOSTILE_VICTIMS=build/hostile-victims python3 tests/integration/hostile/run.py
[-k PATTERN]). Prints "N passed, M failed" as its last line and exits non-zero
when anything failed. Without root, BTF or strace every test is skipped, with why.

Each victim is tests/victims/ledger.c built static (hostile.mk), started by
tests/integration/launch.py in its own cgroup, PID and mount namespace and
with /tmp/rsample-ns-<random> as its root (pivot_root): a container root the host can see, into
which each test puts what a hostile image would hold (FIFOs and symlinks at
the paths rsample looks at, huge or compressed debug files). Host-only files
(a canary, a FIFO) live in a separate /tmp/rsample-hostile-* directory (or
/tmp/rsample-dwo-<random>, the name a split-DWARF victim's DW_AT_comp_dir is
rewritten to). Every test runs one snapshot under
`strace -f -y -e trace=open,openat,openat2` and asserts that
  - it ends (no hang) within TIME_S, rsample's max RSS stays under RSS_MB,
  - the exit code and the one clear stderr line are the documented ones,
  - the victim's frames still carry names (from the symbol table where the
    debug info was refused),
  - no host file outside the target's root was opened: no open/openat of a
    host-only path, and no successful open of any kind returned one.
Everything made here (victims, cgroups, directories) is removed in finally
blocks and at exit; only processes started here are killed, by PID.
"""

import atexit
import json
import lzma
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import launch  # noqa: E402  (tests/integration/launch.py)
import suite  # noqa: E402  (tests/integration/suite.py)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RSAMPLE = os.path.abspath(os.environ.get("RSAMPLE", os.path.join(REPO, "build", "rsample")))
VICTIMS = os.path.abspath(os.environ.get(
    "RS_HOSTILE_VICTIMS", os.path.join(os.path.dirname(RSAMPLE), "hostile-victims")))

TIME_S = 30      # a snapshot under strace takes about 1 s; a hang is killed here
RSS_MB = 200     # rsample's max RSS for one snapshot of one static victim
BOMB = 3 << 29   # 1.5 GiB: what the decompression bomb's .debug_str inflates to
DWO_PLACEHOLDER = b"/tmp/rsample-dwo-XXXXXXXX"  # hostile.mk's DW_AT_comp_dir
DWO_NAME = "ledger-split-ledger.dwo"

_dirs = []  # host directories made here


def host_dir(prefix="rsample-hostile-"):
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    _dirs.append(d)
    return d


def cleanup():
    launch.cleanup_all()
    for d in list(_dirs):
        shutil.rmtree(d, ignore_errors=True)
        _dirs.remove(d)


def start(binary, name="ledger", own_root="pivot"):
    """A victim in its own root (launch.py's own_root); returns it ready."""
    v = launch.Victim(binary, name=name, prefix="rsample-hostile-", own_root=own_root)
    return v.start()


def in_root(v, path):
    """The host path of path inside v's root, its directories made."""
    full = os.path.join(v.tmpdir, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


def build_id(path):
    """The GNU build-id of an ELF file, as hex (readelf -n)."""
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    assert m, "no build-id in %s" % path
    return m.group(1)


# Runs argv[2:], writes the peak RSS (KiB) of it and what it reaped (rsample) to argv[1].
_WAIT4 = r'''
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(ru.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
'''


class Run:
    """One rsample run under strace: exit code, stdout, stderr, wall time, max RSS, opens."""

    def __init__(self, args):
        work = host_dir()
        trace, rss = os.path.join(work, "strace.out"), os.path.join(work, "rss")
        cmd = [sys.executable, "-c", _WAIT4, rss, "strace", "-f", "-y", "-qq", "-e", "trace=open,openat,openat2", "-o", trace,
               RSAMPLE] + args
        t0 = time.monotonic()
        # its own process group: on a hang, strace and the rsample it started die together
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        try:
            self.out, self.err = p.communicate(timeout=TIME_S)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the group we made, by its id
            p.communicate()
            raise AssertionError("rsample %s did not end within %d s (a hang)"
                                 % (" ".join(args), TIME_S))
        self.wall = time.monotonic() - t0
        self.rc = p.returncode
        self.out = self.out.decode(errors="replace")
        self.err = self.err.decode(errors="replace")
        with open(rss) as f:
            self.rss_mb = int(f.read()) / 1024
        with open(trace) as f:
            self.trace = f.read().splitlines()

    def json(self):
        return json.loads(self.out)

    def frames(self):
        """Every user frame of every thread, as dicts."""
        return [fr for p in self.json()["processes"] for t in p["threads"]
                for fr in t.get("user_stack", [])]

    def assert_never_opened(self, host_path):
        """No open/openat named host_path from the host, and no open of any kind got it."""
        for line in self.trace:
            got = re.search(r"= \d+<([^>]*)>", line)
            assert not (got and got.group(1) == host_path), \
                "host file %s was opened: %s" % (host_path, line)
            m = re.search(r"\b(open|openat)\((AT_FDCWD, )?\"([^\"]*)\"", line)
            assert not (m and m.group(3) == host_path), \
                "host path %s was looked up on the host: %s" % (host_path, line)

    def assert_bounded(self):
        assert self.rss_mb < RSS_MB, "rsample's max RSS was %.0f MB (bound %d)" % (
            self.rss_mb, RSS_MB)
        assert self.wall < TIME_S


def snapshot(v, *extra):
    r = Run(["--pid", str(v.host_pid), "--json", "--no-kernel"] + list(extra))
    r.assert_bounded()
    return r


def named_frames(r, want=("teller_thread", "dispatcher_thread", "janitor_thread")):
    names = {fr.get("function") for fr in r.frames()}
    missing = [w for w in want if w not in names]
    assert not missing, "frames lack %s; names seen: %s" % (missing, sorted(n for n in names if n))


def stderr_lines(r, pattern):
    return [ln for ln in r.err.splitlines() if re.search(pattern, ln)]


# ---- finding 2: a container can hang rsample -----------------------------------


def test_fifo_at_build_id_path():
    """A FIFO at the container's /usr/lib/debug/.build-id/xx/yyyy.debug: refused, no hang."""
    binary = os.path.join(VICTIMS, "ledger-stripped")
    v = start(binary)
    bid = build_id(binary)
    path = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:])
    os.mkfifo(in_root(v, path))
    r = snapshot(v)
    assert r.rc == 1, "exit %d, want 1 (partial: a debug file was refused): %s" % (r.rc, r.err)
    lines = stderr_lines(r, re.escape(path) + r"' is not a regular file")
    assert len(lines) == 1, "want one line naming the FIFO, got: %r" % r.err
    named_frames(r)  # from the symbol table
    # a profile too: its spinning thread's samples get symbolized
    out = os.path.join(host_dir(), "p.folded")
    p = Run(["profile", "--pid", str(v.host_pid), "-d", "1s", "-o", out])
    p.assert_bounded()
    assert p.rc in (0, 1), "profile: exit %d: %s" % (p.rc, p.err)
    lines = stderr_lines(p, re.escape(path) + r"' is not a regular file")
    assert len(lines) == 1, "profile: want one line naming the FIFO, got: %r" % p.err
    with open(out) as f:
        assert "hash_leaf" in f.read(), "the spinning thread's frames lack names"


def test_dwo_path_to_host_fifo():
    """A split-DWARF binary whose DW_AT_comp_dir/DW_AT_dwo_name name a host FIFO."""
    fifo = split_victim_dir(lambda d: os.mkfifo(os.path.join(d, DWO_NAME)))
    r = snapshot(fifo["victim"])
    r.assert_never_opened(fifo["path"])
    assert r.rc == 0, "exit %d: %s" % (r.rc, r.err)
    named_frames(r)  # the line table stays in the binary: lines, but no .dwo DIEs


# ---- finding 3: a container can make rsample open host files as root -----------


def split_victim_dir(make):
    """ledger-split with its comp_dir rewritten to a fresh host directory, where make()
    puts what the test wants at <comp_dir>/<dwo_name>. The real .dwo is nowhere in the
    victim's root, so only the host's comp_dir could give it."""
    tag = secrets.token_hex(4).encode()
    comp_dir = DWO_PLACEHOLDER.replace(b"XXXXXXXX", tag).decode()
    assert not os.path.exists(comp_dir)
    os.mkdir(comp_dir)
    _dirs.append(comp_dir)
    with open(os.path.join(VICTIMS, "ledger-split"), "rb") as f:
        data = f.read()
    assert DWO_PLACEHOLDER in data, "ledger-split has no placeholder comp_dir"
    patched = os.path.join(host_dir(), "ledger-split")
    with open(patched, "wb") as f:
        f.write(data.replace(DWO_PLACEHOLDER, comp_dir.encode()))
    os.chmod(patched, 0o755)
    make(comp_dir)
    return {"victim": start(patched), "path": os.path.join(comp_dir, DWO_NAME)}


def test_dwo_path_to_host_symlink():
    """<comp_dir>/<dwo_name> on the host is a symlink to a canary (the real .dwo)."""
    canary = os.path.join(host_dir(), "canary.dwo")
    shutil.copy(os.path.join(VICTIMS, DWO_NAME), canary)
    link = split_victim_dir(lambda d: os.symlink(canary, os.path.join(d, DWO_NAME)))
    r = snapshot(link["victim"])
    r.assert_never_opened(canary)
    r.assert_never_opened(link["path"])
    assert r.rc == 0, "exit %d: %s" % (r.rc, r.err)
    named_frames(r)


def test_container_symlinks_to_host():
    """Build-id and debuglink paths in the container are symlinks to a host canary."""
    canary_dir = host_dir()
    for binary, debug, place, mode in (
            ("ledger-stripped", "ledger-stripped.debug", None, "pivot"),
            ("ledger-noid", "ledger-noid.debug", "/usr/lib/debug/app/ledger-noid.debug", "pivot"),
            # maps names the binary by its host path, which is the mapped file: the host's
            # own; its container-owned directory on the host holds the symlink
            ("ledger-noid", "ledger-noid.debug", "/app/.debug/ledger-noid.debug", "chroot")):
        canary = os.path.join(canary_dir, debug)
        shutil.copy(os.path.join(VICTIMS, debug), canary)  # the right debug file: tempting
        v = start(os.path.join(VICTIMS, binary), own_root=mode)
        if place is None:  # an absolute symlink at the build-id path
            bid = build_id(os.path.join(VICTIMS, binary))
            place = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:])
            os.symlink(canary, in_root(v, place))
        elif mode == "pivot":  # a relative one at a debuglink place, climbing above the root
            os.symlink("../../../../../../.." + canary, in_root(v, place))
        else:
            os.symlink(canary, in_root(v, place))
        r = snapshot(v)
        r.assert_never_opened(canary)
        assert r.rc == 0, "%s (%s): exit %d: %s" % (binary, mode, r.rc, r.err)
        named_frames(r)
        assert not any(fr.get("file") for fr in r.frames()), "%s: DWARF from the host" % binary
        v.stop()


# ---- finding 4: unbounded work from container files ----------------------------


def test_huge_sparse_debuglink():
    """A 20 GB sparse file where the debuglink points: refused at once, not read."""
    v = start(os.path.join(VICTIMS, "ledger-noid"))
    path = "/usr/lib/debug/app/ledger-noid.debug"
    with open(in_root(v, path), "wb") as f:
        f.truncate(20 << 30)
    t0 = time.monotonic()
    r = Run(["--pid", str(v.host_pid), "--json", "--no-kernel"])
    r.assert_bounded()
    assert time.monotonic() - t0 < 10, "took %.1f s" % (time.monotonic() - t0)
    assert r.rc == 1, "exit %d: %s" % (r.rc, r.err)
    lines = stderr_lines(r, r"is 20\.0 GiB, over --max-debug-size 1\.0 GiB.*raise --max-debug-size")
    assert len(lines) == 1, "want one line naming the file and the limit: %r" % r.err
    named_frames(r)


def make_bomb(src, dst):
    """src with its .debug_str replaced by a SHF_COMPRESSED section inflating to BOMB bytes."""
    payload = os.path.join(os.path.dirname(dst), "bomb.bin")
    # 1 MiB of zeros after a full flush deflates to the same bytes every time: repeat them
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = z.compress(bytes(1 << 20)) + z.flush(zlib.Z_FULL_FLUSH)
    n = BOMB >> 20
    adler = ((n << 20) % 65521) << 16 | 1  # Adler-32 of n MiB of zeros
    with open(payload, "wb") as f:
        f.write(struct.pack("<IIQQ", 1, 0, BOMB, 1))  # Elf64_Chdr: ELFCOMPRESS_ZLIB
        f.write(b"\x78\xda")
        for _ in range(n):
            f.write(block)
        f.write(b"\x03\x00" + struct.pack(">I", adler))  # an empty final block, the checksum
    subprocess.run(["objcopy", "--update-section", ".debug_str=" + payload, src, dst], check=True)
    with open(dst, "r+b") as f:  # set SHF_COMPRESSED on .debug_str
        elf = f.read()
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
        stroff, = struct.unpack_from("<Q", elf, shoff + shstrndx * shentsize + 0x18)
        for i in range(shnum):
            off = shoff + i * shentsize
            name, = struct.unpack_from("<I", elf, off)
            if elf[stroff + name:stroff + name + 11] == b".debug_str\0":
                flags, = struct.unpack_from("<Q", elf, off + 8)
                f.seek(off + 8)
                f.write(struct.pack("<Q", flags | 0x800))
                break
        else:
            raise AssertionError("no .debug_str in %s" % src)
    os.unlink(payload)
    return os.path.getsize(dst)


def test_decompression_bomb():
    """A 1 MB binary whose compressed .debug_str inflates to 1.5 GiB: its DWARF is refused."""
    bomb = os.path.join(host_dir(), "ledger-bomb")
    size = make_bomb(os.path.join(VICTIMS, "ledger-static"), bomb)
    assert size < 4 << 20, "the bomb is %d bytes" % size
    v = start(bomb)
    r = snapshot(v)
    assert r.rc == 1, "exit %d: %s" % (r.rc, r.err)
    lines = stderr_lines(r, r"'/app/ledger': its compressed debug sections "
                         r"hold 1\.5 GiB, over --max-debug-size 1\.0 GiB; not read, its frames "
                         r"are named from the symbol table \(raise --max-debug-size to read it\)")
    assert len(lines) == 1, "want one line naming the file and the limit: %r" % r.err
    named_frames(r)
    assert not any(fr.get("file") for fr in r.frames()), "DWARF was read"


def test_minidebuginfo_is_bounded():
    """.gnu_debugdata (xz, inflated by libdwfl for its symbols) counts against the limit."""
    xz = os.path.join(host_dir(), "debugdata.xz")
    with open(xz, "wb") as f:
        f.write(lzma.compress(bytes(4 << 20), format=lzma.FORMAT_XZ))
    binary = os.path.join(os.path.dirname(xz), "ledger-mini")
    subprocess.run(["objcopy", "--add-section", ".gnu_debugdata=" + xz,
                    os.path.join(VICTIMS, "ledger-stripped"), binary], check=True)
    v = start(binary)
    r = snapshot(v)
    assert r.rc == 0, "exit %d: %s" % (r.rc, r.err)
    r = snapshot(v, "--max-debug-size", "1M")
    assert r.rc == 1, "exit %d: %s" % (r.rc, r.err)
    assert len(stderr_lines(r, r"'/app/ledger': its compressed debug sections hold 4\.0 MiB, "
                            r"over --max-debug-size 1\.0 MiB")) == 1, r.err
    named_frames(r)


def test_symbolize_budget():
    """--symbolize-budget: past it, frames come from the symbol table, said once."""
    v = start(os.path.join(VICTIMS, "ledger-static"))
    r = snapshot(v)
    assert r.rc == 0 and any(fr.get("file") for fr in r.frames()), r.err
    r = snapshot(v, "--symbolize-budget", "1ns")
    assert r.rc == 1, "exit %d: %s" % (r.rc, r.err)
    assert len(stderr_lines(r, r"ran past --symbolize-budget: further frames are named from the "
                            r"symbol table only.*\(raise --symbolize-budget\)")) == 1, r.err
    named_frames(r)
    assert not any(fr.get("file") for fr in r.frames()), "DWARF was read past the budget"


def test_max_debug_size_applies_to_debug_files():
    """--max-debug-size below a real debug file's sections: refused, named, frames kept."""
    v = start(os.path.join(VICTIMS, "ledger-stripped"))
    bid = build_id(os.path.join(VICTIMS, "ledger-stripped"))
    place = in_root(v, "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:]))
    subprocess.run(["objcopy", "--compress-debug-sections=zlib",
                    os.path.join(VICTIMS, "ledger-stripped.debug"), place], check=True)
    r = snapshot(v)
    assert r.rc == 0, "exit %d: %s" % (r.rc, r.err)
    assert any(fr.get("file") for fr in r.frames()), "the compressed debug file was not used"
    r = snapshot(v, "--max-debug-size", "4k")
    assert r.rc == 1, "exit %d: %s" % (r.rc, r.err)
    assert len(stderr_lines(r, r"over --max-debug-size 4\.0 KiB")) == 1, r.err
    named_frames(r)
    assert not any(fr.get("file") for fr in r.frames())


TESTS = [test_fifo_at_build_id_path, test_dwo_path_to_host_fifo, test_dwo_path_to_host_symlink,
         test_container_symlinks_to_host, test_huge_sparse_debuglink, test_decompression_bomb,
         test_minidebuginfo_is_bounded, test_symbolize_budget,
         test_max_debug_size_applies_to_debug_files]


def skip_reason():
    if not shutil.which("strace"):
        return "no strace: install it (scripts/deps.sh does)"
    return suite.root_bpf_skip_reason(RSAMPLE)


def main(argv):
    atexit.register(cleanup)
    return suite.run(TESTS, argv, skip_reason, cleanup)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(sys.argv[1:]))
