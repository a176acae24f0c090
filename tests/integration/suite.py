# SPDX-License-Identifier: GPL-2.0
"""The runners of the integration suites: plain test functions (profile/, hostile/) and
unittest cases (churn.py, privs.py)."""

import argparse
import os
import sys
import time
import traceback
import unittest


def run(tests, argv, skip_reason, cleanup):
    """Runs each test (a function; -k PATTERN in argv keeps those whose name holds it),
    cleanup() after each; every test is skipped when skip_reason() gives a reason. Prints
    "N passed, M failed[, K skipped]" last; returns the exit code (1 when any failed)."""
    pattern = argv[argv.index("-k") + 1] if "-k" in argv else None
    tests = [t for t in tests if not pattern or pattern in t.__name__]
    reason = skip_reason()
    passed = failed = skipped = 0
    for t in tests:
        if reason:
            print("SKIPPED: %s (%s)" % (reason, t.__name__), flush=True)
            skipped += 1
            continue
        print("== %s" % t.__name__, flush=True)
        t0 = time.monotonic()
        try:
            t()
            passed += 1
            print("PASS %s (%.1f s)" % (t.__name__, time.monotonic() - t0), flush=True)
        except Exception:
            failed += 1
            traceback.print_exc()
            print("FAIL %s" % t.__name__, flush=True)
        finally:
            cleanup()
    print("%d passed, %d failed%s" % (passed, failed,
                                       ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


def main(tests, argv, skip_reason, cleanup):
    """run(), with cleanup() also at exit and on SIGINT, SIGTERM and SIGHUP."""
    import atexit
    import signal

    def on_signal(sig, frame):
        cleanup()
        sys.exit(128 + sig)
    atexit.register(cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    return run(tests, argv, skip_reason, cleanup)


def root_bpf_skip_reason(rsample):
    """Why a suite of root + real BPF tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root: rsample needs CAP_BPF/CAP_PERFMON and these tests create cgroups"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no /sys/kernel/btf/vmlinux: the kernel has no BTF, CO-RE BPF cannot load"
    if not os.access(rsample, os.X_OK):
        return "no rsample binary at %s" % rsample
    return None


class Result(unittest.TextTestResult):
    """unittest's verbose result, with each skip said as "SKIPPED: reason"."""

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.stream.writeln("SKIPPED: %s (%s)" % (reason, test.id().rsplit(".", 1)[-1]))
        self.stream.flush()


def counts_line(res):
    """ "N passed, M failed[, K skipped]" for a unittest result."""
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped - len(res.expectedFailures)
    return "%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else "")


def run_cases(cases, argv, notes, cleanup):
    """Runs the unittest TestCases (-k PATTERN, repeatable, keeps matching names), then
    cleanup(), prints notes and "N passed, M failed[, K skipped]" last; returns the exit
    code (1 when any failed)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="run only tests whose name contains this")
    a = ap.parse_args(argv)
    loader = unittest.TestLoader()
    if a.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in a.patterns]
    tests = unittest.TestSuite()
    for case in cases:
        tests.addTests(loader.loadTestsFromTestCase(case))
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=Result).run(tests)
    cleanup()
    if notes:
        print("\nMeasurements:")
        for n in notes:
            print("  " + n)
    print(counts_line(res), flush=True)
    return 0 if res.wasSuccessful() else 1


def run_case(case, argv, notes, cleanup):
    """run_cases() for one TestCase."""
    return run_cases([case], argv, notes, cleanup)
