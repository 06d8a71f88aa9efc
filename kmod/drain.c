// SPDX-License-Identifier: GPL-2.0
/*
 * The drain kthread: runs the protocol's validating consumer over every
 * ring and merges what it finds into the archive by timestamp.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include "mcr.h"

#define CREATE_TRACE_POINTS
#include "mcrring_trace.h"

/* Records taken from one ring in one pass, so no ring starves another. */
#define MCR_RING_PASS_BUDGET	512
/*
 * Descriptors looked at in one ring in one pass, records and skips alike:
 * what bounds a pass, and so how long mcr_drain_lock is held, whatever a
 * writer puts in its ring. A look reads one descriptor and copies at most
 * MCR_TEXT_MAX bytes.
 */
#define MCR_RING_PASS_LOOKS	(2 * MCR_RING_PASS_BUDGET)

/* Serialises consumers: the kthread, claim release, counters, unload. */
DEFINE_MUTEX(mcr_drain_lock);
static struct task_struct *mcr_drainer;
static DECLARE_WAIT_QUEUE_HEAD(mcr_drain_wq);
static atomic_t mcr_drain_kicked = ATOMIC_INIT(0);
/* Drain thread activity, for mcrstat: passes run, wake-ups asked for. */
static atomic64_t mcr_drain_passes = ATOMIC64_INIT(0);
static atomic64_t mcr_drain_wakeups = ATOMIC64_INIT(0);

static unsigned int poll_max_ms = 100;
module_param(poll_max_ms, uint, 0644);
MODULE_PARM_DESC(poll_max_ms,
		 "Longest sleep of the idle drain thread, ms (default 100)");

static u64 mcr_ms_to_ns(unsigned int ms)
{
	return (u64)ms * NSEC_PER_MSEC;
}

/*
 * SPSC rings wait for a live owner; a released claim is abandoned at once.
 * abandon_ms, reclaim_ms and poll_max_ms may be written through sysfs at
 * any time, under no lock of ours: each is read once, with READ_ONCE().
 */
static u64 mcr_abandon_ns(const struct mcr_kring *kr)
{
	if (kr->id == MCR_RING_MPSC || kr->id == MCR_RING_KERNEL)
		return mcr_ms_to_ns(READ_ONCE(mcr_abandon_ms));
	return kr->writer_gone ? 0 : U64_MAX;
}

/* A dead SPSC owner cannot write late: nothing to keep pinned. */
static u64 mcr_reclaim_ns(const struct mcr_kring *kr)
{
	return kr->writer_gone ? 0 : mcr_ms_to_ns(READ_ONCE(mcr_reclaim_ms));
}

static struct mcr_kring *mcr_src_kring(struct mcr_source *src)
{
	return container_of(src, struct mcr_kring, src);
}

/* What a look lost, for the tracepoints. */
static void mcr_trace_lost(struct mcr_source *src, u64 seq,
			   enum mcr_loss why)
{
	struct mcr_kring *kr = mcr_src_kring(src);

	if (why == MCR_LOST_INVALID)
		trace_mcrring_invalid(kr->id, seq, kr->owner_pid);
	else
		trace_mcrring_abandoned(kr->id, seq, kr->owner_pid);
}

/*
 * The drain thread's merge: per-pass budgets, so that one writer claiming
 * tiny timestamps delays the others by at most one pass.
 */
static const struct mcr_merge mcr_drain_merge = {
	.looks = MCR_RING_PASS_LOOKS,
	.takes = MCR_RING_PASS_BUDGET,
	.now_ns = ktime_get_ns,
	.lost = mcr_trace_lost,
};

/* &mcr_drained[i]->src, for the merge; allocated with the thread. */
static struct mcr_source **mcr_drain_srcs;

/*
 * Fill @kr's pending record, within what is left of the ring's looks for
 * this pass. A dead owner's ring, once drained, is cleaned for the next.
 */
static void mcr_fill(struct mcr_kring *kr)
{
	int res = mcr_source_fill(&kr->src, &mcr_drain_merge,
				  mcr_abandon_ns(kr), mcr_reclaim_ns(kr));

	if (res == MCR_EMPTY && kr->writer_gone && !kr->src.cur.npins) {
		mcr_ring_reset(&kr->ring, &kr->src.cur);
		kr->writer_gone = false;
	}
}

