// SPDX-License-Identifier: GPL-2.0
/*
 * mcr_archive_next() parses the archive's text form back into records:
 * fields, escapes, owner, lost markers, and refuses what the module
 * never writes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcrring.h"
#include "kselftest_harness.h"

FIXTURE(parse) {
	char path[64];
	struct mcr_archive *a;
	struct mcr_arecord rec;
	char text[MCR_TEXT_MAX];
};

FIXTURE_SETUP(parse)
{
	snprintf(self->path, sizeof(self->path), "/tmp/mcr-parse-%d", getpid());
	self->a = NULL;
}

FIXTURE_TEARDOWN(parse)
{
	mcr_archive_close(self->a);
	unlink(self->path);
}

static int open_with(FIXTURE_DATA(parse) *self, const char *content)
{
	FILE *f = fopen(self->path, "w");

	if (!f || fputs(content, f) < 0 || fclose(f))
		return -EIO;
	return mcr_archive_open(self->path, false, &self->a);
}

TEST_F(parse, plain_record)
{
	ASSERT_EQ(0, open_with(self, "7,123456789,0,1,42,43,3,6,-;hello\n"));
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(7, self->rec.seq);
	EXPECT_EQ(123456789, self->rec.ts_ns);
	EXPECT_EQ(0, self->rec.ring);
	EXPECT_EQ(1, self->rec.cpu);
	EXPECT_EQ(42, self->rec.pid);
	EXPECT_EQ(43, self->rec.tid);
	EXPECT_EQ(3, self->rec.facility);
	EXPECT_EQ(6, self->rec.severity);
	EXPECT_EQ(-1, self->rec.owner_pid);
	EXPECT_EQ(0, self->rec.lost);
	EXPECT_EQ(5, self->rec.len);
	EXPECT_EQ(0, memcmp("hello", self->text, 5));
	EXPECT_EQ(0, mcr_archive_next(self->a, &self->rec, self->text));
}

TEST_F(parse, escapes_fields_and_owner)
{
	const char want[] = "a\nb\\c\x01\xff\0K=v\tw";

	ASSERT_EQ(0, open_with(self, "8,1,2,1,50,51,16,4,50/1000;"
			       "a\\x0ab\\x5cc\\x01\\xff\tK=v\\x09w\n"));
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(50, self->rec.owner_pid);
	EXPECT_EQ(1000, self->rec.owner_uid);
	EXPECT_EQ(MCR_FLAG_FIELDS, self->rec.flags);
	ASSERT_EQ(sizeof(want) - 1, self->rec.len);
	EXPECT_EQ(0, memcmp(want, self->text, sizeof(want) - 1));
}

TEST_F(parse, lost_marker_goes_with_the_next_record)
{
	ASSERT_EQ(0, open_with(self, "# mcrring: 785 records lost\n"
			       "785,1,0,0,1,1,1,6,-;x\n"
			       "786,1,0,0,1,1,1,6,-;y\n"));
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(785, self->rec.lost);
	EXPECT_EQ(785, self->rec.seq);
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(0, self->rec.lost);
}

TEST_F(parse, refuses_what_the_module_never_writes)
{
	static const char *const bad[] = {
		"garbage\n",
		"1,2,3,4,5,6,24,0,-;facility out of range\n",
		"1,2,3,4,5,6,1,8,-;severity out of range\n",
		"1,2,3,4,5,6,1,1,x;bad owner\n",
		"1,2,3,4,5,6,1,1,0/0;owner pid 0\n",
		"1,2,3,4,5,6,1,1,-;bad escape \\q\n",
		"1,2,3,4,5,6,1,1,-;short escape \\x4\n",
		"# mcrring: many records lost\n",
		/* Found by selftests/fuzz/archive_fuzz.c: sscanf took these. */
		"007,1,0,0,1,1,1,6,-;leading zero\n",
		"+7,1,0,0,1,1,1,6,-;sign\n",
		"7, 1,0,0,1,1,1,6,-;space\n",
		"7,1,4294967296,0,1,1,1,6,-;ring wraps to 0\n",
		"7,1,0,0,1,1,1,6,4294967297/0;owner wraps to 1\n",
		"18446744073709551616,1,0,0,1,1,1,6,-;seq too big\n",
		"1,2,3,4,5,6,7,0,5/6xhello: no ';' after the owner\n",
		"1,2,3,4,5,6,7,0,-;\\x41 needs no escape\n",
		"1,2,3,4,5,6,7,0,-;raw \x01 control byte\n",
		"1,2,3,4,5,6,7,0,-;raw \x80 byte\n",
		"1,2,3,4,5,6,7,0,-;\\x00 with\tfields is written as a tab\n",
		"# mcrring: +5 records lost\n",
		"# mcrring: 5records lost\n",
		"# mcrring: 5 records lost \n",
		"# mcrring: 18446744073709551616 records lost\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mcr_archive_close(self->a);
		self->a = NULL;
		ASSERT_EQ(0, open_with(self, bad[i]));
		EXPECT_EQ(-EBADMSG,
			  mcr_archive_next(self->a, &self->rec, self->text))
			TH_LOG("accepted: %s", bad[i]);
	}
}

TEST_F(parse, widest_fields)
{
	ASSERT_EQ(0, open_with(self, "18446744073709551615,18446744073709551615,"
			       "4294967295,4294967295,4294967295,4294967295,"
			       "23,7,2147483647/4294967295;\\x00\n"
			       "0,0,0,0,0,0,0,0,1/0;\n"));
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(UINT64_MAX, self->rec.seq);
	EXPECT_EQ(UINT64_MAX, self->rec.ts_ns);
	EXPECT_EQ(UINT32_MAX, self->rec.ring);
	EXPECT_EQ(UINT32_MAX, self->rec.tid);
	EXPECT_EQ(23, self->rec.facility);
	EXPECT_EQ(7, self->rec.severity);
	EXPECT_EQ(INT32_MAX, self->rec.owner_pid);
	EXPECT_EQ(UINT32_MAX, self->rec.owner_uid);
	EXPECT_EQ(0, self->rec.flags);
	ASSERT_EQ(1, self->rec.len);
	EXPECT_EQ(0, self->text[0]);
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(0, self->rec.seq);
	EXPECT_EQ(1, self->rec.owner_pid);
	EXPECT_EQ(0, self->rec.len);
}

TEST_F(parse, text_longer_than_the_limit_is_refused)
{
	static char line[64 + 2 * MCR_TEXT_MAX];
	int n = snprintf(line, sizeof(line), "1,1,0,0,1,1,1,6,-;");

	memset(line + n, 'z', MCR_TEXT_MAX);
	strcpy(line + n + MCR_TEXT_MAX, "\n");
	ASSERT_EQ(0, open_with(self, line));
	ASSERT_EQ(1, mcr_archive_next(self->a, &self->rec, self->text));
	EXPECT_EQ(MCR_TEXT_MAX, self->rec.len);
	mcr_archive_close(self->a);
	self->a = NULL;
	strcpy(line + n + MCR_TEXT_MAX, "z\n");
	ASSERT_EQ(0, open_with(self, line));
	EXPECT_EQ(-EBADMSG, mcr_archive_next(self->a, &self->rec, self->text));
}

TEST_HARNESS_MAIN
