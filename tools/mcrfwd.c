// SPDX-License-Identifier: GPL-2.0
/*
 * mcrfwd: forwards the mcrring archive to syslog servers (RFC 5424 over
 * TCP, UDP or RELP, or the local /dev/log) and to the systemd journal
 * (its native socket, or the export format to systemd-journal-remote).
 *
 * Records go in batches. A sink takes a batch whole before the next one
 * is read: TCP once the server's stack acknowledged every byte, RELP
 * once the server answered every frame "200 OK", the journal export
 * once systemd-journal-remote answered the POST, a datagram sink once
 * it was sent. Then each sink's cursor, the sequence of the next record
 * it needs, is written to the state file (atomically, synced), so that a
 * restart resumes right after it. A batch a sink failed is sent again
 * after a reconnect with backoff, from the first frame the sink did not
 * take; every copy that may be a second one goes out marked resent.
 *
 * Every socket is non-blocking and every wait bounded (IO_TIMEOUT_MS),
 * so a server that stalls is a failure to retry, and SIGTERM is heeded
 * within a tenth of a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "mcr_tool.h"

#define INSTANCE_PATH	"/sys/kernel/mcrring/instance"
#define BATCH_DEFAULT	1024
#define BATCH_MAX	65536
#define MAX_SINKS	8
#define IO_TIMEOUT_MS	10000
#define CLOSE_WAIT_MS	2000	/* for RELP's "close" answer, on the way out */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	30000
#define REFUSALS_MAX	5	/* a batch the server refuses that often is given up */
#define RELP_TXNR_MAX	999999999	/* RELP's TXNR has 9 digits */
/* Our own SD-IDs (32473: RFC 5612's example enterprise number). */
#define SD_META		"mcrring@32473"
#define SD_OWNER	"owner@32473"

/* Errors of our own: the server answered, and refused the batch. */
#define EREFUSED	EBADMSG

enum kind { K_TCP, K_UDP, K_RELP, K_UNIX, K_JOURNAL, K_HTTP };

struct sink {
	const char *url;
	enum kind kind;
	char host[256], port[16], path[256];
	int fd;
	bool failing;			/* said so; say when it works again */
	bool has_cursor;		/* next came from the state, or a batch */
	unsigned long long next;	/* first sequence not yet taken */
	unsigned long long lost;	/* overwritten before it got them */
	unsigned long long refused;	/* given up: the server refused them */
	unsigned long long gap, gap_from;	/* lost in this batch */
	unsigned long long suspect;	/* frames next that a killed run may
					 * have delivered already */
	size_t taken;			/* frames of this batch the sink took */
	unsigned int tries, refusals;	/* of this batch */
	unsigned int backoff_ms;
	unsigned int relp_txnr;
	struct mcr_buf out;		/* the frames of one batch */
	size_t *ends;			/* where each frame ends in out */
	char rbuf[4096];		/* answers read, not yet parsed */
	size_t rlen, roff;
};

/* One record of a batch, its text in the batch's buffer. */
struct item {
	struct mcr_arecord rec;
	size_t off;
};

struct batch {
	struct item *it;
	size_t n, max;
	struct mcr_buf text;
	unsigned long long end;		/* every sequence below is read */
	unsigned long long done;	/* end, at the last delivery */
};

struct opts {
	struct mcr_filter f;
	const char *dev, *state;
	bool follow, status;
	size_t batch;
	struct sink sinks[MAX_SINKS];
	unsigned int nsinks;
};

static volatile sig_atomic_t stop;
static bool closing;		/* leaving: waits no longer heed stop */
static char hostname[256] = "-";
static char boot_id[33];	/* 128-bit hex, as the journal writes it */
static char instance[64] = "-";	/* of the archive read; "-": unknown */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("mcrfwd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* --- sinks: addresses ---------------------------------------------------- */

static int parse_hostport(struct sink *s, const char *hp, const char *dflt)
{
	const char *colon, *slash = strchr(hp, '/');
	size_t hn;

	if (*hp == '[') {	/* [v6]:port */
		const char *rb = strchr(hp, ']');

		if (!rb)
			return -1;
		hn = (size_t)(rb - hp - 1);
		if (hn >= sizeof(s->host))
			return -1;
		memcpy(s->host, hp + 1, hn);
		s->host[hn] = '\0';
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strchr(hp, ':');
		if (slash && colon > slash)
			colon = NULL;
		hn = colon ? (size_t)(colon - hp) :
		     slash ? (size_t)(slash - hp) : strlen(hp);
		if (!hn || hn >= sizeof(s->host))
			return -1;
		memcpy(s->host, hp, hn);
		s->host[hn] = '\0';
	}
	if (colon) {
		size_t pn = slash ? (size_t)(slash - colon - 1) :
			    strlen(colon + 1);
		unsigned long long v;

		if (!pn || pn >= sizeof(s->port))
			return -1;
		memcpy(s->port, colon + 1, pn);
		s->port[pn] = '\0';
		if (!mcr_tool_num(s->port, 65535, &v) || !v)
			return -1;
	} else {
		snprintf(s->port, sizeof(s->port), "%s", dflt);
	}
	snprintf(s->path, sizeof(s->path), "%s", slash ? slash : "/upload");
	return 0;
}

/* A sink from its URL; -1 when it is not one. */
static int parse_sink(struct sink *s, const char *url)
{
	static const struct {
		const char *scheme, *port;
		enum kind kind;
	} schemes[] = {
		{ "tcp://", "514", K_TCP }, { "udp://", "514", K_UDP },
		{ "relp://", "2514", K_RELP }, { "http://", "19532", K_HTTP },
	};
	const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path);

	*s = (struct sink){ .url = url, .fd = -1 };
	/* The state file keeps a URL as one word. */
	if (strpbrk(url, " \t\n\r"))
		return -1;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].scheme);

		if (!strncmp(url, schemes[i].scheme, n)) {
			s->kind = schemes[i].kind;
			return parse_hostport(s, url + n, schemes[i].port);
		}
	}
	if (!strncmp(url, "unix:", 5) && url[5] == '/') {
		s->kind = K_UNIX;
		snprintf(s->path, sizeof(s->path), "%s", url + 5);
		return strlen(url + 5) < sun_max ? 0 : -1;
	}
	if (!strcmp(url, "journal") ||
	    (!strncmp(url, "journal:", 8) && url[8] == '/')) {
		s->kind = K_JOURNAL;
		snprintf(s->path, sizeof(s->path), "%s",
			 url[7] ? url + 8 : "/run/systemd/journal/socket");
		return strlen(s->path) < sun_max ? 0 : -1;
	}
	return -1;
}

