// SPDX-License-Identifier: GPL-2.0
/*
 * What the tools that read records share (mcrcat, mcrfwd): a record's
 * fields, time, the filters, and the output formats, each written into
 * a growing buffer so that a tool can print it or send it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcr_tool.h"

/* --- buffers ------------------------------------------------------------- */

static void buf_room(struct mcr_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (b->failed || b->len + n <= b->cap)
		return;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void mcr_buf_put(struct mcr_buf *b, const void *s, size_t n)
{
	buf_room(b, n);
	if (b->failed)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void mcr_buf_putc(struct mcr_buf *b, char c)
{
	mcr_buf_put(b, &c, 1);
}

void mcr_buf_puts(struct mcr_buf *b, const char *s)
{
	mcr_buf_put(b, s, strlen(s));
}

void mcr_buf_printf(struct mcr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_room(b, 64);	/* most of ours fit: one vsnprintf() */
	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		buf_room(b, (size_t)n + 1);
		if (b->failed)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void mcr_buf_reset(struct mcr_buf *b)
{
	b->len = 0;
	b->failed = false;
}

/* --- records ------------------------------------------------------------- */

void mcr_rec_split(const struct mcr_arecord *r, const char *text,
		   mcr_part_fn fn, void *arg)
{
	const char *p = text, *end = text + r->len;
	const char *nul = r->flags & MCR_FLAG_FIELDS ?
			  memchr(p, '\0', r->len) : NULL;

	fn(NULL, 0, p, nul ? (size_t)(nul - p) : r->len, arg);
	for (p = nul ? nul + 1 : end; p < end;) {
		const char *e = memchr(p, '\0', end - p);
		const char *eq;

		if (!e)
			e = end;
		eq = memchr(p, '=', e - p);
		if (eq)
			fn(p, eq - p, eq + 1, e - eq - 1, arg);
		p = e + 1;
	}
}

/* Is the key @k (@kn bytes, NULL for the message) @name? */
static bool mcr_key_is(const char *k, size_t kn, const char *name)
{
	return k && kn == strlen(name) && !memcmp(k, name, kn);
}

struct field_find {
	const char *key;
	const char *v;
	size_t vn;
	bool found;
};

static void find_part(const char *k, size_t kn, const char *v, size_t vn,
		      void *arg)
{
	struct field_find *f = arg;

	if (!f->found && mcr_key_is(k, kn, f->key)) {
		f->v = v;
		f->vn = vn;
		f->found = true;
	}
}

const char *mcr_rec_field(const struct mcr_arecord *r, const char *text,
			  const char *key, size_t *n)
{
	struct field_find f = { .key = key };

	*n = 0;
	if (!(r->flags & MCR_FLAG_FIELDS))
		return NULL;
	mcr_rec_split(r, text, find_part, &f);
	*n = f.vn;
	return f.found ? f.v : NULL;
}

static void msg_part(const char *k, size_t kn, const char *v, size_t vn,
		     void *arg)
{
	(void)kn;
	if (!k) {
		((const char **)arg)[0] = v;
		((const char **)arg)[1] = v + vn;
	}
}

const char *mcr_rec_message(const struct mcr_arecord *r, const char *text,
			    size_t *n)
{
	const char *m[2];

	mcr_rec_split(r, text, msg_part, m);
	*n = (size_t)(m[1] - m[0]);
	return m[0];
}

unsigned long long mcr_rec_pid(const struct mcr_arecord *r, const char *text)
{
	char buf[16];
	size_t n;
	const char *v = mcr_rec_field(r, text, "SYSLOG_PID", &n);
	unsigned long long pid;

	if (v && n < sizeof(buf)) {
		memcpy(buf, v, n);
		buf[n] = '\0';
		if (mcr_tool_num(buf, INT32_MAX, &pid))
			return pid;
	}
	return r->pid;
}

/* --- time ---------------------------------------------------------------- */

/*
 * Records carry CLOCK_MONOTONIC. Wall-clock time is that plus the offset
 * between the two clocks now, as dmesg -T does: off by as much as the
 * wall clock was stepped since the record, and meaningless for a saved
 * copy from another boot.
 */
static long long mono_to_real_ns;

void mcr_time_init(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			  (real.tv_nsec - mono.tv_nsec);
}

long long mcr_real_ns(unsigned long long ts_ns)
{
	return (long long)ts_ns + mono_to_real_ns;
}

void mcr_iso_time(long long ns, char *buf, size_t size)
{
	time_t sec = ns / 1000000000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000));
}

static long long now_real_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

long long mcr_parse_time(const char *s)
{
	static const struct { const char *unit; long long ns; } units[] = {
		{ "us", 1000LL }, { "ms", 1000000LL }, { "s", 1000000000LL },
		{ "sec", 1000000000LL }, { "m", 60000000000LL },
		{ "min", 60000000000LL }, { "h", 3600000000000LL },
		{ "d", 86400000000000LL },
	};
	long long now = now_real_ns();
	struct tm tm = { 0 };
	char *end;
	time_t t;

	if (!strcmp(s, "now"))
		return now;
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		t = now / 1000000000;
		localtime_r(&t, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		if (*s == 'y')
			tm.tm_mday--;
		tm.tm_isdst = -1;
		return mktime(&tm) * 1000000000LL;
	}
	if (*s == '@') {
		unsigned long long v;

		return mcr_tool_num(s + 1, 1ULL << 40, &v) ?
		       (long long)v * 1000000000LL : -1;
	}
	if (*s == '-' || *s == '+') {
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || v < 0 || v > 1LL << 40)
			return -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].unit))
				return now + (*s == '-' ? -v : v) * units[i].ns;
		return -1;
	}
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		return -1;
	if (*end == ' ' || *end == 'T') {
		char *e = strptime(end + 1, "%H:%M:%S", &tm);

		end = e ? e : strptime(end + 1, "%H:%M", &tm);
		if (!end)
			return -1;
	}
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	return t == (time_t)-1 ? -1 : t * 1000000000LL;
}

