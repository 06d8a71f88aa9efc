// SPDX-License-Identifier: GPL-2.0
/*
 * mcrcat: the journalctl of mcrring. Reads the archive (or a saved copy),
 * filters it, and prints it as the text of /dev/mcrlog, with wall-clock
 * times, as JSON lines or as RFC 5424 syslog lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mcr_text.h"
#include "mcr_tool.h"

enum { OUT_TEXT, OUT_SHORT, OUT_JSON, OUT_SYSLOG };

#define ANY	(-1LL)

struct filter {
	int max_sev;		/* sev <= max_sev */
	int facility;		/* -1: any */
	long long ring, writer_cpu, pid, owner_pid, owner_uid;	/* ANY */
	unsigned long long from, to;	/* archive sequences, inclusive */
	long long since_ns, until_ns;	/* CLOCK_REALTIME; ANY: open */
	const char *tag;		/* SYSLOG_IDENTIFIER, or NULL */
	bool grep;
	regex_t re;
};

struct opts {
	struct filter f;
	int out;
	bool follow, at_end;
	unsigned long long lines;	/* the last N; 0: all */
	const char *path;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* --- time --------------------------------------------------------------- */

/*
 * Records carry CLOCK_MONOTONIC. Wall-clock time is that plus the offset
 * between the two clocks now, as dmesg -T does: off by as much as the
 * wall clock was stepped since the record, and meaningless for a saved
 * copy from another boot.
 */
static long long mono_to_real_ns;

static long long real_ns(unsigned long long ts_ns)
{
	return (long long)ts_ns + mono_to_real_ns;
}

/* ISO 8601, UTC, microseconds: 2026-12-03T14:33:13.123456Z */
static void iso_time(long long ns, char *buf, size_t size)
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

/*
 * A time as journalctl --since takes it: "now", "today", "yesterday",
 * "-5min" / "+1h" (s, min, h, d), "@EPOCH", or local
 * "YYYY-MM-DD[ HH:MM[:SS]]" (a T works for the space). -1 when not one.
 */
static long long parse_time(const char *s)
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

/* --- records ------------------------------------------------------------ */

/* Calls @fn on the message (k NULL), then on each field's key and value. */
static void split_fields(const struct mcr_arecord *r, const char *text,
			 void (*fn)(const char *k, size_t kn, const char *v,
				    size_t vn, void *arg), void *arg)
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

	if (k && !f->found && kn == strlen(f->key) && !memcmp(k, f->key, kn)) {
		f->v = v;
		f->vn = vn;
		f->found = true;
	}
}

/* The value of field @key, or NULL; its length in *n. */
static const char *field(const struct mcr_arecord *r, const char *text,
			 const char *key, size_t *n)
{
	struct field_find f = { .key = key };

	if (!(r->flags & MCR_FLAG_FIELDS))
		return NULL;
	split_fields(r, text, find_part, &f);
	*n = f.vn;
	return f.found ? f.v : NULL;
}

/*
 * The process a record is about: its SYSLOG_PID field (mcrlog --id), as
 * journald reads it, or else the writer's.
 */
