// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench: latency and throughput of mcrring's write path, side by side
 * with Concurrency Kit's typed ring, DPDK's rte_ring (element API in its
 * default, RTS and HTS multi-producer modes; a ring of pointers to pooled
 * records) and the proof of concept's own design (512-byte slots,
 * EMPTY/WRITING/READY), in one run, on the host; then the log calls a
 * user would pick instead (tools/bench/logcalls.c).
 *
 * Every ring gets the same bytes and kind of memory and carries the same
 * payload by value; writers are pinned (all on one core, each on its own,
 * or round robin: see the placements), a consumer drains concurrently on
 * another core. Per-write latency comes from sampled writes timed with
 * lfence;rdtsc ... rdtscp (tools/bench/tsc.h; the timer's own cost is
 * measured and reported), end-to-end latency from the same samples' TSC
 * carried in the payload, read back by the consumer. The consumer checks
 * every record of every ring for loss, duplicates, order and torn text.
 * A round whose threads lost CPU time to anybody else is flagged; a cell
 * prints numbers only from enough undisturbed rounds, and ratios between
 * rings are taken within rounds.
 *
 *   mcrbench [--rounds N] [--out DIR]      full run: results.md/.json, plots' data
 *   mcrbench --smoke [--out DIR]           tiny run; prints TAP lines
 *
 * x86-64 only (rdtsc). See tools/bench.mk for `make bench`.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "mcrbench times with rdtsc: x86-64 only"
#endif
#include <x86intrin.h>

#include "bench/tsc.h"
#include "bench/logcalls.h"

#include <ck_ring.h>
#include <rte_config.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "mcrring.h"
#include "mcr_compat.h"	/* the kernel's names: READ_ONCE() and the like */

#define MAXW		8		/* writers per run */
#define MAXROUNDS	32
#define RING_NDESC	16384		/* kmod defaults: ring_ndesc */
#define RING_DATA	(2048u * 1024)	/* ... and ring_data_kb */
#define BENCH_PRI	MCR_PRI(1, 6)
#define RUN_TIMEOUT_S	4		/* a run still going after this is stopped */
/* A smoke run: mcrring's take milliseconds; a peer that convoys is stopped */
#define SMOKE_TIMEOUT_S	10
#define SEQ_BITS	48
#define SEQ_MASK	((1ULL << SEQ_BITS) - 1)
#define MIB_PER(b)	(1048576.0 / (double)(b))

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

static double tsc_ghz;			/* TSC ticks per ns */
static uint64_t tsc_origin;

/*
 * Every ring's records carry the same timestamp: CLOCK_MONOTONIC from the
 * TSC map libmcrring keeps (lib/mcr_clock.h). mcrring's writers read
 * their own ring's map; the peers read this set's, through the same
 * inline function, so the comparison is of rings, not of clocks.
 */
static struct mcr_set *clock_set;
static struct mcr_writer clock_reader;	/* only its .clock is used */

static ALWAYS_INLINE uint64_t peer_now(void)
{
	return mcr_writer_now(&clock_reader);
}

/*
 * Keep @set's clock until @map covers now: the first map comes
 * MCR_CLOCK_FIRST_NS after the first sample, as for any consumer.
 */
static int clock_calibrate(struct mcr_set *set, const struct mcr_clock *map)
{
	__u64 ns, end = mcr_now_ns() + 2000000000ULL;

	for (;;) {
		int ret = mcr_set_keep_clock(set);

		if (ret)
			return ret;
		if (mcr_clock_read(map, __rdtsc(), &ns))
			return 0;
		if (mcr_now_ns() > end)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

static double cyc2ns(double c)
{
	return c / tsc_ghz;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long thread_nivcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nivcsw;
}

/* TSC ticks per ns against CLOCK_MONOTONIC, best of a few windows. */
static void calibrate_tsc(unsigned int ms)
{
	double best = 0, spread_lo = 1e9, spread_hi = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t m0 = mono_ns(), c0 = __rdtsc(), m1, c1;

		do {
			m1 = mono_ns();
		} while (m1 - m0 < ms * 1000000ULL / 3);
		c1 = __rdtsc();
		double g = (double)(c1 - c0) / (double)(m1 - m0);

		spread_lo = g < spread_lo ? g : spread_lo;
		spread_hi = g > spread_hi ? g : spread_hi;
		best += g;
	}
	tsc_ghz = best / 3;
	tsc_origin = __rdtsc();
	(void)spread_lo;
	(void)spread_hi;
}

/* ------------------------------------------------------------------ */
/* Histograms: log-linear, 64 sub-buckets per power of two (< 1.6 %)   */
/* ------------------------------------------------------------------ */

#define H_SUB_BITS	6
#define H_SUB		(1u << H_SUB_BITS)
#define H_BUCKETS	((64 - H_SUB_BITS + 1) * H_SUB)

struct hist {
	uint64_t n;
	uint64_t max;
	uint64_t b[H_BUCKETS];
};

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
static uint64_t hist_lo(unsigned int i, uint64_t *width)
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

static void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_idx(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

static void hist_merge(struct hist *d, const struct hist *s)
{
	for (unsigned int i = 0; i < H_BUCKETS; i++)
		d->b[i] += s->b[i];
	d->n += s->n;
	if (s->max > d->max)
		d->max = s->max;
}

/* Value at quantile @q (0..1), in TSC ticks; NaN when empty. */
static double hist_q(const struct hist *h, double q)
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

/* ------------------------------------------------------------------ */
/* Payload and the peers' element                                      */
/* ------------------------------------------------------------------ */

/*
 * Every ring carries the same message of `size` bytes, copied by value:
 * bytes 0..7 hold (writer << 48 | sequence), 8..15 the writer's TSC for
 * sampled writes (0 otherwise), and, from 24 bytes up, the last 8 bytes
 * repeat the first 8 so the consumer notices a torn copy. The peers carry
 * it in an element with the metadata a log record needs (timestamp,
 * thread, length, priority), as mcrring's descriptor does.
 */
struct elem_hdr {
	uint64_t ts_ns;
	uint32_t tid;
	uint16_t len;
	uint8_t pri;
	uint8_t flags;
};

#define DEFINE_ELEM(n)						\
	struct elem##n {					\
		struct elem_hdr h;				\
		unsigned char msg[n];				\
	};							\
	CK_RING_PROTOTYPE(e##n, elem##n)

DEFINE_ELEM(16)
DEFINE_ELEM(128)
DEFINE_ELEM(1024)
DEFINE_ELEM(4096)

#define ELEM_MAX	(sizeof(struct elem_hdr) + MCR_TEXT_MAX)

/* ------------------------------------------------------------------ */
/* The seed's design, rebuilt: fixed 512-byte slots with a state word  */
/* ------------------------------------------------------------------ */

/*
 * As the proof of concept describes it: write_seq and read_seq free
 * running on their own cache lines, pos = seq & (capacity - 1), each
 * 512-byte, cache-aligned entry holding state, timestamp, sequence,
 * core id and a 256-byte message. SPSC: the writer checks its slot is
 * EMPTY, fills it and marks it READY (release). MPSC: "writers use CAS to
 * reserve slots": a writer that finds the ring not full CASes write_seq
 * from the sequence it read to the next one, retrying when another writer
 * won, so every sequence taken is written and no hole is left; then it
 * fills the slot as the SPSC writer does. "Not full" is judged on
 * read_seq, which each writer caches and re-reads only when the cache says
 * full (a slot's EMPTY state alone cannot tell a writer that another one,
 * a lap behind and preempted, still owns it). A full ring is an overrun:
 * counted, the record dropped. The reader takes the slot at read_seq when
 * it is READY (acquire), marks it EMPTY and then advances read_seq
 * (release).
 */
enum { SEED_EMPTY, SEED_WRITING, SEED_READY };
#define SEED_MSG_MAX	256

struct seed_slot {
	uint32_t state;
	uint32_t core_id;
	uint64_t timestamp;
	uint64_t sequence;
	uint32_t len;
	uint32_t pad0;
	unsigned char message[SEED_MSG_MAX];
	unsigned char pad[512 - 32 - SEED_MSG_MAX];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct seed_slot) == 512, "seed slot is 512 bytes");

struct seed_ring {
	struct seed_slot *slots;
	uint64_t mask;
	uint32_t core_id;
	uint64_t write_seq __attribute__((aligned(64)));
	uint64_t read_seq __attribute__((aligned(64)));
	uint64_t overruns __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/* MPSC: take the next sequence with a CAS; false when the ring is full. */
static ALWAYS_INLINE bool seed_reserve_mp(struct seed_ring *r,
					  uint64_t *rs_cache, uint64_t *seq)
{
	uint64_t s = __atomic_load_n(&r->write_seq, __ATOMIC_RELAXED);

	do {
		if (s - *rs_cache > r->mask) {
			/* Pairs with seed_read()'s release of read_seq: the
			 * slot's last reader is done with it. */
			*rs_cache = __atomic_load_n(&r->read_seq,
						    __ATOMIC_ACQUIRE);
			if (s - *rs_cache > r->mask)
				return false;
		}
	} while (!__atomic_compare_exchange_n(&r->write_seq, &s, s + 1, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*seq = s;
	return true;
}

/* Fill the slot of a sequence this writer owns and publish it. */
static ALWAYS_INLINE int seed_fill(struct seed_ring *r, uint64_t seq,
				   const unsigned char *msg, uint32_t len)
{
	struct seed_slot *sl = &r->slots[seq & r->mask];

	/* The sequence is ours, so is the slot: the reader emptied it. */
	if (__atomic_load_n(&sl->state, __ATOMIC_RELAXED) != SEED_EMPTY)
		return -EIO;
	__atomic_store_n(&sl->state, SEED_WRITING, __ATOMIC_RELAXED);
	sl->timestamp = peer_now();
	sl->core_id = r->core_id;
	sl->sequence = seq;
	sl->len = len;
	memcpy(sl->message, msg, len);
	__atomic_store_n(&sl->state, SEED_READY, __ATOMIC_RELEASE);
	return 0;
}

static ALWAYS_INLINE int seed_write(struct seed_ring *r, bool mp,
				    uint64_t *rs_cache,
				    const unsigned char *msg, uint32_t len)
{
	uint64_t seq;

	if (mp) {
		if (!seed_reserve_mp(r, rs_cache, &seq)) {
			__atomic_fetch_add(&r->overruns, 1, __ATOMIC_RELAXED);
			return -ENOBUFS;
		}
	} else {
		seq = __atomic_load_n(&r->write_seq, __ATOMIC_RELAXED);
		if (__atomic_load_n(&r->slots[seq & r->mask].state,
				    __ATOMIC_ACQUIRE) != SEED_EMPTY) {
			__atomic_store_n(&r->overruns, r->overruns + 1,
					 __ATOMIC_RELAXED);
			return -ENOBUFS;
		}
		__atomic_store_n(&r->write_seq, seq + 1, __ATOMIC_RELAXED);
	}
	return seed_fill(r, seq, msg, len);
}

/* Copy the record at read_seq out by value; 0 when it is not READY. */
static ALWAYS_INLINE int seed_read(struct seed_ring *r, unsigned char *elem)
{
	uint64_t seq = __atomic_load_n(&r->read_seq, __ATOMIC_RELAXED);
	struct seed_slot *sl = &r->slots[seq & r->mask];
	struct elem_hdr *h = (struct elem_hdr *)elem;
	uint32_t len;

	if (__atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) != SEED_READY)
		return 0;
	len = sl->len > SEED_MSG_MAX ? SEED_MSG_MAX : sl->len;
	h->ts_ns = sl->timestamp;
	h->len = (uint16_t)len;
	memcpy(elem + sizeof(*h), sl->message, len);
	__atomic_store_n(&sl->state, SEED_EMPTY, __ATOMIC_RELEASE);
	__atomic_store_n(&r->read_seq, seq + 1, __ATOMIC_RELEASE);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */
/* ------------------------------------------------------------------ */

/*
 * DPDK four ways: its element API in the default multi-producer mode
 * (writers publish in ticket order), in RTS (relaxed tail sync) and HTS
 * (head/tail sync) modes, DPDK's answer to preempted producers; and the
 * way DPDK is most used, a ring of pointers to preallocated records taken
 * from a free ring (rte_mempool's ring handler without EAL's per-lcore
 * caches), records cache-aligned as rte_mempool aligns its objects.
 */
enum ring_kind { R_MCR, R_CK, R_DPDK, R_RTS, R_HTS, R_DPTR, R_SEED, NR_KINDS };
static const char *const kind_name[NR_KINDS] = {
	"mcrring", "ck", "dpdk", "dpdk-rts", "dpdk-hts", "dpdk-ptr", "seed",
};
static const char *const kind_title[NR_KINDS] = {
	"mcrring", "Concurrency Kit ck_ring (typed)",
	"DPDK rte_ring (elem, default MP/SP)", "DPDK rte_ring (elem, MP RTS)",
	"DPDK rte_ring (elem, MP HTS)",
	"DPDK rte_ring of pointers to pooled records",
	"seed design (512 B slots)",
};

/*
 * FLAT: writers run flat out and retry a refused write (lossless);
 *       records/s = records consumed / (first write .. last consumed).
 * FLAT_DROP: flat out, a refused write is dropped (the seed's own
 *       benchmarks); rate = write calls / writer time, as the seed's ops/s.
 * PACED: writers offer `rate` records/s on a fixed schedule, a refused
 *       write is dropped (a log call never blocks).
 */
enum mode { M_FLAT, M_FLAT_DROP, M_PACED };
static const char *const mode_name[] = { "flat", "flat-drop", "paced" };

struct scenario {
	const char *id;
	const char *title;
	bool mpsc;
	unsigned int nw;
	unsigned int size;
	int mode;
	double rate;		/* offered records/s, all writers (PACED) */
	uint64_t n;		/* writes per writer */
	uint64_t n_smoke;
	unsigned int stride;	/* sample one write in `stride` */
	bool plot_lat;		/* in latency.png */
	bool plot_thr;		/* in throughput.png */
	bool spin;		/* consumer polls without pausing */
	int place;		/* where the writers run */
};

/*
 * ROBIN: writers round robin over every CPU but the consumer's (all on the
 *        writers' CPU where there are two), the consumer concurrent.
 * SPREAD: each writer on a core of its own. With a CPU left for the
 *        consumer it drains concurrently; without one, writers write in
 *        bursts that fit every ring, the consumer drains between bursts,
 *        and only the bursts are timed.
 * SHARE: every writer on the writers' CPU, the consumer on another: the
 *        oversubscribed case, reported as the time to complete and the
 *        longest stall of any writer, every write timed.
 */
enum { PL_ROBIN, PL_SPREAD, PL_SHARE };

#define SPSC_FLAT(sz, n)						\
	{ "spsc-flat-" #sz, "SPSC flat out, " #sz " B", false, 1, sz,	\
	  M_FLAT, 0, n, 4000, 15, sz == 128, true, false, PL_ROBIN }
#define SPSC_PACED(r, sz, n)						\
	{ "spsc-" #r "M-" #sz, "SPSC paced " #r " M/s, " #sz " B", false, \
	  1, sz, M_PACED, r * 1e6, n, 2000, 3, sz == 128, false, false,	\
	  PL_ROBIN }

static const struct scenario scenarios[] = {
	{ "seed-spsc", "seed benchmark: SPSC 1 M writes, 128 B", false, 1,
	  128, M_FLAT_DROP, 0, 1000000, 20000, 15, false, true, false,
	  PL_ROBIN },
	{ "seed-mpsc", "seed benchmark: MPSC 4 writers x 250 K, 128 B", true,
	  4, 128, M_FLAT_DROP, 0, 250000, 5000, 15, false, true, false,
	  PL_ROBIN },
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
	  1, 128, M_FLAT, 0, 1000000, 4000, 15, false, true, true, PL_ROBIN },
	{ "spsc-1M-128-spin",
	  "SPSC paced 1 M/s, 128 B, consumer spinning on an empty ring", false,
	  1, 128, M_PACED, 1e6, 100000, 2000, 3, true, false, true, PL_ROBIN },
	{ "mpsc-flat-1w", "MPSC 1 writer flat out, 128 B", true, 1, 128,
	  M_FLAT, 0, 600000, 4000, 15, false, true, false, PL_ROBIN },
	{ "mpsc-2w", "MPSC 2 writers flat out, 128 B, on cores of their own",
	  true, 2, 128, M_FLAT, 0, 300000, 4000, 15, true, true, false,
	  PL_SPREAD },
	{ "mpsc-4w", "MPSC 4 writers flat out, 128 B, on cores of their own",
	  true, 4, 128, M_FLAT, 0, 150000, 2000, 15, false, true, false,
	  PL_SPREAD },
	{ "mpsc-oversub-2w",
	  "MPSC 2 writers sharing one core, 128 B: time to complete", true, 2,
	  128, M_FLAT, 0, 100000, 2000, 1, false, false, false, PL_SHARE },
	{ "overrun-spsc-2M", "overruns: SPSC offered 2 M/s, 128 B", false, 1,
	  128, M_PACED, 2e6, 400000, 2000, 15, false, false, false, PL_ROBIN },
	{ "overrun-spsc-5M", "overruns: SPSC offered 5 M/s, 128 B", false, 1,
	  128, M_PACED, 5e6, 1000000, 2000, 15, false, false, false, PL_ROBIN },
	{ "overrun-spsc-10M", "overruns: SPSC offered 10 M/s, 128 B", false,
	  1, 128, M_PACED, 10e6, 2000000, 2000, 15, false, false, false,
	  PL_ROBIN },
	{ "overrun-mpsc-2M", "overruns: MPSC 2 writers offered 2 M/s, 128 B",
	  true, 2, 128, M_PACED, 2e6, 200000, 1000, 15, false, false, false,
	  PL_ROBIN },
	{ "overrun-mpsc-5M", "overruns: MPSC 2 writers offered 5 M/s, 128 B",
	  true, 2, 128, M_PACED, 5e6, 500000, 1000, 15, false, false, false,
	  PL_ROBIN },
};
#define NR_SCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* The command line. */
static struct {
	int wcpu, ccpu;
	int min_rounds;		/* a cell resting on fewer prints no number */
	bool smoke;
	int timeout_s;
	double backoff_ns;
} cfg;

/* Records mcrring's default ring (16384 descriptors, 2 MiB text) holds
 * at this message size. */
static uint32_t capacity_for(unsigned int size)
{
	uint32_t by_data = RING_DATA / MCR_ALIGN_UP(size);
	uint32_t cap = RING_NDESC;

	while (cap > by_data)
		cap >>= 1;
	return cap;
}

#define PEER_ESIZE(size)	((uint32_t)sizeof(struct elem_hdr) + (size))
#define DPTR_REC(size)		((PEER_ESIZE(size) + 63u) & ~63u)
#define CAP_MAX			(1u << 22)

/* Bytes of memory a ring of @kind with @cap slots takes at @size. */
static uint64_t ring_bytes(int kind, uint32_t cap, uint32_t size)
{
	switch (kind) {
	case R_MCR:
		return mcr_ring_size(RING_NDESC, RING_DATA);
	case R_CK:
		return (uint64_t)cap * PEER_ESIZE(size) + sizeof(struct ck_ring);
	case R_DPDK:
	case R_RTS:
	case R_HTS:
		return (uint64_t)rte_ring_get_memsize_elem(PEER_ESIZE(size), cap);
	case R_DPTR:	/* the ring, the free ring, cap - 1 records */
		return 2 * (uint64_t)rte_ring_get_memsize(cap) +
		       (uint64_t)(cap - 1) * DPTR_REC(size);
	default:
		return (uint64_t)cap * sizeof(struct seed_slot) +
		       sizeof(struct seed_ring);
	}
}

/*
 * Every ring gets the bytes mcrring's default ring takes (2.5 MiB): a peer
 * gets the most slots, a power of two, whose memory fits in them, so a
 * ring with smaller records holds more of them. Records a ring holds:
 * its slots (CK and DPDK keep one slot empty).
 */
static uint32_t ring_capacity(int kind, uint32_t size)
{
	uint64_t budget = ring_bytes(R_MCR, 0, size);
	uint32_t cap = 2;

	if (kind == R_MCR)
		return capacity_for(size);
	while (cap < CAP_MAX && ring_bytes(kind, 2 * cap, size) <= budget)
		cap *= 2;
	return cap;
}

static uint32_t ring_records(int kind, uint32_t size)
{
	uint32_t cap = ring_capacity(kind, size);

	return kind == R_MCR || kind == R_SEED ? cap : cap - 1;
}

/* ------------------------------------------------------------------ */
/* One run                                                             */
/* ------------------------------------------------------------------ */

/*
 * Every ring's memory is the kind mcrring's is: a memfd mapped shared
 * (shmem: small pages unless shmem THP is enabled, where anonymous heap
 * memory could get huge pages), and prefaulted.
 */
struct shm {
	void *p;
	size_t n;
};

static void *shm_alloc(struct shm *m, size_t n)
{
	int fd = memfd_create("mcrbench", MFD_CLOEXEC);
	void *p;

	m->p = NULL;
	m->n = (n + 4095) & ~(size_t)4095;
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)m->n)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, m->n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, m->n);	/* prefaulted, like every ring */
	m->p = p;
	return p;
}

