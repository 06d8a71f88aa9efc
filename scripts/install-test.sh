#!/bin/sh
# make install into a scratch DESTDIR, then build and run a small writer
# against the installed copy with pkg-config, as a new user would. TAP on
# stdout. Needs no module: the writer uses a shared-memory ring set.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/mcr-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
log=$dest/log

# shellcheck source=scripts/tap-check.sh
. "$top/scripts/tap-check.sh"

# `make` and `make install` build and install, and never reach for a
# package: in a copy of the tree (what git tracks, as checked out here),
# with apt, dpkg and sudo made to fail and to say that they were called,
# and dpkg-query failing as on a system without dpkg (it only reads).
nopkg=$dest/nopkg
mkdir -p "$nopkg"
for cmd in apt apt-get aptitude dpkg sudo; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 1\n' \
		"$cmd" "$nopkg" >"$nopkg/$cmd"
	chmod +x "$nopkg/$cmd"
done
printf '#!/bin/sh\nexit 1\n' >"$nopkg/dpkg-query"
chmod +x "$nopkg/dpkg-query"
mkdir -p "$dest/src"
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$dest/src"
# A package manager called by its full path would pass the stubs by:
# dpkg's database would still change.
dpkg_was=$(stat -c %Y /var/lib/dpkg/status 2>/dev/null)
# The same build takes the distribution's CFLAGS and LDFLAGS (from the
# environment, as dpkg-buildflags gives them), on top of the project's.
check "make and make install in a copy of the tree, no package manager at hand" \
	env PATH="$nopkg:$PATH" \
		CFLAGS="-O2 -g -frecord-gcc-switches -fno-omit-frame-pointer" \
		LDFLAGS="-Wl,-z,now" sh -c "make -s -C '$dest/src' &&
		make -s -C '$dest/src' install DESTDIR='$dest/root-nopkg' \
			PREFIX=/usr UDEVDIR=/usr/lib/udev/rules.d \
			UNITDIR=/usr/lib/systemd/system &&
		test -e '$dest/root-nopkg/usr/include/mcrring.h'"
check "neither asked for a package" test ! -e "$nopkg/called"
check "and dpkg's database did not change" \
	test "$(stat -c %Y /var/lib/dpkg/status 2>/dev/null)" = "$dpkg_was"
[ -e "$nopkg/called" ] && sed 's/^/#   called: /' "$nopkg/called"
for f in usr/lib/libmcrring.so.2 usr/bin/mcrcat; do
	check "$f built with the environment's CFLAGS and LDFLAGS" sh -c "
		readelf -p .GCC.command.line '$dest/root-nopkg/$f' |
			grep -q -- -fno-omit-frame-pointer &&
		readelf -p .GCC.command.line '$dest/root-nopkg/$f' |
			grep -q -- -std=gnu11 &&
		readelf -d '$dest/root-nopkg/$f' | grep -q 'FLAGS.*NOW'"
done
rm -rf "$dest/src" "$dest/root-nopkg"

# Over an install of the layout before <mcrring/...>: its headers go.
mkdir -p "$dest/root/usr/include/mcrring"
touch "$dest/root/usr/include/mcrring/mcr_ring.h" \
	"$dest/root/usr/include/mcrring/mcrring.h"
check "make install DESTDIR=... PREFIX=/usr" \
	make -s -C "$top" install DESTDIR="$dest/root" PREFIX=/usr \
		UDEVDIR=/usr/lib/udev/rules.d UNITDIR=/usr/lib/systemd/system

root=$dest/root
files="usr/bin/mcrlog usr/bin/mcrcat usr/bin/mcrstat usr/bin/mcrtrace
       usr/bin/mcrfwd usr/bin/mcrctl usr/lib/systemd/system/mcrfwd.service
       usr/lib/libmcrring.a usr/lib/libmcrring.so.2 usr/lib/libmcrring.so
       usr/lib/pkgconfig/mcrring.pc usr/include/mcrring.h
       usr/include/mcrring/ring.h usr/include/mcrring/clock.h
       usr/include/mcrring/text.h usr/include/mcrring/compat.h
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
# <mcrring.h> and <mcrring/...>, as liburing does: the include path is
# the prefix's own, and the private copy of the ABI header lies under
# mcrring/, where no <linux/...> of the application can find it.
check "pkg-config's include path is the prefix's, not a folder of ours" \
	test "$(pc --cflags-only-I | tr -d " ")" = "-I$root/usr/include"
check "no header of the old layout left behind" sh -c \
	"! ls '$root/usr/include/mcrring/mcr_ring.h' '$root/usr/include/mcrring/mcrring.h' 2>/dev/null"
check "nothing installed beside <mcrring.h> and <mcrring/...>" \
	test "$(cd "$root/usr/include" && echo *)" = "mcrring mcrring.h"
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

