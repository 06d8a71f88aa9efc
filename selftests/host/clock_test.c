// SPDX-License-Identifier: GPL-2.0
/*
 * The writers' clock (proto/mcrring/clock.h): the keeper's map on made-up
 * clocks, where every error is known exactly, then on this machine's
 * clocks through a shm set, against clock_gettime().
 */
#include <pthread.h>
#include <unistd.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_cycles.h"

#define GHZ3(ns)	((ns) * 3)		/* a 3 GHz TSC at ns */
#define MS		1000000ULL
#define SEC		1000000000ULL

/* Stored map of @k, as a writer would see it. */
static bool map_at(const struct mcr_clock_keeper *k, __u64 tsc, __u64 *ns)
{
	struct mcr_clock c = { 0 };

	mcr_clock_store(&c, k);
	return mcr_clock_read(&c, tsc, ns);
}

static __u64 absdiff(__u64 a, __u64 b)
{
	return a > b ? a - b : b - a;
}

TEST(no_map_until_two_samples_apart)
{
	struct mcr_clock_keeper k = { 0 };
	__u64 ns;

	EXPECT_FALSE(mcr_clock_update(&k, GHZ3(5 * SEC), 5 * SEC));
	EXPECT_FALSE(map_at(&k, GHZ3(5 * SEC), &ns));
	/* too close together to calibrate: no map yet */
	EXPECT_FALSE(mcr_clock_update(&k, GHZ3(5 * SEC + MS), 5 * SEC + MS));
	EXPECT_FALSE(map_at(&k, GHZ3(5 * SEC + MS), &ns));
	EXPECT_TRUE(mcr_clock_update(&k, GHZ3(5 * SEC + 100 * MS),
				     5 * SEC + 100 * MS));
	ASSERT_TRUE(map_at(&k, GHZ3(5 * SEC + 100 * MS), &ns));
	EXPECT_EQ(5 * SEC + 100 * MS, ns);
	/* a 3 GHz TSC: 3000 ticks are a microsecond */
	ASSERT_TRUE(map_at(&k, GHZ3(5 * SEC + 100 * MS) + 3000000, &ns));
	EXPECT_GE(1, absdiff(ns, 5 * SEC + 101 * MS));
}

TEST(map_range_and_expiry)
{
	struct mcr_clock_keeper k = { 0 };
	struct mcr_clock c = { 0 };
	__u64 base = GHZ3(SEC + 100 * MS), ns;

	mcr_clock_update(&k, GHZ3(SEC), SEC);
	mcr_clock_update(&k, base, SEC + 100 * MS);
	mcr_clock_store(&c, &k);
	EXPECT_TRUE(mcr_clock_read(&c, base, &ns));
	/* read before the base: the writer's rdtsc raced an update */
	EXPECT_FALSE(mcr_clock_read(&c, base - 1, &ns));
	/*
	 * valid for MCR_CLOCK_EXPIRE periods of a second (not intervals of
	 * 100 ms: the next sample comes a period on), then expired
	 */
	EXPECT_TRUE(mcr_clock_read(&c, base + GHZ3(4 * SEC) - 1, &ns));
	EXPECT_FALSE(mcr_clock_read(&c, base + GHZ3(4 * SEC), &ns));
	/* an odd seq is a map being rewritten */
	c.seq++;
	EXPECT_FALSE(mcr_clock_read(&c, base, &ns));
	/* and an all-zero page, a module that keeps no map, has none */
	memset(&c, 0, sizeof(c));
	EXPECT_FALSE(mcr_clock_read(&c, 0, &ns));
	EXPECT_FALSE(mcr_clock_read(&c, base, &ns));
}

/*
 * CLOCK_MONOTONIC runs 500 ppm fast against the TSC for a while (NTP at
 * its limit), then exactly: every update is continuous, time never goes
 * back, and the map converges back onto the truth.
 */
