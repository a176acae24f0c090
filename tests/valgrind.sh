#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make valgrind`: rsample's snapshot (BPF and /proc backends) and profile under valgrind's memcheck,
# against a victim of its own (bigframe: two threads below a 300 KiB frame), and the
# ranked report of asyncd (contended std Mutexes named as data symbols, idle waits).
# Fails on any memcheck error or leak; libbpf's known bpf(2) attr reports are
# suppressed (tests/valgrind.supp). Root, real BPF.
#   RSAMPLE=build/rsample RS_VICTIMS=build/victims sh tests/valgrind.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
rsample=${RSAMPLE:-build/rsample}
victim=${RS_VICTIMS:-build/victims}/bigframe
locks=${RS_VICTIMS:-build/victims}/asyncd
out=$(mktemp -d /tmp/rsample-valgrind.XXXXXX)
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --suppressions=$here/valgrind.supp"

if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIPPED: needs root and /sys/kernel/btf/vmlinux"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
command -v valgrind >/dev/null || { echo "valgrind: not installed (make deps-test)"; exit 1; }
"$victim" & vpid=$!
"$locks" --state "$out/asyncd.state" & lpid=$!
trap 'kill $vpid $lpid 2>/dev/null; wait $vpid $lpid 2>/dev/null; rm -rf "$out"' EXIT INT TERM
sleep 0.5
# asyncd writes its state file once every thread waits where it should
for _ in $(seq 100); do [ -s "$out/asyncd.state" ] && break; sleep 0.1; done
fail=0 pass=0
run() {
	name=$1
	shift
	$vg "$rsample" "$@" >"$out/$name.out" 2>"$out/$name.err"
	rc=$?
	# 0 ok, 1 partial (under valgrind the target's vDSO cannot be matched): memcheck says 99
	if [ $rc -eq 99 ] || grep -q '^==[0-9]*== ' "$out/$name.err"; then
		echo "FAIL $name (exit $rc)"
		grep -v 'WARNING: unhandled\|^--[0-9]*--' "$out/$name.err" | head -40
		fail=$((fail + 1))
	else
		echo "PASS $name (exit $rc)"
		pass=$((pass + 1))
	fi
}
run snapshot --pid "$vpid" --json
run report --pid "$vpid"
run snapshot-proc --pid "$vpid" --json --backend proc
run report-proc --pid "$vpid" --backend proc
run report-ranked --pid "$lpid"
run snapshot-ranked --pid "$lpid" --json --sort blocked
run compare --pid "$lpid" --json --compare 1s --captures 3
run compare-proc --pid "$lpid" --compare 1s --backend proc
run profile profile --pid "$vpid" --on-cpu --off-cpu -d 2s -o "$out/p.svg"
run profile-pprof profile --pid "$vpid" --off-cpu -d 1s -o "$out/p.pb.gz"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
