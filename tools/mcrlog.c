// SPDX-License-Identifier: GPL-2.0
/*
 * mcrlog: logger(1) for mcrring. Logs its arguments as one record, or
 * each line of standard input or of a file as a record, through the MPSC
 * ring or a claimed SPSC ring. Piped input is delivered whole: when the
 * ring is full, mcrlog waits for the drainer (--drop: refuse instead).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcr_tool.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */

#define MAX_FIELDS	32
/* How long one record waits for room before it is given up. */
#define FULL_WAIT_MS	10000

struct opts {
	int pri;
	long ring;			/* -1: the MPSC ring */
	const char *dev, *file, *tag;
	const char *fields[MAX_FIELDS];
	unsigned int nfields;
	char id_field[32];		/* SYSLOG_PID=... */
	char tag_field[256];		/* SYSLOG_IDENTIFIER=... */
	bool to_stderr, skip_empty, drop, sync;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: mcrlog [OPTION]... [--] [MESSAGE...]\n"
"Logs MESSAGE, or each line of standard input (or of --file), into mcrring.\n"
"  -p, --priority [FACILITY.]SEVERITY\n"
"                          names or numbers as logger(1) (default user.notice)\n"
"  -t, --tag TAG           tag each record (field SYSLOG_IDENTIFIER)\n"
"  -i, --id[=PID]          add the field SYSLOG_PID: mcrlog's PID, or PID\n"
"                          (e.g. --id=$$ for the calling shell)\n"
"  -k, --field KEY=value   add a field (repeatable, at most 32); KEY of\n"
"                          A-Z a-z 0-9 _\n"
"  -f, --file FILE         log each line of FILE\n"
"  -e, --skip-empty        do not log empty lines\n"
"  -s, --stderr            also write each message to standard error\n"
"  -r, --ring RING         write into RING: mpsc (default) or cpuN, claimed\n"
"                          for this process\n"
"  -c, --cpu N             write into CPU N's ring (--ring cpuN)\n"
"      --drop              when the ring is full, drop the line and go on\n"
"                          (default: wait for room, up to 10 s a line)\n"
"      --sync              return once the records are in the archive, so\n"
"                          that a reader started next sees them (up to 10 s)\n"
"  -d, --device PATH       device (default /dev/mcrlog)\n"
"  -h, --help, -V, --version\n"
"A line that holds a NUL byte is logged whole (readers show \\x00), or with\n"
"fields refused. Exit status: 0 all logged, 1 some line not, 2 bad usage.\n");
}

enum { OPT_DROP = 256, OPT_SYNC };

