// SPDX-License-Identifier: GPL-2.0
/*
 * mcr_printk(), the kernel-side writer, through mcrring_selftest.ko: its
 * records reach the archive from the kernel's own ring, and its errors
 * reach the caller. No process can map that ring, and a process that
 * stalls the MPSC ring does not stall the kernel's writers.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
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
 * 10 s (stretched) have passed, then read on briefly so duplicates would
 * show too.
 */
static int count_lines(struct rd *r, const char *needle, int want,
		       char *last, size_t size)
{
	__u64 deadline = mcr_now_ms() + 10000ULL * mcr_time_scale(), extra = 0;
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

/*
 * Wait (up to 10 s, stretched) until the drain thread sleeps with
 * NEED_WAKEUP set; it sets the flag on every ring it drains at once, so
 * the MPSC ring's, which a process can map, stands for the kernel's.
 */
static bool drainer_idle(void)
{
	unsigned long long end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	const struct mcr_ring *m;
	struct mcr_set *set;
	struct mcr_writer w;
	bool idle = false;

	if (mcr_open(NULL, &set))
		return false;
	if (!mcr_writer_mpsc(set, &w)) {
		m = mcr_set_ring(set, MCR_RING_MPSC);
		while (!(idle = READ_ONCE(m->cons->flags) &
				MCR_CONS_NEED_WAKEUP) &&
		       mcr_now_ms() < end)
			sleep_us(1000);
	}
	mcr_set_close(set);
	return idle;
}

TEST(records_reach_the_archive)
{
	char params[64], last[512], want[64];
	struct mline l;
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
	/* The kernel's ring, facility 0, severity 5, not attested: "-". */
	EXPECT_EQ(0, parse_line(last, &l));
	EXPECT_EQ(MCR_RING_KERNEL, l.ring);
	EXPECT_NE(NULL, strstr(last, ",0,5,-;mcrring selftest 99/100: kp"));
	rd_close(r);
}

/*
 * From a hard interrupt: the records arrive, and the wake-up the writer
 * asks for when it finds the ring half full reaches the sleeping drain
 * thread (through irq_work: wake_up() itself is not allowed there on
 * PREEMPT_RT, nor in NMI).
 */
TEST(records_from_a_hard_interrupt)
{
	unsigned long long wakeups0, wakeups1 = 0;
	char params[64], last[512], want[64];
	int tries = 0, woken = 0;
	struct mline l;
	struct rd *r;

	REQUIRE_SELFTEST_MODULE();
	if (!mcr_module_path())
		SKIP(return, "MCR_MODULE does not name mcrring.ko");
	/* 40 records fill a ring of 64 past half: the writer asks to wake. */
	ASSERT_EQ(0, mcr_reload("ring_ndesc=64"));
	r = rd_open(O_NONBLOCK);
	ASSERT_NE(NULL, r);
	/*
	 * The writer asks only if it finds the drain thread asleep, and the
	 * thread also wakes on its own timer (every 100 ms at most) for a
	 * pass: a burst that meets it awake asks for nothing, which is right.
	 * On the slow debug kernels that happened one time in a few, so the
	 * burst is tried until one found it asleep (at most 10 times); every
	 * burst must arrive whole, from the kernel's ring.
	 */
	while (!woken && tries < 10) {
		tries++;
		ASSERT_TRUE(drainer_idle());
		sleep_us(300000);
		ASSERT_TRUE(drainer_idle());
		ASSERT_EQ(0, sysfs_u64("drain_wakeups", &wakeups0));
		snprintf(params, sizeof(params), "irq=1 count=40 text=hi%d-%d",
			 getpid(), tries);
		EXPECT_EQ(0, mcr_load_file(SELFTEST_KO, params));
		mcr_unload_name("mcrring_selftest");
		snprintf(want, sizeof(want), ": hi%d-%d", getpid(), tries);
		EXPECT_EQ(40, count_lines(r, want, 40, last, sizeof(last)));
		EXPECT_EQ(0, parse_line(last, &l));
		EXPECT_EQ(MCR_RING_KERNEL, l.ring);
		ASSERT_EQ(0, sysfs_u64("drain_wakeups", &wakeups1));
		woken = wakeups1 > wakeups0;
	}
	TH_LOG("the wake-up came on burst %d", tries);
	EXPECT_TRUE(woken);
	rd_close(r);
	EXPECT_EQ(0, mcr_reload(NULL));
}

TEST(no_mapping_reaches_the_kernel_ring)
{
	struct mcr_counters c;
	struct mcr_info info;
	void *p;
	int fd;

	REQUIRE_SELFTEST_MODULE();
	fd = open(MCR_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MCR_IOC_INFO, &info));
	for (int prot = PROT_READ; prot <= (PROT_READ | PROT_WRITE); prot++) {
		p = mmap(NULL, info.ring_size, prot, MAP_SHARED, fd,
			 MCR_MMAP_RING(MCR_RING_KERNEL));
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(EINVAL, errno);
		if (p != MAP_FAILED)
			munmap(p, info.ring_size);
	}
	/* Its counters are there to read. */
	EXPECT_EQ(0, ring_counters(fd, MCR_RING_KERNEL, &c));
	close(fd);
}

/*
 * A writer leaves the MPSC ring a whole ring ahead and exits: the MPSC
 * ring stays full until reclaim_ms (a minute here). mcr_printk() goes on.
 */
TEST(a_stalled_mpsc_ring_does_not_stop_the_kernel)
{
	struct mcr_writer w;
	struct mcr_set *set;
	char params[64], last[512], want[64];
	struct mline l;
	struct rd *r;
	int status;
	pid_t pid;

	REQUIRE_SELFTEST_MODULE();
	if (!mcr_module_path())
		SKIP(return, "MCR_MODULE does not name mcrring.ko");
	/* Rings of 64: the kernel's takes the 40 records below at once. */
	ASSERT_EQ(0, mcr_reload("ring_ndesc=64 reclaim_ms=60000"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const struct mcr_ring *m;
		__u64 tail;

		if (mcr_open(NULL, &set) || mcr_writer_mpsc(set, &w))
			_exit(1);
		m = mcr_set_ring(set, MCR_RING_MPSC);
		tail = READ_ONCE(m->cons->tail);
		WRITE_ONCE(m->prod->head,
			   mcr_pack((tail >> 32) + m->ndesc, (__u32)tail));
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* The MPSC ring is stalled indeed. */
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	EXPECT_EQ(-ENOBUFS, mcr_log(&w, MCR_PRI(1, 6), "x", 1));
	mcr_set_close(set);

	r = rd_open(O_NONBLOCK);
	ASSERT_NE(NULL, r);
	snprintf(params, sizeof(params), "count=40 text=st%d", getpid());
	EXPECT_EQ(0, mcr_load_file(SELFTEST_KO, params));
	mcr_unload_name("mcrring_selftest");
	snprintf(want, sizeof(want), ": st%d", getpid());
	EXPECT_EQ(40, count_lines(r, want, 40, last, sizeof(last)));
	EXPECT_EQ(0, parse_line(last, &l));
	EXPECT_EQ(MCR_RING_KERNEL, l.ring);
	rd_close(r);
	EXPECT_EQ(0, mcr_reload(NULL));
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
