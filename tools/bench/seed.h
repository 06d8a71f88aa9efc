/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seed's design, rebuilt: fixed 512-byte slots with a state word.
 * The ring itself, inline, as ck_ring.h and rte_ring.h are the other
 * peers'; seed.c makes it a peer of the benchmark.
 */
#ifndef MCRBENCH_SEED_H
#define MCRBENCH_SEED_H

#include <errno.h>
#include <string.h>

#include "bench.h"

/*
 * As the proof of concept describes it: write_seq and read_seq free
 * running on their own cache lines, pos = seq & (capacity - 1), each
 * 512-byte, cache-aligned entry holding state, timestamp, sequence,
 * core id and a 256-byte message. SPSC: the writer checks its slot is
 * EMPTY, fills it and marks it READY (release). MPSC: "writers use CAS to
 * reserve slots": a writer that finds the ring not full CASes write_seq
 * from the sequence it read to the next one, retrying when another writer
 * won, so every sequence taken is written and no hole is left; then it
 * fills the slot as the SPSC writer does. "Not full" is judged on
 * read_seq, which each writer caches and re-reads only when the cache says
 * full (a slot's EMPTY state alone cannot tell a writer that another one,
 * a lap behind and preempted, still owns it). A full ring is an overrun:
 * counted, the record dropped. The reader takes the slot at read_seq when
 * it is READY (acquire), marks it EMPTY and then advances read_seq
 * (release).
 */
enum { SEED_EMPTY, SEED_WRITING, SEED_READY };
#define SEED_MSG_MAX	256

struct seed_slot {
	uint32_t state;
	uint32_t core_id;
	uint64_t timestamp;
	uint64_t sequence;
	uint32_t len;
	uint32_t pad0;
	unsigned char message[SEED_MSG_MAX];
	unsigned char pad[512 - 32 - SEED_MSG_MAX];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct seed_slot) == 512, "seed slot is 512 bytes");

struct seed_ring {
	struct seed_slot *slots;
	uint64_t mask;
	uint32_t core_id;
	uint64_t write_seq __attribute__((aligned(64)));
	uint64_t read_seq __attribute__((aligned(64)));
	uint64_t overruns __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/* MPSC: take the next sequence with a CAS; false when the ring is full. */
static ALWAYS_INLINE bool seed_reserve_mp(struct seed_ring *r,
					  uint64_t *rs_cache, uint64_t *seq)
{
	uint64_t s = __atomic_load_n(&r->write_seq, __ATOMIC_RELAXED);

	do {
		if (s - *rs_cache > r->mask) {
			/* Pairs with seed_read()'s release of read_seq: the
			 * slot's last reader is done with it.
			 */
			*rs_cache = __atomic_load_n(&r->read_seq,
						    __ATOMIC_ACQUIRE);
			if (s - *rs_cache > r->mask)
				return false;
		}
	} while (!__atomic_compare_exchange_n(&r->write_seq, &s, s + 1, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*seq = s;
	return true;
}

/* Fill the slot of a sequence this writer owns and publish it. */
static ALWAYS_INLINE int seed_fill(struct seed_ring *r, uint64_t seq,
				   const unsigned char *msg, uint32_t len)
{
	struct seed_slot *sl = &r->slots[seq & r->mask];

	/* The sequence is ours, so is the slot: the reader emptied it. */
	if (__atomic_load_n(&sl->state, __ATOMIC_RELAXED) != SEED_EMPTY)
		return -EIO;
	__atomic_store_n(&sl->state, SEED_WRITING, __ATOMIC_RELAXED);
	sl->timestamp = peer_now();
	sl->core_id = r->core_id;
	sl->sequence = seq;
	sl->len = len;
	memcpy(sl->message, msg, len);
	__atomic_store_n(&sl->state, SEED_READY, __ATOMIC_RELEASE);
	return 0;
}

static ALWAYS_INLINE int seed_write(struct seed_ring *r, bool mp,
				    uint64_t *rs_cache,
				    const unsigned char *msg, uint32_t len)
{
	uint64_t seq;

	if (mp) {
		if (!seed_reserve_mp(r, rs_cache, &seq)) {
			__atomic_fetch_add(&r->overruns, 1, __ATOMIC_RELAXED);
			return -ENOBUFS;
		}
	} else {
		seq = __atomic_load_n(&r->write_seq, __ATOMIC_RELAXED);
		if (__atomic_load_n(&r->slots[seq & r->mask].state,
				    __ATOMIC_ACQUIRE) != SEED_EMPTY) {
			__atomic_store_n(&r->overruns, r->overruns + 1,
					 __ATOMIC_RELAXED);
			return -ENOBUFS;
		}
		__atomic_store_n(&r->write_seq, seq + 1, __ATOMIC_RELAXED);
	}
	return seed_fill(r, seq, msg, len);
}

/* Copy the record at read_seq out by value; 0 when it is not READY. */
static ALWAYS_INLINE int seed_read(struct seed_ring *r, unsigned char *elem)
{
	uint64_t seq = __atomic_load_n(&r->read_seq, __ATOMIC_RELAXED);
	struct seed_slot *sl = &r->slots[seq & r->mask];
	struct elem_hdr *h = (struct elem_hdr *)elem;
	uint32_t len;

	if (__atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) != SEED_READY)
		return 0;
	len = sl->len > SEED_MSG_MAX ? SEED_MSG_MAX : sl->len;
	h->ts_ns = sl->timestamp;
	h->len = (uint16_t)len;
	memcpy(elem + sizeof(*h), sl->message, len);
	__atomic_store_n(&sl->state, SEED_EMPTY, __ATOMIC_RELEASE);
	__atomic_store_n(&r->read_seq, seq + 1, __ATOMIC_RELEASE);
	return 1;
}

#endif /* MCRBENCH_SEED_H */