static unsigned long long rec_pid(const struct mcr_arecord *r,
				  const char *text)
{
	char buf[16];
	size_t n;
	const char *v = field(r, text, "SYSLOG_PID", &n);
	unsigned long long pid;

	if (v && n < sizeof(buf)) {
		memcpy(buf, v, n);
		buf[n] = '\0';
		if (mcr_tool_num(buf, INT32_MAX, &pid))
			return pid;
	}
	return r->pid;
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

static bool wanted(const struct filter *f, const struct mcr_arecord *r,
		   const char *text)
{
	if (r->severity > f->max_sev ||
	    (f->facility >= 0 && r->facility != f->facility) ||
	    (f->ring != ANY && r->ring != f->ring) ||
	    (f->writer_cpu != ANY && r->cpu != f->writer_cpu) ||
	    (f->owner_pid != ANY && r->owner_pid != f->owner_pid) ||
	    (f->owner_uid != ANY &&
	     (r->owner_pid < 0 || r->owner_uid != f->owner_uid)) ||
	    r->seq < f->from || r->seq > f->to ||
	    (f->since_ns != ANY && real_ns(r->ts_ns) < f->since_ns) ||
	    (f->until_ns != ANY && real_ns(r->ts_ns) > f->until_ns))
		return false;
	if (f->pid != ANY && rec_pid(r, text) != (unsigned long long)f->pid)
		return false;
	if (f->tag) {
		size_t n;
		const char *v = field(r, text, "SYSLOG_IDENTIFIER", &n);

		if (!v || n != strlen(f->tag) || memcmp(v, f->tag, n))
			return false;
	}
	if (f->grep) {
		const char *m[2];
		char buf[MCR_TEXT_MAX + 1];

		split_fields(r, text, msg_part, m);
		memcpy(buf, m[0], m[1] - m[0]);
		buf[m[1] - m[0]] = '\0';	/* a NUL in it ends the match */
		if (regexec(&f->re, buf, 0, NULL, 0))
			return false;
	}
	return true;
}

/* --- output ------------------------------------------------------------- */

static void print_text(const struct mcr_arecord *r, const char *text)
{
	static char line[MCR_LINE_MAX];
	const struct mcr_text_rec t = {
		.seq = r->seq, .ts_ns = r->ts_ns, .ring = r->ring,
		.cpu = r->cpu, .pid = r->pid, .tid = r->tid,
		.pri = (__u8)MCR_PRI(r->facility, r->severity),
		.flags = r->flags,
		.owner_pid = r->owner_pid >= 0 ? r->owner_pid : 0,
		.owner_uid = r->owner_uid, .len = r->len,
		.text = (const unsigned char *)text,
	};

	fwrite(line, 1, mcr_text_line(line, &t), stdout);
}

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes): 1 to 4,
 * or 0 when the byte there does not start one (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
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
 * Print @n bytes: each valid UTF-8 sequence of two bytes or more as it
 * is, every other byte through @one (@valid: whether it is UTF-8 too,
 * that is ASCII).
 */
static void put_utf8(const char *str, size_t n,
		     void (*one)(unsigned char b, bool valid, bool arg),
		     bool arg)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(s + i, n - i);

		if (len > 1) {
			fwrite(s + i, 1, len, stdout);
			i += len;
		} else {
			one(s[i++], len == 1, arg);
		}
	}
}

/* In a JSON string: control characters and invalid bytes as \u00XX. */
static void json_byte(unsigned char b, bool valid, bool arg)
{
	(void)valid;
	(void)arg;
	if (b == '"' || b == '\\')
		printf("\\%c", b);
	else if (b < 0x20 || b >= 0x7f)
		printf("\\u%04x", b);
	else
		putchar(b);
}

/*
 * A JSON string of @n bytes: valid UTF-8 as it is; control characters,
 * and each byte that is not part of valid UTF-8, as \u00XX (so an
 * invalid byte 0xNN reads back as U+00NN).
 */
static void json_string(const char *str, size_t n)
{
	putchar('"');
	put_utf8(str, n, json_byte, false);
	putchar('"');
}

static void json_part(const char *k, size_t kn, const char *v, size_t vn,
		      void *arg)
{
	int *nfields = arg;

	if (!k) {
		printf(",\"message\":");
		json_string(v, vn);
		return;
	}
	printf(*nfields ? "," : ",\"fields\":{");
	(*nfields)++;
	json_string(k, kn);
	putchar(':');
	json_string(v, vn);
}

static void print_json(const struct mcr_arecord *r, const char *text)
{
	char ts[64];
	int nfields = 0;

	iso_time(real_ns(r->ts_ns), ts, sizeof(ts));
	printf("{\"seq\":%llu,\"ts_ns\":%llu,\"time\":\"%s\",\"ring\":%u,"
	       "\"cpu\":%u,\"pid\":%u,\"tid\":%u,\"facility\":\"%s\","
	       "\"severity\":\"%s\"",
	       (unsigned long long)r->seq, (unsigned long long)r->ts_ns, ts,
	       r->ring, r->cpu, r->pid, r->tid,
	       mcr_facility_name(r->facility), mcr_severity_name(r->severity));
	if (r->owner_pid >= 0)
		printf(",\"owner_pid\":%d,\"owner_uid\":%u", r->owner_pid,
		       r->owner_uid);
	split_fields(r, text, json_part, &nfields);
	printf(nfields ? "}}\n" : "}\n");
}

