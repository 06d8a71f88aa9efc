// SPDX-License-Identifier: GPL-2.0
/*
 * Exact accounting under concurrency: writer threads hammer one ring while
 * one consumer thread drains it with mcr_read(), and every record is
 * checked on the way out.
 *
 * Every record is self-checking. Its text is a function of (writer id,
 * per-writer counter) alone: the first 8 bytes hold the counter, the writer
 * id and a 16-bit check of both; every further byte comes from a sequence
 * seeded by the pair; the length and the priority are derived from the
 * pair too. So a torn, shifted, truncated, duplicated or misdelivered
 * record cannot pass.
 *
 * For each run the test proves:
 *   - written = drained + dropped_full + abandoned + invalid + discarded,
 *     where written counts every reservation the writers attempted,
 *     dropped_full matches the -ENOBUFS returns the writers saw (and their
 *     handles' own counts), and discarded matches the reservations they
 *     gave back on purpose;
 *   - the reserved sequences the ring's head reports are exactly the ones
 *     the consumer accounted for;
 *   - every counter a writer committed was delivered exactly once, every
 *     counter it lost to a full ring never was; per writer, counters and
 *     timestamps only go up; per ring, sequences only go up.
 *
 * Plain memory published through the ring: between reserve and commit a
 * writer stores its record's key in an ordinary (non-atomic) array slot
 * indexed by the record's sequence, and the consumer reads that slot back
 * after mcr_read() delivered the record. Only the ring's own barrier pairs
 * order these accesses: publication by [M1]/[M2], reuse of a slot
 * 2 * ndesc sequences later by [M4]/[M5] (and [M6]/[M7] across MPSC
 * writers). So ThreadSanitizer reports a race here if any pair is missing,
 * even where the compiler has inlined the library's text copy out of
 * TSan's sight (GCC expands a bounded memcpy inline, uninstrumented).
 *
 * mpsc_reuse_on_another_writers_view_of_tail steers two MPSC writers so
 * that one reuses memory on the other's refreshed view of tail alone: the
 * one place [M6]/[M7] matter, which free-running stress rarely reaches.
 *
 * Small rings (1024 descriptors, 64 KiB of text) lap thousands of times,
 * and the consumer stalls now and then until a writer has hit a full ring,
 * so drops provably happen; a dropped record is gone and its writer moves
 * on. Large rings (65536 descriptors, 16 MiB) run with writers that retry
 * on -ENOBUFS, so not one record may be lost; their "dropped" counts the
 * retried reservations (a writer faster than its consumer fills any ring).
 *
 * Record counts, at scale 1: 10,000,000 through the large SPSC ring,
 * 4,000,000 through the small one, 2,000,000 per MPSC run (all its
 * writers together; contended CAS on a 2-core machine is slower). The
 * scale is 1/20 under ASan or TSan; the environment variable
 * MCR_STRESS_SCALE (a positive real number) replaces it, e.g.
 * MCR_STRESS_SCALE=0.01 for a quick run.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"
#include "mcr_host.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define STRESS_SCALE_DEFAULT	0.05
#else
#define STRESS_SCALE_DEFAULT	1.0
#endif

#define MAX_WRITERS	4

#define DISCARD_EVERY	997	/* one counter in this many goes through discard */

/* --- the run ------------------------------------------------------------ */

struct run;

struct writer_state {
	struct run *run;
	pthread_t thread;
	__u32 id;
	pid_t tid;		/* published before the first record */
	__u64 records;		/* counters 0 .. records - 1 */
	/* Counted by the writer; enobufs is read live by the consumer. */
	__u64 attempts;		/* mcr_reserve() calls */
	__u64 commits;
	__u64 enobufs;		/* -ENOBUFS returns */
	__u64 discards;		/* reservations given back on purpose */
	__u64 handle_dropped;	/* the handle's own count */
	unsigned char *dropped_bm;	/* counters lost to a full ring */
	char err[160];
};

struct reader_view {
	__s64 last_n;
	__u64 last_ts;
	unsigned char *delivered_bm;
};

