// SPDX-License-Identifier: GPL-2.0
/*
 * The tools as a logger(1)/journalctl user runs them (issue 13): a pipe
 * delivered whole, mcrcat -c finding what mcrlog -c wrote, NUL bytes and
 * refusals that name their line, the caller's pid and a tag, and
 * --help/--version in every tool.
 */
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_run.h"

#define REQUIRE_TOOLS() do {						\
	if (access("/bin/mcrlog", X_OK) || access("/bin/mcrcat", X_OK))	\
		SKIP(return, "mcrlog/mcrcat not in /bin");		\
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
} while (0)

static char out[1 << 20];

/* The count @cmd prints, once it is @want or stopped moving for 5 s. */
static long wait_count(const char *cmd, long want)
{
	return mcr_wait_count(cmd, want, 5000);
}

/*
 * Issue 13, 5: `seq 3000 | mcrlog` lost 1,208 lines to a full ring. Now
 * mcrlog waits for room; --drop keeps the old way and names each line.
 */
TEST(a_pipe_is_delivered_whole)
{
	char cmd[256];
	long n;

	REQUIRE_TOOLS();
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("ring_ndesc=64"));
	snprintf(cmd, sizeof(cmd), "seq 3000 | mcrlog -c 1 -t pipe%d 2>&1",
		 getpid());
	EXPECT_EQ(0, sh(cmd, out, sizeof(out))) TH_LOG("%.300s", out);
	EXPECT_STREQ("", out);
	snprintf(cmd, sizeof(cmd), "mcrcat -c 1 -t pipe%d | wc -l", getpid());
	n = wait_count(cmd, 3000);
	EXPECT_EQ(3000, n);

	snprintf(cmd, sizeof(cmd),
		 "seq 3000 | mcrlog -c 1 --drop -t drop%d 2>&1 >/dev/null | head -1",
		 getpid());
	sh(cmd, out, sizeof(out));
	EXPECT_EQ(0, strncmp("mcrlog: line ", out, 13)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ": ring full, not logged\n"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, mcr_reload(NULL));
}

/*
 * Issue 13, 1: mcrcat -c 1 shows what mcrlog -c 1 wrote, though mcrlog
 * ran on CPU 0.
 */
