#!/bin/sh
# Lay out a shadow tree of symlinks for an out-of-tree kbuild run, so that
# kbuild's objects land under build/ and never in the source tree (6.1 has
# no MO=). Stale links to deleted sources are removed.
#
# usage: scripts/kbuild-tree.sh DIR
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1

mkdir -p "$dir"
ln -sfn "$top/Kbuild" "$dir/Kbuild"
ln -sfn "$top/uapi" "$dir/uapi"
ln -sfn "$top/proto" "$dir/proto"
ln -sfn "$top/include" "$dir/include"
rm -f "$dir/lib"	# a tree laid out before proto/ had its own folder
for sub in kmod selftests/kmod; do
	mkdir -p "$dir/$sub"
	for f in "$top/$sub"/*; do
		ln -sfn "$f" "$dir/$sub/$(basename "$f")"
	done
	for l in "$dir/$sub"/*; do
		[ -L "$l" ] && [ ! -e "$l" ] && rm -f "$l"
	done
done
exit 0
