// SPDX-License-Identifier: GPL-2.0
/*
 * mcr_printk(), the kernel-side writer, through mcrring_selftest.ko: its
 * records reach the archive from the MPSC ring, and its errors reach the
 * caller.
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"

#define SELFTEST_KO "/lib/modules/mcrring_selftest.ko"

#define REQUIRE_SELFTEST_MODULE() do {					\
	if (geteuid() != 0)						\
		SKIP(return, "needs root to load modules");		\
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
	if (access(SELFTEST_KO, R_OK))					\
		SKIP(return, SELFTEST_KO " is missing");		\
} while (0)

/*
 * Count archive lines holding @needle until there are @want of them or
 * 10 s have passed, then read on briefly so duplicates would show too.
 */
static int count_lines(struct rd *r, const char *needle, int want,
		       char *last, size_t size)
{
	__u64 deadline = mcr_now_ms() + 10000, extra = 0;
	int n = 0;

	for (;;) {
		char *line;
		ssize_t len;

		if (n >= want && !extra)
			extra = mcr_now_ms() + 300;
		if (mcr_now_ms() > (extra ? extra : deadline))
			return n;
		len = rd_line(r, &line, 50);
		if (len == -ETIMEDOUT)
			continue;
		if (len < 0)
			return (int)len;
		if (strstr(line, needle)) {
			n++;
			snprintf(last, size, "%.*s", (int)size - 1, line);
		}
	}
}

TEST(records_reach_the_archive)
{
	char params[64], last[512], want[64];
	struct rd *r;

	REQUIRE_SELFTEST_MODULE();
	r = rd_open(O_NONBLOCK);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, lseek(r->fd, 0, SEEK_END));
	snprintf(params, sizeof(params), "count=100 text=kp%d", getpid());
	ASSERT_EQ(0, mcr_load_file(SELFTEST_KO, params));
	ASSERT_EQ(0, mcr_unload_name("mcrring_selftest"));
	snprintf(want, sizeof(want), ": kp%d", getpid());
	EXPECT_EQ(100, count_lines(r, want, 100, last, sizeof(last)));
	TH_LOG("last: %s", last);
	/* ring 0 (MPSC), facility 0, severity 5, not attested: "-". */
	EXPECT_NE(NULL, strstr(last, ",0,5,-;mcrring selftest 99/100: kp"));
	rd_close(r);
}

TEST(errors_reach_the_caller)
{
	REQUIRE_SELFTEST_MODULE();
	/* Facility 24 does not exist. */
	EXPECT_EQ(-EINVAL, mcr_load_file(SELFTEST_KO, "pri=192"));
	/* "mcrring selftest 0/1: hello" is 27 bytes; the limit is 4095. */
	EXPECT_EQ(-EMSGSIZE, mcr_load_file(SELFTEST_KO, "pad=4069"));
	EXPECT_EQ(-ENOENT, mcr_unload_name("mcrring_selftest"));
	EXPECT_EQ(0, mcr_load_file(SELFTEST_KO, "pad=4068"));
	EXPECT_EQ(0, mcr_unload_name("mcrring_selftest"));
}

TEST(mcrring_cannot_unload_under_its_user)
{
	REQUIRE_SELFTEST_MODULE();
	ASSERT_EQ(0, mcr_load_file(SELFTEST_KO, "count=0"));
	EXPECT_NE(0, mcr_unload());
	EXPECT_TRUE(mcr_loaded());
	ASSERT_EQ(0, mcr_unload_name("mcrring_selftest"));
}

TEST_HARNESS_MAIN
