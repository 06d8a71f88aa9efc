#!/bin/sh
# Install the Debian packages mcrring needs and cache what it extracts from
# them. Idempotent: a second run with everything present makes no apt call
# and extracts nothing.
#
# usage: scripts/deps.sh [-d] [FLAVOUR...]  (kernel flavours, default: amd64;
#   arm64 ones, e.g. arm64 or 6.12-arm64, go to scripts/arm64-deps.sh)
#   -d  also what building the debug kernels takes (make check-debug)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/build/cache"

# What each package is for is listed in README.md ("Dependencies").
pkgs="gcc make libc6-dev perl xz-utils
      linux-source-6.1 sparse
      qemu-system-x86 busybox-static cpio kmod
      clang libclang-rt-14-dev shellcheck pkgconf man-db groff-base
      libbpf-dev bpftool libelf-dev zlib1g-dev dkms
      libck-dev libdpdk-dev gnuplot-nox python3
      liblttng-ust-dev lttng-tools babeltrace2
      rsyslog rsyslog-relp systemd systemd-journal-remote
      rustc cargo"

if [ "${1:-}" = -d ]; then
	pkgs="$pkgs flex bison bc"
	shift
fi
[ $# -gt 0 ] || set -- amd64
# arm64 kernels are downloaded and unpacked, not installed: after the rest,
# scripts/arm64-deps.sh fetches them.
arm64=""
for flavour in "$@"; do
	case $flavour in
	*arm64*) arm64="$arm64 $flavour" ;;
	*) pkgs="$pkgs linux-image-$flavour linux-headers-$flavour" ;;
	esac
done

missing=""
for p in $pkgs; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive INITRD=No
	apt="apt-get -qq -o DPkg::Lock::Timeout=600"
	[ "$(id -u)" = 0 ] || apt="sudo $apt"
	$apt update >/dev/null
	# shellcheck disable=SC2086
	$apt install -y --no-install-recommends $missing >/dev/null
fi

# kselftest headers, checkpatch and extract-vmlinux come from the kernel
# source tarball; decompressing it takes ~10 s, so do it once.
src=/usr/src/linux-source-6.1.tar.xz
stamp="$cache/linux-source.stamp"
if [ ! -f "$stamp" ] || [ -n "$(find "$src" -newer "$stamp")" ]; then
	echo "deps: extracting kselftest harness and checkpatch from $src"
	rm -rf "$cache/linux-source-6.1"
	mkdir -p "$cache"
	tar -xJf "$src" -C "$cache" \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/extract-vmlinux
	touch "$stamp"
fi

# shellcheck disable=SC2086 # the flavours, split on purpose
[ -z "$arm64" ] || "$top/scripts/arm64-deps.sh" $arm64
