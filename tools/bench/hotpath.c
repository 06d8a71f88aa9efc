// SPDX-License-Identifier: GPL-2.0
/*
 * The write path alone: one thread, no second core, every ring at every
 * size, its records stamped from the TSC map or with clock_gettime();
 * and what a call the runtime levels mute costs.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const uint32_t solo_size[SOLO_SIZES] = { 16, 128, 1024 };
double solo_ns[SOLO_SIZES][2][NR_KINDS];
double solo_muted_ns = NAN;

/*
 * One thread writes batches of SOLO_BATCH records into an empty ring of
 * @kind (the loop is loops.h's solo_body()); ns per write, the median of
 * @batches, or NaN where the ring cannot run single-producer at @size.
 */
static double solo_one(int kind, uint32_t size, bool gettime,
		       unsigned int batches)
{
	const struct ring_ops *ops = rings[kind];
	struct run *run;
	struct wctx *w;
	struct cctx *c;
	double *v, ns = NAN;

	if (ops->cannot && ops->cannot(false, size))
		return NAN;
	run = aligned_alloc(64, (sizeof(*run) + 63) & ~63ul);
	w = aligned_alloc(64, (sizeof(*w) + 63) & ~63ul);
	c = aligned_alloc(64, (sizeof(*c) + 63) & ~63ul);
	v = calloc(batches, sizeof(*v));
	if (!run || !w || !c || !v)
		goto out;
	memset(run, 0, sizeof(*run));
	memset(w, 0, sizeof(*w));
	memset(c, 0, sizeof(*c));
	run->kind = kind;
	run->nw = 1;
	run->size = size;
	run->cap = ring_capacity(kind, size);
	run->mode = M_FLAT;
	run->gettime = gettime;
	w->run = run;
	c->run = run;
	if (ring_setup(run))
		goto out_ring;
	memset(w->elem + sizeof(struct elem_hdr), 'x', size);
	if (ops->writer_init && ops->writer_init(w))
		goto out_ring;
	if (ops->consumer_init)
		ops->consumer_init(c);
	if (gettime && peer_clock_gettime(true))
		goto out_ring;
	ns = ops->solo(run, w, c, batches, v, gettime ? NULL : run->keep);
	if (gettime)	/* a set in shared memory: cannot fail */
		peer_clock_gettime(false);
out_ring:
	ring_teardown(run);
out:
	free(v);
	free(c);
	free(w);
	free(run);
	return ns;
}

/*
 * A muted call: mcr_log() of 128 bytes with BENCH_PRI's severity muted
 * in the ring's read-only page, timed in batches like a write. It reads
 * one byte and returns -ENOMSG; nothing is written.
 */
static double solo_muted(unsigned int batches)
{
	unsigned char msg[128];
	struct mcr_writer w;
	struct mcr_set *set;
	double *v = calloc(batches, sizeof(*v)), ns = NAN;

	memset(msg, 'x', sizeof(msg));
	if (!v || mcr_shm_create(2, 1024, 1 << 20, &set))
		goto out;
	if (mcr_writer_spsc(set, 0, &w))
		goto out_set;
	((struct mcr_cons *)mcr_set_ring(set, MCR_RING_SPSC(0))->cons)
		->mute[MCR_PRI_FAC(BENCH_PRI)] = 1 << MCR_PRI_SEV(BENCH_PRI);
	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = __rdtsc();

		for (unsigned int i = 0; i < SOLO_BATCH; i++)
			if (mcr_log(&w, BENCH_PRI, (const char *)msg,
				    sizeof(msg)) != -ENOMSG)
				goto out_set;
		v[b] = cyc2ns((double)(__rdtsc() - t0)) / SOLO_BATCH;
	}
	qsort(v, batches, sizeof(*v), cmp_dbl);
	ns = v[batches / 2];
out_set:
	mcr_set_close(set);
out:
	free(v);
	return ns;
}

/* On the writers' CPU, every size, clock and ring, rings interleaved. */
void measure_solo(void)
{
	unsigned int batches = cfg.smoke ? 20 : 2000;
	cpu_set_t all;

	sched_getaffinity(0, sizeof(all), &all);
	pin_to(cfg.wcpu);
	for (int z = 0; z < SOLO_SIZES; z++)
		for (int g = 0; g < 2; g++)
			for (int k = 0; k < NR_KINDS; k++)
				solo_ns[z][g][k] = solo_one(k, solo_size[z],
							    g, batches);
	solo_muted_ns = solo_muted(batches);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
}
