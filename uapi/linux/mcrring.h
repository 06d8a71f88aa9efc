/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * mcrring userspace ABI: everything the kernel module and userspace agree
 * on about memory layout, mmap offsets and ioctls. The protocol that runs
 * over this layout lives in proto/mcrring/ring.h.
 *
 * Rules (Documentation/process/botching-up-ioctls.rst): fixed-width types
 * only, natural alignment, explicit padding, reserved fields that must be
 * zero, pointers as __u64. Every size and offset is pinned by a
 * compile-time assertion in proto/mcrring/ring.h and checked by a test.
 */
#ifndef _UAPI_LINUX_MCRRING_H
#define _UAPI_LINUX_MCRRING_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Name of the misc device: /dev/mcrlog. */
#define MCR_DEVICE_NAME		"mcrlog"

/* Bumped on any incompatible change of this header. */
#define MCR_ABI_VERSION		2

/* Feature bits reported in mcr_info.features. */
#define MCR_FEAT_SPSC		_BITULL(0)	/* per-CPU claimable rings */
#define MCR_FEAT_MPSC		_BITULL(1)	/* shared multi-writer ring */
#define MCR_FEAT_USER_DRAIN	_BITULL(2)	/* userspace may drain a ring */
#define MCR_FEAT_TSC_CLOCK	_BITULL(3)	/* the module keeps mcr_cons.clock */
#define MCR_FEAT_LEVELS		_BITULL(4)	/* the module keeps mcr_cons.mute */

/*
 * Records.
 *
 * A record's text is a message, optionally followed by fields: the bytes
 * "\0KEY=value" repeated, as /dev/kmsg dictionaries. At most
 * MCR_TEXT_MAX bytes; longer input is refused with -EMSGSIZE, never
 * truncated silently.
 */
#define MCR_TEXT_MAX		4096

/* Severity as syslog(3): 0 (emerg) .. 7 (debug); facility 0 .. 23. */
#define MCR_SEV_MAX		7
#define MCR_FAC_MAX		23
/* A descriptor's pri is facility << 3 | severity, as syslog's PRI. */
#define MCR_PRI(fac, sev)	(((fac) << 3) | (sev))
#define MCR_PRI_SEV(pri)	((pri) & 7)
#define MCR_PRI_FAC(pri)	((pri) >> 3)

/* Descriptor flags. */
#define MCR_FLAG_FIELDS		_BITUL(0)	/* text holds \0KEY=value fields */
#define MCR_FLAG_ALL		MCR_FLAG_FIELDS

/*
 * Descriptor states, the low byte of mcr_desc.state_var. Only COMMITTED
 * and DISCARDED are ever stored: a descriptor whose state_var does not
 * hold its own sequence with one of them is, by definition, EMPTY (never
 * reserved in this lap) or RESERVED (being written). CONSUMED and
 * ABANDONED are the consumer's verdicts and live in its counters.
 */
enum mcr_desc_state {
	MCR_DESC_EMPTY		= 0,
	MCR_DESC_RESERVED	= 1,
	MCR_DESC_COMMITTED	= 2,
	MCR_DESC_DISCARDED	= 3,
	MCR_DESC_CONSUMED	= 4,
	MCR_DESC_ABANDONED	= 5,
};

/*
 * state_var: bits 63..32 the low 32 bits of the record's sequence,
 * 31..16 the writer's cpu, 15..8 zero, 7..0 the state.
 */
#define MCR_SV(seq, cpu, state) \
	(((__u64)(__u32)(seq) << 32) | ((__u64)((cpu) & 0xffff) << 16) | (state))
#define MCR_SV_SEQ(sv)		((__u32)((sv) >> 32))
#define MCR_SV_CPU(sv)		((__u32)(((sv) >> 16) & 0xffff))
#define MCR_SV_STATE(sv)	((__u32)((sv) & 0xff))
#define MCR_SV_RESERVED_BITS	0xff00ULL

