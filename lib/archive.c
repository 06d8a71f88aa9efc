// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmcrring: the archive (`cat /dev/mcrlog`) read back as records,
 * parsed exactly as proto/mcrring/text.h writes it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include <mcrring/text.h>

/* --- the archive, read back ------------------------------------------ */

struct mcr_archive {
	int fd;
	size_t off, have;	/* unread bytes: buf[off, have) */
	__u64 lost;		/* a marker seen, not yet given out */
	char buf[1 << 16];	/* holds at least one whole line */
};

MCR_EXPORT int mcr_archive_open(const char *path, bool nonblock,
				struct mcr_archive **out)
{
	struct mcr_archive *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->fd = open(path ? path : "/dev/" MCR_DEVICE_NAME,
		     O_RDONLY | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (a->fd < 0) {
		int ret = -errno;

		free(a);
		return ret;
	}
	*out = a;
	return 0;
}

MCR_EXPORT void mcr_archive_close(struct mcr_archive *a)
{
	if (!a)
		return;
	close(a->fd);
	free(a);
}

MCR_EXPORT int mcr_archive_fd(const struct mcr_archive *a)
{
	return a->fd;
}

static int mcr_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * A number as the module prints it: decimal digits, no sign, no space,
 * no leading zero, at most @max; then @sep. Advances *p past @sep.
 */
static bool mcr_take_num(const char **p, const char *end, __u64 max,
			 char sep, __u64 *v)
{
	const char *s = *p;
	__u64 x = 0;

	if (s == end || *s < '0' || *s > '9' ||
	    (*s == '0' && end - s > 1 && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned int d = *s - '0';

		if (d > max || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (s == end || *s != sep)
		return false;
	*p = s + 1;
	*v = x;
	return true;
}

/*
 * Parse one line (no newline) as the module writes it, proto/mcrring/text.h,
 * and nothing else: what the module would write differently (a number
 * out of its field's range or not as printf prints it, a byte it
 * escapes, an escape it does not write) is refused.
 */
static int mcr_parse_line(const char *line, size_t n, struct mcr_arecord *rec,
			  char *text)
{
	static const __u64 max[8] = {
		UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT32_MAX,
		UINT32_MAX, UINT32_MAX, MCR_FAC_MAX, MCR_SEV_MAX,
	};
	const char *p = line, *end = line + n;
	__u64 f[8], owner = 0, uid = 0;
	bool nul_escaped = false;
	size_t len = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (!mcr_take_num(&p, end, max[i], ',', &f[i]))
			return -EBADMSG;
	if (end - p >= 2 && p[0] == '-' && p[1] == ';')
		p += 2;
	else if (!mcr_take_num(&p, end, INT32_MAX, '/', &owner) || !owner ||
		 !mcr_take_num(&p, end, UINT32_MAX, ';', &uid))
		return -EBADMSG;
	memset(rec, 0, sizeof(*rec));
	for (; p < end; p++) {
		unsigned char b = *p;
		int hi, lo;

		if (len == MCR_TEXT_MAX)
			return -EBADMSG;
		if (b == '\t') {
			text[len++] = '\0';
			rec->flags |= MCR_FLAG_FIELDS;
			continue;
		}
		if (b == '\\' && end - p >= 4 && p[1] == 'x' &&
		    (hi = mcr_hex(p[2])) >= 0 && (lo = mcr_hex(p[3])) >= 0) {
			b = hi << 4 | lo;
			p += 3;
			if (!mcr_text_escaped(b))
				return -EBADMSG;
			nul_escaped |= !b;
		} else if (mcr_text_escaped(b)) {
			return -EBADMSG;
		}
		text[len++] = b;
	}
	/* With fields, the module writes a \0 as a tab, never as \x00. */
	if (nul_escaped && (rec->flags & MCR_FLAG_FIELDS))
		return -EBADMSG;
	rec->seq = f[0];
	rec->ts_ns = f[1];
	rec->ring = f[2];
	rec->cpu = f[3];
	rec->pid = f[4];
	rec->tid = f[5];
	rec->facility = f[6];
	rec->severity = f[7];
	rec->owner_pid = owner ? (__s32)owner : -1;
	rec->owner_uid = uid;
	rec->len = len;
	return 0;
}

/* A lost marker exactly as the module writes it; 0 or -EBADMSG. */
static int mcr_parse_lost(const char *line, size_t n, __u64 *lost)
{
	static const char tail[] = "records lost";
	const char *p = line + strlen(MCR_TEXT_LOST_HEAD);
	const char *end = line + n;

	if (!mcr_take_num(&p, end, UINT64_MAX, ' ', lost) ||
	    (size_t)(end - p) != strlen(tail) || memcmp(p, tail, end - p))
		return -EBADMSG;
	return 0;
}

MCR_EXPORT int mcr_archive_next(struct mcr_archive *a, struct mcr_arecord *rec,
				char *text)
{
	for (;;) {
		char *line = a->buf + a->off;
		char *nl = memchr(line, '\n', a->have - a->off);
		ssize_t n;

		if (nl) {
			size_t len = nl - line;
			int ret;
			__u64 lost;

			a->off += len + 1;
			if (len >= strlen(MCR_TEXT_LOST_HEAD) &&
			    !memcmp(line, MCR_TEXT_LOST_HEAD,
				    strlen(MCR_TEXT_LOST_HEAD))) {
				ret = mcr_parse_lost(line, len, &lost);
				if (ret)
					return ret;
				a->lost += lost;
				continue;
			}
			ret = mcr_parse_line(line, len, rec, text);
			if (ret)
				return ret;
			rec->lost = a->lost;
			a->lost = 0;
			return 1;
		}
		/* Only the unfinished line is kept: one move per read. */
		a->have -= a->off;
		memmove(a->buf, line, a->have);
		a->off = 0;
		if (a->have == sizeof(a->buf)) {
			a->have = 0;	/* longer than any line: drop it */
			return -EBADMSG;
		}
		n = read(a->fd, a->buf + a->have, sizeof(a->buf) - a->have);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return 0;
		a->have += (size_t)n;
	}
}
