#!/bin/sh
# Sum TAP results from one or more files and print the closing line
#   N passed, N failed, N skipped
# A missing or empty file counts as one failure: a tier that produced no
# results must not read as a clean run.
#
# usage: scripts/tap-count.sh [-l LABEL] FILE...
set -u
label=""
if [ "${1:-}" = "-l" ]; then
	label="$2: "
	shift 2
fi

pass=0 fail=0 skip=0
for f in "$@"; do
	if [ ! -s "$f" ]; then
		echo "not ok - $f: no results (tier did not run)" >&2
		fail=$((fail + 1))
		continue
	fi
	p=$(grep -E '^ok ' "$f" | grep -vc '# SKIP')
	s=$(grep -E '^ok ' "$f" | grep -c '# SKIP')
	n=$(grep -c '^not ok' "$f")
	grep '^not ok' "$f" >&2
	pass=$((pass + p)) fail=$((fail + n)) skip=$((skip + s))
done
echo "${label}$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
