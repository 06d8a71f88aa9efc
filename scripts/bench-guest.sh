#!/bin/sh
# What `make bench-vm` runs inside the VM: mcrring.ko loaded with an
# archive that holds every record mcrbench-vm writes, then mcrbench-vm
# (tools/bench/vm/), whose table goes to the console between two marker
# lines for scripts/vm.sh to keep. The kernel was booted with
# printk.devkmsg=on (no rate limit on /dev/kmsg) and a log buffer that
# holds every message written there. Exits non-zero if a step fails.
set -e
export PATH=/bin:/usr/sbin
insmod /lib/modules/mcrring.ko archive_kb=65536
echo "# mcrbench-vm on $(uname -r), $(nproc) CPUs"
out=/tmp/mcrbench-vm.md
rc=0
mcrbench-vm -d /tmp/mcrbench >"$out" || rc=$?
echo "# mcr-bench: begin"
cat "$out"
echo "# mcr-bench: end"
rmmod mcrring
exit $rc
