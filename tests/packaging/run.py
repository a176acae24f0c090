# SPDX-License-Identifier: GPL-2.0
"""What a newcomer gets before anything else: the man page, the bash completion,
`make install` and the .deb (make packaging; no root, no BPF).

  RSAMPLE=build/rsample RS_DEB_DIR=build/deb python3 tests/packaging/run.py [-k PATTERN]

- the man page (docs/rsample.1) renders without a groff warning and names every option
  and command `rsample --help` lists, the exit codes and its sections;
- the completion (completion/rsample.bash) registers itself and offers, in bash with
  COMP_WORDS/COMP_CWORD set as readline would, the commands, each command's options
  (together every option of --help) and the values of --backend, --format, --group-by;
- `make install DESTDIR=... PREFIX=/usr/local` installs exactly the binary, the man page,
  the completion and the documents, the installed binary runs, `make uninstall` removes
  them; docs/rsample.schema.json is a valid JSON Schema that the report fixture matches
  and a broken document does not;
- the .deb that `make deb` built (RS_DEB_DIR): its file list and Depends (dpkg-deb),
  no lintian error, and installed with `dpkg --root` into a fresh root, its rsample runs.
Prints "N passed, M failed" last.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import suite  # noqa: E402  (tests/integration/suite.py)

RSAMPLE = os.path.abspath(os.environ.get("RSAMPLE", os.path.join(REPO, "build", "rsample")))
DEB_DIR = os.path.abspath(os.environ.get("RS_DEB_DIR", os.path.join(REPO, "build", "deb")))
MAN = os.path.join(REPO, "docs", "rsample.1")
COMPLETION = os.path.join(REPO, "completion", "rsample.bash")
NOTES = []


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def help_options():
    """Every option `rsample --help` names (-p, --pid, ...), and its commands."""
    p = sh([RSAMPLE, "--help"])
    assert p.returncode == 0, "rsample --help: exit %d" % p.returncode
    opts = set(re.findall(r"(?<![\w/-])(--?[A-Za-z][\w-]*)", p.stdout))
    cmds = set(re.findall(r"^\s+rsample (\w+)", p.stdout, re.M)) | {"snapshot"}
    return opts, cmds


def render_man(path):
    """The man page as plain text (no hyphenation, long lines: options stay whole)."""
    p = sh(["groff", "-man", "-Tascii", "-P-cbou", "-rHY=0", "-rLL=250n", "-ww", path])
    return p.returncode, p.stdout, p.stderr


def missing_from_man(text, opts):
    return sorted(o for o in opts if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), text))


class ManPage(unittest.TestCase):
    def test_renders_without_warnings(self):
        rc, out, err = render_man(MAN)
        self.assertEqual((rc, err), (0, ""), "groff -ww on docs/rsample.1")
        self.assertIn("rsample - what every thread", out)
        p = sh(["man", "-l", MAN], env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_every_help_option_and_command(self):
        opts, cmds = help_options()
        _, text, _ = render_man(MAN)
        self.assertGreater(len(opts), 25, "too few options read from --help: %s" % opts)
        self.assertEqual(missing_from_man(text, opts), [], "options of --help missing in the man page")
        commands = text.split("\nCOMMANDS\n", 1)[-1].split("\nTARGET\n", 1)[0]
        for c in sorted(cmds):
            self.assertRegex(commands, r"(?m)^ +%s\b" % c, "command %s not under COMMANDS" % c)
        NOTES.append("man page: %d options and %d commands of --help" % (len(opts), len(cmds)))

    def test_checker_finds_a_missing_option(self):
        """The check above is no rubber stamp: a page without --max-cpu fails it."""
        with open(MAN) as f:
            page = f.read()
        with tempfile.TemporaryDirectory(prefix="rsample-man-") as d:
            cut = os.path.join(d, "rsample.1")
            with open(cut, "w") as f:
                f.write(page.replace("\\-\\-max\\-cpu", "\\-\\-max\\-cpux"))
            _, text, _ = render_man(cut)
        self.assertEqual(missing_from_man(text, {"--max-cpu", "--pid"}), ["--max-cpu"])

    def test_sections(self):
        _, text, _ = render_man(MAN)
        for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT",
                  "FILES", "SECURITY", "EXAMPLES", "SEE ALSO"):
            self.assertRegex(text, r"(?m)^%s$" % s)
        status = text.split("\nEXIT STATUS\n", 1)[1].split("\nENVIRONMENT\n", 1)[0]
        self.assertEqual(re.findall(r"(?m)^ {7}(\d+) +[A-Z]", status), ["0", "1", "2", "64"])
        self.assertIn("rsample --cgroup default/backend-7d9f4c-xk2lp", text)


def complete(words):
    """COMPREPLY for the command line WORDS (the last is the word being completed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
              '_rsample; printf "%s\\n" "${COMPREPLY[@]}"')
    p = sh(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION] + words)
    assert p.returncode == 0 and not p.stderr, "bash: %r" % p.stderr
    return sorted(w for w in p.stdout.splitlines() if w)


