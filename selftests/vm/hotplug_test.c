// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug under load: a writer pinned to CPU 1 writes into CPU 1's
 * claimed SPSC ring and into the MPSC ring while CPU 1 goes offline (the
 * writer migrates) and comes back, several times. Rings of offline CPUs
 * stay claimed and drained; nothing committed is lost or duplicated, and
 * what the rings refused is counted as dropped_full.
 */
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_vmrec.h"

#define PRI		MCR_PRI(1, 6)
#define MS		1000000ULL
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define CPU1_DRAINED	"/sys/kernel/mcrring/cpu1/drained"
#define MPSC_DRAINED	"/sys/kernel/mcrring/mpsc/drained"
/*
 * Once the writer has stopped, everything it committed is drained within
 * this (ms, stretched): an idle drain thread sleeps at most poll_max_ms
 * (100) and a pass takes 512 records per ring; 2 to 3 ms measured on the
 * kcsan kernel.
 */
#define DRAIN_MS	2000
/* The test's reader must see a line at least this often (ms, stretched). */
#define QUIET_MS	5000
#define ROUNDS		6

/* What the writer tells the test. */
struct hp {
	uint32_t stop, state;		/* state: 1 running, 2 failed */
	int32_t err;
	uint32_t cpu;			/* where it last ran */
	uint64_t committed[2];		/* 0: MPSC, 1: cpu1's SPSC ring */
	uint64_t dropped[2];
	uint64_t on_cpu[2];		/* records written on cpu0, cpu1 */
	uint64_t repins;
};

static void hp_writer(struct hp *hp)
{
	struct mcr_writer w[2];
	struct mcr_set *set;
	char buf[256];
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ret = pin_to(1);
	if (!ret)
		ret = mcr_open(NULL, &set);
	if (!ret)
		ret = mcr_writer_mpsc(set, &w[0]);
	if (!ret)
		ret = mcr_writer_spsc(set, 1, &w[1]);
	if (ret) {
		STORE(hp->err, ret);
		STORE(hp->state, 2);
		_exit(1);
	}
	STORE(hp->state, 1);
	for (uint64_t i = 0; !LOAD(hp->stop); i++) {
		int k = i % 2;
		uint64_t n = hp->committed[k];
		size_t len = make_msg(buf, k ? "hs" : "hm", 1, n);
		int cpu;

		ret = mcr_log(&w[k], PRI, buf, len);
		if (ret == -ENOBUFS) {
			STORE(hp->dropped[k], hp->dropped[k] + 1);
			sleep_us(1000);
			continue;
		}
		if (ret) {
			STORE(hp->err, ret);
			STORE(hp->state, 2);
			_exit(1);
		}
		STORE(hp->committed[k], n + 1);
		cpu = sched_getcpu();
		if (cpu == 0 || cpu == 1)
			STORE(hp->on_cpu[cpu], hp->on_cpu[cpu] + 1);
		STORE(hp->cpu, cpu);
		/* Offlining CPU 1 broke the affinity: pin again. */
		if (cpu != 1 && i % 64 == 0 && !pin_to(1))
			STORE(hp->repins, hp->repins + 1);
		if (i % 16 == 15)
			sleep_us(500);
	}
	mcr_set_close(set);
	_exit(0);
}

struct hpseen {
	uint64_t next[2], dup, lost, torn, spsc_cpu[2];
};

static void on_hp(void *ctx, const struct mline *l)
{
	struct hpseen *s = ctx;
	unsigned int id;
	uint64_t n;
	int k = l->ring == MCR_RING_SPSC(1), r;

	r = check_msg(l->msg, k ? "hs" : "hm", &id, &n);
	if (r != 1 || id != 1 || (l->ring != 0 && l->ring != MCR_RING_SPSC(1))) {
		s->torn++;
		return;
	}
	if (k && l->cpu < 2)
		s->spsc_cpu[l->cpu]++;
	if (n < s->next[k]) {
		s->dup++;
		return;
	}
	s->lost += n - s->next[k];
	s->next[k] = n + 1;
}

FIXTURE(hotplug) {
	struct hp *hp;
	pid_t writer;
	struct arc arc;
	bool loaded, touched;
};

FIXTURE_SETUP(hotplug)
{
	self->hp = mmap(NULL, sizeof(*self->hp), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->hp);
	self->arc.fd = -1;
}

