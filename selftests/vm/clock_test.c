// SPDX-License-Identifier: GPL-2.0
/*
 * The writers' TSC clock as the module keeps it (tsc_clock=auto|on|off):
 * the map appears in the consumer pages, records stamped from it agree
 * with clock_gettime() in the archive, and off means off.
 */
#include <sys/ioctl.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_cycles.h"

#define PRI		MCR_PRI(1, 6)
#define N		64
/* The map's error plus the guest's: TCG runs the TSC off the host clock. */
#define TOL_NS		200000ULL

static __u64 features(struct mcr_set *set)
{
	struct mcr_info info = { 0 };

	if (ioctl(mcr_set_fd(set), MCR_IOC_INFO, &info))
		return 0;
	return info.features;
}

/* Wait up to 3 s (stretched) for @w's ring to carry a map covering now. */
static bool map_appears(const struct mcr_writer *w)
{
	unsigned long long end = mcr_now_ms() + 3000ULL * mcr_time_scale();
	__u64 ns;

	while (mcr_now_ms() < end) {
		if (mcr_clock_read(w->clock, CYCLES(), &ns))
			return true;
		sleep_us(10000);
	}
	return false;
}

TEST(sysfs_and_feature_bit_agree)
{
	struct mcr_set *set;
	long long kept;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload(NULL));
	kept = sysfs_num(MCR_SYSFS "tsc_clock");
	ASSERT_LE(0, kept);
	ASSERT_EQ(0, mcr_open(NULL, &set));
	EXPECT_EQ(kept, !!(features(set) & MCR_FEAT_TSC_CLOCK));
	mcr_set_close(set);
}

TEST(bad_value_refused)
{
	int ret;

	REQUIRE_MODULE();
	ret = mcr_unload();
	ASSERT_TRUE(ret == 0 || ret == -ENOENT);
	EXPECT_EQ(-EINVAL, mcr_load("tsc_clock=maybe"));
	EXPECT_FALSE(mcr_loaded());
	ASSERT_EQ(0, mcr_load(NULL));
}

TEST(off_means_clock_gettime)
{
	struct mcr_set *set;
	struct mcr_writer w;
	__u64 ns;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("tsc_clock=off"));
	EXPECT_EQ(0, sysfs_num(MCR_SYSFS "tsc_clock"));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	EXPECT_FALSE(features(set) & MCR_FEAT_TSC_CLOCK);
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	/* Longer than the first calibration: still no map. */
	sleep_us(300000);
	EXPECT_FALSE(mcr_clock_read(w.clock, CYCLES(), &ns));
	mcr_set_close(set);
	ASSERT_EQ(0, mcr_reload(NULL));
}

/* In user drain mode the program that drains keeps the map: mcr_read(). */
TEST(user_drain_reader_keeps_the_map)
{
	static char text[MCR_TEXT_MAX];
	unsigned long long end;
	struct mcr_reader *rd;
	struct mcr_record rec;
	struct mcr_set *set;
	struct mcr_writer w;
	__u64 ns;
	bool kept = false;

	REQUIRE_CYCLE_CLOCK();
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("user_drain=1"));
	EXPECT_EQ(0, sysfs_num(MCR_SYSFS "tsc_clock"));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	ASSERT_EQ(0, mcr_reader_open(set, &rd));
	/* the module keeps none: the reader has not read yet */
	sleep_us(300000);
	EXPECT_FALSE(mcr_clock_read(w.clock, CYCLES(), &ns));
	end = mcr_now_ms() + 3000ULL * mcr_time_scale();
	while (!kept && mcr_now_ms() < end) {
		mcr_read(rd, &rec, text);
		kept = mcr_clock_read(w.clock, CYCLES(), &ns);
		sleep_us(10000);
	}
	EXPECT_TRUE(kept);
	mcr_reader_close(rd);
	mcr_set_close(set);
	ASSERT_EQ(0, mcr_reload(NULL));
}

/* Log N records between clock_gettime() readings; find them archived. */
TEST(records_stamped_from_the_map_agree_with_clock_gettime)
{
	static char text[MCR_TEXT_MAX];
	__u64 before[N], after[N], last = 0, worst = 0;
	struct mcr_arecord rec;
	struct mcr_archive *a;
	struct mcr_set *set;
	struct mcr_writer w;
	int got = 0;
	unsigned long long end;

	REQUIRE_CYCLE_CLOCK();
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("tsc_clock=on"));
	if (sysfs_num(MCR_SYSFS "tsc_clock") != 1) {
		mcr_reload(NULL);
		SKIP(return, "the guest kernel marked its TSC unstable");
	}
	ASSERT_EQ(0, mcr_open(NULL, &set));
	EXPECT_TRUE(features(set) & MCR_FEAT_TSC_CLOCK);
	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, mcr_writer_spsc(set, 0, &w));
	ASSERT_TRUE(map_appears(&w));
	ASSERT_EQ(0, mcr_archive_open(NULL, true, &a));
	for (int i = 0; i < N; i++) {
		before[i] = mcr_now_ns();
		ASSERT_LT(0, mcr_logf(&w, PRI, "clock %d", i));
		after[i] = mcr_now_ns();
		sleep_us(2000);
	}
	end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	while (got < N && mcr_now_ms() < end) {
		int ret = mcr_archive_next(a, &rec, text);
		int i;

		ASSERT_LE(0, ret);
		if (ret == 0) {
			sleep_us(10000);
			continue;
		}
		if (rec.pid != (__u32)getpid() ||
		    sscanf(text, "clock %d", &i) != 1)
			continue;
		ASSERT_EQ(got, i);
		EXPECT_LE(before[i] - TOL_NS, rec.ts_ns);
		EXPECT_GE(after[i] + TOL_NS, rec.ts_ns);
		EXPECT_LE(last, rec.ts_ns);
		if (rec.ts_ns < before[i] && before[i] - rec.ts_ns > worst)
			worst = before[i] - rec.ts_ns;
		if (rec.ts_ns > after[i] && rec.ts_ns - after[i] > worst)
			worst = rec.ts_ns - after[i];
		last = rec.ts_ns;
		got++;
	}
	EXPECT_EQ(N, got);
	TH_LOG("%d records, worst distance outside clock_gettime's bracket %llu ns, clock steps %lld",
	       got, (unsigned long long)worst,
	       sysfs_num(MCR_SYSFS "clock_steps"));
	EXPECT_EQ(0, sysfs_num(MCR_SYSFS "clock_steps"));
	mcr_archive_close(a);
	mcr_set_close(set);
	ASSERT_EQ(0, mcr_reload(NULL));
}

TEST_HARNESS_MAIN