TEST(mcrcat_c_finds_what_mcrlog_c_wrote)
{
	char cmd[256];
	cpu_set_t set;
	pid_t pid;
	int status;

	REQUIRE_TOOLS();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char msg[64];

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
		snprintf(msg, sizeof(msg), "ring not cpu %d", getppid());
		execl("/bin/mcrlog", "mcrlog", "-c", "1", msg, NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	snprintf(cmd, sizeof(cmd), "mcrcat -c 1 -g 'ring not cpu %d$' | wc -l",
		 getpid());
	EXPECT_EQ(1, wait_count(cmd, 1));
	/* The writer's CPU is a filter of its own. */
	snprintf(cmd, sizeof(cmd),
		 "mcrcat --writer-cpu 0 -g 'ring not cpu %d$' | wc -l", getpid());
	EXPECT_EQ(1, wait_count(cmd, 1));
}

/*
 * Issue 13, 5: a NUL byte was a silent cut. Now the line is logged whole
 * (shown as \x00), or with fields refused, and refusals name the line.
 */
TEST(nul_bytes_and_refusals_name_their_line)
{
	char cmd[256];

	REQUIRE_TOOLS();
	snprintf(cmd, sizeof(cmd), "printf 'n%d a\\000b\\n' | mcrlog 2>&1",
		 getpid());
	EXPECT_EQ(0, sh(cmd, out, sizeof(out))) TH_LOG("%s", out);
	/* -g sees the message up to a NUL; the line shows all of it. */
	snprintf(cmd, sizeof(cmd), "mcrcat -g '^n%d a$' | grep -c ';n%d a\\\\x00b$'",
		 getpid(), getpid());
	EXPECT_EQ(1, wait_count(cmd, 1));

	EXPECT_EQ(1, sh("printf 'ok\\nx\\000y\\n' | mcrlog -k K=v 2>&1", out,
			sizeof(out)));
	EXPECT_STREQ("mcrlog: line 2: a NUL byte in a message with fields, not logged\n",
		     out);
	snprintf(cmd, sizeof(cmd),
		 "(echo short; head -c 5000 /dev/zero | tr '\\000' x; echo) | mcrlog 2>&1");
	EXPECT_EQ(1, sh(cmd, out, sizeof(out)));
	EXPECT_STREQ("mcrlog: line 2: message longer than 4096 bytes, not logged\n",
		     out);
	EXPECT_EQ(2, sh("mcrlog -k 'no equals' x 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrlog: bad value 'no equals' for -k: KEY=value, KEY of A-Z a-z 0-9 _\n",
		     out);
	EXPECT_EQ(2, sh("mcrlog -c -1 x 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrlog: bad value '-1' for -c: a CPU number\n", out);
}

/* Issue 13, 1: the caller's pid (mcrlog --id=$$) is what mcrcat --pid finds. */
TEST(the_callers_pid_and_tag)
{
	char cmd[256];
	int shpid;

	REQUIRE_TOOLS();
	ASSERT_EQ(0, sh("sh -c 'mcrlog -t mytag --id=$$ \"from the shell $$\" && echo $$'",
			out, sizeof(out)));
	ASSERT_EQ(1, sscanf(out, "%d", &shpid));
	snprintf(cmd, sizeof(cmd),
		 "mcrcat --pid %d -t mytag -g '^from the shell %d$' | wc -l",
		 shpid, shpid);
	EXPECT_EQ(1, wait_count(cmd, 1));
	/* RFC 5424: APP-NAME the tag, PROCID the caller. */
	snprintf(cmd, sizeof(cmd), "mcrcat -o syslog --pid %d", shpid);
	EXPECT_EQ(0, sh(cmd, out, sizeof(out)));
	snprintf(cmd, sizeof(cmd), " mytag %d - [fields@32473 ", shpid);
	EXPECT_NE(NULL, strstr(out, cmd)) TH_LOG("%s", out);
}

/*
 * Issue 13, 7: a record just logged was not readable yet (up to
 * poll_max_ms). With --sync, a reader started next sees it, however long
 * the drain thread would sleep.
 */
TEST(sync_returns_once_archived)
{
	const char *param = "/sys/module/mcrring/parameters/poll_max_ms";
	char cmd[256];

	REQUIRE_TOOLS();
	ASSERT_EQ(0, write_str(param, "20000"));
	sleep_us(500000);		/* the drain thread's sleeps grow */
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd),
			 "mcrlog --sync -t sync%d-%d x && mcrcat -t sync%d-%d | wc -l",
			 getpid(), i, getpid(), i);
		EXPECT_EQ(0, sh(cmd, out, sizeof(out)));
		EXPECT_STREQ("1\n", out);
		snprintf(cmd, sizeof(cmd),
			 "mcrlog --sync -c 1 -t syncc%d-%d x && mcrcat -t syncc%d-%d | wc -l",
			 getpid(), i, getpid(), i);
		EXPECT_EQ(0, sh(cmd, out, sizeof(out)));
		EXPECT_STREQ("1\n", out);
	}
	ASSERT_EQ(0, write_str(param, "100"));
}

/* logger's -f FILE, -e and -s. */
TEST(file_skip_empty_and_stderr)
{
	char cmd[256], file[64];
	FILE *f;

	REQUIRE_TOOLS();
	snprintf(file, sizeof(file), "/tmp/mcrlog-%d", getpid());
	f = fopen(file, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "one %d\n\ntwo %d\n", getpid(), getpid());
	fclose(f);
	snprintf(cmd, sizeof(cmd), "mcrlog -e -s -t f%d -f %s 2>&1", getpid(),
		 file);
	EXPECT_EQ(0, sh(cmd, out, sizeof(out)));
	snprintf(cmd, sizeof(cmd), "one %d\ntwo %d\n", getpid(), getpid());
	EXPECT_STREQ(cmd, out);
	snprintf(cmd, sizeof(cmd), "mcrcat -t f%d | wc -l", getpid());
	EXPECT_EQ(2, wait_count(cmd, 2));
	unlink(file);
}

/* Issue 13, 3: no tool accepted --help or --version. */
TEST(help_and_version_in_every_tool)
{
	static const char *const tools[] = {
		"mcrlog", "mcrcat", "mcrstat", "mcrtrace",
	};
	char cmd[128], want[64];

	REQUIRE_TOOLS();
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(cmd, sizeof(cmd), "/bin/%s", tools[i]);
		if (access(cmd, X_OK))
			continue;	/* mcrtrace is not in every image */
		snprintf(cmd, sizeof(cmd), "%s --help", tools[i]);
		EXPECT_EQ(0, sh(cmd, out, sizeof(out))) TH_LOG("%s", cmd);
		snprintf(want, sizeof(want), "usage: %s ", tools[i]);
		EXPECT_EQ(0, strncmp(want, out, strlen(want))) TH_LOG("%s", out);
		snprintf(cmd, sizeof(cmd), "%s --version", tools[i]);
		EXPECT_EQ(0, sh(cmd, out, sizeof(out))) TH_LOG("%s", cmd);
		snprintf(want, sizeof(want), "%s (mcrring) %s\n", tools[i],
			 MCR_VERSION);
		EXPECT_STREQ(want, out);
	}
}

TEST_HARNESS_MAIN
