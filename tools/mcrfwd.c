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
 * it was sent. Then the cursor, the sequence of the next record each
 * sink needs, is written to the state file (atomically, synced), so a
 * restart resumes right after it. A batch a sink failed is sent again,
 * whole, after a reconnect with backoff: what a server took of it before
 * the failure is what can be repeated, at most one batch.
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
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
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	30000
/* Our own SD-ID and journal field prefix (32473: RFC 5612's example). */
#define SD_META		"mcrring@32473"
#define SD_OWNER	"owner@32473"
#define SD_FIELDS	"fields@32473"

enum kind { K_TCP, K_UDP, K_RELP, K_UNIX, K_JOURNAL, K_HTTP };

struct sink {
	const char *url;
	enum kind kind;
	char host[256], port[16], path[256];
	int fd;
	bool up;
	unsigned long long next;	/* first sequence not yet taken */
	unsigned long long sent;	/* records taken, this run */
	unsigned long long dropped_fields;	/* names a format cannot carry */
	unsigned int backoff_ms;
	unsigned int relp_txnr;
	size_t taken;			/* frames of this batch the sink took */
	unsigned int tries;		/* deliveries of this batch, so far */
	unsigned long long suspect;	/* records next that a killed run may
					 * have delivered already */
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
static char hostname[256] = "-";
static char boot_id[33];	/* 128-bit hex, as the journal writes it */
static char instance[64] = "-";	/* of the archive read; "-": unknown */
static unsigned long long lost_total;	/* overwritten before forwarded */

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

	*s = (struct sink){ .url = url, .fd = -1 };
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
		return strlen(url + 5) < sizeof(((struct sockaddr_un *)0)->sun_path) ? 0 : -1;
	}
	if (!strcmp(url, "journal") ||
	    (!strncmp(url, "journal:", 8) && url[8] == '/')) {
		s->kind = K_JOURNAL;
		snprintf(s->path, sizeof(s->path), "%s",
			 url[7] ? url + 8 : "/run/systemd/journal/socket");
		return strlen(s->path) < sizeof(((struct sockaddr_un *)0)->sun_path) ? 0 : -1;
	}
	return -1;
}

/* --- sinks: connections -------------------------------------------------- */

static int connect_addr(const struct sockaddr *sa, socklen_t len, int type)
{
	int fd = socket(sa->sa_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (type == SOCK_STREAM) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
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
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Wait up to IO_TIMEOUT_MS for @events on @fd: 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, IO_TIMEOUT_MS);
	} while (n < 0 && errno == EINTR && !stop);
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			int err = wait_fd(fd, POLLOUT);

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

