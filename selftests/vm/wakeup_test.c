// SPDX-License-Identifier: GPL-2.0
/*
 * The NEED_WAKEUP protocol: a writer wakes the sleeping drainer only when
 * its ring is half full, with one system call, never one per record.
 */
#include <sys/ioctl.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"
#include "mcr_vm.h"

/*
 * Wait up to 10 s (stretched) for the drainer to be asleep with
 * NEED_WAKEUP set.
 */
static bool drainer_idle(const struct mcr_writer *w)
{
	unsigned long long end = mcr_now_ms() + 10000ULL * mcr_time_scale();

	while (!(READ_ONCE(w->spsc.ring.cons->flags) & MCR_CONS_NEED_WAKEUP)) {
		if (mcr_now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

TEST(writer_wakes_sleeping_drainer_rarely)
{
	struct mcr_counters c = { .ring = MCR_RING_SPSC(0) };
	const int n = 20000;
	struct mcr_set *set;
	struct mcr_writer w;
	char msg[64];
	int fd, dropped = 0;

	REQUIRE_MODULE();
	/* Small rings and a drainer that, idle, sleeps 5 s: without a
	 * wake-up, 20000 records could not get through 1024 slots. */
	ASSERT_EQ(0, mcr_reload("ring_ndesc=1024 ring_data_kb=256 poll_max_ms=5000"));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_spsc(set, 0, &w));
	/*
	 * Wait for the drainer to go idle (it sets NEED_WAKEUP on its way
	 * to sleep), then past a few doublings of its sleep, so that only a
	 * writer's wake-up can bring it back in time.
	 */
	ASSERT_TRUE(drainer_idle(&w));
	usleep(300 * 1000);
	ASSERT_TRUE(drainer_idle(&w));
	for (int i = 0; i < n; i++) {
		int len = snprintf(msg, sizeof(msg), "wake %d", i);
		int ret;

		while ((ret = mcr_log(&w, MCR_PRI(1, 7), msg, len)) == -ENOBUFS)
			dropped++;	/* retried: the test wants every record */
		ASSERT_EQ(0, ret);
	}
	fd = mcr_set_fd(set);
	for (__u64 end = mcr_now_ms() + 20000ULL * mcr_time_scale();
	     mcr_now_ms() < end;) {
		ASSERT_EQ(0, ioctl(fd, MCR_IOC_COUNTERS, &c));
		if (c.drained >= (__u64)n)
			break;
		usleep(20000);
	}
	TH_LOG("%d records, %llu wake-ups, %d retries on a full ring",
	       n, (unsigned long long)w.wakeups, dropped);
	EXPECT_EQ(n, c.drained);
	EXPECT_EQ(dropped, c.dropped_full);
	/* At least one wake-up was needed; at most one per half ring of
	 * records, give or take the drainer's own polling. */
	EXPECT_LE(1, w.wakeups);
	EXPECT_GE(2 * (__u64)n / 512 + 8, w.wakeups);
	mcr_set_close(set);
	ASSERT_EQ(0, mcr_reload(NULL));
}

TEST_HARNESS_MAIN