static void shm_free(struct shm *m)
{
	if (m->p)
		munmap(m->p, m->n);
	m->p = NULL;
}

struct run;

struct wctx {
	struct run *run;
	unsigned int idx;
	int cpu;
	pthread_t th;
	uint64_t id_base;
	uint32_t tid;
	uint64_t attempts, accepted, refused, errors;
	uint32_t *lat;
	size_t nlat, maxlat;
	uint64_t t0, t1, cpu_ns;
	long nivcsw;
	bool share;		/* another thread of the run on its CPU */
	uint64_t bt0, bt1;	/* this burst's first and last write */
	uint64_t progress __attribute__((aligned(64)));	/* for the watchdog */
	uint64_t seed_rs;	/* the seed's MPSC writer: read_seq, cached */
	struct mcr_writer mw;
	unsigned char elem[ELEM_MAX] __attribute__((aligned(64)));
};

struct cctx {
	struct run *run;
	int cpu;
	pthread_t th;
	uint64_t received, reordered, dups, torn, skipped;
	uint64_t next[MAXW];
	uint64_t *seen[MAXW];		/* bitmaps of sequences received */
	uint64_t maxseq;
	uint32_t *e2e;
	size_t ne2e, maxe2e;
	uint64_t t0, t1, t_last, cpu_ns, now_ns;
	long nivcsw;
	struct mcr_cursor cur;
	struct mcr_record rec;
	unsigned char elem[ELEM_MAX] __attribute__((aligned(64)));
};

struct run {
	const struct scenario *sc;
	int kind;
	bool mpsc;
	unsigned int nw;
	uint32_t size, cap, esize;
	int mode;
	uint64_t n;		/* writes per writer */
	uint64_t period;	/* TSC ticks between one writer's writes */
	unsigned int stride;
	bool yield;		/* writer and consumer share a CPU */
	uint64_t burst;		/* SPREAD without a CPU to spare: records per
				 * writer per burst; 0: the consumer drains
				 * concurrently */
	uint64_t burst_ticks;	/* the bursts' time, first write to last */
	pthread_barrier_t bar;	/* writers and consumer, between bursts */
	uint64_t deadline;	/* TSC ticks a run may take */
	uint64_t backoff;	/* consumer: ticks to wait when empty */
	/* the rings */
	struct mcr_set *set;
	const struct mcr_ring *mring;
	__u64 abandon_ns;
	struct ck_ring *ck;
	void *ck_buf;
	struct rte_ring *rte;
	struct rte_ring *pool;	/* dpdk-ptr: free records */
	struct seed_ring *seed;
	struct shm mem[3];	/* the peers' memory */
	/* coordination, each on its own line */
	int go __attribute__((aligned(64)));
	int writers_done __attribute__((aligned(64)));
	int stop __attribute__((aligned(64)));
	int ready __attribute__((aligned(64)));
	unsigned int arrive __attribute__((aligned(64)));	/* burst start */
	uint64_t pingpong __attribute__((aligned(64)));
	uint64_t rtt;		/* TSC ticks per cross-core round trip */
	struct wctx *w[MAXW];
	struct cctx *c;
};

struct run_result {
	bool ran, timeout, na;
	uint64_t attempts, accepted, refused, errors;
	uint64_t received, reordered, dups, torn, lost, skipped, stranded;
	uint64_t ring_drops;	/* what the ring itself counted */
	bool acct_ok;		/* the ring's own accounting balances */
	double secs_write, secs_total;
	double rate, wrate, drate;
	double stolen_ms;
	long nivcsw;
	uint64_t steal_ticks;
	double rtt_ns;		/* cross-core round trip just before the run */
	uint64_t bursts;	/* SPREAD without a CPU to spare */
	double complete_s;	/* first write to last record consumed;
				 * INFINITY when the watchdog stopped it */
	double done_frac;	/* of the records, consumed */
	double stall_ns;	/* the longest write call of any writer */
	int round;
	bool disturbed;
	struct hist *lat, *e2e;	/* this run's samples */
};

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static ALWAYS_INLINE void spin(bool yield)
{
	if (yield)
		sched_yield();
	else
		_mm_pause();
}

/*
 * A refused write, retried: every ring alike, pause REFUSED_SPINS times,
 * then yield the CPU on every further refusal, so that a writer sharing
 * its core with the consumer or another writer lets it run.
 */
#define REFUSED_SPINS	64

static ALWAYS_INLINE void refused_wait(const struct run *run,
				       unsigned int tries)
{
	if (run->yield || tries > REFUSED_SPINS)
		sched_yield();
	else
		_mm_pause();
}

static ALWAYS_INLINE bool ck_write(struct run *run, unsigned char *elem)
{
	struct ck_ring *r = run->ck;

#define CK_CASE(n)							\
	case n:								\
		return run->mpsc ?					\
			ck_ring_enqueue_mpsc_e##n(r, run->ck_buf,	\
						  (struct elem##n *)elem) : \
			ck_ring_enqueue_spsc_e##n(r, run->ck_buf,	\
						  (struct elem##n *)elem)
	switch (run->size) {
	CK_CASE(16);
	CK_CASE(128);
	CK_CASE(1024);
	CK_CASE(4096);
	}
#undef CK_CASE
	return false;
}

static ALWAYS_INLINE bool ck_read(struct run *run, unsigned char *elem)
{
	struct ck_ring *r = run->ck;

#define CK_CASE(n)							\
	case n:								\
		return ck_ring_dequeue_spsc_e##n(r, run->ck_buf,	\
						 (struct elem##n *)elem)
	switch (run->size) {
	CK_CASE(16);
	CK_CASE(128);
	CK_CASE(1024);
	CK_CASE(4096);
	}
#undef CK_CASE
	return false;
}

/* The timed call: one log record of @len bytes, by value. */
static ALWAYS_INLINE int ring_write(const int kind, struct run *run,
				    struct wctx *w, uint32_t len)
{
	struct elem_hdr *h = (struct elem_hdr *)w->elem;
	unsigned char *msg = w->elem + sizeof(*h);

	switch (kind) {
	case R_MCR:
		return mcr_log(&w->mw, BENCH_PRI, (const char *)msg, len);
	case R_CK:
		h->ts_ns = peer_now();
		h->tid = w->tid;
		h->len = (uint16_t)len;
		h->pri = BENCH_PRI;
		return ck_write(run, w->elem) ? 0 : -ENOBUFS;
	case R_DPDK:
	case R_RTS:
	case R_HTS:
		h->ts_ns = peer_now();
		h->tid = w->tid;
		h->len = (uint16_t)len;
		h->pri = BENCH_PRI;
		/* As rte_ring_mp_enqueue_elem() is made: a bulk of one. */
		if (kind == R_RTS)
			return rte_ring_mp_rts_enqueue_bulk_elem(run->rte,
				w->elem, run->esize, 1, NULL) ? 0 : -ENOBUFS;
		if (kind == R_HTS)
			return rte_ring_mp_hts_enqueue_bulk_elem(run->rte,
				w->elem, run->esize, 1, NULL) ? 0 : -ENOBUFS;
		return run->mpsc ?
			rte_ring_mp_enqueue_elem(run->rte, w->elem, run->esize) :
			rte_ring_sp_enqueue_elem(run->rte, w->elem, run->esize);
	case R_DPTR: {
		void *rec;

		if (run->mpsc ? rte_ring_mc_dequeue(run->pool, &rec) :
				rte_ring_sc_dequeue(run->pool, &rec))
			return -ENOBUFS;
		h = rec;
		h->ts_ns = peer_now();
		h->tid = w->tid;
		h->len = (uint16_t)len;
		h->pri = BENCH_PRI;
		memcpy(h + 1, msg, len);
		/* Cannot fail: the ring has a slot for every record. */
		return run->mpsc ? rte_ring_mp_enqueue(run->rte, rec) :
				   rte_ring_sp_enqueue(run->rte, rec);
	}
	default:
		return seed_write(run->seed, run->mpsc, &w->seed_rs, msg, len);
	}
}

/*
 * Take one record: 1 with the message and its length set, 2 when the ring skipped a
 * descriptor (progress, no record), 0 when there is nothing to take.
 */
static ALWAYS_INLINE int ring_read(const int kind, struct run *run,
				   struct cctx *c, const unsigned char **msg,
				   uint32_t *len)
{
	struct elem_hdr *h = (struct elem_hdr *)c->elem;
	int res;

	*msg = c->elem + sizeof(*h);
	switch (kind) {
	case R_MCR:
		/* The clock decides abandonment: never older than 256 records. */
		if (!(c->cur.drained & 255))
			c->now_ns = 1 + (uint64_t)cyc2ns((double)(__rdtsc() -
								   tsc_origin));
		res = mcr_consume(run->mring, &c->cur, &c->rec,
				  (char *)c->elem + sizeof(*h), c->now_ns,
				  run->abandon_ns, MCR_RECLAIM_NS_DEFAULT);
		if (res == MCR_RECORD) {
			*len = c->rec.len;
			return 1;
		}
		if (res == MCR_SKIPPED)
			return 2;
		c->now_ns = 1 + (uint64_t)cyc2ns((double)(__rdtsc() -
							   tsc_origin));
		return 0;
	case R_CK:
		if (!ck_read(run, c->elem))
			return 0;
		break;
	case R_DPDK:
	case R_RTS:
	case R_HTS:
		if (rte_ring_sc_dequeue_elem(run->rte, c->elem, run->esize))
			return 0;
		break;
	case R_DPTR: {
		void *rec;

		if (rte_ring_sc_dequeue(run->rte, &rec))
			return 0;
		h = rec;
		memcpy(c->elem, rec, sizeof(*h) + (h->len > MCR_TEXT_MAX ?
						   MCR_TEXT_MAX : h->len));
		rte_ring_sp_enqueue(run->pool, rec);
		h = (struct elem_hdr *)c->elem;
		break;
	}
	default:
		if (!seed_read(run->seed, c->elem))
			return 0;
		break;
	}
	*len = h->len;
	return 1;
}

/* The consumer's checks: loss, duplicates, order, torn copies. */
static ALWAYS_INLINE void check_record(struct cctx *c, const unsigned char *msg,
				       uint32_t len, uint32_t want_len,
				       unsigned int nw)
{
	uint64_t id, tsc, s, bit;
	unsigned int wi;

	if (len != want_len || len < 16) {
		c->torn++;
		return;
	}
	memcpy(&id, msg, 8);
	wi = (unsigned int)(id >> SEQ_BITS);
	s = id & SEQ_MASK;
	if (wi >= nw || s >= c->maxseq ||
	    (len >= 24 && memcmp(msg + len - 8, &id, 8))) {
		c->torn++;
		return;
	}
	c->received++;
	bit = 1ULL << (s & 63);
	if (c->seen[wi][s >> 6] & bit) {
		c->dups++;
		return;
	}
	c->seen[wi][s >> 6] |= bit;
	if (s < c->next[wi])
		c->reordered++;
	else
		c->next[wi] = s + 1;
	memcpy(&tsc, msg + 8, 8);
	if (tsc && c->ne2e < c->maxe2e) {
		uint64_t d = __rdtsc() - tsc;

		c->e2e[c->ne2e++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

/*
 * Cross-core round trip, measured by the first writer and the consumer on
 * their own CPUs just before the run: this VM's vCPUs do not always sit
 * as close to each other, and that moves every number.
 */
#define PINGPONG_N	500

static void pingpong_writer(struct run *run)
{
	uint64_t t0 = __rdtsc();

	for (uint64_t i = 0; i < PINGPONG_N; i++) {
		__atomic_store_n(&run->pingpong, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&run->pingpong, __ATOMIC_ACQUIRE) !=
		       2 * i + 2)
			_mm_pause();
	}
	run->rtt = (__rdtsc() - t0) / PINGPONG_N;
}

static void pingpong_consumer(struct run *run)
{
	for (uint64_t i = 0; i < PINGPONG_N; i++) {
		while (__atomic_load_n(&run->pingpong, __ATOMIC_ACQUIRE) !=
		       2 * i + 1)
			_mm_pause();
		__atomic_store_n(&run->pingpong, 2 * i + 2, __ATOMIC_RELEASE);
	}
}

/*
 * Bursts: after the first, wait for the consumer to have drained the last
 * one; then every writer waits for the others on a spinning rendezvous,
 * so that they start within a cache-line round trip of each other.
 */
static void burst_start(struct run *run, struct wctx *w, uint64_t b)
{
	unsigned int want = (unsigned int)(b + 1) * run->nw;

	if (b)
		pthread_barrier_wait(&run->bar);
	__atomic_fetch_add(&run->arrive, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&run->arrive, __ATOMIC_ACQUIRE) < want)
		_mm_pause();
	w->bt0 = __rdtsc();
}

static ALWAYS_INLINE void writer_body(const int kind, struct wctx *w)
{
	struct run *run = w->run;
	const uint32_t len = run->size;
	const uint64_t n = run->n, period = run->period;
	const bool retry = run->mode == M_FLAT && !run->burst;
	unsigned char *msg = w->elem + sizeof(struct elem_hdr);
	uint64_t next, s, c0;
	unsigned int cd = 1 + w->idx;	/* writers sample out of step */
	long iv0;

	pin_to(w->cpu);
	w->tid = (uint32_t)mcr_gettid();
	if (kind == R_MCR) {
		int ret = run->mpsc ? mcr_writer_mpsc(run->set, &w->mw) :
				      mcr_writer_spsc(run->set, 0, &w->mw);

		if (ret) {
			fprintf(stderr, "mcrbench: writer: %s\n",
				strerror(-ret));
			w->errors++;
			__atomic_fetch_add(&run->writers_done, 1,
					   __ATOMIC_RELEASE);
			return;
		}
	}
	memset(msg, 'x', len);
	if (w->idx == 0 && !run->yield)
		pingpong_writer(run);
	__atomic_fetch_add(&run->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&run->go, __ATOMIC_ACQUIRE))
		spin(w->share);
	iv0 = thread_nivcsw();
	c0 = thread_cpu_ns();
	w->t0 = next = __rdtsc();
	for (s = 0; s < n; s++) {
		uint64_t id = w->id_base | s, t0 = 0;
		bool sample = --cd == 0;
		int rc;

		if (run->burst && !(s % run->burst))
			burst_start(run, w, s / run->burst);
		else if (!(s & 15) && !run->burst) {
			if (!(s & 255))
				__atomic_store_n(&w->progress, s,
						 __ATOMIC_RELAXED);
			if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
				break;
		}
		if (period) {
			next += period;
			while ((int64_t)(__rdtsc() - next) < 0)
				_mm_pause();
		}
		memcpy(msg, &id, 8);
		if (len >= 24)
			memcpy(msg + len - 8, &id, 8);
		if (sample) {
			cd = run->stride;
			t0 = t_start();
		}
		memcpy(msg + 8, &t0, 8);
		rc = ring_write(kind, run, w, len);
		if (run->burst && rc == -ENOBUFS)
			rc = -EOVERFLOW;	/* bursts are sized to fit */
		for (unsigned int tries = 1; retry && rc == -ENOBUFS; tries++) {
			w->refused++;
			if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
				goto out;
			refused_wait(run, tries);
			if (sample) {
				t0 = t_start();
				memcpy(msg + 8, &t0, 8);
			}
			rc = ring_write(kind, run, w, len);
		}
		if (sample) {
			uint64_t d = t_end() - t0;

			if (w->nlat < w->maxlat)
				w->lat[w->nlat++] = d > UINT32_MAX ?
						    UINT32_MAX : (uint32_t)d;
		}
		if (!rc)
			w->accepted++;
		else if (rc == -ENOBUFS)
			w->refused++;
		else
			w->errors++;
		if (run->burst && (!((s + 1) % run->burst) || s + 1 == n)) {
			w->bt1 = __rdtsc();
			pthread_barrier_wait(&run->bar);
		}
	}
out:
	w->t1 = __rdtsc();
	w->cpu_ns = thread_cpu_ns() - c0;
	w->nivcsw = thread_nivcsw() - iv0;
	w->attempts = retry ? w->accepted + w->refused + w->errors : s;
	__atomic_store_n(&w->progress, s, __ATOMIC_RELAXED);
	__atomic_fetch_add(&run->writers_done, 1, __ATOMIC_RELEASE);
}

/*
 * Run from the consumer's idle loop, so that nobody else wakes up on the
 * benchmark's CPUs: stop a run that is past its deadline or, after a
 * quarter of a second, one whose writers' pace says it would be. Writers
 * on an oversubscribed core can convoy behind one another in a ring whose
 * writers publish in ticket order; such a run is stopped and reported at
 * the rate it managed.
 */
static void watchdog(struct run *run, uint64_t t0)
{
	uint64_t el = __rdtsc() - t0, done = 0, want = run->n * run->nw;

	if (el > run->deadline)
		goto stop;
	/* The smoke wants every run to finish, however loaded the machine:
	 * only its deadline stops one. */
	if (cfg.smoke || el < (uint64_t)(tsc_ghz * 250e6))
		return;
	for (unsigned int i = 0; i < run->nw; i++)
		done += __atomic_load_n(&run->w[i]->progress, __ATOMIC_RELAXED);
	if ((double)el * (double)want / (double)(done + 1) <
	    (double)run->deadline)
		return;
stop:
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
}

/*
 * The consumer of a run in bursts: once every writer is done with a
 * burst, add the burst's time (first write of any writer to last write of
 * any), drain the ring and let the writers start the next.
 */
static ALWAYS_INLINE void consumer_bursts(const int kind, struct cctx *c)
{
	struct run *run = c->run;
	const uint64_t nb = (run->n + run->burst - 1) / run->burst;
	const unsigned int nw = run->nw;

	for (uint64_t b = 0; b < nb; b++) {
		uint64_t lo = UINT64_MAX, hi = 0;
		const unsigned char *msg;
		uint32_t len;
		int r;

		pthread_barrier_wait(&run->bar);
		for (unsigned int i = 0; i < nw; i++) {
			lo = run->w[i]->bt0 < lo ? run->w[i]->bt0 : lo;
			hi = run->w[i]->bt1 > hi ? run->w[i]->bt1 : hi;
		}
		run->burst_ticks += hi - lo;
		while ((r = ring_read(kind, run, c, &msg, &len))) {
			if (r == 1)
				check_record(c, msg, len, run->size, nw);
			else
				c->skipped++;
		}
		c->t_last = __rdtsc();
		mcr_set_keep_clock(kind == R_MCR ? run->set : clock_set);
		if (b + 1 < nb)
			pthread_barrier_wait(&run->bar);
	}
}

static ALWAYS_INLINE void consumer_body(const int kind, struct cctx *c)
{
	struct run *run = c->run;
	const uint32_t want = run->size;
	const unsigned int nw = run->nw;
	bool done = false, busy = false;
	uint64_t c0, idle = 0;
	long iv0;

	pin_to(c->cpu);
	if (!run->yield)
		pingpong_consumer(run);
	__atomic_fetch_add(&run->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&run->go, __ATOMIC_ACQUIRE))
		spin(run->yield);
	iv0 = thread_nivcsw();
	c0 = thread_cpu_ns();
	c->t0 = c->t_last = __rdtsc();
	if (run->burst) {
		consumer_bursts(kind, c);
		goto out;
	}
	for (;;) {
		const unsigned char *msg;
		uint32_t len;
		int r = ring_read(kind, run, c, &msg, &len);

		if (r == 1) {
			check_record(c, msg, len, want, nw);
			busy = true;
			continue;
		}
		if (r == 2) {
			c->skipped++;
			continue;
		}
		if (busy) {
			c->t_last = __rdtsc();	/* drained up to here */
			busy = false;
		}
		if (done)
			break;
		/* One more pass after the last writer is seen to finish. */
		if (__atomic_load_n(&run->writers_done, __ATOMIC_ACQUIRE) ==
		    (int)nw) {
			done = true;
		} else if (run->backoff) {
			uint64_t until = __rdtsc() + run->backoff;

			while ((int64_t)(__rdtsc() - until) < 0)
				spin(run->yield);
		} else {
			spin(run->yield);
		}
		if (!(++idle & (run->backoff ? 63 : 4095))) {
			/* Like any drainer, keep the writers' clock. */
			mcr_set_keep_clock(kind == R_MCR ? run->set :
							   clock_set);
			if (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
				watchdog(run, c->t0);
		}
	}
out:
	c->t1 = __rdtsc();
	c->cpu_ns = thread_cpu_ns() - c0;
	c->nivcsw = thread_nivcsw() - iv0;
}

#define THREADS(k)							\
	static void *writer_##k(void *a)				\
	{								\
		writer_body(k, a);					\
		return NULL;						\
	}								\
	static void *consumer_##k(void *a)				\
	{								\
		consumer_body(k, a);					\
		return NULL;						\
	}
THREADS(R_MCR)
THREADS(R_CK)
THREADS(R_DPDK)
THREADS(R_RTS)
THREADS(R_HTS)
THREADS(R_DPTR)
THREADS(R_SEED)

static void *(*const writer_fn[NR_KINDS])(void *) = {
	writer_R_MCR, writer_R_CK, writer_R_DPDK, writer_R_RTS, writer_R_HTS,
	writer_R_DPTR, writer_R_SEED,
};
static void *(*const consumer_fn[NR_KINDS])(void *) = {
	consumer_R_MCR, consumer_R_CK, consumer_R_DPDK, consumer_R_RTS,
	consumer_R_HTS, consumer_R_DPTR, consumer_R_SEED,
};

/* ------------------------------------------------------------------ */
/* Machine                                                             */
/* ------------------------------------------------------------------ */

static struct {
	int wcpu, ccpu, ncpu_online, ncpu_allowed;
	int cpus[256];
	char model[128], kernel[160], clocksource[32], tsc_flags[96];
	double load_start, load_end;
	double timer_p50_ns, timer_min_ns, rdtsc_ns, clock_ns, getcpu_ns;
	double map_ns, rseq_ns;	/* the write path's clock and CPU */
	double tsc_step_ns;	/* the counter's granularity */
	double tsc_ghz;
	char date[40];
	const char *rev;
} mach;

static double loadavg1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static uint64_t steal_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		v[7] = 0;
	fclose(f);
	return v[7];
}

static void read_line(const char *path, const char *key, char *out,
		      size_t n)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	snprintf(out, n, "unknown");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		char *p = buf;

		if (key) {
			if (strncmp(buf, key, strlen(key)))
				continue;
			p = strchr(buf, ':');
			if (!p)
				continue;
			p += 2;
		}
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, n, "%s", p);
		break;
	}
	fclose(f);
}