/* --- filters ------------------------------------------------------------- */

void mcr_filter_init(struct mcr_filter *f)
{
	*f = (struct mcr_filter){
		.max_sev = MCR_SEV_MAX, .facility = -1, .ring = MCR_ANY,
		.writer_cpu = MCR_ANY, .pid = MCR_ANY,
		.owner_pid = MCR_ANY, .owner_uid = MCR_ANY, .to = ~0ULL,
		.since_ns = MCR_ANY, .until_ns = MCR_ANY,
	};
}

static void mcr_filter_free(struct mcr_filter *f)
{
	if (f->grep)
		regfree(&f->re);
	f->grep = false;
}

static int filter_seq(struct mcr_filter *f, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	char from[32];

	if (n >= sizeof(from))
		return -1;
	memcpy(from, arg, n);
	from[n] = '\0';
	if (!mcr_tool_num(from, ~0ULL, &f->from) ||
	    (colon && !mcr_tool_num(colon + 1, ~0ULL, &f->to)) ||
	    f->from > f->to)
		return -1;
	return 0;
}

int mcr_filter_opt(struct mcr_filter *f, int opt, const char *arg,
		   const char **want)
{
	unsigned long long v;
	int fac;
	long r;

	switch (opt) {
	case 'p':
		fac = f->facility;
		*want = "[FACILITY.]SEVERITY";
		if (mcr_priority(arg, &fac, &f->max_sev))
			return -1;
		f->facility = fac;
		return 1;
	case MCR_OPT_FACILITY:
		*want = "a facility name or 0-23";
		f->facility = mcr_facility(arg);
		return f->facility < 0 ? -1 : 1;
	case 'r':
	case 'c':
		r = opt == 'r' ? mcr_ring_arg(arg) :
		    mcr_cpu_arg(arg) < 0 ? -1 : MCR_RING_SPSC(mcr_cpu_arg(arg));
		*want = opt == 'r' ? "mpsc, kernel, cpuN or a ring number" :
				     "a CPU number";
		if (r < 0)
			return -1;
		f->ring = r;
		return 1;
	case 't':
		f->tag = arg;
		return 1;
	case 'g':
		*want = "a POSIX extended regular expression";
		mcr_filter_free(f);
		if (regcomp(&f->re, arg, REG_EXTENDED | REG_NOSUB))
			return -1;
		f->grep = true;
		return 1;
	case 'S':
	case 'U':
		*want = "now, today, yesterday, -10min, @EPOCH or YYYY-MM-DD[ HH:MM[:SS]]";
		*(opt == 'S' ? &f->since_ns : &f->until_ns) =
			mcr_parse_time(arg);
		return (opt == 'S' ? f->since_ns : f->until_ns) < 0 ? -1 : 1;
	case MCR_OPT_PID:
	case MCR_OPT_OWNER_PID:
		*want = "a process ID";
		if (!mcr_tool_num(arg, INT32_MAX, &v))
			return -1;
		*(opt == MCR_OPT_PID ? &f->pid : &f->owner_pid) = (long long)v;
		return 1;
	case MCR_OPT_OWNER_UID:
		*want = "a user ID";
		if (!mcr_tool_num(arg, UINT32_MAX, &v))
			return -1;
		f->owner_uid = (long long)v;
		return 1;
	case MCR_OPT_WRITER_CPU:
		*want = "a CPU number";
		f->writer_cpu = mcr_cpu_arg(arg);
		return f->writer_cpu < 0 ? -1 : 1;
	case MCR_OPT_SEQ:
		*want = "FROM[:TO], FROM <= TO";
		return filter_seq(f, arg) ? -1 : 1;
	}
	return 0;
}

