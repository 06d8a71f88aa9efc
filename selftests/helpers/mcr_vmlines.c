// SPDX-License-Identifier: GPL-2.0
/* /dev/mcrlog's lines as the VM selftests read them: mcr_vmlines.h. */
#define MCR_HELPERS_C
#include "mcr_vmlines.h"

bool take_u64(const char **s, char end, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*v > (UINT64_MAX - (*p - '0')) / 10)
			return false;
		*v = *v * 10 + (*p - '0');
	}
	if (*p != end)
		return false;
	*s = p + 1;
	return true;
}

int parse_line(const char *s, struct mline *m)
{
	uint64_t f[8], pid, uid;
	const char *owner;

	if (!strncmp(s, MCR_TEXT_LOST_HEAD, strlen(MCR_TEXT_LOST_HEAD)))
		return 1;
	for (int i = 0; i < 8; i++)
		if (!take_u64(&s, ',', &f[i]) || (i >= 2 && f[i] > UINT_MAX))
			return -1;
	owner = s;
	if (s[0] == '-' && s[1] == ';') {
		pid = uid = 0;
		s += 2;
	} else if (!take_u64(&s, '/', &pid) || !take_u64(&s, ';', &uid) ||
		   !pid || pid > INT_MAX || uid > UINT_MAX) {
		return -1;
	}
	/* s - 1 is the ';'; at most 10 + 1 + 10 bytes before it. */
	memcpy(m->owner, owner, s - 1 - owner);
	m->owner[s - 1 - owner] = '\0';
	m->owner_pid = (int)pid;
	m->owner_uid = (unsigned int)uid;
	m->seq = f[0];
	m->ts = f[1];
	m->ring = f[2];
	m->cpu = f[3];
	m->pid = f[4];
	m->tid = f[5];
	m->fac = f[6];
	m->sev = f[7];
	m->msg = s;
	return 0;
}

struct rd *rd_open(int flags)
{
	struct rd *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = open(MCR_DEV_PATH, O_RDONLY | O_CLOEXEC | flags);
	if (r->fd < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void rd_close(struct rd *r)
{
	if (r) {
		close(r->fd);
		free(r);
	}
}

void rd_reset(struct rd *r)
{
	r->off = r->have = 0;
}

ssize_t rd_line(struct rd *r, char **line, int timeout_ms)
{
	uint64_t deadline = mcr_now_ns() + (uint64_t)timeout_ms * 1000000;

	*line = NULL;
	for (;;) {
		char *start = r->buf + r->off;
		char *nl = memchr(start, '\n', r->have - r->off);
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		uint64_t now;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			*line = start;
			r->off = nl - r->buf + 1;
			return nl - start;
		}
		memmove(r->buf, start, r->have - r->off);
		r->have -= r->off;
		r->off = 0;
		n = read(r->fd, r->buf + r->have, RBUF - 1 - r->have);
		if (n > 0) {
			r->have += n;
			continue;
		}
		if (n == 0)
			return -EIO;	/* read(2) never returns 0 here */
		if (errno != EAGAIN)
			return -errno;
		now = mcr_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
	}
}

int arc_open(struct arc *a)
{
	memset(a, 0, sizeof(*a));
	a->buf = malloc(ARC_BUF);
	if (!a->buf)
		return -ENOMEM;
	/* Blocking: arc_pump() polls before it reads. */
	a->fd = open(MCR_DEV_PATH, O_RDONLY | O_CLOEXEC);
	return a->fd < 0 ? -errno : 0;
}

void arc_close(struct arc *a)
{
	if (a->fd > 0)
		close(a->fd);
	free(a->buf);
	a->buf = NULL;
	a->fd = -1;
}

int arc_pump(struct arc *a, int timeout_ms, arc_cb cb, void *ctx)
{
	struct pollfd p = { .fd = a->fd, .events = POLLIN };
	char *start, *nl;
	int got = 0, r;
	ssize_t n;

	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (!r)
		return 0;
	n = read(a->fd, a->buf + a->have, ARC_BUF - 1 - a->have);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (!n)
		return -EIO;		/* never EOF */
	a->have += n;
	start = a->buf;
	while ((nl = memchr(start, '\n', a->buf + a->have - start))) {
		struct mline l;

		*nl = '\0';
		for (char *c = start; a->check_bytes && c < nl; c++)
			if ((unsigned char)*c < 0x20 ? *c != '\t' :
			    (unsigned char)*c >= 0x7f)
				a->unprintable++;
		switch (parse_line(start, &l)) {
		case 0:
			if (a->seq_known && l.seq != a->next_seq)
				a->seq_breaks++;
			a->seq_known = true;
			a->next_seq = l.seq + 1;
			a->lines++;
			got++;
			if (cb)
				cb(ctx, &l);
			break;
		case 1:
			a->lost_markers++;
			a->seq_known = false;
			break;
		default:
			a->malformed++;
		}
		start = nl + 1;
	}
	a->have -= start - a->buf;
	memmove(a->buf, start, a->have);
	return got;
}