static void machine_info(void)
{
	cpu_set_t set;
	struct utsname u;
	char flags[4096];
	time_t now = time(NULL);
	static const char *const want[] = {
		"constant_tsc", "nonstop_tsc", "tsc_known_freq", "hypervisor",
	};

	sched_getaffinity(0, sizeof(set), &set);
	for (int i = 0; i < CPU_SETSIZE && mach.ncpu_allowed < 256; i++)
		if (CPU_ISSET(i, &set))
			mach.cpus[mach.ncpu_allowed++] = i;
	mach.ncpu_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	read_line("/proc/cpuinfo", "model name", mach.model,
		  sizeof(mach.model));
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  NULL, mach.clocksource, sizeof(mach.clocksource));
	read_line("/proc/cpuinfo", "flags", flags, sizeof(flags));
	mach.tsc_flags[0] = '\0';
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char pat[40];

		snprintf(pat, sizeof(pat), " %s ", want[i]);
		strcat(flags, " ");
		if (strstr(flags, pat)) {
			if (mach.tsc_flags[0])
				strcat(mach.tsc_flags, ", ");
			strcat(mach.tsc_flags, want[i]);
		}
	}
	uname(&u);
	snprintf(mach.kernel, sizeof(mach.kernel), "%s %s", u.sysname,
		 u.release);
	strftime(mach.date, sizeof(mach.date), "%Y-%m-%d %H:%M UTC",
		 gmtime(&now));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What the timer costs: empty sampled regions; and its neighbours. */
static void timer_cost(unsigned int n)
{
	uint64_t *d = malloc(n * sizeof(*d)), t0, t1;
	volatile uint64_t sink = 0;

	for (unsigned int i = 0; i < n; i++) {
		t0 = t_start();
		t1 = t_end();
		d[i] = t1 - t0;
	}
	qsort(d, n, sizeof(*d), cmp_u64);
	mach.timer_min_ns = cyc2ns((double)d[0]);
	mach.timer_p50_ns = cyc2ns((double)d[n / 2]);

	/* Granularity: the commonest step between distinct readings. Some
	 * CPUs advance the TSC in steps (AMD: by the multiplier, at 100 MHz). */
	for (unsigned int i = 0; i < n; i++) {
		uint64_t a = __rdtsc(), b;

		while ((b = __rdtsc()) == a)
			;
		d[i] = b - a;
	}
	qsort(d, n, sizeof(*d), cmp_u64);
	mach.tsc_step_ns = cyc2ns((double)d[n / 2]);
	free(d);

	t0 = __rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sink += __rdtsc();
	mach.rdtsc_ns = cyc2ns((double)(__rdtsc() - t0) / n);
	t0 = __rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sink += mcr_now_ns();
	mach.clock_ns = cyc2ns((double)(__rdtsc() - t0) / n);
	t0 = __rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sink += mcr_cpu();
	mach.getcpu_ns = cyc2ns((double)(__rdtsc() - t0) / n);
	t0 = __rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sink += peer_now();
	mach.map_ns = cyc2ns((double)(__rdtsc() - t0) / n);
	t0 = __rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sink += mcr_cpu_fast();
	mach.rseq_ns = cyc2ns((double)(__rdtsc() - t0) / n);
	(void)sink;
}

/* ------------------------------------------------------------------ */
/* Setting a run up and tearing it down                                */
/* ------------------------------------------------------------------ */

static void *zalloc_aligned(size_t n)
{
	void *p = aligned_alloc(4096, (n + 4095) & ~(size_t)4095);

	if (p)
		memset(p, 0, n);	/* prefaulted, like every ring */
	return p;
}

/* Touch every page of an mcrring ring so no write takes a fault. */
static void prefault_ring(const struct mcr_ring *r)
{
	volatile unsigned char *p;

	p = (volatile unsigned char *)r->desc;
	for (size_t i = 0; i < (size_t)r->ndesc * sizeof(struct mcr_desc);
	     i += 4096)
		p[i] = p[i];
	p = r->data;
	for (size_t i = 0; i < r->data_size; i += 4096)
		p[i] = p[i];
}

static int ring_setup(struct run *run)
{
	unsigned int cap = run->cap;

	switch (run->kind) {
	case R_MCR: {
		int ret = mcr_shm_create(2, RING_NDESC, RING_DATA, &run->set);

		if (ret)
			return ret;
		run->mring = mcr_set_ring(run->set, run->mpsc ? MCR_RING_MPSC :
						    MCR_RING_SPSC(0));
		prefault_ring(run->mring);
		ret = clock_calibrate(run->set, &run->mring->cons->clock);
		if (ret)
			return ret;
		run->abandon_ns = run->mpsc ? MCR_ABANDON_NS_DEFAULT :
					      (__u64)-1;
		return 0;
	}
	case R_CK:
		run->esize = PEER_ESIZE(run->size);
		run->ck = shm_alloc(&run->mem[0], sizeof(*run->ck));
		run->ck_buf = shm_alloc(&run->mem[1], (size_t)cap * run->esize);
		if (!run->ck || !run->ck_buf)
			return -ENOMEM;
		ck_ring_init(run->ck, cap);
		return 0;
	case R_DPDK:
	case R_RTS:
	case R_HTS: {
		static const unsigned int mode[] = {
			[R_DPDK] = 0,
			[R_RTS] = RING_F_MP_RTS_ENQ,
			[R_HTS] = RING_F_MP_HTS_ENQ,
		};
		ssize_t sz;

		run->esize = PEER_ESIZE(run->size);
		sz = rte_ring_get_memsize_elem(run->esize, cap);
		if (sz < 0)
			return (int)sz;
		run->rte = shm_alloc(&run->mem[0], (size_t)sz);
		if (!run->rte)
			return -ENOMEM;
		return rte_ring_init(run->rte, "mcrbench", cap, RING_F_SC_DEQ |
				     (run->mpsc ? mode[run->kind] : RING_F_SP_ENQ));
	}
	case R_DPTR: {
		ssize_t sz = rte_ring_get_memsize(cap);
		unsigned char *recs;
		int ret;

		run->esize = PEER_ESIZE(run->size);
		if (sz < 0)
			return (int)sz;
		run->rte = shm_alloc(&run->mem[0], (size_t)sz);
		run->pool = shm_alloc(&run->mem[1], (size_t)sz);
		recs = shm_alloc(&run->mem[2], (size_t)(cap - 1) *
				 DPTR_REC(run->size));
		if (!run->rte || !run->pool || !recs)
			return -ENOMEM;
		ret = rte_ring_init(run->rte, "mcrbench", cap, RING_F_SC_DEQ |
				    (run->mpsc ? 0 : RING_F_SP_ENQ));
		if (!ret)	/* the consumer returns records, writers take */
			ret = rte_ring_init(run->pool, "mcrbench-pool", cap,
					    RING_F_SP_ENQ |
					    (run->mpsc ? 0 : RING_F_SC_DEQ));
		for (uint32_t i = 0; !ret && i < cap - 1; i++)
			ret = rte_ring_sp_enqueue(run->pool, recs +
						  (size_t)i * DPTR_REC(run->size));
		return ret;
	}
	default:
		run->seed = shm_alloc(&run->mem[0], sizeof(*run->seed));
		if (!run->seed)
			return -ENOMEM;
		run->seed->slots = shm_alloc(&run->mem[1], (size_t)cap *
					     sizeof(struct seed_slot));
		if (!run->seed->slots)
			return -ENOMEM;
		run->seed->mask = cap - 1;
		return 0;
	}
}

static void ring_teardown(struct run *run)
{
	if (run->set)
		mcr_set_close(run->set);
	for (int i = 0; i < 3; i++)
		shm_free(&run->mem[i]);
}

/* Records the seed's reader never reached: READY slots left behind. */
static uint64_t seed_stranded(const struct seed_ring *r)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i <= r->mask; i++)
		n += r->slots[i].state == SEED_READY;
	return n;
}

static bool kind_supports(int kind, const struct scenario *sc,
			  const char **why)
{
	if (kind == R_SEED && sc->size > SEED_MSG_MAX) {
		*why = "message does not fit the seed's 256-byte field";
		return false;
	}
	if ((kind == R_RTS || kind == R_HTS) && !sc->mpsc) {
		*why = "a multi-producer mode (SPSC: see dpdk)";
		return false;
	}
	if (sc->place == PL_SPREAD && (int)sc->nw > mach.ncpu_allowed) {
		*why = "fewer CPUs than writers";
		return false;
	}
	return true;
}

/* --only: comma-separated substrings of scenario ids. */
static bool selected(const char *only, const char *id)
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

static bool oversubscribed(const struct scenario *sc)
{
	if (sc->nw < 2 || sc->place == PL_SPREAD)
		return false;
	return sc->place == PL_SHARE || (int)sc->nw + 1 > mach.ncpu_allowed ||
	       mach.ncpu_allowed <= 2;
}

/* SPREAD with no CPU left for the consumer: the run goes in bursts. */
static bool spread_bursts(const struct scenario *sc)
{
	return sc->place == PL_SPREAD && (int)sc->nw + 1 > mach.ncpu_allowed;
}

/* Where writer @i of @sc runs. */
static int writer_cpu(const struct scenario *sc, unsigned int i)
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
 * scenario holds, the same for every ring. */
static uint64_t burst_records(const struct scenario *sc)
{
	uint32_t least = UINT32_MAX;

	for (int k = 0; k < NR_KINDS; k++) {
		const char *why;

		if (kind_supports(k, sc, &why) && ring_records(k, sc->size) < least)
			least = ring_records(k, sc->size);
	}
	return least / 2;
}

static double rtt_best_ns;	/* best cross-core round trip at start-up */

static void *rtt_peer(void *a)
{
	struct run *run = a;

	pin_to(cfg.ccpu);
	for (int i = 0; i < 20; i++)
		pingpong_consumer(run);
	return NULL;
}

