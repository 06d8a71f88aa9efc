// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmcrring: the merging reader of a userspace consumer (user_drain=1
 * or a shared memory set): every ring consumed, records given out in
 * timestamp order.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

/* --- the merging reader --------------------------------------------- */

struct mcr_reader_ring {
	struct mcr_ring ring;
	void *map;		/* device: the consumer's own whole mapping */
	struct mcr_cursor cur;
	struct mcr_record rec;	/* pending record, when have */
	bool have;
	bool writer_gone;	/* abandon in-flight sequences ... */
	__u32 gone_until;	/* ... below this one, at once */
	char text[MCR_TEXT_MAX];
};

struct mcr_reader {
	struct mcr_set *set;
	__u64 abandon_ns;
	__u64 reclaim_ns;
	struct mcr_keeper keeper;	/* device: the set's is for shm */
	struct mcr_reader_ring rings[];
};

/* User drain mode: map device ring @i whole and writable, to consume it. */
static int mcr_map_consumer(struct mcr_set *set, unsigned int i,
			    struct mcr_reader_ring *rr)
{
	void *base;
	int ret;

	base = mmap(NULL, set->stride, PROT_READ | PROT_WRITE, MAP_SHARED,
		    set->fd, (off_t)MCR_MMAP_RING(i));
	if (base == MAP_FAILED)
		return -errno;
	ret = mcr_ring_attach(&rr->ring, base, set->stride);
	if (ret) {
		munmap(base, set->stride);
		return ret;
	}
	rr->map = base;
	return 0;
}

MCR_EXPORT void mcr_reader_close(struct mcr_reader *rd)
{
	if (!rd)
		return;
	for (unsigned int i = 0; i < rd->set->nr_rings; i++)
		if (rd->rings[i].map)
			munmap(rd->rings[i].map, rd->set->stride);
	free(rd);
}

MCR_EXPORT int mcr_reader_open(struct mcr_set *set, struct mcr_reader **out)
{
	struct mcr_reader *rd;
	int ret;

	if (!set->base && !(set->features & MCR_FEAT_USER_DRAIN))
		return -EOPNOTSUPP;	/* the module drains its rings itself */
	rd = calloc(1, sizeof(*rd) + set->nr_rings * sizeof(rd->rings[0]));
	if (!rd)
		return -ENOMEM;
	rd->set = set;
	rd->abandon_ns = MCR_ABANDON_NS_DEFAULT;
	rd->reclaim_ns = MCR_RECLAIM_NS_DEFAULT;
	for (unsigned int i = 0; i < set->nr_rings; i++) {
		struct mcr_reader_ring *rr = &rd->rings[i];

		if (set->base) {
			rr->ring = set->rings[i];
		} else {
			ret = mcr_map_consumer(set, i, rr);
			if (ret) {
				mcr_reader_close(rd);
				return ret;
			}
		}
		mcr_cursor_init(&rr->cur, &rr->ring, i);
	}
	*out = rd;
	return 0;
}

MCR_EXPORT void mcr_reader_set_bounds(struct mcr_reader *rd, __u64 abandon_ns,
				      __u64 reclaim_ns)
{
	rd->abandon_ns = abandon_ns;
	rd->reclaim_ns = reclaim_ns;
}

MCR_EXPORT void mcr_reader_writer_gone(struct mcr_reader *rd,
				       unsigned int ring)
{
	struct mcr_reader_ring *rr;

	if (ring >= rd->set->nr_rings)
		return;
	rr = &rd->rings[ring];
	/* Only what the dead writer reserved: a new writer's records wait. */
	rr->gone_until = mcr_packed_seq(READ_ONCE(rr->ring.prod->head));
	rr->writer_gone = true;
}

/* SPSC rings wait for their writer unless it is known to be gone. */
static __u64 mcr_abandon_bound(struct mcr_reader *rd, unsigned int i)
{
	struct mcr_reader_ring *rr = &rd->rings[i];

	if (i == MCR_RING_MPSC)
		return rd->abandon_ns;
	if (rr->writer_gone &&
	    (__s32)(rr->gone_until - (__u32)rr->cur.seq) <= 0)
		rr->writer_gone = false;
	return rr->writer_gone ? 0 : (__u64)-1;
}

/*
 * Fill ring @i's pending slot; bounded: at most one ring's worth of skips.
 * The clock is read for each look, as mcr_consume() asks.
 */
static void mcr_reader_fill(struct mcr_reader *rd, unsigned int i)
{
	struct mcr_reader_ring *rr = &rd->rings[i];
	const struct mcr_ring *r = &rr->ring;

	for (__u32 budget = r->ndesc; !rr->have && budget; budget--) {
		int res = mcr_consume(r, &rr->cur, &rr->rec, rr->text,
				      mcr_now_ns(),
				      mcr_abandon_bound(rd, i),
				      rd->reclaim_ns);

		if (res == MCR_RECORD)
			rr->have = true;
		else if (res != MCR_SKIPPED)
			break;
	}
	mcr_cursor_publish_counters(r, &rr->cur);
}

MCR_EXPORT int mcr_read(struct mcr_reader *rd, struct mcr_record *rec,
			char *text)
{
	struct mcr_reader_ring *best = NULL;

	/* Whoever drains keeps the writers' clock. */
	if (rd->set->base) {
		mcr_set_keep_clock(rd->set);
	} else if (__mcr_keep_due(&rd->keeper)) {
		for (unsigned int i = 0; i < rd->set->nr_rings; i++)
			mcr_clock_store(&rd->rings[i].ring.cons->clock,
					&rd->keeper.k);
		mcr_clock_stored(&rd->keeper.k);
	}

	for (unsigned int i = 0; i < rd->set->nr_rings; i++) {
		struct mcr_reader_ring *rr = &rd->rings[i];

		mcr_reader_fill(rd, i);
		if (rr->have && (!best || rr->rec.ts_ns < best->rec.ts_ns))
			best = rr;
	}
	if (!best)
		return 0;
	*rec = best->rec;
	memcpy(text, best->text, best->rec.len);
	best->have = false;
	return 1;
}

MCR_EXPORT int mcr_reader_stats(const struct mcr_reader *rd, unsigned int ring,
				struct mcr_ring_stats *st)
{
	const struct mcr_cursor *c;

	if (ring >= rd->set->nr_rings)
		return -EINVAL;
	c = &rd->rings[ring].cur;
	st->drained = c->drained;
	st->abandoned = c->abandoned;
	st->invalid = c->invalid;
	st->discarded = c->discarded;
	st->reclaimed = c->reclaimed;
	st->dropped_full = READ_ONCE(rd->rings[ring].ring.prod->dropped_full);
	return 0;
}