/*
 * One record's descriptor; descriptors form a ring indexed by sequence.
 * Each fills a cache line of its own (ABI 2; ABI 1 packed two to a line),
 * so that a consumer reading record k right behind its writer never
 * pulls away the line the writer is filling for record k + 1. resv is
 * padding: nobody reads it (a ring reset zeroes it with the rest).
 */
struct mcr_desc {
	__u64 state_var;	/* written last, with release */
	__u64 ts_ns;		/* CLOCK_MONOTONIC, the writer's claim */
	__u32 pos;		/* low 32 bits of the text's data position */
	__u32 pid;		/* the writer's claim */
	__u32 tid;		/* the writer's claim */
	__u16 len;		/* text bytes, 0 .. MCR_TEXT_MAX */
	__u8  pri;		/* MCR_PRI(facility, severity) */
	__u8  flags;		/* MCR_FLAG_* */
	__u64 resv[4];
};

/*
 * Ring memory, in mmap order. Each part starts on a page boundary:
 *
 *   MCR_CONS_OFF   struct mcr_cons    the consumer writes; writers map it
 *                                     read-only when the kernel drains
 *   MCR_PROD_OFF   struct mcr_prod    writers write (head, drop counter)
 *   MCR_DESC_OFF   struct mcr_desc[ndesc]
 *   data_off       text data ring, data_size bytes
 *
 * The read-only page comes first so that a writer maps a ring with two
 * mappings: [0, MCR_PROD_OFF) read-only, [MCR_PROD_OFF, ring_size)
 * read-write. ndesc and data_size are powers of two; positions are
 * free-running and a slot is found by masking.
 */
#define MCR_PAGE_SIZE		4096
#define MCR_CONS_OFF		0
#define MCR_PROD_OFF		MCR_PAGE_SIZE
#define MCR_DESC_OFF		(2 * MCR_PAGE_SIZE)

#define MCR_CACHELINE		64

/* Writer-owned page. Nothing here is trusted by the kernel. */
struct mcr_prod {
	/*
	 * head: bits 63..32 the next sequence to reserve (low 32 bits),
	 * 31..0 the next free data position (low 32 bits). One word, so
	 * that an MPSC writer reserves a descriptor and its text with a
	 * single compare-and-swap.
	 */
	__u64 head;
	/* MPSC writers' shared cache of the consumer's tails (see DOC). */
	__u64 cached_tail;
	__u64 dropped_full;	/* records refused because the ring was full */
	__u64 resv0[5];
	/* The drainer sleeps with MCR_CONS_NEED_WAKEUP set (see DOC). */
	__u64 pad[MCR_PAGE_SIZE / 8 - 8];
};

#define MCR_CONS_NEED_WAKEUP	_BITUL(0)	/* drainer asleep: wake it */
#define MCR_CONS_USER_DRAIN	_BITUL(1)	/* a userspace consumer drains */

/*
 * The writers' clock: CLOCK_MONOTONIC as a linear function of the CPU's
 * cycle counter (x86's TSC, arm64's CNTVCT_EL0; "tsc" below for either),
 * kept by whoever drains the ring (see proto/mcrring/clock.h). For a counter
 * value t with tsc_base <= t < tsc_limit:
 *
 *   ns = ns_base + ((t - tsc_base) * mult) >> MCR_CLOCK_SHIFT
 *
 * Outside that range, or while seq is odd, or with tsc_limit 0, the map
 * is not valid and writers call clock_gettime(). A seqcount like
 * perf_event_mmap_page's: read seq, the fields, seq again.
 */
#define MCR_CLOCK_SHIFT		32

struct mcr_clock {
	__u32 seq;		/* odd while the publisher rewrites the map */
	__u32 resv0;
	__u64 tsc_base;
	__u64 ns_base;
	__u64 mult;		/* ns per counter tick << MCR_CLOCK_SHIFT */
	__u64 tsc_limit;	/* the map expires here; 0: no map */
	__u64 resv1[3];
};