/* --- sinks: I/O, every wait bounded -------------------------------------- */

/*
 * Wait up to @ms for @events on @fd, a tenth of a second at a time:
 * 0, -ETIMEDOUT, or -EINTR once SIGTERM came (unless we are closing).
 */
static int wait_fd(int fd, short events, int ms)
{
	long long until = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long long left = until - now_ms();
		int n;

		if (stop && !closing)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left < 100 ? (int)left : 100);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int io_timeout(void)
{
	return closing ? CLOSE_WAIT_MS : IO_TIMEOUT_MS;
}

static int connect_addr(const struct sockaddr *sa, socklen_t len, int type)
{
	int fd = socket(sa->sa_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int err = 0, one = 1;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len)) {
		err = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, IO_TIMEOUT_MS) :
		      -errno;
		if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			err = errno;
		if (err > 0)
			err = -err;
	}
	if (err) {
		close(fd);
		return err;
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

#ifdef MCR_STATIC
/*
 * A static binary (the VM's) cannot load glibc's NSS modules, so it
 * takes addresses only: 127.0.0.1, ::1.
 */
static int connect_inet(struct sink *s, int type)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	unsigned short port = (unsigned short)atoi(s->port);

	if (inet_pton(AF_INET, s->host, &a4.sin_addr) == 1) {
		a4.sin_port = htons(port);
		return connect_addr((struct sockaddr *)&a4, sizeof(a4), type);
	}
	if (inet_pton(AF_INET6, s->host, &a6.sin6_addr) == 1) {
		a6.sin6_port = htons(port);
		return connect_addr((struct sockaddr *)&a6, sizeof(a6), type);
	}
	say("%s: this static build takes an address, not a name", s->url);
	return -EHOSTUNREACH;
}
#else
static int connect_inet(struct sink *s, int type)
{
	struct addrinfo hints = { .ai_socktype = type }, *res, *ai;
	int fd = -ECONNREFUSED, err;

	err = getaddrinfo(s->host, s->port, &hints, &res);
	if (err) {
		say("%s: %s", s->url, gai_strerror(err));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_addr(ai->ai_addr, ai->ai_addrlen, type);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	return fd;
}
#endif

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	/* parse_sink() refused a path longer than sun_path. */
	memcpy(sa.sun_path, path, strnlen(path, sizeof(sa.sun_path) - 1));
	return connect_addr((struct sockaddr *)&sa, sizeof(sa), SOCK_DGRAM);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(fd, POLLOUT, io_timeout());

			if (err)
				return err;
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next byte an answer brings, waiting up to the I/O timeout for it. */
static int read_byte(struct sink *s)
{
	while (s->roff == s->rlen) {
		ssize_t r = recv(s->fd, s->rbuf, sizeof(s->rbuf), 0);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(s->fd, POLLIN, io_timeout());

			if (err)
				return err;
			continue;
		}
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		s->rlen = (size_t)r;
		s->roff = 0;
	}
	return (unsigned char)s->rbuf[s->roff++];
}

/*
 * A word up to a space or a newline (not kept), at most @size - 1 bytes.
 * Returns the byte that ended it, or an error.
 */
static int read_word(struct sink *s, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		int c = read_byte(s);

		if (c < 0)
			return c;
		if (c == ' ' || c == '\n') {
			buf[n] = '\0';
			return c;
		}
		if (n == size - 1)
			return -EPROTO;
		buf[n++] = (char)c;
	}
}

/*
 * RELP (rsyslog's RELP specification): "TXNR SP COMMAND SP DATALEN
 * [SP DATA] LF" both ways; the server answers each command, in order,
 * with "TXNR rsp DATALEN CODE text". librelp's client hides these
 * answers, and mcrfwd's cursor needs them, so mcrfwd speaks the
 * protocol itself.
 */

/*
 * Read answers up to the one to @txnr. For a batch, @base is the last
 * transaction before its frames and @t0 how many it had taken then: an
 * answer "200" to @base + k makes it @t0 + k. An answer to a transaction
 * not sent, or out of order, is a protocol error.
 */
