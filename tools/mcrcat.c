// SPDX-License-Identifier: GPL-2.0
/*
 * mcrcat: read the mcrring archive, filter it, print it as the text of
 * /dev/mcrlog, JSON lines or RFC 5424 syslog lines.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcr_text.h"
#include "mcr_tool.h"

enum { OUT_TEXT, OUT_JSON, OUT_SYSLOG };

struct filter {
	int max_sev;		/* at or above this severity: sev <= max_sev */
	int facility;		/* -1: any */
	long long cpu;		/* -1: any */
	long long pid;		/* -1: any */
	unsigned long long from, to;	/* archive sequence range, inclusive */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool wanted(const struct filter *f, const struct mcr_arecord *r)
{
	return r->severity <= f->max_sev &&
	       (f->facility < 0 || r->facility == f->facility) &&
	       (f->cpu < 0 || r->cpu == f->cpu) &&
	       (f->pid < 0 || r->pid == f->pid) &&
	       r->seq >= f->from && r->seq <= f->to;
}

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

/* A JSON string of @n bytes; bytes from 0x80 up are taken as Latin-1. */
static void json_string(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char b = s[i];

		if (b == '"' || b == '\\')
			printf("\\%c", b);
		else if (b < 0x20 || b >= 0x7f)
			printf("\\u%04x", b);
		else
			putchar(b);
	}
	putchar('"');
}

/* Calls @fn on the message, then on each field's key and value. */
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
	int nfields = 0;

	printf("{\"seq\":%llu,\"ts_ns\":%llu,\"ring\":%u,\"cpu\":%u,"
	       "\"pid\":%u,\"tid\":%u,\"facility\":\"%s\",\"severity\":\"%s\"",
	       (unsigned long long)r->seq, (unsigned long long)r->ts_ns,
	       r->ring, r->cpu, r->pid, r->tid,
	       mcr_facility_names[r->facility], mcr_severity_names[r->severity]);
	if (r->owner_pid >= 0)
		printf(",\"owner_pid\":%d,\"owner_uid\":%u", r->owner_pid,
		       r->owner_uid);
	split_fields(r, text, json_part, &nfields);
	printf(nfields ? "}}\n" : "}\n");
}

/* RFC 5424 wants a wall clock; the records carry CLOCK_MONOTONIC. */
static long long mono_to_real_ns;

static void syslog_time(unsigned long long ts_ns, char *buf, size_t size)
{
	long long real = (long long)ts_ns + mono_to_real_ns;
	time_t sec = real / 1000000000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(real % 1000000000 / 1000));
}

/* Bytes that would end the line become \xNN; SD values also escape "\]. */
static void syslog_bytes(const char *s, size_t n, bool sd)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = s[i];

		if (sd && (b == '"' || b == '\\' || b == ']'))
			printf("\\%c", b);
		else if (b < 0x20 || b == 0x7f)
			printf("\\x%02x", b);
		else
			putchar(b);
	}
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

static void print_syslog(const struct mcr_arecord *r, const char *text,
			 const char *host)
{
	char ts[64];
	int nfields = 0;

	syslog_time(r->ts_ns, ts, sizeof(ts));
	printf("<%u>1 %s %s mcrring %u - ", MCR_PRI(r->facility, r->severity),
	       ts, host, r->pid);
	split_fields(r, text, syslog_sd, &nfields);
	printf(nfields ? "] " : "- ");
	split_fields(r, text, syslog_msg, NULL);
	putchar('\n');
}

