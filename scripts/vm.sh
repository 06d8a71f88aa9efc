#!/bin/bash
# Boot Debian's own kernel under QEMU (TCG, no KVM needed) with an
# initramfs holding busybox, mcrring.ko and static test binaries.
#
# usage: scripts/vm.sh MODE KREL MODULE BINDIR
#   MODE    test  - run the selftests, print TAP, exit 0 only on a clean run
#           demo  - load the module and show it working
#           shell - interactive busybox shell on the serial console
#           bench - run mcrbench-vm (make bench-vm); its table, from the
#                   console, goes to \$VM_OUT/bench.md
#   KREL    kernel release to boot (its /boot/vmlinuz-KREL must be installed;
#           for an arm64 one, KREL-arm64*, scripts/arm64-deps.sh must have
#           unpacked it into build/cache/arm64/KREL: it boots under
#           qemu-system-aarch64)
#   MODULE  mcrring.ko built for KREL
#   BINDIR  directory of static binaries copied to /bin in the guest
#
# Environment: VM_TIMEOUT (seconds, default 600), VM_SMP (default 2),
#              VM_MEM (default 1G), VM_OUT (default build/vm/KREL),
#              VM_KERNEL (a kernel image to boot instead of Debian's
#              /boot/vmlinuz-KREL: the debug kernels), VM_APPEND (more
#              kernel command line), VM_TESTS (test names, e.g.
#              "kill_test clock_test": run only those).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=$1 krel=$2 module=$3 bindir=$4
out=${VM_OUT:-$top/build/vm/$krel}
cache=$top/build/cache

mkdir -p "$out" "$cache"

case $krel in
*arm64*) arch=arm64 ;;
*) arch=x86_64 ;;
esac
a64=$cache/arm64/$krel

# The ELF kernel boots through the PVH entry, twice as fast as bzImage.
# Debian's arm64 vmlinuz is the Image QEMU loads as it is.
if [ $arch = arm64 ]; then
	vmlinux=${VM_KERNEL:-$a64/boot/vmlinuz-$krel}
else
	vmlinux=${VM_KERNEL:-$cache/vmlinux-$krel}
fi
if [ ! -s "$vmlinux" ]; then
	[ $arch = x86_64 ] || { echo "vm.sh: no $vmlinux (scripts/arm64-deps.sh)" >&2; exit 1; }
	[ -z "${VM_KERNEL:-}" ] || { echo "vm.sh: no $vmlinux" >&2; exit 1; }
	sh "$cache/linux-source-6.1/scripts/extract-vmlinux" \
		"/boot/vmlinuz-$krel" >"$vmlinux.tmp"
	mv "$vmlinux.tmp" "$vmlinux"
fi