static int relp_answer(struct sink *s, unsigned int txnr, unsigned int base,
		       size_t t0)
{
	unsigned long long t, n, last = base;
	char tok[32], data[128];
	size_t got;
	int end;

	for (;;) {
		end = read_word(s, tok, sizeof(tok));
		if (end != ' ' || !mcr_tool_num(tok, RELP_TXNR_MAX, &t))
			return end < 0 ? end : -EPROTO;
		end = read_word(s, tok, sizeof(tok));
		if (end < 0)
			return end;
		if (strcmp(tok, "rsp"))
			return strcmp(tok, "serverclose") ? -EPROTO : -ECONNRESET;
		end = read_word(s, tok, sizeof(tok));
		if (end < 0 || !mcr_tool_num(tok, 1 << 20, &n) ||
		    (end == '\n') != !n)
			return end < 0 ? end : -EPROTO;
		/* DATA: "CODE text", for "open" lines of offers after it. */
		for (got = 0; got < n; got++) {
			int c = read_byte(s);

			if (c < 0)
				return c;
			if (got < sizeof(data) - 1)
				data[got] = (char)c;
		}
		data[got < sizeof(data) ? got : sizeof(data) - 1] = '\0';
		if (n) {
			end = read_byte(s);
			if (end != '\n')
				return end < 0 ? end : -EPROTO;
		}
		if (t <= last || t > txnr)
			return -EPROTO;
		last = t;
		if (n && strncmp(data, "200", 3)) {
			say("%s: the server refused a frame: %.100s", s->url,
			    data);
			return -EREFUSED;
		}
		if (base && t0 + (t - base) > s->taken)
			s->taken = t0 + (size_t)(t - base);
		if (t == txnr)
			return 0;
	}
}

static int relp_command(struct sink *s, const char *cmd, const char *data,
			size_t n)
{
	char head[64];
	int len = snprintf(head, sizeof(head), "%u %s %zu%s", ++s->relp_txnr,
			   cmd, n, n ? " " : "");
	int err = write_all(s->fd, head, (size_t)len);

	if (!err && n)
		err = write_all(s->fd, data, n);
	if (!err)
		err = write_all(s->fd, "\n", 1);
	return err;
}

static int relp_open(struct sink *s)
{
	static const char offers[] =
		"relp_version=0\nrelp_software=mcrfwd\ncommands=syslog";
	int err;

	s->relp_txnr = 0;
	err = relp_command(s, "open", offers, strlen(offers));
	return err ? err : relp_answer(s, s->relp_txnr, 0, 0);
}

/* Leave politely: RELP's "close", answered, so the server sees no break. */
static void sink_close(struct sink *s)
{
	if (s->fd >= 0 && s->kind == K_RELP &&
	    !relp_command(s, "close", NULL, 0))
		relp_answer(s, s->relp_txnr, 0, 0);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* A failed delivery: drop the connection, say so once, back off. */
static void sink_down(struct sink *s, int err)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (!s->failing)
		say("%s: cannot deliver: %s; retrying", s->url,
		    err == -EREFUSED ? "the server refused the batch" :
		    strerror(-err));
	s->failing = true;
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
}

static int sink_connect(struct sink *s)
{
	int fd;

	switch (s->kind) {
	case K_TCP:
	case K_RELP:
	case K_HTTP:
		fd = connect_inet(s, SOCK_STREAM);
		break;
	case K_UDP:
		fd = connect_inet(s, SOCK_DGRAM);
		break;
	default:
		fd = connect_unix(s->path);
	}
	if (fd < 0)
		return fd;
	s->fd = fd;
	s->rlen = s->roff = 0;
	return s->kind == K_RELP ? relp_open(s) : 0;
}

/* --- formats ------------------------------------------------------------- */

/*
 * What a frame carries besides the record: whether it may be a second
 * copy; for mcrfwd's own notice of a gap, the gap instead of a record.
 */
struct frame_info {
	bool resent;
	unsigned long long gap, gap_from;	/* gap: a notice */
};

/*
 * The SD elements mcrfwd adds: where the record came from (its archive
 * sequence and the module's instance name it together), resent="1" on a
 * copy that may not be the first to arrive; its owner. A notice of a gap
 * has lost= and from= instead of seq=.
 */
static void syslog_meta(struct mcr_buf *b, const struct mcr_arecord *r,
			const struct frame_info *fi)
{
	if (fi->gap)
		mcr_buf_printf(b, "[" SD_META " lost=\"%llu\" from=\"%llu\"",
			       fi->gap, fi->gap_from);
	else
		mcr_buf_printf(b, "[" SD_META " seq=\"%llu\" ring=\"%u\" cpu=\"%u\" pid=\"%u\" tid=\"%u\" ts_ns=\"%llu\"",
			       (unsigned long long)r->seq, r->ring, r->cpu,
			       r->pid, r->tid, (unsigned long long)r->ts_ns);
	if (strcmp(instance, "-"))
		mcr_buf_printf(b, " instance=\"%s\"", instance);
	mcr_buf_puts(b, fi->resent ? " resent=\"1\"]" : "]");
	if (r->owner_pid >= 0)
		mcr_buf_printf(b, "[" SD_OWNER " pid=\"%d\" uid=\"%u\"]",
			       r->owner_pid, r->owner_uid);
}

/*
 * An RFC 3164 TAG: letters, digits and . _ - / only, at most 32 (a
 * space, ':' or '[' in it would move where a parser finds the message).
 */
