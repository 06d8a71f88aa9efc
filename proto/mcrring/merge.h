/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * mcrring's consumer above mcr_consume(): a source per ring, filled within
 * a budget of looks, and a merge of the sources by timestamp within a
 * budget of records taken. Compiled both into mcrring.ko (the drain
 * thread) and into libmcrring (its merging reader).
 */
#ifndef MCR_MERGE_H
#define MCR_MERGE_H

#include <mcrring/ring.h>

/**
 * DOC: merging rings
 *
 * A consumer of several rings keeps a struct mcr_source for each: the
 * ring's cursor and, once mcr_source_fill() has found it, the ring's next
 * record, pending until the merge takes it. The merge works in passes. A
 * pass gives every source its budgets afresh (mcr_source_begin_pass())
 * and fills it; then mcr_merge_oldest() names the source whose pending
 * record is the oldest, the caller takes that record (mcr_source_take())
 * and may fill the source again, until no source has a record to give.
 * Per ring, records always leave in sequence order.
 *
 * The merge policy (struct mcr_merge) is two budgets a source has in a
 * pass:
 *
 * - looks: descriptors looked at, records and skips alike. This is what
 *   bounds a pass whatever a writer puts in its ring: a look reads one
 *   descriptor and copies at most MCR_TEXT_MAX bytes.
 * - takes: records given. With a bound, a writer that claims tiny
 *   timestamps delays the other rings by at most one pass (the drain
 *   thread). Without one, the oldest pending record always goes first
 *   (libmcrring's reader, which runs a pass for each record it reads and
 *   gives each ring a ring's worth of looks).
 */

/* What a look lost: the @why of struct mcr_merge's lost(). */
enum mcr_loss {
	MCR_LOST_INVALID,	/* failed validation, counted invalid */
	MCR_LOST_ABANDONED,	/* in flight past the bound, counted abandoned */
};

struct mcr_source;

/**
 * struct mcr_merge - a consumer's merge policy
 * @looks: descriptors a source may look at in a pass; 0: its ring's ndesc
 * @takes: records a source may give in a pass; 0: no bound
 * @now_ns: the consumer's CLOCK_MONOTONIC, read for each look (see
 *	mcr_consume()'s @now_ns)
 * @lost: optional; told of each sequence a look skipped as invalid or
 *	abandoned
 */
struct mcr_merge {
	__u32 looks;
	__u32 takes;
	__u64 (*now_ns)(void);
	void (*lost)(struct mcr_source *src, __u64 seq, enum mcr_loss why);
};

/**
 * struct mcr_source - one ring as a merging consumer sees it
 * @ring: the ring
 * @cur: its consumer's cursor
 * @rec: the pending record, when @have
 * @text: the pending record's text: MCR_TEXT_MAX bytes, the caller's
 * @have: a record is pending
 * @more: this pass, the source ran out of looks with work left
 * @gone: the ring's one writer is gone (mcr_source_writer_gone()) ...
 * @gone_until: ... and what it reserved, below this sequence, goes at once
 * @looks: descriptors looked at this pass
 * @taken: records taken this pass
 *
 * Context: the ring's single consumer owns it.
 */
struct mcr_source {
	const struct mcr_ring *ring;
	struct mcr_cursor cur;
	struct mcr_record rec;
	char *text;
	bool have;
	bool more;
	bool gone;
	__u32 gone_until;
	__u32 looks;
	__u32 taken;
};

/**
 * mcr_source_init() - start consuming a ring where it stands
 * @src: the source
 * @r: the ring, which must outlive @src
 * @text: MCR_TEXT_MAX bytes for the pending record's text
 * @ring_id: stamped on delivered records
 *
 * Context: the ring's single consumer, before it consumes.
 */
static inline void mcr_source_init(struct mcr_source *src,
				   const struct mcr_ring *r, char *text,
				   __u32 ring_id)
{
	memset(src, 0, sizeof(*src));
	src->ring = r;
	src->text = text;
	mcr_cursor_init(&src->cur, r, ring_id);
}

/**
 * mcr_source_writer_gone() - skip what a gone writer left in flight
 * @src: the source of a ring whose one writer is known to be gone
 *
 * What the ring's head shows reserved now is abandoned at once, whatever
 * bound mcr_source_fill() is given; a record reserved later, by a new
 * writer, waits as any does.
 *
 * Context: the ring's single consumer.
 */
static inline void mcr_source_writer_gone(struct mcr_source *src)
{
	src->gone_until = mcr_packed_seq(READ_ONCE(src->ring->prod->head));
	src->gone = true;
}

