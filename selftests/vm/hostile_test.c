// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile writers (invariant 5): processes that write garbage, forged
 * descriptors and racing rewrites over every writable byte of the MPSC
 * ring and of a claimed SPSC ring, while an honest writer logs on another
 * claimed SPSC ring. The kernel must neither crash, warn nor stall, must
 * count the garbage as invalid, deliver every honest record intact, and
 * unload cleanly afterwards; and what a hostile leaves behind does not
 * outlive it. The consumer's page and the mapping shapes:
 * hostile_map_test.c; what a writer forges for the next owner, its
 * counters and record sizes: hostile_forge_test.c.
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

/* --- hostile writers ------------------------------------------------- */

#define ATTACK_MS	5000
#define NFORGE		512
/*
 * What the honest writer committed is drained within this (ms, stretched
 * by MCR_TIME_SCALE), whatever the hostile rings hold.
 */
#define STALL_MS	1000
/* The test's own reader must see a line at least this often (ms, stretched). */
#define QUIET_MS	5000

struct hstats {
	uint64_t passes, full, forged, races, heads, wakes;
};

static void fill_random(void *p, size_t len)
{
	uint64_t *q = p;

	for (size_t i = 0; i < len / 8; i++)
		q[i] = rnd();
}

/* Text with every kind of byte the archive must escape. */
static void nasty_text(unsigned char *p, size_t len)
{
	static const char s[] = "\n# mcrring: 9 records lost\n0,0,0,0,0,0,0,0,-;forged\\\t\r\x7f\xff";

	for (size_t i = 0; i < len; i++)
		p[i] = i % 3 ? (unsigned char)rnd() : (unsigned char)s[i % (sizeof(s) - 1)];
}

/*
 * Forge descriptors from the consumer's position on: some valid (with
 * nasty text and absurd timestamps), most subtly wrong in one field.
 */
static void forge(const struct mcr_ring *r, int fd, struct hstats *st)
{
	__u64 tail = READ_ONCE(r->cons->tail);
	__u32 seq = tail >> 32, pos = (__u32)tail;
	__u32 dmask = r->data_size - 1;

	for (__u32 k = 0; k < NFORGE; k++) {
		struct mcr_desc *d = &r->desc[(seq + k) & (r->ndesc - 1)];
		__u32 len = rnd() % 200, p = pos + k * 256, state = MCR_DESC_COMMITTED;
		__u64 sv_extra = 0;
		__u8 pri = MCR_PRI(rnd() % 24, rnd() % 8), flags = rnd() % 2;

		switch (rnd() % 9) {
		case 0:				/* too long */
			len = MCR_TEXT_MAX + 1 + rnd() % 60000;
			break;
		case 1:				/* anywhere */
			p = rnd();
			break;
		case 2:				/* reserved bits */
			sv_extra = (rnd() % 255 + 1) << 8;
			break;
		case 3:				/* no such facility */
			pri = 24 << 3 | (rnd() % 8);
			break;
		case 4:				/* unknown flags */
			flags = 2 + rnd() % 254;
			break;
		case 5:				/* text across the end */
			p = (pos & ~dmask) + r->data_size - 8;
			len = 100;
			break;
		case 6:				/* a lap ahead */
			p = pos + r->data_size;
			break;
		case 7:				/* any state */
			state = rnd() % 8;
			break;
		default:			/* valid */
			break;
		}
		nasty_text(r->data + (p & dmask & ~7U),
			   len <= MCR_TEXT_MAX && (p & dmask & ~7U) + len <= r->data_size ? len : 0);
		WRITE_ONCE(d->ts_ns, rnd() % 3 == 0 ? 0 : rnd() % 2 ? ~0ULL : rnd());
		WRITE_ONCE(d->pos, p);
		WRITE_ONCE(d->pid, (__u32)rnd());
		WRITE_ONCE(d->tid, (__u32)rnd());
		WRITE_ONCE(d->len, (__u16)len);
		WRITE_ONCE(d->pri, pri);
		WRITE_ONCE(d->flags, flags);
		/* Published last, as a writer commits. */
		smp_store_release(&d->state_var,
				  MCR_SV(seq + k, rnd(), state) | sv_extra);
		st->forged++;
	}
	WRITE_ONCE(r->prod->head, mcr_pack(seq + NFORGE, pos + NFORGE * 256));
	if (rnd() % 4 == 0)
		ioctl(fd, MCR_IOC_WAKE);
}

