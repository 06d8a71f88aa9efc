// SPDX-License-Identifier: GPL-2.0
/*
 * An SPSC writer thread that exits mid-record (invariant 6): the ring
 * waits for its writer until it is told the writer is gone, then skips
 * that one record at once, and a new writer of the ring loses nothing,
 * its records in flight included. Bounds and helpers: mcr_abandon.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_abandon.h"

FIXTURE(abandon) {
	struct ab ab;
};

FIXTURE_SETUP(abandon)
{
	ab_init(&self->ab);
}

FIXTURE_TEARDOWN(abandon)
{
	ab_fini(&self->ab);
}

struct spsc_dead {
	struct mcr_set *set;
	__u32 before;		/* records committed before dying */
	__u32 seq;
	int ret;
};

static void *spsc_dead_main(void *arg)
{
	struct spsc_dead *d = arg;
	struct mcr_writer w;
	struct mcr_resv r;

	d->ret = mcr_writer_spsc(d->set, 0, &w);
	for (__u32 n = 0; n < d->before && !d->ret; n++)
		d->ret = write_rec(&w, DEAD_ID, n);
	if (d->ret)
		return NULL;
	d->ret = mcr_reserve(&w, len_of(DEAD_ID, d->before), &r);
	d->seq = r.seq;
	return NULL;		/* exits holding the reservation */
}

/* Kill the first SPSC writer of ring 1 mid-record; returns its seq. */
static int spsc_writer_dies(FIXTURE_DATA(abandon) *self,
			    struct __test_metadata *_metadata, __u32 before)
{
	struct spsc_dead d = { .set = self->ab.set, .before = before };
	__u64 t0, deadline;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, spsc_dead_main, &d));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, d.ret);
	deadline = mcr_now_ns() + DEADLINE_NS;
	while (self->ab.seen.count[DEAD_ID] < before) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain(self->ab.rd, &self->ab.seen);
	}
	/*
	 * An SPSC ring waits for its writer: the reader may not know it is
	 * gone. Watch for several abandon bounds that nothing is skipped.
	 */
	t0 = mcr_now_ns();
	while (mcr_now_ns() - t0 < 3 * ABANDON_NS) {
		EXPECT_EQ(0, drain(self->ab.rd, &self->ab.seen));
		EXPECT_EQ(0, stats_of(self->ab.rd, 1).abandoned);
		pause_us(1000);
	}
	/* Told, it skips the record at once: one call. */
	mcr_reader_writer_gone(self->ab.rd, 1);
	EXPECT_EQ(0, drain(self->ab.rd, &self->ab.seen));
	EXPECT_EQ(1, stats_of(self->ab.rd, 1).abandoned);
	EXPECT_EQ(before, self->ab.seen.count[DEAD_ID]);
	return (int)d.seq;
}

TEST_F_TIMEOUT(abandon, spsc_writer_gone_then_new_writer, 60)
{
	const __u32 per = 20000;
	const struct mcr_ring *r;
	struct mcr_ring_stats st;
	__u64 t_rec, missing, unexplained;
	int dead_seq;

	ASSERT_EQ(0, ab_open_rings(&self->ab, 2, 1024, 65536, RECLAIM_NS));
	r = mcr_set_ring(self->ab.set, 1);
	dead_seq = spsc_writer_dies(self, _metadata, 100);

	/*
	 * A new writer claims the ring from a new thread and goes on, the
	 * reader polling all the while: it sees many of the new writer's
	 * records in flight, and must wait for them.
	 */
	ASSERT_EQ(0, ab_start_live(&self->ab, 0, per, 1));
	ASSERT_TRUE(ab_drain_until_live_done(&self->ab, r, 1, true));
	ASSERT_EQ(0, self->ab.seen.errors) TH_LOG("%s", self->ab.seen.err);
	EXPECT_EQ(0, self->ab.live[0].err);

	/* Its first record directly follows the dead one. */
	EXPECT_EQ((__u32)dead_seq + 1, self->ab.seen.first_seq[0]);
	t_rec = ab_wait_reclaimed(&self->ab, 1, 1);
	EXPECT_NE(0, t_rec);
	missing = ab_live_missing(&self->ab, 1, &unexplained);
	/* Lost although its writer committed it promptly. */
	EXPECT_EQ(0, unexplained) TH_LOG("%llu of %llu missing records unexplained",
				       (unsigned long long)unexplained,
				       (unsigned long long)missing);
	st = stats_of(self->ab.rd, 1);
	ksft_print_msg("spsc: new writer delivered %llu of %u, ring abandoned %llu (want 1), reclaimed %llu\n",
		       (unsigned long long)self->ab.seen.count[0], per,
		       (unsigned long long)st.abandoned,
		       (unsigned long long)st.reclaimed);
	fflush(stdout);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(1, st.abandoned);
	EXPECT_EQ(1, st.reclaimed);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(100 + per, st.drained);
}

/*
 * Minimal, deterministic form of the above: after writer_gone, a new
 * writer's record that is merely in flight must not be abandoned.
 */
TEST_F_TIMEOUT(abandon, spsc_writer_gone_applies_to_dead_writer_only, 30)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_writer w;
	struct mcr_resv resv;
	struct mcr_record rec;
	__u32 len = len_of(0, 0);

	ASSERT_EQ(0, ab_open_rings(&self->ab, 2, 64, 16384, RECLAIM_NS));
	spsc_writer_dies(self, _metadata, 3);

	/* This thread is the ring's new writer. */
	ASSERT_EQ(0, mcr_writer_spsc(self->ab.set, 0, &w));
	ASSERT_EQ(0, mcr_reserve(&w, len, &resv));
	/* The reader looks while the record is being written ... */
	EXPECT_EQ(0, mcr_read(self->ab.rd, &rec, text));
	EXPECT_EQ(1, stats_of(self->ab.rd, 1).abandoned);
	/* ... and must deliver it once committed. */
	payload_fill(resv.text, 0, 0, len);
	ASSERT_EQ(0, mcr_commit(&w, &resv, len, pri_of(0, 0), 0));
	drain(self->ab.rd, &self->ab.seen);
	ASSERT_EQ(0, self->ab.seen.errors) TH_LOG("%s", self->ab.seen.err);
	EXPECT_EQ(1, self->ab.seen.count[0]);
	EXPECT_EQ(1, stats_of(self->ab.rd, 1).abandoned);
}

TEST_HARNESS_MAIN
