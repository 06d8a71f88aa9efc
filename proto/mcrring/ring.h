/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * mcrring ring protocol: the one implementation of reserve, commit,
 * discard and consume, compiled both into mcrring.ko and into userspace
 * (libmcrring, its tests, fuzzers and race detectors). The consumer of
 * several rings, which merges them by timestamp, is mcrring/merge.h.
 */
#ifndef MCR_RING_H
#define MCR_RING_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#define mcr_cmpxchg64_relaxed(p, o, n)	cmpxchg64_relaxed((p), (o), (n))
static inline void mcr_atomic_inc64(__u64 *p)
{
	__u64 old = READ_ONCE(*p);

	while (cmpxchg64_relaxed(p, old, old + 1) != old)
		old = READ_ONCE(*p);
}

#include <linux/mcrring.h>
#else
#include <mcrring/compat.h>
/*
 * Quoted: installed, the ABI header lies beside this one
 * (<mcrring/linux/mcrring.h>) and shadows nothing on the system's path;
 * in the tree, -Iuapi finds uapi/linux/mcrring.h.
 */
#include "linux/mcrring.h"
#endif

/**
 * DOC: mcrring ring protocol
 *
 * Data structure
 * --------------
 * A ring is four page-aligned parts in one shared mapping (uapi header):
 *
 *   prod   writers' page: head, the MPSC writers' cached tail, dropped_full
 *   cons   consumer's page: geometry, tail, flags, counters
 *   desc   ndesc descriptors (struct mcr_desc, 64 bytes), index seq & mask
 *   data   data_size bytes of text, index pos & mask
 *
 * Every record has one descriptor and one contiguous run of text in the
 * data ring, 8-byte aligned. A reservation that would cross the end of the
 * data ring starts at the beginning of the next lap instead; the bytes it
 * skips belong to it.
 *
 * head packs the next sequence (high 32 bits) and the next free data
 * position (low 32 bits) into one word, and tail packs how far the
 * consumer has freed in the same way. Because descriptor and text are
 * reserved by one store (SPSC) or one compare-and-swap (MPSC), a writer
 * that dies at any instruction leaves at most one reserved descriptor
 * behind and never a data reservation that nobody can account for. The
 * text of record s+1 begins at or after the end of record s's text, so the
 * consumer always knows how far it may free.
 *
 * Counters on the wire are the low 32 bits of free-running 64-bit values
 * and are only ever compared through unsigned differences; the consumer
 * keeps the full 64-bit sequence and position privately and extends the
 * 32-bit values it reads against them.
 *
 * States
 * ------
 * A descriptor's state_var holds (sequence, cpu, state). The consumer
 * waiting for sequence s accepts the descriptor only when state_var
 * carries s itself with COMMITTED or DISCARDED. Anything else means EMPTY
 * (not yet reserved in this lap) or RESERVED (being written): RESERVED is
 * not stored, so a writer touches the descriptor's cache line once. The
 * consumer's verdicts, CONSUMED and ABANDONED, are kept in its counters.
 * The consumer writes to writer memory in two cases only: a head that no
 * writer following the protocol can leave (more than a ring ahead of the
 * cursor, behind it, or a data position not 8-byte aligned) is put back
 * at the cursor by compare-and-swap;
 * and mcr_ring_reset() clears a ring nobody can write any more.
 *
 * Writers
 * -------
 * SPSC: one writer owns the ring (the kernel grants the claim; the library
 * binds the handle to one thread). It keeps head and a cached copy of tail
 * in private memory and stores head to the prod page after each
 * reservation, for the consumer to see in-flight work.
 *
 * MPSC: writers reserve with a compare-and-swap on prod->head. They share
 * a cached copy of tail in prod->cached_tail, on the same cache line as
 * head, so a reservation touches one line the writers already contend on.
 *
 * Both: reserve (mcr_spsc_reserve / mcr_mpsc_reserve) returns a pointer
 * into the data ring; the writer fills the text in place, then commit
 * (mcr_*_commit) writes the descriptor's fields and publishes it with one
 * release store of state_var. Commit may shorten a reservation (the unused
 * tail goes back to the ring when nobody reserved after it), and grow may
 * lengthen the newest one; discard publishes the descriptor DISCARDED and
 * gives its text back when it can. A sequence, once reserved, is never
 * handed out again: the consumer may already have skipped it as
 * abandoned, and a second record under it would be lost.
 *
 * A writer reads the consumer's cache line (cons->tail, cons->flags) only
 * when its cached view of tail says the ring is at least half full; an
 * SPSC writer then only on every MCR_TAIL_EVERY-th sequence, or when the
 * record does not fit by its cache, so that a consumer keeping the ring
 * over half full does not pull that line across once per record. That
 * read also tells it whether the drainer sleeps with NEED_WAKEUP set; the
 * caller then wakes it once (io_uring SQPOLL's protocol). A ring that is
 * full refuses the newest record: the reservation fails with -ENOBUFS and
 * prod->dropped_full moves. Committed data is never overwritten before the
 * consumer frees it.
 *
 * Consumer
 * --------
 * mcr_consume() looks at one descriptor per call, the one for its next
 * sequence, and reads every shared field once (READ_ONCE) into a
 * snapshot, validates the snapshot against the geometry and its own
 * cursors, copies the text out, then reads state_var again: if it changed,
 * a writer rewrote a committed record and it is counted invalid, so no
 * torn record is ever delivered. A descriptor that fails validation is
 * counted invalid and skipped: the consumer resynchronises on the next
 * sequence. It frees descriptors and text by a release store of cons->tail.
 *
 * A descriptor that stays unready while head says it was reserved is
 * in flight. After @abandon_ns (an MPSC writer that stalled or died;
 * 0 for a released SPSC claim) it is skipped and counted ABANDONED. The
 * wait is one for all: when the consumer first finds a record in flight,
 * every sequence below the head it reads then was reserved before then,
 * so once @abandon_ns has passed, each of them still in flight is skipped
 * without a wait of its own; a record reserved later gets a whole
 * @abandon_ns. An abandoned record's descriptor and text stay pinned, not
 * freed, until its writer commits or discards late or @reclaim_ns
 * passes, so a writer that was only slow cannot write into memory handed
 * to another record. The consumer keeps MCR_PINS pins; past them, the
 * newest pin takes the record on as well and counts @reclaim_ns afresh
 * (memory after the oldest pin is not freed anyway). Text between the
 * cursor and the head when nothing is in flight and nothing pinned
 * belongs to no sequence (abandoned records' text); once it is more than
 * half the data ring, the cursor moves past it.
 *
 * Recovery bound: whatever writers leave behind — a dead or stopped
 * writer, a head forged up to a ring ahead, every other record reserved
 * and never committed — the consumer frees the ring within @abandon_ns +
 * @reclaim_ns of meeting it, plus the time to look at each descriptor
 * once, whatever ndesc is. A writer stopped in the middle of a record
 * for longer than @reclaim_ns is the one case left: it may then damage
 * the record that reused its space; the bound is a module parameter and
 * documented.
 *
 * Sequence numbers, ABA
 * ---------------------
 * The consumer compares state_var's 32-bit sequence with the low 32 bits
 * of its 64-bit cursor. A stale descriptor left by a writer that died
 * could only match again after 2^32 / ndesc laps of that very slot
 * without a rewrite, while every lap rewrites it; and even a match would
 * then be validated like any hostile descriptor. Data positions are
 * extended against the consumer's position and must lie within one ring
 * size of it.
 *
 * Barrier pairs
 * -------------
 * Each ordering access of the protocol carries a tag [Mn] (here, in
 * mcrring/clock.h and in kmod/drain.c); pairs:
 *
 *   [M1] writer: smp_store_release(desc->state_var)  (commit, discard)
 *        pairs with
 *   [M2] consumer: smp_load_acquire(desc->state_var)
 *        so the consumer sees the descriptor fields and the text written
 *        before the commit; and, when a late writer of an abandoned
 *        record commits, its text stores come before the consumer frees
 *        that memory for others.
 *
 *   [M3] consumer: smp_rmb() after copying the text
 *        pairs with
 *   [M1] (a later rewrite of the same descriptor by a misbehaving writer)
 *        so the second read of state_var is ordered after the copy: an
 *        unchanged state_var means the copy saw no rewrite.
 *
 *   [M4] consumer: smp_store_release(cons->tail)
 *        pairs with
 *   [M5] writer: smp_load_acquire(cons->tail) when refreshing
 *        so the consumer's reads of the freed text and descriptors happen
 *        before a writer reuses them.
 *
 *   [M6] MPSC writer: smp_store_release(prod->cached_tail)
 *        pairs with
 *   [M7] MPSC writer: smp_load_acquire(prod->cached_tail)
 *        so the [M4]/[M5] guarantee carries over to a writer that reuses
 *        memory on another writer's refreshed view of tail.
 *
 *   [M8] clock keeper: smp_wmb() around the map's fields, seq odd before
 *        and even after (mcr_clock_store(), proto/mcrring/clock.h)
 *        pairs with
 *   [M9] writer: smp_rmb() after reading seq and before reading it again
 *        (mcr_clock_read())
 *        so a writer that reads the same even seq twice read one whole
 *        map; otherwise it falls back to clock_gettime(). A seqcount.
 *
 *   [M10] drain thread: smp_mb() between setting NEED_WAKEUP in every
 *        cons->flags and looking at the rings once more (kmod/drain.c)
 *        pairs with nothing, on purpose: a writer reads cons->flags
 *        with no fence when it refreshes its view of tail, and wakes the
 *        drainer after its commit. Either the drainer's last look sees
 *        the record, or the writer sees the flag and wakes it, or both
 *        miss; the third case costs one sleep, at most poll_max_ms, the
 *        documented bound. A full barrier on the write path would cost
 *        every record to spare a rare sleep.
 *
 * prod->head is read and compare-and-swapped relaxed: it orders nothing
 * the consumer relies on, only who owns which sequence and bytes.
 */

