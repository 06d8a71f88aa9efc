// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer above mcr_consume() (proto/mcrring/merge.h), which the
 * drain thread and libmcrring's reader share: sources filled within a
 * budget of looks, merged by timestamp within a budget of takes, bounds
 * and losses as each consumer gives them; and the clock keeper's sample
 * and its store into every ring (proto/mcrring/clock.h). One thread, a
 * made-up clock, records written with the timestamps a test wants.
 */
#include <stdlib.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include <mcrring/merge.h>
#include "kselftest_harness.h"

#define NRINGS		3
#define NDESC		8
#define DATA_SIZE	16384
#define NEVER		((__u64)-1)

/* The consumer's clock, as the test sets it. */
static __u64 fake_now;

static __u64 fake_now_ns(void)
{
	return fake_now;
}

/* What lost() was told, in order: "ring R seq S why; ..." */
static char lost_log[256];

static void record_loss(struct mcr_source *src, __u64 seq, enum mcr_loss why)
{
	size_t n = strlen(lost_log);

	snprintf(lost_log + n, sizeof(lost_log) - n, "ring %u seq %llu %s; ",
		 src->cur.ring_id, (unsigned long long)seq,
		 why == MCR_LOST_INVALID ? "invalid" : "abandoned");
}

FIXTURE(merge) {
	void *mem[NRINGS];
	struct mcr_ring ring[NRINGS];
	struct mcr_spsc w[NRINGS];
	struct mcr_source src[NRINGS];
	struct mcr_source *srcs[NRINGS];
	char text[NRINGS][MCR_TEXT_MAX];
	struct mcr_merge m;
	__u64 abandon_ns;
};

FIXTURE_SETUP(merge)
{
	__u64 size = mcr_ring_size(NDESC, DATA_SIZE);

	for (int i = 0; i < NRINGS; i++) {
		self->mem[i] = aligned_alloc(MCR_PAGE_SIZE, size);
		ASSERT_NE(NULL, self->mem[i]);
		memset(self->mem[i], 0, size);
		ASSERT_EQ(0, mcr_ring_format(&self->ring[i], self->mem[i],
					     NDESC, DATA_SIZE, i));
		mcr_spsc_init(&self->w[i], &self->ring[i]);
		mcr_source_init(&self->src[i], &self->ring[i], self->text[i],
				i);
		self->srcs[i] = &self->src[i];
	}
	self->m = (struct mcr_merge){ .now_ns = fake_now_ns,
				      .lost = record_loss };
	self->abandon_ns = NEVER;
	fake_now = 1000;
	lost_log[0] = '\0';
}

FIXTURE_TEARDOWN(merge)
{
	for (int i = 0; i < NRINGS; i++)
		free(self->mem[i]);
}

/* Commit a record to ring @i stamped @ts, its text the timestamp. */
static void put(FIXTURE_DATA(merge) *self, int i, __u64 ts)
{
	struct mcr_resv resv;
	int len;

	if (mcr_spsc_reserve(&self->w[i], 32, &resv))
		abort();
	len = snprintf(resv.text, 32, "%llu", (unsigned long long)ts);
	mcr_spsc_commit(&self->w[i], &resv, (__u32)len, ts, 1, 2, 0,
			MCR_PRI(1, 6), 0);
}

/* Reserve a record on ring @i and leave it in flight. */
static void hold(FIXTURE_DATA(merge) *self, int i)
{
	struct mcr_resv resv;

	if (mcr_spsc_reserve(&self->w[i], 16, &resv))
		abort();
}

static void put_discarded(FIXTURE_DATA(merge) *self, int i)
{
	struct mcr_resv resv;

	if (mcr_spsc_reserve(&self->w[i], 16, &resv))
		abort();
	mcr_spsc_discard(&self->w[i], &resv);
}

static int fill(FIXTURE_DATA(merge) *self, int i)
{
	return mcr_source_fill(&self->src[i], &self->m, self->abandon_ns,
			       NEVER);
}

/*
 * One pass as the drain thread runs it: every source filled, then the
 * oldest taken and its source filled again until none gives. Returns the
 * timestamps taken, in order, as "t1 t2 ...".
 */
static const char *pass(FIXTURE_DATA(merge) *self)
{
	static char order[256];
	struct mcr_source *best;
	size_t n = 0;

	order[0] = '\0';
	for (int i = 0; i < NRINGS; i++) {
		mcr_source_begin_pass(&self->src[i]);
		fill(self, i);
	}
	while ((best = mcr_merge_oldest(self->srcs, NRINGS, &self->m))) {
		if (strtoull(best->text, NULL, 10) != best->rec.ts_ns)
			abort();	/* the text is the record's own */
		n += snprintf(order + n, sizeof(order) - n, "%s%llu",
			      n ? " " : "",
			      (unsigned long long)best->rec.ts_ns);
		mcr_source_take(best);
		fill(self, (int)(best - self->src));
	}
	return order;
}

