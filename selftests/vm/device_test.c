// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mcrlog end to end: writers through libmcrring, the drain thread,
 * the archive read back as text.
 */
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"

#define PRI MCR_PRI(1, 6)

/*
 * Read /dev/mcrlog without blocking until a line containing @needle, for
 * up to 10 s (stretched).
 */
static int find_line(int fd, const char *needle, char *line, size_t size)
{
	unsigned long long end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	static char buf[1 << 16];
	static size_t have;

	while (mcr_now_ms() < end) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', have))) {
			size_t len = nl - buf + 1;
			bool hit;

			*nl = '\0';
			hit = strstr(buf, needle) != NULL;
			if (hit) {
				size_t n = len < size ? len : size;

				memcpy(line, buf, n);
				line[n - 1] = '\0';
			}
			memmove(buf, nl + 1, have - len);
			have -= len;
			if (hit)
				return 0;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, 20);
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n > 0)
			have += n;
		else if (n < 0 && errno != EAGAIN)
			return -errno;
	}
	return -ETIMEDOUT;
}

TEST(mpsc_write_appears_in_archive)
{
	struct mcr_set *set;
	struct mcr_writer w;
	char line[8192];
	int fd;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, mcr_logf(&w, PRI, "hello from pid %d", getpid()));
	ASSERT_EQ(0, find_line(fd, "hello from pid", line, sizeof(line)));
	TH_LOG("%s", line);
	close(fd);
	mcr_set_close(set);
}

TEST(spsc_claim_write_read)
{
	struct mcr_set *set, *other;
	struct mcr_writer w, w2;
	char line[8192], want[64];
	int fd;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_open(NULL, &other));
	ASSERT_EQ(0, mcr_writer_spsc(set, 0, &w));
	EXPECT_EQ(-EBUSY, mcr_writer_spsc(other, 0, &w2));
	fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	snprintf(want, sizeof(want), "spsc-%d", getpid());
	ASSERT_EQ(0, mcr_log(&w, PRI, want, strlen(want)));
	ASSERT_EQ(0, find_line(fd, want, line, sizeof(line)));
	TH_LOG("%s", line);
	mcr_set_close(set);
	/* The claim ended with the file. */
	EXPECT_EQ(0, mcr_writer_spsc(other, 0, &w2));
	mcr_set_close(other);
	close(fd);
}

TEST_HARNESS_MAIN
