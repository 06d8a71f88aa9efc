/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the command-line tools share: one option vocabulary, syslog
 * facility and severity names, ring names, and the parsers behind them.
 *
 * Every tool takes -h/--help and -V/--version, and where it makes sense
 * the same letter for the same thing:
 *
 *   -d, --device PATH       /dev/mcrlog, or for readers a saved copy
 *   -r, --ring RING         a ring: mpsc, kernel, cpuN, or its number
 *   -c, --cpu N             the ring of CPU N (--ring cpuN)
 *   -p, --priority PRI      [FACILITY.]SEVERITY, names or numbers
 *   -t, --tag TAG           the SYSLOG_IDENTIFIER field
 *   -n, --lines N / --count N   how many to show
 *
 * -f and -e follow the tool each program stands in for: in mcrlog they
 * are logger(1)'s (--file, --skip-empty), in mcrcat journalctl(1)'s
 * (--follow, --end).
 */
#ifndef MCR_TOOL_H
#define MCR_TOOL_H

#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcrring.h"
#include <mcrring/text.h>

/* The options every tool has, for its getopt_long() table. */
#define MCR_TOOL_OPTIONS					\
	{ "help", no_argument, NULL, 'h' },			\
	{ "version", no_argument, NULL, 'V' }

static inline void mcr_tool_version(const char *prog)
{
	printf("%s (mcrring) %s\n", prog, MCR_VERSION);
}

/*
 * The message for a bad value of option @opt, named as the user wrote it
 * ("-c" or "--cpu": @longidx from getopt_long(), -1 for a letter), and
 * what is wanted instead. Returns 2, the exit status for bad usage.
 */
static inline int mcr_tool_bad(const char *prog, const struct option *opts,
			       int longidx, int opt, const char *val,
			       const char *want)
{
	if (longidx >= 0)
		fprintf(stderr, "%s: bad value '%s' for --%s", prog,
			val ? val : "", opts[longidx].name);
	else
		fprintf(stderr, "%s: bad value '%s' for -%c", prog,
			val ? val : "", opt);
	fprintf(stderr, "%s%s\n", want ? ": " : "", want ? want : "");
	return 2;
}

/* A decimal number of at most @max, digits only; false when not. */
static inline bool mcr_tool_num(const char *s, unsigned long long max,
				unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end && *v <= max;
}

/* A facility or severity by name or number; -1 when neither. */
static inline int mcr_name_lookup(const char *s,
				  const char *(*name)(unsigned int), int max)
{
	unsigned long long v;

	if (mcr_tool_num(s, (unsigned long long)max, &v))
		return (int)v;
	for (int i = 0; i <= max; i++)
		if (!strcasecmp(s, name((unsigned int)i)))
			return i;
	return -1;
}

static inline int mcr_facility(const char *s)
{
	return mcr_name_lookup(s, mcr_facility_name, MCR_FAC_MAX);
}

static inline int mcr_severity(const char *s)
{
	return mcr_name_lookup(s, mcr_severity_name, MCR_SEV_MAX);
}

/*
 * "FACILITY.SEVERITY" or "SEVERITY", by name or number, as logger -p.
 * *fac is left alone when no facility is given. Returns 0 or -1.
 */
static inline int mcr_priority(const char *arg, int *fac, int *sev)
{
	char buf[64], *dot;
	int f = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		f = mcr_facility(buf);
		if (f < 0)
			return -1;
	}
	*sev = mcr_severity(dot ? dot + 1 : buf);
	if (*sev < 0)
		return -1;
	if (dot)
		*fac = f;
	return 0;
}

/* CPU numbers: whatever a ring number can name. */
#define MCR_TOOL_CPU_MAX	(MCR_RING_KERNEL - 2)

/* A CPU number; -1 when not one. */
static inline long mcr_cpu_arg(const char *s)
{
	unsigned long long v;

	return mcr_tool_num(s, MCR_TOOL_CPU_MAX, &v) ? (long)v : -1;
}

/* "mpsc", "kernel", "cpuN" or a ring number; -1 when none of them. */
static inline long mcr_ring_arg(const char *s)
{
	unsigned long long v;

	if (!strcmp(s, "mpsc"))
		return MCR_RING_MPSC;
	if (!strcmp(s, "kernel"))
		return MCR_RING_KERNEL;
	if (!strncmp(s, "cpu", 3))
		return mcr_cpu_arg(s + 3) < 0 ? -1 :
		       MCR_RING_SPSC(mcr_cpu_arg(s + 3));
	return mcr_tool_num(s, MCR_RING_KERNEL, &v) ? (long)v : -1;
}