/* Rewrite a committed record while the consumer may be copying it. */
static void race(const struct mcr_ring *r, struct hstats *st)
{
	__u64 tail = READ_ONCE(r->cons->tail);
	__u32 seq = tail >> 32, pos = (__u32)tail;
	struct mcr_desc *d = &r->desc[seq & (r->ndesc - 1)];
	unsigned char *text = r->data + (pos & (r->data_size - 1) & ~7U);

	if ((pos & (r->data_size - 1)) + MCR_TEXT_MAX > r->data_size)
		return;
	WRITE_ONCE(r->prod->head, mcr_pack(seq + 1, pos + MCR_TEXT_MAX));
	for (int i = 0; i < 20000; i++) {
		WRITE_ONCE(d->pos, pos);
		WRITE_ONCE(d->len, i % 2 ? 16 : MCR_TEXT_MAX);
		text[i % MCR_TEXT_MAX] ^= 0x55;
		/* Published last, as a writer commits. */
		smp_store_release(&d->state_var,
				  MCR_SV(seq, i, MCR_DESC_COMMITTED));
	}
	st->races++;
}

/* Heads the consumer cannot believe. */
static void bad_head(const struct mcr_ring *r, struct hstats *st)
{
	__u64 tail = READ_ONCE(r->cons->tail);
	__u32 seq = tail >> 32, pos = (__u32)tail;
	__u64 v[] = {
		rnd(), mcr_pack(seq - 1, pos), mcr_pack(seq + r->ndesc, pos),
		mcr_pack(seq + r->ndesc + 1, pos),
		mcr_pack(seq + 1, pos + 2 * r->data_size),
		mcr_pack(seq + 1, pos - 8), mcr_pack(seq, pos),
	};

	WRITE_ONCE(r->prod->head, v[rnd() % ARRAY_SIZE(v)]);
	WRITE_ONCE(r->prod->cached_tail, rnd());
	WRITE_ONCE(r->prod->dropped_full, rnd() % 2 ? rnd() : 0);
	st->heads++;
}

/* Scribble over @ring of @set until @deadline; write stats to @st. */
static void hostile_loop(struct mcr_set *set, unsigned int ring,
			 uint64_t deadline, struct hstats *st)
{
	const struct mcr_ring *r = mcr_set_ring(set, ring);
	int fd = mcr_set_fd(set);

	while (mcr_now_ns() < deadline) {
		switch (st->passes++ % 6) {
		case 0:
			/* Every writable byte: prod page, descriptors, data. */
			fill_random(r->prod, MCR_PAGE_SIZE);
			fill_random(r->desc, (size_t)r->ndesc * sizeof(*r->desc));
			fill_random(r->data, r->data_size);
			st->full++;
			break;
		case 1:
		case 3:
			forge(r, fd, st);
			break;
		case 2:
			race(r, st);
			break;
		case 4:
			bad_head(r, st);
			break;
		default:
			fill_random(r->desc, (size_t)r->ndesc * sizeof(*r->desc));
			fill_random(r->prod, 64);
			ioctl(fd, MCR_IOC_WAKE);
			st->wakes++;
		}
	}
}

enum { H_MPSC, H_SPSC, H_HONEST, H_N };

struct hshared {
	uint32_t stop;
	uint32_t state[H_N];		/* 1 running, 2 failed */
	int32_t err[H_N];
	uint64_t honest_committed;
	uint64_t honest_dropped;
	struct hstats st[2];
};

