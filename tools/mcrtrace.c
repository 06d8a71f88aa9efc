// SPDX-License-Identifier: GPL-2.0
/*
 * mcrtrace: watch mcrring through its tracepoints with BPF. Prints every
 * drop, invalid record, abandoned record and claim as it happens, each
 * ring's drain rate every interval, and a log2 histogram of write->drain
 * latency at the end. The BPF side is mcrtrace.bpf.c; its skeleton
 * (mcrtrace.skel.h) is generated into the build folder by bpftool.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "mcr_tool.h"
#include "mcrtrace.h"
#include "mcrtrace.skel.h"

static const char *const kind_names[] = {
	[MCRT_DROP] = "drop",
	[MCRT_INVALID] = "invalid",
	[MCRT_ABANDONED] = "abandoned",
	[MCRT_CLAIM] = "claim",
	[MCRT_RELEASE] = "release",
};

/* Where tracefs may be; libbpf looks in the same two places. */
static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

static volatile sig_atomic_t stop;
static bool json, verbose;
static unsigned long long start_ns;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double since_start(unsigned long long ns)
{
	return ns > start_ns ? (ns - start_ns) / 1e9 : 0;
}

/* A ring as every tool names it, if this tool can follow it; else -1. */
static long parse_ring(const char *s)
{
	long v = mcr_ring_arg(s);

	return v < MCRT_MAX_RINGS ? v : -1;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	return errno || *end || end == s || !(v > 0) || v > 1e6 ? -1 : v;
}

/* One line: TIME EVENT RING PID DETAIL, or the same as a JSON object. */
static void print_line(unsigned long long ns, const char *event, __u32 ring,
		       __s32 pid, const char *detail, const char *jdetail)
{
	char rbuf[16], pbuf[16] = "-";

	if (json) {
		if (pid)
			snprintf(pbuf, sizeof(pbuf), "%d", pid);
		printf("{\"time\":%.3f,\"event\":\"%s\",\"ring\":\"%s\",\"pid\":%s%s}\n",
		       since_start(ns), event, mcr_ring_name(ring, rbuf, sizeof(rbuf)),
		       pid ? pbuf : "null", jdetail);
		return;
	}
	if (pid)
		snprintf(pbuf, sizeof(pbuf), "%d", pid);
	printf("%-9.3f %-9s %-6s %7s%s%s\n", since_start(ns), event,
	       mcr_ring_name(ring, rbuf, sizeof(rbuf)), pbuf, *detail ? "  " : "",
	       detail);
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct mcrt_event *e = data;
	char detail[96] = "", jdetail[96] = "";

	(void)ctx;
	if (size < sizeof(*e) || e->kind > MCRT_RELEASE)
		return 0;
	switch (e->kind) {
	case MCRT_DROP:
		snprintf(detail, sizeof(detail), "dropped=%llu total=%llu",
			 (unsigned long long)e->value,
			 (unsigned long long)e->total);
		snprintf(jdetail, sizeof(jdetail),
			 ",\"dropped\":%llu,\"total\":%llu",
			 (unsigned long long)e->value,
			 (unsigned long long)e->total);
		break;
	case MCRT_INVALID:
	case MCRT_ABANDONED:
		snprintf(detail, sizeof(detail), "seq=%llu",
			 (unsigned long long)e->value);
		snprintf(jdetail, sizeof(jdetail), ",\"seq\":%llu",
			 (unsigned long long)e->value);
		break;
	}
	print_line(e->time_ns, kind_names[e->kind], e->ring, e->pid, detail,
		   jdetail);
	return 0;
}

/* Drain counts since the last summary, per ring, and events lost. */
struct summary {
	struct mcrt_drain_stat *prev;
	unsigned long long prev_ns;
	__u64 prev_lost;
};

static void summarise(const struct mcrtrace_bpf *skel, struct summary *s,
		      unsigned long long now)
{
	double secs = (now - s->prev_ns) / 1e9;
	__u64 lost;

	for (__u32 i = 0; i < MCRT_MAX_RINGS; i++) {
		const struct mcrt_drain_stat *d = &skel->bss->drains[i];
		__u64 rec = __atomic_load_n(&d->records, __ATOMIC_RELAXED);
		__u64 passes = __atomic_load_n(&d->passes, __ATOMIC_RELAXED);
		__u64 dr = rec - s->prev[i].records;
		__u64 dp = passes - s->prev[i].passes;
		char detail[96], jdetail[96];

		if (!dp)
			continue;
		snprintf(detail, sizeof(detail),
			 "records=%llu rate=%.0f/s passes=%llu",
			 (unsigned long long)dr, secs > 0 ? dr / secs : 0.0,
			 (unsigned long long)dp);
		snprintf(jdetail, sizeof(jdetail),
			 ",\"records\":%llu,\"rate\":%.1f,\"passes\":%llu",
			 (unsigned long long)dr, secs > 0 ? dr / secs : 0.0,
			 (unsigned long long)dp);
		print_line(now, "drain", i, 0, detail, jdetail);
		s->prev[i].records = rec;
		s->prev[i].passes = passes;
	}
	lost = __atomic_load_n(&skel->bss->lost_events, __ATOMIC_RELAXED);
	if (lost != s->prev_lost) {
		fprintf(stderr, "mcrtrace: %llu events lost (output too slow)\n",
			(unsigned long long)(lost - s->prev_lost));
		s->prev_lost = lost;
	}
	s->prev_ns = now;
}