static void local_tag(struct mcr_buf *b, const char *tag, size_t n)
{
	if (!tag || !n) {
		mcr_buf_puts(b, "mcrring");
		return;
	}
	for (size_t i = 0; i < n && i < 32; i++) {
		char c = tag[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr("._-/", c);

		mcr_buf_putc(b, ok && c ? c : '_');
	}
}

/* RFC 3164 as syslog(3) sends it to /dev/log: <PRI>Mmm dd hh:mm:ss tag[pid]: msg */
static void fmt_local(struct mcr_buf *b, const struct mcr_arecord *r,
		      const char *text)
{
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec",
	};
	time_t t = (time_t)(mcr_real_ns(r->ts_ns) / 1000000000);
	const char *tag, *msg;
	size_t tn, mn;
	struct tm tm;

	localtime_r(&t, &tm);
	mcr_buf_printf(b, "<%u>%s %2d %02d:%02d:%02d ",
		       MCR_PRI(r->facility, r->severity), mon[tm.tm_mon],
		       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	tag = mcr_rec_field(r, text, "SYSLOG_IDENTIFIER", &tn);
	local_tag(b, tag, tn);
	mcr_buf_printf(b, "[%llu]: ", mcr_rec_pid(r, text));
	msg = mcr_rec_message(r, text, &mn);
	mcr_fmt_bytes(b, msg, mn, false);
}

/*
 * A field name as the journal takes it: A-Z, 0-9 and '_', not first a
 * digit, at most 64 bytes; lower-case letters are folded to upper case
 * (journald refuses them). Refused: a leading '_' (the journal's
 * trusted fields), MCR_ (mcrfwd's), and what mcrfwd sets itself or
 * journald acts on (MESSAGE, PRIORITY, SYSLOG_FACILITY, OBJECT_PID).
 * Returns the name's length in @out, or 0 when refused.
 */
static size_t journal_name(const char *k, size_t kn, char *out)
{
	static const char *const reserved[] = {
		"MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "OBJECT_PID",
	};

	if (!kn || kn > 64 || (k[0] >= '0' && k[0] <= '9') || k[0] == '_')
		return 0;
	for (size_t i = 0; i < kn; i++) {
		char c = k[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
		out[i] = c;
	}
	if (kn >= 4 && !memcmp(out, "MCR_", 4))
		return 0;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (kn == strlen(reserved[i]) && !memcmp(out, reserved[i], kn))
			return 0;
	return kn;
}

/* KEY=value, or KEY\n<le64 length>value when value holds a newline. */
static void journal_field(struct mcr_buf *b, const char *k, size_t kn,
			  const char *v, size_t vn)
{
	mcr_buf_put(b, k, kn);
	if (memchr(v, '\n', vn)) {
		unsigned char le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)((unsigned long long)vn >> (8 * i));
		mcr_buf_putc(b, '\n');
		mcr_buf_put(b, le, sizeof(le));
	} else {
		mcr_buf_putc(b, '=');
	}
	mcr_buf_put(b, v, vn);
	mcr_buf_putc(b, '\n');
}

static void journal_num(struct mcr_buf *b, const char *k, long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", v);

	journal_field(b, k, strlen(k), num, (size_t)n);
}

struct jctx {
	struct mcr_buf *b;
	unsigned int dropped;
};

static void journal_part(const char *k, size_t kn, const char *v, size_t vn,
			 void *arg)
{
	struct jctx *c = arg;
	char name[64];
	size_t n;

	if (!k) {
		journal_field(c->b, "MESSAGE", 7, v, vn);
		return;
	}
	n = journal_name(k, kn, name);
	if (n)
		journal_field(c->b, name, n, v, vn);
	else
		c->dropped++;
}

/*
 * One journal entry, in the native protocol's form; the export format
 * adds the __ fields and an empty line.
 */
static void fmt_journal(struct mcr_buf *b, const struct mcr_arecord *r,
			const char *text, bool export,
			const struct frame_info *fi)
{
	struct jctx c = { .b = b };

	if (export) {
		journal_num(b, "__REALTIME_TIMESTAMP",
			    mcr_real_ns(r->ts_ns) / 1000);
		journal_num(b, "__MONOTONIC_TIMESTAMP",
			    (long long)(r->ts_ns / 1000));
		if (boot_id[0])
			journal_field(b, "_BOOT_ID", 8, boot_id,
				      strlen(boot_id));
		journal_field(b, "_HOSTNAME", 9, hostname, strlen(hostname));
	}
	mcr_rec_split(r, text, journal_part, &c);
	journal_num(b, "PRIORITY", r->severity);
	journal_num(b, "SYSLOG_FACILITY", r->facility);
	if (fi->gap) {
		journal_num(b, "MCR_LOST", (long long)fi->gap);
		journal_num(b, "MCR_LOST_FROM", (long long)fi->gap_from);
	} else {
		journal_num(b, "MCR_SEQ", (long long)r->seq);
		journal_num(b, "MCR_TS_NS", (long long)r->ts_ns);
		journal_num(b, "MCR_RING", r->ring);
		journal_num(b, "MCR_CPU", r->cpu);
		journal_num(b, "MCR_PID", r->pid);
		journal_num(b, "MCR_TID", r->tid);
	}
	if (strcmp(instance, "-"))
		journal_field(b, "MCR_INSTANCE", 12, instance,
			      strlen(instance));
	if (r->owner_pid >= 0) {
		journal_num(b, "MCR_OWNER_PID", r->owner_pid);
		journal_num(b, "MCR_OWNER_UID", r->owner_uid);
	}
	if (c.dropped)
		journal_num(b, "MCR_DROPPED_FIELDS", c.dropped);
	if (fi->resent)
		journal_num(b, "MCR_RESENT", 1);
	if (export)
		mcr_buf_putc(b, '\n');
}

/* Frame one record for @s into s->out. */
static void frame(struct sink *s, const struct mcr_arecord *r,
		  const char *text, const struct frame_info *fi)
{
	static struct mcr_buf scratch, meta;
	struct mcr_buf *b = &s->out;

	switch (s->kind) {
	case K_TCP:
	case K_UDP:
	case K_RELP:
		mcr_buf_reset(&meta);
		syslog_meta(&meta, r, fi);
		mcr_buf_putc(&meta, '\0');
		mcr_buf_reset(&scratch);
		mcr_fmt_syslog(&scratch, r, text, hostname,
			       meta.failed ? NULL : meta.p);
		/* TCP: RFC 6587 octet counting, "LEN SP MSG". */
		if (s->kind == K_TCP)
			mcr_buf_printf(b, "%zu ", scratch.len);
		mcr_buf_put(b, scratch.p, scratch.len);
		b->failed |= scratch.failed | meta.failed;
		break;
	case K_UNIX:
		fmt_local(b, r, text);
		break;
	case K_JOURNAL:
	case K_HTTP:
		fmt_journal(b, r, text, s->kind == K_HTTP, fi);
		break;
	}
}

/* --- sinks: delivery ----------------------------------------------------- */

/* TCP: the batch is taken once the server's stack acknowledged it all. */
static int tcp_settle(struct sink *s)
{
	long long until = now_ms() + IO_TIMEOUT_MS;

	for (;;) {
		struct timespec ts = { 0, 1000000 };
		int outq = 0;

		if (ioctl(s->fd, SIOCOUTQ, &outq))
			return -errno;
		if (!outq)
			return 0;
		if (stop)
			return -EINTR;
		if (now_ms() > until)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

/*
 * A datagram a frame; each one sent is taken. A UDP server's port
 * refusing (ECONNREFUSED, from an earlier datagram's ICMP answer) is a
 * datagram lost, as UDP loses them: not a reason to stop the others.
 */
static int send_datagrams(struct sink *s, size_t nframes)
{
	size_t start = s->taken ? s->ends[s->taken - 1] : 0;

	while (s->taken < nframes) {
		ssize_t w = send(s->fd, s->out.p + start,
				 s->ends[s->taken] - start, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(s->fd, POLLOUT, IO_TIMEOUT_MS);

			if (err)
				return err;
			continue;
		}
		if (w < 0 && !(errno == ECONNREFUSED && s->kind == K_UDP))
			return -errno;
		start = s->ends[s->taken++];
	}
	return 0;
}

/*
 * RELP: the frames not yet taken, then the answers; each answered frame
 * is taken, so a batch cut short is resent from the first one that was
 * not answered. A session whose TXNR would pass RELP's nine digits is
 * closed first: the next starts at 1.
 */
static int relp_batch(struct sink *s, size_t nframes)
{
	size_t start = s->taken ? s->ends[s->taken - 1] : 0, t0 = s->taken;
	unsigned int base;
	int err = 0;

	if (s->relp_txnr + nframes + 2 > RELP_TXNR_MAX) {
		sink_close(s);
		err = sink_connect(s);
		if (err)
			return err;
	}
	base = s->relp_txnr;
	for (size_t i = s->taken; i < nframes && !err; i++) {
		err = relp_command(s, "syslog", s->out.p + start,
				   s->ends[i] - start);
		start = s->ends[i];
	}
	return err ? err : relp_answer(s, s->relp_txnr, base, t0);
}

/* POST the batch to systemd-journal-remote; taken on a 2xx answer. */
static int http_batch(struct sink *s)
{
	static struct mcr_buf head;
	char line[512];
	unsigned long code;
	int err;

	mcr_buf_reset(&head);
	mcr_buf_printf(&head, "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		       "Content-Type: application/vnd.fdo.journal\r\n"
		       "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		       s->path, strchr(s->host, ':') ? "[" : "", s->host,
		       strchr(s->host, ':') ? "]" : "", s->port, s->out.len);
	if (head.failed)
		return -ENOMEM;
	err = write_all(s->fd, head.p, head.len);
	if (!err)
		err = write_all(s->fd, s->out.p, s->out.len);
	for (size_t n = 0; !err; n++) {	/* the status line */
		int c = read_byte(s);

		if (c < 0)
			err = c;
		else if (c == '\n' || n == sizeof(line) - 1)
			line[n] = '\0';
		else
			line[n] = (char)c;
		if (c == '\n' || n == sizeof(line) - 1)
			break;
	}
	/* The rest of the answer is not needed: one POST a connection. */
	close(s->fd);
	s->fd = -1;
	if (err)
		return err;
	if (strncmp(line, "HTTP/1.", 7) || strlen(line) < 12)
		return -EPROTO;
	code = strtoul(line + 9, NULL, 10);
	if (code >= 200 && code <= 299)
		return 0;
	say("%s: the server answered %.100s", s->url, line);
	return code >= 400 && code <= 499 ? -EREFUSED : -EPROTO;
}

/*
 * Hand the batch's records from index @from on to @s (a notice of a gap
 * first, when there was one), less the s->taken first frames it took
 * before it failed. A frame goes out marked resent when this batch was
 * tried before, or when it is among the first s->suspect after a killed
 * run's cursor: the copy that arrives may be a second. Returns 0 once
 * the sink took them all, or what failed.
 */
static int deliver(struct sink *s, const struct batch *b, size_t from)
{
	struct frame_info fi = { .gap = s->gap, .gap_from = s->gap_from };
	size_t nframes = 0;
	int err;

	mcr_buf_reset(&s->out);
	if (s->gap) {
		char text[256];
		struct mcr_arecord r = {
			.pid = (__u32)getpid(), .tid = (__u32)getpid(),
			.owner_pid = -1, .facility = 5, .severity = 4,
			.flags = MCR_FLAG_FIELDS,
			.ts_ns = mcr_now_ns(),
		};
		int n = snprintf(text, sizeof(text),
				 "%llu records, from archive sequence %llu on, were overwritten before mcrfwd forwarded them%cSYSLOG_IDENTIFIER=mcrfwd",
				 s->gap, s->gap_from, '\0');

		r.len = (__u32)n;
		fi.resent = s->tries || s->suspect;
		frame(s, &r, text, &fi);
		s->ends[nframes++] = s->out.len;
	}
	fi.gap = 0;
	for (size_t i = from; i < b->n; i++) {
		fi.resent = s->tries || nframes < s->suspect;
		frame(s, &b->it[i].rec, b->text.p + b->it[i].off, &fi);
		s->ends[nframes++] = s->out.len;
	}
	s->tries++;
	if (s->out.failed)
		return -ENOMEM;
	if (s->taken >= nframes)
		return 0;
	if (s->fd < 0) {
		err = sink_connect(s);
		if (err)
			return err;
	}
	switch (s->kind) {
	case K_TCP:
		/* The stack's acknowledgements are not the server's: resend all. */
		err = write_all(s->fd, s->out.p, s->out.len);
		return err ? err : tcp_settle(s);
	case K_RELP:
		return relp_batch(s, nframes);
	case K_HTTP:
		return http_batch(s);
	default:
		return send_datagrams(s, nframes);
	}
}

/* --- state --------------------------------------------------------------- */

static void state_sink(const struct mcr_fwd_sink *fs, void *arg)
{
	struct opts *o = arg;

	for (unsigned int i = 0; i < o->nsinks; i++) {
		struct sink *s = &o->sinks[i];

		if (!strcmp(s->url, fs->url)) {
			s->next = fs->next;
			s->lost = fs->lost;
			s->refused = fs->refused;
			s->has_cursor = true;
		}
	}
}

static void load_state(struct opts *o)
{
	struct mcr_fwd_state st;
	int err = mcr_fwd_state_read(o->state, &st, state_sink, o);

	if (err) {
		if (err != -ENOENT)
			say("%s: %s; starting from the oldest record", o->state,
			    err == -EBADMSG ? "not a state file of this version" :
			    strerror(-err));
		return;
	}
	if (strcmp(st.instance, instance) && strcmp(st.instance, "-") &&
	    strcmp(instance, "-")) {
		say("%s: the module was reloaded since: starting from the oldest record",
		    o->state);
		for (unsigned int i = 0; i < o->nsinks; i++) {
			o->sinks[i].next = 0;
			o->sinks[i].has_cursor = false;
		}
		return;
	}
	if (st.running)
		say("%s: the last run did not stop cleanly: the first %llu records after each cursor go out marked resent",
		    o->state, st.running);
	for (unsigned int i = 0; i < o->nsinks; i++)
		o->sinks[i].suspect = o->sinks[i].has_cursor ? st.running : 0;
}

/*
 * Save the cursors. While mcrfwd runs, the state says "running N": a run
 * that dies leaves it, and the next marks the N frames after each
 * cursor resent, since the dead run may have delivered them already.
 */
static int save_state(const struct opts *o, bool running)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *f;
	int fd, err = 0;

	if (!strcmp(o->state, "none"))
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->state);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, MCR_FWD_STATE_HEAD "instance %s\n", instance);
	if (running)	/* a batch and a notice of a gap */
		fprintf(f, "running %zu\n", o->batch + 1);
	for (unsigned int i = 0; i < o->nsinks; i++) {
		const struct sink *s = &o->sinks[i];

		if (s->has_cursor)
			fprintf(f, "sink %s %llu %llu %llu\n", s->url, s->next,
				s->lost, s->refused);
	}
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, o->state))
		err = -errno;
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "%s", o->state);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd))
			err = -errno;
		close(fd);
	}
	return err;
}

