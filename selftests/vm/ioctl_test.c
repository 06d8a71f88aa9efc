// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mcrlog ioctls: what they report, and one test per input they must
 * refuse.
 */
#include <sys/ioctl.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"

FIXTURE(dev) {
	int fd;
	struct mcr_info info;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(MCR_DEV_PATH, O_RDWR);
	memset(&self->info, 0, sizeof(self->info));
	if (self->fd >= 0)
		ASSERT_EQ(0, ioctl(self->fd, MCR_IOC_INFO, &self->info));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* SKIP() in FIXTURE_SETUP does not stop the body in 6.1: check here. */
#define REQUIRE_DEV() do {						\
	if (self->fd < 0)						\
		SKIP(return, MCR_DEV_PATH ": %s", strerror(errno));	\
} while (0)

static int claim(int fd, __u32 ring, __u32 flags, __u64 resv0)
{
	struct mcr_claim c = { .ring = ring, .flags = flags };

	c.resv[0] = resv0;
	return ioctl(fd, MCR_IOC_CLAIM, &c) ? -errno : 0;
}

static int counters(int fd, struct mcr_counters *c)
{
	return ioctl(fd, MCR_IOC_COUNTERS, c) ? -errno : 0;
}

TEST_F(dev, info_describes_the_rings)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	REQUIRE_DEV();
	EXPECT_EQ(MCR_ABI_VERSION, self->info.abi_version);
	EXPECT_LE(1 + ncpu, self->info.nr_rings);
	/* The writers' clock as sysfs says (clock_test checks the two). */
	EXPECT_EQ(MCR_FEAT_SPSC | MCR_FEAT_MPSC | MCR_FEAT_LEVELS |
		  (sysfs_num(MCR_SYSFS "tsc_clock") == 1 ?
		   MCR_FEAT_TSC_CLOCK : 0),
		  self->info.features);
	EXPECT_EQ(16384, self->info.ndesc);
	EXPECT_EQ(2048 * 1024, self->info.data_size);
	EXPECT_EQ(mcr_ring_size(self->info.ndesc, self->info.data_size),
		  self->info.ring_size);
	EXPECT_EQ(0, self->info.resv[0] | self->info.resv[1] |
		     self->info.resv[2] | self->info.resv[3]);
}

TEST_F(dev, claim_is_exclusive_and_ends_with_the_file)
{
	int other;

	REQUIRE_DEV();
	other = open(MCR_DEV_PATH, O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, claim(self->fd, MCR_RING_SPSC(0), 0, 0));
	EXPECT_EQ(-EBUSY, claim(self->fd, MCR_RING_SPSC(0), 0, 0));
	EXPECT_EQ(-EBUSY, claim(other, MCR_RING_SPSC(0), 0, 0));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, claim(other, MCR_RING_SPSC(0), 0, 0));
	close(other);
}

TEST_F(dev, claim_refuses_bad_input)
{
	int ro;

	REQUIRE_DEV();
	EXPECT_EQ(-EINVAL, claim(self->fd, MCR_RING_MPSC, 0, 0));
	EXPECT_EQ(-EINVAL, claim(self->fd, self->info.nr_rings, 0, 0));
	EXPECT_EQ(-EINVAL, claim(self->fd, ~0U, 0, 0));
	EXPECT_EQ(-EINVAL, claim(self->fd, MCR_RING_SPSC(0), 1, 0));
	EXPECT_EQ(-EINVAL, claim(self->fd, MCR_RING_SPSC(0), 0, 1));
	EXPECT_EQ(-EFAULT, ioctl(self->fd, MCR_IOC_CLAIM, NULL) ? -errno : 0);
	ro = open(MCR_DEV_PATH, O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, claim(ro, MCR_RING_SPSC(0), 0, 0));
	close(ro);
	/* None of that claimed anything. */
	EXPECT_EQ(0, claim(self->fd, MCR_RING_SPSC(0), 0, 0));
}

TEST_F(dev, counters_add_up_and_refuse_bad_input)
{
	struct mcr_counters c = { .ring = MCR_RING_MPSC };
	struct mcr_set *set;
	struct mcr_writer w;
	__u64 before;

	REQUIRE_DEV();
	ASSERT_EQ(0, counters(self->fd, &c));
	before = c.written;
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, mcr_log(&w, MCR_PRI(1, 6), "counted", 7));
	ASSERT_EQ(0, ioctl(self->fd, MCR_IOC_WAKE));
	for (__u64 end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	     mcr_now_ms() < end;) {
		memset(&c, 0, sizeof(c));
		ASSERT_EQ(0, counters(self->fd, &c));
		if (c.written >= before + 10)
			break;
		usleep(20000);
	}
	EXPECT_EQ(before + 10, c.written);
	EXPECT_EQ(c.written, c.drained + c.dropped_full + c.abandoned +
			     c.invalid + c.discarded);
	mcr_set_close(set);

	memset(&c, 0, sizeof(c));
	c.ring = self->info.nr_rings;
	EXPECT_EQ(-EINVAL, counters(self->fd, &c));
	c.ring = 0;
	c.flags = 1;
	EXPECT_EQ(-EINVAL, counters(self->fd, &c));
	c.flags = 0;
	c.resv[3] = 1;
	EXPECT_EQ(-EINVAL, counters(self->fd, &c));
}

TEST_F(dev, unknown_ioctl_is_enotty)
{
	REQUIRE_DEV();
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IO(MCR_IOC_MAGIC, 99)) ? -errno : 0);
	EXPECT_EQ(-ENOTTY, ioctl(self->fd, _IO('X', 1)) ? -errno : 0);
}

TEST_HARNESS_MAIN