#define MCR_ALIGN		8
#define MCR_ALIGN_UP(x)		(((x) + MCR_ALIGN - 1) & ~(__u32)(MCR_ALIGN - 1))
#define MCR_NDESC_MIN		2
#define MCR_NDESC_MAX		0x1000000U	/* 2^24 */
#define MCR_DATA_MIN		(2 * MCR_TEXT_MAX)
#define MCR_DATA_MAX		0x40000000U	/* 2^30 */
/* Past half full, an SPSC writer looks at the consumer's line this rarely. */
#define MCR_TAIL_EVERY		16
/* Abandoned reservations the consumer keeps pinned at most. */
#define MCR_PINS		4

/* Layout pinned: the ABI may only change with MCR_ABI_VERSION. */
static_assert(sizeof(struct mcr_desc) == MCR_CACHELINE, "mcr_desc layout");
static_assert(offsetof(struct mcr_desc, ts_ns) == 8, "mcr_desc layout");
static_assert(offsetof(struct mcr_desc, pos) == 16, "mcr_desc layout");
static_assert(offsetof(struct mcr_desc, len) == 28, "mcr_desc layout");
static_assert(sizeof(struct mcr_prod) == MCR_PAGE_SIZE, "mcr_prod layout");
static_assert(sizeof(struct mcr_cons) == MCR_PAGE_SIZE, "mcr_cons layout");
static_assert(offsetof(struct mcr_cons, tail) == MCR_CACHELINE,
	      "tail on its own cache line");