static const struct option long_opts[] = {
	{ "priority", required_argument, NULL, 'p' },
	{ "tag", required_argument, NULL, 't' },
	{ "id", optional_argument, NULL, 'i' },
	{ "field", required_argument, NULL, 'k' },
	{ "file", required_argument, NULL, 'f' },
	{ "skip-empty", no_argument, NULL, 'e' },
	{ "stderr", no_argument, NULL, 's' },
	{ "ring", required_argument, NULL, 'r' },
	{ "cpu", required_argument, NULL, 'c' },
	{ "drop", no_argument, NULL, OPT_DROP },
	{ "sync", no_argument, NULL, OPT_SYNC },
	{ "device", required_argument, NULL, 'd' },
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* KEY=value with KEY of [A-Za-z0-9_]+, as mcr_log_fields() wants. */
static bool good_field(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return false;
	for (const char *p = s; p < eq; p++)
		if (!(*p == '_' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return false;
	return true;
}

static int add_field(struct opts *o, const char *f)
{
	if (o->nfields == MAX_FIELDS) {
		fprintf(stderr, "mcrlog: more than %d fields\n", MAX_FIELDS);
		return 2;
	}
	o->fields[o->nfields++] = f;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long long v = 0;
	int opt, fac = 1, sev = 5, ret;
	const char *want;
	int li = -1;

	while ((opt = getopt_long(argc, argv, "+p:t:ik:f:esr:c:d:hV",
				  long_opts, &li)) != -1) {
		want = NULL;
		switch (opt) {
		case 'p':
			if (mcr_priority(optarg, &fac, &sev)) {
				want = "[FACILITY.]SEVERITY";
				goto bad;
			}
			break;
		case 't':
			if (!*optarg || strlen(optarg) > 200) {
				want = "1 to 200 bytes";
				goto bad;
			}
			snprintf(o->tag_field, sizeof(o->tag_field),
				 "SYSLOG_IDENTIFIER=%s", optarg);
			ret = add_field(o, o->tag_field);
			if (ret)
				return ret;
			break;
		case 'i':
			if (optarg && !mcr_tool_num(optarg, INT32_MAX, &v)) {
				want = "a process ID";
				goto bad;
			}
			snprintf(o->id_field, sizeof(o->id_field),
				 "SYSLOG_PID=%llu",
				 optarg ? v : (unsigned long long)getpid());
			ret = add_field(o, o->id_field);
			if (ret)
				return ret;
			break;
		case 'k':
			if (!good_field(optarg)) {
				want = "KEY=value, KEY of A-Z a-z 0-9 _";
				goto bad;
			}
			ret = add_field(o, optarg);
			if (ret)
				return ret;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'e':
			o->skip_empty = true;
			break;
		case 's':
			o->to_stderr = true;
			break;
		case 'r':
			o->ring = mcr_ring_arg(optarg);
			if (o->ring == MCR_RING_KERNEL || o->ring < 0) {
				want = "mpsc or cpuN (the kernel's ring takes no writes from processes)";
				goto bad;
			}
			if (o->ring == MCR_RING_MPSC)
				o->ring = -1;
			break;
		case 'c':
			o->ring = mcr_cpu_arg(optarg);
			if (o->ring < 0) {
				want = "a CPU number";
				goto bad;
			}
			o->ring = MCR_RING_SPSC(o->ring);
			break;
		case OPT_DROP:
			o->drop = true;
			break;
		case OPT_SYNC:
			o->sync = true;
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			mcr_tool_version("mcrlog");
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
		li = -1;
	}
	o->pri = MCR_PRI(fac, sev);
	if (o->file && optind < argc) {
		fprintf(stderr, "mcrlog: a MESSAGE and --file do not go together\n");
		return 2;
	}
	return 0;
bad:
	return mcr_tool_bad("mcrlog", long_opts, li, opt, optarg, want);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Log one message of @len bytes. @line is its line number, 0 for the
 * command line. Returns 0, or 1 when it was not logged (said on stderr).
 */
static int log_one(struct mcr_writer *w, const struct opts *o,
		   const char *msg, size_t len, unsigned long line)
{
	unsigned int waited = 0, nap = 1;
	char where[48] = "";
	int ret;

	if (line)
		snprintf(where, sizeof(where), "line %lu: ", line);
	if (o->nfields && memchr(msg, '\0', len)) {
		fprintf(stderr, "mcrlog: %sa NUL byte in a message with fields, not logged\n",
			where);
		return 1;
	}
	if (o->to_stderr) {
		fwrite(msg, 1, len, stderr);
		fputc('\n', stderr);
	}
	for (;;) {
		ret = o->nfields ?
		      mcr_log_fields(w, o->pri, msg, o->fields, o->nfields) :
		      mcr_log(w, o->pri, msg, len);
		if (ret != -ENOBUFS || o->drop || waited >= FULL_WAIT_MS)
			break;
		/* Full: the drainer may sleep; ask, and give it time. */
		mcr_wake(w);
		sleep_ms(nap);
		waited += nap;
		nap = nap < 64 ? nap * 2 : 64;
	}
	if (!ret || ret == -ENOMSG)	/* muted by the operator: as asked */
		return 0;
	if (ret == -EMSGSIZE)
		fprintf(stderr, "mcrlog: %smessage longer than %d bytes%s, not logged\n",
			where, MCR_TEXT_MAX, o->nfields ? " with its fields" : "");
	else if (ret == -ENOBUFS)
		fprintf(stderr, "mcrlog: %sring full%s, not logged\n", where,
			o->drop ? "" : " for 10 s");
	else
		fprintf(stderr, "mcrlog: %s%s\n", where, strerror(-ret));
	return 1;
}

/*
 * Wait until the drain thread has taken every record reserved in @ring
 * so far, ours included: its cursor (written - dropped_full) reaches the
 * head we see now. Returns 0, or 1 after 10 s (said on stderr).
 */
static int sync_ring(struct mcr_set *set, struct mcr_writer *w,
		     unsigned int ring)
{
	const struct mcr_ring *r = mcr_set_ring(set, ring);
	__u32 head = mcr_packed_seq(READ_ONCE(r->prod->head));
	unsigned int waited = 0, nap = 1;
	struct mcr_counters c;

	for (;;) {
		if (mcr_ring_counters(set, ring, &c)) {
			fprintf(stderr, "mcrlog: --sync: cannot read the counters\n");
			return 1;
		}
		if ((__s32)((__u32)(c.written - c.dropped_full) - head) >= 0)
			return 0;
		if (waited >= FULL_WAIT_MS) {
			fprintf(stderr, "mcrlog: --sync: not archived after 10 s\n");
			return 1;
		}
		mcr_wake(w);
		sleep_ms(nap);
		waited += nap;
		nap = nap < 64 ? nap * 2 : 64;
	}
}

static int log_stream(struct mcr_writer *w, const struct opts *o, FILE *in)
{
	unsigned long line = 0;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = 0;

	while ((n = getline(&buf, &cap, in)) > 0) {
		line++;
		if (buf[n - 1] == '\n')
			n--;
		if (!n && o->skip_empty)
			continue;
		buf[n] = '\0';
		status |= log_one(w, o, buf, (size_t)n, line);
	}
	if (ferror(in)) {
		fprintf(stderr, "mcrlog: reading %s: %s\n",
			o->file ? o->file : "standard input", strerror(errno));
		status = 1;
	}
	free(buf);
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = { .ring = -1 };
	struct mcr_set *set;
	struct mcr_writer w;
	FILE *in = stdin;
	int ret, status;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	if (o.file) {
		in = fopen(o.file, "r");
		if (!in) {
			fprintf(stderr, "mcrlog: %s: %s\n", o.file,
				strerror(errno));
			return 1;
		}
	}
	ret = mcr_open(o.dev, &set);
	if (ret) {
		fprintf(stderr, "mcrlog: %s: %s%s\n",
			o.dev ? o.dev : "/dev/mcrlog", strerror(-ret),
			ret == -ENOENT ? " (is mcrring.ko loaded?)" :
			ret == -EACCES ? " (check the device's mode and group)" :
			"");
		return 1;
	}
	ret = o.ring >= 0 ? mcr_writer_spsc(set, o.ring - 1, &w) :
			    mcr_writer_mpsc(set, &w);
	if (ret) {
		fprintf(stderr, "mcrlog: %s: %s\n", o.ring >= 0 ?
			"cannot claim that CPU's ring" : "cannot map the ring",
			strerror(-ret));
		return 1;
	}
	if (optind < argc) {
		size_t len = 0;
		char *msg;

		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		msg = calloc(1, len + 1);
		if (!msg)
			return 1;
		for (int i = optind; i < argc; i++) {
			strcat(msg, argv[i]);
			if (i + 1 < argc)
				strcat(msg, " ");
		}
		status = log_one(&w, &o, msg, strlen(msg), 0);
		free(msg);
	} else {
		status = log_stream(&w, &o, in);
	}
	if (o.sync)
		status |= sync_ring(set, &w, o.ring >= 0 ? (unsigned int)o.ring :
						      MCR_RING_MPSC);
	mcr_set_close(set);
	if (in != stdin)
		fclose(in);
	return status;
}