static void hostile_main(struct hshared *sh, int who, uint64_t deadline)
{
	struct mcr_writer w;
	struct mcr_set *set;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rnd_state = (mcr_now_ns() ^ (getpid() * 0x9e3779b97f4a7c15ULL)) | 1;
	ret = mcr_open(NULL, &set);
	if (!ret)
		ret = who == H_MPSC ? mcr_writer_mpsc(set, &w) :
				      mcr_writer_spsc(set, 0, &w);
	if (ret) {
		STORE(sh->err[who], ret);
		STORE(sh->state[who], 2);
		_exit(1);
	}
	STORE(sh->state[who], 1);
	hostile_loop(set, who == H_MPSC ? MCR_RING_MPSC : MCR_RING_SPSC(0),
		     deadline, &sh->st[who]);
	_exit(0);
}

/* The honest writer: cpu1's ring, paced, self-checking records. */
static void honest_main(struct hshared *sh)
{
	struct mcr_writer w;
	struct mcr_set *set;
	char buf[256];
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ret = mcr_open(NULL, &set);
	if (!ret)
		ret = mcr_writer_spsc(set, 1, &w);
	if (ret) {
		STORE(sh->err[H_HONEST], ret);
		STORE(sh->state[H_HONEST], 2);
		_exit(1);
	}
	STORE(sh->state[H_HONEST], 1);
	for (uint64_t n = 0; !LOAD(sh->stop);) {
		size_t len = make_msg(buf, "hw", 0, n);

		ret = mcr_log(&w, PRI, buf, len);
		if (ret == -ENOBUFS) {
			STORE(sh->honest_dropped, sh->honest_dropped + 1);
		} else if (ret) {
			STORE(sh->err[H_HONEST], ret);
			STORE(sh->state[H_HONEST], 2);
			_exit(1);
		} else {
			STORE(sh->honest_committed, ++n);
		}
		if (n % 4 == 0)
			sleep_us(1000);
	}
	mcr_set_close(set);
	_exit(0);
}

struct htest {
	pid_t honest_pid;
	uint64_t next, delivered, lost, dup, torn, bad_owner;
	uint64_t per_ring[3];
	uint64_t last_ns, worst_gap_ns;
};

static void on_hline(void *ctx, const struct mline *l)
{
	struct htest *t = ctx;
	unsigned int id;
	uint64_t n, now;
	int r;

	if (l->ring < 3)
		t->per_ring[l->ring]++;
	if (l->ring != MCR_RING_SPSC(1))
		return;		/* the hostile rings: anything goes */
	r = check_msg(l->msg, "hw", &id, &n);
	if (r != 1 || id != 0) {
		t->torn++;
		return;
	}
	if (l->owner_pid != t->honest_pid || l->pid != (unsigned int)t->honest_pid)
		t->bad_owner++;
	if (n < t->next) {
		t->dup++;
		return;
	}
	t->lost += n - t->next;
	t->next = n + 1;
	t->delivered++;
	now = mcr_now_ns();
	if (t->last_ns && now - t->last_ns > t->worst_gap_ns)
		t->worst_gap_ns = now - t->last_ns;
	t->last_ns = now;
}

FIXTURE(hostile) {
	struct hshared *sh;
	pid_t pids[8];
	struct arc arc;
	bool loaded;
};

FIXTURE_SETUP(hostile)
{
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->arc.fd = -1;
}

