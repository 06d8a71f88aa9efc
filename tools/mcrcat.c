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

#include <mcrring/text.h>
#include "mcr_tool.h"

enum { OUT_TEXT, OUT_SHORT, OUT_JSON, OUT_SYSLOG };

struct opts {
	struct mcr_filter f;
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

/* --- output ------------------------------------------------------------- */

static char hostname[256] = "-";

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
	static struct mcr_buf b;

	mcr_buf_reset(&b);
	switch (out) {
	case OUT_JSON:
		mcr_fmt_json(&b, r, text);
		break;
	case OUT_SYSLOG:
		mcr_fmt_syslog(&b, r, text, hostname, NULL);
		mcr_buf_putc(&b, '\n');
		break;
	case OUT_SHORT:
		mcr_fmt_short(&b, r, text);
		break;
	default:
		mcr_fmt_text(&b, r, text);
	}
	if (b.failed) {
		fprintf(stderr, "mcrcat: %s\n", strerror(ENOMEM));
		exit(1);
	}
	fwrite(b.p, 1, b.len, stdout);
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
MCR_FILTER_USAGE
"  -d, --device PATH       read PATH instead of /dev/mcrlog (a saved copy)\n"
"  -h, --help, -V, --version\n");
}

static const struct option long_opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "end", no_argument, NULL, 'e' },
	{ "lines", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	MCR_FILTER_OPTIONS,
	{ "device", required_argument, NULL, 'd' },
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long long v;
	int opt, li = -1;
	const char *want;

	while ((opt = getopt_long(argc, argv, "fen:o:d:hV" MCR_FILTER_SHORT,
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
	struct opts o = { .out = OUT_TEXT };
	static char text[MCR_TEXT_MAX];
	struct sigaction sa = { .sa_handler = on_signal };
	struct tailbuf tail = { 0 };
	struct mcr_arecord rec;
	struct mcr_archive *a;
	bool file, seen = false, seq_asked;
	int ret, status = 0;

	mcr_filter_init(&o.f);
	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	seq_asked = o.f.from || o.f.to != ~0ULL;
	/* No SA_RESTART: a signal ends a blocked read, and then us. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	mcr_time_init();
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
		if (mcr_filter_match(&o.f, &rec, text)) {
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
