#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every profile format rsample writes, read by a real tool that is not rsample's:
#
#   folded      flamegraph.pl (Debian libdevel-nytprof-perl) renders it; its SVG parses and
#               shows the folded total and every leaf
#   pprof       go tool pprof (Debian golang-go) -top, -raw, -traces, -tags; npm pprof-format
#               decodes it and pprof's rules hold (dense ids, string 0 "", references resolve)
#   SVG         python3's xml.etree parses it; headless Chromium renders it (screenshots) and
#               runs its script: a search and a zoom given in the URL change the DOM as expected
#   speedscope  speedscope's own file-format-schema.json (npm speedscope) validates it (ajv);
#               speedscope's viewer loads it in headless Chromium (title, screenshot)
#
# usage: run.sh GEN_PROFILES OUT
# Writes OUT/validate/ (profiles, logs, node_modules) and OUT/artifacts/ (screenshots, SVGs).
# A check whose tool is not installed prints "SKIPPED: <reason>"; any other problem fails.
set -u

gen=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$out/validate
prof=$work/profiles
logs=$work/logs
art=$out/artifacts
pass=0
failed=0
skipped=0

mkdir -p "$prof" "$logs" "$art"
work=$(cd "$work" && pwd)
prof=$work/profiles
logs=$work/logs
art=$(cd "$art" && pwd)
rm -rf "$work"/chrome.*
trap 'rm -rf "$work"/chrome.*' EXIT
# the tools' caches and settings (npm, go, chromium) stay under OUT, not in the user's HOME
export HOME="$work"

ok() {
	echo "ok: $*"
	pass=$((pass + 1))
}

bad() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

skip() {
	echo "SKIPPED: $*"
	skipped=$((skipped + 1))
}

# run NAME CMD...: runs CMD with output in $logs/NAME.log; shows the log when it fails.
run() {
	name=$1
	shift
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	echo "--- $name: $* exited $rc" >&2
	cat "$logs/$name.log" >&2
	return 1
}

# expect NAME TEXT...: every TEXT is in $logs/NAME.log.
expect() {
	name=$1
	shift
	for t in "$@"; do
		if ! grep -qF -- "$t" "$logs/$name.log"; then
			echo "--- $name: '$t' not in its output:" >&2
			cat "$logs/$name.log" >&2
			return 1
		fi
	done
}

# ---- the profiles ----
if ! run gen env ASAN_OPTIONS=detect_leaks=1 "$gen" "$prof"; then
	bad "gen_profiles could not write the profiles"
	echo "validate-formats: $pass passed, $((failed)) failed, $skipped skipped"
	exit 1
fi
ok "profiles written to $prof"

# ---- folded: flamegraph.pl ----
fg=$(command -v flamegraph.pl 2>/dev/null || true)
[ -n "$fg" ] || fg=/usr/share/perl5/Devel/NYTProf/flamegraph.pl
if ! command -v perl >/dev/null 2>&1 || [ ! -f "$fg" ]; then
	skip "flamegraph.pl not found (Debian package libdevel-nytprof-perl)"