/*
 * Bytes for a syslog line: control bytes, a backslash and bytes that are
 * not valid UTF-8 as \xNN (as /dev/mcrlog writes them); in SD-PARAM
 * values also '"' and ']' with a backslash, as RFC 5424 6.3.3 says.
 */
static void syslog_byte(unsigned char b, bool valid, bool sd)
{
	if (sd && (b == '"' || b == ']'))
		printf("\\%c", b);
	else if (sd && b == '\\')
		fputs("\\\\", stdout);
	else if (!valid || b < 0x20 || b == 0x7f || b == '\\')
		printf("\\x%02x", b);
	else
		putchar(b);
}

static void syslog_bytes(const char *str, size_t n, bool sd)
{
	put_utf8(str, n, syslog_byte, sd);
}

/* PRINTUSASCII (33..126), at most @max of them, or the NIL value "-". */
static void syslog_header_field(const char *v, size_t n, size_t max)
{
	bool ok = n > 0 && n <= max;

	for (size_t i = 0; ok && i < n; i++)
		ok = v[i] > 32 && v[i] < 127;
	if (ok)
		fwrite(v, 1, n, stdout);
	else
		putchar('-');
}

static void syslog_sd(const char *k, size_t kn, const char *v, size_t vn,
		      void *arg)
{
	int *nfields = arg;

	if (!k)
		return;
	printf(*nfields ? " " : "[fields@32473 ");
	(*nfields)++;
	fwrite(k, 1, kn, stdout);
	printf("=\"");
	syslog_bytes(v, vn, true);
	putchar('"');
}

static void syslog_msg(const char *k, size_t kn, const char *v, size_t vn,
		       void *arg)
{
	(void)kn;
	(void)arg;
	if (!k)
		syslog_bytes(v, vn, false);
}

static char hostname[256] = "-";

static void print_syslog(const struct mcr_arecord *r, const char *text)
{
	char ts[64];
	const char *tag;
	size_t tn = 0;
	int nfields = 0;

	iso_time(real_ns(r->ts_ns), ts, sizeof(ts));
	printf("<%u>1 %s ", MCR_PRI(r->facility, r->severity), ts);
	syslog_header_field(hostname, strlen(hostname), 255);
	putchar(' ');
	tag = field(r, text, "SYSLOG_IDENTIFIER", &tn);
	syslog_header_field(tag ? tag : "", tn, 48);
	printf(" %llu - ", rec_pid(r, text));
	split_fields(r, text, syslog_sd, &nfields);
	printf(nfields ? "] " : "- ");
	split_fields(r, text, syslog_msg, NULL);
	putchar('\n');
}

/* One line a person reads: time, ring, priority, tag[pid]: message fields. */
static void short_part(const char *k, size_t kn, const char *v, size_t vn,
		       void *arg)
{
	(void)arg;
	if (k && ((kn == strlen("SYSLOG_IDENTIFIER") &&
		   !memcmp(k, "SYSLOG_IDENTIFIER", kn)) ||
		  (kn == strlen("SYSLOG_PID") && !memcmp(k, "SYSLOG_PID", kn))))
		return;
	if (k) {
		putchar(' ');
		fwrite(k, 1, kn, stdout);
		putchar('=');
	}
	syslog_bytes(v, vn, false);
}

static void print_short(const struct mcr_arecord *r, const char *text)
{
	char ts[64], rn[16];
	const char *tag;
	size_t tn = 0;

	iso_time(real_ns(r->ts_ns), ts, sizeof(ts));
	tag = field(r, text, "SYSLOG_IDENTIFIER", &tn);
	printf("%s %s %s.%s ", ts, mcr_ring_name(r->ring, rn, sizeof(rn)),
	       mcr_facility_name(r->facility), mcr_severity_name(r->severity));
	if (tag)
		syslog_bytes(tag, tn, false);
	printf("[%llu]: ", rec_pid(r, text));
	split_fields(r, text, short_part, NULL);
	putchar('\n');
}

static void print_lost(int out, unsigned long long lost)
{
	if (out == OUT_JSON)
		printf("{\"lost\":%llu}\n", lost);
	else
		printf(MCR_TEXT_LOST, lost);
}

