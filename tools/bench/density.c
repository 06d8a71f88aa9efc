// SPDX-License-Identifier: GPL-2.0
/*
 * Memory density: what a record of 100 bytes costs in each layout, mcrring
 * and the seed's design measured by filling a ring, the peers' fixed
 * elements by their size.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "seed.h"

#define MIB_PER(b)	(1048576.0 / (double)(b))
#define DESC_B		((unsigned int)sizeof(struct mcr_desc))

struct density densities[6];
int ndensities;

void measure_density(void)
{
	struct mcr_set *set;
	struct mcr_writer w;
	char msg[100];
	uint64_t n = 0;
	double ring_b = (double)mcr_ring_size(RING_NDESC, RING_DATA);
	struct seed_ring *sr;
	uint64_t sn = 0, rs = 0;

	memset(msg, 'x', sizeof(msg));
	ndensities = 0;
	if (!mcr_shm_create(2, RING_NDESC, RING_DATA, &set)) {
		if (!mcr_writer_spsc(set, 0, &w))
			while (!mcr_log(&w, BENCH_PRI, msg, sizeof(msg)))
				n++;
		mcr_set_close(set);
	}
	densities[ndensities++] = (struct density){
		"mcrring, per record (64 B descriptor + text padded to 8 B)",
		DESC_B + MCR_ALIGN_UP(100), MIB_PER(DESC_B + MCR_ALIGN_UP(100)),
		"geometry-independent: descriptor + text",
	};
	densities[ndensities] = (struct density){
		"mcrring, default ring (16384 descriptors, 2 MiB text), filled",
		ring_b / (double)n, (double)n / (ring_b / 1048576.0), "",
	};
	snprintf(densities[ndensities++].how, sizeof(densities[0].how),
		 "measured: %" PRIu64 " records fit in %.2f MiB "
		 "(descriptor-bound)", n, ring_b / 1048576.0);

	sr = zalloc_aligned(sizeof(*sr));
	sr->mask = RING_NDESC - 1;
	sr->slots = zalloc_aligned(RING_NDESC * sizeof(struct seed_slot));
	while (!seed_write(sr, false, &rs, (const unsigned char *)msg,
			   sizeof(msg)))
		sn++;
	densities[ndensities] = (struct density){
		"seed design (fixed 512-byte slots)", 512,
		(double)sn / (RING_NDESC * 512.0 / 1048576.0), "",
	};
	snprintf(densities[ndensities++].how, sizeof(densities[0].how),
		 "measured: %" PRIu64 " records fit in %.0f MiB", sn,
		 RING_NDESC * 512.0 / 1048576.0);
	free(sr->slots);
	free(sr);
	densities[ndensities++] = (struct density){
		"ck / dpdk by value, element sized for 4 KiB messages",
		sizeof(struct elem4096), MIB_PER(sizeof(struct elem4096)),
		"fixed elements must fit the largest message",
	};
	densities[ndensities++] = (struct density){
		"ck / dpdk by value, element sized for 128 B messages",
		sizeof(struct elem128), MIB_PER(sizeof(struct elem128)),
		"holds nothing longer than 128 B",
	};
}
