/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The timed loops every ring runs, written once: the writer, the
 * consumer (concurrent, or between bursts), the consumer's checks, and
 * the write path alone. Each ring's file defines its write and read,
 * always inline, and instantiates the loops with RING_LOOPS(), so that
 * every ring's loop is compiled with its own write inside it.
 */
#ifndef MCRBENCH_LOOPS_H
#define MCRBENCH_LOOPS_H

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* The timed call: one log record of @len bytes, by value. */
typedef int ring_write_fn(const int kind, struct run *run, struct wctx *w,
			  uint32_t len);

/*
 * Take one record: 1 with the message and its length set, 2 when the
 * ring skipped a descriptor (progress, no record), 0 when there is
 * nothing to take.
 */
typedef int ring_read_fn(const int kind, struct run *run, struct cctx *c,
			 const unsigned char **msg, uint32_t *len);

/* A peer's element header: what mcrring's descriptor holds. */
static ALWAYS_INLINE void peer_stamp(struct elem_hdr *h, const struct wctx *w,
				     uint32_t len)
{
	h->ts_ns = peer_now();
	h->tid = w->tid;
	h->len = (uint16_t)len;
	h->pri = BENCH_PRI;
}

/* A peer's record, copied into the consumer's element: 1, as a read. */
static ALWAYS_INLINE int peer_record(struct cctx *c,
				     const unsigned char **msg, uint32_t *len)
{
	*msg = c->elem + sizeof(struct elem_hdr);
	*len = ((const struct elem_hdr *)c->elem)->len;
	return 1;
}

static ALWAYS_INLINE void spin(bool yield)
{
	if (yield)
		sched_yield();
	else
		_mm_pause();
}

static ALWAYS_INLINE void refused_wait(const struct run *run,
				       unsigned int tries)
{
	if (run->yield || tries > REFUSED_SPINS)
		sched_yield();
	else
		_mm_pause();
}

