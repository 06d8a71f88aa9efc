// SPDX-License-Identifier: GPL-2.0
/*
 * mcrlog: like logger(1), for mcrring. Logs its arguments as one record,
 * or each line of standard input as a record, through the MPSC ring or a
 * claimed SPSC ring.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcr_tool.h"

/* "facility.severity" or "severity", by name or number, as logger -p. */
static int parse_pri(const char *arg)
{
	char buf[64], *dot;
	int fac = 1, sev;

	snprintf(buf, sizeof(buf), "%s", arg);
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		fac = mcr_facility(buf);
		if (fac < 0)
			return -1;
	}
	sev = mcr_severity(dot ? dot + 1 : buf);
	return sev < 0 ? -1 : MCR_PRI(fac, sev);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcrlog [-p FACILITY.SEVERITY] [-c CPU] [-k KEY=value]... [-d DEV] [MESSAGE...]\n"
		"Logs MESSAGE, or each line of standard input, into mcrring.\n"
		"  -p  priority, names or numbers as logger(1) (default user.notice)\n"
		"  -c  write through the SPSC ring of CPU (claimed for this process)\n"
		"  -k  add a KEY=value field (repeatable, at most 32)\n"
		"  -d  device (default /dev/mcrlog)\n");
}

static int log_one(struct mcr_writer *w, int pri, const char *msg,
		   const char *const *fields, unsigned int nfields)
{
	int ret = mcr_log_fields(w, pri, msg, fields, nfields);

	if (ret)
		fprintf(stderr, "mcrlog: %s\n", ret == -EMSGSIZE ?
			"message longer than 4096 bytes, not logged" :
			ret == -ENOBUFS ? "ring full, message dropped" :
			strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *fields[32];
	unsigned int nfields = 0;
	int pri = MCR_PRI(1, 5), cpu = -1, opt, ret, status = 0;
	struct mcr_set *set;
	struct mcr_writer w;

	while ((opt = getopt(argc, argv, "p:c:k:d:h")) != -1) {
		switch (opt) {
		case 'p':
			pri = parse_pri(optarg);
			if (pri < 0) {
				fprintf(stderr, "mcrlog: bad priority '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'c': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 0 || v > 65535) {
				fprintf(stderr, "mcrlog: bad cpu '%s'\n",
					optarg);
				return 2;
			}
			cpu = (int)v;
			break;
		}
		case 'k':
			if (nfields == 32) {
				fprintf(stderr, "mcrlog: too many fields\n");
				return 2;
			}
			fields[nfields++] = optarg;
			break;
		case 'd':
			dev = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	ret = mcr_open(dev, &set);
	if (ret) {
		fprintf(stderr, "mcrlog: %s: %s%s\n", dev ? dev : "/dev/mcrlog",
			strerror(-ret), ret == -ENOENT ?
			" (is mcrring.ko loaded?)" : ret == -EACCES ?
			" (check the device's mode and group)" : "");
		return 1;
	}
	ret = cpu >= 0 ? mcr_writer_spsc(set, cpu, &w) :
			 mcr_writer_mpsc(set, &w);
	if (ret) {
		fprintf(stderr, "mcrlog: %s: %s\n", cpu >= 0 ?
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
		status = log_one(&w, pri, msg, fields, nfields) ? 1 : 0;
		free(msg);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			if (log_one(&w, pri, line, fields, nfields))
				status = 1;
		}
		free(line);
	}
	mcr_set_close(set);
	return status;
}