FIXTURE_TEARDOWN(hostile)
{
	for (int i = 0; i < 8; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	arc_close(&self->arc);
	munmap(self->sh, sizeof(*self->sh));
	if (self->loaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

static bool wait_state(uint32_t *state)
{
	uint64_t deadline = mcr_now_ns() + 5000 * MS * mcr_time_scale();

	while (!LOAD(*state) && mcr_now_ns() < deadline)
		sleep_us(500);
	return LOAD(*state) == 1;
}

TEST_F_TIMEOUT(hostile, scribblers_hurt_nobody_but_themselves, 90)
{
	struct hshared *sh = self->sh;
	uint64_t stall_ns = STALL_MS * MS * mcr_time_scale();
	uint64_t quiet_ns = QUIET_MS * MS * mcr_time_scale();
	uint64_t probe_t = 0, probe_want = 0, worst_stall = 0, now;
	struct mcr_counters c[3], hc;
	struct htest t = { 0 };
	struct mcr_info info;
	uint64_t t0, deadline;
	int bad_before, status, got;

	REQUIRE_MODULE();
	bad_before = mcr_klog_bad_lines();
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(0, mcr_reload("abandon_ms=20 reclaim_ms=200 archive_kb=65536"));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));
	self->arc.check_bytes = true;
	ASSERT_EQ(0, ioctl(self->arc.fd, MCR_IOC_INFO, &info));
	if (info.nr_rings < 3)
		SKIP(return, "needs two CPUs' rings (nr_rings %u)", info.nr_rings);

	self->pids[H_HONEST] = fork();
	if (self->pids[H_HONEST] == 0)
		honest_main(sh);
	ASSERT_LT(0, self->pids[H_HONEST]);
	t.honest_pid = self->pids[H_HONEST];
	ASSERT_TRUE(wait_state(&sh->state[H_HONEST]))
		TH_LOG("honest writer: %d", sh->err[H_HONEST]);

	deadline = mcr_now_ns() + ATTACK_MS * MS;
	for (int who = H_MPSC; who <= H_SPSC; who++) {
		self->pids[who] = fork();
		if (self->pids[who] == 0)
			hostile_main(sh, who, deadline);
		ASSERT_LT(0, self->pids[who]);
		ASSERT_TRUE(wait_state(&sh->state[who]))
			TH_LOG("hostile %d: %d", who, sh->err[who]);
	}

	/*
	 * Honest records keep flowing during the attack: whatever the
	 * honest writer had committed when we looked is drained from its
	 * ring within STALL_MS. The module is timed (the ring's drained
	 * counter), not this test's reader, nor the honest writer, which
	 * may be starved by the two spinning scribblers on two CPUs.
	 */
	t0 = mcr_now_ns();
	t.last_ns = t0;
	while ((now = mcr_now_ns()) < deadline) {
		if (!probe_t) {
			probe_want = LOAD(sh->honest_committed);
			probe_t = mcr_now_ns();
		}
		ASSERT_LE(0, arc_pump(&self->arc, 10, on_hline, &t));
		ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_SPSC(1),
					   &hc));
		now = mcr_now_ns();
		if (hc.drained >= probe_want) {
			if (now - probe_t > worst_stall)
				worst_stall = now - probe_t;
			probe_t = 0;
		}
		ASSERT_TRUE(!probe_t || now - probe_t < stall_ns)
			TH_LOG("honest ring drained %llu of %" PRIu64 " committed %" PRIu64 " ms ago",
			       hc.drained, probe_want,
			       (now - probe_t) / MS);
	}
	TH_LOG("attack over after %" PRIu64 " ms; honest delivered %" PRIu64 " meanwhile, longest drain stall %" PRIu64 " ms (bound %" PRIu64 "), longest gap between this reader's honest lines %" PRIu64 " ms",
	       (uint64_t)(mcr_now_ns() - t0) / MS, t.delivered,
	       worst_stall / MS, stall_ns / MS, t.worst_gap_ns / MS);
	for (int who = H_MPSC; who <= H_SPSC; who++) {
		ASSERT_EQ(self->pids[who], waitpid(self->pids[who], &status, 0));
		self->pids[who] = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("hostile %d died: status %#x", who, status);
	}
	STORE(sh->stop, 1);
	ASSERT_EQ(self->pids[H_HONEST],
		  waitpid(self->pids[H_HONEST], &status, 0));
	self->pids[H_HONEST] = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("honest writer: %d", sh->err[H_HONEST]);

	/* The module's part: the honest ring is drained within STALL_MS. */
	for (deadline = mcr_now_ns() + stall_ns;;) {
		ASSERT_EQ(0, ring_counters(self->arc.fd, MCR_RING_SPSC(1),
					   &hc));
		if (hc.drained >= LOAD(sh->honest_committed))
			break;
		ASSERT_GT(deadline, mcr_now_ns())
			TH_LOG("honest ring: %llu of %" PRIu64 " drained",
			       hc.drained, sh->honest_committed);
		ASSERT_LE(0, arc_pump(&self->arc, 5, on_hline, &t));
	}
	/*
	 * This test's part: its reader may be behind the archive; bounded
	 * by progress, a line at least every QUIET_MS.
	 */
	for (deadline = mcr_now_ns() + quiet_ns;
	     t.next < LOAD(sh->honest_committed);) {
		ASSERT_GT(deadline, mcr_now_ns())
			TH_LOG("honest: %" PRIu64 " of %" PRIu64 " delivered, and no line for %u ms",
			       t.next, sh->honest_committed,
			       QUIET_MS * mcr_time_scale());
		got = arc_pump(&self->arc, 20, on_hline, &t);
		ASSERT_LE(0, got);
		if (got > 0)
			deadline = mcr_now_ns() + quiet_ns;
	}
	while (arc_pump(&self->arc, 200, on_hline, &t) > 0)
		;
	for (unsigned int i = 0; i < 3; i++) {
		ASSERT_EQ(0, ring_counters(self->arc.fd, i, &c[i]));
	}

	for (int who = H_MPSC; who <= H_SPSC; who++)
		TH_LOG("hostile %s: %" PRIu64 " passes, %" PRIu64 " full scribbles, %" PRIu64 " forged descriptors, %" PRIu64 " races, %" PRIu64 " bad heads",
		       who == H_MPSC ? "mpsc" : "spsc cpu0", sh->st[who].passes,
		       sh->st[who].full, sh->st[who].forged, sh->st[who].races,
		       sh->st[who].heads);
	for (unsigned int i = 0; i < 3; i++)
		TH_LOG("ring %u: lines %" PRIu64 " drained %llu invalid %llu abandoned %llu discarded %llu",
		       i, t.per_ring[i], c[i].drained, c[i].invalid,
		       c[i].abandoned, c[i].discarded);
	TH_LOG("honest: committed %" PRIu64 ", delivered %" PRIu64 ", refused (ring full) %" PRIu64,
	       sh->honest_committed, t.delivered, sh->honest_dropped);

	/* The honest writer lost nothing and every record is intact. */
	EXPECT_EQ(sh->honest_committed, t.delivered);
	EXPECT_EQ(sh->honest_committed, t.next);
	EXPECT_EQ(0, t.lost);
	EXPECT_EQ(0, t.dup);
	EXPECT_EQ(0, t.torn);
	EXPECT_EQ(0, t.bad_owner);
	EXPECT_EQ(0, c[2].invalid);
	EXPECT_EQ(0, c[2].abandoned);
	EXPECT_EQ(t.per_ring[2], c[2].drained);
	EXPECT_GE(stall_ns, worst_stall) TH_LOG("honest records stalled");
	EXPECT_LT(100, t.delivered);
	/* The garbage was seen and counted. */
	EXPECT_LT(0, c[0].invalid);
	EXPECT_LT(0, c[1].invalid);
	for (unsigned int i = 0; i < 3; i++) {
		EXPECT_EQ(t.per_ring[i], c[i].drained) TH_LOG("ring %u", i);
	}
	/* One record per line, every byte escaped (invariant 8). */
	EXPECT_EQ(0, self->arc.unprintable);
	EXPECT_EQ(0, self->arc.malformed);
	EXPECT_EQ(0, self->arc.lost_markers);
	EXPECT_EQ(0, self->arc.seq_breaks);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());

	/* Everything closed: the module goes away cleanly. */
	arc_close(&self->arc);
	EXPECT_EQ(0, mcr_unload());
	EXPECT_FALSE(mcr_loaded());
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
	ASSERT_EQ(0, mcr_load(NULL));
	self->loaded = false;
}

