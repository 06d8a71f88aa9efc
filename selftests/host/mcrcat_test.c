// SPDX-License-Identifier: GPL-2.0
/*
 * mcrcat on a saved copy of the archive: each output format, each
 * filter, bad arguments, and a reader that goes away (head -1).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "../mcr_run.h"

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
	ASSERT_EQ(0, run(self, "-o json -r 3:4"));
	EXPECT_STREQ("{\"lost\":3}\n"
		     "{\"seq\":3,\"ts_ns\":1000000000,\"ring\":0,\"cpu\":1,\"pid\":42,\"tid\":43,\"facility\":\"daemon\",\"severity\":\"info\",\"message\":\"hello \\u000aworld\"}\n"
		     "{\"seq\":4,\"ts_ns\":2000000000,\"ring\":1,\"cpu\":0,\"pid\":50,\"tid\":50,\"facility\":\"user\",\"severity\":\"err\",\"owner_pid\":50,\"owner_uid\":0,\"message\":\"bad thing\",\"fields\":{\"K\":\"v\\\"x\",\"E\":\"\"}}\n",
		     self->out);
}

TEST_F(cat, syslog_rfc5424)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "-o syslog -r 4"));
	EXPECT_EQ(0, strncmp("# mcrring: 3 records lost\n<11>1 ", self->out, 32))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out,
			       " mcrring 50 - [fields@32473 K=\"v\\\"x\" E=\"\"] bad thing\n"))
		TH_LOG("%s", self->out);
}

TEST_F(cat, filters)
{
	REQUIRE_MCRCAT();
	ASSERT_EQ(0, run(self, "-s err"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "4,2000000000,1,0,50,50,1,3,50/0;bad thing\tK=v\"x\tE=\n",
		     self->out);
	ASSERT_EQ(0, run(self, "-F daemon -c 1 -p 42 -s info"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "3,1000000000,0,1,42,43,3,6,-;hello \\x0aworld\n", self->out);
	ASSERT_EQ(0, run(self, "-r 5:9 -F 3"));
	EXPECT_STREQ("# mcrring: 3 records lost\n"
		     "5,3000000000,0,1,42,43,3,7,-;debug\n", self->out);
}

TEST_F(cat, bad_arguments_exit_2)
{
	REQUIRE_MCRCAT();
	EXPECT_EQ(2, run(self, "-s bogus"));
	EXPECT_NE(NULL, strstr(self->out, "bad value 'bogus' for -s"));
	EXPECT_EQ(2, run(self, "-F 24"));
	EXPECT_EQ(2, run(self, "-r 9:3"));
	EXPECT_EQ(2, run(self, "-o xml"));
	EXPECT_EQ(2, run(self, "extra"));
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