/* One mcrfwd a state file: a second would overwrite the first's cursors. */
static int lock_state(const char *state)
{
	char path[PATH_MAX];
	int fd;

	if (!strcmp(state, "none"))
		return 0;
	snprintf(path, sizeof(path), "%s.lock", state);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;	/* held until we exit */
}

/* --- the batch ----------------------------------------------------------- */

static int batch_add(struct batch *b, const struct mcr_arecord *r,
		     const char *text)
{
	b->it[b->n].rec = *r;
	b->it[b->n].off = b->text.len;
	mcr_buf_put(&b->text, text, r->len);
	if (b->text.failed)
		return -ENOMEM;
	b->n++;
	return 0;
}

/*
 * Records @from to @to - 1 are gone from the archive: each sink that
 * had a cursor below @to lost those from its cursor on.
 */
static void note_gap(struct opts *o, unsigned long long from,
		     unsigned long long to)
{
	for (unsigned int i = 0; i < o->nsinks; i++) {
		struct sink *s = &o->sinks[i];
		unsigned long long a = from > s->next ? from : s->next;

		if (!s->has_cursor || a >= to)
			continue;
		if (!s->gap)
			s->gap_from = a;
		s->gap += to - a;
		say("%s: %llu records (sequences %llu to %llu) were overwritten before they were forwarded",
		    s->url, to - a, a, to - 1);
	}
}

