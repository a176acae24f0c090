# SPDX-License-Identifier: GPL-2.0
"""--push: continuous profiles sent to a Pyroscope ingest endpoint (make integration-push).

A small HTTP server on loopback (http.server) stands in for Pyroscope: it checks every
request exactly as Pyroscope's server API documents POST /ingest (method, path, every
query parameter, the multipart/form-data body with the gzip'd pprof in the "profile" field
and, for off-CPU, "sample_type_config") and decodes the pprof (protobuf, decoded here) for
the victim's hot function. Then: a server that answers 503 for a while (retries, backoff,
nothing lost within the queue), one that never answers (sampling goes on, intervals on
time, drops counted, flush bounded at exit) and none at all (connection refused: drops
counted, one line per interval with drops, exit 1). Not a real Pyroscope: none can be
installed here from Debian's archive.

Run as root (real BPF): RSAMPLE=build/rsample RS_PROFILE_VICTIMS=build/profile-victims
python3 tests/integration/push.py [-k PATTERN]. Prints "N passed, M failed" last. The
victim runs in a fresh cgroup laid out as kubelet does (kubepods/pod<uid>/<container id>),
with kubelet's log directories for its names (/var/log/pods/<ns>_<pod>_<uid>,
/var/log/containers/<pod>_<ns>_<container>-<id>.log); all of them, the processes and the
servers started here are removed in cleanup, also on failure.
"""

import email.parser
import email.policy
import gzip
import http.server
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suite  # noqa: E402  (tests/integration/suite.py)
from observe import StopMonitor  # noqa: E402  (tests/integration/observe.py)

_spec = importlib.util.spec_from_file_location("prof", os.path.join(HERE, "profile", "run.py"))
prof = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prof)  # the profile suite's helpers: cgroups, victims, rsample()
check, rsample = prof.check, prof.rsample

NODE = "rs-push-node-1"
NS = "rs-push-ns"
CONTAINER = "app"
_servers = []  # servers started here, shut down in cleanup
_paths = []    # files and directories made here (not cgroups), removed in cleanup


# ---- a stand-in for Pyroscope's POST /ingest ---------------------------------