FIXTURE_TEARDOWN(hotplug)
{
	if (self->touched) {
		EXPECT_EQ(0, write_str(CPU1_ONLINE, "1"));
	}
	if (self->writer > 0) {
		kill(self->writer, SIGKILL);
		waitpid(self->writer, NULL, 0);
	}
	arc_close(&self->arc);
	munmap(self->hp, sizeof(*self->hp));
	if (self->loaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

/*
 * Pump the archive until @cond holds or @ms (stretched by MCR_TIME_SCALE)
 * pass; false on timeout.
 */
#define PUMP_UNTIL(cond, ms) ({						\
	uint64_t __dl = mcr_now_ns() + (ms) * mcr_time_scale() * MS;	\
	bool __ok;							\
	while (!(__ok = (cond)) && mcr_now_ns() < __dl)			\
		arc_pump(&self->arc, 5, on_hp, &seen);			\
	__ok;								\
})

/*
 * Pump the archive until @cond holds, for as long as lines keep coming:
 * false once @ms (stretched) pass with no line. For waits on this test's
 * own reader, whose backlog has no bound of the module's.
 */
#define PUMP_WHILE_MOVING(cond, ms) ({					\
	uint64_t __quiet = (ms) * mcr_time_scale() * MS;		\
	uint64_t __dl = mcr_now_ns() + __quiet;				\
	bool __ok;							\
	while (!(__ok = (cond)) && mcr_now_ns() < __dl)			\
		if (arc_pump(&self->arc, 5, on_hp, &seen) > 0)		\
			__dl = mcr_now_ns() + __quiet;			\
	__ok;								\
})

/* What the module says it drained of ring @k (0: MPSC, 1: CPU 1's). */
static long long ring_drained(int k)
{
	return sysfs_num(k ? CPU1_DRAINED : MPSC_DRAINED);
}

