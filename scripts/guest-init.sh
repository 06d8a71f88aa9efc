#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test VM. The kernel passes mcrmode=test|demo|shell in the
# environment. In test mode the TAP stream goes to ttyS1 and the verdict
# to QEMU's isa-debug-exit port: 0 -> exit status 1 (pass), 1 -> 3 (fail).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
export MCR_MODULE=/lib/modules/mcrring.ko

verdict() {
	# shellcheck disable=SC2059 # the format is the octal escape of the byte
	printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}

# Kernel reports that fail a run wherever they appear in the log.
BAD='BUG:|WARNING:|Oops|general protection|soft lockup|hung task|Call Trace'

case "${mcrmode:-test}" in
shell)
	insmod "$MCR_MODULE" && echo "mcrring loaded; poweroff -f to leave"
	setsid cttyhack sh
	poweroff -f
	;;
demo)
	sh /bin/demo-guest.sh
	verdict $?
	;;
esac

exec >/dev/ttyS1 2>&1
fail=0
if insmod "$MCR_MODULE"; then
	echo "ok - vm: insmod mcrring.ko"
else
	echo "not ok - vm: insmod mcrring.ko"
	fail=1
fi
# shellcheck disable=SC2046
run-tests.sh $(ls /bin/*_test 2>/dev/null) || fail=1
if rmmod mcrring; then
	echo "ok - vm: rmmod mcrring"
else
	echo "not ok - vm: rmmod mcrring"
	fail=1
fi
if dmesg | grep -E "$BAD" >/tmp/bad; then
	echo "not ok - vm: kernel log is clean"
	sed 's/^/#   /' /tmp/bad
	fail=1
else
	echo "ok - vm: kernel log is clean"
fi
echo "# mcr-vm: done"
verdict $fail
