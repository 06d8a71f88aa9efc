// SPDX-License-Identifier: GPL-2.0
/* The uapi header stands alone and says what it promises. */
#include <string.h>

#include <linux/mcrring.h>

#include "kselftest_harness.h"

TEST(abi_constants)
{
	EXPECT_STREQ("mcrlog", MCR_DEVICE_NAME);
	EXPECT_LT(0, MCR_ABI_VERSION);
}

TEST_HARNESS_MAIN
