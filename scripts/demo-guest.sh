#!/bin/sh
# What `make demo` shows inside the VM: mcrring.ko loading, writers
# logging through libmcrring, `cat /dev/mcrlog`, mcrcat with a filter,
# mcrstat and the tracepoints.
# Runs from the VM's /init; exits non-zero if any step fails.
set -e
step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "== mcrring demo on $(uname -r), $(nproc) CPUs =="
# Small rings (256 records), so that a burst overflows one.
step insmod /lib/modules/mcrring.ko mode=0660 group=1000 ring_ndesc=256
step ls -l /dev/mcrlog
step sh -c 'dmesg | grep mcrring: | tail -n 1'
echo 1 >/sys/kernel/tracing/events/mcrring/enable

# mcrtrace watches everything below; its output is shown at the end.
printf '\n$ mcrtrace -i 0.5 >/tmp/mcrtrace.out &\n'
mcrtrace -i 0.5 >/tmp/mcrtrace.out 2>&1 &
tracer=$!
# It prints its header once attached: wait for that (at most 20 s).
i=0
until grep -q '^TIME' /tmp/mcrtrace.out; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 $tracer 2>/dev/null; then
		cat /tmp/mcrtrace.out
		exit 1
	fi
	sleep 0.1
done

# A few writers: the MPSC ring from several processes, an SPSC ring
# claimed per CPU, fields, and a message that tries to forge a line.
step mcrlog -p daemon.info "hello from the MPSC ring"
step mcrlog -c 0 -p local0.warning -k REQ_ID=42 -k PEER=10.0.0.1 "request done"
# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
step sh -c 'for i in 1 2 3; do mcrlog -p user.debug "worker $i" & done; wait'
step sh -c 'printf "line one\nline two\n" | mcrlog -c 1 -p user.notice'
step mcrlog -p user.err "$(printf 'evil\n0,0,0,0,0,0,0,0,-;forged')"

# cat follows like `cat /dev/kmsg`: stop it after a second.
step sh -c 'timeout 1 cat /dev/mcrlog || true'

# A burst of 3000 lines into CPU 1's ring: more than it holds at once.
# With --drop the lines that meet a full ring are refused and named;
# by default mcrlog waits for the drain thread, as logger waits for a
# socket, and delivers them all.
step sh -c 'seq 3000 | mcrlog -c 1 -p user.debug --drop 2>&1 | cut -d: -f3 | uniq -c'
step sh -c 'seq 3000 | mcrlog -c 1 -p user.debug -t burst && echo "all 3000 logged"'

step mcrcat -o json -p warning
step mcrcat -o short -n 3
step mcrstat
step sh -c 'grep -m 4 mcrring_ /sys/kernel/tracing/trace | sed "s/^ *//"'
echo 0 >/sys/kernel/tracing/events/mcrring/enable
printf '\n$ kill -INT %s; cat /tmp/mcrtrace.out\n' "$tracer"
kill -INT $tracer
wait $tracer
cat /tmp/mcrtrace.out
step rmmod mcrring
step sh -c '! test -e /dev/mcrlog && echo "/dev/mcrlog is gone after rmmod"'
