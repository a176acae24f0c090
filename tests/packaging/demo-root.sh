#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo-fresh-root: the README's first command on a bare Debian 12 (debootstrap
# --variant=minbase from Debian's archive, kept in $RS_DEMO_ROOT, default
# /var/tmp/rsample-demo-root), with only make added by hand: `make demo` must install
# what it needs itself (scripts/deps.sh run), build and show the deadlock, and nothing
# of the test or benchmark sets may have been installed. Root; about 5 minutes the
# first time (downloads), 2 after. The root becomes / of a private mount namespace
# (pivot_root) with the host's /proc, /sys and /dev bound in; the namespace and its
# mounts end with the command. Prints "N passed, N failed" last.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${RS_DEMO_ROOT:-/var/tmp/rsample-demo-root}
mirror=${RS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

[ "$(id -u)" -eq 0 ] || { bad "needs root (debootstrap, mount namespaces, BPF)"; finish; }
command -v debootstrap >/dev/null || { bad "debootstrap is missing: make deps-test"; finish; }
log=$(mktemp /tmp/rsample-demo-root.XXXXXX)
trap 'rm -f "$log"' EXIT INT TERM
if [ ! -x "$root/usr/bin/apt-get" ]; then
	rm -rf "$root"
	if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log"
		bad "debootstrap bookworm into $root"
		finish
	fi
	chroot "$root" dpkg-query -W -f='${Package}\n' | sort >"$root/.base-packages"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
rm -rf "$root/src" && mkdir -p "$root/src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
	tar -xf - -C "$root/src"

unshare --mount --propagation private sh -c '
	set -e
	root=$1
	mount --bind "$root" "$root"
	mount --bind /proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	mkdir -p "$root/.oldroot"
	cd "$root"
	pivot_root . .oldroot
	umount -l /.oldroot
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root sh -c "
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get install -y -qq --no-install-recommends make ||
		  { apt-get update -qq && apt-get install -y -qq --no-install-recommends make; }
		} >/dev/null 2>&1 && cd /src && make demo"
' sh "$root" >"$log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^  DEADLOCK: tid [0-9]* "dl-a"' "$log" &&
	grep -q 'lock_pair at /src/tests/victims/ledger.c' "$log" &&
	grep -q '___pthread_mutex_lock at ./nptl/pthread_mutex_lock.c' "$log"; then
	ok "make demo on bare Debian 12: the deadlock, lock_pair and glibc's lines"
else
	grep -v '^\(Selecting\|Preparing\|Unpacking\|Setting up\|Processing\|(Reading\)' "$log" |
		tail -n 40
	bad "make demo on bare Debian 12 (exit $rc)"
fi

added=$(chroot "$root" dpkg-query -W -f='${Package}\n' | sort | comm -13 "$root/.base-packages" -)
extra=
run_set=" $(sh "$repo/scripts/deps.sh" --list run | tr '\n' ' ') make "
for p in $(sh "$repo/scripts/deps.sh" --list test bench); do
	case $run_set in *" $p "*) continue ;; esac
	printf '%s\n' "$added" | grep -qx -- "$p" && extra="$extra $p"
done
if [ -z "$extra" ]; then
	ok "$(printf '%s\n' "$added" | wc -l) packages added (make and the run set with their dependencies), none of the test or bench sets"
else
	bad "make demo installed packages of the test or bench sets:$extra"
fi
finish