static_assert(offsetof(struct mcr_cons, drained) == 2 * MCR_CACHELINE,
	      "counters on their own cache line");
static_assert(offsetof(struct mcr_cons, clock) == 3 * MCR_CACHELINE,
	      "the writers' clock on its own cache line");
static_assert(sizeof(struct mcr_clock) == MCR_CACHELINE, "mcr_clock layout");
static_assert(offsetof(struct mcr_cons, mute) == 4 * MCR_CACHELINE,
	      "runtime levels on their own cache line");
static_assert(offsetof(struct mcr_prod, dropped_full) == 16, "mcr_prod");
static_assert(sizeof(struct mcr_info) == 64, "mcr_info layout");
static_assert(sizeof(struct mcr_claim) == 24, "mcr_claim layout");
static_assert(sizeof(struct mcr_counters) == 88, "mcr_counters layout");
static_assert(MCR_PRI(MCR_FAC_MAX, MCR_SEV_MAX) <= 0xff, "pri in a byte");
static_assert(MCR_TEXT_MAX <= 0xffff, "len in 16 bits");

/*
 * A ring as one side sees it. The geometry here is a private copy,
 * validated once; the shared pages are never asked for it again.
 */
struct mcr_ring {
	struct mcr_prod *prod;
	struct mcr_cons *cons;
	struct mcr_desc *desc;
	unsigned char *data;
	__u32 ndesc;
	__u32 data_size;
};

static inline __u64 mcr_pack(__u32 seq, __u32 pos)
{
	return (__u64)seq << 32 | pos;
}

static inline __u32 mcr_packed_seq(__u64 v)
{
	return v >> 32;
}

static inline __u32 mcr_packed_pos(__u64 v)
{
	return (__u32)v;
}

static inline bool mcr_is_pow2(__u64 x)
{
	return x && !(x & (x - 1));
}

static inline __u64 mcr_data_off(__u32 ndesc)
{
	__u64 end = MCR_DESC_OFF + (__u64)ndesc * sizeof(struct mcr_desc);

	return (end + MCR_PAGE_SIZE - 1) & ~(__u64)(MCR_PAGE_SIZE - 1);
}

/**
 * mcr_ring_size() - bytes one ring occupies, for a valid geometry
 * @ndesc: number of descriptors
 * @data_size: bytes of text
 *
 * Return: the size, or 0 when the geometry is invalid.
 */
static inline __u64 mcr_ring_size(__u32 ndesc, __u32 data_size)
{
	if (!mcr_is_pow2(ndesc) || ndesc < MCR_NDESC_MIN ||
	    ndesc > MCR_NDESC_MAX || !mcr_is_pow2(data_size) ||
	    data_size < MCR_DATA_MIN || data_size > MCR_DATA_MAX)
		return 0;
	return mcr_data_off(ndesc) + data_size;
}

/**
 * mcr_ring_format() - lay out an empty ring in zeroed memory
 * @r: filled with the ring's pointers and geometry
 * @mem: ring_size() bytes, page aligned, zeroed
 * @ndesc: number of descriptors
 * @data_size: bytes of text
 * @ring_id: 0 for the MPSC ring, 1 + cpu for an SPSC ring
 *
 * Context: the creator of the ring (the module; tests in userspace),
 * before any writer or consumer sees it.
 * Return: 0, or -EINVAL for an invalid geometry.
 */
static inline int mcr_ring_format(struct mcr_ring *r, void *mem, __u32 ndesc,
				  __u32 data_size, __u32 ring_id)
{
	__u64 size = mcr_ring_size(ndesc, data_size);
	struct mcr_cons *cons = (struct mcr_cons *)((char *)mem + MCR_CONS_OFF);

	if (!size)
		return -EINVAL;
	cons->magic = MCR_RING_MAGIC;
	cons->abi_version = MCR_ABI_VERSION;
	cons->ndesc = ndesc;
	cons->data_size = data_size;
	cons->data_off = mcr_data_off(ndesc);
	cons->ring_size = size;
	cons->ring_id = ring_id;
	r->prod = (struct mcr_prod *)((char *)mem + MCR_PROD_OFF);
	r->cons = cons;
	r->desc = (struct mcr_desc *)((char *)mem + MCR_DESC_OFF);
	r->data = (unsigned char *)mem + cons->data_off;
	r->ndesc = ndesc;
	r->data_size = data_size;
	return 0;
}

/**
 * mcr_ring_attach() - see a ring laid out by someone else
 * @r: filled with the ring's pointers and geometry
 * @mem: the mapping
 * @map_size: bytes mapped at @mem
 *
 * Reads the geometry once from the cons page and checks that it describes
 * a ring that fits in @map_size.
 *
 * Return: 0, -EPROTO when the page is not an mcrring ring of this ABI,
 * -EINVAL when its geometry is invalid or does not fit the mapping.
 */
static inline int mcr_ring_attach(struct mcr_ring *r, void *mem,
				  __u64 map_size)
{
	struct mcr_cons *cons = (struct mcr_cons *)((char *)mem + MCR_CONS_OFF);
	__u32 ndesc, data_size;
	__u64 size;

	if (map_size < MCR_DESC_OFF)
		return -EINVAL;
	if (READ_ONCE(cons->magic) != MCR_RING_MAGIC ||
	    READ_ONCE(cons->abi_version) != MCR_ABI_VERSION)
		return -EPROTO;
	ndesc = READ_ONCE(cons->ndesc);
	data_size = READ_ONCE(cons->data_size);
	size = mcr_ring_size(ndesc, data_size);
	if (!size || size > map_size)
		return -EINVAL;
	r->prod = (struct mcr_prod *)((char *)mem + MCR_PROD_OFF);
	r->cons = cons;
	r->desc = (struct mcr_desc *)((char *)mem + MCR_DESC_OFF);
	r->data = (unsigned char *)mem + mcr_data_off(ndesc);
	r->ndesc = ndesc;
	r->data_size = data_size;
	return 0;
}

