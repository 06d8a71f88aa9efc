#!/bin/sh
# make install into a scratch DESTDIR, then build and run a small writer
# against the installed copy with pkg-config, as a new user would. TAP on
# stdout. Needs no module: the writer uses a shared-memory ring set.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/mcr-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
log=$dest/log

check() {	# check NAME COMMAND...
	name=$1
	shift
	if "$@" >>"$log" 2>&1; then
		echo "ok - install: $name"
	else
		echo "not ok - install: $name"
		sed 's/^/#   /' "$log" | tail -n 20
	fi
	: >"$log"
}

check "make install DESTDIR=... PREFIX=/usr" \
	make -s -C "$top" install DESTDIR="$dest/root" PREFIX=/usr \
		UDEVDIR=/usr/lib/udev/rules.d UNITDIR=/usr/lib/systemd/system

root=$dest/root
files="usr/bin/mcrlog usr/bin/mcrcat usr/bin/mcrstat usr/bin/mcrtrace
       usr/bin/mcrfwd usr/bin/mcrctl usr/lib/systemd/system/mcrfwd.service
       usr/lib/libmcrring.a usr/lib/libmcrring.so.1 usr/lib/libmcrring.so
       usr/lib/pkgconfig/mcrring.pc usr/include/mcrring/mcrring.h
       usr/include/mcrring/linux/mcrring.h
       usr/lib/udev/rules.d/60-mcrring.rules"
missing=""
for f in $files; do
	[ -e "$root/$f" ] || missing="$missing $f"
done
check "installed files are all there" test -z "$missing"
[ -z "$missing" ] || echo "#   missing:$missing"

cat >"$dest/writer.c" <<'CEOF'
#include <stdio.h>
#include <mcrring.h>

int main(void)
{
	struct mcr_set *set;
	struct mcr_reader *rd;
	struct mcr_writer w;
	struct mcr_record rec;
	static char text[MCR_TEXT_MAX];

	if (mcr_shm_create(2, 64, 16384, &set) || mcr_writer_mpsc(set, &w) ||
	    mcr_logf(&w, MCR_PRI(1, 6), "installed %d", 42) < 0 ||
	    mcr_reader_open(set, &rd) || mcr_read(rd, &rec, text) != 1)
		return 1;
	printf("%.*s\n", (int)rec.len, text);
	mcr_reader_close(rd);
	mcr_set_close(set);
	return 0;
}
CEOF

pc() {
	PKG_CONFIG_PATH=$root/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		pkg-config "$@" mcrring
}
check "pkg-config knows mcrring $(pc --modversion 2>/dev/null)" pc --exists
# shellcheck disable=SC2046 # pkg-config's output is meant to be split
check "a writer builds against the installed shared library" \
	cc -Wall -Wextra -Werror -o "$dest/writer" "$dest/writer.c" \
		$(pc --cflags --libs)
check "and runs" sh -c "LD_LIBRARY_PATH='$root/usr/lib' '$dest/writer' |
	grep -qx 'installed 42'"
# shellcheck disable=SC2046
check "a writer links the static library" \
	cc -static -o "$dest/writer-static" "$dest/writer.c" \
		$(pc --static --cflags --libs)
check "and runs" sh -c "'$dest/writer-static' | grep -qx 'installed 42'"
for page in "$root"/usr/share/man/man*/*; do
	[ -e "$page" ] || continue
	# From the man root, so that .so redirects resolve as installed.
	check "man -l renders $(basename "$page") without warnings" \
		sh -c "cd '$root/usr/share/man' &&
			MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null |
			(! grep .)"
done

# DKMS: `make dkms-src` lays out the module's sources with
# packaging/dkms.conf as `dkms add` expects them; its MAKE line, run in a
# copy of them as DKMS runs it, must leave the module where
# BUILT_MODULE_LOCATION says, built for Debian's kernel.
krel=$("$top/scripts/krel.sh" amd64)
version=$(pc --modversion 2>/dev/null)
src=$dest/dkms-src/usr/src
check "make dkms-src DESTDIR=..." \
	make -s -C "$top" dkms-src DESTDIR="$dest/dkms-src"
conf=$src/mcrring-$version/dkms.conf
check "dkms.conf's PACKAGE_VERSION is the project's ($version)" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$conf"
# dkms.conf is bash (arrays), read with DKMS's variables set.
# shellcheck disable=SC2016 # expanded by the inner bash, on purpose
check "dkms.conf's MAKE builds BUILT_MODULE_LOCATION/mcrring.ko for $krel" \
	bash -euc '
	kernelver=$2 kernel_source_dir=/lib/modules/$2/build dkms_tree=$3
	. "$1"
	[ "$AUTOINSTALL" = yes ] && [ "$PACKAGE_NAME" = mcrring ]
	build=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build
	mkdir -p "$build"
	cp -a "$(dirname "$1")/." "$build"
	cd "$build"
	sh -c "${MAKE[0]} KERNELRELEASE=$kernelver"
	ko=$build/${BUILT_MODULE_LOCATION[0]}${BUILT_MODULE_NAME[0]}.ko
	modinfo -F vermagic "$ko" | grep -q "^$kernelver "' \
	_ "$conf" "$krel" "$dest/dkms-by-hand"
# DKMS itself, for every kernel of the VM matrix whose headers are here
# (MCR_DKMS_FLAVOURS, from `make check`; Debian's default kernel alone
# otherwise), each in a scratch tree with a scratch signing key.
if command -v dkms >/dev/null; then
	for flavour in ${MCR_DKMS_FLAVOURS:-amd64}; do
		k=$("$top/scripts/krel.sh" "$flavour") || {
			echo "not ok - install: dkms build for $flavour # no such kernel installed"
			continue
		}
		tree=$dest/dkms-tree-$k
		mkdir -p "$tree"
		check "dkms add and build mcrring/$version for $k (scratch tree)" \
			env mok_signing_key="$dest/mok.key" \
			mok_certificate="$dest/mok.pub" sh -c "
			dkms add mcrring/$version --sourcetree '$src' --dkmstree '$tree' &&
			dkms build mcrring/$version -k '$k' --sourcetree '$src' \
				--dkmstree '$tree'"
		check "dkms status says built for $k" sh -c "dkms status \
			mcrring/$version -k '$k' --sourcetree '$src' \
			--dkmstree '$tree' | grep -q ': built'"
		# Compressed (mcrring.ko.xz) where the kernel's modules are.
		check "dkms kept mcrring.ko built for $k" sh -c "modinfo -F vermagic \
			'$tree/mcrring/$version/$k/$(uname -m)/module/'mcrring.ko* |
			grep -q '^$k '"
	done
else
	echo "ok - install: dkms build # SKIP dkms is not installed (make deps)"
fi