static void print_lost(int out, unsigned long long lost)
{
	if (out == OUT_JSON)
		printf("{\"lost\":%llu}\n", lost);
	else
		printf(MCR_TEXT_LOST, lost);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcrcat [-f] [-e] [-o text|json|syslog] [-s SEVERITY] [-F FACILITY]\n"
		"              [-c CPU] [-p PID] [-r FROM[:TO]] [-d PATH]\n"
		"Prints the mcrring archive, oldest record first.\n"
		"  -f  follow: wait for new records (stop with Ctrl-C)\n"
		"  -e  start at the end: only records archived from now on\n"
		"  -o  output: text (as /dev/mcrlog, default), json (one object\n"
		"      per line), syslog (RFC 5424)\n"
		"  -s  only records at SEVERITY or more severe (name or 0-7)\n"
		"  -F  only records of FACILITY (name or 0-23)\n"
		"  -c  only records the writer says it wrote on CPU\n"
		"  -p  only records the writer says came from PID\n"
		"  -r  only archive sequences FROM to TO (inclusive)\n"
		"  -d  read PATH instead of /dev/mcrlog (e.g. a saved copy)\n");
}

static int parse_args(int argc, char **argv, struct filter *f, int *out,
		      bool *follow, bool *at_end, const char **path)
{
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "feo:s:F:c:p:r:d:h")) != -1) {
		switch (opt) {
		case 'f':
			*follow = true;
			break;
		case 'e':
			*at_end = true;
			break;
		case 'o':
			*out = !strcmp(optarg, "text") ? OUT_TEXT :
			       !strcmp(optarg, "json") ? OUT_JSON :
			       !strcmp(optarg, "syslog") ? OUT_SYSLOG : -1;
			if (*out < 0)
				goto bad;
			break;
		case 's':
			f->max_sev = mcr_severity(optarg);
			if (f->max_sev < 0)
				goto bad;
			break;
		case 'F':
			f->facility = mcr_facility(optarg);
			if (f->facility < 0)
				goto bad;
			break;
		case 'c':
		case 'p':
			errno = 0;
			*(opt == 'c' ? &f->cpu : &f->pid) =
				strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg)
				goto bad;
			break;
		case 'r':
			errno = 0;
			f->from = strtoull(optarg, &end, 10);
			if (*end == ':')
				f->to = strtoull(end + 1, &end, 10);
			if (errno || *end || f->from > f->to)
				goto bad;
			break;
		case 'd':
			*path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc)
		return 0;
	fprintf(stderr, "mcrcat: unexpected argument '%s'\n", argv[optind]);
	return 2;
bad:
	fprintf(stderr, "mcrcat: bad value '%s' for -%c\n", optarg, opt);
	return 2;
}

int main(int argc, char **argv)
{
	struct filter f = { MCR_SEV_MAX, -1, -1, -1, 0, ~0ULL };
	static char text[MCR_TEXT_MAX];
	bool follow = false, at_end = false;
	const char *path = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec mono, real;
	struct mcr_arecord rec;
	struct mcr_archive *a;
	char host[256] = "-";
	int out = OUT_TEXT, ret;

	ret = parse_args(argc, argv, &f, &out, &follow, &at_end, &path);
	if (ret)
		return ret;
	/* No SA_RESTART: a signal ends a blocked read, and then us. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			  (real.tv_nsec - mono.tv_nsec);
	gethostname(host, sizeof(host) - 1);

	ret = mcr_archive_open(path, !follow, &a);
	if (ret) {
		fprintf(stderr, "mcrcat: %s: %s%s\n", path ? path : "/dev/mcrlog",
			strerror(-ret), ret == -ENOENT && !path ?
			" (is mcrring.ko loaded?)" : "");
		return 1;
	}
	if (at_end && lseek(mcr_archive_fd(a), 0, SEEK_END) < 0) {
		fprintf(stderr, "mcrcat: cannot seek to the end: %s\n",
			strerror(errno));
		return 1;
	}
	while (!stop && (ret = mcr_archive_next(a, &rec, text)) == 1) {
		if (rec.lost)
			print_lost(out, (unsigned long long)rec.lost);
		if (wanted(&f, &rec)) {
			if (out == OUT_JSON)
				print_json(&rec, text);
			else if (out == OUT_SYSLOG)
				print_syslog(&rec, text, host);
			else
				print_text(&rec, text);
		}
		if (follow && fflush(stdout))
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
	return 0;
}