class Server:
    """http.server on 127.0.0.1 recording each request; mode(n) gives the n-th request's
    answer: an HTTP status, or None to never answer (until the server is shut down)."""

    def __init__(self, mode):
        self.requests, self.mode, self.release = [], mode, threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with lock:
                    outer.requests.append({"method": "POST", "path": self.path,
                                           "headers": dict(self.headers), "body": body,
                                           "t": time.monotonic()})
                    k = len(outer.requests)
                status = outer.mode(k)
                if status is None:
                    outer.release.wait(120)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                outer.requests.append({"method": "GET", "path": self.path})
                self.send_response(405)
                self.end_headers()

            def log_message(self, *a):
                pass

        lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        _servers.append(self)

    def shutdown(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port():
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- pprof, decoded here (profile.proto's field numbers) ---------------------

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def fields(b):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise AssertionError("bad protobuf wire type %d" % wt)
        yield f, wt, v


def decode_pprof(data):
    """Sample types [(type, unit)], the function names, the number of samples."""
    strings, types, funcs, samples = [], [], [], 0
    msg = list(fields(gzip.decompress(data)))
    for f, wt, v in msg:
        if f == 6:
            strings.append(v.decode())
    for f, wt, v in msg:
        if f == 1:
            vt = dict((ff, vv) for ff, _, vv in fields(v))
            types.append((strings[vt.get(1, 0)], strings[vt.get(2, 0)]))
        elif f == 2:
            samples += 1
        elif f == 5:
            fn = dict((ff, vv) for ff, _, vv in fields(v))
            funcs.append(strings[fn.get(2, 0)])
    return types, funcs, samples


# ---- checking one request as Pyroscope documents it --------------------------

ON_TYPES = [("samples", "count"), ("cpu", "nanoseconds")]
OFF_TYPES = [("waits", "count"), ("off_cpu", "nanoseconds")]


def parse_request(req, labels, t0, t1, freq):
    """Checks one request; returns (kind, from, until, function names)."""
    check(req["method"] == "POST", "method %s, want POST" % req["method"])
    u = urllib.parse.urlsplit(req["path"])
    check(u.path == "/ingest", "path %r, want /ingest" % u.path)
    q = urllib.parse.parse_qs(u.query, keep_blank_values=True, strict_parsing=True)
    check(all(len(v) == 1 for v in q.values()), "a query parameter given twice: %r" % q)
    q = dict((k, v[0]) for k, v in q.items())
    m = re.fullmatch(r"rsample\{(.*)\}", q.get("name", ""))
    check(m, "name %r, want rsample{labels}" % q.get("name"))
    got = dict(kv.split("=", 1) for kv in m.group(1).split(",")) if m.group(1) else {}
    check(got == labels, "labels %r, want %r" % (got, labels))
    check(q.get("format") == "pprof", "format %r, want pprof" % q.get("format"))
    check(q.get("spyName") == "rsample", "spyName %r" % q.get("spyName"))
    frm, until = int(q["from"]), int(q["until"])
    check(t0 - 2 <= frm < until <= t1 + 2, "from %d until %d outside the run [%d, %d]" % (
        frm, until, t0, t1))
    check(until - frm <= 2, "from %d until %d: longer than the 1 s interval" % (frm, until))
    ctype = req["headers"].get("Content-Type", "")
    check(ctype.startswith("multipart/form-data; boundary="), "Content-Type %r" % ctype)
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req["body"])
    check(msg.is_multipart(), "body is not a multipart form")
    parts = dict((p.get_param("name", header="content-disposition"), p)
                 for p in msg.iter_parts())
    check("profile" in parts, "no form field 'profile': %r" % list(parts))
    check(parts["profile"].get_filename(), "'profile' is not a form file field")
    data = parts["profile"].get_payload(decode=True)
    check(data[:2] == b"\x1f\x8b", "'profile' is not gzip'd")
    types, funcs, nsamples = decode_pprof(data)
    if types == ON_TYPES:
        kind = "on"
        check(set(parts) == {"profile"}, "on-CPU form fields %r, want profile" % list(parts))
        check(q.get("sampleRate") == str(freq), "sampleRate %r, want %d" % (
            q.get("sampleRate"), freq))
        check(set(q) == {"name", "from", "until", "format", "sampleRate", "spyName"},
              "query parameters %r" % sorted(q))
    else:
        kind = "off"
        check(types == OFF_TYPES, "sample types %r, want on-CPU %r or off-CPU %r" % (
            types, ON_TYPES, OFF_TYPES))
        check(set(parts) == {"profile", "sample_type_config"},
              "off-CPU form fields %r" % list(parts))
        cfg = json.loads(parts["sample_type_config"].get_payload(decode=True))
        check(set(cfg) == {"off_cpu", "waits"}, "sample_type_config %r" % cfg)
        for k, v in cfg.items():
            check(set(v) == {"units", "aggregation", "display-name", "sampled"},
                  "sample_type_config[%s] = %r" % (k, v))
        check(cfg["off_cpu"]["display-name"] == "off_cpu", "off-CPU display name %r" % cfg)
        check(set(q) == {"name", "from", "until", "format", "spyName"},
              "query parameters %r" % sorted(q))
    return kind, frm, until, funcs, nsamples


# ---- the victim, in a cgroup laid out as kubelet's ---------------------------

def mkdirs(path):
    """mkdir -p, remembering every directory it made (removed in cleanup)."""
    made = []
    while not os.path.isdir(path):
        made.append(path)
        path = os.path.dirname(path)
    for d in reversed(made):
        os.mkdir(d)
        _paths.append(d)


def fake_pod():
    """The victim in <mount>/rsample-push-*/kubepods/pod<uid>/<64 hex> with kubelet's
    log entries for its names. Returns (process, container id, labels)."""
    uid, cid = str(uuid.uuid4()), secrets.token_hex(32)
    pod = "web-" + secrets.token_hex(3)
    path = os.path.join(prof.cgroup2_mount(), "rsample-push-" + secrets.token_hex(4))
    os.mkdir(path)
    prof._cgroups.append(path)
    for part in ("kubepods", "pod" + uid, cid):
        path = os.path.join(path, part)
        os.mkdir(path)
        prof._cgroups.append(path)
    pods = "/var/log/pods/%s_%s_%s" % (NS, pod, uid)
    mkdirs(os.path.join(pods, CONTAINER))
    mkdirs("/var/log/containers")
    log = "/var/log/containers/%s_%s_%s-%s.log" % (pod, NS, CONTAINER, cid)
    os.symlink(os.path.join(pods, CONTAINER, "0.log"), log)
    _paths.append(log)
    p = prof.start(prof.victim("cpusplit"), cgroup=path)
    return p, cid, {"namespace": NS, "pod": pod, "container": CONTAINER, "node": NODE}


def run_push(url, extra, duration=3):
    """rsample profile --cgroup <container id> --interval 1s --push url (NODE_NAME set)."""
    p, cid, labels = fake_pod()
    mon = StopMonitor(p.pid)
    mon.start()
    env = dict(os.environ, NODE_NAME=NODE)
    t0 = time.time()
    try:
        start = time.monotonic()
        r = subprocess.run([prof.RSAMPLE, "profile", "--cgroup", cid, "-d", "%ds" % duration,
                            "--interval", "1s", "--push", url] + extra,
                           capture_output=True, timeout=90, env=env)
        wall = time.monotonic() - start
    finally:
        mon.stop()
        prof.stop(p)
    res = prof.Result(["profile", "--cgroup", cid, "--push", url] + extra, r, wall)
    check(mon.samples > 0 and not mon.violations, "the victim was stopped or traced: %r (%d "
          "looks)" % (mon.violations, mon.samples), res)
    return res, labels, t0, time.time()


def summary(res):
    """The final 'push to URL: ...' line's numbers."""
    m = re.search(r"push to \S+: (\d+) of (\d+) profiles sent, (\d+) retries, (\d+) dropped "
                  r"\((\d+) queue full, (\d+) failed, (\d+) not sent within 5 s at exit, "
                  r"(\d+) not built\)", res.stderr.decode())
    check(m, "no push summary on stderr", res)
    keys = ("sent", "queued", "retries", "dropped", "full", "failed", "exit", "built")
    return dict(zip(keys, map(int, m.groups())))


def drop_lines(res):
    return re.findall(r"push: \d+ profiles? dropped since the last interval \(\d+ in all\): .+",
                      res.stderr.decode())


# ---- the tests ---------------------------------------------------------------

def test_push_requests_as_documented():
    srv = Server(lambda n: 200)
    res, labels, t0, t1 = run_push(srv.url, ["--on-cpu", "--off-cpu", "-F", "99"])
    check(res.rc == 0, "want exit 0", res)
    got = [parse_request(r, labels, int(t0), int(t1), 99) for r in srv.requests]
    kinds = sorted(k for k, *_ in got)
    check(kinds == ["off"] * 3 + ["on"] * 3, "requests %r, want 3 on-CPU and 3 off-CPU "
          "(one each per 1 s interval of -d 3s)" % kinds, res)
    on = [g for g in got if g[0] == "on"]
    check(len(set(g[1] for g in on)) == 3, "on-CPU intervals repeat: %r" % on, res)
    hot = sum(1 for g in on if "burn_three" in g[3])
    check(hot == 3, "burn_three in %d of 3 on-CPU profiles" % hot, res)
    check(all(g[4] > 0 for g in on), "an on-CPU profile has no samples", res)
    s = summary(res)
    check(s["sent"] == 6 and s["queued"] == 6 and s["dropped"] == 0, "summary %r" % s, res)
    check(not drop_lines(res), "drop lines with a server that takes everything", res)
    # An independent reader of one pushed profile: Go's own pprof, when installed.
    go = prof.shutil.which("go")
    if go:
        with tempfile.NamedTemporaryFile(suffix=".pb.gz") as f:
            for r in srv.requests:
                if b"sample_type_config" not in r["body"]:
                    break
            ctype = r["headers"]["Content-Type"]
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + r["body"])
            f.write(next(msg.iter_parts()).get_payload(decode=True))
            f.flush()
            top = subprocess.run([go, "tool", "pprof", "-top", f.name], capture_output=True,
                                 timeout=120)
            check(top.returncode == 0 and b"burn_three" in top.stdout,
                  "go tool pprof cannot read the pushed profile: %r" % top.stderr[-500:])