/* The reference round trip: the best of 20 bursts, before any run. */
static void measure_rtt(void)
{
	struct run *run = aligned_alloc(64, (sizeof(*run) + 63) & ~63ul);
	cpu_set_t all;
	pthread_t th;
	uint64_t best = UINT64_MAX;

	if (!run || cfg.wcpu == cfg.ccpu) {
		free(run);
		return;
	}
	memset(run, 0, sizeof(*run));
	sched_getaffinity(0, sizeof(all), &all);
	pin_to(cfg.wcpu);
	pthread_create(&th, NULL, rtt_peer, run);
	for (int i = 0; i < 20; i++) {
		pingpong_writer(run);
		__atomic_store_n(&run->pingpong, 0, __ATOMIC_RELEASE);
		if (run->rtt < best)
			best = run->rtt;
	}
	pthread_join(th, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	rtt_best_ns = cyc2ns((double)best);
	free(run);
}

/* ------------------------------------------------------------------ */
/* The write path alone                                                */
/* ------------------------------------------------------------------ */

#define SOLO_BATCH	1024
#define SOLO_SIZES	3
static const uint32_t solo_size[SOLO_SIZES] = { 16, 128, 1024 };
/* ns per write, [size][0: TSC map, 1: clock_gettime][ring kind] */
static double solo_ns[SOLO_SIZES][2][NR_KINDS];
static const struct mcr_clock solo_no_map;	/* covers no TSC value */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * One thread writes batches of SOLO_BATCH records into an empty ring,
 * each batch timed whole, and drains them, untimed, before the next. No
 * second core takes part, so where the host puts the vCPUs cannot move
 * the figure: it is what a write costs with the ring in cache.
 */
static ALWAYS_INLINE double solo_body(const int kind, struct run *run,
				      struct wctx *w, struct cctx *c,
				      unsigned int batches, double *v,
				      struct mcr_set *keep)
{
	const unsigned char *msg;
	uint32_t len;

	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = __rdtsc();

		for (unsigned int i = 0; i < SOLO_BATCH; i++)
			if (ring_write(kind, run, w, run->size))
				return NAN;
		v[b] = cyc2ns((double)(__rdtsc() - t0)) / SOLO_BATCH;
		while (ring_read(kind, run, c, &msg, &len))
			;
		if (keep)	/* as a consumer would */
			mcr_set_keep_clock(keep);
	}
	qsort(v, batches, sizeof(*v), cmp_double);
	return v[batches / 2];
}

static double solo_one(int kind, uint32_t size, bool gettime,
		       unsigned int batches)
{
	struct run *run = aligned_alloc(64, (sizeof(*run) + 63) & ~63ul);
	struct wctx *w = aligned_alloc(64, (sizeof(*w) + 63) & ~63ul);
	struct cctx *c = aligned_alloc(64, (sizeof(*c) + 63) & ~63ul);
	double *v = calloc(batches, sizeof(*v)), ns = NAN;
	const struct mcr_clock *peer_map = clock_reader.clock;
	struct mcr_set *keep;

	if (!run || !w || !c || !v)
		goto out;
	memset(run, 0, sizeof(*run));
	memset(w, 0, sizeof(*w));
	memset(c, 0, sizeof(*c));
	run->kind = kind;
	run->nw = 1;
	run->size = size;
	run->cap = ring_capacity(kind, size);
	run->mode = M_FLAT;
	w->run = run;
	c->run = run;
	if (ring_setup(run))
		goto out_ring;
	memset(w->elem + sizeof(struct elem_hdr), 'x', size);
	if (kind == R_MCR) {
		if (mcr_writer_spsc(run->set, 0, &w->mw))
			goto out_ring;
		mcr_cursor_init(&c->cur, run->mring, MCR_RING_SPSC(0));
		if (gettime)	/* nobody keeps this set's clock from now on */
			memset(&run->mring->cons->clock, 0,
			       sizeof(struct mcr_clock));
	} else if (gettime) {
		clock_reader.clock = &solo_no_map;
	}
	keep = gettime ? NULL : kind == R_MCR ? run->set : clock_set;
	switch (kind) {
	case R_MCR:
		ns = solo_body(R_MCR, run, w, c, batches, v, keep);
		break;
	case R_CK:
		ns = solo_body(R_CK, run, w, c, batches, v, keep);
		break;
	case R_DPDK:
		ns = solo_body(R_DPDK, run, w, c, batches, v, keep);
		break;
	case R_RTS:
	case R_HTS:	/* multi-producer modes only */
		break;
	case R_DPTR:
		ns = solo_body(R_DPTR, run, w, c, batches, v, keep);
		break;
	default:
		ns = solo_body(R_SEED, run, w, c, batches, v, keep);
		break;
	}
	clock_reader.clock = peer_map;
out_ring:
	ring_teardown(run);
out:
	free(v);
	free(c);
	free(w);
	free(run);
	return ns;
}

/* ns per mcr_log() of a priority the runtime levels mute. */
static double solo_muted_ns = NAN;

/*
 * A muted call: mcr_log() of 128 bytes with BENCH_PRI's severity muted
 * in the ring's read-only page, timed in batches like a write. It reads
 * one byte and returns -ENOMSG; nothing is written.
 */
static double solo_muted(unsigned int batches)
{
	unsigned char msg[128];
	struct mcr_writer w;
	struct mcr_set *set;
	double *v = calloc(batches, sizeof(*v)), ns = NAN;

	memset(msg, 'x', sizeof(msg));
	if (!v || mcr_shm_create(2, 1024, 1 << 20, &set))
		goto out;
	if (mcr_writer_spsc(set, 0, &w))
		goto out_set;
	((struct mcr_cons *)mcr_set_ring(set, MCR_RING_SPSC(0))->cons)
		->mute[MCR_PRI_FAC(BENCH_PRI)] = 1 << MCR_PRI_SEV(BENCH_PRI);
	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = __rdtsc();

		for (unsigned int i = 0; i < SOLO_BATCH; i++)
			if (mcr_log(&w, BENCH_PRI, (const char *)msg,
				    sizeof(msg)) != -ENOMSG)
				goto out_set;
		v[b] = cyc2ns((double)(__rdtsc() - t0)) / SOLO_BATCH;
	}
	qsort(v, batches, sizeof(*v), cmp_double);
	ns = v[batches / 2];
out_set:
	mcr_set_close(set);
out:
	free(v);
	return ns;
}

/* On the writers' CPU, every size, clock and ring, rings interleaved. */
static void measure_solo(void)
{
	unsigned int batches = cfg.smoke ? 20 : 2000;
	cpu_set_t all;

	sched_getaffinity(0, sizeof(all), &all);
	pin_to(cfg.wcpu);
	for (int z = 0; z < SOLO_SIZES; z++)
		for (int g = 0; g < 2; g++)
			for (int k = 0; k < NR_KINDS; k++)
				solo_ns[z][g][k] = solo_one(k, solo_size[z],
							    g, batches);
	solo_muted_ns = solo_muted(batches);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
}

static int run_once(const struct scenario *sc, int kind,
		    struct run_result *res, struct hist *lat, struct hist *e2e)
{
	struct run *run = aligned_alloc(64, (sizeof(struct run) + 63) & ~63ul);
	struct cctx *c = NULL;
	uint64_t st0, maxend = 0, minstart = UINT64_MAX, wcpu = 0;
	struct timespec dl;
	int ret;

	memset(res, 0, sizeof(*res));
	res->lat = lat;
	res->e2e = e2e;
	if (!run)
		return -ENOMEM;
	memset(run, 0, sizeof(*run));
	run->sc = sc;
	run->kind = kind;
	run->mpsc = sc->mpsc;
	run->nw = sc->nw;
	run->size = sc->size;
	run->cap = ring_capacity(kind, sc->size);
	run->mode = sc->mode;
	run->n = cfg.smoke ? sc->n_smoke : sc->n;
	run->stride = sc->stride;
	run->yield = cfg.wcpu == cfg.ccpu;
	/* An oversubscribed run is given twice as long to complete. */
	run->deadline = (uint64_t)(tsc_ghz * 1e9 * cfg.timeout_s *
				   (sc->place == PL_SHARE ? 2 : 1));
	run->backoff = sc->spin ? 0 : (uint64_t)(tsc_ghz * cfg.backoff_ns);
	if (sc->mode == M_PACED)
		run->period = (uint64_t)(tsc_ghz * 1e9 * sc->nw / sc->rate);
	ret = ring_setup(run);
	if (ret)
		goto out;

	c = aligned_alloc(64, (sizeof(*c) + 63) & ~63ul);
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	memset(c, 0, sizeof(*c));
	c->run = run;
	c->cpu = cfg.ccpu;
	c->maxseq = run->n;
	c->maxe2e = (run->n * sc->nw) / sc->stride + sc->nw + 1;
	c->e2e = malloc(c->maxe2e * sizeof(*c->e2e));
	if (kind == R_MCR)
		mcr_cursor_init(&c->cur, run->mring,
				run->mpsc ? MCR_RING_MPSC : MCR_RING_SPSC(0));
	run->c = c;
	for (unsigned int i = 0; i < sc->nw; i++) {
		struct wctx *w = aligned_alloc(64, (sizeof(*w) + 63) & ~63ul);

		if (!w) {
			ret = -ENOMEM;
			goto out;
		}
		memset(w, 0, sizeof(*w));
		w->run = run;
		w->idx = i;
		w->cpu = writer_cpu(sc, i);
		w->id_base = (uint64_t)i << SEQ_BITS;
		w->maxlat = run->n / sc->stride + 2;
		w->lat = malloc(w->maxlat * sizeof(*w->lat));
		c->seen[i] = calloc(run->n / 64 + 1, sizeof(uint64_t));
		run->w[i] = w;
		if (!w->lat || !c->seen[i] || !c->e2e) {
			ret = -ENOMEM;
			goto out;
		}
	}

	for (unsigned int i = 0; i < sc->nw; i++) {
		run->w[i]->share = run->w[i]->cpu == c->cpu;
		for (unsigned int j = 0; j < sc->nw; j++)
			run->w[i]->share |= j != i &&
					    run->w[j]->cpu == run->w[i]->cpu;
	}
	if (spread_bursts(sc)) {
		run->burst = burst_records(sc) / sc->nw;
		c->maxe2e = 0;		/* drained afterwards: no e2e */
		pthread_barrier_init(&run->bar, NULL, sc->nw + 1);
	}

	st0 = steal_ticks();
	if (pthread_create(&c->th, NULL, consumer_fn[kind], c)) {
		ret = -EAGAIN;
		goto out;
	}
	for (unsigned int i = 0; i < sc->nw; i++)
		pthread_create(&run->w[i]->th, NULL, writer_fn[kind], run->w[i]);
	while (__atomic_load_n(&run->ready, __ATOMIC_ACQUIRE) < (int)sc->nw + 1)
		usleep(200);	/* every thread at the start line */
	__atomic_store_n(&run->go, 1, __ATOMIC_RELEASE);

	/* The consumer's watchdog stops a run that overstays; a last
	 * resort here, in case the consumer itself cannot run. */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 4 * cfg.timeout_s;
	for (unsigned int i = 0; i < sc->nw; i++)
		if (pthread_timedjoin_np(run->w[i]->th, NULL, &dl) == ETIMEDOUT) {
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
			pthread_join(run->w[i]->th, NULL);
		}
	pthread_join(c->th, NULL);
	res->timeout = __atomic_load_n(&run->stop, __ATOMIC_RELAXED);
	res->steal_ticks = steal_ticks() - st0;

	/* Tally. */
	res->ran = true;
	res->nivcsw = c->nivcsw;
	for (unsigned int i = 0; i < sc->nw; i++) {
		struct wctx *w = run->w[i];

		res->attempts += w->attempts;
		res->accepted += w->accepted;
		res->refused += w->refused;
		res->errors += w->errors;
		if (w->t1 > maxend)
			maxend = w->t1;
		if (w->t0 < minstart)
			minstart = w->t0;
		wcpu += w->cpu_ns;
		if (!oversubscribed(sc))
			res->nivcsw += w->nivcsw;
		for (size_t k = 0; k < w->nlat; k++)
			hist_add(res->lat, w->lat[k]);
	}
	for (size_t k = 0; k < c->ne2e; k++)
		hist_add(res->e2e, c->e2e[k]);
	res->received = c->received;
	res->reordered = c->reordered;
	res->dups = c->dups;
	res->torn = c->torn;
	res->skipped = c->skipped;
	{
		uint64_t got = c->received - c->dups;
		uint64_t owed = res->accepted;

		if (kind == R_MCR)	/* counted by the ring, not silent */
			owed -= c->cur.abandoned + c->cur.invalid +
				c->cur.discarded;
		res->lost = owed > got ? owed - got : 0;
	}
	res->acct_ok = true;
	switch (kind) {
	case R_MCR:
		res->ring_drops = READ_ONCE(run->mring->prod->dropped_full);
		res->acct_ok = res->ring_drops == res->refused &&
			       c->cur.drained == c->received &&
			       res->accepted == c->cur.drained +
			       c->cur.abandoned + c->cur.invalid +
			       c->cur.discarded;
		res->skipped = c->cur.abandoned + c->cur.invalid +
			       c->cur.discarded;
		break;
	case R_SEED:
		res->ring_drops = run->seed->overruns;
		res->stranded = seed_stranded(run->seed);
		res->acct_ok = res->ring_drops == res->refused;
		break;
	default:
		res->ring_drops = res->refused;
	}