class Completion(unittest.TestCase):
    def test_registered(self):
        p = sh(["bash", "--norc", "--noprofile", "-c", 'source "$0"; complete -p rsample',
                COMPLETION])
        self.assertEqual(p.stdout.strip(), "complete -F _rsample rsample")

    def test_commands_options_values(self):
        cases = [
            (["rsample", ""], ["check", "profile", "snapshot", "watch"]),
            (["rsample", "watch", "--th"], ["--threshold"]),
            (["rsample", "pro"], ["profile"]),
            (["rsample", "profile", "--f"], ["--format", "--freq"]),
            (["rsample", "profile", "--format", "s"], ["speedscope", "svg"]),
            (["rsample", "profile", "--group-by", ""], ["none", "process", "thread"]),
            (["rsample", "--pid", "1", "--back"], ["--backend"]),
            (["rsample", "--backend", ""], ["auto", "bpf", "proc"]),
            (["rsample", "check", "-"], ["--help", "--verbose", "-h", "-v"]),
            (["rsample", "--stack-bytes", ""], []),
            (["rsample", "snapshot", "--js"], ["--json"]),
        ]
        for words, want in cases:
            self.assertEqual(complete(words), want, "completing %r" % words)
        self.assertNotIn("--freq", complete(["rsample", "snapshot", "-"]))
        self.assertNotIn("--json", complete(["rsample", "profile", "-"]))
        self.assertNotIn("--freq", complete(["rsample", "watch", "-"]))

    def test_file_and_pid_values(self):
        with tempfile.TemporaryDirectory(prefix="rsample-comp-") as d:
            open(os.path.join(d, "off.svg"), "w").close()
            os.mkdir(os.path.join(d, "out"))
            self.assertEqual(complete(["rsample", "profile", "-o", d + "/of"]), [d + "/off.svg"])
            self.assertEqual(complete(["rsample", "profile", "--out-dir", d + "/"]), [d + "/out"])
        me = str(os.getpid())
        self.assertIn(me, complete(["rsample", "--pid", me]))

    def test_every_help_option_offered(self):
        opts, _ = help_options()
        offered = set()
        for cmd in ([], ["snapshot"], ["profile"], ["check"]):
            offered |= set(complete(["rsample"] + cmd + ["-"]))
        self.assertEqual(sorted(opts - offered), [], "options of --help the completion lacks")


class Install(unittest.TestCase):
    WANT = ["usr/local/bin/rsample", "usr/local/share/bash-completion/completions/rsample",
            "usr/local/share/doc/rsample/README.md", "usr/local/share/doc/rsample/json.md",
            "usr/local/share/doc/rsample/rsample.schema.json",
            "usr/local/share/man/man1/rsample.1"]

    def test_install_and_uninstall(self):
        with tempfile.TemporaryDirectory(prefix="rsample-destdir-") as d:
            args = ["make", "--no-print-directory", "-C", REPO, "DESTDIR=" + d,
                    "PREFIX=/usr/local"]
            p = sh(args + ["install"])
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            got = sorted(os.path.relpath(os.path.join(r, f), d)
                         for r, _, fs in os.walk(d) for f in fs)
            self.assertEqual(got, self.WANT)
            self.assertEqual(oct(os.stat(os.path.join(d, self.WANT[0])).st_mode & 0o777), "0o755")
            v = sh([os.path.join(d, self.WANT[0]), "--version"])
            self.assertEqual(v.returncode, 0)
            self.assertRegex(v.stdout, r"^rsample \S+\n$")
            p = sh(args + ["uninstall"])
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            left = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs]
            self.assertEqual(left, [])

    def test_schema(self):
        """docs/rsample.schema.json: a valid 2020-12 schema; the report fixture matches it,
        a document with a field missing or of the wrong type does not."""
        import jsonschema
        with open(os.path.join(REPO, "docs", "rsample.schema.json")) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        with open(os.path.join(REPO, "tests", "fixtures", "report", "expected.json")) as f:
            doc = json.load(f)
        self.assertEqual([e.message for e in v.iter_errors(doc)], [])
        t = doc["processes"][0]["threads"][0]
        del t["unwind"]["method"]
        t["blocked_ns"] = "12s"
        self.assertEqual(sorted(e.message for e in v.iter_errors(doc)),
                         ["'12s' is not of type 'integer', 'null'", "'method' is a required property"])


