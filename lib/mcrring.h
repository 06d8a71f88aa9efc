/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libmcrring: log from hot paths into mcrring rings.
 *
 * Writers: open a ring set, make an SPSC writer (one ring, one thread) or
 * an MPSC writer (any thread), then mcr_log(), mcr_logf(), or
 * mcr_reserve() + mcr_commit() for zero-copy. The write path is inline,
 * lock-free, allocation-free and makes no system call; the only call into
 * the kernel is one wake-up when the ring is half full and the drainer
 * sleeps.
 *
 * Readers: mcr_reader drains the rings of a set itself (host shared
 * mappings and user drain mode) and merges them by timestamp.
 *
 * All functions return 0 or a positive count on success and -errno on
 * failure; none sets errno.
 */
#ifndef MCRRING_H
#define MCRRING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/*
 * The protocol headers are kernel code and use the kernel's names
 * (READ_ONCE(), smp_*(), likely(), ...), which mcrring/compat.h makes in
 * userspace. They are this header's alone: an application's own macros
 * of those names are set aside here, and given back at the end of the
 * header, where ours go.
 */
#pragma push_macro("READ_ONCE")
#pragma push_macro("WRITE_ONCE")
#pragma push_macro("smp_load_acquire")
#pragma push_macro("smp_store_release")
#pragma push_macro("smp_rmb")
#pragma push_macro("smp_wmb")
#pragma push_macro("mul_u64_u64_shr")
#pragma push_macro("mul_u64_u64_div_u64")
#pragma push_macro("likely")
#pragma push_macro("unlikely")
#pragma push_macro("static_assert")
#undef READ_ONCE
#undef WRITE_ONCE
#undef smp_load_acquire
#undef smp_store_release
#undef smp_rmb
#undef smp_wmb
#undef mul_u64_u64_shr
#undef mul_u64_u64_div_u64
#undef likely
#undef unlikely
#undef static_assert

#include <mcrring/compat.h>
#include <mcrring/clock.h>
#include <mcrring/ring.h>

#if defined(__GLIBC__) && __has_include(<sys/rseq.h>) && \
	__has_builtin(__builtin_thread_pointer)
#include <sys/rseq.h>
#define MCR_HAVE_RSEQ 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* libmcrring's version; the Makefile and the tools read it from here. */
#define MCR_VERSION	"2.0.0"

/* An open ring set: /dev/mcrlog, or a shared mapping with its layout. */
struct mcr_set;

/**
 * mcr_open() - open /dev/mcrlog (or @path) as a ring set
 * @path: the device, NULL for /dev/mcrlog
 * @out: the set
 *
 * Rings are mapped when a writer is made for them.
 *
 * Return: 0, -ENOENT when the module is not loaded, -EACCES when the
 * device's mode or group keep the caller out, -ENODEV when @path is not
 * an mcrring device, -EPROTO on an ABI mismatch, -ENOMEM.
 */
int mcr_open(const char *path, struct mcr_set **out);

/**
 * mcr_shm_create() - a ring set in an anonymous shared mapping
 * @nr_rings: rings; ring 0 is MPSC, 1 + n the SPSC ring of "cpu" n
 * @ndesc: descriptors per ring (power of two)
 * @data_size: text bytes per ring (power of two, >= 2 * MCR_TEXT_MAX)
 * @out: the set
 *
 * The same layout the module maps, in memory that stays shared across
 * fork(): for tests, benchmarks and programs that want mcrring's rings
 * without the module.
 *
 * Return: 0, -EINVAL for a bad geometry, -ENOMEM, or what memfd_create,
 * ftruncate or mmap failed with.
 */
int mcr_shm_create(unsigned int nr_rings, __u32 ndesc, __u32 data_size,
		   struct mcr_set **out);

/* mcr_set_close() - unmap and free a set; writers and readers go first. */
void mcr_set_close(struct mcr_set *set);

/* mcr_set_fd() - the device's file descriptor, -1 for a shm set. */
int mcr_set_fd(const struct mcr_set *set);