static void print_record(int out, const struct mcr_arecord *r,
			 const char *text)
{
	switch (out) {
	case OUT_JSON:
		print_json(r, text);
		break;
	case OUT_SYSLOG:
		print_syslog(r, text);
		break;
	case OUT_SHORT:
		print_short(r, text);
		break;
	default:
		print_text(r, text);
	}
}

/* --- the last N ---------------------------------------------------------- */

struct held {
	struct mcr_arecord rec;
	char *text;
};

/* A ring of the last @n wanted records, printed at the end of the read. */
struct tailbuf {
	struct held *h;
	unsigned long long n, count;
};

static int tail_init(struct tailbuf *t, unsigned long long n)
{
	t->n = n;
	t->count = 0;
	t->h = calloc(n, sizeof(*t->h));
	return t->h ? 0 : -ENOMEM;
}

static int tail_keep(struct tailbuf *t, const struct mcr_arecord *r,
		     const char *text)
{
	struct held *h = &t->h[t->count++ % t->n];

	if (!h->text) {
		h->text = malloc(MCR_TEXT_MAX);
		if (!h->text)
			return -ENOMEM;
	}
	h->rec = *r;
	memcpy(h->text, text, r->len);
	return 0;
}

static void tail_flush(struct tailbuf *t, int out)
{
	unsigned long long first = t->count > t->n ? t->count - t->n : 0;

	for (unsigned long long i = first; i < t->count; i++) {
		const struct held *h = &t->h[i % t->n];

		print_record(out, &h->rec, h->text);
	}
	for (unsigned long long i = 0; i < t->n; i++)
		free(t->h[i].text);
	free(t->h);
	t->h = NULL;
}