bool mcr_filter_match(const struct mcr_filter *f, const struct mcr_arecord *r,
		      const char *text)
{
	if (r->severity > f->max_sev ||
	    (f->facility >= 0 && r->facility != f->facility) ||
	    (f->ring != MCR_ANY && r->ring != f->ring) ||
	    (f->writer_cpu != MCR_ANY && r->cpu != f->writer_cpu) ||
	    (f->owner_pid != MCR_ANY && r->owner_pid != f->owner_pid) ||
	    (f->owner_uid != MCR_ANY &&
	     (r->owner_pid < 0 || r->owner_uid != f->owner_uid)) ||
	    r->seq < f->from || r->seq > f->to ||
	    (f->since_ns != MCR_ANY && mcr_real_ns(r->ts_ns) < f->since_ns) ||
	    (f->until_ns != MCR_ANY && mcr_real_ns(r->ts_ns) > f->until_ns))
		return false;
	if (f->pid != MCR_ANY &&
	    mcr_rec_pid(r, text) != (unsigned long long)f->pid)
		return false;
	if (f->tag) {
		size_t n;
		const char *v = mcr_rec_field(r, text, "SYSLOG_IDENTIFIER", &n);

		if (!v || n != strlen(f->tag) || memcmp(v, f->tag, n))
			return false;
	}
	if (f->grep) {
		char buf[MCR_TEXT_MAX + 1];
		size_t n;
		const char *m = mcr_rec_message(r, text, &n);

		memcpy(buf, m, n);
		buf[n] = '\0';	/* a NUL in it ends the match */
		if (regexec(&f->re, buf, 0, NULL, 0))
			return false;
	}
	return true;
}

/* --- UTF-8 --------------------------------------------------------------- */

size_t mcr_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Append @n bytes: each valid UTF-8 sequence of two bytes or more as it
 * is, every other byte through @one (@valid: whether it is UTF-8 too,
 * that is ASCII); with @text, for a line a person reads, also each byte
 * of a utf8_control() character.
 */
/*
 * Valid UTF-8 that still moves a terminal or reorders a line: the C1
 * controls (U+0080-U+009F: CSI, NEL...) and the bidirectional overrides
 * and isolates (U+202A-U+202E, U+2066-U+2069).
 */
static bool utf8_control(const unsigned char *s, size_t len)
{
	return (len == 2 && s[0] == 0xc2 && s[1] <= 0x9f) ||
	       (len == 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xaa &&
		s[2] <= 0xae) ||
	       (len == 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 &&
		s[2] <= 0xa9);
}

static void put_utf8(struct mcr_buf *b, const char *str, size_t n,
		     void (*one)(struct mcr_buf *b, unsigned char c,
				 bool valid, bool arg), bool arg, bool text)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		size_t run = i, len;

		/* Printable ASCII other than " \\ ] goes as it is, in runs. */
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f &&
		       s[run] != '"' && s[run] != '\\' && s[run] != ']')
			run++;
		if (run > i) {
			mcr_buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		len = mcr_utf8_len(s + i, n - i);
		if (len > 1 && text && utf8_control(s + i, len)) {
			for (size_t k = 0; k < len; k++)
				one(b, s[i++], false, arg);
		} else if (len > 1) {
			mcr_buf_put(b, s + i, len);
			i += len;
		} else {
			one(b, s[i++], len == 1, arg);
		}
	}
}

/* --- text (as /dev/mcrlog) ----------------------------------------------- */

void mcr_fmt_text(struct mcr_buf *b, const struct mcr_arecord *r,
		  const char *text)
{
	const struct mcr_text_rec t = {
		.seq = r->seq, .ts_ns = r->ts_ns, .ring = r->ring,
		.cpu = r->cpu, .pid = r->pid, .tid = r->tid,
		.pri = (__u8)MCR_PRI(r->facility, r->severity),
		.flags = r->flags,
		.owner_pid = r->owner_pid >= 0 ? r->owner_pid : 0,
		.owner_uid = r->owner_uid, .len = r->len,
		.text = (const unsigned char *)text,
	};

	buf_room(b, MCR_LINE_MAX);
	if (!b->failed)
		b->len += mcr_text_line(b->p + b->len, &t);
}

