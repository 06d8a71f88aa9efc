/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The writers' clock, shared by the module (which keeps it for the rings
 * it drains) and libmcrring (which reads it on every write, and keeps it
 * for rings a userspace consumer drains).
 */
#ifndef MCR_CLOCK_H
#define MCR_CLOCK_H

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <linux/mcrring.h>
#else
#include <mcrring/compat.h>
#include "linux/mcrring.h"	/* quoted: see mcrring/ring.h */
#endif

/**
 * DOC: the writers' clock
 *
 * Every record carries a CLOCK_MONOTONIC timestamp, and clock_gettime()
 * was most of a write's cost (24 of 30 ns on the machine the benchmark
 * runs on). Where the CPU has a cycle counter every CPU reads alike,
 * whoever drains a ring keeps in its consumer page a map from that
 * counter to CLOCK_MONOTONIC (struct mcr_clock), and a writer computes
 * its timestamp from one read of the counter, a multiply and a shift.
 *
 * The counter is x86's TSC where the CPU says it is invariant, and
 * arm64's virtual counter (CNTVCT_EL0), which the architecture makes one
 * system-wide count at a constant rate. The map's fields say "tsc"
 * (tsc_base, tsc_limit) for whichever it is; nothing else in the map
 * depends on the architecture.
 *
 * The keeper samples (counter, CLOCK_MONOTONIC) pairs once a period and
 * rewrites the map so that it:
 *
 * - is continuous with the previous map at the sample's count, so a thread
 *   never sees its timestamps go backwards across an update;
 * - runs at the rate measured between the last two samples, corrected by
 *   the previous map's error, so the map converges back onto
 *   CLOCK_MONOTONIC by the next update. The correction is at most
 *   MCR_CLOCK_SLEW_PPM of the rate, as NTP slews a clock;
 * - expires MCR_CLOCK_EXPIRE periods on. A keeper that stops (its
 *   consumer died, the kernel found the TSC unstable) leaves a map that
 *   writers stop using, and they fall back to clock_gettime().
 *
 * An error beyond MCR_CLOCK_STEP_NS means the counter is not the clock it
 * claims to be; the map then steps onto CLOCK_MONOTONIC, possibly
 * backwards, and counts it. Short of that, a writer's timestamps are
 * within the map's error of clock_gettime()'s, typically well below a
 * microsecond, and that is also the most they can go back when a writer
 * falls back to clock_gettime() for one write (a read that raced an
 * update).
 */

#ifndef __KERNEL__
/*
 * The counter as a writer reads it, mcr_cycles(), and as the keeper
 * reads it, mcr_cycles_ordered(): kept from moving across the loads and
 * stores around it, so that a sample brackets the clock_gettime() between
 * two reads. MCR_HAVE_CYCLES says there is one; the kernel has its own
 * readers (kmod/clock.c).
 *
 * arm64: Linux lets EL0 read CNTVCT_EL0, or traps the read and emulates
 * it where a counter erratum needs a workaround (slower, still right).
 * The isb keeps a read from being taken early: two reads in a row are in
 * order, as the vDSO's clock_gettime() does it.
 */
#if defined(__x86_64__)
#include <x86intrin.h>
#define MCR_HAVE_CYCLES 1

static inline __u64 mcr_cycles(void)
{
	return __rdtsc();
}

static inline __u64 mcr_cycles_ordered(void)
{
	__u64 c;

	_mm_lfence();
	c = __rdtsc();
	_mm_lfence();
	return c;
}
#elif defined(__aarch64__)
#define MCR_HAVE_CYCLES 1

static inline __u64 mcr_cycles(void)
{
	__u64 c;

	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r" (c) : : "memory");
	return c;
}

static inline __u64 mcr_cycles_ordered(void)
{
	__u64 c = mcr_cycles();

	__asm__ __volatile__("isb" : : : "memory");
	return c;
}
#endif
#endif /* !__KERNEL__ */