/* --- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: mcrcat [OPTION]...\n"
"Prints the mcrring archive, oldest record first.\n"
"  -f, --follow            wait for new records (Ctrl-C stops); on a file,\n"
"                          wait for it to grow, as tail -f\n"
"  -e, --end               start at the end: only records archived from now\n"
"  -n, --lines N           only the last N records (then follow with -f)\n"
"  -o, --output FORMAT     text (as /dev/mcrlog, default), short (wall-clock\n"
"                          time, ring, priority, tag[pid]: message), json (one\n"
"                          object per line), syslog (RFC 5424)\n"
"  -p, --priority [FACILITY.]SEVERITY\n"
"                          at SEVERITY or more severe (and of FACILITY)\n"
"      --facility FACILITY only records of FACILITY (name or 0-23)\n"
"  -r, --ring RING         only records of RING: mpsc, kernel, cpuN, or number\n"
"  -c, --cpu N             only records of CPU N's ring (--ring cpuN), where\n"
"                          mcrlog -c N writes\n"
"  -t, --tag TAG           only records tagged TAG (mcrlog -t)\n"
"  -g, --grep REGEX        only records whose message matches (POSIX ERE)\n"
"  -S, --since TIME        only records from TIME on; -U, --until TIME to TIME:\n"
"                          now, today, yesterday, -10min, +1h, @EPOCH,\n"
"                          YYYY-MM-DD[ HH:MM[:SS]] (local)\n"
"      --pid PID           only records the writer says came from PID\n"
"      --writer-cpu N      only records the writer says it wrote on CPU N\n"
"      --owner-pid PID, --owner-uid UID\n"
"                          only records of an SPSC ring this process (user)\n"
"                          held, as the kernel attests\n"
"      --seq FROM[:TO]     only archive sequences FROM to TO (inclusive), or\n"
"                          from FROM on\n"
"  -d, --device PATH       read PATH instead of /dev/mcrlog (a saved copy)\n"
"  -h, --help, -V, --version\n");
}

enum {
	OPT_FACILITY = 256, OPT_PID, OPT_WRITER_CPU, OPT_OWNER_PID,
	OPT_OWNER_UID, OPT_SEQ,
};

static const struct option long_opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "end", no_argument, NULL, 'e' },
	{ "lines", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "priority", required_argument, NULL, 'p' },
	{ "facility", required_argument, NULL, OPT_FACILITY },
	{ "ring", required_argument, NULL, 'r' },
	{ "cpu", required_argument, NULL, 'c' },
	{ "tag", required_argument, NULL, 't' },
	{ "grep", required_argument, NULL, 'g' },
	{ "since", required_argument, NULL, 'S' },
	{ "until", required_argument, NULL, 'U' },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "writer-cpu", required_argument, NULL, OPT_WRITER_CPU },
	{ "owner-pid", required_argument, NULL, OPT_OWNER_PID },
	{ "owner-uid", required_argument, NULL, OPT_OWNER_UID },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "device", required_argument, NULL, 'd' },
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct filter *f = &o->f;
	unsigned long long v;
	int opt, li = -1, fac;
	const char *want;
	long r;

	while ((opt = getopt_long(argc, argv, "fen:o:p:r:c:t:g:S:U:d:hV",
				  long_opts, &li)) != -1) {
		want = NULL;
		switch (opt) {
		case 'f':
			o->follow = true;
			break;
		case 'e':
			o->at_end = true;
			break;
		case 'n':
			if (!mcr_tool_num(optarg, 1 << 24, &v) || !v) {
				want = "1 to 16777216";
				goto bad;
			}
			o->lines = v;
			break;
		case 'o':
			o->out = !strcmp(optarg, "text") ? OUT_TEXT :
				 !strcmp(optarg, "short") ? OUT_SHORT :
				 !strcmp(optarg, "json") ? OUT_JSON :
				 !strcmp(optarg, "syslog") ? OUT_SYSLOG : -1;
			if (o->out < 0) {
				want = "text, short, json or syslog";
				goto bad;
			}
			break;
		case 'p':
			fac = f->facility;
			if (mcr_priority(optarg, &fac, &f->max_sev)) {
				want = "[FACILITY.]SEVERITY";
				goto bad;
			}
			f->facility = fac;
			break;
		case OPT_FACILITY:
			f->facility = mcr_facility(optarg);
			if (f->facility < 0) {
				want = "a facility name or 0-23";
				goto bad;
			}
			break;
		case 'r':
		case 'c':
			r = opt == 'r' ? mcr_ring_arg(optarg) :
			    mcr_cpu_arg(optarg) < 0 ? -1 :
			    MCR_RING_SPSC(mcr_cpu_arg(optarg));
			if (r < 0) {
				want = opt == 'r' ?
				       "mpsc, kernel, cpuN or a ring number" :
				       "a CPU number";
				goto bad;
			}
			f->ring = r;
			break;
		case 't':
			f->tag = optarg;
			break;
		case 'g':
			if (f->grep)
				regfree(&f->re);
			if (regcomp(&f->re, optarg, REG_EXTENDED | REG_NOSUB)) {
				want = "a POSIX extended regular expression";
				goto bad;
			}
			f->grep = true;
			break;
		case 'S':
		case 'U':
			*(opt == 'S' ? &f->since_ns : &f->until_ns) =
				parse_time(optarg);
			if ((opt == 'S' ? f->since_ns : f->until_ns) < 0) {
				want = "now, today, yesterday, -10min, @EPOCH or YYYY-MM-DD[ HH:MM[:SS]]";
				goto bad;
			}
			break;
		case OPT_PID:
		case OPT_OWNER_PID:
			if (!mcr_tool_num(optarg, INT32_MAX, &v)) {
				want = "a process ID";
				goto bad;
			}
			*(opt == OPT_PID ? &f->pid : &f->owner_pid) = (long long)v;
			break;
		case OPT_OWNER_UID:
			if (!mcr_tool_num(optarg, UINT32_MAX, &v)) {
				want = "a user ID";
				goto bad;
			}
			f->owner_uid = (long long)v;
			break;
		case OPT_WRITER_CPU:
			f->writer_cpu = mcr_cpu_arg(optarg);
			if (f->writer_cpu < 0) {
				want = "a CPU number";
				goto bad;
			}
			break;
		case OPT_SEQ: {
			const char *colon = strchr(optarg, ':');
			char from[32];

			if ((colon ? (size_t)(colon - optarg) :
				     strlen(optarg)) >= sizeof(from))
				goto bad;
			snprintf(from, sizeof(from), "%.*s",
				 colon ? (int)(colon - optarg) : 31, optarg);
			if (!mcr_tool_num(from, ~0ULL, &f->from) ||
			    (colon && !mcr_tool_num(colon + 1, ~0ULL, &f->to)) ||
			    f->from > f->to) {
				want = "FROM[:TO], FROM <= TO";
				goto bad;
			}
			break;
		}
		case 'd':
			o->path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			mcr_tool_version("mcrcat");
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
		li = -1;
	}
	if (optind < argc) {
		fprintf(stderr, "mcrcat: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (o->lines && o->at_end) {
		fprintf(stderr, "mcrcat: -n and -e do not go together\n");
		return 2;
	}
	return 0;
bad:
	return mcr_tool_bad("mcrcat", long_opts, li, opt, optarg, want);
}

/* --- main ---------------------------------------------------------------- */

