// SPDX-License-Identifier: GPL-2.0
/*
 * mcrcat on a saved copy of the archive: each output format, each
 * filter, the option vocabulary the tools share, bad arguments, and a
 * reader that goes away (head -1).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mcr_run.h"

static const char archive[] =
	"# mcrring: 3 records lost\n"
	"3,1000000000,0,1,42,43,3,6,-;hello \\x0aworld\n"
	"4,2000000000,1,0,50,50,1,3,50/0;bad thing\tK=v\"x\tE=\n"
	"5,3000000000,0,1,42,43,3,7,-;debug\n";

static const char *mcrcat(void)
{
	const char *dir = getenv("MCR_TOOLS");
	static char path[512];

	snprintf(path, sizeof(path), "%s/mcrcat", dir ? dir : "build/tools");
	return path;
}

FIXTURE(cat) {
	char file[64];
	char out[8192];
};

FIXTURE_SETUP(cat)
{
	FILE *f;

	snprintf(self->file, sizeof(self->file), "/tmp/mcrcat-%d", getpid());
	f = fopen(self->file, "w");
	ASSERT_NE(NULL, f);
	fputs(archive, f);
	fclose(f);
}

FIXTURE_TEARDOWN(cat)
{
	unlink(self->file);
}

/* Run mcrcat -d FILE ARGS; its stdout (and stderr) into self->out. */
static int run(FIXTURE_DATA(cat) *self, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s -d %s %s 2>&1", mcrcat(), self->file,
		 args);
	return sh(cmd, self->out, sizeof(self->out));
}

/* The same, with the "time" of JSON objects taken out (it is tested apart). */
static int run_notime(FIXTURE_DATA(cat) *self, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "%s -d %s %s 2>&1 | sed -E 's/\"time\":\"[^\"]*\",//'",
		 mcrcat(), self->file, args);
	return sh(cmd, self->out, sizeof(self->out));
}

/* Replace the saved archive with @text. */
static void rewrite(FIXTURE_DATA(cat) *self, const char *text)
{
	FILE *f = fopen(self->file, "w");

	fputs(text, f);
	fclose(f);
}

#define REQUIRE_MCRCAT() do {						\
	if (access(mcrcat(), X_OK))					\
		SKIP(return, "%s not built (make tools)", mcrcat());	\
} while (0)

TEST_F(cat, text_is_the_archive_byte_for_byte)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, ""));
	EXPECT_STREQ(archive, self->out);
}

TEST_F(cat, json_lines)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run_notime(self, "-o json --seq 3:4"));
	EXPECT_STREQ("{\"lost\":3}\n"
		     "{\"seq\":3,\"ts_ns\":1000000000,\"ring\":0,\"cpu\":1,\"pid\":42,\"tid\":43,\"facility\":\"daemon\",\"severity\":\"info\",\"message\":\"hello \\u000aworld\"}\n"
		     "{\"seq\":4,\"ts_ns\":2000000000,\"ring\":1,\"cpu\":0,\"pid\":50,\"tid\":50,\"facility\":\"user\",\"severity\":\"err\",\"owner_pid\":50,\"owner_uid\":0,\"message\":\"bad thing\",\"fields\":{\"K\":\"v\\\"x\",\"E\":\"\"}}\n",
		     self->out);
}

TEST_F(cat, syslog_rfc5424)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "-o syslog --seq 4"));
	EXPECT_EQ(0, strncmp("# mcrring: 3 records lost\n<11>1 ", self->out, 32))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out,
			       " - 50 - [fields@32473 K=\"v\\\"x\" E=\"\"] bad thing\n"))
		TH_LOG("%s", self->out);
}

