#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs each libFuzzer target for SECONDS: run.sh FUZZ_DIR SECONDS TIMEOUT TARGET...
# The corpus grows in FUZZ_DIR/corpus/<t>; tests/fuzz/corpus/<t> and FUZZ_DIR/seeds/<t> seed it.
# A crash, leak, sanitizer report or an input slower than TIMEOUT fails the target; its input
# lands in FUZZ_DIR/artifacts/. Prints one "N passed, N failed" line at the end.
set -u
dir=$1 secs=$2 timeout=$3
shift 3
pass=0 fail=0
mkdir -p "$dir/artifacts" "$dir/logs"
for t in "$@"; do
	corpus="$dir/corpus/$t"
	# FUZZ_SEED (fuzz-short): the same mutations every run, from a fresh corpus of its own
	[ -n "${FUZZ_SEED:-}" ] && corpus="$dir/corpus-short/$t" && rm -rf "$corpus"
	mkdir -p "$corpus"
	set -- "$corpus"
	for s in "tests/fuzz/corpus/$t" "$dir/seeds/$t"; do
		[ -d "$s" ] && set -- "$@" "$s"
	done
	log="$dir/logs/$t.log"
	maxlen=65536
	[ "$t" = elf ] && maxlen=1048576 # whole binaries: section headers sit at the end
	mkdir -p "$dir/tmp"
	if TMPDIR="$dir/tmp" "$dir/bin/$t" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -max_total_time="$secs" \
		-timeout="$timeout" -rss_limit_mb=2048 \
		-max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" \
		"$@" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz $t: ok, ${execs:-?} runs in ${secs}s"
		pass=$((pass + 1))
	else
		echo "fuzz $t: FAILED (log $log):"
		grep -E 'ERROR|runtime error|Test unit written|timeout' "$log" | head -5 | sed 's/^/  /'
		fail=$((fail + 1))
	fi
	rm -rf "$dir/tmp"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
