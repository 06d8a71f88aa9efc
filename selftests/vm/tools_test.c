// SPDX-License-Identifier: GPL-2.0
/*
 * mcrlog, mcrcat and mcrstat against the module: names and fields end to
 * end, mcrcat -f follows and stops cleanly on SIGINT, clear errors when
 * the module is missing or access is denied, mcrstat's table.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_run.h"

#define REQUIRE_TOOLS() do {						\
	if (access("/bin/mcrlog", X_OK) || access("/bin/mcrcat", X_OK) ||	\
	    access("/bin/mcrstat", X_OK))				\
		SKIP(return, "mcrlog/mcrcat/mcrstat not in /bin");	\
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
} while (0)

TEST(mcrlog_to_mcrcat_json)
{
	char out[8192], cmd[512], want[128];

	REQUIRE_TOOLS();
	snprintf(cmd, sizeof(cmd),
		 "mcrlog -p local3.warning -k RUN=%d -k Q='a b' 'tools test %d' 2>&1",
		 getpid(), getpid());
	ASSERT_EQ(0, sh(cmd, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"message\":\"tools test %d\"", getpid());
	/*
	 * The drain thread moves it within one poll interval (100 ms); 2 s
	 * of tries, stretched.
	 */
	for (unsigned int i = 0; i < 100 * mcr_time_scale(); i++) {
		ASSERT_EQ(0, sh("mcrcat -o json -p local3.warning", out,
				sizeof(out)));
		if (strstr(out, want))
			break;
		usleep(20000);
	}
	TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, want));
	EXPECT_NE(NULL, strstr(out, "\"facility\":\"local3\",\"severity\":\"warning\""));
	EXPECT_NE(NULL, strstr(out, "\"Q\":\"a b\""));
}

TEST(mcrcat_follows_and_stops_on_sigint)
{
	char *const argv[] = { "mcrcat", "-f", "-e", NULL };
	char buf[4096] = "", msg[64];
	int fd, status;
	size_t have = 0;
	pid_t pid;

	REQUIRE_TOOLS();
	pid = spawn_piped("/bin/mcrcat", argv, &fd);
	ASSERT_LE(0, pid);
	snprintf(msg, sizeof(msg), "follow me %d", getpid());
	for (unsigned long long end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	     !strstr(buf, msg) && mcr_now_ms() < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char cmd[128];

		/* Logged again until seen: mcrcat -e may start after it. */
		snprintf(cmd, sizeof(cmd), "mcrlog '%s'", msg);
		ASSERT_EQ(0, system(cmd));
		if (poll(&p, 1, 200) == 1) {
			ssize_t n = read(fd, buf + have,
					 sizeof(buf) - 1 - have);

			ASSERT_LT(0, n);
			have += n;
			buf[have] = '\0';
		}
	}
	EXPECT_NE(NULL, strstr(buf, msg)) TH_LOG("got: %s", buf);
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(fd);
}

TEST(clear_errors)
{
	char out[1024];

	REQUIRE_TOOLS();
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_unload());
	EXPECT_EQ(1, sh("mcrlog hello 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrlog: /dev/mcrlog: No such file or directory (is mcrring.ko loaded?)\n",
		     out);
	EXPECT_EQ(1, sh("mcrcat 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrcat: /dev/mcrlog: No such file or directory (is mcrring.ko loaded?)\n",
		     out);
	ASSERT_EQ(0, mcr_load(NULL));	/* mode 0600: root only */
	EXPECT_EQ(1, sh("su -s /bin/sh nobody -c 'mcrlog hello' 2>&1", out,
			sizeof(out)));
	EXPECT_STREQ("mcrlog: /dev/mcrlog: Permission denied (check the device's mode and group)\n",
		     out);
	EXPECT_EQ(2, sh("mcrlog -p nosuch.info x 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrlog: bad value 'nosuch.info' for -p: [FACILITY.]SEVERITY\n",
		     out);
	EXPECT_EQ(2, sh("mcrlog -c foo x 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrlog: bad value 'foo' for -c: a CPU number\n", out);
	EXPECT_EQ(2, sh("mcrlog -c -1 x 2>&1", out, sizeof(out)));
}

TEST(mcrstat_shows_the_rings)
{
	char out[8192], *mpsc;
	long long fill, written, drained;

	REQUIRE_TOOLS();
	ASSERT_EQ(0, sh("mcrlog 'for mcrstat' && mcrstat -w 1 -n 2", out,
			sizeof(out)));
	TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp("ring     owner         fill", out, 26));
	mpsc = strstr(out, "\nmpsc ");
	ASSERT_NE(NULL, mpsc);
	ASSERT_EQ(3, sscanf(mpsc, "\nmpsc - %lld %lld %lld", &fill, &written,
			    &drained));
	/* Just logged: still in the ring, or drained and counted. */
	EXPECT_LE(1, fill + written);
	EXPECT_LE(drained, written);
	EXPECT_NE(NULL, strstr(out, "\ncpu0 "));
	/* Printed twice, a second apart. */
	EXPECT_NE(NULL, strstr(strstr(out, "drain thread:") + 1,
			       "drain thread:"));
}

/* Issue 13: the archive's oldest and newest records, and their times. */
TEST(archive_times_span_what_was_written)
{
	unsigned long long before = mcr_now_ns(), first, last;
	char out[8192], buf[64];
	int fd;
	ssize_t n;

	REQUIRE_TOOLS();
	ASSERT_EQ(0, sh("mcrlog --sync 'for the span' && mcrstat", out,
			sizeof(out))) TH_LOG("%s", out);
	fd = open(MCR_SYSFS "archive_times", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	ASSERT_EQ(2, sscanf(buf, "%llu %llu", &first, &last)) TH_LOG("%s", buf);
	/* The newest is ours or later: stamped after before, before now. */
	EXPECT_LE(first, last);
	EXPECT_LE(before, last);
	EXPECT_GE(mcr_now_ns(), last);
	EXPECT_NE(NULL, strstr(out, "\narchive: seq ")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