TEST_F(cat, filters)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "-p err"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "4,2000000000,1,0,50,50,1,3,50/0;bad thing\tK=v\"x\tE=\n",
		     self->out);
	ASSERT_EQ(0, run(self, "-p daemon.info --writer-cpu 1 --pid 42"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "3,1000000000,0,1,42,43,3,6,-;hello \\x0aworld\n", self->out);
	ASSERT_EQ(0, run(self, "--seq 5:9 --facility 3"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "5,3000000000,0,1,42,43,3,7,-;debug\n", self->out);
}

TEST_F(cat, bad_arguments_exit_2)
{
	REQUIRE_MCRCAT();
	EXPECT_EQ(2, run(self, "-p bogus"));
	EXPECT_STREQ("mcrcat: bad value 'bogus' for -p: [FACILITY.]SEVERITY\n",
		     self->out);
	EXPECT_EQ(2, run(self, "--facility 24"));
	EXPECT_STREQ("mcrcat: bad value '24' for --facility: a facility name or 0-23\n",
		     self->out);
	EXPECT_EQ(2, run(self, "--seq 9:3"));
	EXPECT_EQ(2, run(self, "-o xml"));
	EXPECT_EQ(2, run(self, "extra"));
	/* Issue 13, 9: a negative pid meant "any". */
	EXPECT_EQ(2, run(self, "--pid -5"));
	EXPECT_EQ(2, run(self, "-c -1"));
	EXPECT_EQ(2, run(self, "-r cpu"));
	EXPECT_EQ(2, run(self, "-n 0"));
	EXPECT_EQ(2, run(self, "-S yesterdayish"));
	EXPECT_EQ(2, run(self, "-g '('"));
	EXPECT_EQ(2, run(self, "--bogus"));
}

/* Issue 13, 3: every tool answers --help and --version. */
TEST_F(cat, help_and_version)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "--help"));
	EXPECT_EQ(0, strncmp("usage: mcrcat", self->out, 13));
	ASSERT_EQ(0, run(self, "-h"));
	EXPECT_EQ(0, strncmp("usage: mcrcat", self->out, 13));
	ASSERT_EQ(0, run(self, "--version"));
	EXPECT_EQ(0, strncmp("mcrcat (mcrring) ", self->out, 17));
	ASSERT_EQ(0, run(self, "-V"));
	EXPECT_EQ(0, strncmp("mcrcat (mcrring) ", self->out, 17));
}

/*
 * Issue 13, 1: -c N is CPU N's ring, where mcrlog -c N writes (ring
 * 1 + N), whatever CPU the writer ran on; --writer-cpu is the other.
 */
TEST_F(cat, rings_by_name_and_by_cpu)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "-c 0"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "4,2000000000,1,0,50,50,1,3,50/0;bad thing\tK=v\"x\tE=\n",
		     self->out);
	ASSERT_EQ(0, run(self, "--ring cpu0"));
	EXPECT_NE(NULL, strstr(self->out, "\n4,"));
	EXPECT_EQ(NULL, strstr(self->out, "\n3,"));
	ASSERT_EQ(0, run(self, "-r mpsc"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "3,1000000000,0,1,42,43,3,6,-;hello \\x0aworld\n"
		     "5,3000000000,0,1,42,43,3,7,-;debug\n", self->out);
	ASSERT_EQ(0, run(self, "-r 1"));
	EXPECT_NE(NULL, strstr(self->out, "\n4,"));
	ASSERT_EQ(0, run(self, "-c 1"));
	EXPECT_STREQ("# mcrring: 3 records lost\n", self->out);
}

/*
 * mcrlog -t and -i: the tag and the caller's pid travel as the fields
 * SYSLOG_IDENTIFIER and SYSLOG_PID, which -t and --pid match and the
 * syslog and short outputs use, as journald does.
 */
TEST_F(cat, tags_and_the_callers_pid)
{
	REQUIRE_MCRCAT();
	rewrite(self,
		"1,1000,0,0,77,77,1,5,-;from a script\tSYSLOG_IDENTIFIER=backup\tSYSLOG_PID=4242\n"
		"2,2000,0,0,77,77,1,5,-;untagged\n");
	ASSERT_EQ(0, run(self, "-t backup"));
	EXPECT_EQ(0, strncmp("1,", self->out, 2));
	EXPECT_EQ(NULL, strstr(self->out, "\n2,"));
	ASSERT_EQ(0, run(self, "--pid 4242"));
	EXPECT_EQ(0, strncmp("1,", self->out, 2));
	EXPECT_EQ(NULL, strstr(self->out, "\n2,"));
	ASSERT_EQ(0, run(self, "--pid 77"));
	EXPECT_EQ(0, strncmp("2,", self->out, 2)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self, "-o syslog"));
	EXPECT_NE(NULL, strstr(self->out, " backup 4242 - [fields@32473 "))
		TH_LOG("%s", self->out);
	/* Issue 13, 8: no tag is the NIL value, not "mcrring". */
	EXPECT_NE(NULL, strstr(self->out, " - 77 - - untagged\n"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self, "-o short"));
	EXPECT_NE(NULL, strstr(self->out, " mpsc user.notice backup[4242]: from a script\n"))
		TH_LOG("%s", self->out);
}