# --- initramfs ----------------------------------------------------------
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules}
if [ $arch = arm64 ]; then
	cp "$cache/arm64/sysroot/bin/busybox" "$root/bin/busybox"
	# virtio-mmio and virtio_console, modules there: the TAP console.
	mkdir -p "$root/lib/modules/console"
	cp "$a64"/vm-modules/* "$root/lib/modules/console/"
else
	cp /bin/busybox "$root/bin/busybox"
fi
cp "$module" "$root/lib/modules/mcrring.ko"
# Test modules built beside it (the shadow tree's selftests/kmod/, an
# entry of its own: the Makefile's kmod_tests).
for ko in "$(dirname "$module")"/../selftests/kmod/*.ko; do
	[ -e "$ko" ] && cp "$ko" "$root/lib/modules/"
done
cp "$top/scripts/run-tests.sh" "$top/scripts/guest-init.sh" \
	"$top/scripts/klog-check.sh" "$root/bin/"
cp "$top/scripts/demo-guest.sh" "$top/scripts/bench-guest.sh" "$root/bin/"
find "$bindir" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/bin/" \;

# The host's rsyslogd, with its modules and the shared libraries they
# load, at their own paths: the real server vm/mcrfwd_test forwards to.
# amd64 guests only (an arm64 rsyslogd would need every library fetched).
copy_with_libs() {
	for f in "$@"; do
		install -D -m 755 "$f" "$root$f"
		ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
					    $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
		done
	done
}
if [ $arch = x86_64 ] && [ -x /usr/sbin/rsyslogd ]; then
	copy_with_libs /usr/sbin/rsyslogd /usr/lib/x86_64-linux-gnu/rsyslog/*.so
fi
ln -s bin/guest-init.sh "$root/init"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nmcrlog:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.gz"

# --- boot ---------------------------------------------------------------
serial=$out/serial.log
tap=$out/tap.log
rm -f "$serial" "$tap" "$serial".boot*
if [ $arch = arm64 ]; then
	# virt has one UART (ttyAMA0, the kernel console); TAP goes to a
	# virtio console (hvc0), the verdict into the TAP stream (no
	# isa-debug-exit: QEMU exits 0 whatever the guest says). cortex-a72:
	# -cpu max emulates pointer authentication and is about 5x slower.
	append="console=ttyAMA0 panic=-1 oops=panic mcrmode=$mode mcrtap=/dev/hvc0 mcrverdict=tap"
	# One arm64 instruction costs several x86 ones under TCG: the tests'
	# real-time bounds are stretched twice (MCR_TIME_SCALE), unless
	# VM_APPEND says otherwise. kill_test's longest survivor stall was
	# 1.95 s against the 1.6 s it allows at scale 1 (README.md).
	case " ${VM_APPEND:-}" in
	*" mcrtimescale="*) ;;
	*) append="$append mcrtimescale=2" ;;
	esac
	append="$append ${VM_APPEND:-}"
	qemu=(qemu-system-aarch64 -M virt -cpu cortex-a72 -accel tcg
	      -m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}"
	      -kernel "$vmlinux" -initrd "$out/initramfs.gz"
	      -no-reboot -nic none)
	# shellcheck disable=SC2054 # the commas are QEMU's
	tapdev=(-device virtio-serial-device -chardev "file,id=tap,path=$tap"
		-device virtconsole,chardev=tap)
else
	# tsc=reliable: under TCG the TSC is the host's, but the clocksource
	# watchdog, timing it against emulated timers, would call it unstable.
	append="console=ttyS0 panic=-1 oops=panic tsc=reliable mcrmode=$mode ${VM_APPEND:-}"
	exit_dev="isa-debug-exit,iobase=0xf4,iosize=0x04"
	qemu=(qemu-system-x86_64 -accel tcg -m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}"
	      -kernel "$vmlinux" -initrd "$out/initramfs.gz"
	      -no-reboot -nic none -device "$exit_dev")
	tapdev=(-serial "file:$tap")
fi
# shellcheck disable=SC2086 # split the names, join them with commas
[ -z "${VM_TESTS:-}" ] || append="$append mcrtests=$(echo $VM_TESTS | tr ' ' ,)"
# The guest checks it brought up every CPU it was given: a kernel that
# cannot enumerate them runs on one, and the tests that need two skip.
append="$append mcrcpus=${VM_SMP:-2}"

# The guest's verdict where no exit device carries it: its last TAP
# comment, "# mcr-vm: verdict N" (0: pass). Maps it onto isa-debug-exit's
# statuses, 1 pass and 3 fail; 0 when there is none (the guest died).
tap_verdict() {	# tap_verdict FILE
	case $(sed -n 's/^# mcr-vm: verdict \([0-9]*\).*/\1/p' "$1" 2>/dev/null |
	       tail -n 1) in
	0) echo 1 ;;
	"") echo 0 ;;
	*) echo 3 ;;
	esac
}

case $mode in
shell)
	exec "${qemu[@]}" -nographic -append "$append"
	;;
demo)
	# Guest messages stay off the console; the demo prints its own.
	set +e
	if [ $arch = arm64 ]; then
		timeout "${VM_TIMEOUT:-600}" "${qemu[@]}" -display none \
			-monitor none -serial stdio \
			-append "$append quiet loglevel=1" | tee "$out/demo.log"
		rc=${PIPESTATUS[0]}
		[ "$rc" -eq 0 ] && rc=$(tap_verdict "$out/demo.log")
	else
		timeout "${VM_TIMEOUT:-600}" "${qemu[@]}" -display none \
			-monitor none -serial stdio \
			-append "$append quiet loglevel=1"
		rc=$?
	fi
	[ "$rc" -eq 1 ] && exit 0
	echo "demo: guest exited with status $rc" >&2
	exit 1
	;;