/*
 * Slot n holds latencies in [2^n, 2^(n+1)) us; slot 0 also 0 and 1.
 * JSON lists every slot up to the last used, text from the first used.
 */
static void print_hist(const struct mcrtrace_bpf *skel)
{
	__u64 h[MCRT_HIST_SLOTS], max = 0, total = 0;
	int first = -1, last = -1;

	for (int i = 0; i < MCRT_HIST_SLOTS; i++) {
		h[i] = __atomic_load_n(&skel->bss->hist[i], __ATOMIC_RELAXED);
		total += h[i];
		if (h[i]) {
			if (first < 0)
				first = i;
			last = i;
			if (h[i] > max)
				max = h[i];
		}
	}
	if (json) {
		printf("{\"event\":\"latency\",\"unit\":\"us\",\"passes\":%llu,\"slots\":[",
		       (unsigned long long)total);
		for (int i = 0; i <= last; i++)
			printf("%s{\"low\":%llu,\"high\":%llu,\"count\":%llu}",
			       i ? "," : "", i ? 1ULL << i : 0ULL,
			       (1ULL << (i + 1)) - 1, (unsigned long long)h[i]);
		printf("]}\n");
		return;
	}
	printf("\nwrite->drain latency, oldest record of each drain pass (%llu passes):\n",
	       (unsigned long long)total);
	if (!total)
		return;
	printf("%22s : %-8s %s\n", "usecs", "count", "distribution");
	for (int i = first; i <= last; i++) {
		int stars = (int)(h[i] * 30 / max);

		printf("%10llu -> %-8llu : %-8llu |%-30.*s|\n",
		       i ? 1ULL << i : 0ULL, (1ULL << (i + 1)) - 1,
		       (unsigned long long)h[i], stars,
		       "******************************");
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (!verbose)
		return 0;	/* mcrtrace says what went wrong itself */
	return vfprintf(stderr, fmt, ap);
}

/*
 * The tracefs directory holding mcrring's events, readable. Otherwise
 * say why not, as precisely as the file system tells, and return NULL.
 */
static const char *find_tracepoints(void)
{
	const char *why = NULL;
	char path[256];
	int err = ENOENT;

	for (size_t i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/mcrring/mcrring_drain/format",
			 tracefs_dirs[i]);
		if (!access(path, R_OK))
			return tracefs_dirs[i];
		if (errno == EACCES)
			err = EACCES;
		snprintf(path, sizeof(path), "%s/events", tracefs_dirs[i]);
		if (!access(path, F_OK))
			why = "mcrring's tracepoints are not there (is mcrring.ko loaded?)";
		else if (errno == EACCES)
			err = EACCES;
	}
	if (err == EACCES)
		fprintf(stderr, "mcrtrace: %s: Permission denied (run as root: tracing needs CAP_BPF and CAP_PERFMON)\n",
			tracefs_dirs[0]);
	else if (why)
		fprintf(stderr, "mcrtrace: %s\n", why);
	else
		fprintf(stderr, "mcrtrace: tracefs is not mounted (mount -t tracefs tracefs %s)\n",
			tracefs_dirs[0]);
	return NULL;
}

/*
 * Which record layout of mcrtrace.h the kernel uses: the offset of
 * mcrring_drain's first field gives the common header's size. 1 for
 * PREEMPT_RT's, 0 for the standard one, -1 (said) for neither.
 */
static int record_layout(const char *tracefs)
{
	char path[256], line[256];
	long off = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/mcrring/mcrring_drain/format",
		 tracefs);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " field:u32 ring; offset:%ld;", &off) == 1)
			break;
	if (f)
		fclose(f);
	if (off == offsetof(struct mcrt_tp_drain_std, ring))
		return 0;
	if (off == offsetof(struct mcrt_tp_drain_rt, ring))
		return 1;
	fprintf(stderr, "mcrtrace: %s: a layout mcrtrace does not know (ring at offset %ld)\n",
		path, off);
	return -1;
}

/* Load only the programs for @layout: names end in _rt or _std. */
static void choose_programs(struct mcrtrace_bpf *skel, int layout)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		size_t n = strlen(name);
		bool rt = n > 3 && !strcmp(name + n - 3, "_rt");

		bpf_program__set_autoload(prog, rt == (layout == 1));
	}
}

enum { OPT_DURATION = 256 };

static const struct option long_opts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, 'n' },
	{ "ring", required_argument, NULL, 'r' },
	{ "cpu", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "no-histogram", no_argument, NULL, 'H' },
	{ "verbose", no_argument, NULL, 'v' },
	MCR_TOOL_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: mcrtrace [OPTION]...\n"
