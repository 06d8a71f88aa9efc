#!/bin/sh
# Print the lines of a kernel log that fail a test run, exit 1 if there is
# any. Runs in the guest (busybox) after the tests, and on the host.
#
# usage: scripts/klog-check.sh [FILE]      (default: standard input)
#
# A run fails on:
#  - BUG:, WARNING:, Oops, general protection, Call Trace, soft lockups,
#    hung tasks, RCU stalls;
#  - the debug kernels' detectors: KASAN, UBSAN, lockdep (and lockdep
#    switching itself off), list corruption, debugobjects (ODEBUG),
#    kmemleak;
#  - a KCSAN data race with mcrring (the module or its test module) in
#    one of its access stacks. Only the frames above an interrupt entry
#    count: below it is whatever the interrupt happened to stop, which may
#    be mcrring without being part of the race. Likewise above the
#    wait-queue walk (__wake_up_common): below it is whoever called
#    wake_up(), and the waiters' callbacks it runs (pollwake(), ...)
#    touch the waiters' state, not the waker's; a callback of mcrring's
#    own would be above it. Races of the core kernel alone are the
#    kernel's own: counted on standard error, not failed.
# While selftests/vm/fault_test fails allocations on purpose (between its
# "mcrring fault_test: injecting" and "injection off" lines), stack dumps
# are expected (the kernel prints one per failed page allocation), and so
# are the warnings of the few core kernel sites listed in enomem_warn,
# which WARN_ON() an allocation failure; these are counted on standard
# error. Every other report still fails, warnings in mcrring included.
# A soft lockup longer than any run can last (the host kills a guest after
# its timeout, DEBUG_TIMEOUT at most, 1800 s) is the guest's clock jumping
# while the machine running QEMU was paused or snapshotted, not a CPU
# stuck: seen once as "stuck for 123749s!" six minutes into a run. It is
# counted on standard error, the stack dump's "Call Trace:" with it.
set -u

awk '
BEGIN {
	bad = "BUG:|WARNING:|Oops|general protection|soft lockup|hung task|" \
	      "blocked for more than|detected stall|Call Trace|KASAN|UBSAN:|" \
	      "possible circular locking|inconsistent lock state|" \
	      "possible recursive locking|suspicious RCU usage|" \
	      "lockdep is turned off|locking correctness validator|" \
	      "list_add corruption|list_del corruption|ODEBUG:|" \
	      "suspected memory leak|leak detector disabled"
	# kernel/trace/trace_events.c: event_define_fields(), loading a
	# module with trace events, when a field cannot be allocated.
	enomem_warn = " at kernel/trace/trace_events\\.c:"
	failed = 0; in_kcsan = 0; others = 0; injecting = 0; exempt = 0
	jumps = 0; in_jump = 0
}
in_jump {
	in_jump--
	if ($0 ~ /<\/TASK>/)
		in_jump = 0
	if ($0 ~ /Call Trace/)
		next
}
/soft lockup - CPU#[0-9]+ stuck for [0-9]+s!/ {
	match($0, /stuck for [0-9]+s/)
	if (substr($0, RSTART + 10, RLENGTH - 11) + 0 > 3600) {
		jumps++
		in_jump = 60
		next
	}
}
in_kcsan {
	report = report "\n" $0
	# Each access stack starts with a line saying who made the access.
	if ($0 ~ /(read|write).* by (task|interrupt)|race at unknown origin/)
		below = 0
	else if ($0 ~ /asm_sysvec_|asm_common_interrupt|__wake_up_common\+/)
		below = 1
	else if (!below && $0 ~ /mcrring/)
		ours = 1
	if ($0 ~ /==========/) {
		if (ours) {
			print report
			failed = 1
		} else {
			others++
		}
		in_kcsan = 0
	}
	next
}
/BUG: KCSAN:/ {
	in_kcsan = 1
	report = $0
	ours = ($0 ~ /mcrring/)
	below = 0
	next
}
/mcrring fault_test: injecting/ { injecting = 1; next }
/mcrring fault_test: injection off/ { injecting = 0; next }
injecting && /Call Trace/ { next }
injecting && /WARNING: CPU: [0-9]+ PID: [0-9]+ at / && !/mcrring/ &&
    $0 ~ enomem_warn {
	exempt++
	next
}
$0 ~ bad {
	print
	failed = 1
}
END {
	if (in_kcsan) {		# cut short: judge what there is
		print report
		failed = 1
	}
	if (others)
		printf "%d KCSAN report(s) of core kernel code only\n", \
			others | "cat >&2"
	if (jumps)
		printf "%d soft lockup(s) longer than a run: the clock " \
			"jumped\n", jumps | "cat >&2"
	if (exempt)
		printf "%d kernel WARN_ON(s) of failed allocations under " \
			"fault injection\n", exempt | "cat >&2"
	close("cat >&2")
	exit failed
}' "$@"
