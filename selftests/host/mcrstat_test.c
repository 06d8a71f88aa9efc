// SPDX-License-Identifier: GPL-2.0
/* mcrstat on a made-up /sys/kernel/mcrring: layout, order, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mcr_run.h"

static const char *tool(void)
{
	const char *dir = getenv("MCR_TOOLS");
	static char path[512];

	snprintf(path, sizeof(path), "%s/mcrstat", dir ? dir : "build/tools");
	return path;
}

static void put(const char *dir, const char *name, long long v)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%lld\n", v);
		fclose(f);
	}
}

static int run(const char *env, const char *args, char *out, size_t size)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "MCRSTAT_SYSFS=%s %s %s 2>&1", env, tool(),
		 args);
	return sh(cmd, out, size);
}

TEST(table_of_rings)
{
	static const char *const rings[] = {
		"cpu10", "mpsc", "cpu2", "cpu0", "kernel",
	};
	static const char *const counters[] = {
		"fill", "written", "drained", "dropped_full", "abandoned",
		"invalid", "discarded",
	};
	char root[64], dir[128], out[4096];

	if (access(tool(), X_OK))
		SKIP(return, "%s not built (make tools)", tool());
	snprintf(root, sizeof(root), "/tmp/mcrstat-%d", getpid());
	ASSERT_EQ(0, mkdir(root, 0700));
	for (int r = 0; r < 5; r++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, rings[r]);
		ASSERT_EQ(0, mkdir(dir, 0700));
		for (int c = 0; c < 7; c++)
			put(dir, counters[c], r * 100 + c);
		put(dir, "owner", r == 3 ? 4242 : -1);
	}
	put(root, "archived", 9);
	put(root, "archive_first_seq", 3);
	put(root, "lost_by_readers", 2);
	put(root, "drain_passes", 71);
	put(root, "drain_wakeups", 4);
	ASSERT_EQ(0, run(root, "", out, sizeof(out)));
	EXPECT_STREQ(
"ring     owner         fill      written      drained dropped_full    abandoned      invalid    discarded\n"
"kernel       -          400          401          402          403          404          405          406\n"
"mpsc         -          100          101          102          103          104          105          106\n"
"cpu0      4242          300          301          302          303          304          305          306\n"
"cpu2         -          200          201          202          203          204          205          206\n"
"cpu10        -            0            1            2            3            4            5            6\n"
"archive: 9 archived, oldest seq 3, 2 lost by readers\n"
"drain thread: 71 passes, 4 wake-ups from writers\n", out);
	snprintf(dir, sizeof(dir), "rm -rf %s", root);
	ASSERT_EQ(0, system(dir));
}

/* Issue 13: the oldest and newest records, with wall-clock times. */
TEST(archive_span)
{
	char root[64], path[96], out[4096];
	struct timespec mono;
	FILE *f;

	if (access(tool(), X_OK))
		SKIP(return, "%s not built (make tools)", tool());
	snprintf(root, sizeof(root), "/tmp/mcrstat-span-%d", getpid());
	ASSERT_EQ(0, mkdir(root, 0700));
	put(root, "archived", 9);
	put(root, "archive_first_seq", 3);
	snprintf(path, sizeof(path), "%s/archive_times", root);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	/* The newest written now, the oldest a day before. */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	fprintf(f, "%llu %llu\n",
		(unsigned long long)mono.tv_sec * 1000000000ULL - 86400000000000ULL,
		(unsigned long long)mono.tv_sec * 1000000000ULL);
	fclose(f);
	ASSERT_EQ(0, run(root, "| grep 'archive: seq'", out, sizeof(out)));
	{
		struct tm a = { 0 }, b = { 0 };
		char *p = strptime(out, "archive: seq 3 written %Y-%m-%dT%H:%M:%S", &a);
		long long now = time(NULL);

		ASSERT_NE(NULL, p) TH_LOG("%s", out);
		p = strchr(p, ' ');
		ASSERT_NE(NULL, p) TH_LOG("%s", out);
		ASSERT_NE(NULL, strptime(p, " to seq 8 written %Y-%m-%dT%H:%M:%S", &b))
			TH_LOG("%s", out);
		/* UTC, to the second, as the clocks stood when it ran. */
		EXPECT_GE(2, llabs(timegm(&a) - (now - 86400))) TH_LOG("%s", out);
		EXPECT_GE(2, llabs(timegm(&b) - now)) TH_LOG("%s", out);
	}
	/* An empty archive: no line. */
	put(root, "archive_first_seq", 9);
	ASSERT_EQ(0, run(root, "", out, sizeof(out)));
	EXPECT_EQ(NULL, strstr(out, "archive: seq")) TH_LOG("%s", out);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	ASSERT_EQ(0, system(path));
}

/* Issue 14: mcrfwd's cursors and its count of records it never saw. */
TEST(forwarder_state)
{
	char root[64], state[96], cmd[512], out[4096];
	FILE *f;

	if (access(tool(), X_OK))
		SKIP(return, "%s not built (make tools)", tool());
	snprintf(root, sizeof(root), "/tmp/mcrstat-fwd-%d", getpid());
	ASSERT_EQ(0, mkdir(root, 0700));
	put(root, "archived", 1000);
	snprintf(state, sizeof(state), "%s/instance", root);
	f = fopen(state, "w");
	ASSERT_NE(NULL, f);
	fputs("00c0ffee00c0ffee\n", f);
	fclose(f);
	snprintf(state, sizeof(state), "%s/fwd.state", root);
	f = fopen(state, "w");
	ASSERT_NE(NULL, f);
	fputs("mcrfwd-state 2\ninstance 00c0ffee00c0ffee\n"
	      "sink relp://logs:2514 940 7 0\nsink journal 1000 0 3\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "-s %s | tail -n 3", state);
	ASSERT_EQ(0, run(root, cmd, out, sizeof(out)));
	snprintf(cmd, sizeof(cmd),
		 "mcrfwd (%s):\n"
		 "  relp://logs:2514: next seq 940, 60 behind; 7 overwritten before forwarding, 0 refused\n"
		 "  journal: next seq 1000, 0 behind; 0 overwritten before forwarding, 3 refused\n",
		 state);
	EXPECT_STREQ(cmd, out);

	/* The module was reloaded since: sequences are not comparable. */
	put(root, "instance", 42);
	snprintf(cmd, sizeof(cmd), "-s %s | tail -n 1", state);
	ASSERT_EQ(0, run(root, cmd, out, sizeof(out)));
	EXPECT_STREQ("  journal: next seq 1000, of an earlier load of the module; 0 overwritten before forwarding, 3 refused\n",
		     out);
	/* No state file: no mcrfwd lines. */
	ASSERT_EQ(0, run(root, "-s /nonexistent", out, sizeof(out)));
	EXPECT_EQ(NULL, strstr(out, "mcrfwd")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ASSERT_EQ(0, system(cmd));
}

TEST(errors)
{
	char out[1024];

	if (access(tool(), X_OK))
		SKIP(return, "%s not built (make tools)", tool());
	EXPECT_EQ(1, run("/nonexistent", "", out, sizeof(out)));
	EXPECT_STREQ("mcrstat: /nonexistent: No such file or directory (is mcrring.ko loaded?)\n",
		     out);
	EXPECT_EQ(2, run("/tmp", "-w 0", out, sizeof(out)));
	EXPECT_EQ(2, run("/tmp", "-n x", out, sizeof(out)));
}

TEST_HARNESS_MAIN
