// SPDX-License-Identifier: GPL-2.0
/*
 * MPSC writers that die, or stall, between reserve and commit (invariant
 * 6: a writer killed at any instruction costs at most its own in-flight
 * record, counted as abandoned, and stalls nothing for longer than a
 * bounded time): a dead writer's record skipped within the abandon bound,
 * its pin holding the ring until the reclaim bound, and a late writer
 * counted once with nothing torn. Bounds and helpers: mcr_abandon.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"
#include "mcr_abandon.h"

/* The late writer's records all have its length, from before main(). */
static void __attribute__((constructor)) fix_late_len(void)
{
	payload_fix_len(LATE_ID, LATE_LEN);
}

FIXTURE(abandon) {
	struct ab ab;
	pthread_t late;
	bool late_started;
};

FIXTURE_SETUP(abandon)
{
	ab_init(&self->ab);
}

FIXTURE_TEARDOWN(abandon)
{
	/* Also after a failed ASSERT: no thread outlives the rings. */
	__atomic_store_n(&self->ab.stop, 1, __ATOMIC_RELAXED);
	if (self->late_started)
		pthread_join(self->late, NULL);
	ab_fini(&self->ab);
}

TEST_F_TIMEOUT(abandon, mpsc_dead_writer_skipped_within_bound, 60)
{
	const __u32 per = 20000;
	const struct mcr_ring *r;
	struct mcr_ring_stats st;
	struct dead d = { 0 };
	__u64 t_ab0, t_ab1, t_rec, missing, unexplained, deadline, base;
	pthread_t t;

	ASSERT_EQ(0, ab_open_rings(&self->ab, 1, 4096, 1 << 20, RECLAIM_NS));
	r = mcr_set_ring(self->ab.set, 0);
	/* Both writers stop half way until the third has died. */
	self->ab.gate_at = per / 2;
	ASSERT_EQ(0, ab_start_live(&self->ab, 0, per, 0));
	ASSERT_EQ(0, ab_start_live(&self->ab, 1, per, 0));
	deadline = mcr_now_ns() + DEADLINE_NS;
	while (live_commits(&self->ab.live[0]) < per / 2 ||
	       live_commits(&self->ab.live[1]) < per / 2) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain(self->ab.rd, &self->ab.seen);
		pause_us(50);
	}
	/* One more writer dies mid-record; the others then go on. */
	base = stats_of(self->ab.rd, 0).abandoned;
	d.set = self->ab.set;
	ASSERT_EQ(0, pthread_create(&t, NULL, dead_main, &d));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, d.ret);
	EXPECT_EQ(per, d.seq);
	__atomic_store_n(&self->ab.gate_open, 1, __ATOMIC_RELAXED);
	self->ab.seen.watch_seq = d.seq;	/* the ring's only MPSC lap so far */
	self->ab.seen.watch_on = true;

	/* Skipped once ABANDON_NS has passed, not before, and not much after. */
	t_ab0 = ab_wait_abandoned(&self->ab, 0, d.seq, base, &t_ab1);
	ASSERT_NE(0, t_ab0) TH_LOG("in-flight record never skipped");
	EXPECT_LE(d.t_reserve + ABANDON_NS, t_ab1);
	EXPECT_GE(d.t_reserve + ABANDON_NS + 2000 * MS, t_ab1);
	ksft_print_msg("dead writer's seq %u skipped %.1f ms after its reserve (bound %llu ms)\n",
		       d.seq, (t_ab1 - d.t_reserve) / 1e6,
		       (unsigned long long)(ABANDON_NS / MS));
	fflush(stdout);

	ASSERT_TRUE(ab_drain_until_live_done(&self->ab, r, 0, false));
	ASSERT_EQ(0, self->ab.seen.errors) TH_LOG("%s", self->ab.seen.err);
	EXPECT_EQ(0, self->ab.live[0].err);
	EXPECT_EQ(0, self->ab.live[1].err);

	/* The pin outlives the skip by RECLAIM_NS, then is freed. */
	t_rec = ab_wait_reclaimed(&self->ab, 0, 1);
	ASSERT_NE(0, t_rec) TH_LOG("pin never reclaimed");
	EXPECT_LE(t_ab0 + RECLAIM_NS, t_rec);

	missing = ab_live_missing(&self->ab, 2, &unexplained);
	/* Lost although its writer committed it promptly. */
	EXPECT_EQ(0, unexplained) TH_LOG("%llu of %llu missing records unexplained",
				       (unsigned long long)unexplained,
				       (unsigned long long)missing);
	st = stats_of(self->ab.rd, 0);
	EXPECT_EQ(1 + missing, st.abandoned);
	EXPECT_EQ(1, st.reclaimed);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(0, st.discarded);
	EXPECT_EQ(2 * per - missing, st.drained);
	EXPECT_EQ(2 * per - missing, self->ab.seen.total);
	/* The dead writer's sequence is the one that never came. */
	EXPECT_FALSE(self->ab.seen.watch_hit);
	EXPECT_EQ(2 * per + 1, mcr_packed_seq(READ_ONCE(r->prod->head)));
}