	/* Rates and disturbance. */
	{
		double wall_w = cyc2ns((double)(maxend - minstart));
		double wall_c = cyc2ns((double)(c->t1 - c->t0));
		double lost_w = wall_w - (double)wcpu;
		double lost_c = wall_c - (double)c->cpu_ns;

		if (run->burst) {	/* only the bursts count */
			double bt = cyc2ns((double)run->burst_ticks);

			wall_w = bt;
			lost_w = (bt * sc->nw - (double)wcpu) / sc->nw;
			lost_c = 0;	/* it waits for the bursts */
		}
		res->secs_write = wall_w / 1e9;
		res->secs_total = cyc2ns((double)(c->t_last - minstart)) / 1e9;
		res->wrate = (double)res->attempts / res->secs_write;
		res->drate = (double)res->received / res->secs_total;
		res->rate = sc->mode == M_FLAT_DROP ? res->wrate : res->drate;
		if (run->burst)
			res->rate = res->drate = res->wrate;
		res->bursts = run->burst ?
			      (run->n + run->burst - 1) / run->burst : 0;
		res->complete_s = res->timeout ? INFINITY : res->secs_total;
		res->done_frac = (double)res->received /
				 (double)(run->n * sc->nw);
		res->stall_ns = res->lat->n ? cyc2ns((double)res->lat->max) :
					      NAN;
		if (lost_w < 0)
			lost_w = 0;
		if (lost_c < 0)
			lost_c = 0;
		res->stolen_ms = (lost_w > lost_c ? lost_w : lost_c) / 1e6;
		/* Housekeeping preempts now and then; a round is disturbed
		 * when it lost more than 2 % of its time, or saw steal. */
		res->disturbed = res->steal_ticks > 0 ||
				 res->stolen_ms > 0.25 + 0.02 * wall_c / 1e6;
		res->rtt_ns = run->rtt ? cyc2ns((double)run->rtt) : NAN;
	}
	ret = 0;
out:
	for (unsigned int i = 0; i < MAXW; i++) {
		if (run->w[i]) {
			free(run->w[i]->lat);
			free(run->w[i]);
		}
		if (c)
			free(c->seen[i]);
	}
	if (c)
		free(c->e2e);
	free(c);
	if (run->burst)
		pthread_barrier_destroy(&run->bar);
	ring_teardown(run);
	free(run);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

struct cell {
	const struct scenario *sc;
	int kind;
	bool na;
	const char *na_why;
	int nr;
	struct run_result rr[MAXROUNDS];
	struct hist lat_clean, e2e_clean;	/* of the rounds used */
	/* summary */
	int nclean;		/* undisturbed rounds in the primary placement */
	int nused, nother;
	uint64_t uattempts, urefused;	/* of the rounds used */
	int sel;		/* 0 clean, 1 all disturbed, 2 other placement */
	double omed;		/* the other placement's undisturbed median */
	bool used_all;
	double med, lo, hi;	/* rate over the rounds used */
	bool enough;		/* nused >= cfg.min_rounds, undisturbed */
	double cmed, clo, chi;	/* oversubscribed: seconds to complete */
	bool cstopped;		/* ... a round stopped before completing */
	double smed, smax;	/* ... longest stall of a round, ns */
	double wmed, dmed;
	uint64_t attempts, accepted, refused, received, reordered, dups,
		 torn, lost, stranded, skipped, errors;
	int timeouts;
	bool acct_ok;
	const struct hist *lat, *e2e;
};

static struct cell cells[NR_SCEN][NR_KINDS];

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The host places the two vCPUs either close (a round trip of ~60 ns:
 * one core's threads, or one L3) or apart (~300 ns), and moves them while
 * we run. Every number depends on it, so rounds are classed by the round
 * trip measured just before them, and the tables use one placement: the
 * one with more undisturbed rounds; the other one's flat-out rates get a
 * table of their own.
 */
static double rtt_split_ns;	/* near: round trip at most this */
static bool primary_far;
static int nplace[2], nplace_clean[2];

static int placement(const struct run_result *r)
{
	return !isnan(r->rtt_ns) && r->rtt_ns > rtt_split_ns;
}

static void classify_runs(void)
{
	double best = INFINITY;

	for (size_t i = 0; i < NR_SCEN; i++)
		for (int k = 0; k < NR_KINDS; k++)
			for (int r = 0; r < cells[i][k].nr; r++)
				if (cells[i][k].rr[r].rtt_ns < best)
					best = cells[i][k].rr[r].rtt_ns;
	rtt_split_ns = isinf(best) ? INFINITY : 2 * best;
	for (size_t i = 0; i < NR_SCEN; i++)
		for (int k = 0; k < NR_KINDS; k++)
			for (int r = 0; r < cells[i][k].nr; r++) {
				const struct run_result *rr = &cells[i][k].rr[r];

				nplace[placement(rr)]++;
				nplace_clean[placement(rr)] += !rr->disturbed;
			}
	primary_far = nplace_clean[1] >= nplace_clean[0] && nplace[1];
}

static double median(double *v, int n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(v[0]), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void summarise(struct cell *ce)
{
	double v[MAXROUNDS], wv[MAXROUNDS], dv[MAXROUNDS], ov[MAXROUNDS];
	int n = 0, no = 0;

	ce->acct_ok = true;
	ce->nclean = 0;
	ce->sel = 0;
	for (int i = 0; i < ce->nr; i++) {
		const struct run_result *r = &ce->rr[i];
		bool mine = placement(r) == primary_far;

		ce->attempts += r->attempts;
		ce->accepted += r->accepted;
		ce->refused += r->refused;
		ce->received += r->received;
		ce->reordered += r->reordered;
		ce->dups += r->dups;
		ce->torn += r->torn;
		ce->lost += r->lost;
		ce->stranded += r->stranded;
		ce->skipped += r->skipped;
		ce->errors += r->errors;
		ce->timeouts += r->timeout;
		ce->acct_ok &= r->acct_ok;
		ce->nclean += mine && !r->disturbed;
		if (!mine && !r->disturbed)
			ov[no++] = r->rate;
	}
	/* The primary placement's undisturbed rounds, else its disturbed
	 * ones, else whatever there is. */
	if (!ce->nclean) {
		bool any = false;

		for (int i = 0; i < ce->nr; i++)
			any |= placement(&ce->rr[i]) == primary_far;
		ce->sel = any ? 1 : 2;
	}
	memset(&ce->lat_clean, 0, sizeof(ce->lat_clean));
	memset(&ce->e2e_clean, 0, sizeof(ce->e2e_clean));
	ce->nused = 0;
	for (int i = 0; i < ce->nr; i++) {
		const struct run_result *r = &ce->rr[i];
		bool mine = placement(r) == primary_far;

		if ((ce->sel == 0 && (!mine || r->disturbed)) ||
		    (ce->sel == 1 && !mine))
			continue;
		v[n] = r->rate;
		wv[n] = r->wrate;
		dv[n] = r->drate;
		n++;
		ce->uattempts += r->attempts;
		ce->urefused += r->refused;
		if (r->lat)
			hist_merge(&ce->lat_clean, r->lat);
		if (r->e2e)
			hist_merge(&ce->e2e_clean, r->e2e);
	}
	ce->nused = n;
	ce->enough = ce->sel == 0 && n >= cfg.min_rounds;
	{
		double cv[MAXROUNDS], sv[MAXROUNDS];
		int m = 0;

		ce->cstopped = false;
		for (int i = 0; i < ce->nr; i++) {
			const struct run_result *r = &ce->rr[i];
			bool mine = placement(r) == primary_far;

			if ((ce->sel == 0 && (!mine || r->disturbed)) ||
			    (ce->sel == 1 && !mine))
				continue;
			cv[m] = r->complete_s;
			sv[m++] = r->stall_ns;
			ce->cstopped |= isinf(r->complete_s);
		}
		ce->cmed = median(cv, m);
		ce->clo = m ? cv[0] : NAN;
		ce->chi = m ? cv[m - 1] : NAN;
		ce->smed = median(sv, m);
		ce->smax = m ? sv[m - 1] : NAN;
	}
	ce->med = median(v, n);
	ce->wmed = median(wv, n);
	ce->dmed = median(dv, n);
	ce->lo = n ? v[0] : NAN;
	ce->hi = n ? v[n - 1] : NAN;
	ce->omed = median(ov, no);
	ce->nother = no;
	ce->used_all = ce->sel != 0;
	ce->lat = &ce->lat_clean;
	ce->e2e = &ce->e2e_clean;
}

static double lat_ns(const struct hist *h, double q)
{
	return cyc2ns(hist_q(h, q));
}

/* Nothing lost silently, reordered, duplicated or torn; counters agree. */
static bool cell_sound(const struct cell *ce)
{
	return !ce->lost && !ce->reordered && !ce->dups && !ce->torn &&
	       !ce->errors && ce->acct_ok;
}

/* ... and nothing abandoned, no run stopped. */
static bool cell_clean(const struct cell *ce)
{
	return cell_sound(ce) && !ce->skipped && !ce->timeouts;
}

/* "ok", or what the checks found. */
static void check_text(const struct cell *ce, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
#define ADD(...) o += (size_t)snprintf(buf + o, o < n ? n - o : 0, __VA_ARGS__)
	if (ce->lost)
		ADD("%sLOST %" PRIu64, o ? ", " : "", ce->lost);
	if (ce->stranded)
		ADD(" (%" PRIu64 " stranded)", ce->stranded);
	if (ce->reordered)
		ADD("%sREORDERED %" PRIu64, o ? ", " : "", ce->reordered);
	if (ce->dups)
		ADD("%sDUPLICATED %" PRIu64, o ? ", " : "", ce->dups);
	if (ce->torn)
		ADD("%sTORN %" PRIu64, o ? ", " : "", ce->torn);
	if (ce->skipped)
		ADD("%sABANDONED %" PRIu64 " (counted)", o ? ", " : "",
		    ce->skipped);
	if (ce->errors)
		ADD("%sERRORS %" PRIu64, o ? ", " : "", ce->errors);
	if (!ce->acct_ok)
		ADD("%scounters disagree", o ? ", " : "");
	if (ce->timeouts)
		ADD("%sSTOPPED by the watchdog %dx", o ? ", " : "",
		    ce->timeouts);
	if (!o)
		ADD("ok");
#undef ADD
}

static void fmt_rate(double r, char *buf, size_t n)
{
	if (isnan(r))
		snprintf(buf, n, "-");
	else if (r >= 1e6)
		snprintf(buf, n, "%.2f M", r / 1e6);
	else
		snprintf(buf, n, "%.0f k", r / 1e3);
}

static void fmt_ns(double ns, char *buf, size_t n)
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
static void fmt_dur(double ns, char *buf, size_t n)
{
	if (ns < 1e4 || isnan(ns))
		snprintf(buf, n, isnan(ns) ? "-" : "%.0f ns", ns);
	else
		fmt_ns(ns, buf, n);
}

static void fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t n)
{
	double p = whole ? 100.0 * (double)part / (double)whole : 0;

	if (!part)
		snprintf(buf, n, "0");
	else if (p < 0.01)
		snprintf(buf, n, "%.4f %%", p);
	else
		snprintf(buf, n, "%.3g %%", p);
}

/* How two rings compare in a scenario. */
enum { RT_RATE, RT_P50, RT_COMPLETE };

static int ratio_kind(const struct scenario *sc)
{
	if (sc->mode == M_PACED)
		return RT_P50;
	return sc->place == PL_SHARE && sc->nw > 1 ? RT_COMPLETE : RT_RATE;
}

static const char *const ratio_what[] = {
	"rate, mcrring / peer", "p50 write latency, peer / mcrring",
	"time to complete, peer / mcrring",
};

struct rratio {
	int n;		/* rounds where both ran undisturbed, that placement */
	double med, lo, hi;
	bool lower;	/* a peer's round was stopped: a lower bound */
};

/*
 * mcrring's advantage over @p, never across rounds: in every round where
 * both ran undisturbed with the vCPUs in placement @far, the ratio of the
 * two runs (> 1: mcrring is better); then the median, min and max of those
 * ratios. The rings of one scenario run back to back in a round, so a
 * ratio compares them under the same conditions, where the rates move
 * several times over between rounds. A peer's round stopped by the
 * watchdog counts with the time it had taken: a lower bound.
 */
static struct rratio round_ratio(const struct cell *m, const struct cell *p,
				 int how, bool far)
{
	struct rratio q = { .med = NAN, .lo = NAN, .hi = NAN };
	double v[MAXROUNDS];

	if (!m || !p || m->na || p->na)
		return q;
	for (int i = 0; i < m->nr; i++) {
		const struct run_result *a = &m->rr[i], *b = NULL;
		double x;

		for (int j = 0; j < p->nr; j++)
			if (p->rr[j].round == a->round)
				b = &p->rr[j];
		if (!b || a->disturbed || b->disturbed ||
		    placement(a) != far || placement(b) != far)
			continue;
		if (how == RT_RATE) {
			x = a->rate / b->rate;
		} else if (how == RT_P50) {
			x = hist_q(b->lat, 0.5) / hist_q(a->lat, 0.5);
		} else {
			if (isinf(a->complete_s))
				continue;
			q.lower |= isinf(b->complete_s);
			x = (isinf(b->complete_s) ? b->secs_total :
				b->complete_s) / a->complete_s;
		}
		if (!isnan(x) && !isinf(x))
			v[q.n++] = x;
	}
	q.med = median(v, q.n);
	q.lo = q.n ? v[0] : NAN;
	q.hi = q.n ? v[q.n - 1] : NAN;
	return q;
}

/* "1.23x [1.10-1.41] (5)", or that there were too few rounds. */
static void fmt_ratio(const struct rratio *q, char *buf, size_t n)
{
	if (q->n < cfg.min_rounds)
		snprintf(buf, n, "too few rounds (%d)", q->n);
	else
		snprintf(buf, n, "%s%.2fx [%.2f-%.2f] (%d)",
			 q->lower ? ">= " : "", q->med, q->lo, q->hi, q->n);
}

static const struct scenario *scen(const char *id)
{
	for (size_t i = 0; i < NR_SCEN; i++)
		if (!strcmp(scenarios[i].id, id))
			return &scenarios[i];
	return NULL;
}

static struct cell *cell_of(const char *id, int kind)
{
	const struct scenario *sc = scen(id);

	return sc ? &cells[sc - scenarios][kind] : NULL;
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */
/* ------------------------------------------------------------------ */

struct target {
	const char *what;
	char goal[64];
	char got[96];
	int met;		/* 1, 0, or -1: not measured */
};

static struct target targets[32];
static int ntargets;

/* Rounds a cell's numbers rest on: undisturbed, the tables' placement. */
static int rounds_of(const struct cell *ce)
{
	return ce && ce->nr && ce->sel == 0 ? ce->nused : 0;
}

/* @v measured over @n rounds; fewer than cfg.min_rounds: no verdict. */
static void target(const char *what, const char *goal, double v, double lim,
		   bool below, const char *fmt_unit, int n)
{
	struct target *t = &targets[ntargets++];
	int o;

	t->what = what;
	snprintf(t->goal, sizeof(t->goal), "%s", goal);
	t->met = -1;
	if (isnan(v)) {
		snprintf(t->got, sizeof(t->got), "not measured");
		return;
	}
	if (n < cfg.min_rounds) {
		snprintf(t->got, sizeof(t->got), "too few rounds (%d)", n);
		return;
	}
	o = snprintf(t->got, sizeof(t->got), fmt_unit, v);
	snprintf(t->got + o, sizeof(t->got) - (size_t)o, " (%d rounds)", n);
	t->met = below ? v < lim : v >= lim;
}

/* A ratio within rounds: judged on its median, its spread shown. */
static void target_ratio(const char *what, const char *goal,
			 const struct rratio *q, double lim)
{
	struct target *t = &targets[ntargets++];

	t->what = what;
	snprintf(t->goal, sizeof(t->goal), "%s", goal);
	fmt_ratio(q, t->got, sizeof(t->got));
	t->met = q->n < cfg.min_rounds ? -1 : q->med >= lim;
}

/* Drops in the rounds the tables use. */
static double drop_pct(const struct cell *c)
{
	if (!c || c->na || !c->nr || !c->uattempts)
		return NAN;
	return 100.0 * (double)c->urefused / (double)c->uattempts;
}

static void eval_targets(void)
{
	struct cell *s = cell_of("seed-spsc", R_MCR);
	struct cell *m = cell_of("seed-mpsc", R_MCR);
	struct cell *p1 = cell_of("spsc-1M-128", R_MCR);
	struct cell *p2 = cell_of("spsc-2M-128", R_MCR);
	struct cell *ps = cell_of("spsc-1M-128-spin", R_MCR);
	struct cell *f = cell_of("spsc-flat-128", R_MCR);
	struct cell *m1 = cell_of("mpsc-flat-1w", R_MCR);
	struct cell *m2 = cell_of("mpsc-2w", R_MCR);
	struct cell *o2 = cell_of("overrun-spsc-2M", R_MCR);
	struct cell *om = cell_of("overrun-mpsc-2M", R_MCR);
	char ns[] = "%.0f ns", mps[] = "%.2f M/s", pc[] = "%.4f %%";
	struct rratio q;

	ntargets = 0;
	target("seed floor: SPSC write p50 (seed-spsc)", "< 100 ns",
	       lat_ns(s->lat, 0.5), 100, true, ns, rounds_of(s));
	target("seed floor: SPSC write p99 (seed-spsc)", "< 500 ns",
	       lat_ns(s->lat, 0.99), 500, true, ns, rounds_of(s));
	target("seed floor: SPSC ops/s (seed-spsc)", "> 10 M/s", s->med / 1e6,
	       10, false, mps, rounds_of(s));
	target("seed floor: SPSC overruns (seed-spsc)", "< 0.01 %",
	       drop_pct(s), 0.01, true, pc, rounds_of(s));
	target("seed floor: MPSC write p50 (seed-mpsc, 4 writers)", "< 200 ns",
	       lat_ns(m->lat, 0.5), 200, true, ns, rounds_of(m));
	target("seed floor: MPSC write p99 (seed-mpsc)", "< 2 µs",
	       lat_ns(m->lat, 0.99), 2000, true, ns, rounds_of(m));
	target("seed floor: MPSC ops/s (seed-mpsc)", "> 5 M/s", m->med / 1e6, 5,
	       false, mps, rounds_of(m));
	target("seed floor: MPSC overruns (seed-mpsc)", "< 0.1 %", drop_pct(m),
	       0.1, true, pc, rounds_of(m));
	target("overruns at 2 M/s offered, SPSC (overrun-spsc-2M)", "< 0.01 %",
	       drop_pct(o2), 0.01, true, pc, rounds_of(o2));
	target("overruns at 2 M/s offered, MPSC 2w (overrun-mpsc-2M)", "< 0.1 %",
	       drop_pct(om), 0.1, true, pc, rounds_of(om));
	target("goal: SPSC paced 1 M/s 128 B write p50", "<= 30 ns",
	       lat_ns(p1->lat, 0.5), 30.5, true, ns, rounds_of(p1));
	target("goal: SPSC paced 1 M/s 128 B write p99", "<= 250 ns",
	       lat_ns(p1->lat, 0.99), 250.5, true, ns, rounds_of(p1));
	target("goal: SPSC paced 2 M/s 128 B write p50", "<= 30 ns",
	       lat_ns(p2->lat, 0.5), 30.5, true, ns, rounds_of(p2));
	target("goal: SPSC paced 2 M/s 128 B write p99", "<= 250 ns",
	       lat_ns(p2->lat, 0.99), 250.5, true, ns, rounds_of(p2));
	target("goal: SPSC paced 1 M/s 128 B write p50, consumer spinning",
	       "<= 30 ns", lat_ns(ps->lat, 0.5), 30.5, true, ns, rounds_of(ps));
	target("goal: SPSC paced 1 M/s 128 B write p99, consumer spinning",
	       "<= 250 ns", lat_ns(ps->lat, 0.99), 250.5, true, ns,
	       rounds_of(ps));
	target("goal: SPSC flat out 128 B", ">= 30 M/s", f->med / 1e6, 30,
	       false, mps, rounds_of(f));
	q = round_ratio(f, cell_of("spsc-flat-128", R_CK), RT_RATE,
			primary_far);
	target_ratio("goal: SPSC flat out vs Concurrency Kit, within rounds",
		     ">= 4x", &q, 4);
	q = round_ratio(f, cell_of("spsc-flat-128", R_DPDK), RT_RATE,
			primary_far);
	target_ratio("goal: SPSC flat out vs DPDK, within rounds", ">= 4x",
		     &q, 4);
	q = round_ratio(f, cell_of("spsc-flat-128", R_SEED), RT_RATE,
			primary_far);
	target_ratio("goal: SPSC flat out vs seed design, within rounds",
		     ">= 1.5x", &q, 1.5);
	target("goal: MPSC 1 writer flat out", ">= 15 M/s", m1->med / 1e6, 15,
	       false, mps, rounds_of(m1));
	target("goal: MPSC 2 writers aggregate, cores of their own",
	       ">= 12 M/s", m2->med / 1e6, 12, false, mps, rounds_of(m2));
	target("goal: MPSC 2 writers write p99", "<= 2 µs",
	       lat_ns(m2->lat, 0.99), 2000.5, true, ns, rounds_of(m2));
	target("goal: MPSC 2 writers reordered records", "0",
	       m2->nr ? (double)m2->reordered : NAN, 0.5, true, "%.0f", m2->nr);
}

/* ------------------------------------------------------------------ */
/* Memory density                                                      */
/* ------------------------------------------------------------------ */

struct density {
	const char *layout;
	double bytes_per_rec;
	double per_mib;
	char how[120];
};
static struct density dens[6];
static int ndens;

static void measure_density(void)
{
	struct mcr_set *set;
	struct mcr_writer w;
	char msg[100];
	uint64_t n = 0;
	double ring_b = (double)mcr_ring_size(RING_NDESC, RING_DATA);
	struct seed_ring *sr;
	uint64_t sn = 0, rs = 0;

	memset(msg, 'x', sizeof(msg));
	ndens = 0;
	if (!mcr_shm_create(2, RING_NDESC, RING_DATA, &set)) {
		if (!mcr_writer_spsc(set, 0, &w))
			while (!mcr_log(&w, BENCH_PRI, msg, sizeof(msg)))
				n++;
		mcr_set_close(set);
	}
	dens[ndens++] = (struct density){
		"mcrring, per record (32 B descriptor + text padded to 8 B)",
		32 + MCR_ALIGN_UP(100), MIB_PER(32 + MCR_ALIGN_UP(100)),
		"geometry-independent: descriptor + text",
	};
	dens[ndens] = (struct density){
		"mcrring, default ring (16384 descriptors, 2 MiB text), filled",
		ring_b / (double)n, (double)n / (ring_b / 1048576.0), "",
	};
	snprintf(dens[ndens++].how, sizeof(dens[0].how),
		 "measured: %" PRIu64 " records fit in %.2f MiB "
		 "(descriptor-bound)", n, ring_b / 1048576.0);

	sr = zalloc_aligned(sizeof(*sr));
	sr->mask = RING_NDESC - 1;
	sr->slots = zalloc_aligned(RING_NDESC * sizeof(struct seed_slot));
	while (!seed_write(sr, false, &rs, (const unsigned char *)msg,
			   sizeof(msg)))
		sn++;
	dens[ndens] = (struct density){
		"seed design (fixed 512-byte slots)", 512,
		(double)sn / (RING_NDESC * 512.0 / 1048576.0), "",
	};
	snprintf(dens[ndens++].how, sizeof(dens[0].how),
		 "measured: %" PRIu64 " records fit in %.0f MiB", sn,
		 RING_NDESC * 512.0 / 1048576.0);
	free(sr->slots);
	free(sr);
	dens[ndens++] = (struct density){
		"ck / dpdk by value, element sized for 4 KiB messages",
		sizeof(struct elem4096), MIB_PER(sizeof(struct elem4096)),
		"fixed elements must fit the largest message",
	};
	dens[ndens++] = (struct density){
		"ck / dpdk by value, element sized for 128 B messages",
		sizeof(struct elem128), MIB_PER(sizeof(struct elem128)),
		"holds nothing longer than 128 B",
	};
}

/* ------------------------------------------------------------------ */
/* Output: markdown, JSON, gnuplot data                                */
/* ------------------------------------------------------------------ */

static int rounds = 5;

static void scen_title(const struct scenario *sc, char *buf, size_t n)
{
	if (oversubscribed(sc) && sc->nw > 1)
		snprintf(buf, n, "%s (oversubscribed: %u writers share %s)",
			 sc->title, sc->nw,
			 mach.ncpu_allowed <= 2 ? "one core" : "the cores");
	else
		snprintf(buf, n, "%s", sc->title);
}

static void rounds_text(const struct cell *ce, char *buf, size_t n)
{
	int dist = 0, other = 0;

	for (int i = 0; i < ce->nr; i++) {
		if (placement(&ce->rr[i]) != primary_far)
			other++;
		else
			dist += ce->rr[i].disturbed;
	}
	if (ce->sel == 2)
		snprintf(buf, n, "%d, other placement only", ce->nr);
	else if (ce->sel == 1)
		snprintf(buf, n, "%d of %d, all disturbed", ce->nused, ce->nr);
	else if (dist || other)
		snprintf(buf, n, "%d of %d (%d disturbed, %d other placement)",
			 ce->nused, ce->nr, dist, other);
	else
		snprintf(buf, n, "%d", ce->nr);
}

static void drops_text(const struct cell *ce, char *buf, size_t n)
{
	if (ce->sc->mode == M_FLAT) {
		char p[32];

		fmt_pct(ce->urefused, ce->uattempts, p, sizeof(p));
		snprintf(buf, n, "0 (retried %s)", p);
	} else {
		fmt_pct(ce->urefused, ce->uattempts, buf, n);
	}
}

static void write_logcalls(FILE *f);
static void json_logcalls(FILE *f);

/* "12.3 ms", "1.24 s", or "stopped" for a run the watchdog ended. */
static void fmt_secs(double sec, char *buf, size_t n)
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

/* A cell's headline with its spread and rounds, or why there is none. */
static void cell_value(const struct cell *ce, char *buf, size_t n)
{
	char a[64], b[64], c[64];

	if (!ce->enough) {
		snprintf(buf, n, "too few rounds (%d)", rounds_of(ce));
		return;
	}
	switch (ratio_kind(ce->sc)) {
	case RT_P50:
		fmt_ns(lat_ns(ce->lat, 0.5), a, sizeof(a));
		fmt_ns(lat_ns(ce->lat, 0.99), b, sizeof(b));
		snprintf(buf, n, "write p50 %s, p99 %s ns (%d)", a, b,
			 ce->nused);
		break;
	case RT_COMPLETE:
		fmt_secs(ce->cmed, a, sizeof(a));
		fmt_secs(ce->clo, b, sizeof(b));
		fmt_secs(ce->chi, c, sizeof(c));
		snprintf(buf, n, "completes in %s [%s-%s] (%d)", a, b, c,
			 ce->nused);
		break;
	default:
		fmt_rate(ce->med, a, sizeof(a));
		fmt_rate(ce->lo, b, sizeof(b));
		fmt_rate(ce->hi, c, sizeof(c));
		snprintf(buf, n, "%s/s [%s-%s] (%d)", a, b, c, ce->nused);
	}
}

/*
 * More writers than cores: every ring's time to complete and longest
 * stall, with the time ratio to mcrring taken within rounds.
 */
static void write_oversub(FILE *f)
{
	bool head = false;

	for (size_t i = 0; i < NR_SCEN; i++) {
		const struct scenario *sc = &scenarios[i];

		if (ratio_kind(sc) != RT_COMPLETE || !cells[i][R_MCR].nr)
			continue;
		if (!head)
			fprintf(f, "\n### More writers than cores\n\n"
				"Every writer pinned to one core, the consumer "
				"on another: a writer preempted while it holds "
				"a slot stalls every ring whose writers publish "
				"in turn. Every write is timed. *Time to "
				"complete*: first write to last record consumed, "
				"median [min-max] of the rounds (*stopped*: the "
				"watchdog ended a round after %d s). *Longest "
				"stall*: the longest write call (a refused "
				"write's retries included) of any writer, "
				"median of the rounds' [longest of all]. *Time "
				"vs mcrring*: the peer's time / mcrring's, "
				"within rounds.\n\n| scenario | ring | time to "
				"complete | longest stall | write p99 | p99.9 | "
				"time vs mcrring | checks | rounds |\n| --- | "
				"--- | --- | --- | --- | --- | --- | --- | --- |"
				"\n", 2 * cfg.timeout_s);
		head = true;
		for (int k = 0; k < NR_KINDS; k++) {
			const struct cell *ce = &cells[i][k];
			char a[96], b[32], c[32], d[32], e[32], r[64], t[160];
			char rn[96];
			struct rratio q;

			if (ce->na || !ce->nr)
				continue;
			check_text(ce, t, sizeof(t));
			cell_value(ce, a, sizeof(a));
			rounds_text(ce, rn, sizeof(rn));
			if (!ce->enough) {
				fprintf(f, "| %s | %s | %s | | | | | %s | %s |\n",
					sc->id, kind_name[k], a, t, rn);
				continue;
			}
			fmt_dur(ce->smed, b, sizeof(b));
			fmt_dur(ce->smax, c, sizeof(c));
			fmt_ns(lat_ns(ce->lat, 0.99), d, sizeof(d));
			fmt_ns(lat_ns(ce->lat, 0.999), e, sizeof(e));
			if (k == R_MCR) {
				snprintf(r, sizeof(r), "-");
			} else {
				q = round_ratio(&cells[i][R_MCR], ce,
						RT_COMPLETE, primary_far);
				fmt_ratio(&q, r, sizeof(r));
			}
			fprintf(f, "| %s | %s | %s | %s [%s] | %s | %s | %s | "
				"%s | %s |\n", sc->id, kind_name[k], a, b, c, d,
				e, r, t, rn);
		}
	}
}

static void write_markdown(FILE *f)
{
	char a[256], b[64], c[64], d[64], e[64], g[64], h[64], t[160];

	fprintf(f, "## mcrbench results\n\n");
	if (cfg.smoke)
		fprintf(f, "**Smoke run**: a few thousand records per run, one "
			"round. It proves that every scenario and ring runs and "
			"that the checks work; its numbers mean nothing.\n\n");
	fprintf(f, "- **Machine**: %s, %d CPUs online; writers pinned to CPU %d, "
		"consumer to CPU %d; %s; TSC %.3f GHz (%s), clocksource %s.\n",
		mach.model, mach.ncpu_online, cfg.wcpu, cfg.ccpu, mach.kernel,
		tsc_ghz, mach.tsc_flags, mach.clocksource);
	fprintf(f, "- **When**: %s, mcrring %s; 1-minute load average %.2f "
		"at start, %.2f at end.\n", mach.date,
		mach.rev ? mach.rev : "(rev unknown)", mach.load_start,
		mach.load_end);
	fprintf(f, "- **Timer**: a sampled write is bracketed by "
		"`lfence; rdtsc` ... `rdtscp; lfence`; the bracket alone costs "
		"%.1f ns (median; min %.1f ns) and is included in every write "
		"latency below. The TSC moves in steps of %.1f ns here, so "
		"latencies are quantised to that. For scale: `rdtsc` %.1f ns, "
		"`clock_gettime(CLOCK_MONOTONIC)` %.1f ns, `sched_getcpu` "
		"%.1f ns (back-to-back loops). Every ring's records are "
		"stamped with CLOCK_MONOTONIC from the TSC map libmcrring keeps "
		"(%.1f ns) and writers read their CPU from the rseq area "
		"(%.1f ns).\n", mach.timer_p50_ns,
		mach.timer_min_ns, mach.tsc_step_ns, mach.rdtsc_ns,
		mach.clock_ns, mach.getcpu_ns, mach.map_ns, mach.rseq_ns);
	{
		double v[4096], lo = NAN, hi = NAN, med = NAN;
		int n = 0;

		for (size_t i = 0; i < NR_SCEN; i++)
			for (int k = 0; k < NR_KINDS; k++)
				for (int r = 0; r < cells[i][k].nr && n < 4096; r++)
					if (!isnan(cells[i][k].rr[r].rtt_ns))
						v[n++] = cells[i][k].rr[r].rtt_ns;
		if (n) {
			qsort(v, n, sizeof(v[0]), cmp_dbl);
			lo = v[0];
			med = v[n / 2];
			hi = v[n - 1];
		}
		fprintf(f, "- **Placement**: the cross-core round trip (one "
			"cache line, CPU %d to %d and back, measured just before "
			"each run) was %.0f ns median, %.0f-%.0f ns. The host "
			"moves the vCPUs: %d runs found them close (round trip "
			"<= %.0f ns), %d apart. The tables use the runs %s "
			"(%d of them undisturbed); the other placement's "
			"flat-out rates are in their own table below.\n",
			cfg.wcpu, cfg.ccpu, med, lo, hi, nplace[0],
			rtt_split_ns, nplace[1],
			primary_far ? "apart" : "close",
			nplace_clean[primary_far]);
	}
	fprintf(f, "- **Method**: %d rounds, scenarios and rings interleaved. "
		"Every ring gets the same bytes and kind of memory (see *Memory "
		"every ring gets*). Same payload by value, "
		"same placement; the consumer drains concurrently and checks "
		"every record for loss, duplicates, order and torn text. Like "
		"mcrring's drain thread (which sleeps 1 ms after a pass that "
		"moved fewer than 512 records), the consumer drains what is "
		"there and, finding a ring empty, waits %.0f µs before looking "
		"again, for every ring alike (`--drain-pause-us`); "
		"*spsc-flat-128-spin* shows a consumer spinning on the empty "
		"ring instead. Rates are the median [min-max] of undisturbed "
		"rounds; latencies pool the sampled writes (1 in 15 flat out, "
		"1 in 3 paced) of those rounds. A round is *disturbed* when "
		"one of its threads lost more than 2 %% of the run to someone "
		"else (its CPU time against the wall clock) or the hypervisor "
		"reported steal; disturbed rounds are left out when any other "
		"round is left.\n", rounds,
		cfg.backoff_ns / 1000);
	fprintf(f, "- **Rates**: *flat* = records consumed per second, writers "
		"retry a full ring; *flat-drop* = write calls per second (the "
		"seed's ops/s), a full ring drops; *paced* = offered on a fixed "
		"schedule, a full ring drops. *e2e* = write call to consumer "
		"seeing the record.\n\n");

	fprintf(f, "### Targets\n\n| target | goal | mcrring | met |\n"
		"| --- | --- | --- | --- |\n");
	for (int i = 0; i < ntargets; i++)
		fprintf(f, "| %s | %s | %s | %s |\n", targets[i].what,
			targets[i].goal, targets[i].got,
			targets[i].met < 0 ? "-" : targets[i].met ? "yes" :
			"**no**");

	fprintf(f, "\n### mcrring against its peers\n\n"
		"mcrring's figure: median [min-max] (rounds). A ratio is "
		"mcrring's advantage (> 1: mcrring is better), taken within "
		"each round from the two runs of that round (same placement, "
		"both undisturbed), then median [min-max] (rounds); flat "
		"scenarios compare rates, paced ones p50 write latency, the "
		"oversubscribed one the time to complete. Fewer than %d "
		"rounds: no number.\n\n| scenario | mcrring |",
		cfg.min_rounds);
	for (int k = R_CK; k < NR_KINDS; k++)
		fprintf(f, " vs %s |", kind_name[k]);
	fprintf(f, " mcrring checks |\n| --- | --- |");
	for (int k = R_CK; k < NR_KINDS; k++)
		fprintf(f, " --- |");
	fprintf(f, " --- |\n");
	for (size_t i = 0; i < NR_SCEN; i++) {
		struct cell *m = &cells[i][R_MCR];

		if (m->na) {
			fprintf(f, "| %s | n/a: %s |", scenarios[i].id,
				m->na_why);
			for (int k = R_CK; k <= NR_KINDS; k++)
				fprintf(f, " |");
			fprintf(f, "\n");
			continue;
		}
		if (!m->nr)
			continue;
		cell_value(m, a, sizeof(a));
		check_text(m, t, sizeof(t));
		fprintf(f, "| %s | %s |", scenarios[i].id, a);
		for (int k = R_CK; k < NR_KINDS; k++) {
			struct rratio q;

			if (cells[i][k].na) {
				fprintf(f, " n/a |");
				continue;
			}
			q = round_ratio(m, &cells[i][k],
					ratio_kind(&scenarios[i]), primary_far);
			fmt_ratio(&q, b, sizeof(b));
			fprintf(f, " %s |", b);
		}
		fprintf(f, " %s |\n", t);
	}

	fprintf(f, "\n### All rings\n\n"
		"Rates: median [min-max] of the rounds used; latencies pool "
		"their sampled writes. Oversubscribed MPSC: the time to "
		"complete instead of a rate, *max* is the longest stall.\n\n"
		"| scenario | ring | rate [min-max] | write p50 | p90 | p99 | "
		"p99.9 | max | e2e p50 | e2e p99 | drops | checks | rounds |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | "
		"--- | --- | --- |\n");
	for (size_t i = 0; i < NR_SCEN; i++) {
		char title[200];

		if (!cells[i][R_MCR].nr && !cells[i][R_MCR].na)
			continue;
		scen_title(&scenarios[i], title, sizeof(title));
		fprintf(f, "| **%s** — %s | | | | | | | | | | | | |\n",
			scenarios[i].id, title);
		for (int k = 0; k < NR_KINDS; k++) {
			struct cell *ce = &cells[i][k];
			char lo[64], hi[64], dr[64], rn[96];

			if (ce->na) {
				fprintf(f, "| | %s | n/a: %s | | | | | | | | | "
					"| |\n", kind_name[k], ce->na_why);
				continue;
			}
			if (!ce->nr)
				continue;
			check_text(ce, t, sizeof(t));
			rounds_text(ce, rn, sizeof(rn));
			if (!ce->enough) {
				fprintf(f, "| | %s | too few rounds (%d) | | | | "
					"| | | | | %s | %s |\n", kind_name[k],
					rounds_of(ce), t, rn);
				continue;
			}
			if (ratio_kind(ce->sc) == RT_COMPLETE) {
				fmt_secs(ce->cmed, lo, sizeof(lo));
				fmt_secs(ce->clo, hi, sizeof(hi));
				fmt_secs(ce->chi, dr, sizeof(dr));
				snprintf(a, sizeof(a), "completes in %s [%s-%s]",
					 lo, hi, dr);
			} else {
				fmt_rate(ce->med, b, sizeof(b));
				fmt_rate(ce->lo, lo, sizeof(lo));
				fmt_rate(ce->hi, hi, sizeof(hi));
				snprintf(a, sizeof(a), "%s/s [%s-%s]", b, lo, hi);
			}
			fmt_ns(lat_ns(ce->lat, 0.5), b, sizeof(b));
			fmt_ns(lat_ns(ce->lat, 0.9), c, sizeof(c));
			fmt_ns(lat_ns(ce->lat, 0.99), d, sizeof(d));
			fmt_ns(lat_ns(ce->lat, 0.999), e, sizeof(e));
			fmt_ns(lat_ns(ce->lat, 1), g, sizeof(g));
			fmt_ns(lat_ns(ce->e2e, 0.5), h, sizeof(h));
			fmt_ns(lat_ns(ce->e2e, 0.99), lo, sizeof(lo));
			drops_text(ce, dr, sizeof(dr));
			fprintf(f, "| | %s | %s | %s | %s | %s | %s | %s | %s | "
				"%s | %s | %s | %s |\n", kind_name[k], a, b, c,
				d, e, g, h, lo, dr, t, rn);
		}
	}

	write_oversub(f);
	write_logcalls(f);

	if (nplace_clean[!primary_far]) {
		fprintf(f, "\n### Other placement: vCPUs %s\n\n"
			"Median records/s of the undisturbed rounds that ran with "
			"the vCPUs %s.\n\n| scenario |", primary_far ? "close" :
			"apart", primary_far ? "close" : "apart");
		for (int k = 0; k < NR_KINDS; k++)
			fprintf(f, " %s |", kind_name[k]);
		fprintf(f, "\n| --- |");
		for (int k = 0; k < NR_KINDS; k++)
			fprintf(f, " --- |");
		fprintf(f, "\n");
		for (size_t i = 0; i < NR_SCEN; i++) {
			if (scenarios[i].mode == M_PACED ||
			    ratio_kind(&scenarios[i]) == RT_COMPLETE ||
			    !cells[i][R_MCR].nr)
				continue;
			fprintf(f, "| %s |", scenarios[i].id);
			for (int k = 0; k < NR_KINDS; k++) {
				struct cell *ce = &cells[i][k];

				if (ce->na) {
					fprintf(f, " n/a |");
					continue;
				}
				if (ce->nother < cfg.min_rounds) {
					fprintf(f, " too few rounds (%d) |",
						ce->nother);
					continue;
				}
				fmt_rate(ce->omed, a, sizeof(a));
				fprintf(f, " %s/s (%d) |", a, ce->nother);
			}
			fprintf(f, "\n");
		}
	}

	fprintf(f, "\n### The write path alone\n\n"
		"One thread on CPU %d writes batches of %d records into an "
		"empty ring, each batch timed whole, and drains them untimed "
		"before the next; ns per write, median of batches. No second "
		"core takes part, so the vCPUs' placement does not move these. "
		"*TSC map*: every ring stamps CLOCK_MONOTONIC from libmcrring's "
		"map; *clock_gettime*: every ring calls it, as mcrring's "
		"writers do where nobody keeps a map.\n\n"
		"| bytes | clock | mcrring | ck | dpdk | seed | vs ck | vs dpdk "
		"| vs seed |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
		cfg.wcpu, SOLO_BATCH);
	for (int z = 0; z < SOLO_SIZES; z++)
		for (int g = 0; g < 2; g++) {
			const double *ns = solo_ns[z][g];

			fprintf(f, "| %u | %s |", solo_size[z],
				g ? "clock_gettime" : "TSC map");
			for (int k = 0; k < NR_KINDS; k++)
				fprintf(f, isnan(ns[k]) ? " n/a |" : " %.1f |",
					ns[k]);
			for (int k = R_CK; k < NR_KINDS; k++)
				fprintf(f, isnan(ns[k]) ? " n/a |" : " %.2fx |",
					ns[k] / ns[R_MCR]);
			fprintf(f, "\n");
		}
	fprintf(f, "\nA call whose priority the runtime levels mute "
		"(`mcr_log()` of 128 bytes, returns -ENOMSG, writes nothing): "
		"%.1f ns, against %.1f ns for the write it replaces (TSC map); "
		"goal <= 2 ns.\n", solo_muted_ns, solo_ns[1][0][R_MCR]);

	fprintf(f, "\n### Memory density, 100-byte messages\n\n"
		"| layout | bytes per record | records per MiB | how |\n"
		"| --- | --- | --- | --- |\n");
	for (int i = 0; i < ndens; i++)
		fprintf(f, "| %s | %.0f | %.0f | %s |\n", dens[i].layout,
			dens[i].bytes_per_rec, dens[i].per_mib, dens[i].how);

	fprintf(f, "\n### Memory every ring gets\n\n"
		"Every ring gets the bytes mcrring's default ring takes "
		"(%.2f MiB: 16384 descriptors, 2 MiB of text), of the same kind "
		"(a memfd mapped shared, prefaulted): a peer gets the most "
		"slots, a power of two, that fit, with its element sized for "
		"the scenario's message (the best case for a fixed-size ring). "
		"Records each ring holds, by message size:\n\n| bytes |",
		(double)ring_bytes(R_MCR, 0, 128) / 1048576.0);
	for (int k = 0; k < NR_KINDS; k++)
		fprintf(f, " %s |", kind_name[k]);
	fprintf(f, "\n| --- |");
	for (int k = 0; k < NR_KINDS; k++)
		fprintf(f, " --- |");
	fprintf(f, "\n");
	for (int z = 0; z < 4; z++) {
		static const uint32_t sz[] = { 16, 128, 1024, 4096 };

		fprintf(f, "| %u |", sz[z]);
		for (int k = 0; k < NR_KINDS; k++) {
			if (k == R_SEED && sz[z] > SEED_MSG_MAX)
				fprintf(f, " n/a |");
			else
				fprintf(f, " %u (%.2f MiB) |",
					ring_records(k, sz[z]),
					(double)ring_bytes(k,
						ring_capacity(k, sz[z]),
						sz[z]) / 1048576.0);
		}
		fprintf(f, "\n");
	}

	fprintf(f, "\n### Loss and order, every ring\n\n");
	for (int k = 0; k < NR_KINDS; k++) {
		uint64_t lost = 0, reo = 0, dup = 0, torn = 0, str = 0, ab = 0;
		char bad[512] = "", stopped[512] = "";
		size_t bo = 0, so = 0;

		for (size_t i = 0; i < NR_SCEN; i++) {
			struct cell *ce = &cells[i][k];

			if (!ce->nr)
				continue;
			lost += ce->lost;
			reo += ce->reordered;
			dup += ce->dups;
			torn += ce->torn;
			str += ce->stranded;
			ab += ce->skipped;
			if (!cell_sound(ce) && bo < sizeof(bad))
				bo += (size_t)snprintf(bad + bo, sizeof(bad) - bo,
						       "%s%s", bo ? ", " : "",
						       scenarios[i].id);
			if (ce->timeouts && so < sizeof(stopped))
				so += (size_t)snprintf(stopped + so,
						       sizeof(stopped) - so,
						       "%s%s", so ? ", " : "",
						       scenarios[i].id);
		}
		fprintf(f, "- **%s**: ", kind_title[k]);
		if (!bo)
			fprintf(f, "no record lost, duplicated, reordered or "
				"torn in any run");
		else
			fprintf(f, "%" PRIu64 " records lost (%" PRIu64
				" stranded behind a hole), %" PRIu64
				" reordered, %" PRIu64 " duplicated, %" PRIu64
				" torn, in %s", lost, str, reo, dup, torn, bad);
		if (ab)
			fprintf(f, "; %" PRIu64 " abandoned by the consumer "
				"after a writer stalled (counted)", ab);
		if (so)
			fprintf(f, ". Stopped by the watchdog (not done by "
				"its deadline at the pace it went: writers "
				"convoyed, or the machine starved the run) in "
				"%s", stopped);
		fprintf(f, ".\n");
	}
	fprintf(f, "\nck: `CK_RING_PROTOTYPE` typed ring, "
		"`ck_ring_enqueue_spsc/mpsc_<type>`, "
		"`ck_ring_dequeue_spsc_<type>`. dpdk: `rte_ring_init` on plain "
		"memory (no EAL), `rte_ring_sp/mp_enqueue_elem`, "
		"`rte_ring_sc_dequeue_elem`; dpdk-rts and dpdk-hts: the same "
		"ring made with `RING_F_MP_RTS_ENQ` / `RING_F_MP_HTS_ENQ`, "
		"`rte_ring_mp_rts/hts_enqueue_bulk_elem` of one element. These "
		"copy a fixed element (16-byte header with timestamp, thread, "
		"length, priority + the message). dpdk-ptr: a writer takes a "
		"preallocated, cache-aligned record from a free ring "
		"(`rte_ring_mc_dequeue`), fills it and enqueues its pointer "
		"(`rte_ring_mp_enqueue`); the consumer copies it out and "
		"returns it (`rte_ring_sp_enqueue`): rte_mempool's ring handler "
		"without EAL's per-lcore caches. Every peer write, the seed's "
		"included, takes its timestamp from the TSC map libmcrring "
		"keeps, through the inline function mcrring's writers use. "
		"seed: rebuilt from the proof of concept's description "
		"(512-byte slots, EMPTY/WRITING/READY; MPSC writers CAS "
		"write_seq, so a full ring refuses a record without spending "
		"a sequence). A refused write is retried (flat) or dropped "
		"(paced, flat-drop); a retrying writer pauses %d times, then "
		"yields the CPU on each further refusal, every ring alike.\n",
		REFUSED_SPINS);
}

static void json_num(FILE *f, const char *key, double v, bool comma)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
	else
		fprintf(f, "\"%s\": %.6g%s", key, v, comma ? ", " : "");
}

static void json_hist(FILE *f, const char *key, const struct hist *h)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1 };
	static const char *const qn[] = { "p50", "p90", "p99", "p99_9", "max" };

