// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench-vm: the whole path through the module, measured in a guest
 * (`make bench-vm` boots one; scripts/bench-guest.sh runs this there).
 * Software emulation makes absolute times meaningless, so it prints only
 * ratios, each taken within this one run of one guest:
 *
 *  - log calls, the same 128-byte message flat out, every call timed with
 *    mcrbench's bracket and every message read back where its reader
 *    would read it: mcr_log() into the device's SPSC ring (the module's
 *    drain thread archives it, read back from /dev/mcrlog), write(2) to
 *    /dev/kmsg (read back from /dev/kmsg), and mcrbench's own log calls
 *    (tools/bench/logcalls.c): syslog(3) to an rsyslogd started here,
 *    fprintf(3) to a file, mcr_log() into a shared-memory ring a thread
 *    drains. Each call's p50, p99 and rate against the device's mcr_log().
 *  - the drain thread against one writer offering records flat out (a
 *    refused one retried at once): the rate it archived them at, against
 *    the rate they were offered.
 *
 * usage: mcrbench-vm [-n CALLS] [-N RECORDS] [-d SCRATCH]
 * x86-64 guests only: the timer is the TSC.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"	/* clock.c's TSC calibration and the shm ring's clock */
#include "lcmsg.h"
#include "logcalls.h"

#define WCPU		0		/* the writer's CPU */
#define WAIT_NS		60000000000ULL	/* for the drain thread, guest time */

enum { VC_DEV, VC_KMSG, VC_SYSLOG, VC_FPRINTF, VC_SHM, NR_VC };

static const char *const vc_title[NR_VC] = {
	"`mcr_log()` into the device's SPSC ring, the module's thread draining",
	"`write(2)` to `/dev/kmsg`",
	"`syslog(3)` to rsyslogd in the guest",
	"`fprintf(3)` to a file",
	"`mcr_log()` into a shared-memory ring, a thread draining",
};

/* Which of logcalls.c's calls a row is, for those it measures. */
static const int vc_lc[NR_VC] = { -1, -1, LC_SYSLOG, LC_FPRINTF, LC_MCR };

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * A record or line read back: lc_got() counts it when it carries one of
 * the benchmark's messages; the rest of the archive or of the kernel's
 * log is someone else's.
 */
static void got(struct lc_check *chk, const char *text, size_t len)
{
	if (memmem(text, len, LC_PREFIX, sizeof(LC_PREFIX) - 1))
		lc_got(chk, text, len);
}

/* Records of @ring the module archived so far. */
static int drained(struct mcr_set *set, unsigned int ring, uint64_t *out)
{
	struct mcr_counters c = { .ring = ring };
	int ret = mcr_ring_counters(set, ring, &c);

	*out = c.drained;
	return ret;
}

