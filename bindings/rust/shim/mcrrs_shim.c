// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The Rust crate's way into libmcrring's inline write path.
 *
 * mcrring.h keeps the write path in static inline functions, which Rust
 * cannot call; this file gives each one an out-of-line symbol, so that
 * the crate runs the C protocol and never a copy of it. build.rs compiles
 * it against the same headers libmcrring was built from.
 *
 * Each write function is flattened: the inline path is compiled into it
 * whole, as into a C caller's loop, so that a write from Rust is one
 * call more than from C, not four (gcc would otherwise keep
 * __mcr_commit() and the reserve out of line, shared by the functions
 * here).
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */

/* The layouts src/ffi.rs mirrors; a change here must change it there. */
static_assert(sizeof(struct mcr_resv) == 40, "mcr_resv");
static_assert(offsetof(struct mcr_resv, text) == 0, "mcr_resv.text");
static_assert(offsetof(struct mcr_resv, cap) == 32, "mcr_resv.cap");
static_assert(sizeof(struct mcr_record) == 40, "mcr_record");
static_assert(offsetof(struct mcr_record, pri) == 32, "mcr_record.pri");
static_assert(sizeof(struct mcr_arecord) == 56, "mcr_arecord");
static_assert(offsetof(struct mcr_arecord, len) == 48, "mcr_arecord.len");
static_assert(sizeof(struct mcr_ring_stats) == 48, "mcr_ring_stats");
static_assert(MCR_TEXT_MAX == 4096 && MCR_FAC_MAX == 23, "limits");
static_assert(MCR_FLAG_FIELDS == 1, "flags");

/**
 * mcrrs_writer_new() - a writer handle on the heap
 * @set: the set
 * @cpu: SPSC ring of this CPU, or -1 for the MPSC ring
 * @out: the handle, for mcrrs_writer_free()
 *
 * Return: 0, -ENOMEM, or what mcr_writer_spsc()/mcr_writer_mpsc() failed
 * with.
 */
int mcrrs_writer_new(struct mcr_set *set, int cpu, struct mcr_writer **out)
{
	struct mcr_writer *w = aligned_alloc(alignof(struct mcr_writer),
					     sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	ret = cpu < 0 ? mcr_writer_mpsc(set, w) :
			mcr_writer_spsc(set, (unsigned int)cpu, w);
	if (ret) {
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

void mcrrs_writer_free(struct mcr_writer *w)
{
	free(w);
}

/* The ring's runtime levels, mute[MCR_FAC_MAX + 1], read inline by Rust. */
const __u8 *mcrrs_mute(const struct mcr_writer *w)
{
	return w->ring.cons->mute;
}

/* Records this handle lost to a full ring. */
__u64 mcrrs_dropped(const struct mcr_writer *w)
{
	return __atomic_load_n(&w->dropped, __ATOMIC_RELAXED);
}

__attribute__((flatten))
int mcrrs_reserve(struct mcr_writer *w, size_t len, struct mcr_resv *resv)
{
	return mcr_reserve(w, len, resv);
}

/* mcr_commit() after the caller's own level check (Rust's, inline). */
__attribute__((flatten))
int mcrrs_commit(struct mcr_writer *w, struct mcr_resv *resv, size_t len,
		 unsigned int pri, unsigned int flags)
{
	return __mcr_commit(w, resv, len, pri, flags, false);
}

__attribute__((flatten))
int mcrrs_grow(struct mcr_writer *w, struct mcr_resv *resv, size_t len)
{
	return mcr_grow(w, resv, len);
}

__attribute__((flatten))
void mcrrs_discard(struct mcr_writer *w, struct mcr_resv *resv)
{
	mcr_discard(w, resv);
}

/*
 * mcr_log() after the caller's level check (__mcr_log()), one call per
 * record; for a handle whose kind the caller knows (the Rust types do),
 * the compiler drops the other kind's branches from the inline path.
 */
__attribute__((flatten))
int mcrrs_log_spsc(struct mcr_writer *w, unsigned int pri, const char *msg,
		   size_t len)
{
	if (w->kind != MCR_WRITER_SPSC)
		__builtin_unreachable();
	return __mcr_log(w, pri, msg, len);
}

__attribute__((flatten))
int mcrrs_log_mpsc(struct mcr_writer *w, unsigned int pri, const char *msg,
		   size_t len)
{
	if (w->kind != MCR_WRITER_MPSC)
		__builtin_unreachable();
	return __mcr_log(w, pri, msg, len);
}

__attribute__((flatten))
int mcrrs_log(struct mcr_writer *w, unsigned int pri, const char *msg,
	      size_t len)
{
	return __mcr_log(w, pri, msg, len);
}

/*
 * For a shared-memory set, whose consumer is the program itself: set the
 * runtime levels of @ring (the module keeps them for the device's).
 */
int mcrrs_shm_set_mute(struct mcr_set *set, unsigned int ring,
		       unsigned int fac, __u8 mask)
{
	const struct mcr_ring *r = mcr_set_ring(set, ring);

	if (mcr_set_fd(set) >= 0)
		return -EOPNOTSUPP;
	if (!r || fac > MCR_FAC_MAX)
		return -EINVAL;
	WRITE_ONCE(r->cons->mute[fac], mask);
	return 0;
}