bench)
	# The table is the console's lines between the guest's markers;
	# printk.devkmsg=on and log_buf_len: mcrbench-vm writes /dev/kmsg
	# without a rate limit and reads every message back.
	# -cpu max: the benchmark's timer ends with rdtscp, which QEMU's
	# default x86 CPU model lacks.
	set +e
	timeout "${VM_TIMEOUT:-600}" "${qemu[@]}" -cpu max -display none \
		-monitor none -serial stdio -append "$append quiet loglevel=1 \
		printk.devkmsg=on log_buf_len=16M" | tee "$out/bench.log"
	rc=${PIPESTATUS[0]}
	set -e
	sed -n '/^# mcr-bench: begin/,/^# mcr-bench: end/p' "$out/bench.log" |
		sed '1d;$d' | tr -d '\r' >"$out/bench.md"
	[ "$rc" -eq 1 ] && [ -s "$out/bench.md" ] && exit 0
	echo "bench: guest exited with status $rc" >&2
	exit 1
	;;
test)
	# ttyS0 carries the kernel console, ttyS1 the clean TAP stream
	# (arm64: ttyAMA0 and hvc0).
	# A guest that writes no TAP line in VM_BOOT_TIMEOUT seconds hung in
	# the kernel's boot, before /init, before the module: booted once
	# more, and said so. (One .ci/run on 2026-12-05 saw Debian's 6.1-rt
	# write nothing at all in 600 s; the same row passed the run after.)
	# Anything after the first TAP line is the test run's. QEMU runs in
	# the background, where a non-interactive shell ignores SIGINT: an
	# interrupted run takes it down with it.
	set +e
	boot_limit=${VM_BOOT_TIMEOUT:-240}
	for try in 1 2; do
		timeout "${VM_TIMEOUT:-600}" "${qemu[@]}" -display none \
			-monitor none -serial "file:$serial" "${tapdev[@]}" \
			-append "$append quiet loglevel=4" &
		pid=$!
		trap 'kill $pid 2>/dev/null; exit 130' INT TERM
		waited=0
		while [ ! -s "$tap" ] && [ $waited -lt "$boot_limit" ] &&
		      kill -0 $pid 2>/dev/null; do
			sleep 1
			waited=$((waited + 1))
		done
		if [ -s "$tap" ] || ! kill -0 $pid 2>/dev/null; then
			wait $pid
			rc=$?
			break
		fi
		kill $pid
		wait $pid
		rc=125
		cp "$serial" "$serial.boot$try"
		hung="# vm: no TAP line in ${boot_limit}s (boot $try hung; its console: $serial.boot$try)"
		echo "$hung" >&2
	done
	set -e
	if [ -n "${hung:-}" ]; then
		if [ -s "$tap" ]; then
			sed -i "1i $hung" "$tap"
		else
			echo "$hung" >>"$tap"
		fi
	fi
	[ $arch = x86_64 ] || [ "$rc" -ne 0 ] || rc=$(tap_verdict "$tap")
	case $rc in
	1) why="" ;;
	3) why="guest reported failure" ;;
	124) why="timed out after ${VM_TIMEOUT:-600}s (hung guest)" ;;
	125) why="no TAP line in ${boot_limit}s, twice (boot hung)" ;;
	0) why="guest died or powered off early (panic?)" ;;
	*) why="qemu exited with status $rc" ;;
	esac
	if ! grep -q '^# mcr-vm: done' "$tap" 2>/dev/null; then
		why=${why:-"guest did not finish"}
	fi
	if [ -n "$why" ]; then
		echo "not ok - vm($krel): $why" >>"$tap"
		echo "vm: $why; last lines of $serial:" >&2
		tail -n 40 "$serial" >&2
		exit 1
	fi
	exit 0
	;;
*)
	echo "vm.sh: unknown mode '$mode'" >&2
	exit 2
	;;
esac