	fprintf(f, "\"%s\": {\"samples\": %" PRIu64 ", ", key, h->n);
	for (int i = 0; i < 5; i++)
		json_num(f, qn[i], lat_ns(h, qs[i]), i < 4);
	fprintf(f, "}");
}

/* One ratio within rounds: {"rounds": n, "median": .., "min", "max"}. */
static void json_ratio(FILE *f, const char *key, const struct rratio *q,
		       bool comma)
{
	fprintf(f, "\"%s\": {\"rounds\": %d, \"lower_bound\": %s, ", key,
		q->n, q->lower ? "true" : "false");
	json_num(f, "median", q->med, true);
	json_num(f, "min", q->lo, true);
	json_num(f, "max", q->hi, false);
	fprintf(f, "}%s", comma ? ", " : "");
}

/*
 * mcrring against every peer in scenario @i, within rounds, in each
 * placement: "vs": {"ck": {"compares": .., "close": {..}, "apart": {..}}}.
 */
static void json_ratios(FILE *f, size_t i)
{
	int how = ratio_kind(&scenarios[i]);

	fprintf(f, "\"vs\": {");
	for (int p = R_CK; p < NR_KINDS; p++) {
		struct rratio close = round_ratio(&cells[i][R_MCR],
						  &cells[i][p], how, false);
		struct rratio apart = round_ratio(&cells[i][R_MCR],
						  &cells[i][p], how, true);

		fprintf(f, "\"%s\": {\"compares\": \"%s\", ", kind_name[p],
			ratio_what[how]);
		json_ratio(f, "close", &close, true);
		json_ratio(f, "apart", &apart, false);
		fprintf(f, "}%s", p + 1 < NR_KINDS ? ", " : "");
	}
	fprintf(f, "}, ");
}

