/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the abandon tests share (selftests/host/abandon_*_test.c): writers
 * that die or stall between reserve and commit, a reader that books every
 * record it gets, and paced live writers around them.
 *
 * Bounds (mcr_reader_set_bounds()):
 *   ABANDON_NS  20 ms: an MPSC record in flight this long is skipped and
 *               counted abandoned; its memory stays pinned.
 *   RECLAIM_NS 200 ms: a pin older than this is freed even though its
 *               writer never finished (counted reclaimed).
 * The late-writer test uses a 5 s reclaim bound instead, so that the pin
 * can only be released by the late commit itself; the fork test 50 ms, so
 * that each killed child's pin is gone before the next child starts.
 *
 * Every wait is a poll loop on a condition with a deadline (DEADLINE_NS,
 * far above anything a healthy run needs) that fails the test when it
 * passes.
 *
 * Live writer threads record every reservation that took them longer than
 * half the abandon bound (preemption on a loaded 2-core machine): only
 * such a record may ever be skipped besides the one a test kills, and the
 * test then says so. Normally there are none and the counts are exact.
 */
#ifndef MCR_ABANDON_H
#define MCR_ABANDON_H

#include <pthread.h>
#include <stdbool.h>

#include "mcr_host.h"

#define MS		1000000ULL
#define ABANDON_NS	(20 * MS)
#define RECLAIM_NS	(200 * MS)
#define LATE_RECLAIM_NS	(5000 * MS)
#define FORK_RECLAIM_NS	(50 * MS)
#define DEADLINE_NS	(20000 * MS)	/* fails the test, never reached */

#define MAX_IDS		32
#define MAX_LIVE	4
#define LATE_ID		30	/* the late writer's records */
#define DEAD_ID		31	/* the dead writer's (never delivered) */
#define LATE_LEN	2000
#define MAX_N		(1u << 20)	/* counters a writer id can book */

/*
 * Records one poll reads while writers run. A test that waits for
 * something must poll in bounded steps: an unbounded drain that keeps pace
 * with paced writers does not return until they are done, and the race the
 * test set up is over.
 */
#define POLL_MAX	256

/* reserve, fill, commit counter @n of writer @id */
int write_rec(struct mcr_writer *w, __u32 id, __u32 n);

void pause_us(unsigned int us);

/* --- the consumer's bookkeeping (the test's thread only) -------------- */

struct seen {
	__s64 last_n[MAX_IDS];
	__u64 count[MAX_IDS];
	__u32 first_seq[MAX_IDS];
	pid_t pid[MAX_IDS];	/* expected writer pid; 0: this process */
	unsigned char *bm[MAX_IDS];
	struct ring_order order;	/* per ring, sequences go up */
	__u64 total;
	__u64 watch_seq;	/* a sequence that must never be delivered */
	bool watch_on;
	bool watch_hit;
	__u64 errors;
	char err[200];		/* the first error */
};

/* Writer id @w starts afresh (a new process reusing the id). */
void seen_forget(struct seen *s, __u32 w);

bool delivered(const struct seen *s, __u32 w, __u32 n);

/* Read up to @max records into @s; returns how many were read. */
__u64 drain_max(struct mcr_reader *rd, struct seen *s, __u64 max);

/* Read until the reader has nothing; returns records read. */
__u64 drain(struct mcr_reader *rd, struct seen *s);

struct mcr_ring_stats stats_of(struct mcr_reader *rd, unsigned int ring);

/* Every sequence the writers reserved has been accounted for. */
bool all_accounted(struct mcr_reader *rd, const struct mcr_ring *r,
		   unsigned int ring);

/* --- live writer threads ------------------------------------------------ */

struct live {
	struct mcr_set *set;
	pthread_t thread;
	bool started;
	int *stop;
	int *hold;		/* atomic: pause before the next record */
	__u32 gate;		/* pause before this counter ... */
	int *gate_open;		/* ... until this is set (atomic) */
	__u32 id;
	__u32 records;
	int spsc;		/* SPSC writer of cpu 0's ring */
	__u32 commits;		/* atomic: read live by the test */
	__u64 enobufs;		/* atomic: read live by the test */
	__u32 nslow;		/* reservations held > ABANDON_NS / 2 */
	__u32 slow[64];
	int err;
};

__u32 live_commits(const struct live *l);

/* --- one test's rings, reader, bookkeeping and live writers ----------- */

struct ab {
	struct mcr_set *set;
	struct mcr_reader *rd;
	struct seen seen;
	struct live live[MAX_LIVE];
	unsigned int nlive;
	int stop;		/* atomic: every thread of the test leaves */
	int hold;
	__u32 gate_at;		/* live writers start with this gate; 0: none */
	int gate_open;
};

void ab_init(struct ab *ab);

/* Also after a failed ASSERT: stops and joins the live writers first. */
void ab_fini(struct ab *ab);

/* @nr rings of a shared-memory set and a reader with ABANDON_NS. */
int ab_open_rings(struct ab *ab, unsigned int nr, __u32 ndesc,
		  __u32 data_size, __u64 reclaim_ns);

/* A live writer of id @id, @records of them, MPSC or cpu 0's SPSC ring. */
int ab_start_live(struct ab *ab, __u32 id, __u32 records, int spsc);

bool ab_live_all_done(struct ab *ab);

__u64 ab_live_enobufs(struct ab *ab);

/*
 * Drain while the live writers finish, then until nothing is left, and
 * join them; false on the deadline.
 */
bool ab_drain_until_live_done(struct ab *ab, const struct mcr_ring *r,
			      unsigned int ring, bool spin);

/*
 * Records of the first @nlive live writers not delivered: the first ten
 * said on the test's output. Only a record its writer held longer than
 * half the abandon bound may be missing: the others are counted in
 * *unexplained.
 */
__u64 ab_live_missing(struct ab *ab, unsigned int nlive, __u64 *unexplained);

/*
 * Poll the reader until it has moved past @seq of @ring by abandoning it:
 * the abandoned count above @base (taken before the record's writer
 * reserved, since a preempted writer may have had one abandoned earlier),
 * and a later sequence delivered. Returns the time just before the
 * mcr_read() in which the count first rose (a lower bound of the pin's
 * start; the test's thread is the only consumer), or 0 on deadline;
 * *after is the time after that read.
 */
__u64 ab_wait_abandoned(struct ab *ab, unsigned int ring, __u64 seq,
			__u64 base, __u64 *after);

/* Poll the reader until @ring reports @want reclaimed pins: when, or 0. */
__u64 ab_wait_reclaimed(struct ab *ab, unsigned int ring, __u64 want);

/* --- an MPSC writer thread that reserves and exits ------------------- */

struct dead {
	struct mcr_set *set;
	__u32 seq;
	__u64 t_reserve;
	int ret;
};

/* pthread body: reserves 100 bytes, half writes them, never commits. */
void *dead_main(void *arg);

#endif /* MCR_ABANDON_H */
