#!/bin/sh
# Print the flavour (as krel.sh and deps.sh take it) of the newest kernel
# series Debian ships beside its default kernel, e.g. "6.12-rt-amd64" for
# rt-amd64 on Debian 12: the series is read from the names of Debian's
# metapackages (linux-image-X.Y-FLAVOUR), never written here. Prints
# nothing when Debian ships no such series.
#
# usage: scripts/kseries.sh [FLAVOUR]     (default: amd64)
set -eu
flavour=${1:-amd64}

newest() {
	apt-cache pkgnames linux-image- 2>/dev/null |
		sed -n "s/^linux-image-\([0-9]*\.[0-9]*\)-$flavour\$/\1/p" |
		sort -V | tail -n 1
}

series=$(newest)
if [ -z "$series" ]; then
	# A fresh machine has no package lists yet.
	apt="apt-get -qq -o DPkg::Lock::Timeout=600"
	[ "$(id -u)" = 0 ] || apt="sudo $apt"
	$apt update >/dev/null 2>&1 || true
	series=$(newest)
fi
[ -z "$series" ] || echo "$series-$flavour"