static void write_json(FILE *f)
{
	fprintf(f, "{\n  \"machine\": {\"cpu\": \"%s\", \"cpus_online\": %d, "
		"\"writer_cpu\": %d, \"consumer_cpu\": %d, \"kernel\": \"%s\", "
		"\"clocksource\": \"%s\", \"tsc_flags\": \"%s\", ",
		mach.model, mach.ncpu_online, cfg.wcpu, cfg.ccpu, mach.kernel,
		mach.clocksource, mach.tsc_flags);
	json_num(f, "tsc_ghz", tsc_ghz, true);
	json_num(f, "load_start", mach.load_start, true);
	json_num(f, "load_end", mach.load_end, false);
	fprintf(f, "},\n  \"date\": \"%s\", \"rev\": \"%s\", \"rounds\": %d, "
		"\"smoke\": %s, \"drain_pause_us\": %g,\n  \"timer_ns\": {",
		mach.date, mach.rev ? mach.rev : "", rounds,
		cfg.smoke ? "true" : "false", cfg.backoff_ns / 1000);
	json_num(f, "sample_bracket_p50", mach.timer_p50_ns, true);
	json_num(f, "sample_bracket_min", mach.timer_min_ns, true);
	json_num(f, "rdtsc", mach.rdtsc_ns, true);
	json_num(f, "clock_gettime", mach.clock_ns, true);
	json_num(f, "sched_getcpu", mach.getcpu_ns, true);
	json_num(f, "tsc_map", mach.map_ns, true);
	json_num(f, "rseq_cpu", mach.rseq_ns, true);
	json_num(f, "tsc_step", mach.tsc_step_ns, true);
	json_num(f, "cross_core_rtt_best", rtt_best_ns, true);
	json_num(f, "placement_split_rtt", rtt_split_ns, true);
	fprintf(f, "\"tables_use\": \"%s\", \"runs_close\": %d, "
		"\"runs_apart\": %d", primary_far ? "apart" : "close",
		nplace[0], nplace[1]);
	fprintf(f, "},\n  \"targets\": [\n");
	for (int i = 0; i < ntargets; i++)
		fprintf(f, "    {\"target\": \"%s\", \"goal\": \"%s\", "
			"\"measured\": \"%s\", \"met\": %s}%s\n",
			targets[i].what, targets[i].goal, targets[i].got,
			targets[i].met < 0 ? "null" : targets[i].met ? "true" :
			"false", i + 1 < ntargets ? "," : "");
	fprintf(f, "  ],\n  \"write_path_alone_ns\": [\n");
	for (int z = 0; z < SOLO_SIZES; z++)
		for (int g = 0; g < 2; g++) {
			fprintf(f, "    {\"bytes\": %u, \"clock\": \"%s\", ",
				solo_size[z], g ? "clock_gettime" : "tsc_map");
			for (int k = 0; k < NR_KINDS; k++)
				json_num(f, kind_name[k], solo_ns[z][g][k],
					 k + 1 < NR_KINDS);
			fprintf(f, "}%s\n", z + 1 < SOLO_SIZES || !g ? "," : "");
		}
	fprintf(f, "  ],\n  ");
	json_num(f, "muted_call_ns", solo_muted_ns, true);
	fprintf(f, "\n  \"density_100B\": [\n");
	for (int i = 0; i < ndens; i++) {
		fprintf(f, "    {\"layout\": \"%s\", ", dens[i].layout);
		json_num(f, "bytes_per_record", dens[i].bytes_per_rec, true);
		json_num(f, "records_per_mib", dens[i].per_mib, false);
		fprintf(f, "}%s\n", i + 1 < ndens ? "," : "");
	}
	fprintf(f, "  ],\n");
	json_logcalls(f);
	fprintf(f, "  \"results\": [\n");
	bool first = true;

	for (size_t i = 0; i < NR_SCEN; i++) {
		const struct scenario *sc = &scenarios[i];

		for (int k = 0; k < NR_KINDS; k++) {
			struct cell *ce = &cells[i][k];

			if (!ce->nr && !ce->na)
				continue;
			fprintf(f, "%s    {\"scenario\": \"%s\", \"ring\": \"%s\", "
				"\"mode\": \"%s\", \"mpsc\": %s, \"writers\": %u, "
				"\"oversubscribed\": %s, \"size\": %u, "
				"\"capacity\": %u, \"bytes\": %" PRIu64 ", ",
				first ? "" : ",\n", sc->id,
				kind_name[k], mode_name[sc->mode],
				sc->mpsc ? "true" : "false", sc->nw,
				oversubscribed(sc) ? "true" : "false", sc->size,
				ring_records(k, sc->size),
				ring_bytes(k, ring_capacity(k, sc->size),
					   sc->size));
			first = false;
			json_num(f, "offered_per_s", sc->mode == M_PACED ?
				 sc->rate : NAN, true);
			if (ce->na) {
				fprintf(f, "\"na\": \"%s\"}", ce->na_why);
				continue;
			}
			fprintf(f, "\"rounds_used\": %d, \"enough_rounds\": %s, ",
				rounds_of(ce), ce->enough ? "true" : "false");
			if (ratio_kind(sc) == RT_COMPLETE) {
				json_num(f, "complete_s_median", ce->cmed, true);
				json_num(f, "complete_s_min", ce->clo, true);
				json_num(f, "complete_s_max", ce->chi, true);
				json_num(f, "longest_stall_ns_median", ce->smed,
					 true);
				json_num(f, "longest_stall_ns_max", ce->smax,
					 true);
			}
			json_num(f, "rate_median", ce->med, true);
			json_num(f, "rate_min", ce->lo, true);
			json_num(f, "rate_max", ce->hi, true);
			json_num(f, "write_calls_per_s", ce->wmed, true);
			json_num(f, "consumed_per_s", ce->dmed, true);
			json_num(f, "rate_median_other_placement", ce->omed, true);
			json_hist(f, "write_ns", ce->lat);
			fprintf(f, ", ");
			json_hist(f, "e2e_ns", ce->e2e);
			fprintf(f, ", \"attempts\": %" PRIu64 ", \"accepted\": %"
				PRIu64 ", \"refused\": %" PRIu64 ", ",
				ce->attempts, ce->accepted, ce->refused);
			json_num(f, "drop_pct", sc->mode == M_FLAT ? 0 :
				 drop_pct(ce), true);
			fprintf(f, "\"checks\": {\"received\": %" PRIu64
				", \"lost\": %" PRIu64 ", \"stranded\": %" PRIu64
				", \"reordered\": %" PRIu64 ", \"duplicated\": %"
				PRIu64 ", \"torn\": %" PRIu64 ", \"skipped\": %"
				PRIu64 ", \"errors\": %" PRIu64
				", \"counters_agree\": %s, \"timeouts\": %d, "
				"\"clean\": %s}, ", ce->received, ce->lost,
				ce->stranded, ce->reordered, ce->dups, ce->torn,
				ce->skipped, ce->errors,
				ce->acct_ok ? "true" : "false", ce->timeouts,
				cell_clean(ce) ? "true" : "false");
			if (k == R_MCR)
				json_ratios(f, i);
			fprintf(f, "\"rounds\": [");
			for (int r = 0; r < ce->nr; r++) {
				const struct run_result *rr = &ce->rr[r];

				fprintf(f, "%s{", r ? ", " : "");
				fprintf(f, "\"round\": %d, \"bursts\": %" PRIu64
					", ", rr->round + 1, rr->bursts);
				json_num(f, "rate", rr->rate, true);
				json_num(f, "complete_s", isinf(rr->complete_s) ?
					 NAN : rr->complete_s, true);
				json_num(f, "longest_stall_ns", rr->stall_ns, true);
				json_num(f, "stolen_ms", rr->stolen_ms, true);
				json_num(f, "rtt_ns", rr->rtt_ns, true);
				fprintf(f, "\"placement\": \"%s\", ",
					placement(rr) ? "apart" : "close");
				fprintf(f, "\"preempted\": %ld, \"steal_ticks\": %"
					PRIu64 ", \"disturbed\": %s, "
					"\"timeout\": %s}", rr->nivcsw,
					rr->steal_ticks,
					rr->disturbed ? "true" : "false",
					rr->timeout ? "true" : "false");
			}
			fprintf(f, "]}");
		}
	}
	fprintf(f, "\n  ]\n}\n");
}

/* Data for tools/mcrbench.gp. */
static int write_plot_data(const char *dir)
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

			fprintf(f, "# %s\n", kind_name[k]);
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