struct run {
	struct mcr_set *set;
	struct mcr_reader *rd;
	int kind;
	unsigned int nwriters;
	bool lossless;		/* writers retry on -ENOBUFS */
	__u64 stall_every;	/* consumer stalls until a drop; 0: never */
	__u64 next_stall;
	__u64 *probe;		/* plain memory handed over by the ring */
	__u64 probe_mask;
	int finished;		/* writers done, atomic */
	int stop;		/* stop early: something failed, atomic */
	struct writer_state w[MAX_WRITERS];
	/* The consumer's. */
	pthread_t consumer;
	struct reader_view view[MAX_WRITERS];
	__u64 delivered;
	__u64 bytes;		/* text delivered, aligned as stored */
	__u64 per_ring[2];
	struct ring_order order;	/* per ring, sequences go up */
	__u64 stalls;		/* stalls that saw a drop */
	__u64 errors;
	char err[240];
};

static bool stopped(struct run *run)
{
	return __atomic_load_n(&run->stop, __ATOMIC_RELAXED);
}

static void writer_fail(struct writer_state *ws, const char *what, int ret)
{
	snprintf(ws->err, sizeof(ws->err), "writer %u: %s returned %d",
		 ws->id, what, ret);
	__atomic_store_n(&ws->run->stop, 1, __ATOMIC_RELAXED);
}

static void count_enobufs(struct writer_state *ws, __u64 n)
{
	__atomic_fetch_add(&ws->enobufs, 1, __ATOMIC_RELAXED);
	if (!ws->run->lossless)
		bm_set(ws->dropped_bm, n);
}

/*
 * One counter. Usually reserve, fill, commit. One in DISCARD_EVERY
 * reserves twice, discards the older reservation (which then cannot be
 * undone and must reach the consumer as DISCARDED) and commits the newer.
 * Returns 1 when the counter is done (committed or dropped), 0 to retry.
 */
static int write_one(struct writer_state *ws, struct mcr_writer *w, __u32 n)
{
	__u32 len = len_of(ws->id, n);
	struct mcr_resv a, b;
	int ret;

	ws->attempts++;
	ret = mcr_reserve(w, len, &a);
	if (ret == -ENOBUFS) {
		count_enobufs(ws, n);
		return !ws->run->lossless;
	}
	if (ret) {
		writer_fail(ws, "mcr_reserve", ret);
		return 1;
	}
	if (n % DISCARD_EVERY == DISCARD_EVERY - 1) {
		ws->attempts++;
		ret = mcr_reserve(w, len, &b);
		if (ret == 0) {
			mcr_discard(w, &a);
			ws->discards++;
			a = b;
		} else if (ret == -ENOBUFS) {
			/* Counted as a drop, but counter n still goes in a. */
			__atomic_fetch_add(&ws->enobufs, 1, __ATOMIC_RELAXED);
		} else {
			writer_fail(ws, "second mcr_reserve", ret);
			return 1;
		}
	}
	payload_fill(a.text, ws->id, n, len);
	ws->run->probe[a.seq & ws->run->probe_mask] = key_of(ws->id, n);
	ret = mcr_commit(w, &a, len, pri_of(ws->id, n), 0);
	if (ret) {
		writer_fail(ws, "mcr_commit", ret);
		return 1;
	}
	ws->commits++;
	return 1;
}

