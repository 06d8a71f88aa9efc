// SPDX-License-Identifier: GPL-2.0
/*
 * user_drain=1: the kernel leaves the rings alone and a userspace
 * consumer drains them with libmcrring.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"

TEST(userspace_consumer_drains_the_rings)
{
	struct mcr_set *set;
	struct mcr_reader *rd;
	struct mcr_writer m, s;
	struct mcr_record rec;
	struct mcr_info info = { 0 };
	static char text[MCR_TEXT_MAX];
	int got = 0, fd;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("user_drain=1"));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, ioctl(mcr_set_fd(set), MCR_IOC_INFO, &info));
	EXPECT_TRUE(info.features & MCR_FEAT_USER_DRAIN);
	ASSERT_EQ(0, mcr_writer_mpsc(set, &m));
	ASSERT_EQ(0, mcr_writer_spsc(set, 0, &s));
	for (int i = 0; i < 50; i++) {
		ASSERT_LT(0, mcr_logf(&m, MCR_PRI(1, 6), "mpsc %d", i));
		ASSERT_LT(0, mcr_logf(&s, MCR_PRI(1, 6), "spsc %d", i));
	}
	ASSERT_EQ(0, mcr_reader_open(set, &rd));
	while (mcr_read(rd, &rec, text) == 1) {
		char want[32];
		int n = snprintf(want, sizeof(want), "%s %d",
				 rec.ring ? "spsc" : "mpsc", got / 2);

		EXPECT_EQ(n, rec.len);
		EXPECT_EQ(0, memcmp(want, text, rec.len));
		got++;
	}
	EXPECT_EQ(100, got);
	/* The kernel archived none of it. */
	fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, text, sizeof(text)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
	mcr_reader_close(rd);
	mcr_set_close(set);
	ASSERT_EQ(0, mcr_reload(NULL));
}

TEST(whole_ring_writable_only_in_user_drain_mode)
{
	struct mcr_info info = { 0 };
	void *p;
	int fd;

	REQUIRE_MODULE();
	fd = open(MCR_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MCR_IOC_INFO, &info));
	EXPECT_FALSE(info.features & MCR_FEAT_USER_DRAIN);
	p = mmap(NULL, info.ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 MCR_MMAP_RING(MCR_RING_MPSC));
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
