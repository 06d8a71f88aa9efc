/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The few kernel primitives the ring protocol uses, for userspace, as C11
 * atomics. In the kernel proto/mcrring/ring.h uses the real ones instead.
 *
 * READ_ONCE/WRITE_ONCE are relaxed atomics here, not volatile accesses,
 * so that ThreadSanitizer sees every shared access the protocol makes.
 *
 * The functions are mcr_-prefixed; the kernel's names are macros, made
 * again at each inclusion when they are not there: <mcrring.h> uses them
 * and takes them back at its end (an application sees none of them,
 * and keeps any of its own), and code of this tree that reads the rings
 * itself includes this header for them after <mcrring.h>. Installed
 * beside <mcrring.h> because it needs it; private all the same:
 * applications include <mcrring.h>, never this header.
 */
#ifndef MCR_COMPAT_H
#define MCR_COMPAT_H

#ifdef __KERNEL__
#error "kernel code uses the kernel's own primitives"
#endif

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/types.h>

/* linux/math64.h, for the clock map (proto/mcrring/clock.h) */
static inline __u64 mcr_mul_u64_u64_shr(__u64 a, __u64 mul, unsigned int shift)
{
	return (__u64)(__extension__((unsigned __int128)a * mul) >> shift);
}

static inline __u64 mcr_mul_u64_u64_div_u64(__u64 a, __u64 mul, __u64 div)
{
	return (__u64)(__extension__((unsigned __int128)a * mul / div));
}

/* Returns the value found at *p; the swap happened iff it equals old. */
static inline __u64 mcr_cmpxchg64_relaxed(__u64 *p, __u64 old, __u64 val)
{
	__atomic_compare_exchange_n(p, &old, val, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
	return old;
}

static inline void mcr_atomic_inc64(__u64 *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

#endif /* MCR_COMPAT_H */

/* Each name on its own: a file may already have some of them. */
#ifndef READ_ONCE
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#endif
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#endif
#ifndef smp_load_acquire
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#endif
#ifndef smp_store_release
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#endif
/*
 * ThreadSanitizer neither supports nor models fences. Its only use here
 * is the consumer's re-check of state_var after copying text [M3], which
 * catches rewrites of a committed record by a misbehaving writer; honest
 * writers, all that the TSan tests run, never do that.
 */
#if defined(__SANITIZE_THREAD__)
#define MCR_FENCE(order)	__atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define MCR_FENCE(order)	__atomic_thread_fence(order)
#endif
#ifndef smp_rmb
#define smp_rmb()		MCR_FENCE(__ATOMIC_ACQUIRE)
#endif
#ifndef smp_wmb
#define smp_wmb()		MCR_FENCE(__ATOMIC_RELEASE)
#endif
/* linux/math64.h, for the clock map (proto/mcrring/clock.h) */
#ifndef mul_u64_u64_shr
#define mul_u64_u64_shr		mcr_mul_u64_u64_shr
#endif
#ifndef mul_u64_u64_div_u64
#define mul_u64_u64_div_u64	mcr_mul_u64_u64_div_u64
#endif
#ifndef likely
#define likely(x)		__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)		__builtin_expect(!!(x), 0)
#endif

#if !defined(static_assert) && !defined(__cplusplus)
#define static_assert		_Static_assert
#endif