static bool is_file(const char *path)
{
	struct stat st;

	return path && !stat(path, &st) && S_ISREG(st.st_mode);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.f = {
			.max_sev = MCR_SEV_MAX, .facility = -1, .ring = ANY,
			.writer_cpu = ANY, .pid = ANY, .owner_pid = ANY,
			.owner_uid = ANY, .to = ~0ULL, .since_ns = ANY,
			.until_ns = ANY,
		},
		.out = OUT_TEXT,
	};
	static char text[MCR_TEXT_MAX];
	struct sigaction sa = { .sa_handler = on_signal };
	struct tailbuf tail = { 0 };
	struct timespec mono, real;
	struct mcr_arecord rec;
	struct mcr_archive *a;
	bool file, seen = false, seq_asked;
	int ret, status = 0;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	seq_asked = o.f.from || o.f.to != ~0ULL;
	/* No SA_RESTART: a signal ends a blocked read, and then us. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			  (real.tv_nsec - mono.tv_nsec);
	if (gethostname(hostname, sizeof(hostname) - 1) ||
	    !strcmp(hostname, "(none)"))
		strcpy(hostname, "-");
	if (o.lines && tail_init(&tail, o.lines)) {
		fprintf(stderr, "mcrcat: %s\n", strerror(ENOMEM));
		return 1;
	}

	file = is_file(o.path);
	/* A file at its end returns 0 at once; -f then waits for it. */
	ret = mcr_archive_open(o.path, !o.follow || file || o.lines, &a);
	if (ret) {
		fprintf(stderr, "mcrcat: %s: %s%s\n",
			o.path ? o.path : "/dev/mcrlog", strerror(-ret),
			ret == -ENOENT && !o.path ? " (is mcrring.ko loaded?)" :
			ret == -EACCES && !o.path ?
			" (check the device's mode and group)" : "");
		return 1;
	}
	if (o.at_end && lseek(mcr_archive_fd(a), 0, SEEK_END) < 0) {
		fprintf(stderr, "mcrcat: cannot seek to the end: %s\n",
			strerror(errno));
		return 1;
	}
	for (;;) {
		ret = stop ? 0 : mcr_archive_next(a, &rec, text);
		if (ret == 0 && o.lines && tail.h) {
			int fd = mcr_archive_fd(a);

			/* What was there is read: the last N, then on. */
			tail_flush(&tail, o.out);
			if (!o.follow)
				break;
			if (!file)
				fcntl(fd, F_SETFL,
				      fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			continue;
		}
		if (ret == 0 && o.follow && file && !stop) {
			struct timespec ts = { 0, 200000000 };

			fflush(stdout);
			nanosleep(&ts, NULL);
			continue;
		}
		if (ret != 1)
			break;
		if (!seen && seq_asked && !o.at_end && rec.seq > o.f.from) {
			unsigned long long last = rec.seq - 1 < o.f.to ?
						  rec.seq - 1 : o.f.to;

			fprintf(stderr, "mcrcat: records %llu to %llu were overwritten before this reader started\n",
				o.f.from, last);
			status = 1;
		}
		seen = true;
		if (rec.seq > o.f.to && !o.follow)
			break;
		if (rec.lost && !tail.h)
			print_lost(o.out, (unsigned long long)rec.lost);
		if (wanted(&o.f, &rec, text)) {
			if (tail.h)
				ret = tail_keep(&tail, &rec, text);
			else
				print_record(o.out, &rec, text);
			if (ret < 0)
				break;
		}
		if (o.follow && fflush(stdout))
			break;
		if (ferror(stdout))
			break;
	}
	mcr_archive_close(a);
	if (fflush(stdout) || ferror(stdout))
		return errno == EPIPE ? 0 : 1;	/* a closed pipe is no error */
	if (ret < 0 && ret != -EINTR) {
		fprintf(stderr, "mcrcat: %s\n", strerror(-ret));
		return 1;
	}
	return status;
}