TEST_F(cat, grep_and_last_n)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "-g 'wor|^deb'"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "3,1000000000,0,1,42,43,3,6,-;hello \\x0aworld\n"
		     "5,3000000000,0,1,42,43,3,7,-;debug\n", self->out);
	/* Fields are not the message. */
	ASSERT_EQ(0, run(self, "-g K=v"));
	EXPECT_STREQ("# mcrring: 3 records lost\n", self->out);
	ASSERT_EQ(0, run(self, "-n 2"));
	EXPECT_STREQ("4,2000000000,1,0,50,50,1,3,50/0;bad thing\tK=v\"x\tE=\n"
		     "5,3000000000,0,1,42,43,3,7,-;debug\n", self->out);
	ASSERT_EQ(0, run(self, "-n 1 -p err"));
	EXPECT_STREQ("4,2000000000,1,0,50,50,1,3,50/0;bad thing\tK=v\"x\tE=\n",
		     self->out);
	ASSERT_EQ(0, run(self, "-n 100"));
	EXPECT_NE(NULL, strstr(self->out, "3,1000000000"));
}

/*
 * Issue 13, 2: wall-clock time from the monotonic stamp, and --since /
 * --until on it. A record stamped now must read as now (within 2 s).
 */
/* @ns of CLOCK_REALTIME formatted by @fmt, in UTC or local time. */
static void fmt_time(char *buf, size_t size, const char *fmt, long long ns,
		     int local)
{
	time_t t = ns / 1000000000;
	struct tm tm;

	if (local)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	strftime(buf, size, fmt, &tm);
}

static long long real_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * Run mcrcat with @args while the clock stays inside one unit of @fmt
 * (a minute, a local day) and set @unit to it: a boundary crossed during
 * the run is seen and the run repeated, so the test is right at 23:59:59.
 */
static int run_within(FIXTURE_DATA(cat) *self, const char *args,
		      const char *fmt, int local, char *unit, size_t size)
{
	char after[32];
	int ret, i;

	for (i = 0; i < 3; i++) {
		fmt_time(unit, size, fmt, real_ns(), local);
		ret = run(self, args);
		fmt_time(after, sizeof(after), fmt, real_ns(), local);
		if (!strcmp(unit, after))
			break;
	}
	return ret;
}

/*
 * Records stamped an hour ago and now, against times relative to now and
 * to local midnight. The test must hold at any time of day, in any time
 * zone and however long the machine has been up (an hour before the boot
 * the stamp wraps below zero, which is still an hour ago).
 */
TEST_F(cat, wall_clock_time_since_and_until)
{
	char line[256], unit[32], day_old[32];
	unsigned long long ts;
	struct timespec mono;
	long long real;
	int i;

	REQUIRE_MCRCAT();
	clock_gettime(CLOCK_MONOTONIC, &mono);
	real = real_ns();
	ts = mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	snprintf(line, sizeof(line),
		 "1,%llu,0,0,1,1,1,6,-;an hour ago\n2,%llu,0,0,1,1,1,6,-;now\n",
		 ts - 3600000000000ULL, ts);
	rewrite(self, line);

	ASSERT_EQ(0, run_within(self, "-o short -S -10min", "%Y-%m-%dT%H:%M",
				0, unit, sizeof(unit)));
	EXPECT_EQ(0, strncmp(unit, self->out, strlen(unit)))
		TH_LOG("want %s..., got %s", unit, self->out);
	EXPECT_NE(NULL, strstr(self->out, "Z mpsc user.info [1]: now\n"));
	EXPECT_EQ(NULL, strstr(self->out, "hour"));

	ASSERT_EQ(0, run(self, "-U -30min"));
	EXPECT_EQ(0, strncmp("1,", self->out, 2));
	EXPECT_EQ(NULL, strstr(self->out, "\n2,"));

	/*
	 * "today" is local midnight. In a zone where it is now 00:30 an hour
	 * ago is yesterday; where it is 12:30, today: both, whatever the hour.
	 */
	for (i = 0; i < 2; i++) {
		int now_min = real / 60000000000LL % 1440;
		int off = (now_min - (i ? 750 : 30) + 1440) % 1440;
		char tz[32];

		snprintf(tz, sizeof(tz), "MCR%d:%02d", off / 60, off % 60);
		setenv("TZ", tz, 1);
		tzset();
		ASSERT_EQ(0, run_within(self, "-S today -U now", "%Y-%m-%d", 1,
					unit, sizeof(unit)));
		fmt_time(day_old, sizeof(day_old), "%Y-%m-%d",
			 real - 3600000000000LL, 1);
		EXPECT_EQ(i, !strcmp(day_old, unit))
			TH_LOG("TZ=%s: today %s, an hour ago %s", tz, unit, day_old);
		if (strcmp(day_old, unit)) {
			EXPECT_EQ(0, strncmp("2,", self->out, 2))
				TH_LOG("TZ=%s: %s", tz, self->out);
		} else {
			EXPECT_EQ(0, strncmp("1,", self->out, 2))
				TH_LOG("TZ=%s: %s", tz, self->out);
			EXPECT_NE(NULL, strstr(self->out, "\n2,"))
				TH_LOG("TZ=%s: %s", tz, self->out);
		}
	}
	unsetenv("TZ");

	ASSERT_EQ(0, run(self, "-o json -S -1min"));
	EXPECT_NE(NULL, strstr(self->out, "\"time\":\"2"));
}

