// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile writer against the validating consumer, with threads.
 *
 * Ring 2 (the SPSC ring of cpu 1) belongs to a hostile thread that keeps
 * writing over everything a writer can write there: the prod page, the
 * descriptors and the data ring, with random bytes and with descriptors
 * forged for the very sequences the consumer is about to read (some
 * valid, most not, rewritten while the consumer copies them). Meanwhile
 * honest writers log self-checking records to the MPSC ring 0 (two
 * threads) and to the SPSC ring 1, and the test consumes every ring
 * through mcr_read() for a bounded time.
 *
 * Invariant 5 of the design: the consumer trusts nothing a writer can
 * write. So:
 *   - nothing crashes (ASan, UBSan in that build; a guard page follows
 *     the hostile ring, the last of the mapping) and nothing hangs:
 *     every mcr_read() call returns within CALL_DEADLINE_NS, and one that
 *     never returns is killed by the harness's timeout (30 s);
 *   - records of the hostile ring are merely well formed (a hostile
 *     writer may legitimately destroy or forge its own ring's records),
 *     and its invalid counter moves;
 *   - the honest rings lose nothing and deliver every record intact, in
 *     each writer's order, with nothing counted invalid, abandoned or
 *     discarded: garbage on one ring stays on that ring.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "mcrring.h"
#include "kselftest_harness.h"

#if defined(__SANITIZE_THREAD__)
#define MCR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MCR_TSAN 1
#endif
#endif

#define NDESC			64
#define DATA_SIZE		16384
#define NR_RINGS		3
/* The hostile ring is the last of the mapping, with a guard after it:
 * reading past its end faults instead of quietly reading another ring. */
#define HOSTILE_RING		MCR_RING_SPSC(1)
#define HONEST_SPSC_CPU		0
#define HONEST_SPSC_RING	MCR_RING_SPSC(HONEST_SPSC_CPU)
#define NR_MPSC_WRITERS		2
#define NR_WRITERS		(NR_MPSC_WRITERS + 1)
#define RUN_NS			(1500ULL * 1000 * 1000)
#define CALL_DEADLINE_NS	(1000ULL * 1000 * 1000)
#define DRAIN_NS		(10ULL * 1000 * 1000 * 1000)
#define GUARD_SIZE		(2 * MCR_PAGE_SIZE)	/* > MCR_TEXT_MAX + 8 */

#define REC_MAGIC		0x484f5354U	/* "HOST" */
#define PRI_INFO		MCR_PRI(1, 6)

/* The head of every honest record's text; the rest is a pattern. */
struct rec_hdr {
	__u32 magic;
	__u32 writer;
	__u64 n;		/* the writer's record number, from 0 */
};

struct honest {
	pthread_t thread;
	struct mcr_set *set;
	unsigned int id;	/* writers 0 .. NR_MPSC_WRITERS-1: MPSC */
	int stop;		/* atomic */
	int err;		/* a writer call failed unexpectedly */
	__u64 committed;	/* atomic: records committed, in order */
	__u64 retries;		/* -ENOBUFS seen, retried */
	__u32 tid;		/* atomic */
	/* consumer side */
	__u64 delivered;
};

struct hostile {
	pthread_t thread;
	const struct mcr_ring *r;
	int stop;		/* atomic */
	__u64 rounds;
};

static __u32 rec_len(__u64 n)
{
	/* 16 .. 3016 bytes; every few records one of MCR_TEXT_MAX */
	if (n % 97 == 3)
		return MCR_TEXT_MAX;
	return sizeof(struct rec_hdr) + (__u32)((n * 389) % 3001);
}

static char rec_byte(unsigned int writer, __u64 n, __u32 k)
{
	return (char)('!' + (writer * 13 + n * 7 + k) % 90);
}

static void *honest_main(void *arg)
{
	struct honest *h = arg;
	struct mcr_writer w;
	int ret;

	__atomic_store_n(&h->tid, (__u32)mcr_gettid(), __ATOMIC_RELEASE);
	if (h->id < NR_MPSC_WRITERS)
		ret = mcr_writer_mpsc(h->set, &w);
	else
		ret = mcr_writer_spsc(h->set, HONEST_SPSC_CPU, &w);
	if (ret) {
		h->err = ret;
		return NULL;
	}
	for (__u64 n = 0; !__atomic_load_n(&h->stop, __ATOMIC_RELAXED);) {
		__u32 len = rec_len(n);
		struct rec_hdr hdr = { REC_MAGIC, h->id, n };
		struct mcr_resv resv;

		ret = mcr_reserve(&w, len, &resv);
		if (ret == -ENOBUFS) {	/* refused, not lost: try again */
			h->retries++;
			sched_yield();
			continue;
		}
		if (ret) {
			h->err = ret;
			return NULL;
		}
		memcpy(resv.text, &hdr, sizeof(hdr));
		for (__u32 k = sizeof(hdr); k < len; k++)
			resv.text[k] = rec_byte(h->id, n, k);
		ret = mcr_commit(&w, &resv, len, PRI_INFO, 0);
		if (ret) {
			h->err = ret;
			return NULL;
		}
		__atomic_store_n(&h->committed, ++n, __ATOMIC_RELEASE);
	}
	return NULL;
}

static __u64 rnd(__u64 *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/*
 * Every store is a relaxed atomic one, so the compiler keeps each store
 * as written; the consumer's plain copy of the text still races with
 * them, on purpose.
 */
static void put64(void *p, __u64 v)
{
	__atomic_store_n((__u64 *)p, v, __ATOMIC_RELAXED);
}

/* A descriptor for a sequence the consumer is about to read. */
static void forge(const struct mcr_ring *r, __u64 *s)
{
	__u64 tail = __atomic_load_n(&r->cons->tail, __ATOMIC_ACQUIRE);
	__u64 x = rnd(s);
	__u32 seq = mcr_packed_seq(tail) + (__u32)(x % 4);
	__u32 pos = mcr_packed_pos(tail);
	struct mcr_desc *d = &r->desc[seq & (r->ndesc - 1)];
	__u32 state = x & 0x100 ? MCR_DESC_DISCARDED : MCR_DESC_COMMITTED;
	__u32 len = (__u32)(rnd(s) % (MCR_TEXT_MAX + 1));
	__u8 pri = PRI_INFO, flags = 0;
	__u64 sv;

	/* Most forgeries are wrong in one way or another. */
	switch ((x >> 12) % 8) {
	case 0:
		len = MCR_TEXT_MAX + 1 + (__u32)(x >> 40) % 60000;
		break;
	case 1:
		pri = (__u8)(MCR_PRI(MCR_FAC_MAX + 1, 0) + (x >> 20) % 64);
		break;
	case 2:
		flags = (__u8)(2 + (x >> 20) % 250);
		break;
	case 3:	/* past the end of the data ring, or a lap away */
		pos += r->data_size - (__u32)((x >> 20) % 64) * 8;
		break;
	case 4:	/* before the consumer's position */
		pos -= 8 + (__u32)((x >> 20) % 512) * 8;
		break;
	case 5:
		pos = (__u32)(x >> 24);
		break;
	default:	/* plausible: well formed, may be delivered */
		pos += (__u32)((x >> 20) % 256) * 8;
		break;
	}
	sv = MCR_SV(seq, x >> 32, state);
	if ((x >> 16) % 16 == 0)
		sv |= (x & 0xff) << 8;	/* reserved bits */
	__atomic_store_n(&d->ts_ns, x & 0x10 ? 0 : rnd(s), __ATOMIC_RELAXED);
	__atomic_store_n(&d->pos, pos, __ATOMIC_RELAXED);
	__atomic_store_n(&d->pid, (__u32)x, __ATOMIC_RELAXED);
	__atomic_store_n(&d->tid, (__u32)(x >> 32), __ATOMIC_RELAXED);
	__atomic_store_n(&d->len, (__u16)len, __ATOMIC_RELAXED);
	__atomic_store_n(&d->pri, pri, __ATOMIC_RELAXED);
	__atomic_store_n(&d->flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&d->state_var, sv, __ATOMIC_RELEASE);
	/* Say it was reserved, or say anything at all. */
	if (x & 0x200)
		put64(&r->prod->head,
		      mcr_pack(seq + 1 + (__u32)((x >> 48) % (2 * r->ndesc)),
			       pos + len));
	else if (x & 0x400)
		put64(&r->prod->head, rnd(s));
}

static void *hostile_main(void *arg)
{
	struct hostile *h = arg;
	const struct mcr_ring *r = h->r;
	__u64 s = 0x9e3779b97f4a7c15ULL;

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		__u64 x = rnd(&s);

		switch (x % 8) {
		case 0:	/* the prod page, mostly head and its neighbours */
			put64((char *)r->prod +
			      (x & 0x100 ? (x >> 9) % (MCR_PAGE_SIZE / 8) :
					   (x >> 9) % 4) * 8, rnd(&s));
			break;
		case 1:	/* any descriptor word */
			put64((char *)r->desc +
			      (x >> 8) % (r->ndesc * sizeof(struct mcr_desc) / 8) * 8,
			      rnd(&s));
			break;
		case 2:	/* text */
			for (int i = 0; i < 8; i++)
				put64(r->data + (rnd(&s) % (r->data_size / 8)) * 8,
				      rnd(&s));
			break;
		default:
			forge(r, &s);
			break;
		}
		if (++h->rounds % 256 == 0)
			sched_yield();	/* two CPUs are shared by five threads */
	}
	return NULL;
}

/* Check one record from an honest ring; returns a reason or NULL. */
static const char *check_honest(struct honest *hw, const struct mcr_record *rec,
				const char *text)
{
	struct rec_hdr hdr;
	struct honest *h;

	if (rec->len < sizeof(hdr))
		return "short record";
	memcpy(&hdr, text, sizeof(hdr));
	if (hdr.magic != REC_MAGIC || hdr.writer >= NR_WRITERS)
		return "not an honest record";
	h = &hw[hdr.writer];
	if ((hdr.writer < NR_MPSC_WRITERS) != (rec->ring == MCR_RING_MPSC))
		return "record on the wrong ring";
	if (hdr.n != h->delivered)
		return "record lost or out of the writer's order";
	if (rec->len != rec_len(hdr.n))
		return "wrong length";
	if (rec->pid != (__u32)getpid() ||
	    rec->tid != __atomic_load_n(&h->tid, __ATOMIC_ACQUIRE) ||
	    rec->pri != PRI_INFO || rec->flags != 0)
		return "wrong metadata";
	for (__u32 k = sizeof(hdr); k < rec->len; k++)
		if (text[k] != rec_byte(hdr.writer, hdr.n, k))
			return "damaged text";
	h->delivered++;
	return NULL;
}

static const char *check_any(const struct mcr_record *rec, __u64 *next_seq)
{
	if (rec->ring >= NR_RINGS)
		return "no such ring";
	if (rec->len > MCR_TEXT_MAX)
		return "longer than MCR_TEXT_MAX";
	if (MCR_PRI_FAC(rec->pri) > MCR_FAC_MAX || (rec->flags & ~MCR_FLAG_ALL))
		return "bad pri or flags";
	if (rec->seq < next_seq[rec->ring])
		return "sequence went back";
	next_seq[rec->ring] = rec->seq + 1;
	return NULL;
}

static __u64 all_committed(struct honest *hw)
{
	__u64 n = 0;

	for (int i = 0; i < NR_WRITERS; i++)
		n += __atomic_load_n(&hw[i].committed, __ATOMIC_ACQUIRE);
	return n;
}

static __u64 all_delivered(struct honest *hw)
{
	__u64 n = 0;

	for (int i = 0; i < NR_WRITERS; i++)
		n += hw[i].delivered;
	return n;
}

TEST(hostile_ring_harms_only_itself)
{
	static char text[MCR_TEXT_MAX];
	struct honest hw[NR_WRITERS] = { 0 };
	struct hostile hostile = { 0 };
	__u64 next_seq[NR_RINGS] = { 0 };
	__u64 hostile_recs = 0, honest_during_run = 0, calls = 0;
	__u64 start, end, slowest = 0;
	struct mcr_ring_stats st[NR_RINGS];
	struct mcr_reader *rd;
	struct mcr_set *set;
	bool stopped = false;
	size_t set_len;
	void *guard;
	int got = 1;

#ifdef MCR_TSAN
	/*
	 * The hostile thread scribbles over ring memory that the consumer
	 * copies with memcpy(), with no synchronisation at all: that is the
	 * attack being tested, a data race by design. ThreadSanitizer would
	 * (rightly) report it and nothing else is learnt here; the race-free
	 * protocol is what the other tests run under TSan.
	 */
	SKIP(return, "a hostile writer is a data race by design");
#endif
	/*
	 * Reserve the set's size plus a guard, give the set's part back and
	 * let mcr_shm_create() map there: mmap() picks the highest hole that
	 * fits, which is that one, so the guard follows the last ring.
	 */
	set_len = NR_RINGS * mcr_ring_size(NDESC, DATA_SIZE);
	guard = mmap(NULL, set_len + GUARD_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, guard);
	ASSERT_EQ(0, munmap(guard, set_len));
	guard = (char *)guard + set_len;
	ASSERT_EQ(0, mcr_shm_create(NR_RINGS, NDESC, DATA_SIZE, &set));
	ASSERT_EQ(0, mcr_reader_open(set, &rd));
	/* MPSC in-flight records are never abandoned: nothing may be lost
	 * to a slow writer on a loaded machine. */
	mcr_reader_set_bounds(rd, (__u64)-1, MCR_RECLAIM_NS_DEFAULT);

	hostile.r = mcr_set_ring(set, HOSTILE_RING);
	if ((char *)guard != (char *)hostile.r->data + DATA_SIZE) {
		TH_LOG("no guard page after the hostile ring");
		munmap(guard, GUARD_SIZE);
		guard = MAP_FAILED;
	}
	ASSERT_EQ(0, pthread_create(&hostile.thread, NULL, hostile_main,
				    &hostile));
	for (int i = 0; i < NR_WRITERS; i++) {
		hw[i].set = set;
		hw[i].id = i;
		ASSERT_EQ(0, pthread_create(&hw[i].thread, NULL, honest_main,
					    &hw[i]));
	}

	start = mcr_now_ns();
	end = start + RUN_NS + DRAIN_NS;
	for (;;) {
		struct mcr_record rec;
		__u64 t0 = mcr_now_ns(), dt;
		const char *why;

		if (!stopped && t0 - start >= RUN_NS) {
			/* Writers stop; then everything they wrote must come. */
			for (int i = 0; i < NR_WRITERS; i++)
				__atomic_store_n(&hw[i].stop, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&hostile.stop, 1, __ATOMIC_RELAXED);
			for (int i = 0; i < NR_WRITERS; i++)
				ASSERT_EQ(0, pthread_join(hw[i].thread, NULL));
			ASSERT_EQ(0, pthread_join(hostile.thread, NULL));
			honest_during_run = all_delivered(hw);
			stopped = true;
		}
		/* Done when the writers' last record came and the rings
		 * are empty, with the hostile ring's garbage now at rest. */
		if (stopped && !got && all_delivered(hw) == all_committed(hw))
			break;
		ASSERT_LT(t0, end) TH_LOG("honest records missing: %llu of %llu delivered",
					  (unsigned long long)all_delivered(hw),
					  (unsigned long long)all_committed(hw));

		/* As if the hostile ring's writer died over and over: what
		 * its head claims is reserved gets abandoned and pinned. */
		if (calls % 64 == 0)
			mcr_reader_writer_gone(rd, HOSTILE_RING);
		got = mcr_read(rd, &rec, text);
		dt = mcr_now_ns() - t0;
		calls++;
		if (dt > slowest)
			slowest = dt;
		ASSERT_LT(dt, CALL_DEADLINE_NS) TH_LOG("mcr_read took %llu ns",
						       (unsigned long long)dt);
		if (!got) {
			sched_yield();
			continue;
		}
		why = check_any(&rec, next_seq);
		ASSERT_EQ(NULL, why) TH_LOG("ring %u seq %llu: %s", rec.ring,
					    (unsigned long long)rec.seq, why);
		if (rec.ring == HOSTILE_RING) {
			hostile_recs++;
			continue;
		}
		why = check_honest(hw, &rec, text);
		ASSERT_EQ(NULL, why) TH_LOG("ring %u seq %llu: %s", rec.ring,
					    (unsigned long long)rec.seq, why);
	}

	for (int i = 0; i < NR_WRITERS; i++) {
		ASSERT_EQ(0, hw[i].err) TH_LOG("writer %d", i);
	}
	for (unsigned int i = 0; i < NR_RINGS; i++)
		ASSERT_EQ(0, mcr_reader_stats(rd, i, &st[i]));
	TH_LOG("%llu mcr_read calls, slowest %llu us; hostile: %llu rounds, "
	       "%llu records, drained %llu invalid %llu abandoned %llu "
	       "discarded %llu; honest: %llu records, %llu during the run",
	       (unsigned long long)calls, (unsigned long long)slowest / 1000,
	       (unsigned long long)hostile.rounds,
	       (unsigned long long)hostile_recs,
	       (unsigned long long)st[HOSTILE_RING].drained,
	       (unsigned long long)st[HOSTILE_RING].invalid,
	       (unsigned long long)st[HOSTILE_RING].abandoned,
	       (unsigned long long)st[HOSTILE_RING].discarded,
	       (unsigned long long)all_delivered(hw),
	       (unsigned long long)honest_during_run);

	/* The hostile ring: garbage was seen, counted, and survived. */
	EXPECT_LT(0, st[HOSTILE_RING].invalid);
	EXPECT_EQ(hostile_recs, st[HOSTILE_RING].drained);
	/* The honest rings: every record, nothing else. */
	EXPECT_LT(0, honest_during_run);
	EXPECT_EQ(hw[0].delivered + hw[1].delivered, st[MCR_RING_MPSC].drained);
	EXPECT_EQ(hw[2].delivered, st[HONEST_SPSC_RING].drained);
	for (unsigned int i = 0; i < NR_RINGS; i++) {
		if (i == HOSTILE_RING)
			continue;
		EXPECT_EQ(0, st[i].invalid) TH_LOG("ring %u", i);
		EXPECT_EQ(0, st[i].abandoned) TH_LOG("ring %u", i);
		EXPECT_EQ(0, st[i].discarded) TH_LOG("ring %u", i);
	}
	for (int i = 0; i < NR_WRITERS; i++) {
		EXPECT_LT(0, hw[i].delivered) TH_LOG("writer %d", i);
	}

	mcr_reader_close(rd);
	mcr_set_close(set);
	if (guard != MAP_FAILED)
		munmap(guard, GUARD_SIZE);
}

TEST_HARNESS_MAIN
