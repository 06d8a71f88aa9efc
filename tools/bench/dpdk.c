// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's peer: DPDK's rte_ring, four ways. Its element API in the
 * default multi-producer mode (writers publish in ticket order), in RTS
 * (relaxed tail sync) and HTS (head/tail sync) modes, DPDK's answer to
 * preempted producers; and the way DPDK is most used, a ring of pointers
 * to preallocated records taken from a free ring (rte_mempool's ring
 * handler without EAL's per-lcore caches), records cache-aligned as
 * rte_mempool aligns its objects. rte_ring_init() works on plain memory,
 * without EAL.
 */
#include <sys/types.h>

#include <rte_config.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "loops.h"

#define DPTR_REC(size)		((PEER_ESIZE(size) + 63u) & ~63u)

/* The element API: dpdk, dpdk-rts, dpdk-hts. */
static ALWAYS_INLINE int dpdk_put(const int kind, struct run *run,
				  struct wctx *w, uint32_t len)
{
	peer_stamp((struct elem_hdr *)w->elem, w, len);
	/* As rte_ring_mp_enqueue_elem() is made: a bulk of one. */
	if (kind == R_RTS)
		return rte_ring_mp_rts_enqueue_bulk_elem(run->rte,
			w->elem, run->esize, 1, NULL) ? 0 : -ENOBUFS;
	if (kind == R_HTS)
		return rte_ring_mp_hts_enqueue_bulk_elem(run->rte,
			w->elem, run->esize, 1, NULL) ? 0 : -ENOBUFS;
	return run->mpsc ?
		rte_ring_mp_enqueue_elem(run->rte, w->elem, run->esize) :
		rte_ring_sp_enqueue_elem(run->rte, w->elem, run->esize);
}

static ALWAYS_INLINE int dpdk_take(const int kind, struct run *run,
				   struct cctx *c, const unsigned char **msg,
				   uint32_t *len)
{
	(void)kind;
	if (rte_ring_sc_dequeue_elem(run->rte, c->elem, run->esize))
		return 0;
	return peer_record(c, msg, len);
}

/* dpdk-ptr: a record from the free ring, filled, its pointer enqueued. */
static ALWAYS_INLINE int dptr_put(const int kind, struct run *run,
				  struct wctx *w, uint32_t len)
{
	struct elem_hdr *h;
	void *rec;

	(void)kind;
	if (run->mpsc ? rte_ring_mc_dequeue(run->pool, &rec) :
			rte_ring_sc_dequeue(run->pool, &rec))
		return -ENOBUFS;
	h = rec;
	peer_stamp(h, w, len);
	memcpy(h + 1, w->elem + sizeof(*h), len);
	/* Cannot fail: the ring has a slot for every record. */
	return run->mpsc ? rte_ring_mp_enqueue(run->rte, rec) :
			   rte_ring_sp_enqueue(run->rte, rec);
}

/* Copied out by value, the record given back to the free ring. */
static ALWAYS_INLINE int dptr_take(const int kind, struct run *run,
				   struct cctx *c, const unsigned char **msg,
				   uint32_t *len)
{
	const struct elem_hdr *h;
	void *rec;

	(void)kind;
	if (rte_ring_sc_dequeue(run->rte, &rec))
		return 0;
	h = rec;
	memcpy(c->elem, rec, sizeof(*h) + (h->len > MCR_TEXT_MAX ?
					   MCR_TEXT_MAX : h->len));
	rte_ring_sp_enqueue(run->pool, rec);
	return peer_record(c, msg, len);
}

RING_LOOPS(dpdk, R_DPDK, dpdk_put, dpdk_take)
RING_LOOPS(dpdk_rts, R_RTS, dpdk_put, dpdk_take)
RING_LOOPS(dpdk_hts, R_HTS, dpdk_put, dpdk_take)
RING_LOOPS(dpdk_ptr, R_DPTR, dptr_put, dptr_take)

static uint64_t dpdk_bytes(uint32_t cap, uint32_t size)
{
	return (uint64_t)rte_ring_get_memsize_elem(PEER_ESIZE(size), cap);
}

/* The ring, the free ring, cap - 1 records. */
static uint64_t dptr_bytes(uint32_t cap, uint32_t size)
{
	return 2 * (uint64_t)rte_ring_get_memsize(cap) +
	       (uint64_t)(cap - 1) * DPTR_REC(size);
}

static const char *mp_only(bool mpsc, uint32_t size)
{
	(void)size;
	return mpsc ? NULL : "a multi-producer mode (SPSC: see dpdk)";
}

static int dpdk_setup(struct run *run)
{
	static const unsigned int mode[] = {
		[R_DPDK] = 0,
		[R_RTS] = RING_F_MP_RTS_ENQ,
		[R_HTS] = RING_F_MP_HTS_ENQ,
	};
	ssize_t sz;

	run->esize = PEER_ESIZE(run->size);
	sz = rte_ring_get_memsize_elem(run->esize, run->cap);
	if (sz < 0)
		return (int)sz;
	run->rte = shm_alloc(&run->mem[0], (size_t)sz);
	if (!run->rte)
		return -ENOMEM;
	return rte_ring_init(run->rte, "mcrbench", run->cap, RING_F_SC_DEQ |
			     (run->mpsc ? mode[run->kind] : RING_F_SP_ENQ));
}

static int dptr_setup(struct run *run)
{
	unsigned int cap = run->cap;
	ssize_t sz = rte_ring_get_memsize(cap);
	unsigned char *recs;
	int ret;

	run->esize = PEER_ESIZE(run->size);
	if (sz < 0)
		return (int)sz;
	run->rte = shm_alloc(&run->mem[0], (size_t)sz);
	run->pool = shm_alloc(&run->mem[1], (size_t)sz);
	recs = shm_alloc(&run->mem[2], (size_t)(cap - 1) *
			 DPTR_REC(run->size));
	if (!run->rte || !run->pool || !recs)
		return -ENOMEM;
	ret = rte_ring_init(run->rte, "mcrbench", cap, RING_F_SC_DEQ |
			    (run->mpsc ? 0 : RING_F_SP_ENQ));
	if (!ret)	/* the consumer returns records, writers take */
		ret = rte_ring_init(run->pool, "mcrbench-pool", cap,
				    RING_F_SP_ENQ |
				    (run->mpsc ? 0 : RING_F_SC_DEQ));
	for (uint32_t i = 0; !ret && i < cap - 1; i++)
		ret = rte_ring_sp_enqueue(run->pool, recs +
					  (size_t)i * DPTR_REC(run->size));
	return ret;
}

/* The element API's three modes: a ring each, alike but for its loops. */
#define DPDK_ELEM_OPS(ring_name, ring_title, loops, mp)			\
	{								\
		.name = ring_name,					\
		.title = ring_title,					\
		.bytes = dpdk_bytes,					\
		.spare = 1,						\
		.cannot = mp,						\
		.setup = dpdk_setup,					\
		RING_LOOPS_OPS(loops),					\
	}

const struct ring_ops ring_dpdk =
	DPDK_ELEM_OPS("dpdk", "DPDK rte_ring (elem, default MP/SP)", dpdk,
		      NULL);
const struct ring_ops ring_dpdk_rts =
	DPDK_ELEM_OPS("dpdk-rts", "DPDK rte_ring (elem, MP RTS)", dpdk_rts,
		      mp_only);
const struct ring_ops ring_dpdk_hts =
	DPDK_ELEM_OPS("dpdk-hts", "DPDK rte_ring (elem, MP HTS)", dpdk_hts,
		      mp_only);

const struct ring_ops ring_dpdk_ptr = {
	.name = "dpdk-ptr",
	.title = "DPDK rte_ring of pointers to pooled records",
	.bytes = dptr_bytes,
	.spare = 1,
	.setup = dptr_setup,
	RING_LOOPS_OPS(dpdk_ptr),
};
