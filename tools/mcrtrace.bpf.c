// SPDX-License-Identifier: GPL-2.0
/*
 * mcrtrace's BPF side: on the mcrring:* tracepoints, count records
 * drained per ring, histogram the write->drain latency, and pass every
 * drop, invalid, abandoned record and claim to userspace through a ring
 * buffer. Classic tracepoint programs: see mcrtrace.h for why.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "mcrtrace.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings, fixed by the loader before the program is loaded. */
const volatile __u32 target_ring = MCRT_ALL_RINGS;
const volatile __u8 hist_on = 1;

/* Read by the loader through the skeleton's mmap of .bss. */
struct mcrt_drain_stat drains[MCRT_MAX_RINGS];
__u64 hist[MCRT_HIST_SLOTS];
__u64 lost_events;		/* ring buffer full: lines not printed */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline int wanted(__u32 ring)
{
	return target_ring == MCRT_ALL_RINGS || ring == target_ring;
}

/* floor(log2(v)) for v > 0, by halving the width (clang unrolls it). */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	for (__u32 shift = 32; shift; shift >>= 1) {
		if (v >> shift) {
			v >>= shift;
			r += shift;
		}
	}
	return r;
}

static __always_inline void emit(__u32 kind, __u32 ring, __s32 pid,
				 __u64 value, __u64 total)
{
	struct mcrt_event *e;

	if (!wanted(ring))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->ring = ring;
	e->pid = pid;
	e->value = value;
	e->total = total;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void drained(__u32 ring, __u32 records, __u64 now,
				    __u64 oldest_ts)
{
	__u32 slot;
	__u64 lat;

	if (!wanted(ring))
		return;
	if (ring < MCRT_MAX_RINGS) {
		__sync_fetch_and_add(&drains[ring].records, records);
		__sync_fetch_and_add(&drains[ring].passes, 1);
	}
	if (!hist_on)
		return;
	/* A timestamp after the pass began counts as no wait at all. */
	lat = now > oldest_ts ? (now - oldest_ts) / 1000 : 0;
	slot = lat ? log2_u64(lat) : 0;
	if (slot >= MCRT_HIST_SLOTS)
		slot = MCRT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&hist[slot], 1);
}

/*
 * The programs for records of layout @v (see mcrtrace.h): the loader
 * loads one set, std or rt, as the kernel's format files say.
 */
#define MCRT_PROGS(v)							\
SEC("tp/mcrring/mcrring_drain")						\
int drain_##v(struct mcrt_tp_drain_##v *ctx)				\
{									\
	drained(ctx->ring, ctx->records, ctx->now, ctx->oldest_ts);	\
	return 0;							\
}									\
SEC("tp/mcrring/mcrring_drop")						\
int drop_##v(struct mcrt_tp_drop_##v *ctx)				\
{									\
	emit(MCRT_DROP, ctx->ring, ctx->owner, ctx->dropped, ctx->total); \
	return 0;							\
}									\
SEC("tp/mcrring/mcrring_invalid")					\
int invalid_##v(struct mcrt_tp_skip_##v *ctx)				\
{									\
	emit(MCRT_INVALID, ctx->ring, ctx->owner, ctx->seq, 0);		\
	return 0;							\
}									\
SEC("tp/mcrring/mcrring_abandoned")					\
int abandoned_##v(struct mcrt_tp_skip_##v *ctx)				\
{									\
	emit(MCRT_ABANDONED, ctx->ring, ctx->owner, ctx->seq, 0);	\
	return 0;							\
}									\
SEC("tp/mcrring/mcrring_claim")						\
int claim_##v(struct mcrt_tp_claim_##v *ctx)				\
{									\
	emit(ctx->claimed ? MCRT_CLAIM : MCRT_RELEASE, ctx->ring,	\
	     ctx->pid, 0, 0);						\
	return 0;							\
}

MCRT_PROGS(std)
MCRT_PROGS(rt)
