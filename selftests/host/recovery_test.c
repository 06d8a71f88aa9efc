// SPDX-License-Identifier: GPL-2.0
/*
 * Whatever an MPSC writer leaves behind, honest writers get records
 * through again within abandon_ns + reclaim_ns, however large the ring.
 *
 * The protocol alone, on a virtual clock: the consumer is called the way
 * the drain thread calls it, one pass per step of the clock, so bounds are
 * checked exactly and no test sleeps. The attacker's stores are the ones
 * a process mapping the MPSC ring can make and then exit.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"

#define MS		1000000ULL
#define ABANDON_NS	(100 * MS)	/* the module's defaults */
#define RECLAIM_NS	(10000 * MS)
#define STEP_NS		MS		/* the busy drain thread's period */
#define GIVE_UP_NS	(600 * 1000 * MS)

FIXTURE(vring) {
	void *mem;
	size_t size;
	struct mcr_ring r;
	struct mcr_cursor c;
	struct mcr_record rec;
	__u64 now;
	__u64 honest;		/* honest records delivered */
	__u64 refused;		/* honest reservations refused */
	char text[MCR_TEXT_MAX];
};

FIXTURE_SETUP(vring)
{
	self->mem = MAP_FAILED;
	self->now = 1;
}

FIXTURE_TEARDOWN(vring)
{
	if (self->mem != MAP_FAILED)
		munmap(self->mem, self->size);
}

static int vring_open(FIXTURE_DATA(vring) *self, __u32 ndesc, __u32 data)
{
	self->size = mcr_ring_size(ndesc, data);
	self->mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->mem == MAP_FAILED)
		return -1;
	if (mcr_ring_format(&self->r, self->mem, ndesc, data, MCR_RING_MPSC))
		return -1;
	mcr_cursor_init(&self->c, &self->r, MCR_RING_MPSC);
	return 0;
}

#define HONEST_PID	4242

/* One drain pass: consume until nothing more can be taken now. */
static void pass(FIXTURE_DATA(vring) *self)
{
	for (;;) {
		int res = mcr_consume(&self->r, &self->c, &self->rec,
				      self->text, self->now, ABANDON_NS,
				      RECLAIM_NS);

		if (res == MCR_RECORD && self->rec.pid == HONEST_PID)
			self->honest++;
		if (res == MCR_EMPTY || res == MCR_INFLIGHT)
			return;
	}
}

/* An honest MPSC writer's record: reserve, fill, commit. */
static int honest_write(FIXTURE_DATA(vring) *self)
{
	struct mcr_resv resv;
	int ret = mcr_mpsc_reserve(&self->r, 16, &resv);

	if (ret) {
		self->refused++;
		return ret;
	}
	memset(resv.text, 'h', 16);
	mcr_mpsc_commit(&self->r, &resv, 16, self->now, HONEST_PID, 1, 0,
			MCR_PRI(1, 6), 0);
	return 0;
}

/*
 * Run the clock from now: a pass and one honest write per step, until an
 * honest record has been delivered. Returns the time that took.
 */
static __u64 time_to_recover(FIXTURE_DATA(vring) *self)
{
	__u64 start = self->now, want = self->honest + 1;

	while (self->now - start < GIVE_UP_NS) {
		pass(self);
		if (self->honest >= want)
			return self->now - start;
		honest_write(self);
		self->now += STEP_NS;
	}
	return GIVE_UP_NS;
}

static void report(FIXTURE_DATA(vring) *self, const char *what, __u64 took)
{
	ksft_print_msg("%s: first honest record after %.1f s (bound %.1f s), %llu refused, %llu abandoned, %llu reclaimed\n",
		       what, took / 1e9, (ABANDON_NS + RECLAIM_NS + 2 * STEP_NS) / 1e9,
		       (unsigned long long)self->refused,
		       (unsigned long long)self->c.abandoned,
		       (unsigned long long)self->c.reclaimed);
	fflush(stdout);
}