static int write_outputs(const char *dir, bool print)
{
	char path[4096];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/results.md", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	write_markdown(f);
	fclose(f);
	if (print)
		write_markdown(stdout);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	write_json(f);
	fclose(f);
	ret = write_plot_data(dir);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Log calls: the alternatives a user would pick instead               */
/* ------------------------------------------------------------------ */

#define LC_CALLS	200000
#define LC_CALLS_SMOKE	2000

/* Offered calls per second: flat out, then paced, every call alike. */
static const double lc_rate[] = { 0, 1e6, 2e6 };
#define NR_LC_RATES	(sizeof(lc_rate) / sizeof(lc_rate[0]))

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

static int lc_calibrate(struct mcr_set *set)
{
	return clock_calibrate(set,
			       &mcr_set_ring(set, MCR_RING_SPSC(0))->cons->clock);
}

/* Round @r of every log call, in an order that turns with the round. */
static void lc_round(const char *dir, int r, bool quiet)
{
	struct lc_cfg lc = {
		.tsc_ghz = tsc_ghz, .wcpu = cfg.wcpu,
		.n = cfg.smoke ? LC_CALLS_SMOKE : LC_CALLS,
		.backoff_ns = cfg.backoff_ns, .dir = dir,
		.calibrate = lc_calibrate, .lttng_helper = lc_helper,
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
				rounds, lc_name[k], lc_rate[q] ?
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

static void write_logcalls(FILE *f)
{
	if (!lc_rounds)
		return;
	fprintf(f, "\n### Log calls\n\n"
		"The same 128-byte message, %d calls by one thread on CPU %d, "
		"flat out, then offered at fixed rates (a call behind its "
		"schedule goes at once), every call timed (timer included), "
		"every message read back where a reader would (the ring's consumer, placed by the "
		"scheduler like LTTng's consumer daemon and rsyslogd; the "
		"file, rsyslogd's output, the LTTng trace through babeltrace2) "
		"and checked. *lost*: refused, the call returned an error "
		"(mcrring: ring full; a log call never waits), or discarded, "
		"the tracer reported it afterwards (LTTng's own count). "
		"Each call as configured by default. Figures: median "
		"[min-max] (rounds); ratios: the call's p50 or p99 over mcrring's, within rounds (> 1: "
		"mcrring is cheaper). Fewer than %d rounds: no number.\n\n"
		"| offered | call | calls/s | p50 ns | p99 ns | delivered | "
		"lost | p50 vs mcrring | p99 vs mcrring | checks |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
		cfg.smoke ? LC_CALLS_SMOKE : LC_CALLS, cfg.wcpu,
		cfg.min_rounds);
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

static void json_logcalls(FILE *f)
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
static void lc_smoke_tap(void)
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

/* ------------------------------------------------------------------ */
/* Smoke: prove every scenario and peer runs, and that the checks bite */
/* ------------------------------------------------------------------ */

static void feed(struct cctx *c, unsigned int wi, uint64_t s, uint32_t len,
		 bool tear)
{
	unsigned char msg[64];
	uint64_t id = (uint64_t)wi << SEQ_BITS | s, zero = 0;

	memset(msg, 'x', sizeof(msg));
	memcpy(msg, &id, 8);
	memcpy(msg + 8, &zero, 8);
	memcpy(msg + 32 - 8, &id, 8);
	if (tear)
		msg[30] ^= 0xff;
	check_record(c, msg, len, 32, 2);
}

static struct cctx *checker(void)
{
	struct cctx *c = calloc(1, sizeof(*c));

	c->maxseq = 64;
	c->seen[0] = calloc(1, 8);
	c->seen[1] = calloc(1, 8);
	return c;
}

static void checker_free(struct cctx *c)
{
	free(c->seen[0]);
	free(c->seen[1]);
	free(c);
}

/* The validator against streams with known faults. */
static bool selftest_checks(char *why, size_t n)
{
	struct cctx *c;
	bool ok = true;

#define EXPECT(cond, what) do { if (!(cond)) { ok = false; \
	snprintf(why, n, "check did not catch %s", what); } } while (0)
	c = checker();		/* clean, interleaved writers */
	for (uint64_t s = 0; s < 8; s++) {
		feed(c, 0, s, 32, false);
		feed(c, 1, s, 32, false);
	}
	EXPECT(c->received == 16 && !c->reordered && !c->dups && !c->torn,
	       "a clean stream (false alarm)");
	checker_free(c);

	c = checker();		/* one record accepted, never delivered */
	for (uint64_t s = 0; s < 8; s++)
		if (s != 5)
			feed(c, 0, s, 32, false);
	EXPECT(8 - (c->received - c->dups) == 1, "a lost record");
	checker_free(c);

	c = checker();		/* 0 2 1 3 */
	feed(c, 1, 0, 32, false);
	feed(c, 1, 2, 32, false);
	feed(c, 1, 1, 32, false);
	feed(c, 1, 3, 32, false);
	EXPECT(c->reordered == 1, "a reordered record");
	checker_free(c);

	c = checker();		/* 0 1 1 2 */
	feed(c, 0, 0, 32, false);
	feed(c, 0, 1, 32, false);
	feed(c, 0, 1, 32, false);
	feed(c, 0, 2, 32, false);
	EXPECT(c->dups == 1 && !c->reordered, "a duplicated record");
	checker_free(c);

	c = checker();		/* torn tail, short record */
	feed(c, 0, 0, 32, true);
	feed(c, 0, 1, 24, false);
	EXPECT(c->torn == 2, "a torn record");
	checker_free(c);
#undef EXPECT
	return ok;
}

static void seed_msg(unsigned char *msg, uint64_t id)
{
	uint64_t zero = 0;

	memset(msg, 'x', 32);
	memcpy(msg, &id, 8);
	memcpy(msg + 8, &zero, 8);
	memcpy(msg + 24, &id, 8);
}

static void seed_drain(struct seed_ring *r, struct cctx *c)
{
	unsigned char out[ELEM_MAX];

	while (seed_read(r, out))
		check_record(c, out + sizeof(struct elem_hdr),
			     ((struct elem_hdr *)out)->len, 32, 2);
}

/*
 * The seed's MPSC design, driven by hand on a 4-slot ring. Writer A takes
 * sequences 0-3, a fifth write overruns (refused, no sequence spent); the
 * reader drains. A reserves sequence 4 and is "preempted" before filling
 * it; writer B, with its own cache of read_seq, writes 5-7 and is refused
 * the fourth (the slot A owns is not B's to take), and the reader waits
 * at 4. A fills 4: 0-7 arrive in order, nothing lost, one overrun each.
 */
static bool selftest_seed_lap(char *why, size_t n)
{
	struct seed_ring *r = zalloc_aligned(sizeof(*r));
	struct cctx *c = checker();
	unsigned char msg[32];
	uint64_t accepted = 0, rs_a = 0, rs_b = 0, seq = 0, got_early;
	bool ok;

	r->slots = zalloc_aligned(4 * sizeof(struct seed_slot));
	r->mask = 3;
	for (uint64_t s = 0; s < 5; s++) {
		seed_msg(msg, s);
		accepted += !seed_write(r, true, &rs_a, msg, 32);
	}
	seed_drain(r, c);
	ok = seed_reserve_mp(r, &rs_a, &seq) && seq == 4;
	for (uint64_t s = 5; s < 9; s++) {
		seed_msg(msg, s);
		accepted += !seed_write(r, true, &rs_b, msg, 32);
	}
	seed_drain(r, c);
	got_early = c->received;
	seed_msg(msg, 4);
	ok &= !seed_fill(r, seq, msg, 32);
	accepted++;
	seed_drain(r, c);
	ok &= accepted == 8 && got_early == 4 && c->received == 8 &&
	      !c->reordered && !c->dups && !c->torn && r->overruns == 2;
	if (!ok)
		snprintf(why, n, "seed MPSC: accepted %" PRIu64 ", received %"
			 PRIu64 " (%" PRIu64 " before the slow writer), "
			 "reordered %" PRIu64 ", overruns %" PRIu64
			 " (want 8, 8 (4), 0, 2)", accepted, c->received,
			 got_early, c->reordered, r->overruns);
	checker_free(c);
	free(r->slots);
	free(r);
	return ok;
}

/* mcrring's own counters against the bench's: a full ring refuses. */
static bool selftest_mcr_full(char *why, size_t n)
{
	struct mcr_set *set;
	struct mcr_writer w;
	struct mcr_cursor cur;
	struct mcr_record rec;
	const struct mcr_ring *r;
	char msg[128], text[MCR_TEXT_MAX];
	uint64_t acc = 0, ref = 0, got = 0, inorder = 1;
	bool ok;

	if (mcr_shm_create(2, 8, 2 * MCR_TEXT_MAX, &set) ||
	    mcr_writer_spsc(set, 0, &w)) {
		snprintf(why, n, "mcr_shm_create failed");
		return false;
	}
	r = mcr_set_ring(set, MCR_RING_SPSC(0));
	mcr_cursor_init(&cur, r, MCR_RING_SPSC(0));
	for (uint64_t s = 0; s < 20; s++) {
		memcpy(msg, &s, 8);
		if (mcr_log(&w, BENCH_PRI, msg, sizeof(msg)))
			ref++;
		else
			acc++;
	}
	while (mcr_consume(r, &cur, &rec, text, 1, (__u64)-1, 1) ==
	       MCR_RECORD) {
		uint64_t s;

		memcpy(&s, text, 8);
		inorder &= s == got++;
	}
	ok = acc == 8 && ref == 12 && got == 8 && inorder &&
	     READ_ONCE(r->prod->dropped_full) == 12;
	if (!ok)
		snprintf(why, n, "mcrring full ring: accepted %" PRIu64
			 " refused %" PRIu64 " consumed %" PRIu64, acc, ref, got);
	mcr_set_close(set);
	return ok;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcrbench [--smoke] [--rounds N] [--out DIR] [--only ID]\n"
		"                [--writer-cpu N] [--consumer-cpu N] [--rev TEXT]\n"
		"                [--drain-pause-us N] [--min-rounds N]\n"
		"                [--quiet] [--list]\n"
		"  full run: writes DIR/results.md, results.json and the plots'\n"
		"  data (DIR defaults to build/bench) and prints the table.\n"
		"  A cell resting on fewer than --min-rounds (3) undisturbed\n"
		"  rounds in the tables' placement prints no number.\n"
		"  --smoke: tiny run of every scenario and ring plus self-tests\n"
		"  of the checks; prints one TAP line, asserts no timing.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "writer-cpu", required_argument, NULL, 'w' },
		{ "consumer-cpu", required_argument, NULL, 'c' },
		{ "rev", required_argument, NULL, 'R' },
		{ "drain-pause-us", required_argument, NULL, 'P' },
		{ "min-rounds", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL, *only = NULL;
	bool quiet = false, rounds_set = false;
	int opt, ncells = 0, nna = 0;
	char why[256] = "";

	cfg.wcpu = cfg.ccpu = -1;
	cfg.backoff_ns = 20000;
	cfg.min_rounds = 3;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.smoke = true;
			break;
		case 'r':
			rounds = atoi(optarg);
			rounds_set = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'O':
			only = optarg;
			break;
		case 'w':
			cfg.wcpu = atoi(optarg);
			break;
		case 'c':
			cfg.ccpu = atoi(optarg);
			break;
		case 'R':
			mach.rev = optarg;
			break;
		case 'P':
			cfg.backoff_ns = atof(optarg) * 1000;
			break;
		case 'm':
			cfg.min_rounds = atoi(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'l':
			for (size_t i = 0; i < NR_SCEN; i++)
				printf("%-18s %s\n", scenarios[i].id,
				       scenarios[i].title);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || rounds < 1 || rounds > MAXROUNDS) {
		usage(stderr);
		return 2;
	}
	if (cfg.smoke && !rounds_set)
		rounds = 1;
	if (!out)
		out = cfg.smoke ? "build/bench-smoke" : "build/bench";
	mkdir(out, 0755);
	cfg.timeout_s = cfg.smoke ? SMOKE_TIMEOUT_S : RUN_TIMEOUT_S;

	machine_info();
	if (cfg.wcpu < 0)
		cfg.wcpu = mach.cpus[0];
	if (cfg.ccpu < 0)
		cfg.ccpu = mach.ncpu_allowed > 1 ? mach.cpus[1] : mach.cpus[0];
	mach.load_start = loadavg1();
	calibrate_tsc(cfg.smoke ? 30 : 300);
	if (mcr_shm_create(1, 8, 2 * MCR_TEXT_MAX, &clock_set) ||
	    mcr_writer_mpsc(clock_set, &clock_reader) ||
	    clock_calibrate(clock_set, clock_reader.clock)) {
		fprintf(stderr, "mcrbench: cannot keep a TSC clock\n");
		return 1;
	}
	timer_cost(cfg.smoke ? 20000 : 200000);
	measure_rtt();
	measure_density();
	measure_solo();
	if (!quiet)
		fprintf(stderr, "mcrbench: TSC %.3f GHz, timer bracket %.1f ns, "
			"clock_gettime %.1f ns; writers on CPU %d, consumer on "
			"CPU %d; cross-core round trip %.0f ns; load %.2f\n",
			tsc_ghz, mach.timer_p50_ns, mach.clock_ns, cfg.wcpu,
			cfg.ccpu, rtt_best_ns, mach.load_start);

	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < NR_SCEN; i++) {
			const struct scenario *sc = &scenarios[i];

			if (!selected(only, sc->id))
				continue;
			for (int j = 0; j < NR_KINDS; j++) {
				int k = (j + r) % NR_KINDS;
				struct cell *ce = &cells[i][k];
				struct run_result *res;
				struct hist *hl, *he;
				char rt[32], p50[32], p99[32], ck[160];
				int ret;

				ce->sc = sc;
				ce->kind = k;
				if (!kind_supports(k, sc, &ce->na_why)) {
					ce->na = true;
					continue;
				}
				res = &ce->rr[ce->nr];
				hl = calloc(1, sizeof(*hl));
				he = calloc(1, sizeof(*he));
				if (!hl || !he)
					return 1;
				ret = run_once(sc, k, res, hl, he);
				res->round = r;
				if (ret) {
					fprintf(stderr, "mcrbench: %s %s: %s\n",
						sc->id, kind_name[k],
						strerror(-ret));
					free(hl);
					free(he);
					continue;
				}
				ce->nr++;	/* its hists stay with it */
				if (!quiet) {
					struct cell one = { .sc = sc, .nr = 1,
						.acct_ok = res->acct_ok };

					one.lost = res->lost;
					one.reordered = res->reordered;
					one.dups = res->dups;
					one.torn = res->torn;
					one.stranded = res->stranded;
					one.skipped = res->skipped;
					one.errors = res->errors;
					one.timeouts = res->timeout;
					check_text(&one, ck, sizeof(ck));
					if (ratio_kind(sc) == RT_COMPLETE) {
						/* a time and a stall, not a rate */
						fmt_secs(res->complete_s, rt,
							 sizeof(rt));
						fmt_dur(res->stall_ns, p99,
							sizeof(p99));
						fprintf(stderr, "[%d/%d] %-16s %-8s "
							"completes in %s, "
							"longest stall %s",
							r + 1, rounds, sc->id,
							kind_name[k], rt, p99);
					}
					fmt_rate(res->rate, rt, sizeof(rt));
					fmt_ns(lat_ns(hl, 0.5), p50, sizeof(p50));
					fmt_ns(lat_ns(hl, 0.99), p99, sizeof(p99));
					if (ratio_kind(sc) != RT_COMPLETE)
						fprintf(stderr, "[%d/%d] %-16s "
							"%-8s %9s/s p50 %6s "
							"p99 %8s drops %"
							PRIu64, r + 1, rounds,
							sc->id, kind_name[k],
							rt, p50, p99,
							sc->mode == M_FLAT ?
							0 : res->refused);
					fprintf(stderr, " %s", ck);
					fprintf(stderr, " [rtt %.0f ns, %.2f ms "
						"lost, %ld preempted, %" PRIu64
						" steal]%s", res->rtt_ns,
						res->stolen_ms, res->nivcsw,
						res->steal_ticks, res->disturbed ?
						" DISTURBED" : "");
					fprintf(stderr, "\n");
				}
			}
		}
	}
	if (selected(only, "logcalls")) {
		char rel[4096], dir[PATH_MAX];

		/* rsyslogd wants absolute paths */
		snprintf(rel, sizeof(rel), "%s/logcalls", out);
		mkdir(rel, 0755);
		if (!realpath(rel, dir))
			snprintf(dir, sizeof(dir), "%s", rel);
		lc_helper_path();
		lc_setup(&(struct lc_cfg){ .dir = dir,
					   .lttng_helper = lc_helper });
		for (int r = 0; r < rounds; r++)
			lc_round(dir, r, quiet);
		lc_teardown();
	}
	mach.load_end = loadavg1();
	classify_runs();
	for (size_t i = 0; i < NR_SCEN; i++)
		for (int k = 0; k < NR_KINDS; k++) {
			if (cells[i][k].nr) {
				summarise(&cells[i][k]);
				ncells++;
			} else {
				cells[i][k].med = cells[i][k].lo = NAN;
				cells[i][k].hi = cells[i][k].wmed = NAN;
				cells[i][k].dmed = NAN;
			}
			nna += cells[i][k].na;
		}
	eval_targets();
	if (write_outputs(out, !cfg.smoke && !quiet))
		fprintf(stderr, "mcrbench: cannot write to %s\n", out);

	if (cfg.smoke) {
		bool ok = true;
		int want = 0;

		for (size_t i = 0; i < NR_SCEN; i++) {
			if (!selected(only, scenarios[i].id))
				continue;
			for (int k = 0; k < NR_KINDS; k++) {
				struct cell *ce = &cells[i][k];
				char t[160];

				if (ce->na)
					continue;
				want++;
				if (!ce->nr) {
					ok = false;
					snprintf(why, sizeof(why), "%s %s did "
						 "not run", scenarios[i].id,
						 kind_name[k]);
					continue;
				}
				check_text(ce, t, sizeof(t));
				if (!cell_clean(ce))
					printf("# %s %s: %s\n", scenarios[i].id,
					       kind_name[k], t);
				/* Every ring must deliver what it accepted
				 * (the harness is under test too); mcrring
				 * must also finish, where a peer's writers
				 * may convoy until the watchdog stops them. */
				if (!cell_sound(ce) ||
				    (k == R_MCR && ce->timeouts)) {
					ok = false;
					snprintf(why, sizeof(why), "%s %s: %s",
						 scenarios[i].id, kind_name[k],
						 t);
				}
			}
		}
		if (ok)
			ok = selftest_checks(why, sizeof(why));
		if (ok)
			ok = selftest_seed_lap(why, sizeof(why));
		if (ok)
			ok = selftest_mcr_full(why, sizeof(why));
		if (selected(only, "logcalls"))
			lc_smoke_tap();
		if (ok)
			printf("ok - bench: smoke: %d runs of %zu scenarios x %d "
			       "rings (%d n/a), every record checked; the "
			       "checks catch injected loss, reordering, "
			       "duplicates and torn records; the seed design's "
			       "writers leave no hole behind a slow one; a full "
			       "mcrring ring refuses\n",
			       ncells, only ? (size_t)0 : NR_SCEN, NR_KINDS,
			       nna);
		else
			printf("not ok - bench: smoke: %s\n", why);
		return ok ? 0 : 1;
	}
	return 0;
}
