#!/bin/bash
# mcrfwd against the real servers, started here on 127.0.0.1 with a
# config this test writes: rsyslogd (imtcp, imudp, imrelp, imuxsock,
# each into its own file as JSON), systemd-journal-remote (journal
# files read back with journalctl --file -o json) and systemd-journald in
# a namespace of its own (journalctl --namespace). The input is a file in
# the text of /dev/mcrlog: hostile texts and field names, a gap in the
# sequences. Then the faults: mcrfwd killed with SIGKILL 20 times, the
# server restarted and stopped mid-stream.
# TAP on standard output.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tools=${MCR_TOOLS:-$top/build/tools}
plan=15
echo "1..$plan"
skip() {
	for i in $(seq 1 $plan); do echo "ok $i # SKIP $1"; done
	exit 0
}
command -v python3 >/dev/null || skip "python3 not installed (make deps installs it)"
[ -x "$tools/mcrfwd" ] || skip "$tools/mcrfwd not built (make tools)"
command -v rsyslogd >/dev/null || skip "rsyslogd not installed (make deps installs rsyslog)"
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so ] || [ -n "$(find /usr/lib -name imrelp.so 2>/dev/null)" ] ||
	skip "imrelp not installed (make deps installs rsyslog-relp)"
[ -x /lib/systemd/systemd-journal-remote ] ||
	skip "systemd-journal-remote not installed (make deps installs it)"
[ -x /lib/systemd/systemd-journald ] ||
	skip "systemd-journald not installed (make deps installs systemd)"
[ "$(id -u)" = 0 ] || skip "needs root: rsyslogd's and journald's sockets and state"
command -v journalctl >/dev/null || skip "journalctl not installed"
exec python3 "$top/selftests/host/mcrfwd_test.py" "$tools/mcrfwd"
