/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock tests of both tiers read the writers' map with CYCLES(): the
 * counter writers read (mcr_cycles(), proto/mcrring/clock.h: x86-64's TSC,
 * arm64's CNTVCT_EL0). On any other architecture writers always use
 * clock_gettime(), and what reads the map skips. Include after mcrring.h
 * and kselftest_harness.h.
 */
#ifndef MCR_CYCLES_H
#define MCR_CYCLES_H

#ifdef MCR_HAVE_CYCLES
#define CYCLES()		mcr_cycles()
#define REQUIRE_CYCLE_CLOCK()	do { } while (0)
#else
#define CYCLES()		0ULL
#define REQUIRE_CYCLE_CLOCK()						\
	SKIP(return, "no writers' cycle-counter clock on this "		\
	     "architecture (x86-64 and arm64 only)")
#endif

#endif /* MCR_CYCLES_H */
