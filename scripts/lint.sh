#!/bin/sh
# Static checks, reported as TAP so `make check` counts them:
# sparse (C=2) and W=1 on the module, checkpatch --strict on every kernel
# and uapi file, shellcheck on the scripts.
#
# usage: scripts/lint.sh KDIR...
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/build/cache
status=0

report() {	# report OK NAME [LOG]
	if [ "$1" = 0 ]; then
		echo "ok - lint: $2"
	else
		echo "not ok - lint: $2"
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3"
		status=1
	fi
}

# A separate tree per kernel: C=2 re-checks every file without
# disturbing the objects `make` keeps. Every KDIR given: the kernels the
# module must build on (kmod/compat.h) each get their own run.
for kdir in "$@"; do
	krel=$(basename "$(realpath "$kdir")")
	dir=$top/build/kbuild-lint/$krel
	log=$top/build/results/lint-kbuild-$krel.log
	mkdir -p "$top/build/results"
	"$top/scripts/kbuild-tree.sh" "$dir"
	# The module through the top Kbuild, then the test module through
	# its own entry, against the module's symbols (as the Makefile does).
	{ make -s -C "$kdir" M="$dir" C=2 W=1 modules &&
	  make -s -C "$kdir" M="$dir/selftests/kmod" C=2 W=1 \
		KBUILD_EXTRA_SYMBOLS="$dir/Module.symvers" modules; } >"$log" 2>&1
	rc=$?
	grep -v 'Skipping BTF generation' "$log" | grep -E 'warning|error' >"$log.bad"
	[ $rc -eq 0 ] && [ ! -s "$log.bad" ]
	report $? "sparse and W=1 on kmod/ and selftests/kmod/ against $krel" "$log.bad"
done
log=$top/build/results/lint.log

for f in "$top"/kmod/*.c "$top"/kmod/*.h "$top"/uapi/linux/*.h \
	 "$top"/proto/mcrring/*.h "$top"/include/linux/*.h \
	 "$top"/selftests/kmod/*.c; do
	[ -e "$f" ] || continue
	# TRACE_EVENT() bodies cannot meet --strict's alignment rules (the
	# kernel's own trace headers do not either): plain checkpatch there.
	strict=--strict
	case $f in *_trace.h) strict= ;; esac
	out=$(perl "$cache/linux-source-6.1/scripts/checkpatch.pl" --no-tree \
		$strict --quiet --show-types -f "$f" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$log.bad"
	report $rc "checkpatch ${f#"$top"/}" "$log.bad"
done

shellcheck "$top"/scripts/*.sh "$top"/selftests/host/*.sh "$top"/.ci/run \
	>"$log.bad" 2>&1
report $? "shellcheck scripts/ selftests/host/ .ci/run" "$log.bad"
rm -f "$log.bad"
exit $status
