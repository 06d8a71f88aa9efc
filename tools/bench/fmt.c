// SPDX-License-Identifier: GPL-2.0
/*
 * How mcrbench writes a figure: a rate, a latency, a duration, a share,
 * the time a run took, a ratio within rounds.
 */
#include <math.h>

#include "bench.h"

void fmt_rate(double r, char *buf, size_t n)
{
	if (isnan(r))
		snprintf(buf, n, "-");
	else if (r >= 1e6)
		snprintf(buf, n, "%.2f M", r / 1e6);
	else
		snprintf(buf, n, "%.0f k", r / 1e3);
}

void fmt_ns(double ns, char *buf, size_t n)
{
	if (isnan(ns))
		snprintf(buf, n, "-");
	else if (ns >= 1e6)
		snprintf(buf, n, "%.1f ms", ns / 1e6);
	else if (ns >= 1e4)
		snprintf(buf, n, "%.1f µs", ns / 1e3);
	else
		snprintf(buf, n, "%.0f", ns);
}

/* A duration with its unit: "361 ns", "13.5 µs", "1.2 ms". */
void fmt_dur(double ns, char *buf, size_t n)
{
	if (ns < 1e4 || isnan(ns))
		snprintf(buf, n, isnan(ns) ? "-" : "%.0f ns", ns);
	else
		fmt_ns(ns, buf, n);
}

void fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t n)
{
	double p = whole ? 100.0 * (double)part / (double)whole : 0;

	if (!part)
		snprintf(buf, n, "0");
	else if (p < 0.01)
		snprintf(buf, n, "%.4f %%", p);
	else
		snprintf(buf, n, "%.3g %%", p);
}


/* "12.3 ms", "1.24 s", or "stopped" for a run the watchdog ended. */
void fmt_secs(double sec, char *buf, size_t n)
{
	if (isnan(sec))
		snprintf(buf, n, "-");
	else if (isinf(sec))
		snprintf(buf, n, "stopped");
	else if (sec < 1)
		snprintf(buf, n, "%.1f ms", sec * 1e3);
	else
		snprintf(buf, n, "%.2f s", sec);
}


/* "1.23x [1.10-1.41] (5)", or that there were too few rounds. */
void fmt_ratio(const struct rratio *q, char *buf, size_t n)
{
	if (q->n < cfg.min_rounds)
		snprintf(buf, n, "too few rounds (%d)", q->n);
	else
		snprintf(buf, n, "%s%.2fx [%.2f-%.2f] (%d)",
			 q->lower ? ">= " : "", q->med, q->lo, q->hi, q->n);
}
