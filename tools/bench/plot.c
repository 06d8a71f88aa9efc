// SPDX-License-Identifier: GPL-2.0
/*
 * The data tools/mcrbench.gp plots: throughput.dat (each ring's median
 * and spread in the scenarios plotted) and latency-SCENARIO.dat (each
 * ring's write latencies, as the fraction of writes at least that slow).
 */
#include <errno.h>

#include "bench.h"

/* Data for tools/mcrbench.gp. */
int write_plot_data(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/throughput.dat", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "# scenario, then per ring (mcrring ck dpdk dpdk-rts "
		"dpdk-hts dpdk-ptr seed): "
		"median min max, M records/s\n");
	for (size_t i = 0; i < NR_SCEN; i++) {
		if (!scenarios[i].plot_thr || !cells[i][R_MCR].nr)
			continue;
		fprintf(f, "\"%s\"", scenarios[i].id);
		for (int k = 0; k < NR_KINDS; k++) {
			struct cell *ce = &cells[i][k];

			if (ce->na || !ce->enough)
				fprintf(f, " NaN NaN NaN");
			else
				fprintf(f, " %.3f %.3f %.3f", ce->med / 1e6,
					ce->lo / 1e6, ce->hi / 1e6);
		}
		fprintf(f, "\n");
	}
	fclose(f);

	for (size_t i = 0; i < NR_SCEN; i++) {
		if (!scenarios[i].plot_lat)
			continue;
		snprintf(path, sizeof(path), "%s/latency-%s.dat", dir,
			 scenarios[i].id);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		fprintf(f, "# %s: per ring (index 0..6 = mcrring ck dpdk "
			"dpdk-rts dpdk-hts dpdk-ptr seed): write latency ns, "
			"fraction of writes at least "
			"that slow\n", scenarios[i].title);
		for (int k = 0; k < NR_KINDS; k++) {
			const struct hist *h = cells[i][k].lat;
			uint64_t cum = 0, w;

			fprintf(f, "# %s\n", rings[k]->name);
			if (!h || !h->n)
				fprintf(f, "NaN NaN\n");
			for (unsigned int b = 0; h && b < H_BUCKETS; b++) {
				if (!h->b[b])
					continue;
				fprintf(f, "%.1f %.6g\n",
					cyc2ns((double)hist_lo(b, &w)),
					(double)(h->n - cum) / (double)h->n);
				cum += h->b[b];
			}
			fprintf(f, "\n\n");
		}
		fclose(f);
	}
	return 0;
}
