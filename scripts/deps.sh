#!/bin/sh
# Installs every Debian package rsample needs to build, test and benchmark.
# Safe to run repeatedly; does nothing that is not an apt install.
set -eu

pkgs="make gcc g++ clang llvm pkg-config bpftool libbpf-dev libelf-dev libdw-dev elfutils
      libiberty-dev binutils zlib1g-dev libcmocka-dev util-linux procps gdb valgrind python3
      libc6-dbg protobuf-c-compiler libprotobuf-c-dev
      golang-go libdevel-nytprof-perl chromium libbpf-tools
      lldb linux-perf libllvm15 strace
      clang-format libclang-rt-14-dev"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	sudo_cmd=""
	[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	# shellcheck disable=SC2086
	$sudo_cmd apt-get install -y -qq --no-install-recommends $missing
fi

# The format validation (tests/validate) runs npm packages under Node.js; a machine
# that already has node (e.g. from another source) keeps it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "deps: installing nodejs and npm"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends nodejs npm
fi

# Rust victims need rustc (std only). Debian's rustc is used when no toolchain is on PATH.
if ! command -v rustc >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/rustc" ]; then
	echo "deps: installing rustc"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends rustc
fi
echo "deps: all present"