/* The next byte an answer brings; waits up to IO_TIMEOUT_MS for it. */
static int read_byte(struct sink *s)
{
	while (s->roff == s->rlen) {
		ssize_t r = recv(s->fd, s->rbuf, sizeof(s->rbuf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			int err = wait_fd(s->fd, POLLIN);

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

/* Up to @end (not kept), at most @size - 1 bytes: its length, or an error. */
static int read_until(struct sink *s, char *buf, size_t size, char end)
{
	size_t n = 0;

	for (;;) {
		int c = read_byte(s);

		if (c < 0)
			return c;
		if (c == end) {
			buf[n] = '\0';
			return (int)n;
		}
		if (n == size - 1)
			return -EPROTO;
		buf[n++] = (char)c;
	}
}

/*
 * RELP (rsyslog's RELP specification): "TXNR COMMAND DATALEN[ DATA]\n"
 * both ways; the server answers each command with "TXNR rsp LEN CODE
 * text". librelp's client hides these answers, and mcrfwd's cursor needs
 * them, so mcrfwd speaks the protocol itself.
 */
/*
 * Read answers up to the one to @txnr. For a batch, @base is the last
 * transaction before its frames and @t0 how many it had taken then: an
 * answer to @base + k makes it @t0 + k.
 */
static int relp_answer(struct sink *s, unsigned int txnr, unsigned int base,
		       size_t t0)
{
	char tok[32], data[256];
	unsigned long long t, n;
	int err;

	for (;;) {
		size_t got = 0;

		err = read_until(s, tok, sizeof(tok), ' ');
		if (err < 0 || !mcr_tool_num(tok, ~0U, &t))
			return err < 0 ? err : -EPROTO;
		err = read_until(s, tok, sizeof(tok), ' ');
		if (err < 0)
			return err;
		if (strcmp(tok, "rsp"))
			return strcmp(tok, "serverclose") ? -EPROTO : -ECONNRESET;
		err = read_until(s, tok, sizeof(tok), ' ');
		if (err < 0 || !mcr_tool_num(tok, 1 << 20, &n))
			return err < 0 ? err : -EPROTO;
		/* DATA: "CODE text", for "open" lines of offers after it. */
		for (; got < n; got++) {
			int c = read_byte(s);

			if (c < 0)
				return c;
			if (got < sizeof(data) - 1)
				data[got] = (char)c;
		}
		data[got < sizeof(data) ? got : sizeof(data) - 1] = '\0';
		err = read_byte(s);
		if (err != '\n')
			return err < 0 ? err : -EPROTO;
		if (strncmp(data, "200", 3)) {
			say("%s: the server refused a frame: %.100s", s->url,
			    data);
			return -EPROTO;
		}
		if (t > base && t0 + (t - base) > s->taken)
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
	return err ? err : relp_answer(s, s->relp_txnr, UINT_MAX, 0);
}

/* Leave politely: RELP's "close", answered, so the server sees no break. */
static void sink_close(struct sink *s)
{
	if (s->fd >= 0 && s->kind == K_RELP &&
	    !relp_command(s, "close", NULL, 0))
		relp_answer(s, s->relp_txnr, UINT_MAX, 0);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void sink_down(struct sink *s, int err, const char *what)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->up || !s->backoff_ms)
		say("%s: %s: %s", s->url, what, strerror(-err));
	s->up = false;
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
	if (s->kind == K_RELP) {
		int err = relp_open(s);

		if (err)
			return err;
	}
	if (!s->up && s->backoff_ms)
		say("%s: connected", s->url);
	s->up = true;
	s->backoff_ms = 0;
	return 0;
}

/* --- formats ------------------------------------------------------------- */

/*
 * The SD elements mcrfwd adds: where the record came from, its owner;
 * resent="1" on a copy that may not be the first to arrive.
 */
static void syslog_meta(char *buf, size_t size, const struct mcr_arecord *r,
			bool resent)
{
	int n = snprintf(buf, size,
			 "[" SD_META " seq=\"%llu\" ring=\"%u\" cpu=\"%u\" pid=\"%u\" tid=\"%u\" ts_ns=\"%llu\"%s]",
			 (unsigned long long)r->seq, r->ring, r->cpu, r->pid,
			 r->tid, (unsigned long long)r->ts_ns,
			 resent ? " resent=\"1\"" : "");

	if (r->owner_pid >= 0 && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n,
			 "[" SD_OWNER " pid=\"%d\" uid=\"%u\"]", r->owner_pid,
			 r->owner_uid);
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
	if (tag)
		mcr_fmt_bytes(b, tag, tn, false);
	else
		mcr_buf_puts(b, "mcrring");
	mcr_buf_printf(b, "[%llu]: ", mcr_rec_pid(r, text));
	msg = mcr_rec_message(r, text, &mn);
	mcr_fmt_bytes(b, msg, mn, false);
}

/*
 * A field name as the journal takes it: A-Z, 0-9 and '_', not first a
 * digit, at most 64 bytes; lower-case letters are folded to upper case
 * (journald refuses them). A leading '_' is the journal's own (trusted)
 * and MCR_ mcrfwd's: such names are refused. Returns the name's length
 * in @out, or 0 when refused.
 */
static size_t journal_name(const char *k, size_t kn, char *out)
{
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
	return kn >= 4 && !memcmp(out, "MCR_", 4) ? 0 : kn;
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
 * One journal entry, in the native protocol's form (which the export
 * format shares, less the __ fields it adds).
 */
static unsigned int fmt_journal(struct mcr_buf *b,
				const struct mcr_arecord *r, const char *text,
				bool export, bool resent)
{
	struct jctx c = { .b = b };

	if (export) {
		long long real = mcr_real_ns(r->ts_ns);

		journal_num(b, "__REALTIME_TIMESTAMP", real / 1000);
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
	journal_num(b, "MCR_SEQ", (long long)r->seq);
	journal_num(b, "MCR_TS_NS", (long long)r->ts_ns);
	journal_num(b, "MCR_RING", r->ring);
	journal_num(b, "MCR_CPU", r->cpu);
	journal_num(b, "MCR_PID", r->pid);
	journal_num(b, "MCR_TID", r->tid);
	if (r->owner_pid >= 0) {
		journal_num(b, "MCR_OWNER_PID", r->owner_pid);
		journal_num(b, "MCR_OWNER_UID", r->owner_uid);
	}
	if (c.dropped)
		journal_num(b, "MCR_DROPPED_FIELDS", c.dropped);
	if (resent)
		journal_num(b, "MCR_RESENT", 1);
	if (export)
		mcr_buf_putc(b, '\n');
	return c.dropped;
}

/* Frame one record for @s into s->out; @resent: see syslog_meta(). */
static void frame(struct sink *s, const struct mcr_arecord *r,
		  const char *text, bool resent)
{
	static struct mcr_buf scratch;
	struct mcr_buf *b = &s->out;
	char meta[256];

	switch (s->kind) {
	case K_TCP:
		/* RFC 6587 octet counting: "LEN SP MSG". */
		syslog_meta(meta, sizeof(meta), r, resent);
		scratch.len = 0;
		s->dropped_fields += mcr_fmt_syslog(&scratch, r, text, hostname,
						    meta);
		mcr_buf_printf(b, "%zu ", scratch.len);
		mcr_buf_put(b, scratch.p, scratch.len);
		b->failed |= scratch.failed;
		break;
	case K_UDP:
	case K_RELP:
		syslog_meta(meta, sizeof(meta), r, resent);
		s->dropped_fields += mcr_fmt_syslog(b, r, text, hostname, meta);
		break;
	case K_UNIX:
		fmt_local(b, r, text);
		break;
	case K_JOURNAL:
	case K_HTTP:
		s->dropped_fields += fmt_journal(b, r, text, s->kind == K_HTTP,
						 resent);
		break;
	}
}

/* --- sinks: delivery ----------------------------------------------------- */

/* TCP: the batch is taken once the server's stack acknowledged it all. */
static int tcp_settle(struct sink *s)
{
	long long until = now_ms() + IO_TIMEOUT_MS;

	for (;;) {
		int outq = 0;
		struct timespec ts = { 0, 1000000 };

		if (ioctl(s->fd, SIOCOUTQ, &outq))
			return -errno;
		if (!outq)
			return 0;
		if (now_ms() > until)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

/* A datagram a frame; each one sent is taken. */
static int send_datagrams(struct sink *s, const size_t *ends, size_t nframes)
{
	size_t start = s->taken ? ends[s->taken - 1] : 0;

	while (s->taken < nframes) {
		ssize_t w = send(s->fd, s->out.p + start, ends[s->taken] - start,
				 MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			int err = wait_fd(s->fd, POLLOUT);

			if (err)
				return err;
			continue;
		}
		if (w < 0)
			return -errno;
		start = ends[s->taken++];
	}
	return 0;
}

/*
 * RELP: the frames not yet taken, then the answers; each answered frame
 * is taken, so a batch cut short is resent from the first one that was
 * not answered.
 */
static int relp_batch(struct sink *s, const size_t *ends, size_t nframes)
{
	size_t start = s->taken ? ends[s->taken - 1] : 0, t0 = s->taken;
	unsigned int base = s->relp_txnr;
	int err = 0;

	for (size_t i = s->taken; i < nframes && !err; i++) {
		err = relp_command(s, "syslog", s->out.p + start,
				   ends[i] - start);
		start = ends[i];
	}
	return err ? err : relp_answer(s, s->relp_txnr, base, t0);
}

/* POST the batch to systemd-journal-remote; taken on a 2xx answer. */
static int http_batch(struct sink *s)
{
	char head[512], line[512];
	unsigned long code;
	int n, err;

	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s\r\n"
		     "Content-Type: application/vnd.fdo.journal\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     s->path, s->host, s->out.len);
	err = write_all(s->fd, head, (size_t)n);
	if (!err)
		err = write_all(s->fd, s->out.p, s->out.len);
	if (!err)
		err = read_until(s, line, sizeof(line), '\n');
	if (err < 0)
		return err;
	if (strncmp(line, "HTTP/1.", 7) || strlen(line) < 12)
		return -EPROTO;
	code = strtoul(line + 9, NULL, 10);
	/* The rest of the answer is not needed: one POST per connection. */
	close(s->fd);
	s->fd = -1;
	s->up = false;
	if (code < 200 || code > 299) {
		say("%s: the server answered %s", s->url, line);
		return -EPROTO;
	}
	return 0;
}

/*
 * Hand @b's records from index @from on to @s, less the s->taken first
 * ones it took before it failed. A record goes out marked resent when
 * this batch was tried before, or when it is among the first s->suspect
 * after a killed run's cursor: the copy that arrives may be a second.
 * Returns 0 once the sink took them all, or what failed.
 */
static int deliver(struct sink *s, const struct batch *b, size_t from)
{
	size_t nframes = 0;
	int err;

	s->out.len = 0;
	for (size_t i = from; i < b->n; i++) {
		frame(s, &b->it[i].rec, b->text.p + b->it[i].off,
		      s->tries || nframes < s->suspect);
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
		return relp_batch(s, s->ends, nframes);
	case K_HTTP:
		return http_batch(s);
	default:
		return send_datagrams(s, s->ends, nframes);
	}
}

/* --- state --------------------------------------------------------------- */

static void state_sink(const char *url, unsigned long long next, void *arg)
{
	struct opts *o = arg;

	for (unsigned int i = 0; i < o->nsinks; i++)
		if (!strcmp(o->sinks[i].url, url))
			o->sinks[i].next = next;
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
	lost_total = st.lost;
	if (st.running)
		say("%s: the last run did not stop cleanly: the first %llu records after each cursor are marked resent",
		    o->state, st.running);
	for (unsigned int i = 0; i < o->nsinks; i++)
		o->sinks[i].suspect = st.running;
	if (strcmp(st.instance, instance) && strcmp(st.instance, "-") &&
	    strcmp(instance, "-")) {
		say("the archive is not the one of %s (module reloaded): starting from its oldest record",
		    o->state);
		for (unsigned int i = 0; i < o->nsinks; i++)
			o->sinks[i].next = 0;
	}
}

/*
 * Save the cursors. While mcrfwd runs, the state says "running N": a run
 * that dies leaves it, and the next marks the N records after each
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
	fprintf(f, MCR_FWD_STATE_HEAD "instance %s\nlost %llu\n", instance,
		lost_total);
	if (running)
		fprintf(f, "running %zu\n", o->batch);
	for (unsigned int i = 0; i < o->nsinks; i++)
		fprintf(f, "sink %s %llu\n", o->sinks[i].url,
			o->sinks[i].next);
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
 * A record of mcrfwd's own, in the batch where the gap was found: @n
 * records, from @first on, were overwritten before they were forwarded.
 */
static int batch_lost(struct batch *b, unsigned long long first,
		      unsigned long long n, unsigned long long seq)
{
	char text[256];
	int len = snprintf(text, sizeof(text),
			   "%llu records (archive sequences %llu to %llu) were overwritten before mcrfwd forwarded them",
			   n, first, first + n - 1);
	struct mcr_arecord r = {
		.seq = seq, .ring = MCR_RING_MPSC, .pid = (__u32)getpid(),
		.tid = (__u32)getpid(), .owner_pid = -1,
		.facility = 5, .severity = 4, .flags = MCR_FLAG_FIELDS,
	};
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	r.ts_ns = (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
	len += 1 + snprintf(text + len + 1, sizeof(text) - (size_t)len - 1,
			    "SYSLOG_IDENTIFIER=mcrfwd");
	len += 1 + snprintf(text + len + 1, sizeof(text) - (size_t)len - 1,
			    "LOST=%llu", n);
	r.len = (__u32)len;
	lost_total += n;
	say("%llu records (sequences %llu to %llu) were overwritten before they were forwarded",
	    n, first, first + n - 1);
	return batch_add(b, &r, text);
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

static void read_instance(const struct opts *o)
{
	FILE *f;

	if (o->dev)
		return;
	f = fopen(INSTANCE_PATH, "r");
	if (!f)
		return;
	if (fscanf(f, "%63s", instance) != 1)
		strcpy(instance, "-");
	fclose(f);
}

/* The lowest cursor: where the archive must be read from. */
static unsigned long long min_next(const struct opts *o)
{
	unsigned long long m = ~0ULL;

	for (unsigned int i = 0; i < o->nsinks; i++)
		if (o->sinks[i].next < m)
			m = o->sinks[i].next;
	return m;
}

/*
 * Fill @b: up to o->batch records, reading on while they come; waits
 * (up to a second) only for the first. Returns 1 with records, 0 at the
 * end of a file, or an error.
 */
static int fill(struct opts *o, struct mcr_archive *a, struct batch *b,
		unsigned long long *expect, bool file)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_arecord rec;
	int ret;

	b->n = 0;
	b->text.len = 0;
	while (b->n + 1 < b->max && !stop) {
		ret = mcr_archive_next(a, &rec, text);
		if (ret < 0 && ret != -EBADMSG)
			return ret;
		if (ret == -EBADMSG) {
			say("a line of the input is not in the archive's format: skipped");
			continue;
		}
		if (ret == 0) {
			struct pollfd p = { .fd = mcr_archive_fd(a),
					    .events = POLLIN };

			if (b->n)
				return 1;
			if (file && !o->follow)
				return 0;
			if (file) {
				struct timespec ts = { 0, 200000000 };

				nanosleep(&ts, NULL);
			} else {
				poll(&p, 1, 1000);
			}
			continue;
		}
		if (rec.seq < *expect && *expect != ~0ULL)
			continue;	/* every sink has it */
		if (rec.seq > *expect && *expect != ~0ULL) {
			ret = batch_lost(b, *expect, rec.seq - *expect,
					 rec.seq);
			if (ret)
				return ret;
		}
		*expect = rec.seq + 1;
		if (!mcr_filter_match(&o->f, &rec, text))
			continue;
		ret = batch_add(b, &rec, text);
		if (ret)
			return ret;
	}
	return b->n ? 1 : stop ? 0 : 1;
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Hand the batch to every sink; each retries until it took it. */
static void deliver_all(struct opts *o, struct batch *b,
			unsigned long long next)
{
	for (unsigned int i = 0; i < o->nsinks; i++) {
		struct sink *s = &o->sinks[i];
		size_t from = 0;

		while (from < b->n && b->it[from].rec.seq < s->next)
			from++;
		for (;;) {
			int err = deliver(s, b, from);

			if (!err)
				break;
			sink_down(s, err, "cannot deliver");
			if (stop)
				return;
			pause_ms(s->backoff_ms);
		}
		s->sent += b->n - from;
		s->suspect -= s->suspect < b->n - from ? s->suspect :
			      b->n - from;
		s->taken = 0;
		s->tries = 0;
		s->next = next;
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .state = MCR_FWD_STATE_PATH, .batch = BATCH_DEFAULT };
	struct sigaction sa = { .sa_handler = on_signal };
	struct mcr_archive *a;
	struct batch b = { 0 };
	unsigned long long expect;
	bool file, inflight;
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
	mcr_time_init();
	if (gethostname(hostname, sizeof(hostname) - 1) ||
	    !strcmp(hostname, "(none)"))
		strcpy(hostname, "-");

	b.max = o.batch + 1;	/* room for a record of our own */
	b.it = calloc(b.max, sizeof(*b.it));
	for (unsigned int i = 0; i < o.nsinks; i++)
		if (!(o.sinks[i].ends = calloc(b.max, sizeof(size_t))))
			b.it = NULL;
	if (!b.it) {
		say("%s", strerror(ENOMEM));
		return 1;
	}
	read_instance(&o);
	read_boot_id();
	if (strcmp(o.state, "none"))
		load_state(&o);
	expect = min_next(&o);
	if (!expect)
		expect = ~0ULL;	/* nothing forwarded yet: take what is there */

	struct stat st;

	file = o.dev && !stat(o.dev, &st) && S_ISREG(st.st_mode);
	ret = mcr_archive_open(o.dev, true, &a);
	if (ret) {
		say("%s: %s%s", o.dev ? o.dev : "/dev/mcrlog", strerror(-ret),
		    ret == -ENOENT && !o.dev ? " (is mcrring.ko loaded?)" : "");
		return 1;
	}
	/* Running, from now on: a kill before the first batch is saved too. */
	err = save_state(&o, true);
	if (err)
		say("%s: cannot save the state: %s", o.state, strerror(-err));
	for (;;) {
		ret = fill(&o, a, &b, &expect, file);
		if (ret <= 0)
			break;
		deliver_all(&o, &b, expect);
		err = save_state(&o, true);
		if (err)
			say("%s: cannot save the state: %s", o.state,
			    strerror(-err));
		if (stop)
			break;
	}
	mcr_archive_close(a);
	for (unsigned int i = 0; i < o.nsinks; i++)
		sink_close(&o.sinks[i]);
	/* Clean when no sink is left with a batch it may have taken in part. */
	inflight = false;
	for (unsigned int i = 0; i < o.nsinks; i++)
		inflight |= o.sinks[i].tries > 0;
	err = save_state(&o, inflight);
	if (err)
		say("%s: cannot save the state: %s", o.state, strerror(-err));
	if (ret < 0) {
		say("%s", strerror(-ret));
		return 1;
	}
	return 0;
}
