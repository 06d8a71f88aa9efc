// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's log calls (logcalls.c runs one) in rounds: every call flat
 * out and at each offered rate, in an order that turns with the round;
 * their figures over the rounds, their ratios to mcrring within rounds,
 * their table and JSON, and the smoke's TAP line for them.
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "logcalls.h"

#define LC_CALLS	200000
#define LC_CALLS_SMOKE	2000

/* Offered calls per second: flat out, then paced, every call alike. */
static const double lc_rate[] = { 0, 1e6, 2e6 };
#define NR_LC_RATES	ARRAY_SIZE(lc_rate)

static struct lc_result lc_res[MAXROUNDS][NR_LC_RATES][NR_LC];
static int lc_rounds;
static char lc_helper[PATH_MAX];	/* mcrbench-lttng, beside us */

/* mcrbench-lttng sits beside this binary when liblttng-ust-dev was there. */
static void lc_helper_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(lc_helper, sizeof(lc_helper), "%.*s/mcrbench-lttng",
		 (int)(sizeof(lc_helper) - 16), self);
}

/* Round @r of every log call, in an order that turns with the round. */
static void lc_round(const char *dir, int r, bool quiet)
{
	struct lc_cfg lc = {
		.tsc_ghz = tsc_ghz, .wcpu = cfg.wcpu,
		.n = cfg.smoke ? LC_CALLS_SMOKE : LC_CALLS,
		.backoff_ns = cfg.backoff_ns, .dir = dir,
		.calibrate = clock_calibrate_spsc0, .lttng_helper = lc_helper,
	};

	for (size_t q = 0; q < NR_LC_RATES; q++)
	for (int j = 0; j < NR_LC; j++) {
		int k = (j + r) % NR_LC;
		struct lc_result *res = &lc_res[r][q][k];

		lc.period = lc_rate[q] ? (uint64_t)(tsc_ghz * 1e9 / lc_rate[q]) :
					 0;
		lc_run(k, &lc, res);
		if (!quiet)
			fprintf(stderr, "[%d/%d] log call %-9s %-8s %s%s "
				"%9.0f calls/s p50 %6.0f p99 %8.0f ns, %"
				PRIu64 " of %" PRIu64 " delivered, %" PRIu64
				" refused, %" PRIu64 " discarded\n", r + 1,
				cfg.rounds, lc_name[k], lc_rate[q] ?
				(lc_rate[q] > 1.5e6 ? "2 M/s" : "1 M/s") :
				"flat", res->na ? "n/a: " : "",
				res->na ? res->na : "", res->rate, res->p50_ns,
				res->p99_ns, res->delivered, res->calls,
				res->refused, res->discarded);
	}
	lc_rounds = r + 1;
}

/* Median, min and max of one figure of log call @k over the rounds. */
static int lc_stat(size_t q, int k, int what, double *med, double *lo,
		   double *hi)
{
	double v[MAXROUNDS];
	int n = 0;

	for (int r = 0; r < lc_rounds; r++) {
		const struct lc_result *x = &lc_res[r][q][k];

		if (x->na)
			continue;
		v[n++] = what == 0 ? x->rate : what == 1 ? x->p50_ns :
			 x->p99_ns;
	}
	*med = median(v, n);
	*lo = n ? v[0] : NAN;
	*hi = n ? v[n - 1] : NAN;
	return n;
}

/* Log call @k's p50 or p99 over mcrring's, within rounds. */
static struct rratio lc_ratio(size_t z, int k, bool p99)
{
	struct rratio q = { .med = NAN, .lo = NAN, .hi = NAN };
	double v[MAXROUNDS];

	for (int r = 0; r < lc_rounds; r++) {
		const struct lc_result *a = &lc_res[r][z][LC_MCR];
		const struct lc_result *b = &lc_res[r][z][k];

		if (a->na || b->na)
			continue;
		v[q.n++] = p99 ? b->p99_ns / a->p99_ns : b->p50_ns / a->p50_ns;
	}
	q.med = median(v, q.n);
	q.lo = q.n ? v[0] : NAN;
	q.hi = q.n ? v[q.n - 1] : NAN;
	return q;
}