/* Issue 11, attack 1: one store, a head exactly one ring ahead. */
TEST_F(vring, head_one_ring_ahead_recovers_within_bound)
{
	const __u32 ndesc = 1 << 16;
	__u64 took;

	ASSERT_EQ(0, vring_open(self, ndesc, 1 << 20));
	WRITE_ONCE(self->r.prod->head, mcr_pack(ndesc, 0));
	took = time_to_recover(self);
	report(self, "head one ring ahead", took);
	EXPECT_LE(took, ABANDON_NS + RECLAIM_NS + 2 * STEP_NS);
	EXPECT_EQ(ndesc, self->c.abandoned);
}

/*
 * Every other record committed, the rest reserved forever: each abandon
 * is a pin of its own, more than the consumer keeps.
 */
TEST_F(vring, every_other_record_abandoned_recovers_within_bound)
{
	const __u32 ndesc = 1 << 16;
	__u64 took;

	ASSERT_EQ(0, vring_open(self, ndesc, 1 << 20));
	for (__u32 s = 1; s < ndesc; s += 2) {
		struct mcr_desc *d = &self->r.desc[s];

		d->pos = 8 * s;
		d->len = 8;
		d->pri = MCR_PRI(1, 6);
		d->pid = 1;
		d->state_var = MCR_SV(s, 0, MCR_DESC_COMMITTED);
	}
	WRITE_ONCE(self->r.prod->head, mcr_pack(ndesc, 8 * ndesc));
	took = time_to_recover(self);
	report(self, "every other record abandoned", took);
	EXPECT_LE(took, ABANDON_NS + RECLAIM_NS + 2 * STEP_NS);
	EXPECT_EQ(ndesc / 2, self->c.abandoned);
	EXPECT_EQ(ndesc / 2, self->c.drained - self->honest);
}

/*
 * Nothing in flight, but the head's data position a whole data ring
 * ahead: no sequence to abandon, and no byte left for a reservation.
 */
TEST_F(vring, head_text_a_ring_ahead_recovers_at_once)
{
	const __u32 data = 1 << 16;
	__u64 took;

	ASSERT_EQ(0, vring_open(self, 64, data));
	WRITE_ONCE(self->r.prod->head, mcr_pack(0, data));
	took = time_to_recover(self);
	report(self, "head text a ring ahead", took);
	EXPECT_LE(took, 2 * STEP_NS);
	EXPECT_EQ(0, self->c.abandoned);
}

/*
 * Text positions are 8-byte aligned: a head or a record that says
 * otherwise is not believed, so no writer (nor the next SPSC owner, who
 * starts at the cursor) inherits a misaligned ring.
 */
TEST_F(vring, an_unaligned_head_is_put_back)
{
	struct mcr_resv resv;

	ASSERT_EQ(0, vring_open(self, 64, 1 << 16));
	WRITE_ONCE(self->r.prod->head, mcr_pack(0, 4));
	pass(self);
	EXPECT_EQ(1, self->c.resyncs);
	ASSERT_EQ(0, mcr_mpsc_reserve(&self->r, 16, &resv));
	EXPECT_EQ(0, resv.begin % 8);
	mcr_mpsc_commit(&self->r, &resv, 16, self->now, HONEST_PID, 1, 0,
			MCR_PRI(1, 6), 0);
	pass(self);
	EXPECT_EQ(1, self->honest);
}

TEST_F(vring, an_unaligned_record_is_invalid)
{
	struct mcr_desc *d;

	ASSERT_EQ(0, vring_open(self, 64, 1 << 16));
	d = &self->r.desc[0];
	d->pos = 4;
	d->len = 8;
	d->pri = MCR_PRI(1, 6);
	d->state_var = MCR_SV(0, 0, MCR_DESC_COMMITTED);
	WRITE_ONCE(self->r.prod->head, mcr_pack(1, 16));
	pass(self);
	EXPECT_EQ(1, self->c.invalid);
	EXPECT_EQ(0, self->c.drained);
	EXPECT_EQ(0, self->c.pos % 8);
}

/*
 * The wait that abandons covers every sequence reserved before it began,
 * and no other: a record reserved after is given a whole abandon_ns of
 * its own.
 */