/* The lowest cursor: where the archive must be read from; ~0: anywhere. */
static unsigned long long min_next(const struct opts *o)
{
	unsigned long long m = ~0ULL;

	for (unsigned int i = 0; i < o->nsinks; i++)
		if (o->sinks[i].has_cursor && o->sinks[i].next < m)
			m = o->sinks[i].next;
	return m;
}

/*
 * Fill @b: up to o->batch records, reading on while they come; waits
 * (a second at a time) only for the first. Every record read, wanted or
 * not, moves b->end; a gap in the sequences is noted for each sink it
 * cost. Returns 1 with records, 0 at the end of a file or on SIGTERM,
 * or an error.
 */
static int fill(struct opts *o, struct mcr_archive *a, struct batch *b,
		bool file)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_arecord rec;
	int ret;

	b->n = 0;
	mcr_buf_reset(&b->text);
	while (b->n < b->max && !stop) {
		ret = mcr_archive_next(a, &rec, text);
		if (ret == -EBADMSG) {
			say("a line of the input is not in the archive's format: skipped");
			continue;
		}
		if (ret < 0)
			return ret;
		if (ret == 0) {
			struct pollfd p = { .fd = mcr_archive_fd(a),
					    .events = POLLIN };

			if (b->n)
				return 1;
			/* The end: move the cursors over what was left out. */
			if (file && !o->follow)
				return b->end != b->done;
			if (file) {
				struct timespec ts = { 0, 200000000 };

				nanosleep(&ts, NULL);
			} else {
				poll(&p, 1, 1000);
			}
			continue;
		}
		if (b->end != ~0ULL && rec.seq < b->end)
			continue;	/* every sink has it */
		if (b->end != ~0ULL && rec.seq > b->end)
			note_gap(o, b->end, rec.seq);
		b->end = rec.seq + 1;
		if (!mcr_filter_match(&o->f, &rec, text))
			continue;
		ret = batch_add(b, &rec, text);
		if (ret)
			return ret;
	}
	return b->n ? 1 : 0;
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Hand the batch to every sink; each retries until it took it, or until
 * the server refused it REFUSALS_MAX times (given up, and counted).
 * Returns false when SIGTERM cut it short.
 */
