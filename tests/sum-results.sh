#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sum-results.sh RESULTS SUITE...: one line per suite from RESULTS/SUITE.txt
# (tests/suite-run.sh), then the total over all of them. Exits 1 when a suite failed,
# exited non-zero, printed no summary line or did not run at all.
set -u
dir=$1
shift
pass=0 fail=0 skip=0 bad=0
echo
echo "== make test: results by suite"
for s in "$@"; do
	line=$(cat "$dir/$s.txt" 2>/dev/null || true)
	rc=${line%% *} counts=${line#* }
	if [ -z "$line" ]; then
		printf '  %-22s did not run (see the output above)\n' "$s"
		bad=$((bad + 1))
		continue
	fi
	p=$(echo "$counts" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$counts" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p')
	k=$(echo "$counts" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	if [ -z "$p" ] || [ -z "$f" ]; then
		printf '  %-22s exit %s, no "N passed, N failed" line (log: %s)\n' "$s" "$rc" \
			"$dir/$s.log"
		bad=$((bad + 1))
		continue
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${k:-0}))
	if [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
		printf '  %-22s %s, but exit %s (log: %s)\n' "$s" "$counts" "$rc" "$dir/$s.log"
		bad=$((bad + 1))
	else
		printf '  %-22s %s\n' "$s" "$counts"
	fi
done
line="total: $pass passed, $fail failed"
[ "$skip" -eq 0 ] || line="$line, $skip skipped"
[ "$bad" -eq 0 ] || line="$line; $bad suites without a clean count (above)"
echo "$line"
[ "$fail" -eq 0 ] && [ "$bad" -eq 0 ]