/*
 * The abandoned record pins its memory: a ring that fills behind it stays
 * full, drained or not, until RECLAIM_NS has passed, then works again.
 */
TEST_F_TIMEOUT(abandon, mpsc_pin_holds_ring_until_reclaim_bound, 60)
{
	const __u32 ndesc = 64;
	struct mcr_writer w;
	struct mcr_ring_stats st;
	struct dead d = { 0 };
	__u64 t_ab0, t_ab1, t_ok, deadline, base, enobufs = 0;
	__u32 n = 0, fit = 0;
	pthread_t t;
	int ret;

	ASSERT_EQ(0, ab_open_rings(&self->ab, 1, ndesc, 65536, RECLAIM_NS));
	ASSERT_EQ(0, mcr_writer_mpsc(self->ab.set, &w));
	base = stats_of(self->ab.rd, 0).abandoned;
	d.set = self->ab.set;
	ASSERT_EQ(0, pthread_create(&t, NULL, dead_main, &d));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, d.ret);

	/* Fill the ring behind the dead reservation: ndesc - 1 more fit. */
	while ((ret = write_rec(&w, 0, n)) == 0)
		n++;
	ASSERT_EQ(-ENOBUFS, ret);
	enobufs++;
	ASSERT_EQ(ndesc - 1, n);
	fit = n;

	t_ab0 = ab_wait_abandoned(&self->ab, 0, d.seq, base, &t_ab1);
	ASSERT_NE(0, t_ab0);
	EXPECT_LE(d.t_reserve + ABANDON_NS, t_ab1);
	EXPECT_EQ(fit, self->ab.seen.count[0]);

	/* Drained, yet still full: the pin holds the tail. */
	if (mcr_now_ns() - t_ab0 < RECLAIM_NS / 2) {
		EXPECT_EQ(-ENOBUFS, write_rec(&w, 0, n));
		enobufs++;
	}
	/* Until the reclaim bound passes. */
	deadline = mcr_now_ns() + DEADLINE_NS;
	for (;;) {
		drain(self->ab.rd, &self->ab.seen);
		ret = write_rec(&w, 0, n);
		if (ret == 0)
			break;
		ASSERT_EQ(-ENOBUFS, ret);
		enobufs++;
		ASSERT_LT(mcr_now_ns(), deadline) TH_LOG("ring stays full");
		pause_us(1000);
	}
	t_ok = mcr_now_ns();
	n++;
	EXPECT_LE(t_ab0 + RECLAIM_NS, t_ok);
	ksft_print_msg("ring full behind the pin for %.1f ms after the skip (reclaim bound %llu ms)\n",
		       (t_ok - t_ab1) / 1e6,
		       (unsigned long long)(RECLAIM_NS / MS));
	fflush(stdout);

	/* And keeps working: lap the ring a few times. */
	for (int i = 0; i < 20 * (int)ndesc; i++) {
		ASSERT_EQ(0, write_rec(&w, 0, n));
		n++;
		if (i % 8 == 7)
			drain(self->ab.rd, &self->ab.seen);
	}
	drain(self->ab.rd, &self->ab.seen);
	ASSERT_EQ(0, self->ab.seen.errors) TH_LOG("%s", self->ab.seen.err);
	st = stats_of(self->ab.rd, 0);
	EXPECT_EQ(n, self->ab.seen.count[0]);
	EXPECT_EQ(n, st.drained);
	EXPECT_EQ(1, st.abandoned);
	EXPECT_EQ(1, st.reclaimed);
	EXPECT_EQ(enobufs, st.dropped_full);
	EXPECT_EQ(0, st.invalid);
	EXPECT_TRUE(all_accounted(self->ab.rd, mcr_set_ring(self->ab.set, 0), 0));
}

/* --- MPSC: a late writer ------------------------------------------------ */

struct late {
	struct mcr_set *set;
	int *stop;
	int reserved;		/* atomic */
	int go;			/* atomic */
	int done;		/* atomic */
	__u32 seq;
	__u64 t_reserve;
	__u64 t_commit;
	__u64 enobufs;		/* atomic: full ring before it reserved */
	int ret;
};