def test_push_retries_after_503():
    fails = 3
    srv = Server(lambda n: 503 if n <= fails else 200)
    res, labels, t0, t1 = run_push(srv.url, ["--on-cpu"])
    check(res.rc == 0, "want exit 0: every profile got through in the end", res)
    ok = srv.requests[fails:]
    got = [parse_request(r, labels, int(t0), int(t1), 99) for r in srv.requests]
    check(len(set((g[0], g[1]) for g in got)) == 3, "not 3 distinct intervals", res)
    check(len(ok) == 3, "%d requests accepted after the 503s, want 3" % len(ok), res)
    # Backoff: the retries of the first profile are spaced, growing (250 ms base, jitter
    # keeps at least half of each delay).
    gaps = [srv.requests[i + 1]["t"] - srv.requests[i]["t"] for i in range(fails)]
    check(all(g >= 0.1 for g in gaps), "retries not backed off: gaps %r" % gaps, res)
    s = summary(res)
    check(s["sent"] == 3 and s["retries"] == fails and s["dropped"] == 0, "summary %r" % s,
          res)


def test_push_hung_server_does_not_block_sampling():
    srv = Server(lambda n: None)
    out = tempfile.mkdtemp(prefix="rsample-push-")
    _paths.append(out)
    res, labels, t0, t1 = run_push(srv.url, ["--on-cpu", "--push-queue", "2", "--out-dir",
                                             out, "--format", "pprof"], duration=5)
    files = sorted(os.listdir(out))
    for f in files:
        _paths.append(os.path.join(out, f))
    check(res.rc == 1, "want exit 1 (profiles dropped)", res)
    check(len(files) == 5, "%d interval files, want 5: sampling waited on the push" %
          len(files), res)
    mt = sorted(os.stat(os.path.join(out, f)).st_mtime for f in files)
    gaps = [b - a for a, b in zip(mt, mt[1:])]
    check(all(g < 2.5 for g in gaps), "intervals not on time: gaps %r s" % gaps, res)
    # 5 s of sampling, then at most the 5 s flush: generous for a loaded machine.
    check(res.wall < 5 + 5 + 8, "took %.1f s: the flush at exit is not bounded" % res.wall, res)
    s = summary(res)
    check(s["sent"] == 0 and s["queued"] == 5 and s["dropped"] == 5 and s["full"] == 2 and
          s["exit"] == 3, "summary %r, want 5 dropped: 2 queue full, 3 at exit" % s, res)
    lines = drop_lines(res)
    check(len(lines) == 2 and all("queue was full" in x for x in lines),
          "want one drop line for each of the 2 intervals with a drop: %r" % lines, res)


