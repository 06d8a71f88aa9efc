// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for libmcrring's archive reader, mcr_archive_next():
 * arbitrary bytes as the text of /dev/mcrlog.
 *
 * Input: a flags byte, a seed for the sizes of the pieces the stream is
 * written in, optionally a run of one byte about 64 KiB long to insert
 * (longer than the reader's buffer: input that long would be slow to
 * find), then the stream. The stream goes through a pipe in pieces, each
 * read out with mcr_archive_next() until it returns 0 (nothing new), so
 * lines are split across read(2) calls at every place.
 *
 * A model splits the same stream into lines and says what each one must
 * give. A line is a record exactly when it is the line the module prints
 * for some record it can hold (fuzz_line.h formats it): the
 * reference decodes it loosely, formats what it decoded and compares,
 * so a leading zero, a sign, a space, a number too big for its field, an
 * escape of a byte that needs none, or any byte the module escapes make
 * it no record. A lost marker is likewise exactly "# mcrring: N records
 * lost" as the module prints it. The reader keeps 1 << 16 bytes: a line
 * with no '\n' in its first 1 << 16 bytes is refused and those bytes
 * dropped; a last line with no '\n' is never given out.
 *
 * Checked (__builtin_trap on failure, ASan/UBSan throughout):
 *   - mcr_archive_next() returns 1, 0 or -EBADMSG, nothing else;
 *   - each line gives what the model says, in order: a record (1) with
 *     the reference's fields and text, and as its lost count the sum of
 *     the markers since the previous record; -EBADMSG for anything else
 *     but a marker; nothing more once the stream is exhausted;
 *   - the text buffer is exactly MCR_TEXT_MAX bytes long.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "mcrring.h"
#include "fuzz_line.h"

#define ABUF		(1 << 16)	/* struct mcr_archive's buf */
#define MAX_PIECES	64
#define PIPE_MAX	(1 << 16)	/* Linux's default pipe capacity */

enum { EV_RECORD = 1, EV_BAD };

struct event {
	int kind;
	struct mcr_arecord rec;
	unsigned char *text;	/* rec.len bytes, EV_RECORD only */
};

static struct event *evs;
static size_t nev, ev_cap;

static struct event *ev_add(int kind)
{
	if (nev == ev_cap) {
		ev_cap = ev_cap ? 2 * ev_cap : 64;
		evs = realloc(evs, ev_cap * sizeof(*evs));
		check(evs);
	}
	memset(&evs[nev], 0, sizeof(evs[nev]));
	evs[nev].kind = kind;
	return &evs[nev++];
}

/* Digits, at least one, in a u64 that may wrap: the compare catches it. */
static bool take_num(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9')
		*v = *v * 10 + (uint64_t)(*s++ - '0');
	if (s == *p)
		return false;
	*p = s;
	return true;
}

static bool take_sep(const char **p, const char *end, char c)
{
	if (*p == end || **p != c)
		return false;
	(*p)++;
	return true;
}

static int any_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does the module print exactly this line (no '\n') for some record? */
static bool ref_record(const char *line, size_t n, struct mcr_arecord *r,
		       unsigned char *text)
{
	const char *p = line, *end = line + n;
	uint64_t f[8], opid = 0, ouid = 0;
	struct mcr_text_rec a = { 0 };
	static char *fmt;
	size_t len = 0;

	if (!fmt)
		fmt = malloc(MCR_LINE_MAX);
	check(fmt);
	for (int i = 0; i < 8; i++)
		if (!take_num(&p, end, &f[i]) || !take_sep(&p, end, ','))
			return false;
	if (end - p >= 2 && p[0] == '-' && p[1] == ';') {
		p += 2;
	} else if (!take_num(&p, end, &opid) || !take_sep(&p, end, '/') ||
		   !take_num(&p, end, &ouid) || !take_sep(&p, end, ';') ||
		   !opid || opid > INT32_MAX) {
		return false;
	}
	memset(r, 0, sizeof(*r));
	while (p < end) {
		int hi, lo;

		if (len == MCR_TEXT_MAX)
			return false;
		if (*p == '\t') {
			text[len++] = 0;
			r->flags = MCR_FLAG_FIELDS;
			p++;
		} else if (*p != '\\') {
			text[len++] = (unsigned char)*p++;
		} else if (end - p >= 4 && p[1] == 'x' &&
			   (hi = any_hex(p[2])) >= 0 &&
			   (lo = any_hex(p[3])) >= 0) {
			text[len++] = (unsigned char)(hi << 4 | lo);
			p += 4;
		} else {
			return false;
		}
	}
	if (f[6] > MCR_FAC_MAX || f[7] > MCR_SEV_MAX)
		return false;
	a.seq = f[0];
	a.ts_ns = f[1];
	a.ring = (uint32_t)f[2];
	a.cpu = (uint32_t)f[3];
	a.pid = (uint32_t)f[4];
	a.tid = (uint32_t)f[5];
	a.pri = (uint8_t)MCR_PRI(f[6], f[7]);
	a.flags = r->flags;
	a.owner_pid = (int32_t)opid;
	a.owner_uid = (uint32_t)ouid;
	a.len = (uint32_t)len;
	a.text = text;
	if (mcr_text_line(fmt, &a) != n + 1 || memcmp(fmt, line, n))
		return false;
	r->seq = a.seq;
	r->ts_ns = a.ts_ns;
	r->ring = a.ring;
	r->cpu = a.cpu;
	r->pid = a.pid;
	r->tid = a.tid;
	r->facility = (uint8_t)f[6];
	r->severity = (uint8_t)f[7];
	r->owner_pid = opid ? a.owner_pid : -1;
	r->owner_uid = a.owner_uid;
	r->len = a.len;
	return true;
}

