// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmcrring: the merging reader of a userspace consumer (user_drain=1
 * or a shared memory set): every ring consumed, records given out in
 * timestamp order.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"
#include <mcrring/merge.h>

/* --- the merging reader --------------------------------------------- */

struct mcr_reader_ring {
	struct mcr_ring ring;
	void *map;		/* device: the consumer's own whole mapping */
	struct mcr_source src;	/* cursor and pending record */
	char text[MCR_TEXT_MAX];	/* src.text */
};

struct mcr_reader {
	struct mcr_set *set;
	__u64 abandon_ns;
	__u64 reclaim_ns;
	struct mcr_keeper keeper;	/* device: the set's is for shm */
	struct mcr_source **srcs;	/* &rings[i].src, for the merge */
	struct mcr_reader_ring rings[];
};

/*
 * Oldest first: a pass for each record read, in which every ring has a
 * ring's worth of looks and no bound on takes.
 */
static const struct mcr_merge mcr_reader_merge = {
	.now_ns = mcr_now_ns,
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
	free(rd->srcs);
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
	rd->srcs = calloc(set->nr_rings, sizeof(*rd->srcs));
	if (!rd->srcs) {
		free(rd);
		return -ENOMEM;
	}
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
		mcr_source_init(&rr->src, &rr->ring, rr->text, i);
		rd->srcs[i] = &rr->src;
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
	/* An MPSC ring has no one writer to be gone. */
	if (ring >= rd->set->nr_rings || ring == MCR_RING_MPSC)
		return;
	/* Only what the dead writer reserved: a new writer's records wait. */
	mcr_source_writer_gone(&rd->rings[ring].src);
}

/* SPSC rings wait for their writer unless it is known to be gone. */
static __u64 mcr_abandon_bound(const struct mcr_reader *rd, unsigned int i)
{
	return i == MCR_RING_MPSC ? rd->abandon_ns : (__u64)-1;
}

static struct mcr_clock *mcr_reader_clock(void *rd, unsigned int i)
{
	return &((struct mcr_reader *)rd)->rings[i].ring.cons->clock;
}

/* Whoever drains keeps the writers' clock. */
static void mcr_reader_keep_clock(struct mcr_reader *rd)
{
	if (rd->set->base)
		mcr_set_keep_clock(rd->set);
	else if (__mcr_keep_due(&rd->keeper))
		mcr_clock_publish(&rd->keeper.k, mcr_reader_clock, rd,
				  rd->set->nr_rings);
}

MCR_EXPORT int mcr_read(struct mcr_reader *rd, struct mcr_record *rec,
			char *text)
{
	struct mcr_source *best;

	mcr_reader_keep_clock(rd);
	for (unsigned int i = 0; i < rd->set->nr_rings; i++) {
		struct mcr_source *src = rd->srcs[i];

		mcr_source_begin_pass(src);
		mcr_source_fill(src, &mcr_reader_merge,
				mcr_abandon_bound(rd, i), rd->reclaim_ns);
		mcr_cursor_publish_counters(src->ring, &src->cur);
	}
	best = mcr_merge_oldest(rd->srcs, rd->set->nr_rings,
				&mcr_reader_merge);
	if (!best)
		return 0;
	*rec = best->rec;
	memcpy(text, best->text, best->rec.len);
	mcr_source_take(best);
	return 1;
}

MCR_EXPORT int mcr_reader_stats(const struct mcr_reader *rd, unsigned int ring,
				struct mcr_ring_stats *st)
{
	const struct mcr_cursor *c;

	if (ring >= rd->set->nr_rings)
		return -EINVAL;
	c = &rd->rings[ring].src.cur;
	st->drained = c->drained;
	st->abandoned = c->abandoned;
	st->invalid = c->invalid;
	st->discarded = c->discarded;
	st->reclaimed = c->reclaimed;
	st->dropped_full = READ_ONCE(rd->rings[ring].ring.prod->dropped_full);
	return 0;
}
