// SPDX-License-Identifier: GPL-2.0
/*
 * mcrring itself, as the benchmark runs it: a set of its default rings in
 * shared memory (libmcrring's mcr_shm_create()), writers through mcr_log()
 * on an SPSC or the MPSC ring, the consumer draining with mcr_consume()
 * and keeping the writers' clock, as the module's drain thread does.
 */
#include "loops.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */

static ALWAYS_INLINE int mcrring_put(const int kind, struct run *run,
				     struct wctx *w, uint32_t len)
{
	(void)kind;
	(void)run;
	return mcr_log(&w->mw, BENCH_PRI,
		       (const char *)w->elem + sizeof(struct elem_hdr), len);
}

/* The clock decides abandonment: never older than 256 records. */
static ALWAYS_INLINE int mcrring_take(const int kind, struct run *run,
				      struct cctx *c,
				      const unsigned char **msg, uint32_t *len)
{
	int res;

	(void)kind;
	*msg = c->elem + sizeof(struct elem_hdr);
	if (!(c->cur.drained & 255))
		c->now_ns = 1 + (uint64_t)cyc2ns((double)(__rdtsc() -
							   tsc_origin));
	res = mcr_consume(run->mring, &c->cur, &c->rec,
			  (char *)c->elem + sizeof(struct elem_hdr),
			  c->now_ns, run->abandon_ns, MCR_RECLAIM_NS_DEFAULT);
	if (res == MCR_RECORD) {
		*len = c->rec.len;
		return 1;
	}
	if (res == MCR_SKIPPED)
		return 2;
	c->now_ns = 1 + (uint64_t)cyc2ns((double)(__rdtsc() - tsc_origin));
	return 0;
}

RING_LOOPS(mcrring, R_MCR, mcrring_put, mcrring_take)

static uint64_t mcrring_bytes(uint32_t cap, uint32_t size)
{
	(void)cap;
	(void)size;
	return mcr_ring_size(RING_NDESC, RING_DATA);
}

/*
 * Records mcrring's default ring (16384 descriptors, 2 MiB text) holds
 * at this message size.
 */
static uint32_t mcrring_capacity(uint32_t size)
{
	uint32_t by_data = RING_DATA / MCR_ALIGN_UP(size);
	uint32_t cap = RING_NDESC;

	while (cap > by_data)
		cap >>= 1;
	return cap;
}

static unsigned int ring_of(const struct run *run)
{
	return run->mpsc ? MCR_RING_MPSC : MCR_RING_SPSC(0);
}

/* Touch every page of an mcrring ring so no write takes a fault. */
static void prefault_ring(const struct mcr_ring *r)
{
	volatile unsigned char *p;

	p = (volatile unsigned char *)r->desc;
	for (size_t i = 0; i < (size_t)r->ndesc * sizeof(struct mcr_desc);
	     i += 4096)
		p[i] = p[i];
	p = r->data;
	for (size_t i = 0; i < r->data_size; i += 4096)
		p[i] = p[i];
}

/*
 * The set's own clock, kept by the consumer; with run->gettime nobody
 * keeps it, and writers call clock_gettime().
 */
static int mcrring_setup(struct run *run)
{
	int ret = mcr_shm_create(2, RING_NDESC, RING_DATA, &run->set);

	if (ret)
		return ret;
	run->mring = mcr_set_ring(run->set, ring_of(run));
	prefault_ring(run->mring);
	run->keep = run->set;
	if (!run->gettime) {
		ret = clock_calibrate(run->set, ring_of(run));
		if (ret)
			return ret;
	}
	run->abandon_ns = run->mpsc ? MCR_ABANDON_NS_DEFAULT : (__u64)-1;
	return 0;
}

static int mcrring_writer_init(struct wctx *w)
{
	struct run *run = w->run;

	return run->mpsc ? mcr_writer_mpsc(run->set, &w->mw) :
			   mcr_writer_spsc(run->set, 0, &w->mw);
}

static void mcrring_consumer_init(struct cctx *c)
{
	mcr_cursor_init(&c->cur, c->run->mring, ring_of(c->run));
}

/* What the ring counted: drops, and records the consumer skipped. */
static void mcrring_tally(const struct run *run, struct run_result *res)
{
	const struct mcr_cursor *cur = &run->c->cur;

	res->ring_drops = READ_ONCE(run->mring->prod->dropped_full);
	res->skipped = cur->abandoned + cur->invalid + cur->discarded;
	res->acct_ok = res->ring_drops == res->refused &&
		       cur->drained == res->received &&
		       res->accepted == cur->drained + res->skipped;
}

const struct ring_ops ring_mcr = {
	.name = "mcrring",
	.title = "mcrring",
	.bytes = mcrring_bytes,
	.capacity = mcrring_capacity,
	.setup = mcrring_setup,
	.writer_init = mcrring_writer_init,
	.consumer_init = mcrring_consumer_init,
	.tally = mcrring_tally,
	RING_LOOPS_OPS(mcrring),
};