/* --- writers ---------------------------------------------------------- */

/* What a writer learnt from refreshing its view of tail. */
#define MCR_RESV_WAKE		1	/* drainer asleep and ring half full */

/* One reservation, between reserve and commit/discard. */
struct mcr_resv {
	char *text;		/* where the text goes, cap bytes */
	struct mcr_desc *desc;
	__u64 prev_head;	/* head before this reservation */
	__u32 seq;
	__u32 begin;		/* data position of text */
	__u32 cap;		/* bytes reserved at text, aligned */
	__u32 hint;		/* MCR_RESV_* */
};

/* An SPSC writer's private state. */
struct mcr_spsc {
	struct mcr_ring ring;
	__u32 seq;		/* next sequence */
	__u32 pos;		/* next free data position */
	__u64 cached_tail;	/* last tail seen */
};

/* Where text of @alen bytes at data position @pos would begin. */
static inline __u32 __mcr_text_begin(const struct mcr_ring *r, __u32 pos,
				     __u32 alen)
{
	__u32 off = pos & (r->data_size - 1);

	if (off + alen > r->data_size)
		pos += r->data_size - off;	/* next lap: no wrapped text */
	return pos;
}

/* Would a reservation ending at (seq, end) fit if tail were @tail? */
static inline bool __mcr_fits(const struct mcr_ring *r, __u64 tail, __u32 seq,
			      __u32 end)
{
	return (__u32)(seq - mcr_packed_seq(tail)) < r->ndesc &&
	       (__u32)(end - mcr_packed_pos(tail)) <= r->data_size;
}

/* At least half full: time to look at the consumer's line. */
static inline bool __mcr_half(const struct mcr_ring *r, __u64 tail, __u32 seq,
			      __u32 end)
{
	return (__u32)(seq - mcr_packed_seq(tail)) >= r->ndesc / 2 ||
	       (__u32)(end - mcr_packed_pos(tail)) > r->data_size / 2;
}

static inline __u64 __mcr_read_tail(const struct mcr_ring *r, __u32 *hint)
{
	__u64 tail = smp_load_acquire(&r->cons->tail);		/* [M5] */

	if (READ_ONCE(r->cons->flags) & MCR_CONS_NEED_WAKEUP)	/* [M10] */
		*hint |= MCR_RESV_WAKE;
	return tail;
}

static inline void __mcr_resv_fill(const struct mcr_ring *r,
				   struct mcr_resv *resv, __u64 prev_head,
				   __u32 seq, __u32 begin, __u32 alen)
{
	resv->desc = &r->desc[seq & (r->ndesc - 1)];
	resv->text = (char *)r->data + (begin & (r->data_size - 1));
	resv->prev_head = prev_head;
	resv->seq = seq;
	resv->begin = begin;
	resv->cap = alen;
}

/**
 * mcr_spsc_init() - start writing to an SPSC ring where it stands
 * @w: the writer's state
 * @r: the ring
 *
 * Context: the ring's single writer, once per claim.
 */
static inline void mcr_spsc_init(struct mcr_spsc *w, const struct mcr_ring *r)
{
	__u64 head = READ_ONCE(r->prod->head);

	w->ring = *r;
	w->seq = mcr_packed_seq(head);
	w->pos = mcr_packed_pos(head);
	w->cached_tail = smp_load_acquire(&r->cons->tail);	/* [M5] */
}

/**
 * mcr_spsc_reserve() - reserve a record of up to @len bytes of text
 * @w: the ring's single writer
 * @len: bytes of text, at most MCR_TEXT_MAX
 * @resv: filled in on success; resv->hint says whether to wake the drainer
 *
 * Context: the thread that owns @w. Never blocks, never enters the kernel.
 * Return: 0, -EMSGSIZE when @len exceeds MCR_TEXT_MAX, -ENOBUFS when the
 * ring is full (the record is dropped and prod->dropped_full moves).
 */
static inline int mcr_spsc_reserve(struct mcr_spsc *w, __u32 len,
				   struct mcr_resv *resv)
{
	const struct mcr_ring *r = &w->ring;
	__u32 alen, begin, end;

	resv->hint = 0;
	if (unlikely(len > MCR_TEXT_MAX))
		return -EMSGSIZE;
	alen = MCR_ALIGN_UP(len);
	begin = __mcr_text_begin(r, w->pos, alen);
	end = begin + alen;
	if (unlikely(__mcr_half(r, w->cached_tail, w->seq, end)) &&
	    (!(w->seq & (MCR_TAIL_EVERY - 1)) ||
	     !__mcr_fits(r, w->cached_tail, w->seq, end))) {
		w->cached_tail = __mcr_read_tail(r, &resv->hint);
		if (!__mcr_fits(r, w->cached_tail, w->seq, end)) {
			WRITE_ONCE(r->prod->dropped_full,
				   READ_ONCE(r->prod->dropped_full) + 1);
			return -ENOBUFS;
		}
	}
	__mcr_resv_fill(r, resv, mcr_pack(w->seq, w->pos), w->seq, begin, alen);
	w->seq++;
	w->pos = end;
	WRITE_ONCE(r->prod->head, mcr_pack(w->seq, w->pos));
	return 0;
}