/* Move @kr's pending record into the archive, with what the kernel attests. */
static void mcr_emit(struct mcr_kring *kr)
{
	struct mcr_entry e = { .rec = kr->src.rec };

	if (kr->id != MCR_RING_MPSC && kr->owner_pid) {
		e.owner_pid = kr->owner_pid;
		e.owner_uid = from_kuid_munged(&init_user_ns, kr->owner_uid);
	}
	mcr_archive_add(&e, kr->src.text);
	mcr_source_take(&kr->src);
}

/*
 * The writers count their refused records in prod->dropped_full, which any
 * of them can overwrite. What the kernel believes: growth since its last
 * look (a value that went back is a new baseline, nothing counted), and no
 * faster than one refusal per nanosecond per CPU since that look, more
 * than any writer can fail a reservation. A forged value thus costs the
 * count at most what refusing records flat out would.
 */
static void mcr_account(struct mcr_kring *kr, u64 now)
{
	u64 raw = READ_ONCE(kr->ring.prod->dropped_full);
	u64 most, grew;

	/* Saturating: a ring's count stops at U64_MAX rather than wrap. */
	if (check_mul_overflow(now - kr->dropped_at, (u64)num_online_cpus(),
			       &most))
		most = U64_MAX;
	if (raw > kr->dropped_seen) {
		grew = min(raw - kr->dropped_seen, max(most, 1ULL));
		if (check_add_overflow(kr->dropped_full, grew,
				       &kr->dropped_full))
			kr->dropped_full = U64_MAX;
		trace_mcrring_drop(kr->id, kr->owner_pid, grew,
				   kr->dropped_full);
	}
	kr->dropped_seen = raw;
	kr->dropped_at = now;
	mcr_cursor_publish_counters(&kr->ring, &kr->src.cur);
}

/**
 * mcr_account_claimed() - start a new SPSC owner's drop count at zero
 * @kr: the ring, being claimed
 *
 * What the previous owner reported is counted first; then the shared
 * counter is zeroed, so nothing it left there is taken for the next
 * owner's drops, or hides them.
 *
 * Context: mcr_drain_lock held; no writer has the ring mapped.
 */
void mcr_account_claimed(struct mcr_kring *kr)
{
	u64 now = ktime_get_ns();

	lockdep_assert_held(&mcr_drain_lock);
	mcr_account(kr, now);
	WRITE_ONCE(kr->ring.prod->dropped_full, 0);
	kr->dropped_seen = 0;
}

/*
 * One pass: a k-way merge of the rings by timestamp (mcr_drain_merge's
 * budgets, mcrring/merge.h). Per ring, records always leave in sequence
 * order.
 *
 * Return: records moved; *more is set when a ring stopped at its budget
 * with work left, so the caller runs the next pass at once.
 */
static unsigned int mcr_drain_pass(bool *more)
{
	u64 now = ktime_get_ns();
	struct mcr_source *best;
	unsigned int i, moved = 0;

	lockdep_assert_held(&mcr_drain_lock);
	*more = false;
	for (i = 0; i < mcr_nr_drained; i++) {
		struct mcr_kring *kr = mcr_drained[i];

		mcr_source_begin_pass(&kr->src);
		kr->pass_oldest_ts = U64_MAX;
		mcr_fill(kr);
	}
	while ((best = mcr_merge_oldest(mcr_drain_srcs, mcr_nr_drained,
					&mcr_drain_merge))) {
		struct mcr_kring *kr = mcr_src_kring(best);

		kr->pass_oldest_ts = min(kr->pass_oldest_ts, best->rec.ts_ns);
		mcr_emit(kr);
		moved++;
		mcr_fill(kr);
	}
	for (i = 0; i < mcr_nr_drained; i++) {
		struct mcr_kring *kr = mcr_drained[i];

		if (kr->src.taken)
			trace_mcrring_drain(kr->id, kr->src.taken, now,
					    kr->pass_oldest_ts);
		mcr_account(kr, ktime_get_ns());
		if (mcr_source_more(&kr->src, &mcr_drain_merge))
			*more = true;
	}
	return moved;
}