/*
 * mcr_ring_counters() - the module's accounting of @ring
 * (MCR_IOC_COUNTERS, into struct mcr_counters): 0, -EINVAL for no such
 * ring, -EOPNOTSUPP for a shared-memory set.
 */
int mcr_ring_counters(const struct mcr_set *set, unsigned int ring,
		      struct mcr_counters *c);

/* mcr_set_nr_rings() - number of rings in @set. */
unsigned int mcr_set_nr_rings(const struct mcr_set *set);

/**
 * mcr_set_keep_clock() - keep the writers' clock of a shm set's rings
 * @set: a set from mcr_shm_create()
 *
 * For a consumer that drains a shm set with mcr_consume() itself: call it
 * from the drain loop, as often as convenient (it samples the clocks at
 * most once a second and costs a clock_gettime() otherwise). While nobody
 * calls it, writers use clock_gettime(). mcr_read() calls it already; on
 * the device the module, or in user drain mode mcr_read(), keeps the clock.
 *
 * Return: 0, -EOPNOTSUPP for a device set or a CPU without a cycle
 * counter (MCR_HAVE_CYCLES: x86-64's TSC, arm64's CNTVCT_EL0).
 */
int mcr_set_keep_clock(struct mcr_set *set);

/* mcr_set_ring() - ring @idx of @set, or NULL when not (yet) mapped. */
const struct mcr_ring *mcr_set_ring(const struct mcr_set *set,
				    unsigned int idx);

/* --- writers ----------------------------------------------------------- */

enum mcr_writer_kind { MCR_WRITER_SPSC = 1, MCR_WRITER_MPSC = 2 };

/*
 * A writer handle. Public so the fast path can be inline; touch it only
 * through the functions below.
 */
struct mcr_writer {
	union {
		struct mcr_spsc spsc;	/* MCR_WRITER_SPSC */
		struct mcr_ring ring;	/* MCR_WRITER_MPSC */
	};
	int kind;
	int wake_fd;		/* where to ask for a drain; -1: nobody to wake */
	pid_t owner_tid;	/* SPSC: the only thread allowed to write */
	__u32 ring_id;
	__u64 dropped;		/* records this handle lost to a full ring */
	__u64 wakeups;		/* wake-ups this handle sent */
	__u64 woke_at_tail;	/* 1 + tail at the last wake-up */
	const struct mcr_clock *clock;	/* the ring's clock map */
	__u32 pid;		/* SPSC: the owner's process */
};

/**
 * mcr_writer_spsc() - bind an SPSC writer to ring 1 + @cpu and this thread
 * @set: the set
 * @cpu: whose ring
 * @w: the handle to initialise
 *
 * On the device the ring is claimed for the set's open file: a second
 * claim fails with -EBUSY until the first is released.
 *
 * Return: 0, -EINVAL when the ring does not exist, -EBUSY when claimed.
 */
int mcr_writer_spsc(struct mcr_set *set, unsigned int cpu,
		    struct mcr_writer *w);

/**
 * mcr_writer_mpsc() - make a writer for the MPSC ring, usable by any thread
 * @set: the set
 * @w: the handle to initialise
 *
 * Return: 0; on the device, what mapping the ring failed with (-ENOMEM,
 * -EACCES, ...), -EPROTO or -EINVAL for a ring that is not what
 * MCR_IOC_INFO described.
 */
int mcr_writer_mpsc(struct mcr_set *set, struct mcr_writer *w);

/* The calling thread's id, cached per thread (fork-safe). */
pid_t mcr_gettid(void);
pid_t mcr_getpid(void);

/*
 * mcr_gettid()'s cache (0: not yet known), read inline by the SPSC owner
 * check. initial-exec: libmcrring is linked, not dlopen()ed late.
 */
extern __thread pid_t __mcr_tls_tid __attribute__((tls_model("initial-exec")));

