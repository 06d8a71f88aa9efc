// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile writers (invariant 5, as hostile_test.c) that forge for
 * whoever comes next: descriptors left in a ring are not attested to the
 * next owner, a forged drop count does not poison the next, and record
 * sizes a writer picks cannot desynchronise the archive.
 */
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/io_uring.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_vmrec.h"

#define PRI		MCR_PRI(1, 6)
#define MS		1000000ULL

/* hostile_test.c's fixture, as much of it as these tests use. */
FIXTURE(hostile) {
	struct arc arc;
	bool loaded;
};

FIXTURE_SETUP(hostile)
{
	self->arc.fd = -1;
}

FIXTURE_TEARDOWN(hostile)
{
	arc_close(&self->arc);
	if (self->loaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

/* --- stale descriptors across a claim -------------------------------- */

struct forge_arg {
	uint32_t ok;
};

/*
 * As nobody: claim cpu0's ring, plant committed-looking descriptors for
 * the sequences after the consumer's, leave nothing in flight, and exit.
 */
static void plant_forgeries(void *arg)
{
	struct forge_arg *fa = arg;
	const struct mcr_ring *r;
	struct mcr_writer w;
	struct mcr_set *set;
	__u64 tail;
	__u32 seq, pos;

	if (setgid(NOBODY) || setuid(NOBODY))
		_exit(9);
	if (mcr_open(NULL, &set))
		_exit(10);
	if (mcr_writer_spsc(set, 0, &w))
		_exit(11);
	r = mcr_set_ring(set, MCR_RING_SPSC(0));
	tail = READ_ONCE(r->cons->tail);
	seq = tail >> 32;
	pos = (__u32)tail;
	for (__u32 k = 1; k <= 8; k++) {
		struct mcr_desc *d = &r->desc[(seq + k) & (r->ndesc - 1)];
		__u32 p = pos + k * 4096;
		int len = sprintf((char *)r->data + (p & (r->data_size - 1)),
				  "FORGED by uid %d", NOBODY);

		d->ts_ns = 1;
		d->pos = p;
		d->pid = 1;
		d->tid = 1;
		d->len = len;
		d->pri = PRI;
		d->flags = 0;
		/* Published last, as a writer commits. */
		smp_store_release(&d->state_var,
				  MCR_SV(seq + k, 0, MCR_DESC_COMMITTED));
	}
	STORE(fa->ok, 1);
	_exit(0);
}

struct victim {
	pid_t pid;
	uint64_t mine, forged_as_mine, seen_mask;
};

static void on_victim(void *ctx, const struct mline *l)
{
	struct victim *v = ctx;
	unsigned int id;
	uint64_t n;

	if (l->owner_pid != v->pid)
		return;
	if (check_msg(l->msg, "vi", &id, &n) == 1 && n < 64 &&
	    !(v->seen_mask & 1ULL << n)) {
		v->seen_mask |= 1ULL << n;
		v->mine++;
	} else {
		v->forged_as_mine++;
	}
}

/*
 * The kernel attests the owner of an SPSC ring ("pid/uid"). What one
 * owner left in the ring's descriptors must not be delivered in the name
 * of the next owner, nor cost it its own records.
 */
TEST_F_TIMEOUT(hostile, leftovers_are_not_attested_to_the_next_owner, 30)
{
	struct forge_arg *fa = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct victim v = { 0 };
	struct mcr_counters c;
	struct mcr_writer w;
	struct mcr_set *set;
	char buf[256];
	int status;

	REQUIRE_MODULE();
	ASSERT_NE(MAP_FAILED, fa);
	ASSERT_EQ(0, mcr_reload("mode=0666"));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));
	status = in_child(plant_forgeries, fa);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("planting child: status %#x", status);
	ASSERT_EQ(1, fa->ok);

	/* The next owner logs now and then, each record reaching the archive. */
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_spsc(set, 0, &w));
	v.pid = getpid();
	for (uint64_t n = 0; n < 12; n++) {
		uint64_t deadline = mcr_now_ns() + 500 * MS * mcr_time_scale();
		size_t len = make_msg(buf, "vi", 0, n);

		ASSERT_EQ(0, mcr_log(&w, PRI, buf, len));
		while (!(v.seen_mask & 1ULL << n) && mcr_now_ns() < deadline) {
			ASSERT_LE(0, arc_pump(&self->arc, 10, on_victim, &v));
		}
	}
	while (arc_pump(&self->arc, 200, on_victim, &v) > 0)
		;
	ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_SPSC(0), &c));
	TH_LOG("next owner wrote 12 records: %" PRIu64 " delivered (mask %#" PRIx64 "), %" PRIu64 " other records delivered in its name; ring: drained %llu invalid %llu abandoned %llu",
	       v.mine, v.seen_mask, v.forged_as_mine, c.drained, c.invalid,
	       c.abandoned);
	EXPECT_EQ(0, v.forged_as_mine);
	EXPECT_EQ(12, v.mine);
	mcr_set_close(set);
	munmap(fa, 4096);
}