/* Write the descriptor and publish it. */
static inline void __mcr_publish(struct mcr_resv *resv, __u32 len, __u64 ts_ns,
				 __u32 pid, __u32 tid, __u32 cpu, __u8 pri,
				 __u8 flags)
{
	struct mcr_desc *d = resv->desc;

	WRITE_ONCE(d->ts_ns, ts_ns);
	WRITE_ONCE(d->pos, resv->begin);
	WRITE_ONCE(d->pid, pid);
	WRITE_ONCE(d->tid, tid);
	WRITE_ONCE(d->len, (__u16)len);
	WRITE_ONCE(d->pri, pri);
	WRITE_ONCE(d->flags, flags);
	smp_store_release(&d->state_var,				/* [M1] */
			  MCR_SV(resv->seq, cpu, MCR_DESC_COMMITTED));
}

/**
 * mcr_spsc_commit() - publish a reserved record
 * @w: the ring's single writer
 * @resv: from mcr_spsc_reserve()
 * @len: bytes of text written at resv->text, at most what was reserved
 * @ts_ns: CLOCK_MONOTONIC timestamp
 * @pid: writer's process id
 * @tid: writer's thread id
 * @cpu: cpu the record was written on
 * @pri: MCR_PRI(facility, severity)
 * @flags: MCR_FLAG_*
 *
 * Text reserved beyond @len goes back to the ring when this is the newest
 * reservation.
 *
 * Context: the thread that owns @w.
 */
static inline void mcr_spsc_commit(struct mcr_spsc *w, struct mcr_resv *resv,
				   __u32 len, __u64 ts_ns, __u32 pid, __u32 tid,
				   __u32 cpu, __u8 pri, __u8 flags)
{
	__u32 end = resv->begin + MCR_ALIGN_UP(len);

	if (w->seq == resv->seq + 1 && w->pos != end) {
		w->pos = end;
		WRITE_ONCE(w->ring.prod->head, mcr_pack(w->seq, w->pos));
	}
	__mcr_publish(resv, len, ts_ns, pid, tid, cpu, pri, flags);
}

/**
 * mcr_spsc_discard() - give a reservation back unpublished
 * @w: the ring's single writer
 * @resv: from mcr_spsc_reserve()
 *
 * The descriptor is published DISCARDED for the consumer to skip; the
 * text goes back to the ring when this is the newest reservation. The
 * sequence is never handed out again: the consumer may already have
 * skipped it, and a second record under it would be lost.
 *
 * Context: the thread that owns @w.
 */
static inline void mcr_spsc_discard(struct mcr_spsc *w, struct mcr_resv *resv)
{
	if (w->seq == resv->seq + 1) {
		w->pos = mcr_packed_pos(resv->prev_head);
		WRITE_ONCE(w->ring.prod->head, mcr_pack(w->seq, w->pos));
	}
	smp_store_release(&resv->desc->state_var,			/* [M1] */
			  MCR_SV(resv->seq, 0, MCR_DESC_DISCARDED));
}

/* Can text of @alen bytes from @begin stay contiguous and fit? */
static inline bool __mcr_can_grow(const struct mcr_ring *r, __u64 tail,
				  __u32 seq, __u32 begin, __u32 alen)
{
	return (begin & (r->data_size - 1)) + alen <= r->data_size &&
	       __mcr_fits(r, tail, seq, begin + alen);
}

/**
 * mcr_spsc_grow() - make the newest reservation hold @len bytes
 * @w: the ring's single writer
 * @resv: the newest reservation, from mcr_spsc_reserve()
 * @len: bytes of text wanted, at most MCR_TEXT_MAX
 *
 * For a writer that learns the length only while writing (formatting):
 * the text already written stays where it is.
 *
 * Context: the thread that owns @w.
 * Return: 0, -EMSGSIZE, or -ENOBUFS when the ring has no room after the
 * reservation (it is left as it was).
 */
static inline int mcr_spsc_grow(struct mcr_spsc *w, struct mcr_resv *resv,
				__u32 len)
{
	const struct mcr_ring *r = &w->ring;
	__u32 alen = MCR_ALIGN_UP(len);

	if (len > MCR_TEXT_MAX)
		return -EMSGSIZE;
	if (w->seq != resv->seq + 1)
		return -ENOBUFS;
	if (!__mcr_can_grow(r, w->cached_tail, w->seq, resv->begin, alen)) {
		w->cached_tail = __mcr_read_tail(r, &resv->hint);
		if (!__mcr_can_grow(r, w->cached_tail, w->seq, resv->begin,
				    alen))
			return -ENOBUFS;
	}
	if (alen > resv->cap) {
		resv->cap = alen;
		w->pos = resv->begin + alen;
		WRITE_ONCE(r->prod->head, mcr_pack(w->seq, w->pos));
	}
	return 0;
}

/**
 * mcr_mpsc_reserve() - reserve a record of up to @len bytes of text
 * @r: the MPSC ring
 * @len: bytes of text, at most MCR_TEXT_MAX
 * @resv: filled in on success; resv->hint says whether to wake the drainer
 *
 * Lock-free: one compare-and-swap on prod->head, retried only when another
 * writer reserved in between.
 *
 * Context: any thread, any number at once. Never blocks.
 * Return: 0, -EMSGSIZE when @len exceeds MCR_TEXT_MAX, -ENOBUFS when the
 * ring is full (the record is dropped and prod->dropped_full moves).
 */
static inline int mcr_mpsc_reserve(const struct mcr_ring *r, __u32 len,
				   struct mcr_resv *resv)
{
	struct mcr_prod *prod = r->prod;
	__u32 alen, seq, begin, end;
	__u64 head, found, tail;

