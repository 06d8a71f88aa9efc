#!/bin/sh
# Print the kernel release Debian currently ships for a flavour, read from
# the metapackage's dependency (never hard-coded: Debian moves it).
#
# usage: scripts/krel.sh [FLAVOUR]     (default: amd64)
set -eu
flavour=${1:-amd64}
dep=$(dpkg-query -W -f='${Depends}' "linux-image-$flavour" 2>/dev/null) || {
	echo "krel: linux-image-$flavour is not installed (run make deps)" >&2
	exit 1
}
# "linux-image-6.1.0-NN-amd64 (= 6.1.x-y)" -> "6.1.0-NN-amd64"
echo "$dep" | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p'
