// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's statistics: log-linear histograms of TSC ticks (64
 * sub-buckets per power of two, < 1.6 %), their quantiles, and the
 * median of a few figures.
 */
#include <math.h>
#include <stdlib.h>

#include "bench.h"

static unsigned int hist_idx(uint64_t v)
{
	int e;

	if (v < H_SUB)
		return (unsigned int)v;
	e = 63 - __builtin_clzll(v);
	return (unsigned int)((e - H_SUB_BITS + 1) << H_SUB_BITS) |
	       (unsigned int)((v >> (e - H_SUB_BITS)) & (H_SUB - 1));
}

/* Lower bound and width of bucket @i. */
uint64_t hist_lo(unsigned int i, uint64_t *width)
{
	unsigned int e = (i >> H_SUB_BITS), sub = i & (H_SUB - 1);

	if (e == 0) {
		*width = 1;
		return i;
	}
	e += H_SUB_BITS - 1;
	*width = 1ULL << (e - H_SUB_BITS);
	return (uint64_t)(H_SUB | sub) << (e - H_SUB_BITS);
}

void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_idx(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *d, const struct hist *s)
{
	for (unsigned int i = 0; i < H_BUCKETS; i++)
		d->b[i] += s->b[i];
	d->n += s->n;
	if (s->max > d->max)
		d->max = s->max;
}

/* Value at quantile @q (0..1), in TSC ticks; NaN when empty. */
double hist_q(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, w;

	if (!h || !h->n)
		return NAN;
	if (q >= 1)
		return (double)h->max;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < H_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo = hist_lo(i, &w);
			double mid = (double)lo + (double)(w - 1) / 2;

			return mid > (double)h->max ? (double)h->max : mid;
		}
	}
	return (double)h->max;
}

int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(v[0]), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
