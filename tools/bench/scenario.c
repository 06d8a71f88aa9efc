// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's scenarios and rings: the table of rings (one file each), the
 * scenarios every ring runs, the memory and records each ring gets, which
 * ring can run which scenario, and where a scenario's threads go.
 */
#include <string.h>

#include "bench.h"

const struct ring_ops *const rings[NR_KINDS] = {
	[R_MCR] = &ring_mcr,
	[R_CK] = &ring_ck,
	[R_DPDK] = &ring_dpdk,
	[R_RTS] = &ring_dpdk_rts,
	[R_HTS] = &ring_dpdk_hts,
	[R_DPTR] = &ring_dpdk_ptr,
	[R_SEED] = &ring_seed,
};

const char *const mode_name[] = { "flat", "flat-drop", "paced" };

#define SPSC_FLAT(sz, n)						\
	{ "spsc-flat-" #sz, "SPSC flat out, " #sz " B", false, 1, sz,	\
	  M_FLAT, 0, n, 4000, 15, sz == 128, true, false, PL_ROBIN, 0 }
#define SPSC_PACED(r, sz, n)						\
	{ "spsc-" #r "M-" #sz, "SPSC paced " #r " M/s, " #sz " B", false, \
	  1, sz, M_PACED, r * 1e6, n, 2000, 3, sz == 128, false, false,	\
	  PL_ROBIN, 0 }

const struct scenario scenarios[] = {
	{ "seed-spsc", "seed benchmark: SPSC 1 M writes, 128 B", false, 1,
	  128, M_FLAT_DROP, 0, 1000000, 20000, 15, false, true, false,
	  PL_ROBIN, 0 },
	{ "seed-mpsc", "seed benchmark: MPSC 4 writers x 250 K, 128 B", true,
	  4, 128, M_FLAT_DROP, 0, 250000, 5000, 15, false, true, false,
	  PL_ROBIN, 0 },
	SPSC_FLAT(16, 1000000),
	SPSC_FLAT(128, 1000000),
	SPSC_FLAT(1024, 250000),
	SPSC_FLAT(4096, 100000),
	SPSC_PACED(1, 16, 100000),
	SPSC_PACED(1, 128, 100000),
	SPSC_PACED(1, 1024, 100000),
	SPSC_PACED(1, 4096, 100000),
	SPSC_PACED(2, 16, 200000),
	SPSC_PACED(2, 128, 200000),
	SPSC_PACED(2, 1024, 200000),
	SPSC_PACED(2, 4096, 200000),
	{ "spsc-flat-128-spin",
	  "SPSC flat out, 128 B, consumer spinning on an empty ring", false,
	  1, 128, M_FLAT, 0, 1000000, 4000, 15, false, true, true, PL_ROBIN, 0 },
	/*
	 * The kernel's drain thread, busy but not at its pass budget, sleeps
	 * 1 ms each time it has caught up (mcr_drain_thread()).
	 */
	{ "spsc-flat-128-drain",
	  "SPSC flat out, 128 B, consumer pausing 1 ms on an empty ring",
	  false, 1, 128, M_FLAT, 0, 1000000, 4000, 15, false, true, false,
	  PL_ROBIN, 1000 },
	{ "spsc-1M-128-spin",
	  "SPSC paced 1 M/s, 128 B, consumer spinning on an empty ring", false,
	  1, 128, M_PACED, 1e6, 100000, 2000, 3, true, false, true, PL_ROBIN, 0 },
	{ "mpsc-flat-1w", "MPSC 1 writer flat out, 128 B", true, 1, 128,
	  M_FLAT, 0, 600000, 4000, 15, false, true, false, PL_ROBIN, 0 },
	{ "mpsc-2w", "MPSC 2 writers flat out, 128 B, on cores of their own",
	  true, 2, 128, M_FLAT, 0, 300000, 4000, 15, true, true, false,
	  PL_SPREAD, 0 },
	{ "mpsc-4w", "MPSC 4 writers flat out, 128 B, on cores of their own",
	  true, 4, 128, M_FLAT, 0, 150000, 2000, 15, false, true, false,
	  PL_SPREAD, 0 },
	{ "mpsc-oversub-2w",
	  "MPSC 2 writers sharing one core, 128 B: time to complete", true, 2,
	  128, M_FLAT, 0, 100000, 2000, 1, false, false, false, PL_SHARE, 0 },
	{ "overrun-spsc-2M", "overruns: SPSC offered 2 M/s, 128 B", false, 1,
	  128, M_PACED, 2e6, 400000, 2000, 15, false, false, false, PL_ROBIN, 0 },
	{ "overrun-spsc-5M", "overruns: SPSC offered 5 M/s, 128 B", false, 1,
	  128, M_PACED, 5e6, 1000000, 2000, 15, false, false, false, PL_ROBIN, 0 },
	{ "overrun-spsc-10M", "overruns: SPSC offered 10 M/s, 128 B", false,
	  1, 128, M_PACED, 10e6, 2000000, 2000, 15, false, false, false,
	  PL_ROBIN, 0 },
	{ "overrun-mpsc-2M", "overruns: MPSC 2 writers offered 2 M/s, 128 B",
	  true, 2, 128, M_PACED, 2e6, 200000, 1000, 15, false, false, false,
	  PL_ROBIN, 0 },
	{ "overrun-mpsc-5M", "overruns: MPSC 2 writers offered 5 M/s, 128 B",
	  true, 2, 128, M_PACED, 5e6, 500000, 1000, 15, false, false, false,
	  PL_ROBIN, 0 },
};

