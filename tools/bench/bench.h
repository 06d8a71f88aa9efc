/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrbench's shared declarations, each in one place: the limits, the
 * clock, the histograms, the payload, the rings (struct ring_ops, one
 * file a peer), the scenarios, one run's threads and results, the cells
 * of the report and the parts of the report. Each block names the file
 * that defines it. The timed loops every ring runs are in loops.h.
 */
#ifndef MCRBENCH_BENCH_H
#define MCRBENCH_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if !defined(__x86_64__)
#error "mcrbench times with rdtsc: x86-64 only"
#endif

#include "mcrring.h"
#include "tsc.h"

#define MAXW		8		/* writers per run */
#define MAXROUNDS	32
#define RING_NDESC	16384		/* kmod defaults: ring_ndesc */
#define RING_DATA	(2048u * 1024)	/* ... and ring_data_kb */
#define BENCH_PRI	MCR_PRI(1, 6)
#define SEQ_BITS	48
#define SEQ_MASK	((1ULL << SEQ_BITS) - 1)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A refused write, retried: every ring alike, pause REFUSED_SPINS times,
 * then yield the CPU on every further refusal, so that a writer sharing
 * its core with the consumer or another writer lets it run.
 */
#define REFUSED_SPINS	64

/* The command line (mcrbench.c). */
struct bench_cfg {
	int wcpu, ccpu;
	int min_rounds;		/* a cell resting on fewer prints no number */
	int rounds;
	bool smoke;
	int timeout_s;
	double backoff_ns;
};

extern struct bench_cfg cfg;

/* --- time (clock.c) ----------------------------------------------- */

extern double tsc_ghz;			/* TSC ticks per ns */
extern uint64_t tsc_origin;

/*
 * Every ring's records carry the same timestamp: CLOCK_MONOTONIC from the
 * TSC map libmcrring keeps (proto/mcrring/clock.h). mcrring's writers read
 * their own ring's map; the peers read clock_set's, through an MPSC
 * writer of that set and the same inline function, so the comparison is
 * of rings, not of clocks.
 */
extern struct mcr_set *clock_set;
extern struct mcr_writer peer_clock;

static ALWAYS_INLINE uint64_t peer_now(void)
{
	return mcr_writer_now(&peer_clock);
}

static inline double cyc2ns(double c)
{
	return c / tsc_ghz;
}

void calibrate_tsc(unsigned int ms);
int clock_calibrate(struct mcr_set *set, unsigned int ring);
int clock_calibrate_spsc0(struct mcr_set *set);
int clock_start(void);
int peer_clock_gettime(bool gettime);
uint64_t thread_cpu_ns(void);
long thread_nivcsw(void);

/* --- statistics (hist.c) ------------------------------------------ */

/* Log-linear, 64 sub-buckets per power of two (< 1.6 %). */
#define H_SUB_BITS	6
#define H_SUB		(1u << H_SUB_BITS)
#define H_BUCKETS	((64 - H_SUB_BITS + 1) * H_SUB)

struct hist {
	uint64_t n;
	uint64_t max;
	uint64_t b[H_BUCKETS];
};

uint64_t hist_lo(unsigned int i, uint64_t *width);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *d, const struct hist *s);
double hist_q(const struct hist *h, double q);
int cmp_dbl(const void *a, const void *b);
double median(double *v, int n);

/* --- payload and the peers' element -------------------------------- */

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
	}

DEFINE_ELEM(16);
DEFINE_ELEM(128);
DEFINE_ELEM(1024);
DEFINE_ELEM(4096);

#define ELEM_MAX	(sizeof(struct elem_hdr) + MCR_TEXT_MAX)
#define PEER_ESIZE(size)	((uint32_t)sizeof(struct elem_hdr) + (size))

/* --- the rings: mcr.c, ck.c, dpdk.c, seed.c; the table in scenario.c */

enum ring_kind { R_MCR, R_CK, R_DPDK, R_RTS, R_HTS, R_DPTR, R_SEED, NR_KINDS };

struct scenario;
struct run;
struct wctx;
struct cctx;
struct run_result;