static bool deliver_all(struct opts *o, struct batch *b)
{
	for (unsigned int i = 0; i < o->nsinks; i++) {
		struct sink *s = &o->sinks[i];
		size_t from = 0, n;

		while (from < b->n && b->it[from].rec.seq < s->next)
			from++;
		n = b->n - from + (s->gap ? 1 : 0);
		for (;;) {
			int err = deliver(s, b, from);

			if (!err)
				break;
			sink_down(s, err);
			if (err == -EREFUSED &&
			    ++s->refusals == REFUSALS_MAX) {
				say("%s: the server refused the same %zu records %d times: given up",
				    s->url, b->n - from, REFUSALS_MAX);
				s->refused += b->n - from;
				break;
			}
			if (stop)
				return false;
			pause_ms(s->backoff_ms);
		}
		if (s->failing && s->refusals < REFUSALS_MAX)
			say("%s: delivering again", s->url);
		s->failing = false;
		s->backoff_ms = 0;
		s->lost += s->gap;
		s->gap = 0;
		s->suspect -= s->suspect < n ? s->suspect : n;
		s->taken = 0;
		s->tries = s->refusals = 0;
		if (b->end > s->next || !s->has_cursor)
			s->next = b->end;
		s->has_cursor = true;
	}
	return true;
}

/* --- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: mcrfwd [OPTION]... SINK...\n"
"Forwards the mcrring archive to each SINK, resuming after a restart where\n"
"it stopped (see --state). SINK is one of\n"
"  tcp://HOST[:PORT]       RFC 5424, octet-counting framing (RFC 6587); 514\n"
"  udp://HOST[:PORT]       RFC 5424, a datagram a record; 514\n"
"  relp://HOST[:PORT]      RFC 5424 over RELP, acknowledged; 2514\n"
"  unix:PATH               a local syslog socket, as syslog(3): unix:/dev/log\n"
"  journal[:PATH]          journald's native protocol\n"
"                          (/run/systemd/journal/socket)\n"
"  http://HOST[:PORT][/PATH]\n"
"                          the journal export format, POSTed to\n"
"                          systemd-journal-remote; 19532, /upload\n"
"Options:\n"
"  -d, --device PATH       read PATH instead of /dev/mcrlog: a saved copy of\n"
"                          its text is forwarded to its end, then mcrfwd exits\n"
"  -f, --follow            on a file: wait for it to grow, as tail -f\n"
"  -s, --state FILE        the cursor of each sink (default\n"
"                          " MCR_FWD_STATE_PATH "); none: keep none\n"
"      --status            print the state file and exit\n"
"  -b, --batch N           records a batch, 1 to 65536 (default 1024)\n"
MCR_FILTER_USAGE
"  -h, --help, -V, --version\n");
}

enum { OPT_STATUS = MCR_OPT_TOOL };

static const struct option long_opts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "follow", no_argument, NULL, 'f' },
	{ "state", required_argument, NULL, 's' },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "batch", required_argument, NULL, 'b' },
	MCR_FILTER_OPTIONS,
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long long v;
	int opt, li = -1;
	const char *want = NULL;

	while ((opt = getopt_long(argc, argv, "d:fs:b:hV" MCR_FILTER_SHORT,
				  long_opts, &li)) != -1) {
		switch (opt) {
		case 'd':
			o->dev = optarg;
			break;
		case 'f':
			o->follow = true;
			break;
		case 's':
			o->state = optarg;
			break;
		case OPT_STATUS:
			o->status = true;
			break;
		case 'b':
			want = "1 to 65536";
			if (!mcr_tool_num(optarg, BATCH_MAX, &v) || !v)
				goto bad;
			o->batch = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			mcr_tool_version("mcrfwd");
			exit(0);
		default:
			switch (mcr_filter_opt(&o->f, opt, optarg, &want)) {
			case 1:
				break;
			case -1:
				goto bad;
			default:
				usage(stderr);
				return 2;
			}
		}
		li = -1;
	}
	if (o->status)
		return 0;
	if (optind == argc) {
		fprintf(stderr, "mcrfwd: no sink given (see --help)\n");
		return 2;
	}
	for (; optind < argc; optind++) {
		if (o->nsinks == MAX_SINKS) {
			fprintf(stderr, "mcrfwd: at most %d sinks\n", MAX_SINKS);
			return 2;
		}
		if (parse_sink(&o->sinks[o->nsinks], argv[optind])) {
			fprintf(stderr, "mcrfwd: bad sink '%s' (see --help)\n",
				argv[optind]);
			return 2;
		}
		o->nsinks++;
	}
	return 0;
bad:
	return mcr_tool_bad("mcrfwd", long_opts, li, opt, optarg, want);
}

/* --- main ---------------------------------------------------------------- */