#define MCR_CLOCK_SLEW_PPM	1000
#define MCR_CLOCK_STEP_NS	1000000ULL
#define MCR_CLOCK_MIN_NS	10000000ULL	/* shortest interval calibrated */
#define MCR_CLOCK_EXPIRE	4
#define MCR_CLOCK_FIRST_NS	100000000ULL	/* first calibration interval */
#define MCR_CLOCK_PERIOD_NS	1000000000ULL	/* then a sample a second */
#define MCR_CLOCK_TRIES		3	/* brackets a sample, the tightest kept */

/* A keeper's private state: never read back from shared memory. */
struct mcr_clock_keeper {
	__u64 tsc_prev;		/* the last sample; 0: none yet */
	__u64 ns_prev;
	struct mcr_clock map;	/* what the rings carry, seq excepted */
	__u32 seq;		/* even: the seq the rings carry */
	__u64 steps;		/* times the map stepped onto the truth */
	__u64 resets;		/* times the keeper started over */
};

/* ns for @tsc on @map, which must hold it (tsc_base <= tsc) */
static inline __u64 mcr_clock_eval(const struct mcr_clock *map, __u64 tsc)
{
	return map->ns_base + mul_u64_u64_shr(tsc - map->tsc_base, map->mult,
					      MCR_CLOCK_SHIFT);
}

/**
 * mcr_clock_sample() - the tightest of a few (counter, CLOCK_MONOTONIC) pairs
 * @bracket: reads the counter, CLOCK_MONOTONIC and the counter again into
 *	t[0], t[1] and t[2], as close together as the caller can
 * @tsc: the middle of the tightest bracket's two counter reads ...
 * @ns: ... and the CLOCK_MONOTONIC read between them
 *
 * Context: the keeper.
 */
static inline void mcr_clock_sample(void (*bracket)(__u64 t[3]), __u64 *tsc,
				    __u64 *ns)
{
	__u64 best = ~0ULL, t[3];
	int i;

	for (i = 0; i < MCR_CLOCK_TRIES; i++) {
		bracket(t);
		if (t[2] - t[0] < best) {
			best = t[2] - t[0];
			*tsc = t[0] + (t[2] - t[0]) / 2;
			*ns = t[1];
		}
	}
}

static inline void mcr_clock_restart(struct mcr_clock_keeper *k, __u64 tsc,
				     __u64 ns)
{
	memset(&k->map, 0, sizeof(k->map));
	k->tsc_prev = tsc;
	k->ns_prev = ns;
	k->resets++;
}

/**
 * mcr_clock_update() - take a sample into the map
 * @k: the keeper
 * @tsc: the cycle counter ...
 * @ns: ... and CLOCK_MONOTONIC, read as close together as the caller can
 *
 * Return: true when the map changed and the rings need mcr_clock_store().
 */
static inline bool mcr_clock_update(struct mcr_clock_keeper *k, __u64 tsc,
				    __u64 ns)
{
	__u64 dt = tsc - k->tsc_prev, dn = ns - k->ns_prev;
	__u64 rate, err, corr, pred, span;
	bool had_map = k->map.tsc_limit;

	/*
	 * First sample; a counter or a clock that went backwards; or a
	 * counter slower than 1/64 GHz (15.6 MHz; arm64's typically runs at
	 * 19.2 MHz to 1 GHz, x86's TSC at the CPU's clock), which also keeps the division
	 * below from overflowing: start over, without a map until the next
	 * sample.
	 */
	if (!k->tsc_prev || (__s64)dt <= 0 || (__s64)dn <= 0 ||
	    dt < dn >> 6) {
		mcr_clock_restart(k, tsc, ns);
		return had_map;
	}
	if (dn < MCR_CLOCK_MIN_NS)
		return false;
	rate = mul_u64_u64_div_u64(dn, 1ULL << MCR_CLOCK_SHIFT, dt);

	pred = had_map && tsc < k->map.tsc_limit ?
		mcr_clock_eval(&k->map, tsc) : ns;
	err = pred > ns ? pred - ns : ns - pred;
	if (err > MCR_CLOCK_STEP_NS) {
		k->steps++;
		pred = ns;
		err = 0;
	}
	/* Bring the map back onto the truth over the next interval. */
	corr = err ? mul_u64_u64_div_u64(err, 1ULL << MCR_CLOCK_SHIFT, dt) : 0;
	if (corr > rate / (1000000 / MCR_CLOCK_SLEW_PPM))
		corr = rate / (1000000 / MCR_CLOCK_SLEW_PPM);

	k->map.tsc_base = tsc;
	k->map.ns_base = pred;
	k->map.mult = pred > ns ? rate - corr : rate + corr;
	/* Expire MCR_CLOCK_EXPIRE periods on, or intervals if longer. */
	span = dn < MCR_CLOCK_PERIOD_NS ?
		mul_u64_u64_div_u64(MCR_CLOCK_PERIOD_NS, dt, dn) : dt;
	k->map.tsc_limit = tsc + MCR_CLOCK_EXPIRE * span;
	k->tsc_prev = tsc;
	k->ns_prev = ns;
	return true;
}

