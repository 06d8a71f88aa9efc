// SPDX-License-Identifier: GPL-2.0
/*
 * Bounds that hold whatever a writer leaves in a ring, at the largest
 * ring the module accepts (ring_ndesc=2^20):
 *
 * - the MPSC ring recovers within abandon_ms + reclaim_ms after a writer
 *   set its head exactly one ring ahead and exited (issue 11, attack 1:
 *   before, 4 records moved per reclaim_ms, 11 hours at the defaults);
 * - a drain pass looks at a bounded number of descriptors, so nobody
 *   waits behind mcr_drain_lock for long while a writer keeps its ring
 *   full of invalid descriptors with one valid record per lap (attack 3:
 *   before, one pass took ndesc looks per record it moved).
 *
 * Bounds on real time are stretched by MCR_TIME_SCALE on slow kernels.
 */
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_vmrec.h"

#define PRI		MCR_PRI(1, 6)
#define MS		1000000ULL
#define BIG_NDESC	(1U << 20)	/* the largest ring_ndesc accepted */
#define ABANDON_MS	100
#define RECLAIM_MS	2000
/* Slack for the drain thread's sleeps and one look at every descriptor. */
#define WALK_MS		2000

FIXTURE(bounds) {
	struct arc arc;
	struct mcr_set *set;
	pid_t child;
	bool loaded;
};

FIXTURE_SETUP(bounds)
{
	self->arc.fd = -1;
	self->child = -1;
}