/* mcr_gettid(), inline once the thread's id is cached */
static inline pid_t mcr_gettid_fast(void)
{
	pid_t tid = __mcr_tls_tid;

	return __builtin_expect(tid != 0, 1) ? tid : mcr_gettid();
}

/* Wake the drainer; the write path calls it at most once per half ring. */
void mcr_wake(struct mcr_writer *w);

static inline __u64 mcr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* The CPU the caller runs on: sched_getcpu(), or 0 when it fails. */
unsigned int mcr_cpu(void);

/* The same, from glibc's rseq area when the kernel keeps one for us. */
static inline unsigned int mcr_cpu_fast(void)
{
#ifdef MCR_HAVE_RSEQ
	if (__builtin_expect(__rseq_size != 0, 1)) {
		const struct rseq *rs = (const struct rseq *)
			((char *)__builtin_thread_pointer() + __rseq_offset);
		__s32 cpu = (__s32)READ_ONCE(rs->cpu_id);

		if (__builtin_expect(cpu >= 0, 1))
			return (unsigned int)cpu;
	}
#endif
	return mcr_cpu();
}

/*
 * A record's timestamp: from the cycle-counter map its ring's drainer
 * keeps (proto/mcrring/clock.h), or clock_gettime() where there is none.
 */
static inline __u64 mcr_writer_now(const struct mcr_writer *w)
{
#ifdef MCR_HAVE_CYCLES
	__u64 ns;

	/* No counter read where there is no map at all: half a write. */
	if (__builtin_expect(READ_ONCE(w->clock->tsc_limit) != 0, 1) &&
	    mcr_clock_read(w->clock, mcr_cycles(), &ns))
		return ns;
#else
	(void)w;
#endif
	return mcr_now_ns();
}

/**
 * mcr_enabled() - whether records of @pri are wanted now
 * @w: the writer
 * @pri: MCR_PRI(facility, severity)
 *
 * The runtime levels (mcrring(7), "Runtime levels") are one byte per
 * facility in the ring's read-only page: a check reads it and touches
 * nothing writable. mcr_log(), mcr_logf(), mcr_log_fields() and
 * mcr_commit() make it themselves; a caller that formats its own text
 * makes it first to skip the work.
 *
 * Return: true unless @pri's severity is muted for its facility.
 */
static inline bool mcr_enabled(const struct mcr_writer *w, unsigned int pri)
{
	/* An SPSC writer's ring is the first member of its state too. */
	const struct mcr_cons *cons = w->ring.cons;
	unsigned int fac = MCR_PRI_FAC(pri);

	return fac > MCR_FAC_MAX ||
	       !((READ_ONCE(cons->mute[fac]) >> MCR_PRI_SEV(pri)) & 1);
}

/**
 * mcr_reserve() - reserve room for @len bytes of text
 * @w: the writer
 * @len: bytes, at most MCR_TEXT_MAX
 * @resv: the reservation; write the text to resv->text
 *
 * Context: for an SPSC writer, only the thread it is bound to.
 * Return: 0, -EMSGSIZE (@len too long), -ENOBUFS (ring full, record
 * dropped and counted), -EPERM (SPSC handle used from another thread).
 */
static inline int mcr_reserve(struct mcr_writer *w, size_t len,
			      struct mcr_resv *resv)
{
	int ret;

	resv->hint = 0;
	if (len > MCR_TEXT_MAX)
		return -EMSGSIZE;
	if (w->kind == MCR_WRITER_SPSC) {
		if (__builtin_expect(mcr_gettid_fast() != w->owner_tid, 0))
			return -EPERM;
		ret = mcr_spsc_reserve(&w->spsc, (__u32)len, resv);
	} else {
		ret = mcr_mpsc_reserve(&w->ring, (__u32)len, resv);
	}
	/* Atomic: threads may share an MPSC handle. Off the fast path. */
	if (__builtin_expect(ret == -ENOBUFS, 0))
		__atomic_fetch_add(&w->dropped, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(resv->hint & MCR_RESV_WAKE, 0))
		mcr_wake(w);
	return ret;
}

