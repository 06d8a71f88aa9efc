/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrring tracepoints (mcrring:*), for mcrtrace and perf/bpftrace users.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mcrring

#if !defined(_MCRRING_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MCRRING_TRACE_H

#include <linux/tracepoint.h>

/* One drain pass moved @records records of @ring into the archive. */
TRACE_EVENT(mcrring_drain,
	TP_PROTO(u32 ring, u32 records, u64 now),
	TP_ARGS(ring, records, now),
	TP_STRUCT__entry(
		__field(u32, ring)
		__field(u32, records)
		__field(u64, now)
	),
	TP_fast_assign(
		__entry->ring = ring;
		__entry->records = records;
		__entry->now = now;
	),
	TP_printk("ring=%u records=%u", __entry->ring, __entry->records)
);

/* Writers reported new drops on a full ring (their own count). */
TRACE_EVENT(mcrring_drop,
	TP_PROTO(u32 ring, u64 dropped, u64 total),
	TP_ARGS(ring, dropped, total),
	TP_STRUCT__entry(
		__field(u32, ring)
		__field(u64, dropped)
		__field(u64, total)
	),
	TP_fast_assign(
		__entry->ring = ring;
		__entry->dropped = dropped;
		__entry->total = total;
	),
	TP_printk("ring=%u dropped=%llu total=%llu", __entry->ring,
		  __entry->dropped, __entry->total)
);

/* A descriptor skipped as invalid or abandoned. */
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