TEST_F(merge, the_oldest_pending_record_goes_first_across_rings)
{
	put(self, 0, 10);
	put(self, 0, 40);
	put(self, 1, 20);
	put(self, 1, 30);
	put(self, 2, 25);
	EXPECT_STREQ("10 20 25 30 40", pass(self));
	EXPECT_STREQ("", pass(self));
}

TEST_F(merge, a_tie_goes_to_the_first_source)
{
	put(self, 2, 7);
	put(self, 1, 7);
	put(self, 1, 8);
	EXPECT_STREQ("7 7 8", pass(self));
	put(self, 1, 9);
	put(self, 2, 9);
	for (int i = 0; i < NRINGS; i++)
		fill(self, i);
	EXPECT_EQ(&self->src[1],
		  mcr_merge_oldest(self->srcs, NRINGS, &self->m));
}

/* Ring 0 claims tiny timestamps, ring 1 writes one record later. */
static void put_tiny_and_late(FIXTURE_DATA(merge) *self)
{
	put(self, 0, 1);
	put(self, 0, 2);
	put(self, 0, 3);
	put(self, 1, 100);
}

/* The drain thread's policy: a ring of tiny timestamps waits a pass. */
TEST_F(merge, a_source_gives_at_most_takes_records_a_pass)
{
	self->m.takes = 2;
	put_tiny_and_late(self);
	EXPECT_STREQ("1 2 100", pass(self));
	EXPECT_TRUE(mcr_source_more(&self->src[0], &self->m));
	EXPECT_FALSE(mcr_source_more(&self->src[1], &self->m));
	EXPECT_STREQ("3", pass(self));
	EXPECT_FALSE(mcr_source_more(&self->src[0], &self->m));
}

/* libmcrring's policy: no bound on takes, the oldest always first. */
TEST_F(merge, without_a_bound_on_takes_one_ring_may_give_all)
{
	put_tiny_and_late(self);
	EXPECT_STREQ("1 2 3 100", pass(self));
	EXPECT_FALSE(mcr_source_more(&self->src[0], &self->m));
}

TEST_F(merge, a_fill_looks_at_most_looks_descriptors_a_pass)
{
	self->m.looks = 4;
	for (int k = 0; k < 6; k++)
		put_discarded(self, 0);
	put(self, 0, 5);
	mcr_source_begin_pass(&self->src[0]);
	EXPECT_EQ(MCR_SKIPPED, fill(self, 0));
	EXPECT_FALSE(self->src[0].have);
	EXPECT_TRUE(self->src[0].more);
	EXPECT_TRUE(mcr_source_more(&self->src[0], &self->m));
	EXPECT_EQ(4, self->src[0].cur.discarded);
	/* spent: a second fill in the same pass looks at nothing */
	EXPECT_EQ(MCR_SKIPPED, fill(self, 0));
	EXPECT_EQ(4, self->src[0].cur.discarded);

	mcr_source_begin_pass(&self->src[0]);
	EXPECT_FALSE(self->src[0].more);
	EXPECT_EQ(MCR_RECORD, fill(self, 0));
	EXPECT_TRUE(self->src[0].have);
	EXPECT_EQ(6, self->src[0].cur.discarded);
	EXPECT_EQ(5, self->src[0].rec.ts_ns);
	EXPECT_EQ(3, self->src[0].looks);
}

/* looks = 0: a ring's worth, what the reader gives each ring a read. */
TEST_F(merge, no_bound_on_looks_means_a_rings_worth)
{
	for (int k = 0; k < NDESC - 1; k++)
		put_discarded(self, 0);
	put(self, 0, 5);
	mcr_source_begin_pass(&self->src[0]);
	EXPECT_EQ(MCR_RECORD, fill(self, 0));
	EXPECT_EQ(NDESC, self->src[0].looks);
	mcr_source_take(&self->src[0]);
	EXPECT_EQ(MCR_SKIPPED, fill(self, 0));
	EXPECT_TRUE(self->src[0].more);
}

TEST_F(merge, a_fill_stops_at_an_empty_ring_and_at_one_in_flight)
{
	mcr_source_begin_pass(&self->src[0]);
	EXPECT_EQ(MCR_EMPTY, fill(self, 0));
	EXPECT_EQ(1, self->src[0].looks);
	hold(self, 0);
	EXPECT_EQ(MCR_INFLIGHT, fill(self, 0));
	EXPECT_EQ(2, self->src[0].looks);
	EXPECT_FALSE(self->src[0].more);
	EXPECT_STREQ("", lost_log);
}

/* The bound is the caller's, the clock is read for each look. */
TEST_F(merge, a_record_in_flight_goes_at_the_bound_and_is_reported_lost)
{
	self->abandon_ns = 500;
	hold(self, 0);
	put(self, 0, 9);
	mcr_source_begin_pass(&self->src[0]);
	EXPECT_EQ(MCR_INFLIGHT, fill(self, 0));		/* the wait starts */
	fake_now += 499;
	EXPECT_EQ(MCR_INFLIGHT, fill(self, 0));
	EXPECT_STREQ("", lost_log);
	fake_now += 1;
	EXPECT_EQ(MCR_RECORD, fill(self, 0));
	EXPECT_EQ(9, self->src[0].rec.ts_ns);
	EXPECT_EQ(1, self->src[0].rec.seq);
	EXPECT_EQ(1, self->src[0].cur.abandoned);
	EXPECT_STREQ("ring 0 seq 0 abandoned; ", lost_log);
}