TEST_F(vring, a_record_in_flight_less_than_abandon_is_kept)
{
	struct mcr_resv a, b;
	__u64 t_b;

	ASSERT_EQ(0, vring_open(self, 64, 1 << 16));
	ASSERT_EQ(0, mcr_mpsc_reserve(&self->r, 16, &a));
	pass(self);				/* the wait for a begins */
	self->now += ABANDON_NS - STEP_NS;
	ASSERT_EQ(0, mcr_mpsc_reserve(&self->r, 16, &b));
	t_b = self->now;
	for (; self->now < t_b + ABANDON_NS; self->now += STEP_NS) {
		pass(self);
		ASSERT_GE(1, self->c.abandoned);
	}
	EXPECT_EQ(1, self->c.abandoned);	/* a, not b */
	EXPECT_EQ(b.seq, self->c.seq);
	memset(b.text, 'b', 16);
	mcr_mpsc_commit(&self->r, &b, 16, self->now, HONEST_PID, 1, 0,
			MCR_PRI(1, 6), 0);
	pass(self);
	EXPECT_EQ(1, self->honest);
}

/*
 * A head forged ahead and put back: the wait it began covers nothing an
 * honest writer reserves afterwards.
 */
TEST_F(vring, a_head_put_back_restarts_the_wait)
{
	struct mcr_resv a, b;
	__u64 t_b;

	ASSERT_EQ(0, vring_open(self, 64, 1 << 16));
	ASSERT_EQ(0, mcr_mpsc_reserve(&self->r, 16, &a));
	WRITE_ONCE(self->r.prod->head, mcr_pack(32, a.begin + 16));
	pass(self);				/* a wait over 0..31 begins */
	WRITE_ONCE(self->r.prod->head, mcr_pack(1, a.begin + 16));
	self->now += ABANDON_NS - STEP_NS;
	ASSERT_EQ(0, mcr_mpsc_reserve(&self->r, 16, &b));
	t_b = self->now;
	for (; self->now < t_b + ABANDON_NS; self->now += STEP_NS) {
		pass(self);
		ASSERT_GE(b.seq, self->c.seq) TH_LOG("b skipped");
	}
	memset(b.text, 'b', 16);
	mcr_mpsc_commit(&self->r, &b, 16, self->now, HONEST_PID, 1, 0,
			MCR_PRI(1, 6), 0);
	pass(self);
	EXPECT_EQ(1, self->honest);
}

/*
 * A late writer of the fifth abandoned record, when the consumer keeps
 * only MCR_PINS pins: its text stays out of reach of other writers until
 * reclaim_ns after it was skipped, so its late commit tears nothing.
 */
TEST_F(vring, late_writer_past_the_pins_keeps_its_memory)
{
	struct mcr_resv late[MCR_PINS + 1];
	__u64 t_skip;

	ASSERT_EQ(0, vring_open(self, 64, 1 << 16));
	for (int i = 0; i <= MCR_PINS; i++) {
		ASSERT_EQ(0, mcr_mpsc_reserve(&self->r, 64, &late[i]));
		ASSERT_EQ(0, honest_write(self));
	}
	while (self->c.abandoned < MCR_PINS + 1) {
		pass(self);
		self->now += STEP_NS;
		ASSERT_GT(GIVE_UP_NS, self->now);
	}
	t_skip = self->now;
	EXPECT_EQ(MCR_PINS + 1, self->honest);
	/* Until reclaim_ns has passed, the last late text is not freed. */
	for (; self->now < t_skip + RECLAIM_NS - STEP_NS;
	     self->now += 100 * STEP_NS) {
		__u64 tail;

		pass(self);
		for (int i = 0; i < 128 && honest_write(self) == 0; i++)
			pass(self);
		/* Freed up to tail: it must not have passed the late text. */
		tail = READ_ONCE(self->r.cons->tail);
		ASSERT_GE(1 << 16, (__u32)(late[MCR_PINS].begin -
					   mcr_packed_pos(tail)))
			TH_LOG("late text freed %.1f s after the skip",
			       (self->now - t_skip) / 1e9);
	}
	memset(late[MCR_PINS].text, 'L', 64);
	mcr_mpsc_commit(&self->r, &late[MCR_PINS], 64, self->now, 1, 1, 0,
			MCR_PRI(1, 6), 0);
	self->now += 2 * STEP_NS;
	EXPECT_GT(time_to_recover(self), 0);
	EXPECT_EQ(0, self->c.invalid);
}

TEST_HARNESS_MAIN
