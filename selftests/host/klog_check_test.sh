#!/bin/bash
# scripts/klog-check.sh on made-up kernel logs: what must fail a VM run
# and what must not. TAP on standard output.
set -u
# expect runs at the end of pipelines: keep its counts in this shell.
shopt -s lastpipe
top=$(cd "$(dirname "$0")/../.." && pwd)
check=$top/scripts/klog-check.sh
n=0
status=0

# expect NAME WANT: feed standard input to klog-check, want rc WANT.
expect() {
	local rc
	n=$((n + 1))
	"$check" >/dev/null 2>&1
	rc=$?
	if [ "$rc" -eq "$2" ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1 (exit status $rc, wanted $2)"
		status=1
	fi
}

# A KCSAN report; $1 is the access stacks.
kcsan() {
	echo '[  114.972170] =================================================================='
	echo "[  114.973001] BUG: KCSAN: data-race in $2"
	echo '[  114.973368] '
	printf '%s\n' "$1"
	echo '[  114.975675] value changed: 0x0000000000000001 -> 0x0000000000000000'
	echo '[  114.976024] Reported by Kernel Concurrency Sanitizer on:'
	echo '[  114.976312] CPU: 1 PID: 51 Comm: kill_test Tainted: G           O       6.1.192-mcr-kcsan #1'
	echo '[  114.976644] =================================================================='
}

# The core kernel's race, reported while the interrupt that made it had
# stopped a task inside mcrring.
irq_over_us='[  114.973501] race at unknown origin, with read to 0xffffffff81ff8800 of 8 bytes by interrupt on cpu 1:
[  114.973844]  _find_next_and_bit+0x40/0x100
[  114.974030]  trigger_load_balance+0x101/0x320
[  114.974093]  update_process_times+0xc2/0xe0
[  114.974385]  sysvec_apic_timer_interrupt+0x86/0xb0
[  114.974434]  asm_sysvec_apic_timer_interrupt+0x16/0x20
[  114.974482]  kcsan_setup_watchpoint+0x287/0x440
[  114.974673]  mcr_archive_read+0x3e0/0x640 [mcrring]
[  114.975102]  mcr_read+0x61/0x220 [mcrring]
[  114.975306]  ksys_read+0x7e/0x100'

# Two accesses of which one is mcrring code, called from the core.
ours_deep='[  10.1] write to 0xffff888003a1c008 of 8 bytes by task 80 on cpu 0:
[  10.2]  memcpy+0x10/0x40
[  10.3]  mcr_drain_one+0x120/0x300 [mcrring]
[  10.4]  kthread+0x1a0/0x1e0
[  10.5] 
[  10.6] read to 0xffff888003a1c008 of 8 bytes by task 81 on cpu 1:
[  10.7]  memcpy+0x10/0x40
[  10.8]  vfs_read+0xff/0x470'

# The core kernel's poll machinery racing with itself (seen under
# KCSAN_STRICT): mcrring is only the waker, below the wait-queue walk.
wake_over_us='[  131.755283] write (marked) to 0xffff88807f163c60 of 4 bytes by task 225 on cpu 1:
[  131.756805]  poll_schedule_timeout.constprop.0+0xf5/0x120
[  131.757104]  do_sys_poll+0x5e3/0x7c0
[  131.757262]  __x64_sys_poll+0xc2/0x1c0
[  131.758371] 
[  131.758371] write to 0xffff88807f163c60 of 4 bytes by task 226 on cpu 0:
[  131.759615]  pollwake+0xc1/0x100
[  131.759782]  __wake_up_common+0x6b/0x130
[  131.759943]  __wake_up_common_lock+0x6d/0xa0
[  131.760111]  mcr_archive_add+0x3c9/0x500 [mcrring]
[  131.761365]  mcr_drain_pass+0x2e4/0x500 [mcrring]
[  131.762188]  kthread+0x17f/0x1b0'

# The same, had mcrring installed a wake-up callback of its own: its
# frame is above the walk, so the race is its.
our_wake_fn=${wake_over_us/pollwake+0xc1\/0x100/mcr_wake_fn+0x10\/0x40 [mcrring]}

core_only='[  10.1] write to 0xffffffff82000000 of 4 bytes by task 1 on cpu 0:
[  10.2]  tick_nohz_idle_enter+0x10/0x80
[  10.3] 
[  10.4] read to 0xffffffff82000000 of 4 bytes by interrupt on cpu 1:
[  10.5]  trigger_load_balance+0x101/0x320
[  10.6]  asm_sysvec_apic_timer_interrupt+0x16/0x20'

echo "1..16"
printf '[    0.1] Linux version 6.1\n[    1.0] mcrring: loaded\n' |
	expect "a clean log passes" 0
printf '[    2.0] BUG: KASAN: use-after-free in mcr_read+0x10/0x20 [mcrring]\n' |
	expect "a KASAN report fails" 1
printf '[    2.0] WARNING: CPU: 0 PID: 1 at mm/slub.c:1 f+0x1/0x2\n' |
	expect "a WARNING anywhere fails" 1
kcsan "$irq_over_us" "_find_next_and_bit+0x40/0x100" |
	expect "a core race whose interrupt stopped mcrring passes" 0
kcsan "$ours_deep" "memcpy / memcpy" |
	expect "a race with mcrring in an access stack fails" 1
kcsan "$wake_over_us" "poll_schedule_timeout.constprop.0 / pollwake" |
	expect "a core race in a wake-up mcrring made passes" 0
kcsan "$our_wake_fn" "poll_schedule_timeout.constprop.0 / mcr_wake_fn" |
	expect "a race in mcrring's own wake-up callback fails" 1
kcsan "${wake_over_us/__wake_up_common+/__wake_up_uncommon+}" \
	"poll_schedule_timeout.constprop.0 / pollwake" |
	expect "mcrring below a frame that is not the wait-queue walk fails" 1
kcsan "$core_only" "tick_nohz_idle_enter / trigger_load_balance" |
	expect "a race of the core kernel alone passes" 0
kcsan "$core_only" "mcr_drain_one [mcrring] / mcr_read [mcrring]" |
	expect "a race that names mcrring in its title fails" 1
kcsan "$ours_deep" "memcpy / memcpy" | head -n 5 |
	expect "a KCSAN report cut short fails" 1
printf '%s\n' '[ 5.0] mcrring fault_test: injecting' \
	'[ 5.1] WARNING: CPU: 0 PID: 9 at kernel/trace/trace_events.c:123 f+0x1/0x2' \
	'[ 5.2] Call Trace:' '[ 5.3] mcrring fault_test: injection off' |
	expect "a listed WARN_ON under fault injection passes" 0
printf '%s\n' '[ 5.0] mcrring fault_test: injecting' \
	'[ 5.1] WARNING: CPU: 0 PID: 9 at kmod/ring.c:10 mcr_ring_alloc+0x1/0x2 [mcrring]' \
	'[ 5.3] mcrring fault_test: injection off' |
	expect "a WARNING in mcrring under fault injection fails" 1
printf '%s\n' '[132884.5] watchdog: BUG: soft lockup - CPU#0 stuck for 123749s! [kworker/u4:0:8]' \
	'[132884.6] Call Trace:' '[132884.7]  <TASK>' '[132884.8]  </TASK>' |
	expect "a soft lockup longer than any run (a clock jump) passes" 0
printf '%s\n' '[  80.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kill_test:90]' \
	'[  80.2] Call Trace:' |
	expect "a soft lockup of 22 s fails" 1
printf '%s\n' '[132884.5] watchdog: BUG: soft lockup - CPU#0 stuck for 123749s! [kworker/u4:0:8]' \
	'[132884.6] Call Trace:' '[132884.8]  </TASK>' \
	'[132890.0] BUG: KASAN: use-after-free in mcr_read+0x10/0x20 [mcrring]' |
	expect "a KASAN report after a clock jump still fails" 1
exit $status
