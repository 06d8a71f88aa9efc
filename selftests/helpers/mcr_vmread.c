// SPDX-License-Identifier: GPL-2.0
/* What the tests of /dev/mcrlog's read semantics share: mcr_vmread.h. */
#include <limits.h>
#include <stdio.h>

#define MCR_HELPERS_C
#include "mcr_vmread.h"

#define PRI		MCR_PRI(1, 6)

unsigned long long archived(void)
{
	unsigned long long v = ULLONG_MAX;

	sysfs_u64("archived", &v);
	return v;
}

size_t escape(char *out, const void *in, size_t n)
{
	const unsigned char *s = in;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			o += sprintf(out + o, "\\x%02x", s[i]);
		else
			out[o++] = (char)s[i];
	}
	out[o] = '\0';
	return o;
}

void make_tag(char *tag, size_t size, const char *what)
{
	static unsigned int n;

	snprintf(tag, size, "%s-%d-%u", what, getpid(), n++);
}

int start_clean(struct rd *r, struct mcr_writer *w)
{
	char tag[64], *line;
	ssize_t n;

	if (lseek(r->fd, 0, SEEK_END))
		return -errno;
	rd_reset(r);
	make_tag(tag, sizeof(tag), "sync");
	if (mcr_log(w, PRI, tag, strlen(tag)))
		return -EIO;
	do {
		n = rd_line(r, &line, WAIT_MS);
		if (n < 0)
			return (int)n;
	} while (!strstr(line, tag));
	if (lseek(r->fd, 0, SEEK_END))
		return -errno;
	rd_reset(r);
	return 0;
}

char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

bool wait_sleeping(pid_t tid, const _Atomic int *entered)
{
	uint64_t deadline = mcr_now_ns() + 5000000000ULL * mcr_time_scale();

	while (mcr_now_ns() < deadline) {
		if (*entered && thread_state(tid) == 'S')
			return true;
		sleep_us(1000);
	}
	return false;
}

int env_open(struct env *e, int rd_flags)
{
	int ret = mcr_open(NULL, &e->set);

	if (ret)
		return ret;
	ret = mcr_writer_mpsc(e->set, &e->w);
	if (ret)
		return ret;
	e->r = rd_open(O_NONBLOCK | rd_flags);
	if (!e->r)
		return -errno;
	return start_clean(e->r, &e->w);
}

void env_close(struct env *e)
{
	rd_close(e->r);
	mcr_set_close(e->set);
	memset(e, 0, sizeof(*e));
}
