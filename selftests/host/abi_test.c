// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI of uapi/linux/mcrring.h, pinned: every size, offset and number
 * userspace programs compile in. A change here breaks binaries built
 * against an older header and must come with a new MCR_ABI_VERSION.
 */
#include <stddef.h>
#include <string.h>

#include <linux/mcrring.h>

#include "kselftest_harness.h"

#define OFF(type, field) offsetof(struct type, field)

TEST(constants)
{
	EXPECT_STREQ("mcrlog", MCR_DEVICE_NAME);
	EXPECT_EQ(2, MCR_ABI_VERSION);
	EXPECT_EQ(4096, MCR_TEXT_MAX);
	EXPECT_EQ(0x6d637231, MCR_RING_MAGIC);
	EXPECT_EQ(0, MCR_CONS_OFF);
	EXPECT_EQ(4096, MCR_PROD_OFF);
	EXPECT_EQ(8192, MCR_DESC_OFF);
	EXPECT_EQ(1ULL << 32, MCR_MMAP_RING(1));
	EXPECT_EQ(0, MCR_RING_MPSC);
	EXPECT_EQ(3, MCR_RING_SPSC(2));
	EXPECT_EQ(191, MCR_PRI(23, 7));
}

TEST(descriptor_layout)
{
	EXPECT_EQ(64, sizeof(struct mcr_desc));
	EXPECT_EQ(0, OFF(mcr_desc, state_var));
	EXPECT_EQ(8, OFF(mcr_desc, ts_ns));
	EXPECT_EQ(16, OFF(mcr_desc, pos));
	EXPECT_EQ(20, OFF(mcr_desc, pid));
	EXPECT_EQ(24, OFF(mcr_desc, tid));
	EXPECT_EQ(28, OFF(mcr_desc, len));
	EXPECT_EQ(30, OFF(mcr_desc, pri));
	EXPECT_EQ(31, OFF(mcr_desc, flags));
	EXPECT_EQ(32, OFF(mcr_desc, resv));
	/* state_var packing */
	EXPECT_EQ(0x0000000500030002ULL, MCR_SV(5, 3, MCR_DESC_COMMITTED));
	EXPECT_EQ(5, MCR_SV_SEQ(MCR_SV(5, 3, 2)));
	EXPECT_EQ(3, MCR_SV_CPU(MCR_SV(5, 3, 2)));
	EXPECT_EQ(2, MCR_SV_STATE(MCR_SV(5, 3, 2)));
}

TEST(ring_pages_layout)
{
	EXPECT_EQ(4096, sizeof(struct mcr_prod));
	EXPECT_EQ(0, OFF(mcr_prod, head));
	EXPECT_EQ(8, OFF(mcr_prod, cached_tail));
	EXPECT_EQ(16, OFF(mcr_prod, dropped_full));

	EXPECT_EQ(4096, sizeof(struct mcr_cons));
	EXPECT_EQ(0, OFF(mcr_cons, magic));
	EXPECT_EQ(8, OFF(mcr_cons, ndesc));
	EXPECT_EQ(12, OFF(mcr_cons, data_size));
	EXPECT_EQ(16, OFF(mcr_cons, data_off));
	EXPECT_EQ(24, OFF(mcr_cons, ring_size));
	EXPECT_EQ(32, OFF(mcr_cons, ring_id));
	/* what writers poll sits alone on the second cache line */
	EXPECT_EQ(64, OFF(mcr_cons, tail));
	EXPECT_EQ(72, OFF(mcr_cons, flags));
	EXPECT_EQ(128, OFF(mcr_cons, drained));
	EXPECT_EQ(136, OFF(mcr_cons, abandoned));
	EXPECT_EQ(144, OFF(mcr_cons, invalid));
	EXPECT_EQ(152, OFF(mcr_cons, discarded));
	/* the writers' clock: read by every write, written once a second */
	EXPECT_EQ(192, OFF(mcr_cons, clock));
	EXPECT_EQ(64, sizeof(struct mcr_clock));
	EXPECT_EQ(0, OFF(mcr_clock, seq));
	EXPECT_EQ(8, OFF(mcr_clock, tsc_base));
	EXPECT_EQ(16, OFF(mcr_clock, ns_base));
	EXPECT_EQ(24, OFF(mcr_clock, mult));
	EXPECT_EQ(32, OFF(mcr_clock, tsc_limit));
	EXPECT_EQ(32, MCR_CLOCK_SHIFT);
}

TEST(ioctl_structs_and_numbers)
{
	EXPECT_EQ(64, sizeof(struct mcr_info));
	EXPECT_EQ(24, OFF(mcr_info, ring_size));
	EXPECT_EQ(32, OFF(mcr_info, resv));
	EXPECT_EQ(24, sizeof(struct mcr_claim));
	EXPECT_EQ(8, OFF(mcr_claim, resv));
	EXPECT_EQ(88, sizeof(struct mcr_counters));
	EXPECT_EQ(8, OFF(mcr_counters, written));
	EXPECT_EQ(56, OFF(mcr_counters, resv));
	EXPECT_EQ(0x8040b701U, MCR_IOC_INFO);
	EXPECT_EQ(0x4018b702U, MCR_IOC_CLAIM);
	EXPECT_EQ(0x0000b703U, MCR_IOC_WAKE);
	EXPECT_EQ(0xc058b704U, MCR_IOC_COUNTERS);
}

TEST_HARNESS_MAIN
