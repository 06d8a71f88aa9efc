// SPDX-License-Identifier: GPL-2.0
/*
 * mcrstat: per-ring fill level, accounting and claims, the archive and
 * the drain thread, from /sys/kernel/mcrring. Needs no access to the
 * device.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcr_tool.h"

static const char *const ring_counters[] = {
	"fill", "written", "drained", "dropped_full", "abandoned", "invalid",
	"discarded",
};
#define NCOUNTERS (sizeof(ring_counters) / sizeof(ring_counters[0]))
#define WRITTEN		1	/* ring_counters[WRITTEN] is "written" */

static const char *root;
static const char *fwd_state = MCR_FWD_STATE_PATH;

/* One number from sysfs; -1 when it cannot be read. */
static long long value(const char *dir, const char *name)
{
	char path[512], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s%s", root, dir, *dir ? "/" : "",
		 name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

/* "kernel", "mpsc", then cpu0, cpu1, ... in number order. */
static long ring_rank(const char *name)
{
	if (!strcmp(name, "kernel"))
		return 0;
	if (!strcmp(name, "mpsc"))
		return 1;
	return 2 + atol(name + 3);
}

static int ring_order(const struct dirent **a, const struct dirent **b)
{
	long x = ring_rank((*a)->d_name), y = ring_rank((*b)->d_name);

	return (x > y) - (x < y);
}

static int is_ring(const struct dirent *d)
{
	return !strcmp(d->d_name, "mpsc") || !strcmp(d->d_name, "kernel") ||
	       (!strncmp(d->d_name, "cpu", 3) && d->d_name[3]);
}

/* The oldest and newest records archived, with their wall-clock times. */
static void show_span(void)
{
	long long first = value("", "archive_first_seq");
	long long next = value("", "archived");
	unsigned long long t0, t1;
	char path[512], a[64], b[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/archive_times", root);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%llu %llu", &t0, &t1) == 2 && first >= 0 &&
	    next > first) {
		mcr_iso_time(mcr_real_ns(t0), a, sizeof(a));
		mcr_iso_time(mcr_real_ns(t1), b, sizeof(b));
		printf("archive: seq %lld written %s to seq %lld written %s\n",
		       first, a, next - 1, b);
	}
	fclose(f);
}

struct fwd_show {
	long long archived;
	bool same_load;
};

static void fwd_sink(const struct mcr_fwd_sink *fs, void *arg)
{
	const struct fwd_show *show = arg;

	printf("  %s: next seq %llu", fs->url, fs->next);
	if (show->same_load && show->archived >= 0)
		printf(", %lld behind", show->archived > (long long)fs->next ?
		       show->archived - (long long)fs->next : 0);
	else
		printf(", of an earlier load of the module");
	printf("; %llu overwritten before forwarding, %llu refused\n",
	       fs->lost, fs->refused);
}

/* mcrfwd's cursors, when its state file is there: how far behind each is. */
static void show_fwd(void)
{
	struct fwd_show show = { .archived = value("", "archived") };
	struct mcr_fwd_state st;
	char path[512], inst[64] = "";
	FILE *f;

	if (access(fwd_state, R_OK))
		return;
	snprintf(path, sizeof(path), "%s/instance", root);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%63s", inst) != 1)
			inst[0] = '\0';
		fclose(f);
	}
	/* The instance first: the sinks are printed as they are read. */
	if (mcr_fwd_state_read(fwd_state, &st, NULL, NULL))
		return;
	show.same_load = !strcmp(st.instance, inst);
	printf("mcrfwd (%s)%s:\n", fwd_state,
	       st.running ? ", running or killed" : "");
	mcr_fwd_state_read(fwd_state, &st, fwd_sink, &show);
}

static int show(void)
{
	struct dirent **rings;
	int n = scandir(root, &rings, is_ring, ring_order);

	if (n < 0) {
		fprintf(stderr, "mcrstat: %s: %s%s\n", root, strerror(errno),
			errno == ENOENT ? " (is mcrring.ko loaded?)" : "");
		return 1;
	}
	printf("%-6s %7s", "ring", "owner");
	for (size_t c = 0; c < NCOUNTERS; c++)
		printf(" %12s", ring_counters[c]);
	putchar('\n');
	for (int i = 0; i < n; i++) {
		const char *r = rings[i]->d_name;
		long long owner = value(r, "owner"), v[NCOUNTERS];
		char who[24] = "-";

		if (owner >= 0)
			snprintf(who, sizeof(who), "%lld", owner);
		printf("%-6s %7s", r, who);
		/*
		 * Each file is its own snapshot and the drainer moves on
		 * between reads. written is the sum of the others, all of
		 * which only grow: read it last, so that a row never shows
		 * more drained (or dropped, ...) than written.
		 */
		for (size_t c = 0; c < NCOUNTERS; c++)
			if (c != WRITTEN)
				v[c] = value(r, ring_counters[c]);
		v[WRITTEN] = value(r, ring_counters[WRITTEN]);
		for (size_t c = 0; c < NCOUNTERS; c++)
			printf(" %12lld", v[c]);
		putchar('\n');
		free(rings[i]);
	}
	free(rings);
	printf("archive: %lld archived, oldest seq %lld, %lld lost by readers\n",
	       value("", "archived"), value("", "archive_first_seq"),
	       value("", "lost_by_readers"));
	show_span();
	printf("drain thread: %lld passes, %lld wake-ups from writers\n",
	       value("", "drain_passes"), value("", "drain_wakeups"));
	show_fwd();
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: mcrstat [OPTION]...\n"
"Shows mcrring's rings, archive and drain thread.\n"
"  -w, --interval SECONDS  refresh every SECONDS (stop with Ctrl-C)\n"
"  -n, --count COUNT       stop after COUNT tables\n"
"  -s, --state FILE        mcrfwd's state file, shown when it is there\n"
"                          (default " MCR_FWD_STATE_PATH ")\n"
"  -h, --help, -V, --version\n");
}

static const struct option long_opts[] = {
	{ "interval", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'n' },
	{ "state", required_argument, NULL, 's' },
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	long interval = 0, count = -1;
	int opt, ret, li = -1;

	root = mcr_sysfs_root();
	mcr_time_init();
	while ((opt = getopt_long(argc, argv, "w:n:s:hV", long_opts, &li)) != -1) {
		unsigned long long v;

		switch (opt) {
		case 'w':
		case 'n':
			if (!mcr_tool_num(optarg, 86400 * 365, &v) || !v)
				return mcr_tool_bad("mcrstat", long_opts, li,
						    opt, optarg, NULL);
			*(opt == 'w' ? &interval : &count) = (long)v;
			break;
		case 's':
			fwd_state = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			mcr_tool_version("mcrstat");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		li = -1;
	}
	if (optind < argc) {
		fprintf(stderr, "mcrstat: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ret = show();
		if (fflush(stdout) || ret || !interval || !--count)
			return ret;
		sleep((unsigned int)interval);
		putchar('\n');
	}
}
