// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's peer: Concurrency Kit's typed ring (CK_RING_PROTOTYPE), one
 * element type per message size, SPSC or MPSC enqueue, SPSC dequeue, the
 * element copied in and out by value.
 */
#include <ck_ring.h>

#include "loops.h"

CK_RING_PROTOTYPE(e16, elem16)
CK_RING_PROTOTYPE(e128, elem128)
CK_RING_PROTOTYPE(e1024, elem1024)
CK_RING_PROTOTYPE(e4096, elem4096)

/* A case of @CASE for each element type, switched on @size. */
#define CK_BY_SIZE(size, CASE)						\
	switch (size) {							\
	CASE(16);							\
	CASE(128);							\
	CASE(1024);							\
	CASE(4096);							\
	}

static ALWAYS_INLINE bool ck_write(struct run *run, unsigned char *elem)
{
	struct ck_ring *r = run->ck;

#define CK_CASE(n)							\
	case n:								\
		return run->mpsc ?					\
			ck_ring_enqueue_mpsc_e##n(r, run->ck_buf,	\
						  (struct elem##n *)elem) : \
			ck_ring_enqueue_spsc_e##n(r, run->ck_buf,	\
						  (struct elem##n *)elem)
	CK_BY_SIZE(run->size, CK_CASE);
#undef CK_CASE
	return false;
}

static ALWAYS_INLINE bool ck_read(struct run *run, unsigned char *elem)
{
	struct ck_ring *r = run->ck;

#define CK_CASE(n)							\
	case n:								\
		return ck_ring_dequeue_spsc_e##n(r, run->ck_buf,	\
						 (struct elem##n *)elem)
	CK_BY_SIZE(run->size, CK_CASE);
#undef CK_CASE
	return false;
}

static ALWAYS_INLINE int ck_put(const int kind, struct run *run,
				struct wctx *w, uint32_t len)
{
	(void)kind;
	peer_stamp((struct elem_hdr *)w->elem, w, len);
	return ck_write(run, w->elem) ? 0 : -ENOBUFS;
}

static ALWAYS_INLINE int ck_take(const int kind, struct run *run,
				 struct cctx *c, const unsigned char **msg,
				 uint32_t *len)
{
	(void)kind;
	if (!ck_read(run, c->elem))
		return 0;
	return peer_record(c, msg, len);
}

RING_LOOPS(ck, R_CK, ck_put, ck_take)

static uint64_t ck_bytes(uint32_t cap, uint32_t size)
{
	return (uint64_t)cap * PEER_ESIZE(size) + sizeof(struct ck_ring);
}

static int ck_setup(struct run *run)
{
	run->esize = PEER_ESIZE(run->size);
	run->ck = shm_alloc(&run->mem[0], sizeof(*run->ck));
	run->ck_buf = shm_alloc(&run->mem[1], (size_t)run->cap * run->esize);
	if (!run->ck || !run->ck_buf)
		return -ENOMEM;
	ck_ring_init(run->ck, run->cap);
	return 0;
}

const struct ring_ops ring_ck = {
	.name = "ck",
	.title = "Concurrency Kit ck_ring (typed)",
	.bytes = ck_bytes,
	.spare = 1,
	.setup = ck_setup,
	RING_LOOPS_OPS(ck),
};
