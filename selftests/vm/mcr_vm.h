/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the VM selftests: load and unload mcrring.ko with
 * given parameters, and scan the kernel log.
 */
#ifndef MCR_VM_H
#define MCR_VM_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MCR_DEV_PATH "/dev/mcrlog"

/* CLOCK_MONOTONIC in ms, for deadlines. */
static inline unsigned long long mcr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
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

/*
 * Count lines in the kernel log that a clean run must never produce.
 * Returns the count, or -errno when the log cannot be read.
 */
static inline int mcr_klog_bad_lines(void)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "general protection",
		"soft lockup", "hung task",
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
	     line = strtok_r(NULL, "\n", &save))
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(line, bad[i]))
				n++;
	free(buf);
	return n;
}

#endif /* MCR_VM_H */
