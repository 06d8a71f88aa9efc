# shellcheck shell=sh
# check NAME COMMAND...: run COMMAND, and print one TAP line, "ok - install:
# NAME", or "not ok" followed by the last lines of what COMMAND printed.
# Sourced by install-test.sh and dkms-test.sh, which set $log, a scratch
# file for the output.
# shellcheck disable=SC2154 # $log is the sourcing script's
check() {
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
