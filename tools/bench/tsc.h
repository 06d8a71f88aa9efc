/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrbench's timer, shared by every part of the benchmark: a timed call
 * is bracketed by `lfence; rdtsc; lfence` ... `rdtscp; lfence`, so that it
 * stays inside the bracket. x86-64 only.
 */
#ifndef MCRBENCH_TSC_H
#define MCRBENCH_TSC_H

#include <stdint.h>
#include <x86intrin.h>

#define ALWAYS_INLINE	__attribute__((always_inline)) inline

static ALWAYS_INLINE uint64_t t_start(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

static ALWAYS_INLINE uint64_t t_end(void)
{
	unsigned int aux;
	uint64_t t = __rdtscp(&aux);

	_mm_lfence();
	return t;
}

#endif /* MCRBENCH_TSC_H */
