#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's demo (`make demo`, as root): a hung "ledger" service runs like a
# container - its own cgroup, PID and mount namespace, its binary on a tmpfs the
# host cannot see - and rsample reports what every one of its threads is doing,
# without stopping it. Everything is cleaned up afterwards, also on Ctrl-C.
#
# RS_BUILD is the build directory (default: build); it must hold rsample and
# victims/ledger-nofp (`make all victims`).
set -eu

build=${RS_BUILD:-build}
here=$(dirname "$0")

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (rsample loads BPF programs; the demo creates a cgroup)" >&2
	exit 1
fi
for f in "$build/rsample" "$build/victims/ledger-nofp"; do
	if [ ! -x "$f" ]; then
		echo "demo: '$f' is missing: run 'make all victims' first" >&2
		exit 1
	fi
done

rsample=$(cd "$build" && pwd)/rsample

# launch.py starts the victim, waits until all its threads are blocked plus 2 s,
# runs the command below with {cgroup}, {pid} and {exe} filled in, then kills the
# victim (by its cgroup) and removes the cgroup and the temporary directory.
exec python3 "$here/../tests/integration/launch.py" --prefix rsample-demo- --as ledger --settle 2 \
	"$build/victims/ledger-nofp" -- sh -c '
		echo "# A \"ledger\" service is hung: two tellers deadlocked, a dispatcher with no jobs,"
		echo "# readers with nothing to read, one thread burning CPU. It runs as PID 1 of its"
		echo "# own PID namespace (host PID {pid}) in cgroup {cgroup}, from {exe},"
		echo "# a path that exists only inside its mount namespace."
		echo
		echo "\$ rsample --cgroup {cgroup}"
		"$0" --cgroup {cgroup}
	' "$rsample"
