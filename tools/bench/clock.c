// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's time: the TSC's rate against CLOCK_MONOTONIC, the TSC map
 * every ring's records are stamped from (the peers through an MPSC writer
 * of a set of their own, whose clock the consumers keep), and what each
 * thread spent on its CPU.
 */
#include <errno.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double tsc_ghz;
uint64_t tsc_origin;

struct mcr_set *clock_set;
struct mcr_writer peer_clock;

/* A set nobody keeps the clock of: its writers call clock_gettime(). */
static struct mcr_set *no_clock_set;

/*
 * Keep @set's clock until ring @ring's map covers now: the first map
 * comes MCR_CLOCK_FIRST_NS after the first sample, as for any consumer.
 */
int clock_calibrate(struct mcr_set *set, unsigned int ring)
{
	const struct mcr_clock *map = &mcr_set_ring(set, ring)->cons->clock;
	__u64 ns, end = mcr_now_ns() + 2000000000ULL;

	for (;;) {
		int ret = mcr_set_keep_clock(set);

		if (ret)
			return ret;
		if (mcr_clock_read(map, __rdtsc(), &ns))
			return 0;
		if (mcr_now_ns() > end)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

/* The log calls' lc_cfg.calibrate: their set's SPSC ring of "cpu" 0. */
int clock_calibrate_spsc0(struct mcr_set *set)
{
	return clock_calibrate(set, MCR_RING_SPSC(0));
}

/* The peers' clock: a set of one MPSC ring, its map kept from now on. */
int clock_start(void)
{
	int ret = mcr_shm_create(1, 8, 2 * MCR_TEXT_MAX, &clock_set);

	if (!ret)
		ret = mcr_shm_create(1, 8, 2 * MCR_TEXT_MAX, &no_clock_set);
	if (!ret)
		ret = mcr_writer_mpsc(clock_set, &peer_clock);
	if (!ret)
		ret = clock_calibrate(clock_set, MCR_RING_MPSC);
	return ret;
}

/*
 * Stamp the peers' records with clock_gettime() (@gettime), as mcrring's
 * writers do where nobody keeps a map, or from the map again.
 */
int peer_clock_gettime(bool gettime)
{
	return mcr_writer_mpsc(gettime ? no_clock_set : clock_set,
			       &peer_clock);
}

uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

long thread_nivcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nivcsw;
}

/* TSC ticks per ns against CLOCK_MONOTONIC, the mean of a few windows. */
void calibrate_tsc(unsigned int ms)
{
	double sum = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t m0 = mcr_now_ns(), c0 = __rdtsc(), m1, c1;

		do {
			m1 = mcr_now_ns();
		} while (m1 - m0 < ms * 1000000ULL / 3);
		c1 = __rdtsc();
		sum += (double)(c1 - c0) / (double)(m1 - m0);
	}
	tsc_ghz = sum / 3;
	tsc_origin = __rdtsc();
}
