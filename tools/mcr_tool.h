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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcrring.h"
#include "mcr_text.h"

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

#endif /* MCR_TOOL_H */