/* What a ring does for the benchmark; NULL hooks do nothing. */
struct ring_ops {
	const char *name;	/* in the tables, the JSON and the plots */
	const char *title;	/* in prose */
	/* Bytes of memory a ring with @cap slots takes at @size. */
	uint64_t (*bytes)(uint32_t cap, uint32_t size);
	/* Its slots at @size; NULL: what fits mcrring's bytes. */
	uint32_t (*capacity)(uint32_t size);
	uint32_t spare;		/* slots it keeps empty */
	/* Why it cannot carry @size-byte messages so; NULL: it can. */
	const char *(*cannot)(bool mpsc, uint32_t size);
	int (*setup)(struct run *run);
	int (*writer_init)(struct wctx *w);	/* on the writer's thread */
	void (*consumer_init)(struct cctx *c);
	/* What the ring itself counted: drops, abandoned, stranded. */
	void (*tally)(const struct run *run, struct run_result *res);
	/* loops.h, instantiated by RING_LOOPS() */
	void *(*writer)(void *w);
	void *(*consumer)(void *c);
	double (*solo)(struct run *run, struct wctx *w, struct cctx *c,
		       unsigned int batches, double *v, struct mcr_set *keep);
};

extern const struct ring_ops ring_mcr, ring_ck, ring_dpdk, ring_dpdk_rts,
	ring_dpdk_hts, ring_dpdk_ptr, ring_seed;
extern const struct ring_ops *const rings[NR_KINDS];

/* --- scenarios (scenario.c) ---------------------------------------- */

/*
 * FLAT: writers run flat out and retry a refused write (lossless);
 *       records/s = records consumed / (first write .. last consumed).
 * FLAT_DROP: flat out, a refused write is dropped (the seed's own
 *       benchmarks); rate = write calls / writer time, as the seed's ops/s.
 * PACED: writers offer `rate` records/s on a fixed schedule, a refused
 *       write is dropped (a log call never blocks).
 */
enum mode { M_FLAT, M_FLAT_DROP, M_PACED };
extern const char *const mode_name[];

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
	/*
	 * Nonzero: the consumer's pause on finding the ring empty, µs, in
	 * place of --drain-pause-us: how closely it follows the writer.
	 */
	double pause_us;
};

#define NR_SCEN		26
extern const struct scenario scenarios[];

uint64_t ring_bytes(int kind, uint32_t cap, uint32_t size);
uint32_t ring_capacity(int kind, uint32_t size);
uint32_t ring_records(int kind, uint32_t size);
bool kind_supports(int kind, const struct scenario *sc, const char **why);
const struct scenario *scenario_by_id(const char *id);
bool selected(const char *only, const char *id);
bool oversubscribed(const struct scenario *sc);
bool spread_bursts(const struct scenario *sc);
int writer_cpu(const struct scenario *sc, unsigned int i);
uint64_t burst_records(const struct scenario *sc);

/* --- one run (run.c) ----------------------------------------------- */

/*
 * Every ring's memory is the kind mcrring's is: a memfd mapped shared
 * (shmem: small pages unless shmem THP is enabled, where anonymous heap
 * memory could get huge pages), and prefaulted.
 */
struct shm {
	void *p;
	size_t n;
};

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
	const struct ring_ops *ops;
	bool mpsc;
	unsigned int nw;
	uint32_t size, cap, esize;
	int mode;
	uint64_t n;		/* writes per writer */
	uint64_t period;	/* TSC ticks between one writer's writes */
	unsigned int stride;
	bool yield;		/* writer and consumer share a CPU */
	bool gettime;		/* no TSC map: writers call clock_gettime */
	uint64_t burst;		/* SPREAD without a CPU to spare: records per
				 * writer per burst; 0: the consumer drains
				 * concurrently
				 */
	uint64_t burst_ticks;	/* the bursts' time, first write to last */
	pthread_barrier_t bar;	/* writers and consumer, between bursts */
	uint64_t deadline;	/* TSC ticks a run may take */
	uint64_t backoff;	/* consumer: ticks to wait when empty */
	struct mcr_set *keep;	/* whose clock the consumer keeps */
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
				 * INFINITY when the watchdog stopped it
				 */
	double done_frac;	/* of the records, consumed */
	double stall_ns;	/* the longest write call of any writer */
	int round;
	bool disturbed;
	struct hist *lat, *e2e;	/* this run's samples */
};

void *shm_alloc(struct shm *m, size_t n);
void *zalloc_aligned(size_t n);
int pin_to(int cpu);
void pingpong_writer(struct run *run);
void pingpong_consumer(struct run *run);
void burst_start(struct run *run, struct wctx *w, uint64_t b);
void watchdog(struct run *run, uint64_t t0);
int ring_setup(struct run *run);
void ring_teardown(struct run *run);
int run_once(const struct scenario *sc, int kind, struct run_result *res,
	     struct hist *lat, struct hist *e2e);