TEST(slewed_clock_continuous_monotonic_converging)
{
	struct mcr_clock_keeper k = { 0 };
	__u64 tsc = GHZ3(10 * SEC), ns = 10 * SEC, last = 0, err = 0;

	mcr_clock_update(&k, tsc, ns);
	for (int i = 1; i <= 40; i++) {
		__u64 dtsc = GHZ3(SEC), dns = i <= 20 ? SEC + 500000 : SEC;
		__u64 before = 0, after = 0, v;

		/* the old map across the interval: monotonic */
		for (int j = 0; j <= 10 && k.map.tsc_limit; j++) {
			ASSERT_TRUE(map_at(&k, tsc + dtsc / 10 * j, &v));
			ASSERT_LE(last, v);
			last = v;
		}
		if (k.map.tsc_limit)
			ASSERT_TRUE(map_at(&k, tsc + dtsc, &before));
		tsc += dtsc;
		ns += dns;
		ASSERT_TRUE(mcr_clock_update(&k, tsc, ns));
		ASSERT_TRUE(map_at(&k, tsc, &after));
		if (i > 1)
			ASSERT_EQ(before, after);	/* continuous */
		err = absdiff(after, ns);
		/* the error is at most one interval's change of rate */
		ASSERT_GE(500000 + 2, err);
	}
	EXPECT_EQ(0, k.steps);
	/* 20 intervals at the true rate: back on CLOCK_MONOTONIC */
	EXPECT_GE(2, err);
}

TEST(step_when_clocks_disagree_by_more_than_a_millisecond)
{
	struct mcr_clock_keeper k = { 0 };
	__u64 ns;

	mcr_clock_update(&k, GHZ3(SEC), SEC);
	mcr_clock_update(&k, GHZ3(2 * SEC), 2 * SEC);
	EXPECT_EQ(0, k.steps);
	/* CLOCK_MONOTONIC 5 ms ahead of what the TSC says */
	ASSERT_TRUE(mcr_clock_update(&k, GHZ3(3 * SEC), 3 * SEC + 5 * MS));
	EXPECT_EQ(1, k.steps);
	ASSERT_TRUE(map_at(&k, GHZ3(3 * SEC), &ns));
	EXPECT_EQ(3 * SEC + 5 * MS, ns);
}

TEST(tsc_backwards_or_implausible_starts_over)
{
	struct mcr_clock_keeper k = { 0 };
	__u64 ns;

	mcr_clock_update(&k, GHZ3(SEC), SEC);
	mcr_clock_update(&k, GHZ3(2 * SEC), 2 * SEC);
	ASSERT_TRUE(map_at(&k, GHZ3(2 * SEC), &ns));
	/* the TSC went back (reset on resume): the map goes */
	EXPECT_TRUE(mcr_clock_update(&k, GHZ3(SEC), 3 * SEC));
	EXPECT_FALSE(map_at(&k, GHZ3(SEC), &ns));
	EXPECT_EQ(2, k.resets);
	/* a TSC ticking 100 times in a second: no map, no overflow */
	EXPECT_FALSE(mcr_clock_update(&k, GHZ3(SEC) + 100, 4 * SEC));
	EXPECT_FALSE(map_at(&k, GHZ3(SEC) + 100, &ns));
	EXPECT_EQ(3, k.resets);
}

/*
 * arm64's counter runs far slower than a TSC: 19.2 MHz (52.08 ns a
 * tick), 24 MHz, QEMU's 62.5 MHz. The map of a counter at @hz, sampled
 * between ticks at 0, 100 ms and then each second, gives every tick of
 * the next second within two ticks of the truth (each sample is up to a
 * tick late; the rate between two of them is off by as much); a counter
 * under 15.6 MHz gets no map (the limit proto/mcrring/clock.h documents),
 * rather than a coarse one.
 */