/* mcr_commit(), the level check left to callers that made it already. */
static inline int __mcr_commit(struct mcr_writer *w, struct mcr_resv *resv,
			       size_t len, unsigned int pri,
			       unsigned int flags, bool check_level)
{
	__u64 ts = mcr_writer_now(w);
	unsigned int cpu = mcr_cpu_fast();
	__u32 pid, tid;
	int bad;

	if (w->kind == MCR_WRITER_SPSC) {	/* bound to its thread */
		pid = w->pid;
		tid = (__u32)w->owner_tid;
	} else {
		pid = (__u32)mcr_getpid();
		tid = (__u32)mcr_gettid_fast();
	}

	bad = len > resv->cap || MCR_PRI_FAC(pri) > MCR_FAC_MAX ||
	      (flags & ~MCR_FLAG_ALL) ? -EINVAL :
	      check_level && !mcr_enabled(w, pri) ? -ENOMSG : 0;
	if (bad) {
		if (w->kind == MCR_WRITER_SPSC)
			mcr_spsc_discard(&w->spsc, resv);
		else
			mcr_mpsc_discard(&w->ring, resv);
		return bad;
	}
	if (w->kind == MCR_WRITER_SPSC)
		mcr_spsc_commit(&w->spsc, resv, (__u32)len, ts, pid, tid,
				cpu, (__u8)pri, (__u8)flags);
	else
		mcr_mpsc_commit(&w->ring, resv, (__u32)len, ts, pid, tid,
				cpu, (__u8)pri, (__u8)flags);
	return 0;
}

/**
 * mcr_commit() - publish a reservation with @len bytes of text
 * @w: the writer
 * @resv: from mcr_reserve()
 * @len: bytes written at resv->text, at most the reserved length
 * @pri: MCR_PRI(facility, severity)
 * @flags: MCR_FLAG_*
 *
 * Return: 0, -EINVAL (@len larger than reserved, bad @pri or @flags; the
 * reservation is discarded), -ENOMSG (@pri is muted at run time: the
 * reservation is discarded).
 */
static inline int mcr_commit(struct mcr_writer *w, struct mcr_resv *resv,
			     size_t len, unsigned int pri, unsigned int flags)
{
	return __mcr_commit(w, resv, len, pri, flags, true);
}

/**
 * mcr_grow() - make the newest reservation hold @len bytes
 * @w: the writer
 * @resv: from mcr_reserve(); the text written so far stays
 * @len: bytes, at most MCR_TEXT_MAX
 *
 * Return: 0, -EMSGSIZE, -ENOBUFS (no room after it, or, MPSC, another
 * writer reserved after it; @resv is unchanged and still valid).
 */
static inline int mcr_grow(struct mcr_writer *w, struct mcr_resv *resv,
			   size_t len)
{
	int ret;

	if (len > MCR_TEXT_MAX)
		return -EMSGSIZE;
	resv->hint = 0;
	if (w->kind == MCR_WRITER_SPSC)
		ret = mcr_spsc_grow(&w->spsc, resv, (__u32)len);
	else
		ret = mcr_mpsc_grow(&w->ring, resv, (__u32)len);
	if (__builtin_expect(resv->hint & MCR_RESV_WAKE, 0))
		mcr_wake(w);
	return ret;
}

/* mcr_discard() - give a reservation back unpublished. */
static inline void mcr_discard(struct mcr_writer *w, struct mcr_resv *resv)
{
	if (w->kind == MCR_WRITER_SPSC)
		mcr_spsc_discard(&w->spsc, resv);
	else
		mcr_mpsc_discard(&w->ring, resv);
}

/**
 * mcr_log() - log a ready message
 * @w: the writer
 * @pri: MCR_PRI(facility, severity)
 * @msg: the text, need not be NUL-terminated
 * @len: its length, at most MCR_TEXT_MAX
 *
 * Return: 0, -ENOMSG when @pri is muted at run time (nothing is written,
 * no counter moves), or an mcr_reserve()/mcr_commit() error.
 */
