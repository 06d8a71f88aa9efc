#!/bin/sh
# Run kselftest-harness binaries and print one TAP stream on stdout.
# Runs under bash on the host and busybox sh in the VM.
#
# A binary that dies before reporting every planned test, or that exits
# non-zero without reporting a failure, gets a synthetic "not ok" line, so
# a crash can never read as a pass.
#
# usage: scripts/run-tests.sh [-p PREFIX] [-w WRAPPER] BINARY...
#   PREFIX is put before each test name (e.g. "asan/") to tell variants apart.
#   WRAPPER runs each binary (e.g. qemu-aarch64 for another architecture's).
set -u

prefix="" wrapper=""
while [ $# -gt 1 ]; do
	case $1 in
	-p) prefix=$2 ;;
	-w) wrapper=$2 ;;
	*) break ;;
	esac
	shift 2
done

tmp=${TMPDIR:-/tmp}/mcr-run-tests.$$
status=0
for bin in "$@"; do
	name=$prefix$(basename "$bin")
	echo "# mcr: $name"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	$wrapper "$bin" >"$tmp" 2>&1
	rc=$?
	t1=$(date +%s)
	# Prefix test names so totals from several binaries stay readable.
	sed -e "s|^\(ok [0-9]*\) |\1 $name: |" \
	    -e "s|^\(not ok [0-9]*\) |\1 $name: |" "$tmp"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tmp" | head -n 1)
	ran=$(grep -c -e '^ok ' -e '^not ok ' "$tmp")
	failed=$(grep -c '^not ok ' "$tmp")
	if [ -z "$plan" ]; then
		echo "not ok - $name: printed no TAP plan (exit status $rc)"
		status=1
	elif [ "$ran" -lt "$plan" ]; then
		echo "not ok - $name: ran $ran of $plan planned tests (exit status $rc)"
		status=1
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$failed" -eq 0 ]; then
		echo "not ok - $name: exit status $rc with no failing test"
		status=1
	elif [ "$failed" -gt 0 ]; then
		status=1
	fi
	# Where a tier's time goes, for whoever trims it (seconds, wall).
	echo "# mcr: $name took $((t1 - t0)) s"
done
rm -f "$tmp"
exit $status