/* Consumer-owned page: read-only to writers when the kernel drains. */
struct mcr_cons {
	/* Geometry, written once at setup. */
	__u32 magic;		/* MCR_RING_MAGIC */
	__u32 abi_version;	/* MCR_ABI_VERSION */
	__u32 ndesc;		/* descriptors, power of two, 2 .. 2^24 */
	__u32 data_size;	/* text bytes, power of two, 2^13 .. 2^30 */
	__u64 data_off;		/* offset of the data ring from the ring start */
	__u64 ring_size;	/* bytes to map for this ring */
	__u32 ring_id;		/* 0: MPSC, 1 + n: SPSC of cpu n */
	__u32 resv0;
	__u64 resv1[3];
	/*
	 * What writers poll, on its own cache line: how far the consumer
	 * has freed (same packing as mcr_prod.head) and MCR_CONS_* flags.
	 */
	__u64 tail;
	__u32 flags;
	__u32 resv2;
	__u64 resv3[6];
	/* Counters, written by the consumer only. */
	__u64 drained;
	__u64 abandoned;
	__u64 invalid;
	__u64 discarded;
	__u64 resv4[4];
	/* The writers' clock, on its own cache line. */
	struct mcr_clock clock;
	/*
	 * Runtime levels, on their own cache line: bit s of mute[f] set
	 * means records of facility f and severity s are not to be
	 * written. Kept by whoever drains the ring; all zero: none muted.
	 */
	__u8 mute[MCR_FAC_MAX + 1];
	__u8 resv5[64 - (MCR_FAC_MAX + 1)];
	__u64 pad[MCR_PAGE_SIZE / 8 - 40];
};

#define MCR_RING_MAGIC		0x6d637231	/* "mcr1" */

/*
 * mmap offsets of /dev/mcrlog: ring r (0 = MPSC, 1 + n = SPSC of cpu n)
 * starts at MCR_MMAP_RING(r). A mapping covers exactly one whole ring.
 */
#define MCR_MMAP_SHIFT		32
#define MCR_MMAP_RING(r)	((__u64)(r) << MCR_MMAP_SHIFT)
#define MCR_RING_MPSC		0
#define MCR_RING_SPSC(cpu)	(1 + (cpu))
/*
 * The ring of mcr_printk(), the kernel's own writers: no mapping reaches
 * it, so a record that carries this ring came from the kernel. It has
 * counters (MCR_IOC_COUNTERS, sysfs "kernel") but no mmap offset.
 */
#define MCR_RING_KERNEL		0xffff

/* ioctls. Every reserved field must be zero or the call fails -EINVAL. */
struct mcr_info {
	__u32 abi_version;	/* out */
	__u32 nr_rings;		/* out: 1 + nr_cpu_ids (highest CPU id + 1) */
	__u64 features;		/* out: MCR_FEAT_* */
	__u32 ndesc;		/* out: per ring */
	__u32 data_size;	/* out: per ring */
	__u64 ring_size;	/* out: bytes one ring's mapping covers */
	__u64 resv[4];		/* must be zero */
};

struct mcr_claim {
	__u32 ring;		/* in: MCR_RING_SPSC(cpu) */
	__u32 flags;		/* in: must be zero */
	__u64 resv[2];		/* must be zero */
};

struct mcr_counters {
	__u32 ring;		/* in */
	__u32 flags;		/* in: must be zero */
	__u64 written;		/* out: reservations seen + dropped_full */
	__u64 drained;
	__u64 dropped_full;
	__u64 abandoned;
	__u64 invalid;
	__u64 discarded;
	__u64 resv[4];		/* must be zero */
};

#define MCR_IOC_MAGIC		0xb7
#define MCR_IOC_INFO		_IOR(MCR_IOC_MAGIC, 1, struct mcr_info)
#define MCR_IOC_CLAIM		_IOW(MCR_IOC_MAGIC, 2, struct mcr_claim)
#define MCR_IOC_WAKE		_IO(MCR_IOC_MAGIC, 3)
#define MCR_IOC_COUNTERS	_IOWR(MCR_IOC_MAGIC, 4, struct mcr_counters)

#endif /* _UAPI_LINUX_MCRRING_H */