/*
 * Where the module's sysfs files are: MCR_SYSFS (or, as before,
 * MCRSTAT_SYSFS) names a copy for tests.
 */
static inline const char *mcr_sysfs_root(void)
{
	const char *p = getenv("MCR_SYSFS");

	if (!p)
		p = getenv("MCRSTAT_SYSFS");
	return p ? p : "/sys/kernel/mcrring";
}

/* A ring's name, as mcr_ring_arg() reads it back. */
static inline const char *mcr_ring_name(unsigned int ring, char *buf,
					size_t size)
{
	if (ring == MCR_RING_MPSC)
		return "mpsc";
	if (ring == MCR_RING_KERNEL)
		return "kernel";
	snprintf(buf, size, "cpu%u", ring - 1);
	return buf;
}

/* --- tools/mcr_tool.c: what the tools that read records share --------- */

/* A growing buffer; failed once an allocation did. */
struct mcr_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

void mcr_buf_put(struct mcr_buf *b, const void *s, size_t n);
void mcr_buf_putc(struct mcr_buf *b, char c);
void mcr_buf_puts(struct mcr_buf *b, const char *s);
void mcr_buf_printf(struct mcr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mcr_buf_reset(struct mcr_buf *b);	/* empty, and not failed */

/* Called on the message (k NULL), then on each field's key and value. */
typedef void (*mcr_part_fn)(const char *k, size_t kn, const char *v,
			    size_t vn, void *arg);
void mcr_rec_split(const struct mcr_arecord *r, const char *text,
		   mcr_part_fn fn, void *arg);
/* The value of field @key, or NULL; its length in *n. */
const char *mcr_rec_field(const struct mcr_arecord *r, const char *text,
			  const char *key, size_t *n);
/* The message, without the fields; its length in *n. */
const char *mcr_rec_message(const struct mcr_arecord *r, const char *text,
			    size_t *n);
/*
 * The process a record is about: its SYSLOG_PID field (mcrlog --id), as
 * journald reads it, or else the writer's.
 */
unsigned long long mcr_rec_pid(const struct mcr_arecord *r, const char *text);

/* Wall-clock time of a record: mcr_time_init() first. */
void mcr_time_init(void);
long long mcr_real_ns(unsigned long long ts_ns);
/* ISO 8601, UTC, microseconds: 2026-12-03T14:33:13.123456Z */
void mcr_iso_time(long long ns, char *buf, size_t size);
/*
 * A time as journalctl --since takes it: "now", "today", "yesterday",
 * "-5min" / "+1h" (s, min, h, d), "@EPOCH", or local
 * "YYYY-MM-DD[ HH:MM[:SS]]" (a T works for the space). -1 when not one.
 */
long long mcr_parse_time(const char *s);

/* The filters of the reading tools (mcrcat, mcrfwd), the same options. */
#define MCR_ANY	(-1LL)

struct mcr_filter {
	int max_sev;		/* sev <= max_sev */
	int facility;		/* -1: any */
	long long ring, writer_cpu, pid, owner_pid, owner_uid;	/* MCR_ANY */
	unsigned long long from, to;	/* archive sequences, inclusive */
	long long since_ns, until_ns;	/* CLOCK_REALTIME; MCR_ANY: open */
	const char *tag;		/* SYSLOG_IDENTIFIER, or NULL */
	bool grep;
	regex_t re;
};

enum {
	MCR_OPT_FACILITY = 256, MCR_OPT_PID, MCR_OPT_WRITER_CPU,
	MCR_OPT_OWNER_PID, MCR_OPT_OWNER_UID, MCR_OPT_SEQ,
	MCR_OPT_TOOL,		/* a tool's own long-only options from here */
};

#define MCR_FILTER_SHORT	"p:r:c:t:g:S:U:"
#define MCR_FILTER_OPTIONS						\
	{ "priority", required_argument, NULL, 'p' },			\
	{ "facility", required_argument, NULL, MCR_OPT_FACILITY },	\
	{ "ring", required_argument, NULL, 'r' },			\
	{ "cpu", required_argument, NULL, 'c' },			\
	{ "tag", required_argument, NULL, 't' },			\
	{ "grep", required_argument, NULL, 'g' },			\
	{ "since", required_argument, NULL, 'S' },			\
	{ "until", required_argument, NULL, 'U' },			\
	{ "pid", required_argument, NULL, MCR_OPT_PID },		\
	{ "writer-cpu", required_argument, NULL, MCR_OPT_WRITER_CPU },	\
	{ "owner-pid", required_argument, NULL, MCR_OPT_OWNER_PID },	\
	{ "owner-uid", required_argument, NULL, MCR_OPT_OWNER_UID },	\
	{ "seq", required_argument, NULL, MCR_OPT_SEQ }
#define MCR_FILTER_USAGE						\
"  -p, --priority [FACILITY.]SEVERITY\n"					\
"                          at SEVERITY or more severe (and of FACILITY)\n"	\
"      --facility FACILITY only records of FACILITY (name or 0-23)\n"	\
"  -r, --ring RING         only records of RING: mpsc, kernel, cpuN, or number\n" \
"  -c, --cpu N             only records of CPU N's ring (--ring cpuN), where\n" \
"                          mcrlog -c N writes\n"				\
"  -t, --tag TAG           only records tagged TAG (mcrlog -t)\n"		\
"  -g, --grep REGEX        only records whose message matches (POSIX ERE)\n" \
"  -S, --since TIME        only records from TIME on; -U, --until TIME to TIME:\n" \
"                          now, today, yesterday, -10min, +1h, @EPOCH,\n"	\
"                          YYYY-MM-DD[ HH:MM[:SS]] (local)\n"		\
"      --pid PID           only records the writer says came from PID\n"	\
"      --writer-cpu N      only records the writer says it wrote on CPU N\n" \
"      --owner-pid PID, --owner-uid UID\n"				\
"                          only records of an SPSC ring this process (user)\n" \
"                          held, as the kernel attests\n"			\
"      --seq FROM[:TO]     only archive sequences FROM to TO (inclusive), or\n" \
"                          from FROM on\n"

void mcr_filter_init(struct mcr_filter *f);
/*
 * Option @opt of MCR_FILTER_OPTIONS with its @arg: 1 when taken, 0 when
 * it is not a filter's, -1 when @arg is bad (*want says what is wanted).
 */
int mcr_filter_opt(struct mcr_filter *f, int opt, const char *arg,
		   const char **want);
bool mcr_filter_match(const struct mcr_filter *f, const struct mcr_arecord *r,
		      const char *text);

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes): 1 to 4,
 * or 0 when the byte there does not start one (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF).
 */