def test_push_server_down():
    url = "http://127.0.0.1:%d" % free_port()
    res, labels, t0, t1 = run_push(url, ["--on-cpu", "--push-queue", "1"], duration=4)
    check(res.rc == 1, "want exit 1 (profiles dropped)", res)
    s = summary(res)
    check(s["sent"] == 0 and s["queued"] == 4 and s["dropped"] == 4 and s["full"] == 2,
          "summary %r, want 4 dropped, 2 of them for a full queue" % s, res)
    check(s["retries"] >= 1, "connection refused was not retried: %r" % s, res)
    err = res.stderr.decode()
    check(re.search(r"[Cc]onnect", err), "the cause (connection refused) is not said", res)
    check(len(drop_lines(res)) == 2, "want one line for each interval with a drop", res)


def test_push_sigterm_sends_the_last_interval():
    """As a DaemonSet ends: no -d; SIGTERM pushes the partial last interval, then exit."""
    srv = Server(lambda n: 200)
    p, cid, labels = fake_pod()
    t0 = time.time()
    r = subprocess.Popen([prof.RSAMPLE, "profile", "--cgroup", cid, "--interval", "1s",
                          "--push", srv.url], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=dict(os.environ, NODE_NAME=NODE))
    try:
        deadline = time.monotonic() + 60
        while len(srv.requests) < 1 and time.monotonic() < deadline and r.poll() is None:
            time.sleep(0.05)
        check(len(srv.requests) >= 1, "no interval pushed within 60 s")
        r.send_signal(signal.SIGTERM)
        t_term = time.monotonic()
        err = r.communicate(timeout=60)[1]
        waited = time.monotonic() - t_term
    finally:
        if r.poll() is None:
            r.kill()
            r.wait()
        prof.stop(p)
    res = prof.Result(["profile", "--cgroup", cid, "--interval", "1s", "--push", srv.url],
                      r, waited)
    res.stderr = err
    check(r.returncode == 0, "want exit 0 after SIGTERM", res)
    check(waited < 5 + 5, "took %.1f s after SIGTERM" % waited, res)
    s = summary(res)
    check(s["queued"] >= 2 and s["sent"] == s["queued"] and s["dropped"] == 0,
          "summary %r: the last, partial interval was not pushed" % s, res)
    got = [parse_request(q, labels, int(t0), int(time.time()), 99) for q in srv.requests]
    check(len(got) == s["sent"], "%d requests, %d sent" % (len(got), s["sent"]), res)