static void *writer_main(void *arg)
{
	struct writer_state *ws = arg;
	struct run *run = ws->run;
	struct mcr_writer w;
	int ret;

	if (run->kind == MCR_WRITER_SPSC)
		ret = mcr_writer_spsc(run->set, 0, &w);
	else
		ret = mcr_writer_mpsc(run->set, &w);
	if (ret) {
		writer_fail(ws, "mcr_writer_*", ret);
		goto out;
	}
	__atomic_store_n(&ws->tid, mcr_gettid(), __ATOMIC_RELEASE);
	for (__u64 n = 0; n < ws->records && !stopped(run);) {
		__u64 before = __atomic_load_n(&ws->enobufs, __ATOMIC_RELAXED);

		if (write_one(ws, &w, (__u32)n))
			n++;
		/*
		 * Full ring: lossless writers wait for room and retry the
		 * counter; the others have dropped it and back off a little,
		 * as a real producer would, so that most records still
		 * get through while the ring runs full.
		 */
		if (__atomic_load_n(&ws->enobufs, __ATOMIC_RELAXED) != before)
			sched_yield();
	}
	ws->handle_dropped = w.dropped;
out:
	__atomic_fetch_add(&run->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void consumer_fail(struct run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void consumer_fail(struct run *run, const char *fmt, ...)
{
	va_list ap;

	if (!run->errors++) {
		va_start(ap, fmt);
		vsnprintf(run->err, sizeof(run->err), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
}

static void check_record(struct run *run, const struct mcr_record *rec,
			 const char *text)
{
	struct reader_view *v;
	char why[160];
	__u32 w, n;
	unsigned int ring = rec->ring;

	if (ring_order_next(&run->order, rec, why, sizeof(why))) {
		consumer_fail(run, "%s", why);
		return;
	}
	run->per_ring[ring]++;
	if (payload_check(text, rec->len, &w, &n, why, sizeof(why))) {
		consumer_fail(run, "seq %llu: %s",
			      (unsigned long long)rec->seq, why);
		return;
	}
	if (w >= run->nwriters || n >= run->w[w].records) {
		consumer_fail(run, "seq %llu: writer %u counter %u out of range",
			      (unsigned long long)rec->seq, w, n);
		return;
	}
	v = &run->view[w];
	if (rec->pri != pri_of(w, n) || rec->flags != 0 ||
	    rec->tid != (__u32)__atomic_load_n(&run->w[w].tid,
					       __ATOMIC_ACQUIRE) ||
	    rec->pid != (__u32)getpid()) {
		consumer_fail(run, "writer %u counter %u: wrong metadata pri %u flags %u tid %u pid %u",
			      w, n, rec->pri, rec->flags, rec->tid, rec->pid);
		return;
	}
	if ((__s64)n <= v->last_n) {
		consumer_fail(run, "writer %u: counter %u after %lld%s", w, n,
			      (long long)v->last_n,
			      (__s64)n == v->last_n ? " (duplicate)" : "");
		return;
	}
	if (rec->ts_ns < v->last_ts) {
		consumer_fail(run, "writer %u counter %u: timestamp went back",
			      w, n);
		return;
	}
	if ((run->kind == MCR_WRITER_SPSC) != (ring == 1)) {
		consumer_fail(run, "writer %u counter %u: on ring %u", w, n,
			      ring);
		return;
	}
	/* Plain memory the writer stored before committing (see top). */
	if (run->probe[rec->seq & run->probe_mask] != key_of(w, n)) {
		consumer_fail(run, "writer %u counter %u: probe slot holds %llx",
			      w, n, (unsigned long long)
			      run->probe[rec->seq & run->probe_mask]);
		return;
	}
	v->last_n = n;
	v->last_ts = rec->ts_ns;
	bm_set(v->delivered_bm, n);
	run->delivered++;
	run->bytes += MCR_ALIGN_UP(rec->len);
}

static __u64 enobufs_total(struct run *run)
{
	__u64 sum = 0;

	for (unsigned int i = 0; i < run->nwriters; i++)
		sum += __atomic_load_n(&run->w[i].enobufs, __ATOMIC_RELAXED);
	return sum;
}

static bool all_finished(struct run *run)
{
	return __atomic_load_n(&run->finished, __ATOMIC_ACQUIRE) ==
	       (int)run->nwriters;
}

/*
 * Stop draining until some writer has found the ring full: the writers
 * keep going, so this must happen, unless they all finish first. The
 * deadline only catches a hang.
 */
static void stall_for_drop(struct run *run)
{
	__u64 before = enobufs_total(run);
	__u64 deadline = mcr_now_ns() + 20ULL * 1000000000ULL;

	while (enobufs_total(run) == before) {
		if (all_finished(run) || stopped(run))
			return;
		if (mcr_now_ns() > deadline) {
			consumer_fail(run, "stalled consumer: no writer saw a full ring in 20 s");
			return;
		}
		sched_yield();
	}
	run->stalls++;
}

static void *consumer_main(void *arg)
{
	struct run *run = arg;
	static __thread char text[MCR_TEXT_MAX];
	struct mcr_record rec;
	bool fin = false;

	for (;;) {
		if (mcr_read(run->rd, &rec, text) == 1) {
			check_record(run, &rec, text);
			if (run->stall_every &&
			    run->delivered >= run->next_stall) {
				run->next_stall += run->stall_every;
				stall_for_drop(run);
			}
			continue;
		}
		/* Writers all done before this empty read: nothing is left. */
		if (fin)
			break;
		if (all_finished(run))
			fin = true;
		else
			sched_yield();
	}
	return NULL;
}

static double stress_scale(void)
{
	const char *s = getenv("MCR_STRESS_SCALE");
	double f;

	if (s && *s) {
		f = strtod(s, NULL);
		if (f > 0)
			return f;
	}
	return STRESS_SCALE_DEFAULT;
}

/* --- the fixture -------------------------------------------------------- */

FIXTURE(stress) {
	struct run run;
};

FIXTURE_VARIANT(stress) {
	const char *label;
	int kind;
	unsigned int nwriters;
	__u32 ndesc;
	__u32 data_size;
	bool lossless;
	__u64 records;		/* all writers together, at scale 1 */
};

/* Small rings: drop on full; the consumer stalls so drops happen. */
FIXTURE_VARIANT_ADD(stress, spsc_small) {
	.label = "spsc small", .kind = MCR_WRITER_SPSC, .nwriters = 1,
	.ndesc = 1024, .data_size = 65536, .records = 4000000,
};

/* Large rings: writers retry on -ENOBUFS, so nothing may be lost. */
FIXTURE_VARIANT_ADD(stress, spsc_large) {
	.label = "spsc large", .kind = MCR_WRITER_SPSC, .nwriters = 1,
	.ndesc = 65536, .data_size = 16 << 20, .lossless = true,
	.records = 10000000,
};

FIXTURE_VARIANT_ADD(stress, mpsc2_small) {
	.label = "mpsc2 small", .kind = MCR_WRITER_MPSC, .nwriters = 2,
	.ndesc = 1024, .data_size = 65536, .records = 2000000,
};

FIXTURE_VARIANT_ADD(stress, mpsc2_large) {
	.label = "mpsc2 large", .kind = MCR_WRITER_MPSC, .nwriters = 2,
	.ndesc = 65536, .data_size = 16 << 20, .lossless = true,
	.records = 2000000,
};

FIXTURE_VARIANT_ADD(stress, mpsc4_small) {
	.label = "mpsc4 small", .kind = MCR_WRITER_MPSC, .nwriters = 4,
	.ndesc = 1024, .data_size = 65536, .records = 2000000,
};

FIXTURE_VARIANT_ADD(stress, mpsc4_large) {
	.label = "mpsc4 large", .kind = MCR_WRITER_MPSC, .nwriters = 4,
	.ndesc = 65536, .data_size = 16 << 20, .lossless = true,
	.records = 2000000,
};

FIXTURE_SETUP(stress)
{
	struct run *run = &self->run;
	__u64 per = (__u64)(variant->records * stress_scale() /
			    variant->nwriters);

	if (per < 1)
		per = 1;
	if (per > 0xffffffffULL)
		per = 0xffffffffULL;
	ASSERT_LE(variant->nwriters, MAX_WRITERS);
	ASSERT_EQ(0, mcr_shm_create(2, variant->ndesc, variant->data_size,
				    &run->set));
	ASSERT_EQ(0, mcr_reader_open(run->set, &run->rd));
	/*
	 * Abandonment has its own tests (abandon_test.c). Here a writer
	 * preempted between reserve and commit must be waited for, so that
	 * every committed record can be required to arrive.
	 */
	mcr_reader_set_bounds(run->rd, (__u64)-1, MCR_RECLAIM_NS_DEFAULT);
	/* Reused only 2 * ndesc sequences later: the ring orders that. */
	run->probe_mask = 2ULL * variant->ndesc - 1;
	run->probe = calloc(run->probe_mask + 1, sizeof(*run->probe));
	ASSERT_NE(NULL, run->probe);
	run->kind = variant->kind;
	run->nwriters = variant->nwriters;
	run->lossless = variant->lossless;
	/* A few stalls per run, each long enough to fill a small ring. */
	if (!variant->lossless)
		run->stall_every = per * variant->nwriters / 5 > 0 ?
				   per * variant->nwriters / 5 : 1;
	/*
	 * The first stall comes at the first record: the ring then holds at
	 * most ndesc records and the writers have more left, so they must
	 * find it full before they can finish.
	 */
	run->next_stall = 1;
	for (unsigned int i = 0; i < run->nwriters; i++) {
		struct writer_state *ws = &run->w[i];

		ws->run = run;
		ws->id = i;
		ws->records = per;
		ws->dropped_bm = calloc(per / 8 + 1, 1);
		run->view[i].last_n = -1;
		run->view[i].delivered_bm = calloc(per / 8 + 1, 1);
		ASSERT_NE(NULL, ws->dropped_bm);
		ASSERT_NE(NULL, run->view[i].delivered_bm);
	}
}

FIXTURE_TEARDOWN(stress)
{
	struct run *run = &self->run;

	for (unsigned int i = 0; i < MAX_WRITERS; i++) {
		free(run->w[i].dropped_bm);
		free(run->view[i].delivered_bm);
	}
	free(run->probe);
	if (run->rd)
		mcr_reader_close(run->rd);
	if (run->set)
		mcr_set_close(run->set);
}

TEST_F_TIMEOUT(stress, exact_accounting, 300)
{
	struct run *run = &self->run;
	unsigned int ring = run->kind == MCR_WRITER_SPSC ? 1 : 0;
	const struct mcr_ring *r = mcr_set_ring(run->set, ring);
	__u64 attempts = 0, commits = 0, enobufs = 0, discards = 0;
	__u64 handle_dropped = 0, lost = 0, both = 0, head;
	struct mcr_ring_stats st, other;
	__u64 t0, t1;

	t0 = mcr_now_ns();
	ASSERT_EQ(0, pthread_create(&run->consumer, NULL, consumer_main, run));
	for (unsigned int i = 0; i < run->nwriters; i++)
		ASSERT_EQ(0, pthread_create(&run->w[i].thread, NULL,
					    writer_main, &run->w[i]));
	for (unsigned int i = 0; i < run->nwriters; i++)
		ASSERT_EQ(0, pthread_join(run->w[i].thread, NULL));
	ASSERT_EQ(0, pthread_join(run->consumer, NULL));
	t1 = mcr_now_ns();

	for (unsigned int i = 0; i < run->nwriters; i++) {
		struct writer_state *ws = &run->w[i];

		EXPECT_EQ('\0', ws->err[0]) TH_LOG("%s", ws->err);
		attempts += ws->attempts;
		commits += ws->commits;
		enobufs += ws->enobufs;
		discards += ws->discards;
		handle_dropped += ws->handle_dropped;
	}
	ASSERT_EQ(0, run->errors) TH_LOG("%llu errors, first: %s",
					 (unsigned long long)run->errors,
					 run->err);

	ASSERT_EQ(0, mcr_reader_stats(run->rd, ring, &st));
	head = READ_ONCE(r->prod->head);
	ksft_print_msg("%s: %u writer(s), %u desc, %u KiB: written %llu, drained %llu, dropped %llu, discarded %llu, abandoned %llu, invalid %llu; %llu stalls; %.1f laps; %.2f s\n",
		       variant->label, run->nwriters, variant->ndesc,
		       variant->data_size / 1024,
		       (unsigned long long)attempts,
		       (unsigned long long)st.drained,
		       (unsigned long long)st.dropped_full,
		       (unsigned long long)st.discarded,
		       (unsigned long long)st.abandoned,
		       (unsigned long long)st.invalid,
		       (unsigned long long)run->stalls,
		       (double)run->bytes / variant->data_size,
		       (t1 - t0) / 1e9);
	fflush(stdout);

	/* Invariant 2: every reservation attempt is accounted for. */
	EXPECT_EQ(attempts, st.drained + st.dropped_full + st.abandoned +
			    st.invalid + discards);
	EXPECT_EQ(attempts, commits + enobufs + discards);
	EXPECT_EQ(commits, st.drained);
	EXPECT_EQ(commits, run->delivered);
	EXPECT_EQ(run->delivered, run->per_ring[ring]);
	EXPECT_EQ(enobufs, st.dropped_full);
	EXPECT_EQ(enobufs, handle_dropped);
	/* Discards were never of the newest reservation: all marked. */
	EXPECT_EQ(discards, st.discarded);
	EXPECT_EQ(0, st.abandoned);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(0, st.reclaimed);
	/* The sequences the writers reserved are the ones accounted for. */
	EXPECT_EQ(mcr_packed_seq(head),
		  (__u32)(st.drained + st.abandoned + st.invalid +
			  st.discarded));
	/* The other ring saw nothing. */
	ASSERT_EQ(0, mcr_reader_stats(run->rd, 1 - ring, &other));
	EXPECT_EQ(0, other.drained + other.dropped_full);
	EXPECT_EQ(0, run->per_ring[1 - ring]);

	/* Per counter: delivered exactly when not dropped. */
	for (unsigned int i = 0; i < run->nwriters; i++) {
		struct writer_state *ws = &run->w[i];

		for (__u64 n = 0; n < ws->records; n++) {
			bool d = bm_test(run->view[i].delivered_bm, n);
			bool x = bm_test(ws->dropped_bm, n);

			lost += !d && !x;
			both += d && x;
		}
	}
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, both);
	if (run->lossless) {
		EXPECT_EQ(run->w[0].records * run->nwriters, run->delivered);
	} else if (run->w[0].records * run->nwriters >= 16 * variant->ndesc) {
		/* The stalls filled the ring: drops really happened. */
		EXPECT_LT(0, run->stalls);
		EXPECT_LT(0, st.dropped_full);
	}
	/* The text ring really lapped. */
	if (run->w[0].records * run->nwriters >= 16 * variant->ndesc)
		EXPECT_LT(2ULL * variant->data_size, run->bytes);
}

/*
 * [M5]-[M7] made visible: an MPSC writer that reuses memory on another
 * writer's view of tail. Writer B refreshes prod->cached_tail from the
 * consumer's tail ([M5], then [M6]); writer A then reserves on that
 * cached view alone ([M7]), never having read the consumer's page itself,
 * and stores into a probe slot the consumer read two laps earlier. Only
 * the chain consumer -[M4/M5]-> B -[M6/M7]-> A orders A's store after that
 * read; with any link missing ThreadSanitizer reports the race. The
 * threads are steered through relaxed atomics only, so that the test
 * itself adds no ordering TSan could see.
 */
#define STEP_NDESC	64

struct step_writer {
	struct mcr_set *set;
	pthread_t thread;
	__u32 id;
	__u64 *probe;		/* 2 * STEP_NDESC slots */
	int want;		/* atomic, relaxed: records to have written */
	int done;		/* atomic, relaxed: records written */
	int err;		/* atomic, relaxed */
	__u32 last_seq;		/* atomic, relaxed */
};

static void *step_main(void *arg)
{
	struct step_writer *sw = arg;
	__u64 deadline = mcr_now_ns() + 20ULL * 1000000000ULL;
	struct mcr_writer w;
	int n = 0;

	mcr_writer_mpsc(sw->set, &w);
	for (;;) {
		int want = __atomic_load_n(&sw->want, __ATOMIC_RELAXED);
		struct mcr_resv r;
		__u32 len;
		int ret;

		if (want < 0 || mcr_now_ns() > deadline)
			return NULL;
		if (n >= want) {
			sched_yield();
			continue;
		}
		len = len_of(sw->id, (__u32)n);
		ret = mcr_reserve(&w, len, &r);
		if (!ret) {
			payload_fill(r.text, sw->id, (__u32)n, len);
			sw->probe[r.seq & (2 * STEP_NDESC - 1)] =
				key_of(sw->id, (__u32)n);
			__atomic_store_n(&sw->last_seq, r.seq,
					 __ATOMIC_RELAXED);
			ret = mcr_commit(&w, &r, len, pri_of(sw->id, (__u32)n),
					 0);
		}
		if (ret) {
			__atomic_store_n(&sw->err, ret, __ATOMIC_RELAXED);
			return NULL;
		}
		__atomic_store_n(&sw->done, ++n, __ATOMIC_RELAXED);
	}
}

/* Have writer @sw write @n more records, and wait until it has. */
static bool step(struct step_writer *sw, int n)
{
	__u64 deadline = mcr_now_ns() + 10ULL * 1000000000ULL;
	int want = __atomic_load_n(&sw->want, __ATOMIC_RELAXED) + n;

	__atomic_store_n(&sw->want, want, __ATOMIC_RELAXED);
	while (__atomic_load_n(&sw->done, __ATOMIC_RELAXED) < want) {
		if (__atomic_load_n(&sw->err, __ATOMIC_RELAXED) ||
		    mcr_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* Read every record there is, checking it and its probe slot. */
static int step_drain(struct mcr_reader *rd, const __u64 *probe,
		      __u64 *count)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_record rec;
	char why[160];
	__u32 w, n;

	while (mcr_read(rd, &rec, text) == 1) {
		if (payload_check(text, rec.len, &w, &n, why, sizeof(why)) ||
		    rec.seq != *count ||
		    probe[rec.seq & (2 * STEP_NDESC - 1)] != key_of(w, n))
			return -1;
		(*count)++;
	}
	return 0;
}

TEST(mpsc_reuse_on_another_writers_view_of_tail)
{
	__u64 probe[2 * STEP_NDESC] = { 0 };
	struct step_writer a = { 0 }, b = { 0 };
	const struct mcr_ring *r;
	struct mcr_reader *rd;
	struct mcr_set *set;
	__u64 count = 0, cached;

	ASSERT_EQ(0, mcr_shm_create(1, STEP_NDESC, 1 << 20, &set));
	ASSERT_EQ(0, mcr_reader_open(set, &rd));
	r = mcr_set_ring(set, 0);
	a = (struct step_writer){ .set = set, .id = 0, .probe = probe };
	b = (struct step_writer){ .set = set, .id = 1, .probe = probe };
	ASSERT_EQ(0, pthread_create(&a.thread, NULL, step_main, &a));
	ASSERT_EQ(0, pthread_create(&b.thread, NULL, step_main, &b));

	/* A writes once (seq 0), then only B writes, for three laps. */
	EXPECT_TRUE(step(&a, 1));
	EXPECT_EQ(0, step_drain(rd, probe, &count));
	for (int lap = 0; lap < 3; lap++) {
		EXPECT_TRUE(step(&b, 48));	/* past half: B refreshes */
		EXPECT_EQ(0, step_drain(rd, probe, &count));
	}
	EXPECT_EQ(145, count);
	/* B's next reservation refreshes the shared view: tail is 145. */
	EXPECT_TRUE(step(&b, 1));
	cached = READ_ONCE(r->prod->cached_tail);
	EXPECT_EQ(145, mcr_packed_seq(cached));
	EXPECT_EQ(146, mcr_packed_seq(READ_ONCE(r->prod->head)));
	/*
	 * A's reservation (seq 146) sees the ring nearly empty on B's view
	 * and reads no tail itself; it stores into probe slot 18, which the
	 * consumer read at seq 18.
	 */
	EXPECT_TRUE(step(&a, 1));
	EXPECT_EQ(146, __atomic_load_n(&a.last_seq, __ATOMIC_RELAXED));
	EXPECT_EQ(0, step_drain(rd, probe, &count));
	EXPECT_EQ(147, count);

	__atomic_store_n(&a.want, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&b.want, -1, __ATOMIC_RELAXED);
	pthread_join(a.thread, NULL);
	pthread_join(b.thread, NULL);
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(0, b.err);
	mcr_reader_close(rd);
	mcr_set_close(set);
}

/*
 * An MPSC handle is usable by any thread (mcr_writer_mpsc(3)): threads
 * sharing one into a full ring, nobody draining, each count their
 * -ENOBUFS; the handle's own count must be their sum. A plain increment
 * loses some under contention, and TSan reports it.
 */
struct shared_writer {
	pthread_t thread;
	struct mcr_writer *w;
	unsigned int refused;
};

static void *shared_main(void *arg)
{
	struct shared_writer *sw = arg;

	for (int i = 0; i < 20000; i++)
		if (mcr_log(sw->w, MCR_PRI(1, 6), "shared", 6) == -ENOBUFS)
			sw->refused++;
	return NULL;
}

TEST(one_mpsc_handle_shared_by_threads_counts_every_drop)
{
	struct shared_writer sw[4] = { 0 };
	struct mcr_writer w;
	struct mcr_set *set;
	__u64 refused = 0;

	ASSERT_EQ(0, mcr_shm_create(1, 1024, 1 << 16, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	for (int i = 0; i < 4; i++) {
		sw[i].w = &w;
		ASSERT_EQ(0, pthread_create(&sw[i].thread, NULL, shared_main,
					    &sw[i]));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(sw[i].thread, NULL);
		refused += sw[i].refused;
	}
	ASSERT_LT(4 * 19000, refused);	/* the ring was full nearly all along */
	EXPECT_EQ(refused, w.dropped);
	/* and the ring's count, which writers of every process share */
	EXPECT_EQ(refused,
		  READ_ONCE(mcr_set_ring(set, 0)->prod->dropped_full));
	mcr_set_close(set);
}

TEST_HARNESS_MAIN