FIXTURE_TEARDOWN(bounds)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	arc_close(&self->arc);
	if (self->set)
		mcr_set_close(self->set);
	if (self->loaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

static int load_big(FIXTURE_DATA(bounds) *self)
{
	char params[128];
	int ret;

	snprintf(params, sizeof(params),
		 "ring_ndesc=%u abandon_ms=%u reclaim_ms=%u", BIG_NDESC,
		 ABANDON_MS, RECLAIM_MS);
	ret = mcr_reload(params);
	self->loaded = true;
	return ret ? ret : arc_open(&self->arc);
}

/* In a child: the MPSC ring as a writer maps it; exits 10/11 on failure. */
static const struct mcr_ring *mpsc_ring(void)
{
	struct mcr_writer w;
	struct mcr_set *set;

	if (mcr_open(NULL, &set))
		_exit(10);
	if (mcr_writer_mpsc(set, &w))
		_exit(11);
	return mcr_set_ring(set, MCR_RING_MPSC);
}

struct got {
	const char *tag;
	uint64_t n, torn;
	uint64_t first_ns;
};

static void on_line(void *ctx, const struct mline *l)
{
	struct got *g = ctx;
	unsigned int id;
	uint64_t n;
	int r = check_msg(l->msg, g->tag, &id, &n);

	if (r < 0)
		g->torn++;
	if (r == 1 && !g->n++)
		g->first_ns = mcr_now_ns();
}

TEST_F_TIMEOUT(bounds, mpsc_head_a_ring_ahead_recovers_within_bound, 120)
{
	uint64_t t_left, deadline, bound_ns, written = 0, refused = 0;
	struct got g = { .tag = "rc" };
	struct mcr_writer w;
	char buf[256];
	int status;

	REQUIRE_MODULE();
	ASSERT_EQ(0, load_big(self));

	/* One store, then gone. */
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		const struct mcr_ring *r = mpsc_ring();
		__u64 tail = READ_ONCE(r->cons->tail);

		WRITE_ONCE(r->prod->head,
			   mcr_pack((tail >> 32) + r->ndesc, (__u32)tail));
		_exit(0);
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = -1;
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x", status);
	t_left = mcr_now_ns();

	bound_ns = (ABANDON_MS + RECLAIM_MS + WALK_MS) * MS * mcr_time_scale();
	deadline = t_left + bound_ns + 10000 * MS;
	ASSERT_EQ(0, mcr_open(NULL, &self->set));
	ASSERT_EQ(0, mcr_writer_mpsc(self->set, &w));
	while (!g.n && mcr_now_ns() < deadline) {
		size_t len = make_msg(buf, g.tag, 0, written);
		int ret = mcr_log(&w, PRI, buf, len);

		if (ret == 0)
			written++;
		else if (ret == -ENOBUFS)
			refused++;
		else
			ASSERT_EQ(0, ret);
		ASSERT_LE(0, arc_pump(&self->arc, 10, on_line, &g));
	}
	TH_LOG("head a ring ahead (%u descriptors): first honest record archived after %.2f s (bound %.2f s); %" PRIu64 " writes refused",
	       BIG_NDESC, g.n ? (g.first_ns - t_left) / 1e9 : -1.0,
	       bound_ns / 1e9, refused);
	ASSERT_NE(0, g.n) TH_LOG("nothing got through");
	EXPECT_GE(t_left + bound_ns, g.first_ns);
	EXPECT_EQ(0, g.torn);
}

/* --- a drain pass is bounded ----------------------------------------- */

#define ATTACK_MS	4000
/* Longest wait behind mcr_drain_lock we accept; a pass takes ~10 ms. */
#define LOCK_WAIT_MS	250

/* One valid record in this many descriptors; the rest invalid. */
#define EVERY		4096

/*
 * Keep the descriptors from the consumer's cursor on invalid (a reserved
 * state bit) but for one valid, empty record in every EVERY, and the
 * head a ring ahead: each record the drainer moves costs it EVERY - 1
 * skips first.
 */
static void amplify(uint64_t until)
{
	const struct mcr_ring *r = mpsc_ring();
	__u32 mask = r->ndesc - 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (mcr_now_ns() < until) {
		__u64 tail = READ_ONCE(r->cons->tail);
		__u32 seq = tail >> 32, pos = (__u32)tail;

		for (__u32 k = 0; k < r->ndesc; k++) {
			struct mcr_desc *d = &r->desc[(seq + k) & mask];

			if (k % EVERY != EVERY - 1) {
				WRITE_ONCE(d->state_var,
					   MCR_SV(seq + k, 0,
						  MCR_DESC_COMMITTED) | 0x100);
				continue;
			}
			WRITE_ONCE(d->pos, pos);
			WRITE_ONCE(d->len, 0);
			WRITE_ONCE(d->pri, PRI);
			WRITE_ONCE(d->flags, 0);
			smp_store_release(&d->state_var,
					  MCR_SV(seq + k, 0,
						 MCR_DESC_COMMITTED));
		}
		WRITE_ONCE(r->prod->head, mcr_pack(seq + r->ndesc, pos));
	}
	_exit(0);
}

TEST_F_TIMEOUT(bounds, a_drain_pass_is_bounded_whatever_a_ring_holds, 120)
{
	uint64_t until, worst = 0, calls = 0, written = 0, refused = 0;
	uint64_t lock_bound = LOCK_WAIT_MS * MS * mcr_time_scale();
	struct got g = { .tag = "pb" };
	struct mcr_counters c0, c1;
	struct mcr_writer w;
	uint64_t deadline;
	char buf[256];

	REQUIRE_MODULE();
	ASSERT_EQ(0, load_big(self));
	ASSERT_EQ(0, mcr_open(NULL, &self->set));
	ASSERT_EQ(0, mcr_writer_spsc(self->set, 1, &w));
	ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_MPSC, &c0));

	until = mcr_now_ns() + ATTACK_MS * MS * mcr_time_scale();
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		amplify(until);

	/* An honest writer on another ring, and a reader of the counters. */
	while (mcr_now_ns() < until) {
		uint64_t t0 = mcr_now_ns(), t;
		size_t len = make_msg(buf, g.tag, 1, written);
		int ret = mcr_log(&w, PRI, buf, len);

		if (ret == 0)
			written++;
		else if (ret == -ENOBUFS)
			refused++;
		else
			ASSERT_EQ(0, ret);
		t0 = mcr_now_ns();
		ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_MPSC, &c1));
		t = mcr_now_ns() - t0;
		if (t > worst)
			worst = t;
		calls++;
		ASSERT_LE(0, arc_pump(&self->arc, 0, on_line, &g));
		sleep_us(1000);		/* paced: the honest ring never fills */
	}
	waitpid(self->child, NULL, 0);
	self->child = -1;
	deadline = mcr_now_ns() + 10000 * MS * mcr_time_scale();
	while (g.n < written && mcr_now_ns() < deadline)
		ASSERT_LE(0, arc_pump(&self->arc, 20, on_line, &g));
	ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_MPSC, &c1));
	TH_LOG("amplifier: %llu invalid skipped, %llu records; counters ioctl: %" PRIu64 " calls, worst wait %.1f ms (bound %.1f ms); honest: %" PRIu64 " written, %" PRIu64 " refused, %" PRIu64 " archived",
	       c1.invalid - c0.invalid, c1.drained - c0.drained, calls,
	       worst / 1e6, lock_bound / 1e6, written, refused, g.n);
	EXPECT_LT(100000, c1.invalid - c0.invalid)
		TH_LOG("the amplifier did not get going");
	EXPECT_GE(lock_bound, worst);
	EXPECT_EQ(0, refused);
	EXPECT_EQ(written, g.n);
	EXPECT_EQ(0, g.torn);
}

TEST_HARNESS_MAIN
