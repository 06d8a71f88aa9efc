/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock tests of both tiers read the writers' map with CYCLES(). The
 * map is from the x86 TSC (MCR_HAVE_TSC, lib/mcrring.h); elsewhere
 * (arm64) writers always use clock_gettime(), and what reads the map
 * skips. Include after mcrring.h and kselftest_harness.h.
 */
#ifndef MCR_CYCLES_H
#define MCR_CYCLES_H

#ifdef MCR_HAVE_TSC
#define CYCLES()		__rdtsc()
#define REQUIRE_CYCLE_CLOCK()	do { } while (0)
#else
#define CYCLES()		0ULL
#define REQUIRE_CYCLE_CLOCK()						\
	SKIP(return, "no writers' cycle-counter clock on this CPU "	\
	     "(x86 TSC only; arm64 has none yet, issue 12)")
#endif

#endif /* MCR_CYCLES_H */
