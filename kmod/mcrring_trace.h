/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrring tracepoints (mcrring:*), for mcrtrace and perf/bpftrace users.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mcrring

#if !defined(_MCRRING_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MCRRING_TRACE_H

#include <linux/tracepoint.h>

/*
 * The field layouts are ABI for tools/mcrtrace.h, which declares them
 * for BPF programs; selftests/vm/mcrtrace_test.c compares the two.
 */

/*
 * One drain pass, started at @now (CLOCK_MONOTONIC), moved @records of
 * @ring's records into the archive; the smallest timestamp among them (a
 * writer's claim) was @oldest_ts: now - oldest_ts is the longest any of
 * them waited, the write->drain latency mcrtrace histograms.
 */
TRACE_EVENT(mcrring_drain,
	TP_PROTO(u32 ring, u32 records, u64 now, u64 oldest_ts),
	TP_ARGS(ring, records, now, oldest_ts),
	TP_STRUCT__entry(
		__field(u32, ring)
		__field(u32, records)
		__field(u64, now)
		__field(u64, oldest_ts)
	),
	TP_fast_assign(
		__entry->ring = ring;
		__entry->records = records;
		__entry->now = now;
		__entry->oldest_ts = oldest_ts;
	),
	TP_printk("ring=%u records=%u now=%llu oldest_ts=%llu",
		  __entry->ring, __entry->records, __entry->now,
		  __entry->oldest_ts)
);

/*
 * Writers reported new drops on a full ring (their own count); @owner is
 * the tgid holding an SPSC ring's claim, 0 for the MPSC ring.
 */
TRACE_EVENT(mcrring_drop,
	TP_PROTO(u32 ring, pid_t owner, u64 dropped, u64 total),
	TP_ARGS(ring, owner, dropped, total),
	TP_STRUCT__entry(
		__field(u32, ring)
		__field(pid_t, owner)
		__field(u64, dropped)
		__field(u64, total)
	),
	TP_fast_assign(
		__entry->ring = ring;
		__entry->owner = owner;
		__entry->dropped = dropped;
		__entry->total = total;
	),
	TP_printk("ring=%u owner=%d dropped=%llu total=%llu", __entry->ring,
		  __entry->owner, __entry->dropped, __entry->total)
);

/* A descriptor skipped as invalid or abandoned; @owner as for a drop. */
DECLARE_EVENT_CLASS(mcrring_skip,
	TP_PROTO(u32 ring, u64 seq, pid_t owner),
	TP_ARGS(ring, seq, owner),
	TP_STRUCT__entry(
		__field(u32, ring)
		__field(u64, seq)
		__field(pid_t, owner)
	),
	TP_fast_assign(
		__entry->ring = ring;
		__entry->seq = seq;
		__entry->owner = owner;
	),
	TP_printk("ring=%u seq=%llu owner=%d", __entry->ring, __entry->seq,
		  __entry->owner)
);

DEFINE_EVENT(mcrring_skip, mcrring_invalid,
	TP_PROTO(u32 ring, u64 seq, pid_t owner),
	TP_ARGS(ring, seq, owner));

DEFINE_EVENT(mcrring_skip, mcrring_abandoned,
	TP_PROTO(u32 ring, u64 seq, pid_t owner),
	TP_ARGS(ring, seq, owner));

/* An SPSC ring claimed or released. */
TRACE_EVENT(mcrring_claim,
	TP_PROTO(u32 ring, pid_t pid, bool claimed),
	TP_ARGS(ring, pid, claimed),
	TP_STRUCT__entry(
		__field(u32, ring)
		__field(pid_t, pid)
		__field(bool, claimed)
	),
	TP_fast_assign(
		__entry->ring = ring;
		__entry->pid = pid;
		__entry->claimed = claimed;
	),
	TP_printk("ring=%u pid=%d %s", __entry->ring, __entry->pid,
		  __entry->claimed ? "claimed" : "released")
);

#endif /* _MCRRING_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mcrring_trace
#include <trace/define_trace.h>
