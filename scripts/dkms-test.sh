#!/bin/sh
# DKMS builds mcrring.ko for each kernel named, as on a user's machine
# after a kernel upgrade: `make dkms-src` lays out the sources with
# packaging/dkms.conf, then `dkms add` and `dkms build` run in a scratch
# tree with a scratch signing key. TAP on stdout.
#
# usage: scripts/dkms-test.sh FLAVOUR...
#   An amd64 flavour (amd64, rt-amd64, 6.12-amd64...) builds against the
#   installed headers in /lib/modules. An arm64 one (arm64, 6.12-arm64)
#   cross-builds against the headers scripts/arm64-deps.sh unpacked, as a
#   distribution building arm64 packages on amd64 would: ARCH and
#   CROSS_COMPILE in the environment, `-a aarch64` and --kernelsourcedir.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/mcr-dkms.XXXXXX")
trap 'rm -rf "$dest"' EXIT
log=$dest/log

# shellcheck source=scripts/tap-check.sh
. "$top/scripts/tap-check.sh"

if ! command -v dkms >/dev/null; then
	echo "ok - install: dkms build # SKIP dkms is not installed (make deps)"
	exit 0
fi
version=$(sed -n 's/^#define MCR_VERSION[^"]*"\(.*\)"$/\1/p' "$top/lib/mcrring.h")
src=$dest/dkms-src/usr/src
check "make dkms-src DESTDIR=..." \
	make -s -C "$top" dkms-src DESTDIR="$dest/dkms-src"
check "dkms.conf's PACKAGE_VERSION is the project's ($version)" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$src/mcrring-$version/dkms.conf"

conf=$src/mcrring-$version/dkms.conf
first=1
for flavour in "$@"; do
	k=$("$top/scripts/krel.sh" "$flavour") || {
		echo "not ok - install: dkms build for $flavour # no such kernel here"
		continue
	}
	case $flavour in
	*arm64*)
		kdir=$top/build/cache/arm64/$k/usr/src/linux-headers-$k
		arch=aarch64
		cross="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
		;;
	*)
		kdir=/lib/modules/$k/build
		arch=$(uname -m)
		cross=""
		;;
	esac
	[ -d "$kdir" ] || {
		echo "not ok - install: dkms build for $flavour # no headers at $kdir"
		continue
	}
	# Once, for the first kernel: dkms.conf's MAKE line, run in a copy of
	# the sources as DKMS runs it, leaves the module where
	# BUILT_MODULE_LOCATION says. dkms.conf is bash (arrays), read with
	# DKMS's variables set.
	# shellcheck disable=SC2016,SC2086 # the inner bash expands; $cross splits
	[ -z "$first" ] ||
	check "dkms.conf's MAKE builds BUILT_MODULE_LOCATION/mcrring.ko for $k through the top Kbuild" \
		env $cross bash -euc '
		kernelver=$2 kernel_source_dir=$3 dkms_tree=$4
		. "$1"
		[ "$AUTOINSTALL" = yes ] && [ "$PACKAGE_NAME" = mcrring ]
		build=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build
		mkdir -p "$build"
		cp -a "$(dirname "$1")/." "$build"
		cd "$build"
		sh -c "${MAKE[0]} KERNELRELEASE=$kernelver"
		ko=$build/${BUILT_MODULE_LOCATION[0]}${BUILT_MODULE_NAME[0]}.ko
		modinfo -F vermagic "$ko" | grep -q "^$kernelver "
		# through the top Kbuild, the entry make runs, which names
		# the module alone
		cmp "$build/Kbuild" "$5/Kbuild"
		order=$build/modules.order
		test "$(grep -Ec "(^|/)kmod/mcrring\.k?o\$" "$order") $(wc -l <"$order")" = "1 1"' \
		_ "$conf" "$k" "$kdir" "$dest/dkms-by-hand" "$top"
	first=""
	tree=$dest/dkms-tree-$k
	mkdir -p "$tree"
	opts="-k $k -a $arch --kernelsourcedir $kdir --sourcetree $src --dkmstree $tree"
	# shellcheck disable=SC2086 # $cross: words for env
	check "dkms add and build mcrring/$version for $k (scratch tree)" \
		env mok_signing_key="$dest/mok.key" \
		mok_certificate="$dest/mok.pub" $cross sh -c "
		dkms add mcrring/$version --sourcetree '$src' --dkmstree '$tree' &&
		dkms build mcrring/$version $opts"
	check "dkms status says built for $k" sh -c "dkms status \
		mcrring/$version $opts | grep -q ': built'"
	# Compressed (mcrring.ko.xz) where the kernel's modules are.
	check "dkms kept mcrring.ko built for $k ($arch)" sh -c "
		ko=\$(ls '$tree/mcrring/$version/$k/$arch/module/'mcrring.ko*) &&
		modinfo -F vermagic \"\$ko\" | grep -q '^$k '"
done