void write_logcalls(FILE *f)
{
	if (!lc_rounds)
		return;
	fprintf(f, "\n### Log calls\n\n"
		"The same 128-byte message, %d calls by one thread on CPU %d, "
		"flat out, then offered at fixed rates (a call behind its "
		"schedule goes at once), every call timed (timer included), "
		"every message read back where a reader would (the ring's "
		"consumer, placed by the scheduler like LTTng's consumer "
		"daemon and rsyslogd, asleep %.0f µs when it finds the ring "
		"empty as the module's drain thread sleeps between passes; the "
		"file, rsyslogd's output, the LTTng trace through babeltrace2) "
		"and checked. *lost*: refused, the call returned an error "
		"(mcrring: ring full; a log call never waits), or discarded, "
		"the tracer reported it afterwards (LTTng's own count). "
		"Each call as configured by default. Figures: median "
		"[min-max] (rounds); ratios: the call's p50 or p99 over "
		"mcrring's, within rounds (> 1: "
		"mcrring is cheaper). Fewer than %d rounds: no number.\n\n"
		"| offered | call | calls/s | p50 ns | p99 ns | delivered | "
		"lost | p50 vs mcrring | p99 vs mcrring | checks |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
		cfg.smoke ? LC_CALLS_SMOKE : LC_CALLS, cfg.wcpu,
		cfg.backoff_ns / 1000, cfg.min_rounds);
	for (size_t z = 0; z < NR_LC_RATES; z++)
	for (int k = 0; k < NR_LC; k++) {
		char a[64], b[96], c[256], r50[64], r99[64];
		double med, lo, hi;
		uint64_t calls = 0, del = 0, ref = 0;
		bool sound = true;
		const char *na = NULL;
		int n;

		char off[32];

		if (lc_rate[z])
			snprintf(off, sizeof(off), "%.0f M/s", lc_rate[z] / 1e6);
		else
			snprintf(off, sizeof(off), "flat out");
		for (int r = 0; r < lc_rounds; r++) {
			const struct lc_result *x = &lc_res[r][z][k];

			if (x->na) {
				na = x->na;
				continue;
			}
			calls += x->calls;
			del += x->delivered;
			ref += x->refused + x->discarded;
			sound &= lc_sound(x);
		}
		n = lc_stat(z, k, 0, &med, &lo, &hi);
		if (n < cfg.min_rounds) {
			fprintf(f, "| %s | %s | too few rounds (%d)%s%s | | | %"
				PRIu64 " of %" PRIu64 " | %" PRIu64 " | | | %s |\n",
				off, lc_title[k], n, na ? "; n/a: " : "",
				na ? na : "", del, calls, ref,
				sound ? "ok" : "**LOST, REORDERED or GARBLED**");
			continue;
		}
		fmt_rate(med, a, sizeof(a));
		fmt_rate(lo, r50, sizeof(r50));
		fmt_rate(hi, r99, sizeof(r99));
		snprintf(c, sizeof(c), "%s/s [%s-%s] (%d)", a, r50, r99, n);
		lc_stat(z, k, 1, &med, &lo, &hi);
		snprintf(a, sizeof(a), "%.0f [%.0f-%.0f]", med, lo, hi);
		lc_stat(z, k, 2, &med, &lo, &hi);
		snprintf(b, sizeof(b), "%.0f [%.0f-%.0f]", med, lo, hi);
		if (k == LC_MCR) {
			snprintf(r50, sizeof(r50), "-");
			snprintf(r99, sizeof(r99), "-");
		} else {
			struct rratio q = lc_ratio(z, k, false);

			fmt_ratio(&q, r50, sizeof(r50));
			q = lc_ratio(z, k, true);
			fmt_ratio(&q, r99, sizeof(r99));
		}
		fprintf(f, "| %s | %s | %s | %s | %s | %" PRIu64 " of %" PRIu64
			" | %" PRIu64 " | %s | %s | %s |\n", off, lc_title[k], c, a,
			b, del, calls, ref, r50, r99,
			sound ? "ok" : "**LOST, REORDERED or GARBLED**");
	}
}