_Static_assert(ARRAY_SIZE(scenarios) == NR_SCEN,
	       "NR_SCEN counts the scenarios");

#define CAP_MAX			(1u << 22)

/* Bytes of memory a ring of @kind with @cap slots takes at @size. */
uint64_t ring_bytes(int kind, uint32_t cap, uint32_t size)
{
	return rings[kind]->bytes(cap, size);
}

/*
 * Every ring gets the bytes mcrring's default ring takes (3 MiB): a peer
 * gets the most slots, a power of two, whose memory fits in them, so a
 * ring with smaller records holds more of them. Records a ring holds:
 * its slots but those it keeps empty (CK and DPDK keep one).
 */
uint32_t ring_capacity(int kind, uint32_t size)
{
	uint64_t budget = ring_bytes(R_MCR, 0, size);
	uint32_t cap = 2;

	if (rings[kind]->capacity)
		return rings[kind]->capacity(size);
	while (cap < CAP_MAX && ring_bytes(kind, 2 * cap, size) <= budget)
		cap *= 2;
	return cap;
}

uint32_t ring_records(int kind, uint32_t size)
{
	return ring_capacity(kind, size) - rings[kind]->spare;
}

bool kind_supports(int kind, const struct scenario *sc, const char **why)
{
	const struct ring_ops *ops = rings[kind];
	const char *cannot = ops->cannot ? ops->cannot(sc->mpsc, sc->size) :
				 NULL;

	if (cannot) {
		*why = cannot;
		return false;
	}
	if (sc->place == PL_SPREAD && (int)sc->nw > mach.ncpu_allowed) {
		*why = "fewer CPUs than writers";
		return false;
	}
	return true;
}

const struct scenario *scenario_by_id(const char *id)
{
	for (size_t i = 0; i < NR_SCEN; i++)
		if (!strcmp(scenarios[i].id, id))
			return &scenarios[i];
	return NULL;
}

/* --only: comma-separated substrings of scenario ids. */
bool selected(const char *only, const char *id)
{
	char buf[256], *save = NULL;

	if (!only)
		return true;
	snprintf(buf, sizeof(buf), "%s", only);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		if (strstr(id, t))
			return true;
	return false;
}

bool oversubscribed(const struct scenario *sc)
{
	if (sc->nw < 2 || sc->place == PL_SPREAD)
		return false;
	return sc->place == PL_SHARE || (int)sc->nw + 1 > mach.ncpu_allowed ||
	       mach.ncpu_allowed <= 2;
}

/* SPREAD with no CPU left for the consumer: the run goes in bursts. */
bool spread_bursts(const struct scenario *sc)
{
	return sc->place == PL_SPREAD && (int)sc->nw + 1 > mach.ncpu_allowed;
}

/* Where writer @i of @sc runs. */
int writer_cpu(const struct scenario *sc, unsigned int i)
{
	int k = 0, j = 0;

	if (sc->place == PL_SHARE)
		return cfg.wcpu;
	if (spread_bursts(sc))
		return mach.cpus[i % (unsigned int)mach.ncpu_allowed];
	if (sc->place == PL_ROBIN && (mach.ncpu_allowed <= 2 || cfg.smoke))
		return cfg.wcpu;
	/* Every CPU but the consumer's, round robin (SPREAD: nw of them). */
	for (; j < mach.ncpu_allowed; j++) {
		if (mach.cpus[j] == cfg.ccpu)
			continue;
		if (k++ == (int)i % (mach.ncpu_allowed - 1))
			return mach.cpus[j];
	}
	return cfg.wcpu;
}

/* Records all writers write per burst: half what the smallest ring of the
 * scenario holds, the same for every ring.
 */
uint64_t burst_records(const struct scenario *sc)
{
	uint32_t least = UINT32_MAX;

	for (int k = 0; k < NR_KINDS; k++) {
		const char *why;

		if (kind_supports(k, sc, &why) && ring_records(k, sc->size) < least)
			least = ring_records(k, sc->size);
	}
	return least / 2;
}
