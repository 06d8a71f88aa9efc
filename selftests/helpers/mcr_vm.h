/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the VM selftests: load and unload mcrring.ko with
 * given parameters, time and sleeps, sysfs and counters, the drain
 * thread's CPU time, and scan the kernel log. Reading /dev/mcrlog's
 * lines: mcr_vmlines.h; self-checking records: mcr_vmrec.h.
 */
#ifndef MCR_VM_H
#define MCR_VM_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mcrring.h"
#include "mcr_run.h"

#define MCR_DEV_PATH	"/dev/mcrlog"
#define MCR_SYSFS	"/sys/kernel/mcrring/"
#define NOBODY		65534		/* uid and gid of nobody */

/* Shared memory between a test and its children, read and written whole. */
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* A test that (re)loads the module needs root and the module file. */
#define REQUIRE_MODULE() do {						\
	if (geteuid() != 0)						\
		SKIP(return, "needs root to load modules");		\
	if (!mcr_module_path())						\
		SKIP(return, "MCR_MODULE does not name mcrring.ko");	\
} while (0)

/*
 * How much slower than Debian's kernel this one may be: bounds on real
 * time that a test asserts are multiplied by it. The debug kernels set
 * MCR_TIME_SCALE (scripts/guest-init.sh, mcrtimescale= on their command
 * line); 1 elsewhere.
 */
unsigned int mcr_time_scale(void);

/* mcr_vm.c compiles without the harness; a test includes it first. */
#ifndef MCR_HELPERS_C
#ifndef __KSELFTEST_HARNESS_H
#error "include kselftest_harness.h before mcr_vm.h"
#endif

/*
 * The harness's timeouts are real-time bounds too: TEST_HARNESS_MAIN's
 * main() calls test_harness_run(), which this replaces with one that
 * first stretches every test's timeout by mcr_time_scale().
 */
static inline int mcr_harness_run(int argc, char **argv)
{
	unsigned int scale = mcr_time_scale();

	for (struct __fixture_metadata *f = __fixture_list; f; f = f->next)
		for (struct __test_metadata *t = f->tests; t; t = t->next)
			t->timeout *= scale;
	return test_harness_run(argc, argv);
}
#define test_harness_run mcr_harness_run
#endif /* MCR_HELPERS_C */

/* CLOCK_MONOTONIC in ms, for deadlines (in ns: mcr_now_ns()). */
unsigned long long mcr_now_ms(void);

/*
 * Run @cmd, which prints a count (e.g. "... | wc -l"), until the count
 * reaches @want, for as long as it keeps moving: it may stand still for
 * @quiet_ms (times mcr_time_scale()) at most. Returns the last count, or
 * -1 when @cmd failed (exit status 1, grep -c counting none, is not).
 */
long mcr_wait_count(const char *cmd, long want, unsigned int quiet_ms);

/* Sleep @us microseconds, signals or not. */
void sleep_us(uint64_t us);

/* A xorshift generator; a test seeds rnd_state (odd) before use. */
extern uint64_t rnd_state;

uint64_t rnd(void);

/* Run the calling thread on @cpu only: 0 or -errno. */
int pin_to(int cpu);

/* The number in file @path (sysfs, procfs): 0 or -errno. */
int read_u64(const char *path, unsigned long long *v);

/* Write @s to @path in one write(): 0 or -errno. */
int write_str(const char *path, const char *s);

/* The number in file @path, or -1. */
long long sysfs_num(const char *path);

/* The number in MCR_SYSFS @name, e.g. "archived" or "cpu0/drained". */
int sysfs_u64(const char *name, unsigned long long *v);

/* The module's counters of ring @ring through device file @fd. */
int ring_counters(int fd, unsigned int ring, struct mcr_counters *c);

/*
 * In a child: a writer of ring @ring (MPSC, or SPSC ring 1 + cpu) and the
 * ring as libmcrring mapped it; exits 10 or 11 when they fail.
 */
const struct mcr_ring *child_ring(unsigned int ring, struct mcr_writer *w);

/* Path of mcrring.ko; the VM's /init exports it. NULL when unknown. */
const char *mcr_module_path(void);

/* Load the module file at @path with @params. Returns 0 or -errno. */
int mcr_load_file(const char *path, const char *params);

/* Load mcrring.ko with @params. Returns 0 or -errno. */
int mcr_load(const char *params);

/* Unload module @name: 0, -ENOENT when not loaded, -EAGAIN while in use. */
int mcr_unload_name(const char *name);

int mcr_unload(void);

bool mcr_loaded(void);

/* Make sure the module is loaded with exactly these parameters. */
int mcr_reload(const char *params);

/* --- the drain thread's CPU time ----------------------------------- */

pid_t drain_pid(void);

/* utime + stime of @pid in clock ticks, or -1. */
long long cpu_ticks(pid_t pid);

/* Percent of one CPU @pid used over @ms of wall time. */
int cpu_percent(pid_t pid, unsigned int ms);

/*
 * Count lines in the kernel log that a clean run must never produce.
 * A KCSAN report counts only when its title names mcrring: the debug
 * kernel's core code has races of its own. This is the quick check a test
 * makes of its own stretch of the log; scripts/klog-check.sh judges the
 * whole run at the end, and also finds mcrring in a report's stacks.
 * Returns the count, or -errno when the log cannot be read.
 */
int mcr_klog_bad_lines(void);

#endif /* MCR_VM_H */