void json_logcalls(FILE *f)
{
	fprintf(f, "  \"log_calls\": [");
	for (size_t z = 0; z < NR_LC_RATES; z++)
	for (int k = 0; k < NR_LC; k++) {
		struct rratio q50 = lc_ratio(z, k, false);
		struct rratio q99 = lc_ratio(z, k, true);

		fprintf(f, "%s\n    {\"call\": \"%s\", ", z || k ? "," : "",
			lc_name[k]);
		json_num(f, "offered_per_s", lc_rate[z] ? lc_rate[z] : NAN,
			 true);
		fprintf(f, "\"rounds\": [");
		for (int r = 0; r < lc_rounds; r++) {
			const struct lc_result *x = &lc_res[r][z][k];

			fprintf(f, "%s{", r ? ", " : "");
			if (x->na) {
				fprintf(f, "\"na\": \"%s\"}", x->na);
				continue;
			}
			json_num(f, "calls_per_s", x->rate, true);
			json_num(f, "p50_ns", x->p50_ns, true);
			json_num(f, "p99_ns", x->p99_ns, true);
			json_num(f, "max_ns", x->max_ns, true);
			fprintf(f, "\"calls\": %" PRIu64 ", \"delivered\": %"
				PRIu64 ", \"refused\": %" PRIu64 ", \"sound\": "
				"%s, \"discarded\": %" PRIu64 "}", x->calls,
				x->delivered, x->refused,
				lc_sound(x) ? "true" : "false", x->discarded);
		}
		fprintf(f, "], ");
		json_ratio(f, "p50_vs_mcrring", &q50, true);
		json_ratio(f, "p99_vs_mcrring", &q99, false);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n");
}

/*
 * The smoke's second line: every call delivered what it accepted, or the
 * tracer reported it lost. A call whose server this machine lacks is a
 * skip, said so; any other failure fails.
 */
void lc_smoke_tap(void)
{
	char why[256] = "", skip[256] = "";
	bool ok = lc_rounds > 0;
	size_t o = 0;

	for (int k = 0; k < NR_LC; k++)
		if (lc_unavailable(k) && o < sizeof(skip))
			o += (size_t)snprintf(skip + o, sizeof(skip) - o,
					      "%s%s: %s", o ? "; " : "",
					      lc_name[k], lc_unavailable(k));
	for (int r = 0; r < lc_rounds; r++)
		for (size_t z = 0; z < NR_LC_RATES; z++)
		for (int k = 0; k < NR_LC; k++) {
			const struct lc_result *x = &lc_res[r][z][k];

			if (lc_unavailable(k) || lc_sound(x))
				continue;
			ok = false;
			snprintf(why, sizeof(why), "%s: %s%" PRIu64 " of %"
				 PRIu64 " delivered, %" PRIu64 " refused, %"
				 PRIu64 " discarded, %" PRIu64 " reordered, %"
				 PRIu64 " garbled", lc_name[k],
				 x->na ? x->na : "", x->delivered, x->calls,
				 x->refused, x->discarded, x->reordered,
				 x->garbled);
		}
	if (!ok)
		printf("not ok - bench: smoke: log calls: %s\n", why);
	else
		printf("ok - bench: smoke: log calls: mcrring, fprintf, "
		       "syslog(3) through an rsyslogd of its own and an "
		       "LTTng-UST session: every call delivered in order, or "
		       "counted lost%s%s\n", o ? " # SKIP " : "", skip);
}

/* Every log call, every round, in @out/logcalls. */
void logcall_rounds(const char *out, bool quiet)
{
	char rel[4096], dir[PATH_MAX];

	/* rsyslogd wants absolute paths */
	snprintf(rel, sizeof(rel), "%s/logcalls", out);
	mkdir(rel, 0755);
	if (!realpath(rel, dir))
		snprintf(dir, sizeof(dir), "%s", rel);
	lc_helper_path();
	lc_setup(&(struct lc_cfg){ .dir = dir,
				   .lttng_helper = lc_helper });
	for (int r = 0; r < cfg.rounds; r++)
		lc_round(dir, r, quiet);
	lc_teardown();
}