/* Until the drain thread archived @want records of @ring past @base. */
static int wait_drained(struct mcr_set *set, unsigned int ring, uint64_t base,
			uint64_t want)
{
	uint64_t end = mcr_now_ns() + WAIT_NS, d = 0;
	int ret;

	while (!(ret = drained(set, ring, &d)) && d - base < want) {
		if (mcr_now_ns() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return ret;
}

/*
 * The device's SPSC ring of the writer's CPU, claimed by this thread, and
 * how many records of it the module archived so far. On failure nothing
 * stays open.
 */
static int dev_writer(struct mcr_set **set, struct mcr_writer *w,
		      uint64_t *base)
{
	int ret = mcr_open("/dev/mcrlog", set);

	if (ret)
		return ret;
	ret = mcr_writer_spsc(*set, WCPU, w);
	if (!ret)
		ret = drained(*set, MCR_RING_SPSC(WCPU), base);
	if (ret)
		mcr_set_close(*set);
	return ret;
}

/*
 * @n calls of mcr_log() into the device's SPSC ring of the writer's CPU,
 * flat out, a refused record counted; then every accepted one read back
 * from the archive. The archive must hold them: the guest's module is
 * loaded with archive_kb large enough.
 */
static int run_dev(uint64_t n, uint32_t *t, struct lc_check *chk,
		   struct lc_result *res)
{
	struct mcr_archive *a = NULL;
	struct mcr_arecord arec;
	static char text[MCR_TEXT_MAX];
	char msg[LC_LEN + 1];
	struct mcr_set *set;
	struct mcr_writer w;
	uint64_t t0, base;
	unsigned int ring = MCR_RING_SPSC(WCPU);
	int ret, r;

	ret = dev_writer(&set, &w, &base);
	if (ret)
		return ret;
	/* From the oldest record: ours are told apart by their ring. */
	ret = mcr_archive_open(NULL, true, &a);
	if (ret)
		goto out;
	t0 = __rdtsc();
	for (uint64_t s = 0; s < n; s++) {
		uint64_t b;

		lc_msg(msg, s);
		b = t_start();
		r = mcr_log(&w, LC_PRI, msg, LC_LEN);
		t[s] = (uint32_t)(t_end() - b);
		if (r == -ENOBUFS)
			res->refused++;
		else if (r)
			ret = r;
	}
	res->rate = n / ((double)(__rdtsc() - t0) / tsc_ghz / 1e9);
	if (!ret)
		ret = wait_drained(set, ring, base, n - res->refused);
	while (!ret && (r = mcr_archive_next(a, &arec, text)) > 0)
		if (arec.ring == ring)
			got(chk, text, arec.len);
	if (!ret && r < 0)
		ret = r;
out:
	if (a)
		mcr_archive_close(a);
	mcr_set_close(set);
	return ret;
}

/*
 * @n writes of "<14>", the message and a newline to /dev/kmsg
 * (printk.devkmsg=on: no rate limit), as logger(1) writes them, then read
 * back from /dev/kmsg from where it stood. Without the newline the kernel
 * keeps the last record open for a continuation, and no reader sees it.
 */
static int run_kmsg(uint64_t n, uint32_t *t, struct lc_check *chk,
		    struct lc_result *res)
{
	char msg[4 + LC_LEN + 2], rec[8192];
	int wfd, rfd, ret = 0;
	uint64_t t0;
	ssize_t r;

	wfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	rfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (wfd < 0 || rfd < 0 || lseek(rfd, 0, SEEK_END) < 0) {
		ret = -errno;
		goto out;
	}
	memcpy(msg, "<14>", 4);
	t0 = __rdtsc();
	for (uint64_t s = 0; s < n; s++) {
		uint64_t b;

		lc_msg(msg + 4, s);
		msg[4 + LC_LEN] = '\n';
		b = t_start();
		r = write(wfd, msg, 4 + LC_LEN + 1);
		t[s] = (uint32_t)(t_end() - b);
		if (r != 4 + LC_LEN + 1)
			ret = r < 0 ? -errno : -EIO;
	}
	res->rate = n / ((double)(__rdtsc() - t0) / tsc_ghz / 1e9);
	/* "pri,seq,ts,flags;text\n": a record overwritten before this read
	 * shows as EPIPE, and as a message not delivered. */
	while ((r = read(rfd, rec, sizeof(rec) - 1)) != 0) {
		char *semi;

		if (r < 0 && errno == EPIPE)
			continue;
		if (r < 0)
			break;
		rec[r] = '\0';
		semi = strchr(rec, ';');
		if (semi)
			got(chk, semi + 1, (size_t)(rec + r - semi - 1));
	}
out:
	if (wfd >= 0)
		close(wfd);
	if (rfd >= 0)
		close(rfd);
	return ret;
}

/*
 * The drain thread against one writer: the writer offers @n records as
 * fast as it can, retrying a refused one at once. *offered: records a
 * second from its first write to its last; *archived: from its first
 * write to the last record archived; *retried: refusals.
 */
static int run_drain(uint64_t n, double *offered, double *archived,
		     uint64_t *retried)
{
	unsigned int ring = MCR_RING_SPSC(WCPU);
	char msg[LC_LEN + 1];
	struct mcr_set *set;
	struct mcr_writer w;
	uint64_t base, t0;
	int ret;

	*retried = 0;
	ret = dev_writer(&set, &w, &base);
	if (ret)
		return ret;
	t0 = mcr_now_ns();
	for (uint64_t s = 0; s < n && !ret; s++) {
		lc_msg(msg, s);
		while ((ret = mcr_log(&w, LC_PRI, msg, LC_LEN)) == -ENOBUFS)
			++*retried;
	}
	*offered = n / ((double)(mcr_now_ns() - t0) / 1e9);
	if (!ret)
		ret = wait_drained(set, ring, base, n);
	*archived = n / ((double)(mcr_now_ns() - t0) / 1e9);
	mcr_set_close(set);
	return ret;
}

int main(int argc, char **argv)
{
	struct lc_cfg lc = { .wcpu = WCPU, .n = 20000, .dir = "/tmp/mcrbench",
			      .calibrate = clock_calibrate_spsc0 };
	struct lc_result res[NR_VC] = { 0 };
	uint64_t ndrain = 200000, retried = 0;
	const struct lc_result *dev = &res[VC_DEV];
	double offered = 0, archived = 0;
	bool ok = true;
	uint32_t *t;
	int opt, ret;

	while ((opt = getopt(argc, argv, "n:N:d:")) != -1) {
		switch (opt) {
		case 'n':
			lc.n = strtoull(optarg, NULL, 0);
			break;
		case 'N':
			ndrain = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			lc.dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: mcrbench-vm [-n CALLS] "
				"[-N RECORDS] [-d SCRATCH]\n");
			return 2;
		}
	}
	if (!lc.n || !ndrain) {
		fprintf(stderr, "mcrbench-vm: -n and -N take a count > 0\n");
		return 2;
	}
	t = calloc(lc.n, sizeof(*t));
	if (!t || pin(WCPU)) {
		fprintf(stderr, "mcrbench-vm: no memory, or no CPU %d\n", WCPU);
		return 1;
	}
	mkdir(lc.dir, 0755);
	calibrate_tsc(200);
	lc.tsc_ghz = tsc_ghz;
	lc.backoff_ns = 20000;
	lc_setup(&lc);

	for (int k = 0; k < NR_VC; k++) {
		struct lc_result *r = &res[k];

		if (vc_lc[k] >= 0) {
			ret = lc_run(vc_lc[k], &lc, r);
		} else {
			struct lc_check chk = { .n = lc.n,
						.seen = calloc(lc.n, 1) };

			memset(t, 0, lc.n * sizeof(*t));
			ret = !chk.seen ? -ENOMEM :
			      k == VC_DEV ? run_dev(lc.n, t, &chk, r) :
			      run_kmsg(lc.n, t, &chk, r);
			r->calls = lc.n;
			r->delivered = chk.delivered;
			r->reordered = chk.reordered;
			r->dups = chk.dups;
			r->garbled = chk.garbled;
			if (!ret)
				lc_quantiles(&lc, t, lc.n, r);
			else
				r->na = "the run failed";
			free(chk.seen);
		}
		if (ret)
			fprintf(stderr, "mcrbench-vm: %s: %s\n", vc_title[k],
				strerror(-ret));
		if (ret || !lc_sound(r))
			ok = false;
	}
	ret = run_drain(ndrain, &offered, &archived, &retried);
	if (ret) {
		fprintf(stderr, "mcrbench-vm: drain: %s\n", strerror(-ret));
		ok = false;
	}
	lc_teardown();

	printf("### The whole path, in one guest\n\n");
	printf("%" PRIu64 " calls of each, 128 bytes, flat out, by one thread "
	       "on CPU %d of the guest; every message read back. Costs are "
	       "relative to the first row's (p50 against its p50, p99 "
	       "against its p99, rate against its rate): under software "
	       "emulation only ratios within one run mean anything.\n\n",
	       lc.n, WCPU);
	printf("| call | p50 | p99 | calls/s | delivered |\n"
	       "| --- | --- | --- | --- | --- |\n");
	for (int k = 0; k < NR_VC; k++) {
		const struct lc_result *r = &res[k];

		if (r->na) {
			printf("| %s | n/a: %s | | | |\n", vc_title[k], r->na);
			continue;
		}
		printf("| %s | %.2fx | %.2fx | %.3fx | %" PRIu64 " of %" PRIu64
		       "%s%s |\n", vc_title[k], r->p50_ns / dev->p50_ns,
		       r->p99_ns / dev->p99_ns, r->rate / dev->rate,
		       r->delivered, r->calls,
		       r->refused ? ", the rest refused (ring full)" : "",
		       lc_sound(r) ? "" : ", **lost, reordered or garbled**");
	}
	printf("\nThe drain thread against one writer: %" PRIu64 " records "
	       "offered flat out (a refused one retried at once: %" PRIu64
	       " refusals) were all archived at **%.3fx** the rate the "
	       "writer offered them%s.\n", ndrain, retried,
	       offered ? archived / offered : 0,
	       retried ? "" : "; the ring never filled: the writer, not the "
	       "drain thread, set the pace");
	free(t);
	return ok ? 0 : 1;
}
