/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mcrtrace's BPF program (mcrtrace.bpf.c) and its loader
 * (mcrtrace.c) share: the records of the mcrring:* tracepoints as the
 * kernel lays them out, and what the program hands to userspace.
 *
 * The tracepoints are defined in a module (kmod/mcrring_trace.h), so the
 * kernel's vmlinux BTF does not describe them. mcrtrace attaches classic
 * tracepoint programs (SEC("tp/mcrring/...")), whose context is the raw
 * record of /sys/kernel/tracing/events/mcrring/<event>/format: the
 * kernel's common header (struct trace_entry), then the fields at their
 * natural alignment. The structs below declare that layout by hand, for
 * both headers Debian's kernels have: 8 bytes, and 12 on PREEMPT_RT,
 * which adds common_preempt_lazy_count. The loader picks the one the
 * format files show; selftests/vm/mcrtrace_test.c compares every field
 * with them, so any drift fails there.
 */
#ifndef MCRTRACE_H
#define MCRTRACE_H

#include <linux/types.h>

/* Rings mcrtrace keeps drain counts of: MPSC + up to 8192 CPUs. */
#define MCRT_MAX_RINGS	(1 + 8192)
/* target_ring when every ring is traced. */
#define MCRT_ALL_RINGS	0xffffffffU
/* Histogram slots: slot n counts latencies in [2^n, 2^(n+1)) us; 0: < 2. */
#define MCRT_HIST_SLOTS	32

/* --- tracepoint records (the format files) --------------------------- */

struct mcrt_tp_common {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
};

struct mcrt_tp_common_rt {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__u8 common_preempt_lazy_count;
};

/*
 * The five records after header @hdr, as struct mcrt_tp_<event>_@v.
 * mcrring_invalid and mcrring_abandoned share mcrt_tp_skip_@v (their
 * event class is mcrring_skip); claim's bool is one byte.
 */
#define MCRT_TP_RECORDS(v, hdr)						\
struct mcrt_tp_drain_##v {						\
	hdr c;								\
	__u32 ring;							\
	__u32 records;							\
	__u64 now;							\
	__u64 oldest_ts;						\
};									\
struct mcrt_tp_drop_##v {						\
	hdr c;								\
	__u32 ring;							\
	__s32 owner;							\
	__u64 dropped;							\
	__u64 total;							\
};									\
struct mcrt_tp_skip_##v {						\
	hdr c;								\
	__u32 ring;							\
	__u64 seq;							\
	__s32 owner;							\
};									\
struct mcrt_tp_claim_##v {						\
	hdr c;								\
	__u32 ring;							\
	__s32 pid;							\
	__u8 claimed;							\
}

MCRT_TP_RECORDS(std, struct mcrt_tp_common);
MCRT_TP_RECORDS(rt, struct mcrt_tp_common_rt);

/* --- what the BPF program hands to userspace ------------------------- */

enum mcrt_kind {
	MCRT_DROP,
	MCRT_INVALID,
	MCRT_ABANDONED,
	MCRT_CLAIM,
	MCRT_RELEASE,
};

/* One line of output, through the ring buffer map. */
struct mcrt_event {
	__u64 time_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 value;		/* drop: records dropped; skip: sequence */
	__u64 total;		/* drop: the ring's total dropped */
	__u32 kind;		/* enum mcrt_kind */
	__u32 ring;		/* 0: MPSC, 1 + n: CPU n */
	__s32 pid;		/* the ring's owner (claimer); 0: none */
	__u32 pad;
};

/* Per ring, in the program's .bss, read by the loader every interval. */
struct mcrt_drain_stat {
	__u64 records;
	__u64 passes;
};

#endif /* MCRTRACE_H */