/**
 * mcr_drain_ring() - drain until one ring is empty
 * @kr: the ring
 *
 * Used when a claim ends: with writer_gone set, what the owner left half
 * written is abandoned at once. Whole passes over every ring, so the
 * owner's last records still merge by timestamp with the others; the lock
 * is taken for each pass, so nobody waits behind more than one. Bounded:
 * one ring's worth of descriptors, each pass taking at least
 * MCR_RING_PASS_BUDGET of them from a ring whose writer is gone.
 *
 * Context: process; takes mcr_drain_lock.
 */
void mcr_drain_ring(struct mcr_kring *kr)
{
	u32 passes = kr->ring.ndesc / MCR_RING_PASS_BUDGET + 2;
	bool more, done;

	while (passes--) {
		mutex_lock(&mcr_drain_lock);
		mcr_drain_pass(&more);
		done = !kr->src.have && !kr->writer_gone;
		mutex_unlock(&mcr_drain_lock);
		if (done)
			break;
		cond_resched();
	}
}

/*
 * Anything for the drainer to take now? Only a record it can take counts:
 * a reservation still being written (or a head left by a hostile writer)
 * must not keep it from sleeping; the next timed pass abandons what is due.
 *
 * Runs without mcr_drain_lock, while a claim's release may be draining
 * under it (mcr_release_claims()): the cursor and the pending flag are
 * read once each, and a stale answer costs at most one sleep. The
 * protocol core writes them plainly under that lock, so these reads race
 * with it by design: data_race() says so to KCSAN.
 */
static bool mcr_any_ready(void)
{
	unsigned int i;

	for (i = 0; i < mcr_nr_drained; i++) {
		struct mcr_kring *kr = mcr_drained[i];
		const struct mcr_ring *r = &kr->ring;
		/* Racing with the drain by design, as said above. */
		u64 seq = data_race(READ_ONCE(kr->src.cur.seq));
		u64 sv = READ_ONCE(r->desc[seq & (r->ndesc - 1)].state_var);
		u32 st = MCR_SV_STATE(sv);

		/* So is this: the drain writes it under its lock. */
		if (data_race(READ_ONCE(kr->src.have)) ||
		    (MCR_SV_SEQ(sv) == (u32)seq &&
		     (st == MCR_DESC_COMMITTED || st == MCR_DESC_DISCARDED)))
			return true;
	}
	return false;
}

static void mcr_set_need_wakeup(bool on)
{
	unsigned int i;

	for (i = 0; i < mcr_nr_drained; i++) {
		struct mcr_cons *cons = mcr_drained[i]->ring.cons;
		u32 flags = READ_ONCE(cons->flags);

		flags = on ? flags | MCR_CONS_NEED_WAKEUP :
			     flags & ~MCR_CONS_NEED_WAKEUP;
		WRITE_ONCE(cons->flags, flags);
	}
}

static bool mcr_drain_should_wake(void)
{
	return atomic_read(&mcr_drain_kicked) || kthread_should_stop();
}

/*
 * Busy (a ring stopped at its pass budget): pass after pass. Some work:
 * 1 ms between passes. Idle: set
 * NEED_WAKEUP, check once more, and sleep, twice as long each time up to
 * poll_max_ms, so a quiet system's records still reach the archive. A
 * writer that finds its ring half full with NEED_WAKEUP set wakes us
 * (MCR_IOC_WAKE); a wake-up lost to the race between its check and our
 * flag costs at most one sleep.
 */
static int mcr_drain_thread(void *unused)
{
	unsigned int sleep_ms = 1;

	while (!kthread_should_stop()) {
		unsigned int moved;
		bool more;

		mutex_lock(&mcr_drain_lock);
		moved = mcr_drain_pass(&more);
		atomic64_inc(&mcr_drain_passes);
		mutex_unlock(&mcr_drain_lock);
		if (more) {
			sleep_ms = 1;
			cond_resched();
			continue;
		}
		if (moved) {
			sleep_ms = 1;
		} else {
			mcr_set_need_wakeup(true);
			/* flag visible before we look at the rings */
			smp_mb();				/* [M10] */
			if (mcr_any_ready()) {
				mcr_set_need_wakeup(false);
				continue;
			}
		}
		wait_event_interruptible_timeout(mcr_drain_wq,
						 mcr_drain_should_wake(),
						 msecs_to_jiffies(sleep_ms));
		if (atomic_xchg(&mcr_drain_kicked, 0))
			sleep_ms = 1;
		else if (!moved)
			sleep_ms = min(sleep_ms * 2,
				       max(READ_ONCE(poll_max_ms), 1U));
		mcr_set_need_wakeup(false);
	}
	return 0;
}