/* Issue 13, 4: JSON strings are UTF-8; only invalid bytes are escaped. */
TEST_F(cat, json_is_utf8)
{
	REQUIRE_MCRCAT();
	rewrite(self, "1,1,0,0,1,1,1,6,-;a \\xe2\\x86\\x92 b \\xff c \\xed\\xa0\\x80 d\n");
	ASSERT_EQ(0, run_notime(self, "-o json"));
	EXPECT_NE(NULL, strstr(self->out,
			       "\"message\":\"a \xe2\x86\x92 b \\u00ff c \\u00ed\\u00a0\\u0080 d\"}"))
		TH_LOG("%s", self->out);
	/* RFC 5424: the message as UTF-8; backslash and bad bytes as \xNN. */
	rewrite(self, "1,1,0,0,1,1,1,6,-;a \\xe2\\x86\\x92 \\x5c \\xff\n");
	ASSERT_EQ(0, run(self, "-o syslog"));
	EXPECT_NE(NULL, strstr(self->out, " - - a \xe2\x86\x92 \\x5c \\xff\n"))
		TH_LOG("%s", self->out);
}

/* Issue 13, 7: asking for records that were overwritten is an error. */
TEST_F(cat, overwritten_records_are_reported)
{
	REQUIRE_MCRCAT();
	EXPECT_EQ(1, run(self, "--seq 0:5"));
	EXPECT_NE(NULL, strstr(self->out,
			       "mcrcat: records 0 to 2 were overwritten before this reader started\n"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\n3,1000000000"));
	EXPECT_EQ(0, run(self, "--seq 3:5"));
}

/* Issue 13, 9: -f on a file waits for it to grow, as tail -f. */
TEST_F(cat, follow_a_file)
{
	char *const argv[] = { "mcrcat", "-f", "-d", self->file, NULL };
	char buf[4096] = "";
	size_t have = 0;
	int fd, status;
	pid_t pid;
	FILE *f;

	REQUIRE_MCRCAT();
	pid = spawn_piped(mcrcat(), argv, &fd);
	ASSERT_LE(0, pid);
	f = fopen(self->file, "a");
	ASSERT_NE(NULL, f);
	fputs("6,4000000000,0,1,42,43,3,6,-;appended\n", f);
	fclose(f);
	while (!strstr(buf, "appended\n") && have < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
	}
	EXPECT_NE(NULL, strstr(buf, "6,4000000000,0,1,42,43,3,6,-;appended\n"));
	kill(pid, SIGINT);
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
}

TEST_F(cat, missing_file_is_a_clear_error)
{
	char cmd[600];
	FILE *p;
	int status;

	REQUIRE_MCRCAT();
	snprintf(cmd, sizeof(cmd), "%s -d /nonexistent/mcrlog 2>&1", mcrcat());
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, fgets(self->out, sizeof(self->out), p));
	status = pclose(p);
	EXPECT_EQ(1, WEXITSTATUS(status));
	EXPECT_STREQ("mcrcat: /nonexistent/mcrlog: No such file or directory\n",
		     self->out);
}

TEST_F(cat, reader_going_away_is_no_error)
{
	char *const argv[] = { "mcrcat", "-d", self->file, NULL };
	char line[64];
	int fd, status;
	FILE *f;
	pid_t pid;

	REQUIRE_MCRCAT();
	f = fopen(self->file, "a");
	ASSERT_NE(NULL, f);
	for (int i = 6; i < 50000; i++)
		fprintf(f, "%d,1,0,0,1,1,1,6,-;filler %d\n", i, i);
	fclose(f);
	pid = spawn_piped(mcrcat(), argv, &fd);
	ASSERT_LE(0, pid);
	ASSERT_LT(0, read(fd, line, sizeof(line)));	/* like head -1 */
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("killed by signal %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