# libmcrring.so.2's ABI: every name 1.0.0 exported (MCRRING_1.0) is
# still there, so that programs linked against it run; renamed ones are
# aliases of their new names (MCRRING_1.1).
abi_1_0="mcr_open mcr_shm_create mcr_set_fd mcr_counters mcr_set_close
	mcr_set_nr_rings mcr_set_ring mcr_writer_spsc mcr_writer_mpsc
	mcr_gettid mcr_getpid mcr_cpu mcr_tls_tid mcr_set_keep_clock mcr_wake
	mcr_logf mcr_vlogf mcr_log_fields mcr_reader_open mcr_reader_close
	mcr_reader_set_bounds mcr_reader_writer_gone mcr_read
	mcr_reader_stats mcr_archive_open mcr_archive_close mcr_archive_fd
	mcr_archive_next"
abi_1_1="mcr_ring_counters __mcr_tls_tid"
readelf --dyn-syms -W "$root/usr/lib/libmcrring.so.2" |
	awk '$7 != "UND" { print $8, $2 }' >"$dest/dynsyms"
lost=""
for sym in $abi_1_0; do
	grep -q "^$sym@@MCRRING_1.0 " "$dest/dynsyms" || lost="$lost $sym"
done
for sym in $abi_1_1; do
	grep -q "^$sym@@MCRRING_1.1 " "$dest/dynsyms" || lost="$lost $sym"
done
check "libmcrring.so.2 exports every name of MCRRING_1.0 and MCRRING_1.1" \
	test -z "$lost"
[ -z "$lost" ] || echo "#   not exported:$lost"
addr() { sed -n "s/^$1@@[^ ]* //p" "$dest/dynsyms"; }
check "1.0's mcr_counters and mcr_tls_tid are aliases of the new names" \
	test -n "$(addr mcr_counters)" -a -n "$(addr mcr_tls_tid)" -a \
		"$(addr mcr_counters) $(addr mcr_tls_tid)" = \
		"$(addr mcr_ring_counters) $(addr __mcr_tls_tid)"

# The installed headers in other languages and beside other code: C++
# (g++ is build-essential's), and an application with kernel-style
# macros of its own, which the header must neither clash with nor leave
# its own behind.
for std in c++11 c++20; do
	# shellcheck disable=SC2046
	check "a C++ writer ($std) builds against the installed headers" \
		g++ -std=$std -Wall -Wextra -Werror -o "$dest/cxx-$std" \
			"$top/selftests/install/cxx_writer.cc" $(pc --cflags --libs)
	check "and reads back what it wrote" sh -c "LD_LIBRARY_PATH='$root/usr/lib' '$dest/cxx-$std' |
		grep -qx '8 records from C++'"
done
# shellcheck disable=SC2046
check "an application's own READ_ONCE and likely survive <mcrring.h>" \
	sh -c "cc -Wall -Wextra -Werror -o '$dest/ns' \
		'$top/selftests/install/namespace.c' $(pc --cflags) && '$dest/ns'"
# Every macro left defined after <mcrring.h> that one of its headers
# defines: only mcrring's own prefixes may be among them.
inc=$root/usr/include/mcrring
# shellcheck disable=SC2046
leaked=$(echo '#include <mcrring.h>' |
	cc -D_GNU_SOURCE $(pc --cflags) -dM -E -x c - |
	awk '{ sub(/\(.*/, "", $2); print $2 }' | sort -u | while read -r m; do
		case $m in MCR*|mcr*|_MCR*|__MCR*|__mcr*|_UAPI_LINUX_MCRRING_H) continue ;; esac
		if grep -qsE "^#[[:space:]]*define[[:space:]]+$m([^A-Za-z0-9_]|\$)" \
			"$inc.h" "$inc"/*.h "$inc"/linux/*.h; then
			echo "$m"
		fi
	done)
check "<mcrring.h> leaves no macro of its own without mcrring's prefix" \
	test -z "$leaked"
[ -z "$leaked" ] || echo "#   left defined: $(echo "$leaked" | tr '\n' ' ')"
for page in "$root"/usr/share/man/man*/*; do
	[ -e "$page" ] || continue
	# From the man root, so that .so redirects resolve as installed.
	check "man -l renders $(basename "$page") without warnings" \
		sh -c "cd '$root/usr/share/man' &&
			MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null |
			(! grep .)"
done

# make modules_install: the module for the kernel `make` builds against,
# and nothing else (the test module is no part of the top Kbuild).
if ls /lib/modules/*/build/Makefile >/dev/null 2>&1; then
	check "make modules_install DESTDIR=..." \
		make -s -C "$top" modules_install DESTDIR="$dest/mod"
	mods=$(cd "$dest/mod" 2>/dev/null &&
		find . -name '*.ko*' -printf '%f\n' | sort | tr '\n' ' ')
	check "and it installed mcrring.ko alone" \
		sh -c "echo 'installed: $mods' && echo '$mods' |
			grep -Eqx 'mcrring\.ko(\.[a-z]+)? '"
else
	echo "ok - install: make modules_install # SKIP no kernel headers in /lib/modules"
	echo "ok - install: and it installed mcrring.ko alone # SKIP"
fi

# DKMS, for every kernel of the VM matrix whose headers are here
# (MCR_DKMS_FLAVOURS, from `make check`; Debian's default kernel alone
# otherwise).
# shellcheck disable=SC2086 # a list of flavours
"$top/scripts/dkms-test.sh" ${MCR_DKMS_FLAVOURS:-amd64}