static void slow_counter(struct __test_metadata *_metadata, __u64 hz,
			 bool mapped)
{
	struct mcr_clock_keeper k = { 0 };
	__u64 t0 = 7 * SEC, ns, tick_ns = SEC / hz + 1, last = 0;
	/* sampled between ticks, as clock_gettime() mostly is */
	__u64 at[] = { 13, 100 * MS + 29, 1100 * MS + 41, 2100 * MS + 7 };

	for (unsigned int i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		mcr_clock_update(&k, (t0 + at[i]) / SEC * hz +
				 (t0 + at[i]) % SEC * hz / SEC, t0 + at[i]);
	if (!mapped) {
		EXPECT_EQ(0, k.map.tsc_limit);
		return;
	}
	ASSERT_NE(0, k.map.tsc_limit);
	EXPECT_EQ(0, k.steps);
	/* a second of ticks after the last sample, 997 of them spread out */
	for (__u64 c = k.map.tsc_base; c < k.map.tsc_base + hz;
	     c += hz / 997) {
		__u64 truth = (c / hz) * SEC + (c % hz) * SEC / hz;

		ASSERT_TRUE(map_at(&k, c, &ns));
		ASSERT_GE(2 * tick_ns, absdiff(ns, truth)) {
			TH_LOG("%llu Hz, tick %llu: map %llu ns, truth %llu ns",
			       (unsigned long long)hz, (unsigned long long)c,
			       (unsigned long long)ns,
			       (unsigned long long)truth);
		}
		ASSERT_LE(last, ns);
		last = ns;
	}
}

TEST(slow_counters_like_arm64s_within_two_ticks)
{
	slow_counter(_metadata, 19200000, true);
	slow_counter(_metadata, 24000000, true);
	slow_counter(_metadata, 62500000, true);
	slow_counter(_metadata, 1000000000, true);
	slow_counter(_metadata, 10000000, false);
}

/* --- this machine's clocks ------------------------------------------ */

FIXTURE(live) {
	struct mcr_set *set;
	struct mcr_writer w;
	struct mcr_record rec;
	char text[MCR_TEXT_MAX];
};

FIXTURE_SETUP(live)
{
	ASSERT_EQ(0, mcr_shm_create(2, 4096, 1 << 20, &self->set));
}

FIXTURE_TEARDOWN(live)
{
	mcr_set_close(self->set);
}

/* Log @n records, each between two clock_gettime() readings; check them. */
static void log_bracketed(struct __test_metadata *_metadata,
			  FIXTURE_DATA(live) *self, int n, __u64 tol)
{
	const struct mcr_ring *r = mcr_set_ring(self->set, MCR_RING_SPSC(0));
	struct mcr_cursor cur;
	__u64 before[64], after[64], last = 0;

	ASSERT_GE(64, n);
	mcr_cursor_init(&cur, r, MCR_RING_SPSC(0));
	for (int i = 0; i < n; i++) {
		before[i] = mcr_now_ns();
		ASSERT_EQ(0, mcr_log(&self->w, MCR_PRI(1, 6), "x", 1));
		after[i] = mcr_now_ns();
		usleep(1000);
	}
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(MCR_RECORD, mcr_consume(r, &cur, &self->rec,
						  self->text, 1, -1, 1));
		EXPECT_LE(before[i] - tol, self->rec.ts_ns);
		EXPECT_GE(after[i] + tol, self->rec.ts_ns);
		EXPECT_LE(last, self->rec.ts_ns);
		last = self->rec.ts_ns;
		EXPECT_EQ((__u32)getpid(), self->rec.pid);
		EXPECT_EQ((__u32)gettid(), self->rec.tid);
		EXPECT_GT((__u32)sysconf(_SC_NPROCESSORS_CONF), self->rec.cpu);
	}
}

/* Nobody keeps the clock: writers use clock_gettime(), exactly. */
TEST_F(live, without_a_keeper_timestamps_are_clock_gettime)
{
	__u64 ns;

	ASSERT_EQ(0, mcr_writer_spsc(self->set, 0, &self->w));
	EXPECT_FALSE(mcr_clock_read(self->w.clock, CYCLES(), &ns));
	log_bracketed(_metadata, self, 16, 0);
}

TEST_F(live, kept_clock_within_20us_of_clock_gettime)
{
	__u64 ns, deadline = mcr_now_ns() + 2 * SEC;

	REQUIRE_CYCLE_CLOCK();
	ASSERT_EQ(0, mcr_writer_spsc(self->set, 0, &self->w));
	/* the first map comes MCR_CLOCK_FIRST_NS after the first sample */
	do {
		ASSERT_EQ(0, mcr_set_keep_clock(self->set));
		ASSERT_GT(deadline, mcr_now_ns()) {
			TH_LOG("no map after 2 s of keeping");
		}
		usleep(1000);
	} while (!mcr_clock_read(self->w.clock, CYCLES(), &ns));
	log_bracketed(_metadata, self, 64, 20000);
}

TEST_HARNESS_MAIN
