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
            print("SKIPPED %s: %s" % (t.__name__, reason), flush=True)
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


def root_bpf_skip_reason(rsample):
    """Why a suite of root + real BPF tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root: rsample needs CAP_BPF/CAP_PERFMON and these tests create cgroups"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no /sys/kernel/btf/vmlinux: the kernel has no BTF, CO-RE BPF cannot load"
    if not os.access(rsample, os.X_OK):
        return "no rsample binary at %s" % rsample
    return None


def run_case(case, argv, notes, cleanup):
    """Runs the unittest TestCase case (-k PATTERN, repeatable, keeps matching names),
    then cleanup(), prints notes and "N passed, M failed" last; returns the exit code."""
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="patterns", action="append", default=[])
    a = ap.parse_args(argv)
    loader = unittest.TestLoader()
    if a.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in a.patterns]
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(
        loader.loadTestsFromTestCase(case))
    cleanup()
    for n in notes:
        print("  " + n)
    failed = len(res.failures) + len(res.errors)
    print("%d passed, %d failed" % (res.testsRun - failed - len(res.skipped), failed), flush=True)
    return 1 if failed else 0