/* --- JSON ---------------------------------------------------------------- */

/* In a JSON string: control characters and invalid bytes as \u00XX. */
static void json_byte(struct mcr_buf *b, unsigned char c, bool valid,
		      bool arg)
{
	(void)valid;
	(void)arg;
	if (c == '"' || c == '\\')
		mcr_buf_printf(b, "\\%c", c);
	else if (c < 0x20 || c >= 0x7f)
		mcr_buf_printf(b, "\\u%04x", c);
	else
		mcr_buf_putc(b, (char)c);
}

/*
 * A JSON string of @n bytes: valid UTF-8 as it is; control characters,
 * and each byte that is not part of valid UTF-8, as \u00XX (so an
 * invalid byte 0xNN reads back as U+00NN).
 */
static void json_string(struct mcr_buf *b, const char *str, size_t n)
{
	mcr_buf_putc(b, '"');
	put_utf8(b, str, n, json_byte, false, false);
	mcr_buf_putc(b, '"');
}

struct part_ctx {
	struct mcr_buf *b;
	int nfields;
	unsigned int dropped;
};

static void json_part(const char *k, size_t kn, const char *v, size_t vn,
		      void *arg)
{
	struct part_ctx *c = arg;

	if (!k) {
		mcr_buf_puts(c->b, ",\"message\":");
		json_string(c->b, v, vn);
		return;
	}
	mcr_buf_puts(c->b, c->nfields++ ? "," : ",\"fields\":{");
	json_string(c->b, k, kn);
	mcr_buf_putc(c->b, ':');
	json_string(c->b, v, vn);
}

void mcr_fmt_json(struct mcr_buf *b, const struct mcr_arecord *r,
		  const char *text)
{
	struct part_ctx c = { .b = b };
	char ts[64];

	mcr_iso_time(mcr_real_ns(r->ts_ns), ts, sizeof(ts));
	mcr_buf_printf(b, "{\"seq\":%llu,\"ts_ns\":%llu,\"time\":\"%s\","
		       "\"ring\":%u,\"cpu\":%u,\"pid\":%u,\"tid\":%u,"
		       "\"facility\":\"%s\",\"severity\":\"%s\"",
		       (unsigned long long)r->seq,
		       (unsigned long long)r->ts_ns, ts, r->ring, r->cpu,
		       r->pid, r->tid, mcr_facility_name(r->facility),
		       mcr_severity_name(r->severity));
	if (r->owner_pid >= 0)
		mcr_buf_printf(b, ",\"owner_pid\":%d,\"owner_uid\":%u",
			       r->owner_pid, r->owner_uid);
	mcr_rec_split(r, text, json_part, &c);
	mcr_buf_puts(b, c.nfields ? "}}\n" : "}\n");
}

/* --- syslog -------------------------------------------------------------- */

/*
 * Bytes for a syslog line: control bytes, a backslash and bytes that are
 * not valid UTF-8 as \xNN (as /dev/mcrlog writes them). In an SD-PARAM
 * value '"', ']' and '\\' must be escaped with a backslash (RFC 5424
 * 6.3.3), so there each \xNN is written \\xNN: a receiver that undoes
 * the RFC's escapes reads the same \xNN text as in the message.
 */
static void syslog_byte(struct mcr_buf *b, unsigned char c, bool valid,
			bool sd)
{
	if (sd && (c == '"' || c == ']'))
		mcr_buf_printf(b, "\\%c", c);
	else if (!valid || c < 0x20 || c == 0x7f || c == '\\')
		mcr_buf_printf(b, sd ? "\\\\x%02x" : "\\x%02x", c);
	else
		mcr_buf_putc(b, (char)c);
}

void mcr_fmt_bytes(struct mcr_buf *b, const char *s, size_t n, bool sd)
{
	put_utf8(b, s, n, syslog_byte, sd, true);
}

/* PRINTUSASCII (33..126), at most @max of them, or the NIL value "-". */
static void header_field(struct mcr_buf *b, const char *v, size_t n,
			 size_t max)
{
	bool ok = n > 0 && n <= max;

	for (size_t i = 0; ok && i < n; i++)
		ok = v[i] > 32 && v[i] < 127;
	if (ok)
		mcr_buf_put(b, v, n);
	else
		mcr_buf_putc(b, '-');
}

/* Can @k be an RFC 5424 SD-NAME (PARAM-NAME)? */
static bool mcr_sd_name_ok(const char *k, size_t kn)
{
	if (!kn || kn > 32)
		return false;
	for (size_t i = 0; i < kn; i++)
		if (k[i] <= 32 || k[i] >= 127 || k[i] == '=' || k[i] == ']' ||
		    k[i] == '"')
			return false;
	return true;
}

