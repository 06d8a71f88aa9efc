// SPDX-License-Identifier: GPL-2.0
/*
 * The archive read back through libmcrring (mcr_archive_next): every
 * byte value survives the module's escaping, and records written by
 * several processes come back exactly once, intact, counted.
 */
#include <poll.h>
#include <stdio.h>
#include <sys/wait.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"

#define PRI MCR_PRI(1, 6)

/* The next record with @pid as writer, waiting up to 10 s (stretched). */
static int next_from(struct mcr_archive *a, __u32 pid, struct mcr_arecord *rec,
		     char *text)
{
	unsigned long long end = mcr_now_ms() + 10000ULL * mcr_time_scale();

	while (mcr_now_ms() < end) {
		struct pollfd p = { .fd = mcr_archive_fd(a), .events = POLLIN };
		int ret = mcr_archive_next(a, rec, text);

		if (ret < 0)
			return ret;
		if (ret == 1 && rec->pid == pid)
			return 1;
		if (ret == 0)
			poll(&p, 1, 100);
	}
	return -ETIMEDOUT;
}

TEST(every_byte_value_round_trips)
{
	static char msg[256], text[MCR_TEXT_MAX];
	const char *fields[] = { "K=\t\n\\", "EMPTY=" };
	const char want_f[] = "x\0K=\t\n\\\0EMPTY=";
	struct mcr_arecord rec;
	struct mcr_archive *a;
	struct mcr_set *set;
	struct mcr_writer w;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	ASSERT_EQ(0, mcr_archive_open(NULL, true, &a));
	ASSERT_EQ(0, lseek(mcr_archive_fd(a), 0, SEEK_END));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	for (int i = 0; i < 256; i++)
		msg[i] = (char)i;
	ASSERT_EQ(0, mcr_log(&w, PRI, msg, sizeof(msg)));
	ASSERT_EQ(0, mcr_log_fields(&w, PRI, "x", fields, 2));

	ASSERT_EQ(1, next_from(a, getpid(), &rec, text));
	EXPECT_EQ(sizeof(msg), rec.len);
	EXPECT_EQ(0, memcmp(msg, text, sizeof(msg)));
	EXPECT_EQ(0, rec.flags);
	EXPECT_EQ(-1, rec.owner_pid);

	ASSERT_EQ(1, next_from(a, getpid(), &rec, text));
	EXPECT_EQ(MCR_FLAG_FIELDS, rec.flags);
	ASSERT_EQ(sizeof(want_f) - 1, rec.len);
	EXPECT_EQ(0, memcmp(want_f, text, rec.len));
	mcr_set_close(set);
	mcr_archive_close(a);
}

#define WRITERS 3
#define PER 2000

TEST(processes_write_library_reads_each_once)
{
	static unsigned char seen[WRITERS][PER];
	static char text[MCR_TEXT_MAX];
	struct mcr_arecord rec;
	struct mcr_archive *a;
	pid_t pids[WRITERS];
	unsigned long long end;
	int got = 0;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	ASSERT_EQ(0, mcr_archive_open(NULL, true, &a));
	ASSERT_EQ(0, lseek(mcr_archive_fd(a), 0, SEEK_END));
	for (int k = 0; k < WRITERS; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (pids[k] == 0) {
			struct mcr_set *set;
			struct mcr_writer w;
			int ret;

			/* Writer 0 claims cpu0's ring, the others share MPSC. */
			if (mcr_open(NULL, &set) ||
			    (k == 0 ? mcr_writer_spsc(set, 0, &w) :
				      mcr_writer_mpsc(set, &w)))
				_exit(1);
			for (int i = 0; i < PER; i++) {
				do {
					ret = mcr_logf(&w, PRI, "alib %d %d %08x",
						       k, i, i * 2654435761U);
				} while (ret == -ENOBUFS);
				if (ret < 0)
					_exit(2);
			}
			mcr_set_close(set);
			_exit(0);
		}
	}
	for (int k = 0; k < WRITERS; k++) {
		int status;

		ASSERT_EQ(pids[k], waitpid(pids[k], &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	end = mcr_now_ms() + 20000ULL * mcr_time_scale();
	while (got < WRITERS * PER && mcr_now_ms() < end) {
		int k, i, n;
		unsigned int h;
		int ret = mcr_archive_next(a, &rec, text);

		ASSERT_LE(0, ret);
		if (ret == 0) {
			usleep(10000);
			continue;
		}
		EXPECT_EQ(0, rec.lost);
		text[rec.len] = '\0';
		if (sscanf(text, "alib %d %d %08x%n", &k, &i, &h, &n) != 3)
			continue;	/* another test's record */
		ASSERT_EQ(rec.len, (unsigned int)n);
		ASSERT_TRUE(k >= 0 && k < WRITERS && i >= 0 && i < PER);
		EXPECT_EQ(i * 2654435761U, h);
		EXPECT_EQ(0, seen[k][i]) TH_LOG("duplicate %d %d", k, i);
		seen[k][i] = 1;
		EXPECT_EQ((__u32)pids[k], rec.pid);
		if (k == 0) {
			EXPECT_EQ(MCR_RING_SPSC(0), rec.ring);
			EXPECT_EQ(pids[0], rec.owner_pid);
		} else {
			EXPECT_EQ(MCR_RING_MPSC, rec.ring);
			EXPECT_EQ(-1, rec.owner_pid);
		}
		got++;
	}
	TH_LOG("%d of %d records read back through the library", got,
	       WRITERS * PER);
	EXPECT_EQ(WRITERS * PER, got);
	mcr_archive_close(a);
}

TEST_HARNESS_MAIN
