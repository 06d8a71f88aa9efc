/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/mcrlog's lines as the VM selftests read them: one parser for the
 * text form proto/mcrring/text.h defines, and two readers on top of it:
 *
 *   rd_*   hands out one line at a time, for tests that wait for
 *          particular records (a non-blocking file and a deadline);
 *   arc_*  hands every line of a stream to a callback and counts what
 *          it saw: lost markers, malformed lines, sequence breaks.
 *
 * The tests parse the raw text on purpose, rather than through
 * libmcrring's mcr_archive_next(): the format and its escaping are what
 * several of them check.
 */
#ifndef MCR_VMLINES_H
#define MCR_VMLINES_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mcrring/text.h>
#include "mcr_vm.h"

/* --- one line --------------------------------------------------------- */

/* SEQ,TS_NS,RING,CPU,PID,TID,FACILITY,SEVERITY,OWNER;MESSAGE */
struct mline {
	unsigned long long seq, ts;
	unsigned int ring, cpu, pid, tid, fac, sev;
	char owner[32];		/* as written: "pid/uid" or "-" */
	int owner_pid;		/* 0 for "-" */
	unsigned int owner_uid;
	const char *msg;	/* escaped message and fields, to the end */
};

/*
 * A decimal number, digits only and no larger than 64 bits, ending at
 * @end; advances *s past @end.
 */
bool take_u64(const char **s, char end, uint64_t *v);

/*
 * Parse the line @s (no '\n') into @m, which points into it.
 * Returns 0 for a record, 1 for a lost marker, -1 for anything else.
 */
int parse_line(const char *s, struct mline *m);

/* --- one line at a time ----------------------------------------------- */

#define RBUF	(1 << 17)
struct rd {
	int fd;
	size_t off, have;	/* unread bytes: buf[off, have) */
	char buf[RBUF];
};

/* /dev/mcrlog opened with O_RDONLY | O_CLOEXEC | @flags, or NULL. */
struct rd *rd_open(int flags);

void rd_close(struct rd *r);

/* Forget what was buffered, e.g. after lseek(). */
void rd_reset(struct rd *r);

/*
 * The next line of a non-blocking @r, NUL-terminated in place without
 * its '\n', valid until the next call. Returns its length, -ETIMEDOUT
 * after @timeout_ms, or -errno of a failed read (*@line is NULL then).
 */
ssize_t rd_line(struct rd *r, char **line, int timeout_ms);

/* --- every line, to a callback ---------------------------------------- */

typedef void (*arc_cb)(void *ctx, const struct mline *l);

#define ARC_BUF (1 << 20)

struct arc {
	int fd;
	char *buf;
	size_t have;
	uint64_t lines, lost_markers, malformed, unprintable, seq_breaks;
	uint64_t next_seq;
	bool seq_known;
	bool check_bytes;		/* count unescaped bytes (invariant 8) */
};

int arc_open(struct arc *a);

void arc_close(struct arc *a);

/*
 * Wait up to @timeout_ms for the archive to become readable (poll, like a
 * `cat` that must not hang), read, and hand every whole line to @cb.
 * Returns the number of lines, 0 when nothing came, or -errno.
 */
int arc_pump(struct arc *a, int timeout_ms, arc_cb cb, void *ctx);

#endif /* MCR_VMLINES_H */