	resv->hint = 0;
	if (unlikely(len > MCR_TEXT_MAX))
		return -EMSGSIZE;
	alen = MCR_ALIGN_UP(len);
	head = READ_ONCE(prod->head);
	for (;;) {
		seq = mcr_packed_seq(head);
		begin = __mcr_text_begin(r, mcr_packed_pos(head), alen);
		end = begin + alen;
		tail = smp_load_acquire(&prod->cached_tail);		/* [M7] */
		if (unlikely(__mcr_half(r, tail, seq, end))) {
			tail = __mcr_read_tail(r, &resv->hint);
			smp_store_release(&prod->cached_tail, tail);	/* [M6] */
			if (!__mcr_fits(r, tail, seq, end)) {
				mcr_atomic_inc64(&prod->dropped_full);
				return -ENOBUFS;
			}
		}
		found = mcr_cmpxchg64_relaxed(&prod->head, head,
					      mcr_pack(seq + 1, end));
		if (likely(found == head))
			break;
		head = found;
	}
	__mcr_resv_fill(r, resv, head, seq, begin, alen);
	return 0;
}

/**
 * mcr_mpsc_commit() - publish a reserved record
 * @r: the MPSC ring
 * @resv: from mcr_mpsc_reserve()
 * @len: bytes of text written at resv->text, at most what was reserved
 * @ts_ns: CLOCK_MONOTONIC timestamp
 * @pid: writer's process id
 * @tid: writer's thread id
 * @cpu: cpu the record was written on
 * @pri: MCR_PRI(facility, severity)
 * @flags: MCR_FLAG_*
 *
 * Context: the thread that reserved.
 */
static inline void mcr_mpsc_commit(const struct mcr_ring *r,
				   struct mcr_resv *resv, __u32 len,
				   __u64 ts_ns, __u32 pid, __u32 tid, __u32 cpu,
				   __u8 pri, __u8 flags)
{
	__u32 end = resv->begin + resv->cap;
	__u32 used = resv->begin + MCR_ALIGN_UP(len);

	/* Shrink only while nobody reserved after us. */
	if (used != end)
		mcr_cmpxchg64_relaxed(&r->prod->head,
				      mcr_pack(resv->seq + 1, end),
				      mcr_pack(resv->seq + 1, used));
	__mcr_publish(resv, len, ts_ns, pid, tid, cpu, pri, flags);
}

/**
 * mcr_mpsc_discard() - give a reservation back unpublished
 * @r: the MPSC ring
 * @resv: from mcr_mpsc_reserve()
 *
 * As mcr_spsc_discard(): published DISCARDED, text returned when nobody
 * reserved after it, the sequence never reused.
 *
 * Context: the thread that reserved.
 */
static inline void mcr_mpsc_discard(const struct mcr_ring *r,
				    struct mcr_resv *resv)
{
	__u32 seq = resv->seq + 1;

	mcr_cmpxchg64_relaxed(&r->prod->head,
			      mcr_pack(seq, resv->begin + resv->cap),
			      mcr_pack(seq, mcr_packed_pos(resv->prev_head)));
	smp_store_release(&resv->desc->state_var,			/* [M1] */
			  MCR_SV(resv->seq, 0, MCR_DESC_DISCARDED));
}

/**
 * mcr_mpsc_grow() - make a reservation hold @len bytes
 * @r: the MPSC ring
 * @resv: from mcr_mpsc_reserve()
 * @len: bytes of text wanted, at most MCR_TEXT_MAX
 *
 * Succeeds only while nobody reserved after @resv.
 *
 * Context: the thread that reserved.
 * Return: 0, -EMSGSIZE, or -ENOBUFS (no room, or another reservation
 * follows; @resv is left as it was).
 */
static inline int mcr_mpsc_grow(const struct mcr_ring *r,
				struct mcr_resv *resv, __u32 len)
{
	__u32 alen = MCR_ALIGN_UP(len), seq = resv->seq + 1;
	__u64 tail;

	if (len > MCR_TEXT_MAX)
		return -EMSGSIZE;
	if (alen <= resv->cap)
		return 0;
	tail = smp_load_acquire(&r->prod->cached_tail);		/* [M7] */
	if (!__mcr_can_grow(r, tail, seq, resv->begin, alen)) {
		tail = __mcr_read_tail(r, &resv->hint);
		smp_store_release(&r->prod->cached_tail, tail);	/* [M6] */
		if (!__mcr_can_grow(r, tail, seq, resv->begin, alen))
			return -ENOBUFS;
	}
	if (mcr_cmpxchg64_relaxed(&r->prod->head,
				  mcr_pack(seq, resv->begin + resv->cap),
				  mcr_pack(seq, resv->begin + alen)) !=
	    mcr_pack(seq, resv->begin + resv->cap))
		return -ENOBUFS;
	resv->cap = alen;
	return 0;
}

/* --- consumer --------------------------------------------------------- */

/* A record as the consumer delivers it. */
struct mcr_record {
	__u64 seq;		/* 64-bit sequence within its ring */
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u32 len;
	__u8 pri;
	__u8 flags;
	__u16 ring;
};

/* Abandoned reservations whose memory is not freed yet. */
struct mcr_pin {
	__u64 seq;		/* the first of them */
	__u64 pos;		/* data their late writers may write from on */
	__u64 since_ns;		/* when the newest of them was skipped */
	__u32 nrec;		/* how many: only a lone one can end early */
};

/* The consumer's private cursors; never stored where writers can write. */
struct mcr_cursor {
	__u64 seq;		/* next sequence to consume */
	__u64 pos;		/* end of the last consumed text */
	__u64 wait_end;		/* sequences below this were reserved ... */
	__u64 wait_since_ns;	/* ... by then; 0: no wait running */
	struct mcr_pin pins[MCR_PINS];
	__u32 npins;
	__u32 ring_id;
	/* Exact accounting: reserved sequences = the sum of these. */
	__u64 drained;
	__u64 abandoned;
	__u64 invalid;
	__u64 discarded;
	__u64 reclaimed;	/* pins freed by @reclaim_ns, not by a writer */
	__u64 resyncs;		/* impossible heads put back at the cursor */
};

