#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# suite-run.sh RESULTS NAME CMD...: runs one test suite, its output (stdout and stderr)
# shown as it comes and kept in RESULTS/NAME.log; writes RESULTS/NAME.txt: the suite's
# last "N passed, N failed[, N skipped]" line and its exit status, for
# tests/sum-results.sh. Exits with CMD's status.
set -u
dir=$1 name=$2
shift 2
mkdir -p "$dir"
rm -f "$dir/$name.txt" "$dir/$name.rc"
{
	"$@" 2>&1
	echo $? >"$dir/$name.rc"
} | tee "$dir/$name.log"
rc=$(cat "$dir/$name.rc" 2>/dev/null || echo 1)
rm -f "$dir/$name.rc"
counts=$(grep -E '^([a-z -]+: )?[0-9]+ passed, [0-9]+ failed' "$dir/$name.log" | tail -n 1 |
	sed 's/^[a-z -]*: //')
echo "$rc ${counts:-no summary line}" >"$dir/$name.txt"
exit "$rc"
