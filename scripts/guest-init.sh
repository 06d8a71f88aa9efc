#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test VM. The kernel passes mcrmode=test|demo|bench|shell
# in the environment. In test mode the TAP stream goes to ttyS1 and the
# verdict to QEMU's isa-debug-exit port: 0 -> exit status 1 (pass), 1 -> 3
# (fail).
# An arm64 guest has neither: the kernel names the TAP console
# (mcrtap=/dev/hvc0), modules in /lib/modules/console/ provide it, and
# with mcrverdict=tap the verdict is the last line on stdout,
# "# mcr-vm: verdict N", which scripts/vm.sh reads.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
export MCR_MODULE=/lib/modules/mcrring.ko
# Debug kernels are slower: tests stretch their real-time bounds this much.
export MCR_TIME_SCALE="${mcrtimescale:-1}"
# and kill_test kills fewer writers where the run asks (mcrkills=).
[ -z "${mcrkills:-}" ] || export MCR_KILLS="$mcrkills"
KMEMLEAK=/sys/kernel/debug/kmemleak

verdict() {
	if [ "${mcrverdict:-port}" = port ]; then
		# shellcheck disable=SC2059 # the format is the octal escape of the byte
		printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	else
		echo "# mcr-vm: verdict $1"
	fi
	poweroff -f
}

# The TAP console, where a module provides it (in the order they load).
if [ -f /lib/modules/console/order ]; then
	while read -r m; do
		insmod "/lib/modules/console/$m"
	done </lib/modules/console/order
fi
tapdev=${mcrtap:-/dev/ttyS1}

# A debug kernel names on its command line (mcrdetect=kasan,lockdep,...)
# the detectors it was built with; each must be armed, at the start and
# still at the end, or a clean log proves nothing.
armed() {
	case $1 in
	kasan) dmesg | grep -q 'KernelAddressSanitizer initialized' ;;
	kcsan) grep -q '^enabled: 1' /sys/kernel/debug/kcsan ;;
	lockdep) grep -Eq 'debug_locks: +1$' /proc/lockdep_stats ;;
	kmemleak) [ -e $KMEMLEAK ] ;;
	fault) [ -d /sys/kernel/debug/failslab ] &&
		[ -d /sys/kernel/debug/fail_page_alloc ] ;;
	*) false ;;
	esac
}

check_armed() {	# check_armed WHEN
	unarmed=""
	for d in $(echo "${mcrdetect:-}" | tr , ' '); do
		armed "$d" || unarmed="$unarmed $d"
	done
	if [ -n "$unarmed" ]; then
		echo "not ok - vm: detectors armed $1: not$unarmed"
		fail=1
	elif [ -n "${mcrdetect:-}" ]; then
		echo "ok - vm: detectors armed $1: $mcrdetect"
	fi
}

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
bench)
	sh /bin/bench-guest.sh
	verdict $?
	;;
esac

# A virtio console's node appears, and then opens (ENODEV before), once
# its port is set up, some time after the module loads. Probe it: a
# failed `exec >` would end /init, and `>` before the node exists would
# make it a plain file.
i=0
until { [ -c "$tapdev" ] && (: >>"$tapdev"); } 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
exec >"$tapdev" 2>&1
fail=0
check_armed "at start"
online=$(grep -c '^processor' /proc/cpuinfo)
if [ "$online" = "${mcrcpus:-$online}" ]; then
	echo "ok - vm: $online CPUs online, as many as the guest was given"
else
	echo "not ok - vm: $online CPUs online, the guest was given ${mcrcpus}"
	fail=1
fi
# kmemleak: what boot left is not ours; only what the tests leave counts.
if [ -e $KMEMLEAK ]; then
	echo scan >$KMEMLEAK && echo clear >$KMEMLEAK
fi
if insmod "$MCR_MODULE"; then
	echo "ok - vm: insmod mcrring.ko"
else
	echo "not ok - vm: insmod mcrring.ko"
	fail=1
fi
# mcrtests=a_test,b_test on the command line runs only those (VM_TESTS).
if [ -n "${mcrtests:-}" ]; then
	tests=$(echo "$mcrtests" | tr , '\n' | sed 's|^|/bin/|')
else
	tests=$(ls /bin/*_test 2>/dev/null)
fi
# shellcheck disable=SC2086
run-tests.sh $tests || fail=1
if rmmod mcrring; then
	echo "ok - vm: rmmod mcrring"
else
	echo "not ok - vm: rmmod mcrring"
	fail=1
fi
if [ -e $KMEMLEAK ]; then
	# Any unreferenced object fails, whoever allocated it: after rmmod
	# the module's frames are bare addresses. kmemleak reports objects
	# older than 5 s seen unreferenced by two scans.
	sleep 5
	if echo scan >$KMEMLEAK && echo scan >$KMEMLEAK &&
	   cat $KMEMLEAK >/tmp/leaks && [ ! -s /tmp/leaks ]; then
		echo "ok - vm: kmemleak finds no leak"
	else
		echo "not ok - vm: kmemleak finds no leak"
		sed 's/^/#   /' /tmp/leaks
		fail=1
	fi
fi
check_armed "at the end"
# KCSAN's counters: how many accesses it watched, races it found.
[ -r /sys/kernel/debug/kcsan ] && sed -n 's/^\([a-z_]*: [0-9]*\)$/# kcsan \1/p' \
	/sys/kernel/debug/kcsan
dmesg >/tmp/klog
if klog-check.sh /tmp/klog >/tmp/bad 2>/tmp/notes; then
	echo "ok - vm: kernel log is clean"
else
	echo "not ok - vm: kernel log is clean"
	sed 's/^/#   /' /tmp/bad
	fail=1
fi
sed 's/^/# /' /tmp/notes
echo "# mcr-vm: done"
verdict $fail