/* Results of mcr_consume(). */
enum mcr_consume_result {
	MCR_EMPTY = 0,		/* nothing reserved beyond the cursor */
	MCR_RECORD,		/* a record was delivered */
	MCR_SKIPPED,		/* a descriptor was skipped and counted */
	MCR_INFLIGHT,		/* the next record is still being written */
};

/**
 * mcr_cursor_init() - start consuming a ring where it stands
 * @c: the cursor
 * @r: the ring
 * @ring_id: stamped on delivered records
 *
 * Context: the ring's single consumer, before it consumes.
 */
static inline void mcr_cursor_init(struct mcr_cursor *c,
				   const struct mcr_ring *r, __u32 ring_id)
{
	__u64 tail = READ_ONCE(r->cons->tail);

	memset(c, 0, sizeof(*c));
	c->seq = mcr_packed_seq(tail);
	c->pos = mcr_packed_pos(tail);
	c->ring_id = ring_id;
}

/* Extend a 32-bit data position to 64 bits, at or after @base. */
static inline __u64 __mcr_extend_pos(__u64 base, __u32 pos32)
{
	return base + (__u32)(pos32 - (__u32)base);
}

/* Publish how far writers may reuse memory: not past any pin. */
static inline void __mcr_free(const struct mcr_ring *r,
			      const struct mcr_cursor *c)
{
	__u64 seq = c->seq, pos = c->pos;

	if (c->npins) {
		seq = c->pins[0].seq;
		pos = c->pins[0].pos;
	}
	smp_store_release(&r->cons->tail,				/* [M4] */
			  mcr_pack((__u32)seq, (__u32)pos));
}

/* Drop pins whose writer finished late, or that outlived @reclaim_ns. */
static inline void __mcr_unpin(const struct mcr_ring *r, struct mcr_cursor *c,
			       __u64 now_ns, __u64 reclaim_ns)
{
	while (c->npins) {
		struct mcr_pin *p = &c->pins[0];
		/* Its writer's last stores come before its memory is freed. */
		__u64 sv = smp_load_acquire(&r->desc[p->seq & (r->ndesc - 1)]
					    .state_var);		/* [M2] */
		__u32 st = MCR_SV_STATE(sv);
		bool done = p->nrec == 1 &&
			    MCR_SV_SEQ(sv) == (__u32)p->seq &&
			    (st == MCR_DESC_COMMITTED ||
			     st == MCR_DESC_DISCARDED);

		if (!done && now_ns - p->since_ns < reclaim_ns)
			break;
		if (!done)
			c->reclaimed++;
		memmove(&c->pins[0], &c->pins[1],
			--c->npins * sizeof(c->pins[0]));
	}
}

/* Point the writers back at the cursor; both words are theirs to race. */
static inline void __mcr_resync_head(const struct mcr_ring *r,
				     struct mcr_cursor *c, __u64 head)
{
	__u64 here = mcr_pack((__u32)c->seq, (__u32)c->pos);

	if (mcr_cmpxchg64_relaxed(&r->prod->head, head, here) == head) {
		smp_store_release(&r->prod->cached_tail, here);	/* [M6] */
		c->resyncs++;
	}
}

/**
 * mcr_ring_reset() - start a ring afresh where the consumer stands
 * @r: the ring
 * @c: its consumer's cursor, at rest (nothing pending, no pin)
 *
 * Clears every descriptor and points head and the writers' cached tail at
 * the cursor, so nothing a previous writer left behind can be taken for
 * the next one's work.
 *
 * Context: the consumer, when no writer can write the ring (the kernel,
 * after a dead SPSC owner's ring was drained and before the next claim).
 */
static inline void mcr_ring_reset(const struct mcr_ring *r,
				  const struct mcr_cursor *c)
{
	__u64 here = mcr_pack((__u32)c->seq, (__u32)c->pos);

	memset(r->desc, 0, (size_t)r->ndesc * sizeof(*r->desc));
	WRITE_ONCE(r->prod->cached_tail, here);
	WRITE_ONCE(r->prod->head, here);
}

/*
 * Skip the in-flight descriptor at c->seq, keeping its memory pinned: by a
 * pin of its own, or with every pin taken, by the newest, which then
 * counts reclaim_ns from now.
 */
static inline void __mcr_abandon(struct mcr_cursor *c, __u64 now_ns)
{
	if (c->npins < MCR_PINS) {
		c->pins[c->npins++] = (struct mcr_pin){
			.seq = c->seq, .pos = c->pos, .since_ns = now_ns,
			.nrec = 1,
		};
	} else {
		c->pins[MCR_PINS - 1].since_ns = now_ns;
		c->pins[MCR_PINS - 1].nrec++;
	}
	c->abandoned++;
	c->seq++;
}

/*
 * Snapshot the descriptor whose state_var was @sv, validate it against the
 * geometry and the cursor, and copy its text to @text. Returns the text's
 * 64-bit begin position, or 0 with *ok false.
 */
static inline __u64 __mcr_take(const struct mcr_ring *r,
			       const struct mcr_cursor *c,
			       const struct mcr_desc *d, __u64 sv,
			       struct mcr_record *rec, char *text, bool *ok)
{
	__u32 pos32 = READ_ONCE(d->pos);
	__u32 len = READ_ONCE(d->len);
	__u8 pri = READ_ONCE(d->pri);
	__u8 flags = READ_ONCE(d->flags);
	__u64 begin = __mcr_extend_pos(c->pos, pos32);
	__u32 off = (__u32)begin & (r->data_size - 1);