extern double rtt_best_ns;	/* best cross-core round trip at start-up */
void measure_rtt(void);

/* --- the machine (machine.c) --------------------------------------- */

struct machine {
	int ncpu_online, ncpu_allowed;
	int cpus[256];
	char model[128], kernel[160], clocksource[32], tsc_flags[96];
	double load_start, load_end;
	double timer_p50_ns, timer_min_ns, rdtsc_ns, clock_ns, getcpu_ns;
	double map_ns, rseq_ns;	/* the write path's clock and CPU */
	double tsc_step_ns;	/* the counter's granularity */
	char date[40];
	const char *rev;
};

extern struct machine mach;
double loadavg1(void);
uint64_t steal_ticks(void);
void machine_info(void);
void timer_cost(unsigned int n);

/* --- the write path alone (hotpath.c) ------------------------------ */

#define SOLO_BATCH	1024
#define SOLO_SIZES	3
extern const uint32_t solo_size[SOLO_SIZES];
/* ns per write, [size][0: TSC map, 1: clock_gettime][ring kind] */
extern double solo_ns[SOLO_SIZES][2][NR_KINDS];
extern double solo_muted_ns;	/* ns per mcr_log() the levels mute */
void measure_solo(void);

/* --- memory density (density.c) ------------------------------------ */

struct density {
	const char *layout;
	double bytes_per_rec;
	double per_mib;
	char how[120];
};

extern struct density densities[];
extern int ndensities;
void measure_density(void);

/* --- results: cells, placements, ratios (results.c) ---------------- */

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

extern struct cell cells[NR_SCEN][NR_KINDS];
extern double rtt_split_ns;	/* near: round trip at most this */
extern bool primary_far;
extern int nplace[2], nplace_clean[2];

/* How two rings compare in a scenario. */
enum { RT_RATE, RT_P50, RT_COMPLETE };
extern const char *const ratio_what[];

struct rratio {
	int n;		/* rounds where both ran undisturbed, that placement */
	double med, lo, hi;
	bool lower;	/* a peer's round was stopped: a lower bound */
};

int placement(const struct run_result *r);
void summarise_all(int *ncells, int *nna);
double lat_ns(const struct hist *h, double q);
bool cell_sound(const struct cell *ce);
bool cell_clean(const struct cell *ce);
void check_text(const struct cell *ce, char *buf, size_t n);
int ratio_kind(const struct scenario *sc);
struct rratio round_ratio(const struct cell *m, const struct cell *p,
			  int how, bool far);
int rounds_of(const struct cell *ce);
double drop_pct(const struct cell *c);

/* --- how a figure is written (fmt.c) ------------------------------- */

void fmt_rate(double r, char *buf, size_t n);
void fmt_ns(double ns, char *buf, size_t n);
void fmt_dur(double ns, char *buf, size_t n);
void fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t n);
void fmt_secs(double sec, char *buf, size_t n);
void fmt_ratio(const struct rratio *q, char *buf, size_t n);

/* --- targets (targets.c, from targets.txt) ------------------------- */

struct target {
	char *what;		/* as the report names it */
	char *goal;		/* ... and shows its goal */
	const struct scenario *sc;
	const struct cell *cell;	/* mcrring's */
	const struct cell *peer;	/* vs-RING: RING's */
	int measure;
	bool below;		/* met below limit, else at least limit */
	double limit;
	char got[96];
	int met;		/* 1, 0, or -1: not measured */
};

extern struct target *targets;
extern int ntargets;
int load_targets(const char *path);
void eval_targets(void);

/* --- the report: markdown (report.c), JSON (json.c), plots (plot.c) */

int write_outputs(const char *dir, bool print);
void write_json(FILE *f);
void json_num(FILE *f, const char *key, double v, bool comma);
void json_ratio(FILE *f, const char *key, const struct rratio *q,
		bool comma);
int write_plot_data(const char *dir);

/* --- log calls: rounds, tables, TAP line (lcrounds.c) -------------- */

void logcall_rounds(const char *out, bool quiet);
void write_logcalls(FILE *f);
void json_logcalls(FILE *f);
void lc_smoke_tap(void);

/* --- the smoke's verdict (smoke.c) --------------------------------- */

int smoke_report(const char *only, int ncells, int nna);

#endif /* MCRBENCH_BENCH_H */