else
	for k in oncpu:samples offcpu:us both:weight; do
		f=${k%%:*}
		unit=${k#*:}
		if run "fg-$f" perl "$fg" --title "flamegraph.pl: $f.folded" --countname "$unit" \
			"$prof/$f.folded" && ! grep -q Ignored "$logs/fg-$f.log" &&
			cp "$logs/fg-$f.log" "$art/flamegraph-$f.svg" &&
			run "fg-$f-check" python3 "$here/checks.py" flamegraph "$prof/$f.folded" \
				"$art/flamegraph-$f.svg" "$unit"; then
			ok "flamegraph.pl read $f.folded: $(cat "$logs/fg-$f-check.log")"
		else
			bad "flamegraph.pl on $f.folded"
		fi
	done
fi

# ---- pprof: go tool pprof ----
if ! command -v go >/dev/null 2>&1; then
	skip "go not found (Debian package golang-go): go tool pprof checks"
else
	# offline: pprof ships with Go, nothing is fetched
	export PPROF_TMPDIR="$work/pprof" GOTOOLCHAIN=local GOPROXY=off
	mkdir -p "$PPROF_TMPDIR"
	if run pprof-top go tool pprof -top "$prof/both.pb.gz" &&
		expect pprof-top "Type: cpu" "Duration: 10s" \
			"Showing nodes accounting for 2292.93ms, 100% of 2292.93ms total" \
			"1212.12ms 52.86% 52.86%  1212.12ms 52.86%  core::hash::sip::Hasher::write (inline)" \
			"libfoo.so+0x1f30" "on-cpu: 99 Hz, 3 samples lost" "off-cpu: 1 events lost" \
			"tokio-rt-worker (4250)"; then
		ok "go tool pprof -top both.pb.gz: 2292.93ms on-CPU, inline frame, comments"
	else
		bad "go tool pprof -top both.pb.gz"
	fi
	if run pprof-off go tool pprof -top -sample_index=off_cpu "$prof/both.pb.gz" &&
		expect pprof-off "Type: off_cpu" "Total samples = 3.74s" "2.50s" "schedule"; then
		ok "go tool pprof -sample_index=off_cpu both.pb.gz: 3.74s off-CPU"
	else
		bad "go tool pprof -sample_index=off_cpu both.pb.gz"
	fi
	if run pprof-raw go tool pprof -raw "$prof/both.pb.gz" &&
		expect pprof-raw "samples/count cpu/nanoseconds[dflt] waits/count off_cpu/nanoseconds" \
			"/app/backend 4a1b2c3d4e5f60718293a4b5c6d7e8f901234567" \
			"/usr/local/bin/envoy aabbccddeeff00112233445566778899aabbccdd" "[kernel]" \
			"PeriodType: cpu nanoseconds" "Period: 10101010"; then
		ok "go tool pprof -raw both.pb.gz: sample types, mappings with build-ids"
	else
		bad "go tool pprof -raw both.pb.gz"
	fi
	if run pprof-traces go tool pprof -traces "$prof/offcpu.pb.gz" &&
		expect pprof-traces "Type: off_cpu" \
			"std::sys::unix::locks::futex_mutex::Mutex::lock_contended (inline)" \
			"state:  D" "thread:  wrk:worker_0" "[no frames]"; then
		ok "go tool pprof -traces offcpu.pb.gz: inline chain, labels"
	else
		bad "go tool pprof -traces offcpu.pb.gz"
	fi
	if run pprof-proc go tool pprof -top "$prof/oncpu.pb.gz" &&
		expect pprof-proc "Type: cpu" "backend (4242)" "envoy (5000)" &&
		run pprof-tags go tool pprof -tags "$prof/oncpu.pb.gz" &&
		expect pprof-tags "comm: Total 2.3s" "1.8s (77.09%): 4250"; then
		ok "go tool pprof -top/-tags oncpu.pb.gz: group_by roots, labels"
	else
		bad "go tool pprof on oncpu.pb.gz"
	fi
fi

# ---- npm packages: speedscope's schema and viewer, pprof-format ----
node_ok=
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	skip "node/npm not found (Debian packages nodejs npm): speedscope schema, pprof-format"
elif cmp -s "$here/package-lock.json" "$work/node_modules/.rsample-lock.json"; then
	node_ok=1
else
	cp "$here/package.json" "$here/package-lock.json" "$work/"
	if run npm-ci npm ci --prefix "$work" --no-audit --no-fund --loglevel=error; then
		cp "$here/package-lock.json" "$work/node_modules/.rsample-lock.json"
		node_ok=1
	else
		bad "npm ci of tests/validate/package.json (the npm registry must be reachable)"
	fi
fi
if [ -n "$node_ok" ]; then
	export RS_NODE_DIR="$work"
	if run ss-schema node "$here/checks.mjs" speedscope "$prof/both.speedscope.json" \
		"$prof/process.speedscope.json"; then
		ok "speedscope file-format-schema.json: $(tr '\n' ' ' <"$logs/ss-schema.log")"
	else
		bad "speedscope schema validation"
	fi
	for f in both oncpu offcpu; do
		if run "pf-$f" node "$here/checks.mjs" pprof "$prof/$f.pb.gz"; then
			ok "pprof-format decoded $(cat "$logs/pf-$f.log")"
		else
			bad "pprof-format on $f.pb.gz"
		fi
	done
fi

# ---- SVG: XML parser, then Chromium ----
if run svg-xml python3 "$here/checks.py" svg "$prof/both.svg"; then
	ok "xml.etree parsed both.svg: $(cat "$logs/svg-xml.log")"
	cp "$prof/both.svg" "$art/rsample-both.svg"
else
	bad "both.svg is not the XML expected"
fi

chrome=
for c in chromium chromium-browser google-chrome; do
	if command -v "$c" >/dev/null 2>&1; then
		chrome=$c
		break
	fi
done
# chrome_run NAME ARGS... URL: headless, no network, a fresh profile each time.
chrome_run() {
	name=$1
	shift
	run "$name" timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$(mktemp -d "$work/chrome.XXXXXX")" "$@"
}
if [ -z "$chrome" ]; then
	skip "chromium not found (Debian package chromium): SVG and speedscope rendering"
else
	svg_url="file://$prof/both.svg"
	if chrome_run svg-shot --window-size=1200,800 --screenshot="$art/svg-both.png" \
		"$svg_url" && [ -s "$art/svg-both.png" ]; then
		ok "chromium rendered both.svg: $art/svg-both.png"
	else
		bad "chromium could not render both.svg"
	fi
	# the script's own search and zoom, driven from the URL: start_thread is 182 of 227
	# on-CPU samples and 1235002 of 3735003 off-CPU microseconds
	state='#s=^start_thread$&z=backend::cache::Cache::get'
	if chrome_run svg-dom --dump-dom "$svg_url$state" &&
		run svg-dom-check python3 "$here/checks.py" dom "$logs/svg-dom.log" \
			'data-ready="1"' 'Matched: 80.18%' 'Matched: 33.07%' 'class="btn on"' \
			'Reset Search' &&
		chrome_run svg-shot-zoom --window-size=1200,800 \
			--screenshot="$art/svg-both-search-zoom.png" "$svg_url$state"; then
		ok "both.svg script in chromium: search and zoom ($art/svg-both-search-zoom.png)"
	else
		bad "both.svg script in chromium"
	fi
	if [ -n "$node_ok" ]; then
		viewer="$work/node_modules/speedscope/dist/release/index.html"
		for f in both process; do
			# what speedscope's own command line does: a script that hands over the file
			node -e '
				const fs = require("fs");
				const [src, dst] = process.argv.slice(1);
				const b64 = fs.readFileSync(src).toString("base64");
				fs.writeFileSync(dst, "speedscope.loadFileFromBase64(" +
					JSON.stringify(src.split("/").pop()) + ", " + JSON.stringify(b64) + ")");
			' "$prof/$f.speedscope.json" "$work/$f.speedscope.js"
			url="file://$viewer#localProfilePath=$work/$f.speedscope.js"
			if chrome_run "ss-dom-$f" --virtual-time-budget=10000 --dump-dom "$url" &&
				expect "ss-dom-$f" \
					"<title>rsample validation profile (lost: 3 on-CPU samples, 1 off-CPU events) - speedscope</title>" \
					"on-cpu: backend (4242)" &&
				chrome_run "ss-shot-$f" --virtual-time-budget=10000 --window-size=1200,800 \
					--screenshot="$art/speedscope-$f.png" "$url"; then
				ok "speedscope viewer loaded $f.speedscope.json ($art/speedscope-$f.png)"
			else
				bad "speedscope viewer on $f.speedscope.json"
			fi
		done
	fi
fi

echo "validate-formats: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