static void sd_part(const char *k, size_t kn, const char *v, size_t vn,
		    void *arg)
{
	struct part_ctx *c = arg;

	if (!k)
		return;
	if (!mcr_sd_name_ok(k, kn)) {
		c->dropped++;	/* RFC 5424 6.3.3 has no escape for names */
		return;
	}
	mcr_buf_puts(c->b, c->nfields++ ? " " : "[fields@32473 ");
	mcr_buf_put(c->b, k, kn);
	mcr_buf_puts(c->b, "=\"");
	mcr_fmt_bytes(c->b, v, vn, true);
	mcr_buf_putc(c->b, '"');
}

unsigned int mcr_fmt_syslog(struct mcr_buf *b, const struct mcr_arecord *r,
			    const char *text, const char *hostname,
			    const char *meta)
{
	struct part_ctx c = { .b = b };
	const char *tag, *msg;
	char ts[64];
	size_t tn, mn;

	mcr_iso_time(mcr_real_ns(r->ts_ns), ts, sizeof(ts));
	mcr_buf_printf(b, "<%u>1 %s ", MCR_PRI(r->facility, r->severity), ts);
	header_field(b, hostname, strlen(hostname), 255);
	mcr_buf_putc(b, ' ');
	tag = mcr_rec_field(r, text, "SYSLOG_IDENTIFIER", &tn);
	header_field(b, tag ? tag : "", tn, 48);
	mcr_buf_printf(b, " %llu - ", mcr_rec_pid(r, text));
	mcr_rec_split(r, text, sd_part, &c);
	if (c.nfields)
		mcr_buf_putc(b, ']');
	if (meta)
		mcr_buf_puts(b, meta);
	if (!c.nfields && !meta)
		mcr_buf_putc(b, '-');
	mcr_buf_putc(b, ' ');
	msg = mcr_rec_message(r, text, &mn);
	mcr_fmt_bytes(b, msg, mn, false);
	return c.dropped;
}

/* --- short --------------------------------------------------------------- */

/* One line a person reads: time, ring, priority, tag[pid]: message fields. */
static void short_part(const char *k, size_t kn, const char *v, size_t vn,
		       void *arg)
{
	struct mcr_buf *b = arg;

	if (mcr_key_is(k, kn, "SYSLOG_IDENTIFIER") ||
	    mcr_key_is(k, kn, "SYSLOG_PID"))
		return;
	if (k) {
		mcr_buf_putc(b, ' ');
		mcr_buf_put(b, k, kn);
		mcr_buf_putc(b, '=');
	}
	mcr_fmt_bytes(b, v, vn, false);
}

void mcr_fmt_short(struct mcr_buf *b, const struct mcr_arecord *r,
		   const char *text)
{
	char ts[64], rn[16];
	const char *tag;
	size_t tn;

	mcr_iso_time(mcr_real_ns(r->ts_ns), ts, sizeof(ts));
	tag = mcr_rec_field(r, text, "SYSLOG_IDENTIFIER", &tn);
	mcr_buf_printf(b, "%s %s %s.%s ", ts,
		       mcr_ring_name(r->ring, rn, sizeof(rn)),
		       mcr_facility_name(r->facility),
		       mcr_severity_name(r->severity));
	if (tag)
		mcr_fmt_bytes(b, tag, tn, false);
	mcr_buf_printf(b, "[%llu]: ", mcr_rec_pid(r, text));
	mcr_rec_split(r, text, short_part, b);
	mcr_buf_putc(b, '\n');
}

/* --- mcrfwd's state file ------------------------------------------------- */

int mcr_fwd_state_read(const char *path, struct mcr_fwd_state *st,
		       void (*sink)(const struct mcr_fwd_sink *fs, void *arg),
		       void *arg)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	snprintf(st->instance, sizeof(st->instance), "-");
	st->running = 0;
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strcmp(line, MCR_FWD_STATE_HEAD)) {
		fclose(f);
		return -EBADMSG;
	}
	while (fgets(line, sizeof(line), f)) {
		struct mcr_fwd_sink fs;
		unsigned long long v;

		if (sscanf(line, "instance %63s", st->instance) == 1)
			continue;
		if (sscanf(line, "running %llu", &v) == 1)
			st->running = v;
		else if (sink && sscanf(line, "sink %899s %llu %llu %llu",
					fs.url, &fs.next, &fs.lost,
					&fs.refused) == 4)
			sink(&fs, arg);
	}
	fclose(f);
	return 0;
}
