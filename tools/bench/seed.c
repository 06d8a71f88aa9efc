// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's peer: the proof of concept's own design (seed.h), 512-byte
 * slots with a state word, its MPSC writers CASing write_seq; a full ring
 * drops the record and counts an overrun.
 */
#include "loops.h"
#include "seed.h"

static ALWAYS_INLINE int seed_put(const int kind, struct run *run,
				  struct wctx *w, uint32_t len)
{
	(void)kind;
	return seed_write(run->seed, run->mpsc, &w->seed_rs,
			  w->elem + sizeof(struct elem_hdr), len);
}

static ALWAYS_INLINE int seed_take(const int kind, struct run *run,
				   struct cctx *c, const unsigned char **msg,
				   uint32_t *len)
{
	(void)kind;
	if (!seed_read(run->seed, c->elem))
		return 0;
	return peer_record(c, msg, len);
}

RING_LOOPS(seed, R_SEED, seed_put, seed_take)

static uint64_t seed_bytes(uint32_t cap, uint32_t size)
{
	(void)size;
	return (uint64_t)cap * sizeof(struct seed_slot) +
	       sizeof(struct seed_ring);
}

static const char *seed_cannot(bool mpsc, uint32_t size)
{
	(void)mpsc;
	return size > SEED_MSG_MAX ?
	       "message does not fit the seed's 256-byte field" : NULL;
}

static int seed_setup(struct run *run)
{
	run->seed = shm_alloc(&run->mem[0], sizeof(*run->seed));
	if (!run->seed)
		return -ENOMEM;
	run->seed->slots = shm_alloc(&run->mem[1], (size_t)run->cap *
				     sizeof(struct seed_slot));
	if (!run->seed->slots)
		return -ENOMEM;
	run->seed->mask = run->cap - 1;
	return 0;
}

/* Records the seed's reader never reached: READY slots left behind. */
static uint64_t seed_stranded(const struct seed_ring *r)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i <= r->mask; i++)
		n += r->slots[i].state == SEED_READY;
	return n;
}

static void seed_tally(const struct run *run, struct run_result *res)
{
	res->ring_drops = run->seed->overruns;
	res->stranded = seed_stranded(run->seed);
	res->acct_ok = res->ring_drops == res->refused;
}

const struct ring_ops ring_seed = {
	.name = "seed",
	.title = "seed design (512 B slots)",
	.bytes = seed_bytes,
	.cannot = seed_cannot,
	.setup = seed_setup,
	.tally = seed_tally,
	RING_LOOPS_OPS(seed),
};