"Traces mcrring: drops, invalid and abandoned records, claims,\n"
"drain rates per ring, write->drain latency.\n"
"  -i, --interval SECONDS  print drain rates every SECONDS (default 1)\n"
"      --duration SECONDS  stop after SECONDS\n"
"  -n, --count COUNT       stop after COUNT intervals\n"
"  -r, --ring RING         only RING: mpsc, cpuN, or its number\n"
"  -c, --cpu N             only CPU N's ring (--ring cpuN)\n"
"  -j, --json              JSON lines\n"
"  -H, --no-histogram      no latency histogram\n"
"  -v, --verbose           show libbpf's messages\n"
"  -h, --help, -V, --version\n");
}

int main(int argc, char **argv)
{
	double interval = 1, duration = 0;
	long ring = -1, count = 0, intervals = 0;
	struct summary sum = { 0 };
	struct ring_buffer *rb = NULL;
	struct mcrtrace_bpf *skel;
	unsigned long long next, end = 0;
	bool hist = true;
	const char *tracefs;
	int layout;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, err, ret = 1, li = -1;

	while ((opt = getopt_long(argc, argv, "i:n:r:c:jHvhV", long_opts,
				  &li)) != -1) {
		unsigned long long v = 0;
		bool bad = false;

		switch (opt) {
		case 'i':
			interval = parse_seconds(optarg);
			bad = interval < 0;
			break;
		case OPT_DURATION:
			duration = parse_seconds(optarg);
			bad = duration < 0;
			break;
		case 'n':
			bad = !mcr_tool_num(optarg, LONG_MAX, &v) || !v;
			count = (long)v;
			break;
		case 'r':
			ring = parse_ring(optarg);
			bad = ring < 0;
			break;
		case 'c':
			ring = mcr_cpu_arg(optarg);
			ring = ring < 0 || MCR_RING_SPSC(ring) >= MCRT_MAX_RINGS ?
			       -1 : MCR_RING_SPSC(ring);
			bad = ring < 0;
			break;
		case 'j':
			json = true;
			break;
		case 'H':
			hist = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			mcr_tool_version("mcrtrace");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad)
			return mcr_tool_bad("mcrtrace", long_opts, li, opt,
					    optarg, NULL);
		li = -1;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	libbpf_set_print(libbpf_print);
	tracefs = find_tracepoints();
	if (!tracefs)
		return 1;
	layout = record_layout(tracefs);
	if (layout < 0)
		return 1;
	skel = mcrtrace_bpf__open();
	if (!skel) {
		fprintf(stderr, "mcrtrace: opening the BPF program: %s\n",
			strerror(errno));
		return 1;
	}
	choose_programs(skel, layout);
	skel->rodata->target_ring = ring < 0 ? MCRT_ALL_RINGS : (__u32)ring;
	skel->rodata->hist_on = hist;
	err = mcrtrace_bpf__load(skel);
	if (!err)
		err = mcrtrace_bpf__attach(skel);
	if (err) {
		err = errno ? errno : -err;
		fprintf(stderr, "mcrtrace: loading the BPF program: %s%s\n",
			strerror(err), err == EPERM || err == EACCES ?
			" (run as root: tracing needs CAP_BPF and CAP_PERFMON)" :
			err == ENOENT ? " (is mcrring.ko loaded?)" : "");
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL,
			      NULL);
	sum.prev = calloc(MCRT_MAX_RINGS, sizeof(*sum.prev));
	if (!rb || !sum.prev) {
		fprintf(stderr, "mcrtrace: %s\n", strerror(errno));
		goto out;
	}

	/* No SA_RESTART: a signal ends the poll, and then us. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	start_ns = sum.prev_ns = mono_ns();
	next = start_ns + (unsigned long long)(interval * 1e9);
	if (duration)
		end = start_ns + (unsigned long long)(duration * 1e9);
	/* Attached: from this line on, nothing is missed. */
	if (!json)
		printf("%-9s %-9s %-6s %7s  %s\n", "TIME(s)", "EVENT", "RING",
		       "PID", "DETAIL");
	else
		printf("{\"event\":\"start\",\"interval\":%.3f}\n", interval);
	fflush(stdout);

	ret = 0;
	while (!stop) {
		unsigned long long now = mono_ns(), wake;

		if (now >= next) {
			summarise(skel, &sum, now);
			next += (unsigned long long)(interval * 1e9);
			if (count && ++intervals >= count)
				break;
		}
		if (end && now >= end)
			break;
		if (fflush(stdout))
			break;		/* the reader went away */
		wake = end && end < next ? end : next;
		err = ring_buffer__poll(rb, (int)((wake - now) / 1000000) + 1);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "mcrtrace: ring buffer: %s\n",
				strerror(-err));
			ret = 1;
			break;
		}
	}
	ring_buffer__consume(rb);
	/* What the last, partial interval drained. */
	if (!count || intervals < count)
		summarise(skel, &sum, mono_ns());
	if (hist)
		print_hist(skel);
	fflush(stdout);
out:
	free(sum.prev);
	ring_buffer__free(rb);
	mcrtrace_bpf__destroy(skel);
	return ret;
}