/* Is this line (no '\n') a lost marker as the module prints it? */
static bool ref_lost(const char *line, size_t n, uint64_t *lost)
{
	const char *p = line + strlen(MCR_TEXT_LOST_HEAD);
	char want[64];

	if (!take_num(&p, line + n, lost))
		return false;
	return (size_t)snprintf(want, sizeof(want), MCR_TEXT_LOST,
				(unsigned long long)*lost) == n + 1 &&
	       !memcmp(want, line, n);
}

/* What mcr_archive_next() must give for @s, in order. */
static void model(const char *s, size_t len)
{
	size_t pos = 0, head = strlen(MCR_TEXT_LOST_HEAD);
	static unsigned char text[MCR_TEXT_MAX];
	struct mcr_arecord rec;
	uint64_t lost = 0, v;

	while (pos < len) {
		size_t room = len - pos < ABUF ? len - pos : ABUF;
		const char *line = s + pos, *nl = memchr(line, '\n', room);
		struct event *e;
		size_t n;

		if (!nl) {
			if (len - pos < ABUF)
				break;	/* an unfinished last line */
			ev_add(EV_BAD);
			pos += ABUF;
			continue;
		}
		n = (size_t)(nl - line);
		pos += n + 1;
		if (n >= head && !memcmp(line, MCR_TEXT_LOST_HEAD, head)) {
			if (ref_lost(line, n, &v))
				lost += v;
			else
				ev_add(EV_BAD);
			continue;
		}
		if (!ref_record(line, n, &rec, text)) {
			ev_add(EV_BAD);
			continue;
		}
		e = ev_add(EV_RECORD);
		e->rec = rec;
		e->rec.lost = lost;
		lost = 0;
		e->text = malloc(rec.len ? rec.len : 1);
		check(e->text);
		memcpy(e->text, text, rec.len);
	}
}

static size_t next_ev;

static void take_all(struct mcr_archive *a, char *text)
{
	struct mcr_arecord rec;
	int ret;

	while ((ret = mcr_archive_next(a, &rec, text))) {
		const struct event *e;

		check(ret == 1 || ret == -EBADMSG);
		check(next_ev < nev);
		e = &evs[next_ev++];
		if (ret == -EBADMSG) {
			check(e->kind == EV_BAD);
			continue;
		}
		check(e->kind == EV_RECORD);
		check(rec.seq == e->rec.seq && rec.ts_ns == e->rec.ts_ns);
		check(rec.lost == e->rec.lost);
		check(rec.ring == e->rec.ring && rec.cpu == e->rec.cpu);
		check(rec.pid == e->rec.pid && rec.tid == e->rec.tid);
		check(rec.owner_pid == e->rec.owner_pid);
		check(rec.owner_uid == e->rec.owner_uid);
		check(rec.facility == e->rec.facility);
		check(rec.severity == e->rec.severity);
		check(rec.flags == e->rec.flags && rec.len == e->rec.len);
		check(!memcmp(text, e->text, rec.len));
	}
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static const size_t piece_max[4] = { PIPE_MAX, 16, 512, 8192 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_input in = { data, size };
	uint8_t fl = (uint8_t)fl_take(&in, 1);
	uint32_t seed = (uint32_t)fl_take(&in, 2) | 1 << 16;
	size_t run = 0, at = 0, len, done = 0;
	struct mcr_archive *a;
	char path[64], *s, *text;
	int fds[2], pieces = 0;
	uint8_t run_byte = 0;

	if (fl & 4) {
		run = ABUF - 16 + fl_take(&in, 1) % 32;
		run_byte = (uint8_t)fl_take(&in, 1);
		at = fl_take(&in, 2);
	}
	at = at % (in.n + 1);
	len = in.n + run;
	s = malloc(len ? len : 1);
	text = malloc(MCR_TEXT_MAX);
	check(s && text);
	memcpy(s, in.p, at);
	memset(s + at, run_byte, run);
	memcpy(s + at + run, in.p + at, in.n - at);

	nev = next_ev = 0;
	model(s, len);

	check(!pipe2(fds, O_CLOEXEC));
	check(fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	check(!mcr_archive_open(path, true, &a));
	close(fds[0]);
	while (done < len) {
		size_t n = len - done;

		if (pieces++ < MAX_PIECES)
			n = 1 + rnd(&seed) % piece_max[fl & 3];
		if (n > len - done)
			n = len - done;
		if (n > PIPE_MAX)
			n = PIPE_MAX;
		/* The reader emptied the pipe: all of it goes in at once. */
		check(write(fds[1], s + done, n) == (ssize_t)n);
		done += n;
		take_all(a, text);
	}
	close(fds[1]);
	take_all(a, text);	/* end of file */
	check(next_ev == nev);
	mcr_archive_close(a);

	for (size_t i = 0; i < nev; i++)
		free(evs[i].text);
	free(text);
	free(s);
	return 0;
}