/* --- counters a writer reports ---------------------------------------- */

/* A predecessor that leaves ring @arg's drop counter nearly wrapped. */
static void forge_dropped(void *arg)
{
	unsigned int ring = (uintptr_t)arg;
	const struct mcr_ring *r;
	struct mcr_writer w;

	r = child_ring(ring, &w);
	WRITE_ONCE(r->prod->dropped_full, ~1ULL);
	_exit(0);
}

/* Write @n records into @w as fast as it goes; the ring's refusals. */
static uint64_t burst(struct mcr_writer *w, unsigned int n)
{
	uint64_t refused = 0;

	for (unsigned int i = 0; i < n; i++)
		if (mcr_log(w, PRI, "burst", 5) == -ENOBUFS)
			refused++;
	return refused;
}

/* dropped_full of @ring once its fill is 0 (everything drained). */
static int settled_dropped(int fd, unsigned int ring, unsigned long long *v)
{
	char name[32];
	unsigned long long fill = 1, passes, now = 0;
	uint64_t deadline = mcr_now_ns() + 2000 * MS * mcr_time_scale();
	struct mcr_counters c;

	if (ring)
		snprintf(name, sizeof(name), "cpu%u/fill", ring - 1);
	else
		snprintf(name, sizeof(name), "mpsc/fill");
	while (!sysfs_u64(name, &fill) && fill && mcr_now_ns() < deadline)
		sleep_us(1000);
	if (fill)
		return -ETIMEDOUT;
	/* Two passes later the writers' count has been read. */
	if (sysfs_u64("drain_passes", &passes))
		return -EIO;
	while (!sysfs_u64("drain_passes", &now) && now < passes + 2)
		if (mcr_now_ns() > deadline)
			return -ETIMEDOUT;
		else
			sleep_us(1000);
	if (ring_counters(fd, ring, &c))
		return -errno;
	*v = c.dropped_full;
	return 0;
}

/*
 * A predecessor leaves the drop counter at 2^64 - 2 and exits. The next
 * SPSC owner's refusals are counted exactly; on the MPSC ring, which any
 * writer shares, the forgery costs the count once, not for good.
 */
TEST_F_TIMEOUT(hostile, a_forged_drop_count_does_not_poison_the_next, 60)
{
	unsigned long long before, after;
	struct mcr_writer w;
	struct mcr_set *set;
	uint64_t refused;
	int status;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("ring_ndesc=16"));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));

	for (unsigned int ring = 0; ring < 2; ring++) {
		status = in_child(forge_dropped, (void *)(uintptr_t)ring);
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("forging child: status %#x", status);
		ASSERT_EQ(0, mcr_open(NULL, &set));
		if (ring) {
			ASSERT_EQ(0, mcr_writer_spsc(set, 0, &w));
		} else {
			ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
			/* The first burst wraps the forged count. */
			burst(&w, 2000);
		}
		ASSERT_EQ(0, settled_dropped(self->arc.fd, ring, &before));
		refused = burst(&w, 2000);
		ASSERT_EQ(0, settled_dropped(self->arc.fd, ring, &after));
		TH_LOG("%s ring after a forged predecessor: %" PRIu64 " refused, %llu counted",
		       ring ? "SPSC" : "MPSC", refused, after - before);
		EXPECT_LT(1, refused);
		EXPECT_EQ(refused, after - before);
		mcr_set_close(set);
		while (arc_pump(&self->arc, 10, NULL, NULL) > 0)
			;
	}
}