/* --- what a hostile leaves behind ------------------------------------ */

/*
 * Leave @ring with a head the consumer cannot believe, as a scribbler
 * that exits at the wrong moment does, and exit. @how: 0 behind the
 * consumer, 1 more than a ring ahead, 2 a data position far away.
 */
static void leave_bad_head(void *arg)
{
	unsigned int ring = (uintptr_t)arg & 0xff, how = (uintptr_t)arg >> 8;
	const struct mcr_ring *r;
	struct mcr_writer w;
	__u64 tail;

	r = child_ring(ring, &w);
	tail = READ_ONCE(r->cons->tail);
	WRITE_ONCE(r->prod->head,
		   how == 0 ? mcr_pack((tail >> 32) - 7, (__u32)tail) :
		   how == 1 ? mcr_pack((tail >> 32) + 3 * r->ndesc, (__u32)tail) :
			      mcr_pack((tail >> 32), (__u32)tail + 3 * r->data_size + 8));
	_exit(0);
}

struct resync {
	uint64_t got;
};

static void on_resync(void *ctx, const struct mline *l)
{
	struct resync *rs = ctx;
	unsigned int id;
	uint64_t n;

	if (check_msg(l->msg, "rs", &id, &n) == 1)
		rs->got++;
}

/*
 * "Garbage is counted as invalid, the ring resynchronises": once the
 * scribbler is gone, the next writer of the same ring gets its records
 * through.
 */