TEST_F(merge, an_invalid_record_is_skipped_and_reported_lost)
{
	put(self, 2, 1);
	put(self, 2, 2);
	WRITE_ONCE(self->ring[2].desc[0].len, MCR_TEXT_MAX + 1);
	mcr_source_begin_pass(&self->src[2]);
	EXPECT_EQ(MCR_RECORD, fill(self, 2));
	EXPECT_EQ(2, self->src[2].rec.ts_ns);
	EXPECT_EQ(1, self->src[2].cur.invalid);
	EXPECT_STREQ("ring 2 seq 0 invalid; ", lost_log);
}

TEST_F(merge, lost_is_optional)
{
	self->m.lost = NULL;
	self->abandon_ns = 0;
	hold(self, 0);
	put(self, 0, 3);
	mcr_source_begin_pass(&self->src[0]);
	EXPECT_EQ(MCR_RECORD, fill(self, 0));
	EXPECT_EQ(1, self->src[0].cur.abandoned);
}

/*
 * A gone writer's records in flight go at once, whatever the bound; a
 * new writer's, reserved after, wait for it.
 */
TEST_F(merge, a_gone_writers_records_go_at_once_and_a_new_writers_wait)
{
	hold(self, 1);
	hold(self, 1);
	mcr_source_writer_gone(&self->src[1]);
	mcr_spsc_init(&self->w[1], &self->ring[1]);	/* the next owner */
	hold(self, 1);
	put(self, 1, 4);
	mcr_source_begin_pass(&self->src[1]);
	EXPECT_EQ(MCR_INFLIGHT, fill(self, 1));
	EXPECT_EQ(2, self->src[1].cur.abandoned);
	EXPECT_EQ(2, self->src[1].cur.seq);
	EXPECT_STREQ("ring 1 seq 0 abandoned; ring 1 seq 1 abandoned; ",
		     lost_log);
	fake_now += 1000000000;
	EXPECT_EQ(MCR_INFLIGHT, fill(self, 1));
	EXPECT_EQ(2, self->src[1].cur.abandoned);
	EXPECT_FALSE(self->src[1].gone);
}

TEST_F(merge, a_gone_writer_with_nothing_in_flight_changes_nothing)
{
	put(self, 1, 4);
	mcr_source_writer_gone(&self->src[1]);
	hold(self, 1);
	mcr_source_begin_pass(&self->src[1]);
	EXPECT_EQ(MCR_RECORD, fill(self, 1));
	mcr_source_take(&self->src[1]);
	EXPECT_EQ(MCR_INFLIGHT, fill(self, 1));
	EXPECT_EQ(0, self->src[1].cur.abandoned);
}

/* --- the clock keeper's store into every ring ------------------------- */

static struct mcr_clock *clock_of(void *arg, unsigned int i)
{
	struct mcr_ring *ring = arg;

	return i == 1 ? NULL : &ring[i].cons->clock;	/* ring 1: not there */
}

TEST_F(merge, the_clock_is_published_into_every_ring_there_once)
{
	struct mcr_clock_keeper k = { 0 };
	__u64 ns = 0;

	mcr_clock_update(&k, 3000000000ULL, 1000000000ULL);
	ASSERT_TRUE(mcr_clock_update(&k, 3300000000ULL, 1100000000ULL));
	mcr_clock_publish(&k, clock_of, self->ring, NRINGS);
	EXPECT_EQ(2, k.seq);
	for (int i = 0; i < NRINGS; i++) {
		const struct mcr_clock *c = &self->ring[i].cons->clock;

		EXPECT_EQ(i == 1 ? 0 : 2, c->seq);
		EXPECT_EQ(i != 1, mcr_clock_read(c, 3300000000ULL, &ns));
	}
	EXPECT_EQ(1100000000ULL, ns);
	mcr_clock_publish(&k, clock_of, self->ring, NRINGS);
	EXPECT_EQ(4, k.seq);
	EXPECT_EQ(4, self->ring[2].cons->clock.seq);
}

/* Brackets of 10, 4 and 6 counts, as a keeper might read them. */
static const __u64 brackets[][3] = {
	{ 1000, 50, 1010 }, { 2000, 60, 2004 }, { 3000, 70, 3006 },
};
static unsigned int nbrackets;

static void fake_bracket(__u64 t[3])
{
	memcpy(t, brackets[nbrackets++ % 3], sizeof(brackets[0]));
}

TEST(a_sample_is_the_middle_of_the_tightest_bracket)
{
	__u64 tsc = 0, ns = 0;

	nbrackets = 0;
	mcr_clock_sample(fake_bracket, &tsc, &ns);
	EXPECT_EQ(MCR_CLOCK_TRIES, nbrackets);
	EXPECT_EQ(2002, tsc);
	EXPECT_EQ(60, ns);
}

TEST_HARNESS_MAIN