def test_push_usage():
    r = subprocess.run([prof.RSAMPLE, "profile", "--pid", "1", "--push", "http://127.0.0.1:1"],
                       capture_output=True, timeout=30)
    check(r.returncode == 64 and b"--push needs --interval" in r.stderr,
          "--push without --interval: %r" % r.stderr)
    r = subprocess.run([prof.RSAMPLE, "profile", "--pid", str(os.getpid()), "--interval", "1s",
                        "--push", "pyroscope:4040"], capture_output=True, timeout=30)
    err = r.stderr.decode()
    check(r.returncode == 2 and err.count("\n") == 1 and "invalid --push URL" in err,
          "a URL without http://: exit %d %r" % (r.returncode, err))


def test_push_without_libcurl():
    """libcurl is loaded only for --push: without it, one line naming it and the fix, exit 2."""
    ld = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    lib = next((l.split()[-1] for l in ld.splitlines() if l.strip().startswith("libcurl.so.4 (")),
               None)
    check(lib is not None, "libcurl.so.4 is not in the loader's cache (scripts/deps.sh installs it)")
    # In a mount namespace of its own (gone with the process) the library reads as empty.
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        'mount --bind /dev/null "$1" && exec "$2" profile --pid "$3" '
                        '--interval 1s -d 1s --push http://127.0.0.1:1',
                        "sh", lib, prof.RSAMPLE, str(os.getpid())],
                       capture_output=True, timeout=60)
    err = r.stderr.decode()
    check(r.returncode == 2 and err.count("\n") == 1 and
          err.startswith("rsample: cannot load libcurl for --push: %s: " % lib) and
          "install the libcurl4 package" in err, "exit %d %r" % (r.returncode, err))
    # the other commands do not load it at all
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        'mount --bind /dev/null "$1" && exec "$2" --version', "sh", lib,
                        prof.RSAMPLE], capture_output=True, timeout=60)
    check(r.returncode == 0 and r.stdout.startswith(b"rsample "),
          "--version without libcurl: exit %d %r %r" % (r.returncode, r.stdout, r.stderr))


TESTS = [
    test_push_requests_as_documented,
    test_push_retries_after_503,
    test_push_hung_server_does_not_block_sampling,
    test_push_server_down,
    test_push_sigterm_sends_the_last_interval,
    test_push_usage,
    test_push_without_libcurl,
]


def cleanup():
    prof.cleanup()
    while _servers:
        _servers.pop().shutdown()
    while _paths:
        p = _paths.pop()
        try:
            os.rmdir(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
        except OSError as e:
            print("  warning: cannot remove %s: %s" % (p, e), flush=True)


if __name__ == "__main__":
    sys.exit(suite.main(TESTS, sys.argv[1:], lambda: suite.root_bpf_skip_reason(prof.RSAMPLE), cleanup))