size_t mcr_utf8_len(const unsigned char *s, size_t n);

/* Output formats, appended to @b. */
void mcr_fmt_text(struct mcr_buf *b, const struct mcr_arecord *r,
		  const char *text);
void mcr_fmt_short(struct mcr_buf *b, const struct mcr_arecord *r,
		   const char *text);
void mcr_fmt_json(struct mcr_buf *b, const struct mcr_arecord *r,
		  const char *text);
/*
 * Text for syslog: valid UTF-8 as it is, control bytes (C1 and the
 * bidirectional overrides too), a backslash and invalid bytes as \xNN; @sd: for an SD-PARAM value, where '"' and ']'
 * are escaped and \xNN is written \\xNN (RFC 5424 6.3.3).
 */
void mcr_fmt_bytes(struct mcr_buf *b, const char *s, size_t n, bool sd);
/*
 * An RFC 5424 message, no newline: the fields as SD element
 * "fields@32473", then @meta (more SD elements, or NULL). Returns how
 * many fields were left out because their names cannot be SD-NAMEs.
 */
unsigned int mcr_fmt_syslog(struct mcr_buf *b, const struct mcr_arecord *r,
			    const char *text, const char *hostname,
			    const char *meta);

/*
 * mcrfwd's state file, text, written by mcrfwd and read by mcrstat too:
 *   mcrfwd-state 2
 *   instance HEX|-        the module's /sys/kernel/mcrring/instance
 *   running N             while mcrfwd runs (see mcrfwd.c)
 *   sink URL NEXT LOST REFUSED
 *                         per sink: the first sequence it has not taken,
 *                         records overwritten before it got them, records
 *                         its server refused (given up)
 */
#define MCR_FWD_STATE_HEAD	"mcrfwd-state 2\n"
#define MCR_FWD_STATE_PATH	"/var/lib/mcrfwd/state"

struct mcr_fwd_state {
	char instance[64];
	unsigned long long running;
};

struct mcr_fwd_sink {
	char url[900];
	unsigned long long next, lost, refused;
};

/* Read it; @sink is called for each sink. 0, -errno, or -EBADMSG. */
int mcr_fwd_state_read(const char *path, struct mcr_fwd_state *st,
		       void (*sink)(const struct mcr_fwd_sink *fs, void *arg),
		       void *arg);

#endif /* MCR_TOOL_H */