void mcr_drain_wake(void)
{
	atomic64_inc(&mcr_drain_wakeups);
	atomic_set(&mcr_drain_kicked, 1);
	wake_up(&mcr_drain_wq);
}

static void mcr_drain_wake_work(struct irq_work *work)
{
	mcr_drain_wake();
}

static DEFINE_IRQ_WORK(mcr_drain_wake_irq_work, mcr_drain_wake_work);

/**
 * mcr_drain_wake_any() - wake the drain thread from any context
 *
 * wake_up() may not be called in NMI, nor in hard interrupt context on
 * PREEMPT_RT, where the wait queue's lock sleeps: the wake-up goes through
 * irq_work, which runs it in interrupt context, or on PREEMPT_RT in the
 * irq_work thread.
 *
 * Context: any, NMI included.
 */
void mcr_drain_wake_any(void)
{
	irq_work_queue(&mcr_drain_wake_irq_work);
}

u64 mcr_drain_passes_done(void)
{
	return atomic64_read(&mcr_drain_passes);
}

u64 mcr_drain_wakeups_asked(void)
{
	return atomic64_read(&mcr_drain_wakeups);
}

/**
 * mcr_ring_fill() - records in a ring not drained yet
 * @kr: the ring
 *
 * Reserved or committed and still in the ring, as far as the writers'
 * head says, clamped to what the ring can hold.
 *
 * Context: any; reads the cursor without mcr_drain_lock (a snapshot,
 * racing with the drain by design: data_race()).
 */
u32 mcr_ring_fill(struct mcr_kring *kr)
{
	u32 head = mcr_packed_seq(READ_ONCE(kr->ring.prod->head));
	/* The drain moves the cursor under its lock: a snapshot. */
	u32 fill = head - (u32)data_race(READ_ONCE(kr->src.cur.seq));

	return min(fill, kr->ring.ndesc);
}

int mcr_drain_start(void)
{
	unsigned int i;

	mcr_drain_srcs = kcalloc(mcr_nr_drained, sizeof(*mcr_drain_srcs),
				 GFP_KERNEL);
	if (!mcr_drain_srcs)
		return -ENOMEM;
	for (i = 0; i < mcr_nr_drained; i++)
		mcr_drain_srcs[i] = &mcr_drained[i]->src;
	mcr_drainer = kthread_run(mcr_drain_thread, NULL, "mcrring-drain");
	if (IS_ERR(mcr_drainer)) {
		int ret = PTR_ERR(mcr_drainer);

		mcr_drainer = NULL;
		kfree(mcr_drain_srcs);
		mcr_drain_srcs = NULL;
		return ret;
	}
	return 0;
}

/*
 * Stops the thread. Called only on unload and on failed load, when the
 * rings and the archive are freed next: nothing is left to drain into.
 */
void mcr_drain_stop(void)
{
	irq_work_sync(&mcr_drain_wake_irq_work);
	if (!mcr_drainer)
		return;		/* a failed load, before it started */
	kthread_stop(mcr_drainer);
	mcr_drainer = NULL;
	kfree(mcr_drain_srcs);
	mcr_drain_srcs = NULL;
}

/**
 * mcr_ring_counters() - a ring's accounting
 * @kr: the ring
 * @c: filled in; c->ring is left as it is
 *
 * written = drained + dropped_full + abandoned + invalid + discarded, for
 * everything the drainer has looked at.
 *
 * Context: process; takes mcr_drain_lock.
 */
void mcr_ring_counters(struct mcr_kring *kr, struct mcr_counters *c)
{
	mutex_lock(&mcr_drain_lock);
	c->drained = kr->src.cur.drained;
	c->abandoned = kr->src.cur.abandoned;
	c->invalid = kr->src.cur.invalid;
	c->discarded = kr->src.cur.discarded;
	c->dropped_full = kr->dropped_full;
	mutex_unlock(&mcr_drain_lock);
	c->written = c->drained + c->abandoned + c->invalid + c->discarded +
		     c->dropped_full;
}