/* The consumer's checks: loss, duplicates, order, torn copies. */
static ALWAYS_INLINE void check_record(struct cctx *c,
				       const unsigned char *msg, uint32_t len,
				       uint32_t want_len, unsigned int nw)
{
	uint64_t id, tsc, s, bit;
	unsigned int wi;

	if (len != want_len || len < 16) {
		c->torn++;
		return;
	}
	memcpy(&id, msg, 8);
	wi = (unsigned int)(id >> SEQ_BITS);
	s = id & SEQ_MASK;
	if (wi >= nw || s >= c->maxseq ||
	    (len >= 24 && memcmp(msg + len - 8, &id, 8))) {
		c->torn++;
		return;
	}
	c->received++;
	bit = 1ULL << (s & 63);
	if (c->seen[wi][s >> 6] & bit) {
		c->dups++;
		return;
	}
	c->seen[wi][s >> 6] |= bit;
	if (s < c->next[wi])
		c->reordered++;
	else
		c->next[wi] = s + 1;
	memcpy(&tsc, msg + 8, 8);
	if (tsc && c->ne2e < c->maxe2e) {
		uint64_t d = __rdtsc() - tsc;

		c->e2e[c->ne2e++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

/*
 * One writer: its n records, flat out or on its schedule, one in stride
 * timed; a refused write retried (flat) or dropped (paced, flat-drop).
 */
static ALWAYS_INLINE void writer_body(const int kind, struct wctx *w,
					ring_write_fn *ring_write)
{
	struct run *run = w->run;
	const uint32_t len = run->size;
	const uint64_t n = run->n, period = run->period;
	const bool retry = run->mode == M_FLAT && !run->burst;
	unsigned char *msg = w->elem + sizeof(struct elem_hdr);
	uint64_t next, s, c0;
	unsigned int cd = 1 + w->idx;	/* writers sample out of step */
	long iv0;

	pin_to(w->cpu);
	w->tid = (uint32_t)mcr_gettid();
	if (run->ops->writer_init) {
		int ret = run->ops->writer_init(w);

		if (ret) {
			fprintf(stderr, "mcrbench: writer: %s\n",
				strerror(-ret));
			w->errors++;
			__atomic_fetch_add(&run->writers_done, 1,
					   __ATOMIC_RELEASE);
			return;
		}
	}
	memset(msg, 'x', len);
	if (w->idx == 0 && !run->yield)
		pingpong_writer(run);
	__atomic_fetch_add(&run->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&run->go, __ATOMIC_ACQUIRE))
		spin(w->share);
	iv0 = thread_nivcsw();
	c0 = thread_cpu_ns();
	w->t0 = next = __rdtsc();
	for (s = 0; s < n; s++) {
		uint64_t id = w->id_base | s, t0 = 0;
		bool sample = --cd == 0;
		int rc;

		if (run->burst && !(s % run->burst))
			burst_start(run, w, s / run->burst);
		else if (!(s & 15) && !run->burst) {
			if (!(s & 255))
				__atomic_store_n(&w->progress, s,
						 __ATOMIC_RELAXED);
			if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
				break;
		}
		if (period) {
			next += period;
			while ((int64_t)(__rdtsc() - next) < 0)
				_mm_pause();
		}
		memcpy(msg, &id, 8);
		if (len >= 24)
			memcpy(msg + len - 8, &id, 8);
		if (sample) {
			cd = run->stride;
			t0 = t_start();
		}
		memcpy(msg + 8, &t0, 8);
		rc = ring_write(kind, run, w, len);
		if (run->burst && rc == -ENOBUFS)
			rc = -EOVERFLOW;	/* bursts are sized to fit */
		for (unsigned int tries = 1; retry && rc == -ENOBUFS; tries++) {
			w->refused++;
			if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
				goto out;
			refused_wait(run, tries);
			if (sample) {
				t0 = t_start();
				memcpy(msg + 8, &t0, 8);
			}
			rc = ring_write(kind, run, w, len);
		}
		if (sample) {
			uint64_t d = t_end() - t0;

			if (w->nlat < w->maxlat)
				w->lat[w->nlat++] = d > UINT32_MAX ?
						    UINT32_MAX : (uint32_t)d;
		}
		if (!rc)
			w->accepted++;
		else if (rc == -ENOBUFS)
			w->refused++;
		else
			w->errors++;
		if (run->burst && (!((s + 1) % run->burst) || s + 1 == n)) {
			w->bt1 = __rdtsc();
			pthread_barrier_wait(&run->bar);
		}
	}
out:
	w->t1 = __rdtsc();
	w->cpu_ns = thread_cpu_ns() - c0;
	w->nivcsw = thread_nivcsw() - iv0;
	w->attempts = retry ? w->accepted + w->refused + w->errors : s;
	__atomic_store_n(&w->progress, s, __ATOMIC_RELAXED);
	__atomic_fetch_add(&run->writers_done, 1, __ATOMIC_RELEASE);
}



/*
 * The consumer of a run in bursts: once every writer is done with a
 * burst, add the burst's time (first write of any writer to last write of
 * any), drain the ring and let the writers start the next.
 */
static ALWAYS_INLINE void consumer_bursts(const int kind, struct cctx *c,
					   ring_read_fn *ring_read)
{
	struct run *run = c->run;
	const uint64_t nb = (run->n + run->burst - 1) / run->burst;
	const unsigned int nw = run->nw;

	for (uint64_t b = 0; b < nb; b++) {
		uint64_t lo = UINT64_MAX, hi = 0;
		const unsigned char *msg;
		uint32_t len;
		int r;

		pthread_barrier_wait(&run->bar);
		for (unsigned int i = 0; i < nw; i++) {
			lo = run->w[i]->bt0 < lo ? run->w[i]->bt0 : lo;
			hi = run->w[i]->bt1 > hi ? run->w[i]->bt1 : hi;
		}
		run->burst_ticks += hi - lo;
		while ((r = ring_read(kind, run, c, &msg, &len))) {
			if (r == 1)
				check_record(c, msg, len, run->size, nw);
			else
				c->skipped++;
		}
		c->t_last = __rdtsc();
		mcr_set_keep_clock(run->keep);
		if (b + 1 < nb)
			pthread_barrier_wait(&run->bar);
	}
}

static ALWAYS_INLINE void consumer_body(const int kind, struct cctx *c,
					 ring_read_fn *ring_read)
{
	struct run *run = c->run;
	const uint32_t want = run->size;
	const unsigned int nw = run->nw;
	bool done = false, busy = false;
	uint64_t c0, idle = 0;
	long iv0;

	pin_to(c->cpu);
	if (!run->yield)
		pingpong_consumer(run);
	__atomic_fetch_add(&run->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&run->go, __ATOMIC_ACQUIRE))
		spin(run->yield);
	iv0 = thread_nivcsw();
	c0 = thread_cpu_ns();
	c->t0 = c->t_last = __rdtsc();
	if (run->burst) {
		consumer_bursts(kind, c, ring_read);
		goto out;
	}
	for (;;) {
		const unsigned char *msg;
		uint32_t len;
		int r = ring_read(kind, run, c, &msg, &len);

		if (r == 1) {
			check_record(c, msg, len, want, nw);
			busy = true;
			continue;
		}
		if (r == 2) {
			c->skipped++;
			continue;
		}
		if (busy) {
			c->t_last = __rdtsc();	/* drained up to here */
			busy = false;
		}
		if (done)
			break;
		/* One more pass after the last writer is seen to finish. */
		if (__atomic_load_n(&run->writers_done, __ATOMIC_ACQUIRE) ==
		    (int)nw) {
			done = true;
		} else if (run->backoff) {
			uint64_t until = __rdtsc() + run->backoff;

			while ((int64_t)(__rdtsc() - until) < 0)
				spin(run->yield);
		} else {
			spin(run->yield);
		}
		if (!(++idle & (run->backoff ? 63 : 4095))) {
			/* Like any drainer, keep the writers' clock. */
			mcr_set_keep_clock(run->keep);
			if (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
				watchdog(run, c->t0);
		}
	}
out:
	c->t1 = __rdtsc();
	c->cpu_ns = thread_cpu_ns() - c0;
	c->nivcsw = thread_nivcsw() - iv0;
}

/*
 * One thread writes batches of SOLO_BATCH records into an empty ring,
 * each batch timed whole, and drains them, untimed, before the next. No
 * second core takes part, so where the host puts the vCPUs cannot move
 * the figure: it is what a write costs with the ring in cache.
 */
static ALWAYS_INLINE double solo_body(const int kind, struct run *run,
				      struct wctx *w, struct cctx *c,
				      unsigned int batches, double *v,
				      struct mcr_set *keep,
				      ring_write_fn *ring_write,
				      ring_read_fn *ring_read)
{
	const unsigned char *msg;
	uint32_t len;

	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = __rdtsc();

		for (unsigned int i = 0; i < SOLO_BATCH; i++)
			if (ring_write(kind, run, w, run->size))
				return NAN;
		v[b] = cyc2ns((double)(__rdtsc() - t0)) / SOLO_BATCH;
		while (ring_read(kind, run, c, &msg, &len))
			;
		if (keep)	/* as a consumer would */
			mcr_set_keep_clock(keep);
	}
	qsort(v, batches, sizeof(*v), cmp_dbl);
	return v[batches / 2];
}

/* The threads and the write path alone of ring @name, kind @kind. */
#define RING_LOOPS(name, kind, write, read)				\
	static void *name##_writer(void *w)				\
	{								\
		writer_body(kind, w, write);				\
		return NULL;						\
	}								\
	static void *name##_consumer(void *c)				\
	{								\
		consumer_body(kind, c, read);				\
		return NULL;						\
	}								\
	static double name##_solo(struct run *run, struct wctx *w,	\
				  struct cctx *c, unsigned int batches,	\
				  double *v, struct mcr_set *keep)	\
	{								\
		return solo_body(kind, run, w, c, batches, v, keep,	\
				 write, read);				\
	}

/* RING_LOOPS(@name)'s functions, as struct ring_ops's members. */
#define RING_LOOPS_OPS(name)						\
	.writer = name##_writer,					\
	.consumer = name##_consumer,					\
	.solo = name##_solo

#endif /* MCRBENCH_LOOPS_H */
