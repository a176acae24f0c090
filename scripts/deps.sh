#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages of one or more sets, only those missing:
#
#   scripts/deps.sh run     building rsample and running it and the demo (make deps)
#   scripts/deps.sh test    what the test suites need on top of run (make deps-test),
#                           the kernel matrix's QEMU and busybox and the .deb checks included
#   scripts/deps.sh bench   the peers the benchmarks and tests/gdbcompare compare with
#                           (make deps-bench)
#   scripts/deps.sh --list SET...   prints the packages, installs nothing
#
# Safe to run repeatedly; does nothing but apt-get install, as root directly or through
# sudo for a user who has it.
set -eu

# The build: compilers, the BPF toolchain, libraries; the demo runs launch.py (python3,
# unshare from util-linux) and shows glibc's inline frames with file:line (libc6-dbg);
# make static links the same libraries' .a files and glibc's (libc6-dev, libbz2-dev,
# liblzma-dev: libdw's compression libraries); profile --push sends with libcurl
# (libcurl4-openssl-dev: curl.h to build, and libcurl4, which --push loads when asked;
# the static build has no push).
run_pkgs="make gcc clang pkg-config bpftool libbpf-dev libelf-dev libdw-dev libiberty-dev
	binutils zlib1g-dev protobuf-c-compiler libprotobuf-c-dev libcurl4-openssl-dev python3
	util-linux libc6-dbg libc6-dev libbz2-dev liblzma-dev"

# The suites (README "Tests"): unit (cmocka, ASan), victims (g++, rustc), gdb comparisons,
# valgrind, strace (hostile), fuzz (libFuzzer runtime), validate-formats (Go's pprof,
# flamegraph.pl, Chromium, node/npm, jsonschema for the snapshot JSON), lint, the kernel
# matrix (qemu-system-x86, busybox-static, xz-utils and zstd for kernel packages) and the
# packaging checks (debhelper, fakeroot, lintian, man, bash; debootstrap for
# make demo-fresh-root); make integration-podman runs the image with podman, conmon and
# runc (crun refuses hybrid cgroups: tests/integration/podman/run.py).
test_pkgs="g++ rustc libcmocka-dev gdb valgrind strace procps elfutils llvm
	libclang-rt-14-dev clang-format golang-go libdevel-nytprof-perl chromium nodejs npm
	python3-jsonschema qemu-system-x86 busybox-static xz-utils zstd kmod
	dpkg-dev debhelper fakeroot lintian man-db groff-base bash debootstrap
	podman conmon runc"

# The peers of tests/bench (gdb, lldb, eu-stack, addr2line, llvm-symbolizer, perf,
# libbpf-tools' offcputime) and the daemons tests/gdbcompare starts (exim4-daemon-light
# conflicts with postfix: install it alone to compare it).
bench_pkgs="gdb lldb elfutils binutils llvm libllvm15 linux-perf libbpf-tools strace
	golang-go rustc g++ nodejs perl python3
	nginx-light redis-server memcached postgresql openssh-server rsyslog cron apache2
	mariadb-server haproxy unbound lighttpd dnsmasq varnish bind9 postfix dbus-daemon squid
	chrony samba openjdk-17-jre-headless erlang-base"

usage() {
	echo "usage: scripts/deps.sh [--list] run|test|bench..." >&2
	exit 64
}

list=
[ "${1:-}" = --list ] && list=1 && shift
[ $# -gt 0 ] || usage
pkgs=
for set in "$@"; do
	case $set in
	run) pkgs="$pkgs $run_pkgs" ;;
	test) pkgs="$pkgs $test_pkgs" ;;
	bench) pkgs="$pkgs $bench_pkgs" ;;
	*) usage ;;
	esac
done
if [ -n "$list" ]; then
	printf '%s\n' $pkgs | sort -u
	exit 0
fi

# A machine that already has node and npm, or rustc from rustup, keeps them.
has() { command -v "$1" >/dev/null 2>&1; }
missing=
for p in $pkgs; do
	case $p in
	nodejs | npm) has node && has npm && continue ;;
	rustc) { has rustc || [ -x "$HOME/.cargo/bin/rustc" ]; } && continue ;;
	esac
	case " $missing " in *" $p "*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps ($*): all present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif has sudo; then
	as_root=sudo
else
	echo "deps: installing$missing needs root: run this as root, or install sudo and add this user to its sudoers" >&2
	exit 2
fi
echo "deps ($*): installing$missing"
# shellcheck disable=SC2086
if ! $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing </dev/null; then
	# a fresh machine may have no package lists yet
	$as_root apt-get update -qq
	# shellcheck disable=SC2086
	$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing </dev/null
fi
echo "deps ($*): all present"