/* Write the keeper's map into a ring's consumer page. */
static inline void mcr_clock_store(struct mcr_clock *c,
				   const struct mcr_clock_keeper *k)
{
	WRITE_ONCE(c->seq, k->seq + 1);
	smp_wmb();							/* [M8] */
	WRITE_ONCE(c->tsc_base, k->map.tsc_base);
	WRITE_ONCE(c->ns_base, k->map.ns_base);
	WRITE_ONCE(c->mult, k->map.mult);
	WRITE_ONCE(c->tsc_limit, k->map.tsc_limit);
	smp_wmb();							/* [M8] */
	WRITE_ONCE(c->seq, k->seq + 2);
}

/* After storing into every ring: the next store's seq. */
static inline void mcr_clock_stored(struct mcr_clock_keeper *k)
{
	k->seq += 2;
}

/**
 * mcr_clock_publish() - store the keeper's map into every ring's page
 * @k: the keeper
 * @clock_of: the map in the consumer page of ring @i of @rings; NULL for
 *	a ring that is not there
 * @rings: the keeper's rings, as @clock_of knows them
 * @n: how many
 *
 * Context: the keeper, the one writer of the maps.
 */
static inline void mcr_clock_publish(struct mcr_clock_keeper *k,
				     struct mcr_clock *(*clock_of)(void *rings,
								   unsigned int i),
				     void *rings, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct mcr_clock *c = clock_of(rings, i);

		if (c)
			mcr_clock_store(c, k);
	}
	mcr_clock_stored(k);
}

/**
 * mcr_clock_read() - CLOCK_MONOTONIC at counter value @tsc from a ring's map
 * @c: the map, in a consumer page
 * @tsc: read by the caller just before
 * @ns: the result
 *
 * Return: false when the map does not cover @tsc: none published, expired,
 * being rewritten, or @tsc read before the map's base. Use clock_gettime().
 */
static inline bool mcr_clock_read(const struct mcr_clock *c, __u64 tsc,
				  __u64 *ns)
{
	struct mcr_clock m;
	__u32 seq = READ_ONCE(c->seq);

	smp_rmb();							/* [M9] */
	m.tsc_base = READ_ONCE(c->tsc_base);
	m.ns_base = READ_ONCE(c->ns_base);
	m.mult = READ_ONCE(c->mult);
	m.tsc_limit = READ_ONCE(c->tsc_limit);
	smp_rmb();							/* [M9] */
	/* One compare for tsc_base <= tsc < tsc_limit; an empty map fails. */
	if ((seq & 1) || READ_ONCE(c->seq) != seq ||
	    tsc - m.tsc_base >= m.tsc_limit - m.tsc_base)
		return false;
	*ns = mcr_clock_eval(&m, tsc);
	return true;
}

#endif /* MCR_CLOCK_H */
