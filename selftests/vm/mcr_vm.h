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
#include "../mcr_run.h"

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
static inline unsigned int mcr_time_scale(void)
{
	const char *s = getenv("MCR_TIME_SCALE");
	unsigned int v = s ? (unsigned int)strtoul(s, NULL, 10) : 1;

	return v ? v : 1;
}

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

/* CLOCK_MONOTONIC in ms, for deadlines (in ns: mcr_now_ns()). */
static inline unsigned long long mcr_now_ms(void)
{
	return mcr_now_ns() / 1000000;
}

/*
 * Run @cmd, which prints a count (e.g. "... | wc -l"), until the count
 * reaches @want, for as long as it keeps moving: it may stand still for
 * @quiet_ms (times mcr_time_scale()) at most. Returns the last count, or
 * -1 when @cmd failed (exit status 1, grep -c counting none, is not).
 */
static inline long mcr_wait_count(const char *cmd, long want,
				  unsigned int quiet_ms)
{
	unsigned long long quiet = (unsigned long long)quiet_ms *
				   mcr_time_scale();
	unsigned long long until = mcr_now_ms() + quiet;
	long n = -1, last = -1;
	char out[64];

	while (mcr_now_ms() < until) {
		if (sh(cmd, out, sizeof(out)) > 1 ||
		    sscanf(out, "%ld", &n) != 1)
			return -1;
		if (n >= want)
			return n;
		if (n != last)
			until = mcr_now_ms() + quiet;
		last = n;
		usleep(50000);
	}
	return n;
}

/* Sleep @us microseconds, signals or not. */
static inline void sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A xorshift generator; a test seeds rnd_state (odd) before use. */
static uint64_t rnd_state;

static inline uint64_t rnd(void)
{
	uint64_t x = rnd_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rnd_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Run the calling thread on @cpu only: 0 or -errno. */
static inline int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* The number in file @path (sysfs, procfs): 0 or -errno. */
static inline int read_u64(const char *path, unsigned long long *v)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return sscanf(buf, "%llu", v) == 1 ? 0 : -EINVAL;
}

/* Write @s to @path in one write(): 0 or -errno. */
static inline int write_str(const char *path, const char *s)
{
	ssize_t len = strlen(s), n;
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if (n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* The number in file @path, or -1. */
static inline long long sysfs_num(const char *path)
{
	unsigned long long v;

	return read_u64(path, &v) ? -1 : (long long)v;
}

/* The number in MCR_SYSFS @name, e.g. "archived" or "cpu0/drained". */
static inline int sysfs_u64(const char *name, unsigned long long *v)
{
	char path[128];

	snprintf(path, sizeof(path), MCR_SYSFS "%s", name);
	return read_u64(path, v);
}

/* The module's counters of ring @ring through device file @fd. */
static inline int ring_counters(int fd, unsigned int ring,
				struct mcr_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->ring = ring;
	return ioctl(fd, MCR_IOC_COUNTERS, c) ? -errno : 0;
}

/* Path of mcrring.ko; the VM's /init exports it. NULL when unknown. */
static inline const char *mcr_module_path(void)
{
	const char *p = getenv("MCR_MODULE");

	return p && access(p, R_OK) == 0 ? p : NULL;
}

/* Load the module file at @path with @params. Returns 0 or -errno. */
static inline int mcr_load_file(const char *path, const char *params)
{
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Load mcrring.ko with @params. Returns 0 or -errno. */
static inline int mcr_load(const char *params)
{
	return mcr_load_file(mcr_module_path(), params);
}

/* Unload module @name: 0, -ENOENT when not loaded, -EAGAIN while in use. */
static inline int mcr_unload_name(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static inline int mcr_unload(void)
{
	return mcr_unload_name("mcrring");
}

static inline bool mcr_loaded(void)
{
	return access("/sys/module/mcrring", F_OK) == 0;
}

/* Make sure the module is loaded with exactly these parameters. */
static inline int mcr_reload(const char *params)
{
	int ret = mcr_unload();

	if (ret && ret != -ENOENT)
		return ret;
	return mcr_load(params);
}

/* --- the drain thread's CPU time ----------------------------------- */

static inline pid_t drain_pid(void)
{
	char path[64], comm[64];

	for (pid_t p = 2; p < 4096; p++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", p);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "mcrring-drain", 13)) {
			fclose(f);
			return p;
		}
		fclose(f);
	}
	return -1;
}

/* utime + stime of @pid in clock ticks, or -1. */
static inline long long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p)
		p = strrchr(buf, ')');
	if (!p)
		return -1;
	/*
	 * After ")": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime.
	 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return -1;
	return ut + st;
}

/* Percent of one CPU @pid used over @ms of wall time. */
static inline int cpu_percent(pid_t pid, unsigned int ms)
{
	long hz = sysconf(_SC_CLK_TCK);
	long long t0 = cpu_ticks(pid), t1;
	uint64_t w0 = mcr_now_ns(), w1;

	sleep_us(ms * 1000ULL);
	t1 = cpu_ticks(pid);
	w1 = mcr_now_ns();
	if (t0 < 0 || t1 < 0)
		return -1;
	return (int)((t1 - t0) * 100 * 1000000000LL / hz / (int64_t)(w1 - w0));
}

/*
 * Count lines in the kernel log that a clean run must never produce.
 * A KCSAN report counts only when its title names mcrring: the debug
 * kernel's core code has races of its own. This is the quick check a test
 * makes of its own stretch of the log; scripts/klog-check.sh judges the
 * whole run at the end, and also finds mcrring in a report's stacks.
 * Returns the count, or -errno when the log cannot be read.
 */
static inline int mcr_klog_bad_lines(void)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "general protection",
		"soft lockup", "hung task", "UBSAN:",
	};
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	int n = 0;
	char *buf, *line, *save;

	if (len <= 0)
		return len < 0 ? -errno : 0;
	buf = calloc(1, len + 1);
	if (!buf)
		return -ENOMEM;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -errno;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "BUG: KCSAN:") && !strstr(line, "mcrring"))
			continue;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(line, bad[i]))
				n++;
	}
	free(buf);
	return n;
}

#endif /* MCR_VM_H */