/* --- the archive under crafted record sizes -------------------------- */

/* Archive bytes a record of @len text bytes takes (48-byte header). */
#define AREC(len)	(((len) + 48 + 7) & ~7U)
#define ARC_SIZE	32768		/* archive_kb=32 */

struct archeck {
	uint64_t lines, bad, expect;
	bool started;
};

static void on_archeck(void *ctx, const struct mline *l)
{
	struct archeck *a = ctx;
	char want[4096];
	unsigned int n;
	int o;

	if (!a->started) {
		a->started = true;
		a->expect = l->seq;
	}
	a->lines++;
	/* Record n's text: "ar n " and letters up to its length. */
	if (l->seq != a->expect++ || sscanf(l->msg, "ar %u ", &n) != 1 ||
	    n != l->seq) {
		a->bad++;
		return;
	}
	o = sprintf(want, "ar %u ", n);
	memset(want + o, 'a' + n % 26, strlen(l->msg) - o);
	want[strlen(l->msg)] = '\0';
	if (strcmp(want, l->msg))
		a->bad++;
}

/*
 * Any writer picks its records' sizes. With these, the archive is
 * exactly full when a record has to start a new lap: the lap marker then
 * lands on the oldest record. A reader opened afterwards must still get
 * every archived record exactly once, in sequence.
 */
TEST_F_TIMEOUT(hostile, crafted_sizes_keep_the_archive_consistent, 30)
{
	/* Text lengths: archive records of 4096 x7, 1024, 3072, 4096 x7, 1024, 4096. */
	static const unsigned int lens[] = {
		4048, 4048, 4048, 4048, 4048, 4048, 4048, 976, 3024,
		4048, 4048, 4048, 4048, 4048, 4048, 4048, 976, 4048,
	};
	struct archeck a = { 0 };
	struct mcr_writer w;
	struct mcr_set *set;
	long long archived, first;
	char buf[4096];
	uint64_t deadline;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("archive_kb=32"));
	self->loaded = true;
	ASSERT_EQ(ARC_SIZE, 7 * AREC(4048) + AREC(976) + AREC(3024));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		int o = sprintf(buf, "ar %u ", i);

		memset(buf + o, 'a' + i % 26, lens[i] - o);
		ASSERT_EQ(0, mcr_log(&w, PRI, buf, lens[i]));
		/* One at a time into the archive, in this order. */
		for (deadline = mcr_now_ns() + 2000 * MS * mcr_time_scale();
		     sysfs_num("/sys/kernel/mcrring/archived") != i + 1;) {
			ASSERT_GT(deadline, mcr_now_ns());
			ioctl(mcr_set_fd(set), MCR_IOC_WAKE);
			sleep_us(2000);
		}
	}
	archived = sysfs_num("/sys/kernel/mcrring/archived");
	first = sysfs_num("/sys/kernel/mcrring/archive_first_seq");
	/* A reader from the oldest record on. */
	ASSERT_EQ(0, arc_open(&self->arc));
	while (arc_pump(&self->arc, 200, on_archeck, &a) > 0)
		;
	TH_LOG("archived %lld, oldest %lld; a new reader got %" PRIu64 " lines from seq %" PRIu64 ", %" PRIu64 " out of sequence or wrong",
	       archived, first, a.lines, a.expect - a.lines, a.bad);
	EXPECT_EQ(0, a.bad);
	EXPECT_EQ(archived - first, (long long)a.lines);
	EXPECT_EQ(first, (long long)(a.expect - a.lines));
	EXPECT_EQ(0, self->arc.lost_markers);
	/* Unload before anything else reads past the damage. */
	arc_close(&self->arc);
	mcr_set_close(set);
}

TEST_HARNESS_MAIN