/* The abandon bound for the look at the cursor: none for a gone writer's. */
static inline __u64 __mcr_source_abandon_ns(struct mcr_source *src,
					    __u64 abandon_ns)
{
	if (src->gone &&
	    (__s32)(src->gone_until - (__u32)src->cur.seq) <= 0)
		src->gone = false;
	return src->gone ? 0 : abandon_ns;
}

/**
 * mcr_source_begin_pass() - give a source its budgets for a new pass
 * @src: the source
 *
 * Context: the ring's single consumer.
 */
static inline void mcr_source_begin_pass(struct mcr_source *src)
{
	src->looks = 0;
	src->taken = 0;
	src->more = false;
}

/* Tell @m what the look that skipped @seq lost, from the counters before. */
static inline void __mcr_source_lost(struct mcr_source *src,
				     const struct mcr_merge *m, __u64 seq,
				     __u64 invalid, __u64 abandoned)
{
	if (!m->lost)
		return;
	if (src->cur.invalid != invalid)
		m->lost(src, seq, MCR_LOST_INVALID);
	if (src->cur.abandoned != abandoned)
		m->lost(src, seq, MCR_LOST_ABANDONED);
}

/**
 * mcr_source_fill() - find a source's next record, within its looks
 * @src: the source
 * @m: the merge policy: its looks, its clock, its lost()
 * @abandon_ns: mcr_consume()'s bound for a record in flight, this ring's
 * @reclaim_ns: mcr_consume()'s bound for an abandoned record's memory
 *
 * Looks at descriptors until a record is pending, the ring has none ready,
 * or the pass's looks are spent, which sets @src->more. The clock is read
 * for each look, as mcr_consume() asks: not once a pass, which would count
 * a pass's length against a record reserved during it.
 *
 * Context: the ring's single consumer.
 * Return: what the last look found: MCR_RECORD when a record is pending
 * (also when one already was), MCR_EMPTY or MCR_INFLIGHT when the ring has
 * none ready, MCR_SKIPPED when the looks ran out.
 */
static inline int mcr_source_fill(struct mcr_source *src,
				  const struct mcr_merge *m, __u64 abandon_ns,
				  __u64 reclaim_ns)
{
	__u32 looks = m->looks ? m->looks : src->ring->ndesc;
	struct mcr_cursor *c = &src->cur;
	int res = MCR_RECORD;

	while (!src->have) {
		__u64 seq = c->seq, invalid = c->invalid;
		__u64 abandoned = c->abandoned;

		if (src->looks >= looks) {
			src->more = true;
			return MCR_SKIPPED;
		}
		src->looks++;
		res = mcr_consume(src->ring, c, &src->rec, src->text,
				  m->now_ns(),
				  __mcr_source_abandon_ns(src, abandon_ns),
				  reclaim_ns);
		if (res == MCR_RECORD)
			src->have = true;
		else if (res == MCR_SKIPPED)
			__mcr_source_lost(src, m, seq, invalid, abandoned);
		else
			break;
	}
	return res;
}

/**
 * mcr_merge_oldest() - the source whose pending record goes next
 * @srcs: the sources
 * @n: how many
 * @m: the merge policy: its takes
 *
 * Of the sources with a record pending and takes left in this pass, the
 * one whose record has the smallest timestamp; the first of them on a tie.
 *
 * Context: the rings' single consumer.
 * Return: that source, or NULL when none has a record to give this pass.
 */
static inline struct mcr_source *
mcr_merge_oldest(struct mcr_source *const *srcs, unsigned int n,
		 const struct mcr_merge *m)
{
	struct mcr_source *best = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct mcr_source *s = srcs[i];

		if (!s->have || (m->takes && s->taken >= m->takes))
			continue;
		if (!best || s->rec.ts_ns < best->rec.ts_ns)
			best = s;
	}
	return best;
}

/**
 * mcr_source_take() - count the pending record as given out
 * @src: the source, whose @rec and @text the caller has used
 *
 * Context: the ring's single consumer.
 */
static inline void mcr_source_take(struct mcr_source *src)
{
	src->have = false;
	src->taken++;
}

/**
 * mcr_source_more() - whether a source stopped at a budget with work left
 * @src: the source, at the end of a pass
 * @m: the merge policy
 *
 * Context: the ring's single consumer.
 * Return: true when its looks ran out, or its takes with a record pending:
 * the next pass has work at once.
 */
static inline bool mcr_source_more(const struct mcr_source *src,
				   const struct mcr_merge *m)
{
	return src->more || (src->have && m->takes && src->taken >= m->takes);
}

#endif /* MCR_MERGE_H */