	*ok = false;
	if ((sv & MCR_SV_RESERVED_BITS) || len > MCR_TEXT_MAX ||
	    (pos32 & (MCR_ALIGN - 1)) ||
	    MCR_PRI_FAC(pri) > MCR_FAC_MAX || (flags & ~MCR_FLAG_ALL) ||
	    off + MCR_ALIGN_UP(len) > r->data_size ||
	    begin + MCR_ALIGN_UP(len) - c->pos > r->data_size)
		return 0;
	rec->ts_ns = READ_ONCE(d->ts_ns);
	rec->pid = READ_ONCE(d->pid);
	rec->tid = READ_ONCE(d->tid);
	rec->cpu = MCR_SV_CPU(sv);
	rec->len = len;
	rec->pri = pri;
	rec->flags = flags;
	memcpy(text, r->data + off, len);
	smp_rmb();							/* [M3] */
	if (READ_ONCE(d->state_var) != sv)
		return 0;
	*ok = true;
	return begin;
}

/**
 * mcr_consume() - look at the next descriptor of a ring
 * @r: the ring
 * @c: the consumer's cursor
 * @rec: the record's metadata, on MCR_RECORD
 * @text: MCR_TEXT_MAX bytes; the record's text, on MCR_RECORD
 * @now_ns: the consumer's CLOCK_MONOTONIC time, read just before the call:
 *	a wait starts at the first call that finds a record in flight and
 *	covers what the head shows reserved then, so an older time would
 *	skip a record in flight for less than @abandon_ns
 * @abandon_ns: how long an in-flight record may hold up the ring before
 *	it is skipped as abandoned (0: at once; U64_MAX: never)
 * @reclaim_ns: how long an abandoned record's memory stays pinned
 *
 * Does a bounded amount of work: one descriptor, at most MCR_TEXT_MAX
 * bytes copied. Every field is read once; nothing read from shared memory
 * is used unvalidated.
 *
 * Context: the ring's single consumer.
 * Return: an enum mcr_consume_result.
 */
static inline int mcr_consume(const struct mcr_ring *r, struct mcr_cursor *c,
			      struct mcr_record *rec, char *text, __u64 now_ns,
			      __u64 abandon_ns, __u64 reclaim_ns)
{
	struct mcr_desc *d = &r->desc[c->seq & (r->ndesc - 1)];
	__u64 sv = smp_load_acquire(&d->state_var);			/* [M2] */
	__u32 state = MCR_SV_STATE(sv);
	__u32 inflight;
	__u64 begin, head;
	bool ok;

	if (c->npins)
		__mcr_unpin(r, c, now_ns, reclaim_ns);

	if (MCR_SV_SEQ(sv) != (__u32)c->seq ||
	    (state != MCR_DESC_COMMITTED && state != MCR_DESC_DISCARDED)) {
		/* Not ready. Reserved at all? The head is the writers' word. */
		head = READ_ONCE(r->prod->head);
		inflight = (__u32)(mcr_packed_seq(head) - (__u32)c->seq);
		if (inflight > r->ndesc ||
		    (__u32)(mcr_packed_pos(head) - (__u32)c->pos) >
		    r->data_size || (head & (MCR_ALIGN - 1))) {
			/* No writer following the protocol leaves this. */
			if (!c->npins)
				__mcr_resync_head(r, c, head);
			inflight = 0;
		} else if (inflight == 0 && !c->npins &&
			   (__u32)(mcr_packed_pos(head) - (__u32)c->pos) >
			   r->data_size / 2) {
			/*
			 * Over half the text belongs to no sequence in flight
			 * and no pin: skip it, or writers may find no room
			 * ever again. Not sooner: a late writer may still
			 * give back the text of a record skipped without a
			 * pin, moving the head's position back.
			 */
			c->pos = __mcr_extend_pos(c->pos,
						  mcr_packed_pos(head));
		}
		if (inflight == 0) {
			c->wait_since_ns = 0;
			__mcr_free(r, c);
			return MCR_EMPTY;
		}
		if (!c->wait_since_ns || c->seq >= c->wait_end ||
		    c->seq + inflight < c->wait_end) {
			/*
			 * All reserved up to the head was reserved by now. A
			 * head that went back (no writer following the
			 * protocol moves it so) starts the wait afresh.
			 */
			c->wait_end = c->seq + inflight;
			c->wait_since_ns = now_ns ? now_ns : 1;
		}
		if (abandon_ns != (__u64)-1 &&
		    now_ns - c->wait_since_ns >= abandon_ns) {
			__mcr_abandon(c, now_ns);
			__mcr_free(r, c);
			return MCR_SKIPPED;
		}
		return MCR_INFLIGHT;
	}

	if (state == MCR_DESC_DISCARDED) {
		c->discarded++;
		c->seq++;
		__mcr_free(r, c);
		return MCR_SKIPPED;
	}

	begin = __mcr_take(r, c, d, sv, rec, text, &ok);
	if (!ok) {
		c->invalid++;
		c->seq++;
		__mcr_free(r, c);
		return MCR_SKIPPED;
	}
	rec->seq = c->seq;
	rec->ring = (__u16)c->ring_id;
	c->drained++;
	c->seq++;
	c->pos = begin + MCR_ALIGN_UP(rec->len);
	__mcr_free(r, c);
	return MCR_RECORD;
}

/**
 * mcr_cursor_publish_counters() - copy the cursor's counters to the cons page
 * @r: the ring
 * @c: the consumer's cursor
 *
 * Context: the ring's single consumer, as often as it likes.
 */
static inline void mcr_cursor_publish_counters(const struct mcr_ring *r,
					       const struct mcr_cursor *c)
{
	WRITE_ONCE(r->cons->drained, c->drained);
	WRITE_ONCE(r->cons->abandoned, c->abandoned);
	WRITE_ONCE(r->cons->invalid, c->invalid);
	WRITE_ONCE(r->cons->discarded, c->discarded);
}

#endif /* MCR_RING_H */