TEST_F_TIMEOUT(hotplug, cpu1_offline_online_under_load, 90)
{
	struct hp *hp = self->hp;
	struct hpseen seen = { 0 };
	struct mcr_counters c[3];
	uint64_t off_ms = 0, on_ms = 0, t0;
	uint64_t behind, drain_ms;
	int bad_before, status;
	struct mcr_info info;

	REQUIRE_MODULE();
	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "%s: %s (one CPU, or CPU 1 cannot go offline)",
		     CPU1_ONLINE, strerror(errno));
	bad_before = mcr_klog_bad_lines();
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(1, sysfs_num(CPU1_ONLINE));
	/* No abandoning: a writer in the middle of a migration is alive. */
	ASSERT_EQ(0, mcr_reload("abandon_ms=10000 archive_kb=65536"));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));
	ASSERT_EQ(0, ioctl(self->arc.fd, MCR_IOC_INFO, &info));
	ASSERT_LE(3, info.nr_rings);

	self->writer = fork();
	if (self->writer == 0)
		hp_writer(hp);
	ASSERT_LT(0, self->writer);
	ASSERT_TRUE(PUMP_UNTIL(LOAD(hp->state), 5000));
	ASSERT_EQ(1, hp->state) TH_LOG("writer: %d", hp->err);

	for (int round = 0; round < ROUNDS; round++) {
		uint64_t base = LOAD(hp->committed[1]);
		long long drained;

		/* Writing on CPU 1 ... */
		ASSERT_TRUE(PUMP_UNTIL(LOAD(hp->cpu) == 1 &&
				       LOAD(hp->committed[1]) > base + 50, 5000))
			TH_LOG("round %d: writer on cpu %u", round, hp->cpu);
		/* ... which goes away under it. */
		self->touched = true;
		t0 = mcr_now_ns();
		ASSERT_EQ(0, write_str(CPU1_ONLINE, "0")) TH_LOG("round %d", round);
		off_ms += (mcr_now_ns() - t0) / MS;
		ASSERT_EQ(0, sysfs_num(CPU1_ONLINE));
		/* The writer goes on, on CPU 0, into CPU 1's ring, drained. */
		base = LOAD(hp->committed[1]);
		drained = sysfs_num(CPU1_DRAINED);
		ASSERT_TRUE(PUMP_UNTIL(LOAD(hp->cpu) == 0 &&
				       LOAD(hp->committed[1]) > base + 100 &&
				       sysfs_num(CPU1_DRAINED) > drained + 100,
				       5000))
			TH_LOG("round %d offline: cpu %u, %" PRIu64 " more records, drained %lld -> %lld",
			       round, hp->cpu, hp->committed[1] - base, drained,
			       sysfs_num(CPU1_DRAINED));
		t0 = mcr_now_ns();
		ASSERT_EQ(0, write_str(CPU1_ONLINE, "1")) TH_LOG("round %d", round);
		on_ms += (mcr_now_ns() - t0) / MS;
		ASSERT_EQ(1, sysfs_num(CPU1_ONLINE));
	}
	ASSERT_TRUE(PUMP_UNTIL(LOAD(hp->cpu) == 1, 5000));

	STORE(hp->stop, 1);
	ASSERT_EQ(self->writer, waitpid(self->writer, &status, 0));
	self->writer = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("writer: %d", hp->err);
	/* The module's part: the rings are drained within DRAIN_MS. */
	t0 = mcr_now_ns();
	behind = hp->committed[0] + hp->committed[1] - seen.next[0] -
		 seen.next[1];
	ASSERT_TRUE(PUMP_UNTIL(ring_drained(0) >= (long long)hp->committed[0] &&
			       ring_drained(1) >= (long long)hp->committed[1],
			       DRAIN_MS))
		TH_LOG("drained %lld/%" PRIu64 " mpsc, %lld/%" PRIu64 " spsc",
		       ring_drained(0), hp->committed[0], ring_drained(1),
		       hp->committed[1]);
	drain_ms = (mcr_now_ns() - t0) / MS;
	/*
	 * This test's part: its reader pumps only while it waits, so it
	 * ends far behind the archive (up to 250,000 lines on the kcsan
	 * kernel, which it reads at 12,000-17,000 lines/s). Bounded by
	 * progress, not by a guess at its speed.
	 */
	ASSERT_TRUE(PUMP_WHILE_MOVING(seen.next[0] >= hp->committed[0] &&
				      seen.next[1] >= hp->committed[1],
				      QUIET_MS))
		TH_LOG("delivered %" PRIu64 "/%" PRIu64 " mpsc, %" PRIu64 "/%" PRIu64 " spsc",
		       seen.next[0], hp->committed[0], seen.next[1],
		       hp->committed[1]);
	TH_LOG("at the writer's stop this reader was %" PRIu64 " records behind; the rings were drained %" PRIu64 " ms later, the archive read %" PRIu64 " ms later",
	       behind, drain_ms, (mcr_now_ns() - t0) / MS);
	while (arc_pump(&self->arc, 100, on_hp, &seen) > 0)
		;
	ASSERT_EQ(0, ring_counters(self->arc.fd, 0, &c[0]));
	ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_SPSC(1), &c[2]));

	TH_LOG("%d rounds: offline took %" PRIu64 " ms, online %" PRIu64 " ms in all; writer re-pinned %" PRIu64 " times, wrote %" PRIu64 " records on cpu0 and %" PRIu64 " on cpu1",
	       ROUNDS, off_ms, on_ms, hp->repins, hp->on_cpu[0], hp->on_cpu[1]);
	TH_LOG("mpsc: committed %" PRIu64 " delivered %" PRIu64 " dropped_full %llu (writer saw %" PRIu64 "); cpu1 ring: committed %" PRIu64 " delivered %" PRIu64 " (%" PRIu64 " from cpu0, %" PRIu64 " from cpu1) dropped_full %llu (writer saw %" PRIu64 ")",
	       hp->committed[0], seen.next[0], c[0].dropped_full, hp->dropped[0],
	       hp->committed[1], seen.next[1], seen.spsc_cpu[0],
	       seen.spsc_cpu[1], c[2].dropped_full, hp->dropped[1]);
	EXPECT_EQ(hp->committed[0], seen.next[0]);
	EXPECT_EQ(hp->committed[1], seen.next[1]);
	EXPECT_EQ(0, seen.lost);
	EXPECT_EQ(0, seen.dup);
	EXPECT_EQ(0, seen.torn);
	EXPECT_EQ(hp->committed[0], c[0].drained);
	EXPECT_EQ(hp->committed[1], c[2].drained);
	EXPECT_EQ(hp->dropped[0], c[0].dropped_full);
	EXPECT_EQ(hp->dropped[1], c[2].dropped_full);
	for (int i = 0; i < 3; i += 2) {
		EXPECT_EQ(0, c[i].abandoned);
		EXPECT_EQ(0, c[i].invalid);
	}
	/* It really ran on both CPUs, into the same ring. */
	EXPECT_LT(0, seen.spsc_cpu[0]);
	EXPECT_LT(0, seen.spsc_cpu[1]);
	EXPECT_EQ(0, self->arc.lost_markers);
	EXPECT_EQ(0, self->arc.seq_breaks);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
}

TEST_HARNESS_MAIN
