// SPDX-License-Identifier: GPL-2.0
/*
 * mcrctl on a made-up /sys/kernel/mcrring: the levels shown a facility
 * a line; a bad level refused before anything is written. Setting them
 * in a real kernel: vm/levels_test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "mcr_run.h"

static const char *tool(void)
{
	const char *dir = getenv("MCR_TOOLS");
	static char path[512];

	snprintf(path, sizeof(path), "%s/mcrctl", dir ? dir : "build/tools");
	return path;
}

FIXTURE(ctl) {
	char root[64], levels[96], out[4096];
};

FIXTURE_SETUP(ctl)
{
	FILE *f;

	if (access(tool(), X_OK))
		SKIP(return, "%s not built (make tools)", tool());
	snprintf(self->root, sizeof(self->root), "/tmp/mcrctl-%d", getpid());
	ASSERT_EQ(0, mkdir(self->root, 0700));
	snprintf(self->levels, sizeof(self->levels), "%s/levels", self->root);
	f = fopen(self->levels, "w");
	ASSERT_NE(NULL, f);
	fputs("kern=debug user=warning mail=none\n", f);
	fclose(f);
}

FIXTURE_TEARDOWN(ctl)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->root);
	if (system(cmd))
		TH_LOG("%s failed", cmd);
}

static int ctl(FIXTURE_DATA(ctl) *self, const char *args)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "MCR_SYSFS=%s %s %s 2>&1", self->root,
		 tool(), args);
	return sh(cmd, self->out, sizeof(self->out));
}

TEST_F(ctl, levels_shown_a_facility_a_line)
{
	ASSERT_EQ(0, ctl(self, "level"));
	EXPECT_STREQ("kern=debug\nuser=warning\nmail=none\n", self->out);
}

TEST_F(ctl, a_bad_level_is_refused_and_nothing_written)
{
	char buf[128] = "";
	FILE *f;

	EXPECT_EQ(2, ctl(self, "level user=err usr=warning"));
	EXPECT_STREQ("mcrctl: bad level 'usr=warning': unknown facility: want [FACILITY=]SEVERITY or none\n",
		     self->out);
	EXPECT_EQ(2, ctl(self, "level user=loud"));
	EXPECT_NE(NULL, strstr(self->out, "unknown severity")) TH_LOG("%s", self->out);
	EXPECT_EQ(2, ctl(self, "levels"));
	EXPECT_EQ(2, ctl(self, ""));
	f = fopen(self->levels, "r");
	ASSERT_NE(NULL, f);
	EXPECT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_STREQ("kern=debug user=warning mail=none\n", buf);
}

TEST_F(ctl, no_module_says_so)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "MCR_SYSFS=/nonexistent %s level 2>&1",
		 tool());
	EXPECT_EQ(1, sh(cmd, self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "(is mcrring.ko loaded?)"))
		TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