TEST_F_TIMEOUT(hostile, rings_work_again_after_the_hostile_is_gone, 60)
{
	static const char *const what[] = { "behind", "a lap ahead", "far data" };
	struct mcr_counters c;
	struct mcr_writer w;
	struct mcr_set *set;
	struct resync rs = { 0 };
	unsigned int failures = 0;
	char buf[256];

	REQUIRE_MODULE();
	for (unsigned int how = 0; how < 3; how++) {
		for (unsigned int ring = 0; ring < 2; ring++) {
			uint64_t deadline, written = 0, refused = 0;
			int status, ret;

			ASSERT_EQ(0, mcr_reload(NULL));
			self->loaded = true;
			ASSERT_EQ(0, arc_open(&self->arc));
			status = in_child(leave_bad_head,
					  (void *)(uintptr_t)(ring | how << 8));
			ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
			ASSERT_EQ(0, mcr_open(NULL, &set));
			ASSERT_EQ(0, ring ? mcr_writer_spsc(set, 0, &w) :
					    mcr_writer_mpsc(set, &w));
			rs.got = 0;
			deadline = mcr_now_ns() + 1000 * MS * mcr_time_scale();
			while (written < 10 && mcr_now_ns() < deadline) {
				size_t len = make_msg(buf, "rs", ring, written);

				ret = mcr_log(&w, PRI, buf, len);
				if (ret == -ENOBUFS) {
					refused++;
					sleep_us(10000);
					continue;
				}
				ASSERT_EQ(0, ret);
				written++;
			}
			while (rs.got < written && mcr_now_ns() < deadline) {
				ASSERT_LE(0, arc_pump(&self->arc, 20, on_resync,
						      &rs));
			}
			ASSERT_EQ(0, ring_counters(self->arc.fd, ring, &c));
			TH_LOG("%s ring, head %s: %" PRIu64 " of 10 written (%" PRIu64 " refused as full), %" PRIu64 " delivered; invalid %llu dropped_full %llu",
			       ring ? "spsc" : "mpsc", what[how], written,
			       refused, rs.got, c.invalid, c.dropped_full);
			if (written != 10 || rs.got != 10)
				failures++;
			mcr_set_close(set);
			arc_close(&self->arc);
		}
	}
	EXPECT_EQ(0, failures) TH_LOG("a ring stays wedged after a hostile writer left");
}

/* The drain thread goes back to sleep once the hostile is gone. */
TEST_F_TIMEOUT(hostile, drainer_idles_after_the_hostile_is_gone, 30)
{
	int before, after, status;
	pid_t drainer;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload(NULL));
	self->loaded = true;
	drainer = drain_pid();
	ASSERT_LT(0, drainer);
	sleep_us(300000);
	before = cpu_percent(drainer, 1000);
	status = in_child(leave_bad_head, (void *)(uintptr_t)MCR_RING_MPSC);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	sleep_us(300000);
	after = cpu_percent(drainer, 1000);
	TH_LOG("drain thread CPU: %d%% before, %d%% after a writer left a bad head and exited",
	       before, after);
	EXPECT_GT(50, after) TH_LOG("the drain thread spins on a head it cannot use");
}

TEST_HARNESS_MAIN
