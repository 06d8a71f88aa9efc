// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the VM selftests: mcr_vm.h. */
#define MCR_HELPERS_C
#include "mcr_vm.h"

unsigned int mcr_time_scale(void)
{
	const char *s = getenv("MCR_TIME_SCALE");
	unsigned int v = s ? (unsigned int)strtoul(s, NULL, 10) : 1;

	return v ? v : 1;
}

unsigned long long mcr_now_ms(void)
{
	return mcr_now_ns() / 1000000;
}

long mcr_wait_count(const char *cmd, long want, unsigned int quiet_ms)
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

void sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t rnd_state;

uint64_t rnd(void)
{
	uint64_t x = rnd_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rnd_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int read_u64(const char *path, unsigned long long *v)
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

int write_str(const char *path, const char *s)
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

long long sysfs_num(const char *path)
{
	unsigned long long v;

	return read_u64(path, &v) ? -1 : (long long)v;
}

int sysfs_u64(const char *name, unsigned long long *v)
{
	char path[128];

	snprintf(path, sizeof(path), MCR_SYSFS "%s", name);
	return read_u64(path, v);
}

int ring_counters(int fd, unsigned int ring, struct mcr_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->ring = ring;
	return ioctl(fd, MCR_IOC_COUNTERS, c) ? -errno : 0;
}

const struct mcr_ring *child_ring(unsigned int ring, struct mcr_writer *w)
{
	struct mcr_set *set;

	if (mcr_open(NULL, &set))
		_exit(10);
	if (ring == MCR_RING_MPSC ? mcr_writer_mpsc(set, w) :
				    mcr_writer_spsc(set, ring - 1, w))
		_exit(11);
	return mcr_set_ring(set, ring);
}

const char *mcr_module_path(void)
{
	const char *p = getenv("MCR_MODULE");

	return p && access(p, R_OK) == 0 ? p : NULL;
}

int mcr_load_file(const char *path, const char *params)
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

int mcr_load(const char *params)
{
	return mcr_load_file(mcr_module_path(), params);
}

int mcr_unload_name(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

int mcr_unload(void)
{
	return mcr_unload_name("mcrring");
}

bool mcr_loaded(void)
{
	return access("/sys/module/mcrring", F_OK) == 0;
}

int mcr_reload(const char *params)
{
	int ret = mcr_unload();

	if (ret && ret != -ENOENT)
		return ret;
	return mcr_load(params);
}

pid_t drain_pid(void)
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

long long cpu_ticks(pid_t pid)
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

int cpu_percent(pid_t pid, unsigned int ms)
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

int mcr_klog_bad_lines(void)
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