static void *late_main(void *arg)
{
	struct late *l = arg;
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;
	struct mcr_writer w;
	struct mcr_resv r = { 0 };	/* gcc cannot tell the loop sets it */

	mcr_writer_mpsc(l->set, &w);
	/* The others may have filled the ring: wait for room. */
	do {
		l->t_reserve = mcr_now_ns();
		l->ret = mcr_reserve(&w, LATE_LEN, &r);
		if (l->ret == -ENOBUFS)
			__atomic_fetch_add(&l->enobufs, 1, __ATOMIC_RELAXED);
	} while (l->ret == -ENOBUFS && mcr_now_ns() < deadline &&
		 !__atomic_load_n(l->stop, __ATOMIC_RELAXED) &&
		 (pause_us(50), true));
	if (l->ret)
		goto out;
	l->seq = r.seq;
	__atomic_store_n(&l->reserved, 1, __ATOMIC_RELEASE);
	/* Stalled: told to go on once skipped and the ring is full. */
	while (!__atomic_load_n(&l->go, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(l->stop, __ATOMIC_RELAXED))
			goto out;	/* the test failed: just leave */
		if (mcr_now_ns() > deadline)
			break;
		pause_us(100);
	}
	/*
	 * Writes its whole reservation only now. Had its memory been handed
	 * to other records, this would tear them.
	 */
	payload_fill(r.text, LATE_ID, 0, LATE_LEN);
	l->ret = mcr_commit(&w, &r, LATE_LEN, pri_of(LATE_ID, 0), 0);
	l->t_commit = mcr_now_ns();
out:
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F_TIMEOUT(abandon, mpsc_late_writer_counted_once_nothing_torn, 60)
{
	const __u32 per = 50000;	/* enough that they cannot finish before the ring fills */
	const struct mcr_ring *r;
	struct mcr_ring_stats st;
	struct late l = { 0 };
	__u64 t_ab0, t_ab1, deadline, full0, missing, unexplained, base;
	pthread_t t;

	/* Small: the other writers fill it while the late one stalls. */
	ASSERT_EQ(0, ab_open_rings(&self->ab, 1, 256, 32768, LATE_RECLAIM_NS));
	r = mcr_set_ring(self->ab.set, 0);
	ASSERT_EQ(0, ab_start_live(&self->ab, 0, per, 0));
	ASSERT_EQ(0, ab_start_live(&self->ab, 1, per, 0));
	deadline = mcr_now_ns() + DEADLINE_NS;
	while (live_commits(&self->ab.live[0]) < 200 ||
	       live_commits(&self->ab.live[1]) < 200) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain_max(self->ab.rd, &self->ab.seen, POLL_MAX);
		pause_us(50);
	}

	/* Hold the others back until the late writer has its reservation. */
	base = stats_of(self->ab.rd, 0).abandoned;
	__atomic_store_n(&self->ab.hold, 1, __ATOMIC_RELAXED);
	l.set = self->ab.set;
	l.stop = &self->ab.stop;
	ASSERT_EQ(0, pthread_create(&t, NULL, late_main, &l));
	self->late = t;
	self->late_started = true;
	while (!__atomic_load_n(&l.reserved, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&l.done, __ATOMIC_ACQUIRE)) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain_max(self->ab.rd, &self->ab.seen, POLL_MAX);	/* room for it */
		pause_us(50);
	}
	ASSERT_EQ(0, l.ret);
	ASSERT_LT(l.seq, 2 * per)
		TH_LOG("the writers finished before the late one reserved");
	__atomic_store_n(&self->ab.hold, 0, __ATOMIC_RELAXED);

	/* The reader skips the stalled record after ABANDON_NS. */
	t_ab0 = ab_wait_abandoned(&self->ab, 0, l.seq, base, &t_ab1);
	ASSERT_NE(0, t_ab0);
	EXPECT_LE(l.t_reserve + ABANDON_NS, t_ab1);

	/*
	 * Stop reading until the writers find the ring full: every byte not
	 * pinned now holds a record nobody has read yet.
	 */
	full0 = ab_live_enobufs(&self->ab);
	while (ab_live_enobufs(&self->ab) == full0 && !ab_live_all_done(&self->ab) &&
	       mcr_now_ns() < deadline)
		pause_us(100);
	EXPECT_NE(full0, ab_live_enobufs(&self->ab));

	/* The late writer fills its text and commits. */
	__atomic_store_n(&l.go, 1, __ATOMIC_RELEASE);
	self->late_started = false;
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, l.ret);
	/* It finished well inside the reclaim bound: its commit frees it. */
	ASSERT_GT(t_ab0 + LATE_RECLAIM_NS, l.t_commit);

	ASSERT_TRUE(ab_drain_until_live_done(&self->ab, r, 0, false));
	ASSERT_EQ(0, self->ab.seen.errors) TH_LOG("%s", self->ab.seen.err);
	ksft_print_msg("late writer: reserved seq %u, skipped after %.1f ms, committed %.1f ms later; ring full meanwhile (%llu -ENOBUFS)\n",
		       l.seq, (t_ab1 - l.t_reserve) / 1e6,
		       (l.t_commit - t_ab1) / 1e6,
		       (unsigned long long)ab_live_enobufs(&self->ab));
	fflush(stdout);

	missing = ab_live_missing(&self->ab, 2, &unexplained);
	/* Lost although its writer committed it promptly. */
	EXPECT_EQ(0, unexplained) TH_LOG("%llu of %llu missing records unexplained",
				       (unsigned long long)unexplained,
				       (unsigned long long)missing);
	st = stats_of(self->ab.rd, 0);
	EXPECT_EQ(0, self->ab.seen.count[LATE_ID]);
	EXPECT_EQ(1 + missing, st.abandoned);
	EXPECT_EQ(0, st.reclaimed);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(2 * per - missing, st.drained);
	EXPECT_EQ(2 * per - missing, self->ab.seen.total);
	EXPECT_EQ(ab_live_enobufs(&self->ab) + l.enobufs, st.dropped_full);
}

TEST_HARNESS_MAIN
