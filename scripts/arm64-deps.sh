#!/bin/sh
# What the arm64 rows of the VM tier need, on an amd64 machine: the cross
# toolchain, qemu-system-aarch64 and qemu-aarch64 (the host tier's arm64
# binaries run under it) (amd64 packages, installed), and
# Debian's arm64 kernel image, its headers and the guest's arm64 userland
# (fetched with `apt-get download` and unpacked into build/cache/arm64/,
# never installed: installing an arm64 headers package pulls gcc-12:arm64
# and apt then removes the amd64 toolchain). Idempotent: a second run with
# everything present makes no apt call and unpacks nothing.
#
# usage: scripts/arm64-deps.sh [FLAVOUR...]   (default: arm64)
#   FLAVOUR is the suffix of Debian's metapackage linux-image-FLAVOUR:arm64,
#   e.g. arm64 (6.1 on Debian 12) or 6.12-arm64 (scripts/kseries.sh arm64).
#
# Leaves, for each kernel release KREL the flavours name:
#   build/cache/arm64/KREL/boot/vmlinuz-KREL      the kernel QEMU boots
#   build/cache/arm64/KREL/usr/src/linux-headers-KREL   kbuild tree to
#       cross-build against (ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-);
#       its scripts/ are the host's amd64 /usr/lib/linux-kbuild-X
#   build/cache/arm64/KREL/vm-modules/*.ko        what the guest loads
#       before the tests: the virtio console that carries the TAP stream
# and once for all kernels, build/cache/arm64/sysroot/: busybox and the
# static libbpf, libelf and zlib mcrtrace links for the guest.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/build/cache/arm64"
[ $# -gt 0 ] || set -- arm64

apt="apt-get -qq -o DPkg::Lock::Timeout=600"
[ "$(id -u)" = 0 ] || apt="sudo $apt"
dpkg=dpkg
[ "$(id -u)" = 0 ] || dpkg="sudo dpkg"
export DEBIAN_FRONTEND=noninteractive INITRD=No

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# The amd64 packages: what README.md ("Dependencies") says each is for.
missing=""
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm qemu-user; do
	installed "$p" || missing="$missing $p"
done
updated=""
if ! $dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "deps: adding the arm64 architecture to dpkg (downloads only)"
	$dpkg --add-architecture arm64
	$apt update >/dev/null
	updated=1
fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	[ -n "$updated" ] || $apt update >/dev/null
	updated=1
	# shellcheck disable=SC2086
	$apt install -y --no-install-recommends $missing >/dev/null
fi

# "Depends: a (= 1), b, c" of an arm64 package -> the names, one a line
depends() {
	apt-cache show --no-all-versions "$1:arm64" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed 's/^ *//; s/[ |].*//'
}

# Download packages (arm64 ones named pkg:arm64) and unpack them into $1.
unpack() {
	dest=$1
	shift
	dl=$(mktemp -d "$cache/debs.XXXXXX")
	mkdir -p "$dest"
	# apt warns that it downloads unsandboxed into a root-owned folder.
	if ! (cd "$dl" && $apt download "$@" >/dev/null 2>&1); then
		rm -rf "$dl"
		echo "deps: apt-get download $* failed" >&2
		exit 1
	fi
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$dest"
	done
	rm -rf "$dl"
}

# --- the guest's userland, shared by every arm64 kernel ------------------
sys="$cache/sysroot"
if [ ! -f "$sys/.done" ]; then
	echo "deps: fetching arm64 busybox-static, libbpf-dev, libelf-dev, zlib1g-dev"
	rm -rf "$sys"
	mkdir -p "$cache"
	unpack "$sys" busybox-static:arm64 libbpf-dev:arm64 libelf-dev:arm64 \
		zlib1g-dev:arm64
	touch "$sys/.done"
fi

# --- one kernel per flavour ----------------------------------------------
for flavour in "$@"; do
	krel=$("$top/scripts/krel.sh" "$flavour")
	root="$cache/$krel"
	[ -f "$root/.done" ] && continue
	echo "deps: fetching Debian's arm64 kernel $krel"
	hdr=linux-headers-$krel
	common="" kbuild=""
	for d in $(depends "$hdr"); do
		case $d in
		linux-headers-*-common*) common=$d ;;
		linux-kbuild-*) kbuild=$d ;;
		esac
	done
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		echo "deps: cannot read $hdr:arm64's dependencies" >&2
		exit 1
	fi
	# kbuild's host programs (fixdep, modpost) of the same series, amd64.
	if ! installed "$kbuild"; then
		echo "deps: installing $kbuild (amd64, for the arm64 headers)"
		$apt install -y --no-install-recommends "$kbuild" >/dev/null
	fi
	rm -rf "$root"
	unpack "$root" "linux-image-$krel:arm64" "$hdr:arm64" "$common"
	# The headers' scripts/ and tools/ point at ../../lib/linux-kbuild-X,
	# and their Makefile includes /usr/src/<common>/Makefile: point both
	# into this tree and at the host's kbuild.
	mkdir -p "$root/usr/lib"
	ln -sfn "/usr/lib/$kbuild" "$root/usr/lib/$kbuild"
	sed -i "s|/usr/src/|$root/usr/src/|" "$root/usr/src/$hdr/Makefile"
	# The guest's console for TAP: virtio-mmio and virtio_console, modules
	# in Debian's arm64 kernels. Keep them (xz-decompressed: busybox's
	# insmod takes plain .ko), drop the other 400 MB of modules.
	mkdir -p "$cache" "$root/vm-modules"
	for m in virtio_mmio virtio_console; do
		ko=$(find "$root/lib/modules" -name "$m.ko*" | head -n 1)
		if [ -z "$ko" ]; then
			# built in: nothing to load
			continue
		fi
		case $ko in
		*.xz) xz -dc "$ko" >"$root/vm-modules/$m.ko" ;;
		*.zst) zstd -qdc "$ko" >"$root/vm-modules/$m.ko" ;;
		*) cp "$ko" "$root/vm-modules/$m.ko" ;;
		esac
		echo "$m.ko" >>"$root/vm-modules/order"
		for dep in $(modinfo -F depends "$ko" | tr , ' '); do
			echo "deps: $m needs $dep, which this script does not load" >&2
			exit 1
		done
	done
	cp "$root/boot/config-$krel" "$root/vm-modules/config"
	rm -rf "$root/lib/modules"
	touch "$root/.done"
done