class Deb(unittest.TestCase):
    def setUp(self):
        debs = sorted(glob.glob(os.path.join(DEB_DIR, "rsample_*.deb")))
        if not debs:
            self.fail("no rsample_*.deb in %s: build it first (make deb)" % DEB_DIR)
        self.deb = debs[-1]

    def test_contents_and_depends(self):
        p = sh(["dpkg-deb", "-c", self.deb])
        self.assertEqual(p.returncode, 0, p.stderr)
        files = sorted(l.split()[-1] for l in p.stdout.splitlines() if not l.startswith("d"))
        want = ["./usr/bin/rsample", "./usr/share/bash-completion/completions/rsample",
                "./usr/share/doc/rsample/README.md.gz", "./usr/share/doc/rsample/changelog.gz",
                "./usr/share/doc/rsample/copyright", "./usr/share/doc/rsample/json.md.gz",
                "./usr/share/doc/rsample/rsample.schema.json",
                "./usr/share/man/man1/rsample.1.gz"]
        self.assertEqual(files, want)
        dep = sh(["dpkg-deb", "-f", self.deb, "Depends"]).stdout
        for lib in ("libbpf1", "libelf1", "libdw1", "libc6", "libprotobuf-c1", "zlib1g"):
            self.assertIn(lib, dep)
        # --push loads libcurl when asked (user/push/transport.c): recommended, not required
        self.assertNotIn("libcurl", dep)
        self.assertIn("libcurl4", sh(["dpkg-deb", "-f", self.deb, "Recommends"]).stdout)

    def test_lintian(self):
        p = sh(["lintian", "--no-tag-display-limit", self.deb])
        tags = [l for l in p.stdout.splitlines() if re.match(r"^[EWIPX]: ", l)]
        errors = [l for l in tags if l.startswith("E: ")]
        self.assertEqual(errors, [], p.stdout + p.stderr)
        NOTES.append("lintian %s: %d errors, %d warnings%s" % (
            os.path.basename(self.deb), len(errors), sum(l.startswith("W: ") for l in tags),
            "".join("\n    " + l for l in tags if l.startswith("W: "))))

    def test_installs_into_fresh_root(self):
        root = tempfile.mkdtemp(prefix="rsample-dpkg-root-")
        try:
            for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
                os.makedirs(os.path.join(root, d))
            open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
            # its libraries are this machine's; the fresh root has no package database of them
            p = sh(["dpkg", "--root=" + root, "--force-depends", "--force-not-root", "-i",
                    self.deb])
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            listed = sh(["dpkg", "--root=" + root, "-L", "rsample"]).stdout.split()
            self.assertIn("/usr/bin/rsample", listed)
            self.assertIn("/usr/share/man/man1/rsample.1.gz", listed)
            exe = os.path.join(root, "usr/bin/rsample")
            v = sh([exe, "--version"])
            want = sh(["dpkg-deb", "-f", self.deb, "Version"]).stdout.strip()
            self.assertEqual((v.returncode, v.stdout), (0, "rsample %s\n" % want))
            h = sh([exe, "--help"])
            self.assertEqual(h.returncode, 0)
            self.assertIn("--cgroup", h.stdout)
            man = sh(["man", "-l", os.path.join(root, "usr/share/man/man1/rsample.1.gz")],
                     env=dict(os.environ, MANPAGER="cat"))
            self.assertIn("EXIT STATUS", man.stdout)
            p = sh(["dpkg", "--root=" + root, "--force-not-root", "-r", "rsample"])
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertFalse(os.path.exists(exe))
        finally:
            shutil.rmtree(root)


def main(argv):
    return suite.run_cases([ManPage, Completion, Install, Deb], argv, NOTES, lambda: None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
