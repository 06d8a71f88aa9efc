#!/bin/sh
# Print the kernel release Debian currently ships for a flavour, read from
# the metapackage's dependency (never hard-coded: Debian moves it). An
# arm64 flavour (arm64, 6.12-arm64) names a package that is never
# installed here (scripts/arm64-deps.sh unpacks it): its release is the
# one apt would install, read from the package lists.
#
# usage: scripts/krel.sh [FLAVOUR]     (default: amd64)
set -eu
flavour=${1:-amd64}
case $flavour in
*arm64*)
	dep=$(apt-cache show --no-all-versions "linux-image-$flavour:arm64" \
		2>/dev/null | sed -n 's/^Depends: //p')
	[ -n "$dep" ] || {
		echo "krel: no linux-image-$flavour:arm64 in apt's lists (run make deps FLAVOUR=$flavour)" >&2
		exit 1
	}
	;;
*)
	dep=$(dpkg-query -W -f='${Depends}' "linux-image-$flavour" 2>/dev/null) || {
		echo "krel: linux-image-$flavour is not installed (run make deps)" >&2
		exit 1
	}
	;;
esac
# "linux-image-6.1.0-NN-amd64 (= 6.1.x-y)" -> "6.1.0-NN-amd64"
echo "$dep" | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p'