static inline int __mcr_log(struct mcr_writer *w, unsigned int pri,
			    const char *msg, size_t len)
{
	struct mcr_resv resv;
	int ret;

	ret = mcr_reserve(w, len, &resv);
	if (ret)
		return ret;
	memcpy(resv.text, msg, len);
	return __mcr_commit(w, &resv, len, pri, 0, false);
}

/*
 * The level check is always inline, wherever the compiler puts the rest:
 * a muted call costs a byte's load and a test, not a call.
 */
static inline __attribute__((always_inline)) int
mcr_log(struct mcr_writer *w, unsigned int pri, const char *msg, size_t len)
{
	if (__builtin_expect(!mcr_enabled(w, pri), 0))
		return -ENOMSG;
	return __mcr_log(w, pri, msg, len);
}

/**
 * mcr_logf() - format a message straight into the ring
 * @w: the writer
 * @pri: MCR_PRI(facility, severity)
 * @fmt: printf(3) format
 *
 * Formats into the reservation itself, no intermediate buffer. Output
 * longer than MCR_TEXT_MAX is refused, never truncated.
 *
 * Return: the message length, or -ENOMSG (muted at run time, nothing
 * written), -EMSGSIZE, -ENOBUFS, -EPERM, -EINVAL.
 */
int mcr_logf(struct mcr_writer *w, unsigned int pri, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mcr_vlogf(struct mcr_writer *w, unsigned int pri, const char *fmt,
	      va_list ap) __attribute__((format(printf, 3, 0)));

/**
 * mcr_log_fields() - log a message with KEY=value fields
 * @w: the writer
 * @pri: MCR_PRI(facility, severity)
 * @msg: NUL-terminated message
 * @fields: NUL-terminated "KEY=value" strings; KEY is [A-Za-z0-9_]+
 * @nfields: how many
 *
 * The record's text is msg "\0" field "\0" field ..., flagged
 * MCR_FLAG_FIELDS, as /dev/kmsg dictionaries.
 *
 * Return: 0, -EINVAL for a malformed field, -ENOMSG when @pri is muted at
 * run time, or an mcr_reserve() error.
 */
int mcr_log_fields(struct mcr_writer *w, unsigned int pri, const char *msg,
		   const char *const *fields, unsigned int nfields);

/* --- readers ----------------------------------------------------------- */

/* A reader that drains every ring of a set and merges them by time. */
struct mcr_reader;

/* Per-ring accounting: reserved = drained + abandoned + invalid + discarded. */
struct mcr_ring_stats {
	__u64 drained;
	__u64 abandoned;
	__u64 invalid;
	__u64 discarded;
	__u64 reclaimed;	/* abandoned records whose pin timed out */
	__u64 dropped_full;	/* the writers' own count */
};

#define MCR_ABANDON_NS_DEFAULT	(100ULL * 1000 * 1000)		/* 100 ms */
#define MCR_RECLAIM_NS_DEFAULT	(10ULL * 1000 * 1000 * 1000)	/* 10 s */

/**
 * mcr_reader_open() - become the consumer of every ring of @set
 * @set: the set
 * @out: the reader
 *
 * MPSC in-flight records are abandoned after MCR_ABANDON_NS_DEFAULT; SPSC
 * ones only after mcr_reader_writer_gone().
 *
 * On the device this needs the module's user drain mode (user_drain=1):
 * every ring is then mapped whole and writable, and this reader is the
 * only consumer.
 *
 * Return: 0, -ENOMEM, -EOPNOTSUPP for the device without user drain mode
 * (the module drains its rings itself; read /dev/mcrlog).
 */
int mcr_reader_open(struct mcr_set *set, struct mcr_reader **out);
void mcr_reader_close(struct mcr_reader *rd);

/* mcr_reader_set_bounds() - abandon and reclaim bounds, in ns. */
void mcr_reader_set_bounds(struct mcr_reader *rd, __u64 abandon_ns,
			   __u64 reclaim_ns);

/**
 * mcr_reader_writer_gone() - the writer of SPSC ring @ring is dead
 * @rd: the reader
 * @ring: ring index
 *
 * Its in-flight record, if any, is abandoned at once.
 */
void mcr_reader_writer_gone(struct mcr_reader *rd, unsigned int ring);

/**
 * mcr_read() - the oldest record available across the rings
 * @rd: the reader
 * @rec: its metadata
 * @text: MCR_TEXT_MAX bytes for its text
 *
 * Per ring, records come in sequence order; across rings, the record with
 * the smallest timestamp among those available goes first.
 *
 * Return: 1 when a record was read, 0 when none is available.
 */
int mcr_read(struct mcr_reader *rd, struct mcr_record *rec, char *text);

/* mcr_reader_stats() - accounting of ring @ring; -EINVAL if none. */
int mcr_reader_stats(const struct mcr_reader *rd, unsigned int ring,
		     struct mcr_ring_stats *st);

/* --- the archive, read back ------------------------------------------ */

/* The kernel's archive as the text of /dev/mcrlog, parsed back to records. */
struct mcr_archive;

/* One archived record: see "Reading" in README.md for which are claims. */
struct mcr_arecord {
	__u64 seq;		/* archive sequence */
	__u64 ts_ns;		/* writer's claim */
	__u64 lost;		/* records lost to overwriting just before */
	__u32 ring;		/* 0: MPSC, 1 + n: SPSC of cpu n */
	__u32 cpu;		/* writer's claim */
	__u32 pid;		/* writer's claim */
	__u32 tid;		/* writer's claim */
	__s32 owner_pid;	/* attested by the kernel; -1: none (MPSC) */
	__u32 owner_uid;	/* attested, when owner_pid != -1 */
	__u32 len;		/* bytes of text */
	__u8 facility;
	__u8 severity;
	__u8 flags;		/* MCR_FLAG_FIELDS: text holds \0KEY=value */
	__u8 pad;
};

/**
 * mcr_archive_open() - read the archive from @path
 * @path: NULL for /dev/mcrlog; any file holding its text works too
 * @nonblock: when nothing is new, return 0 instead of waiting
 * @out: the reader
 *
 * Each reader starts at the oldest record still archived.
 *
 * Return: 0, -ENOMEM, or what open(2) failed with.
 */
int mcr_archive_open(const char *path, bool nonblock,
		     struct mcr_archive **out);
void mcr_archive_close(struct mcr_archive *a);

/* mcr_archive_fd() - for poll(2): readable when a record is there. */
int mcr_archive_fd(const struct mcr_archive *a);

/**
 * mcr_archive_next() - the next record
 * @a: the reader
 * @rec: its fields; rec->lost counts records overwritten before it
 * @text: MCR_TEXT_MAX bytes for its text, unescaped
 *
 * Return: 1, 0 when nothing is new (non-blocking) or at the end of a
 * file, -EBADMSG for a line that is not in the archive's format, or what
 * read(2) failed with.
 */
int mcr_archive_next(struct mcr_archive *a, struct mcr_arecord *rec,
		     char *text);

#ifdef __cplusplus
}
#endif

#undef READ_ONCE
#undef WRITE_ONCE
#undef smp_load_acquire
#undef smp_store_release
#undef smp_rmb
#undef smp_wmb
#undef mul_u64_u64_shr
#undef mul_u64_u64_div_u64
#undef likely
#undef unlikely
#undef static_assert
#pragma pop_macro("READ_ONCE")
#pragma pop_macro("WRITE_ONCE")
#pragma pop_macro("smp_load_acquire")
#pragma pop_macro("smp_store_release")
#pragma pop_macro("smp_rmb")
#pragma pop_macro("smp_wmb")
#pragma pop_macro("mul_u64_u64_shr")
#pragma pop_macro("mul_u64_u64_div_u64")
#pragma pop_macro("likely")
#pragma pop_macro("unlikely")
#pragma pop_macro("static_assert")

#endif /* MCRRING_H */
