// SPDX-License-Identifier: GPL-2.0
/*
 * mcrctl: what an operator turns while mcrring runs. Today the runtime
 * levels: per facility, the least severe severity still logged
 * (/sys/kernel/mcrring/levels), shown one facility a line, or set, each
 * argument checked here before the kernel sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcr_tool.h"

static char path[512];

static void usage(FILE *f)
{
	fprintf(f,
"usage: mcrctl [OPTION]... level [[FACILITY=]SEVERITY|none]...\n"
"Shows or sets mcrring's runtime levels: per facility, the least severe\n"
"severity still logged. Without an argument, prints FACILITY=SEVERITY\n"
"a line. Each argument sets one facility (FACILITY=SEVERITY), or every\n"
"facility (SEVERITY); none mutes; names or numbers, as syslog(3). Takes\n"
"effect at once in every writer; kept until the module is unloaded.\n"
"  -h, --help, -V, --version\n"
"Exit status: 0, 1 when the kernel refused or is not there, 2 bad usage.\n");
}

static const struct option long_opts[] = {
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* One level as the kernel takes it; "" when not one. */
static const char *check_level(const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *sev = eq ? eq + 1 : arg;
	char fac[32];

	if (eq) {
		if ((size_t)(eq - arg) >= sizeof(fac))
			return "";
		memcpy(fac, arg, (size_t)(eq - arg));
		fac[eq - arg] = '\0';
		if (mcr_facility(fac) < 0)
			return "unknown facility";
	}
	if (strcmp(sev, "none") && mcr_severity(sev) < 0)
		return "unknown severity";
	return NULL;
}

static int show(void)
{
	char buf[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		fprintf(stderr, "mcrctl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is mcrring.ko loaded?)" : "");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			*p = '\n';
	fputs(buf, stdout);
	return 0;
}

static int set(const char *arg)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "mcrctl: %s: %s%s\n", path, strerror(errno),
			errno == EACCES ? " (setting levels needs root)" :
			errno == ENOENT ? " (is mcrring.ko loaded?)" : "");
		return 1;
	}
	n = write(fd, arg, strlen(arg));	/* one write: one level */
	if (n < 0)
		fprintf(stderr, "mcrctl: %s: the kernel refused '%s': %s\n",
			path, arg, strerror(errno));
	close(fd);
	return n < 0;
}

int main(int argc, char **argv)
{
	const char *root = mcr_sysfs_root();
	int opt, li = -1, ret = 0;

	while ((opt = getopt_long(argc, argv, "+hV", long_opts, &li)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			mcr_tool_version("mcrctl");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc || strcmp(argv[optind], "level")) {
		fprintf(stderr, optind == argc ? "mcrctl: no command (see --help)\n" :
			"mcrctl: unknown command '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/levels", root);
	if (++optind == argc)
		return show();
	/* All checked first: nothing is set when one is wrong. */
	for (int i = optind; i < argc; i++) {
		const char *why = check_level(argv[i]);

		if (why) {
			fprintf(stderr, "mcrctl: bad level '%s'%s%s: want [FACILITY=]SEVERITY or none\n",
				argv[i], *why ? ": " : "", why);
			return 2;
		}
	}
	for (int i = optind; i < argc && !ret; i++)
		ret = set(argv[i]);
	return ret;
}