static int print_status(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "mcrfwd: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	return 0;
}

static void read_boot_id(void)
{
	char buf[64];
	size_t n = 0;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f))
		for (char *p = buf; *p && n < sizeof(boot_id) - 1; p++)
			if (*p != '-' && *p != '\n')
				boot_id[n++] = *p;
	boot_id[n == 32 ? n : 0] = '\0';
	fclose(f);
}

/* The module's instance, when the input is the device (any path to it). */
static void read_instance(int fd)
{
	struct stat st;
	FILE *f;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		return;
	f = fopen(INSTANCE_PATH, "r");
	if (!f) {
		say("%s: %s: a reload of the module will not be noticed",
		    INSTANCE_PATH, strerror(errno));
		return;
	}
	if (fscanf(f, "%63s", instance) != 1)
		strcpy(instance, "-");
	fclose(f);
}

static int setup(struct opts *o, struct batch *b)
{
	b->max = o->batch;
	b->it = calloc(b->max, sizeof(*b->it));
	if (!b->it)
		return -ENOMEM;
	for (unsigned int i = 0; i < o->nsinks; i++) {
		/* A frame a record, and one for a notice of a gap. */
		o->sinks[i].ends = calloc(b->max + 1, sizeof(size_t));
		if (!o->sinks[i].ends)
			return -ENOMEM;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .state = MCR_FWD_STATE_PATH, .batch = BATCH_DEFAULT };
	struct sigaction sa = { .sa_handler = on_signal };
	struct mcr_archive *a;
	struct batch b = { 0 };
	struct stat st;
	bool file, inflight = false;
	int ret, err;

	mcr_filter_init(&o.f);
	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	if (o.status)
		return print_status(o.state);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (gethostname(hostname, sizeof(hostname) - 1) ||
	    !strcmp(hostname, "(none)"))
		strcpy(hostname, "-");
	read_boot_id();
	if (setup(&o, &b)) {
		say("%s", strerror(ENOMEM));
		return 1;
	}
	err = lock_state(o.state);
	if (err) {
		say("%s: %s", o.state, err == -EBUSY ?
		    "another mcrfwd is using this state file" : strerror(-err));
		return 1;
	}
	file = o.dev && !stat(o.dev, &st) && S_ISREG(st.st_mode);
	ret = mcr_archive_open(o.dev, true, &a);
	if (ret) {
		say("%s: %s%s", o.dev ? o.dev : "/dev/mcrlog", strerror(-ret),
		    ret == -ENOENT && !o.dev ? " (is mcrring.ko loaded?)" : "");
		return 1;
	}
	read_instance(mcr_archive_fd(a));
	if (strcmp(o.state, "none"))
		load_state(&o);
	b.end = b.done = min_next(&o);
	/* Running, from now on: a kill before the first batch counts too. */
	err = save_state(&o, true);
	while (!err) {
		mcr_time_init();	/* the wall clock may have been stepped */
		ret = fill(&o, a, &b, file);
		if (ret <= 0)
			break;
		if (!deliver_all(&o, &b))
			inflight = true;
		b.done = b.end;
		err = save_state(&o, true);
		if (stop)
			break;
	}
	if (err) {
		/* Going on would repeat, after a crash, more than it marks. */
		say("%s: cannot save the state: %s; stopping", o.state,
		    strerror(-err));
		ret = err;
	}
	mcr_archive_close(a);
	closing = true;
	for (unsigned int i = 0; i < o.nsinks; i++)
		sink_close(&o.sinks[i]);
	/* Clean unless a sink was left with a batch it may have taken in part. */
	err = save_state(&o, inflight);
	if (err)
		say("%s: cannot save the state: %s", o.state, strerror(-err));
	if (ret < 0) {
		say("%s", strerror(-ret));
		return 1;
	}
	return 0;
}
