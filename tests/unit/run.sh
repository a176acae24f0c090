#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the cmocka unit test binaries (make unit): run.sh LOGDIR BINARY...
# One line per binary; its output (cmocka's report and whatever the checkers it runs
# print, such as a Python traceback from a file a test expects to be rejected) goes to
# LOGDIR/<binary>.log and is shown only when the binary fails. Counts cmocka's tests;
# a binary that ends without cmocka's summary (a crash, a sanitizer report) counts as
# one failed test. Prints "N passed, N failed" last; exits 1 when anything failed.
set -u
logdir=$1
shift
mkdir -p "$logdir"
pass=0 fail=0
for t in "$@"; do
	log="$logdir/$(echo "${t#*/tests/}" | tr / _).log"
	ASAN_OPTIONS=detect_leaks=1 "$t" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:$/\1/p' "$log" | tail -n 1)
	p=${p:-0} f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f))
	if [ "$rc" -eq 0 ]; then
		echo "ok   $t: $p passed"
	else
		echo "FAIL $t: $p passed, $f failed (exit $rc); its output:"
		sed 's/^/  | /' "$log"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
