// SPDX-License-Identifier: GPL-2.0
/*
 * A child process writing the MPSC ring, killed with SIGKILL at random
 * moments, 20 times or more (invariant 6): each kill costs at most the
 * record it had in flight, counted abandoned and its pin reclaimed, and
 * every record it committed is delivered. MCR_SEED repeats a run.
 * Bounds and helpers: mcr_abandon.h.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_abandon.h"

FIXTURE(abandon) {
	struct ab ab;
	pid_t child;
};

FIXTURE_SETUP(abandon)
{
	ab_init(&self->ab);
	self->child = -1;
}

FIXTURE_TEARDOWN(abandon)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	ab_fini(&self->ab);
}

struct child_counters {
	__u64 started;
	__u64 committed;	/* records committed, stored after each commit */
	__u64 dropped;		/* -ENOBUFS seen, stored after each */
	__u64 slow;		/* records held past ABANDON_NS / 2 (preempted) */
};

static void __attribute__((noreturn))
child_main(struct mcr_set *set, volatile struct child_counters *cc,
	   __u32 id, pid_t parent)
{
	struct mcr_writer w;
	__u32 n = 0;
	__u64 end = mcr_now_ns() + 30000 * MS;

	mcr_writer_mpsc(set, &w);
	__atomic_store_n(&cc->started, 1, __ATOMIC_RELEASE);
	for (__u64 i = 0;; i++) {
		__u64 t0 = mcr_now_ns();
		int ret = 1;

		/* Past what the parent can book (never in practice): idle. */
		if (n < MAX_N - 1)
			ret = write_rec(&w, id, n);
		if (ret == 0) {
			if (mcr_now_ns() - t0 > ABANDON_NS / 2)
				__atomic_store_n(&cc->slow, cc->slow + 1,
						 __ATOMIC_RELEASE);
			n++;
			__atomic_store_n(&cc->committed, n, __ATOMIC_RELEASE);
		} else if (ret == -ENOBUFS) {
			__u64 t = mcr_now_ns();

			__atomic_store_n(&cc->dropped, cc->dropped + 1,
					 __ATOMIC_RELEASE);
			/*
			 * Wait for room without a system call: a kill must
			 * find the child running, at any instruction, not
			 * parked in the kernel between two records.
			 */
			while (mcr_now_ns() - t < 5000)
				;
		} else if (ret != 1) {
			_exit(2);
		}
		/* Never outlive the test. */
		if (i % 4096 == 0 &&
		    (getppid() != parent || mcr_now_ns() > end))
			_exit(3);
	}
}

TEST_F_TIMEOUT(abandon, fork_child_killed_at_random, 120)
{
	const unsigned int min_kills = 20, max_kills = 200, want_mid = 3;
	unsigned int kills = 0;
	const struct mcr_ring *r;
	struct child_counters *cc;
	struct mcr_ring_stats st0, st;
	__u64 total_committed = 0, total_abandoned = 0, total_dropped = 0;
	unsigned int seed;
	const char *s = getenv("MCR_SEED");

	/*
	 * The reclaim bound is 50 ms here: every child is dead (waited for)
	 * before its pin can matter, and the next child should find the
	 * ring unpinned; the test waits for that before each fork.
	 */
	ASSERT_EQ(0, ab_open_rings(&self->ab, 1, 1024, 65536, FORK_RECLAIM_NS));
	r = mcr_set_ring(self->ab.set, 0);
	cc = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cc);
	seed = s && *s ? (unsigned int)strtoul(s, NULL, 0) :
			 (unsigned int)(mcr_now_ns() ^ getpid());
	srandom(seed);
	ksft_print_msg("fork: seed %u (set MCR_SEED to repeat)\n", seed);
	fflush(stdout);

	/* 20 kills, more if fewer than 3 of them hit a record in flight. */
	for (unsigned int k = 0; k < min_kills ||
	     (total_abandoned < want_mid && k < max_kills); k++) {
		__u32 id = k % 16;	/* reused: its bookkeeping restarts */
		__u64 C, Dr, D, a, dd, slow, delay_us, deadline;
		int status;
		pid_t pid;

		memset(cc, 0, sizeof(*cc));
		seen_forget(&self->ab.seen, id);
		st0 = stats_of(self->ab.rd, 0);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			child_main(self->ab.set, cc, id, getppid());
		self->child = pid;
		self->ab.seen.pid[id] = pid;

		/* Once it writes, let it run 0..5 ms, draining meanwhile. */
		deadline = mcr_now_ns() + DEADLINE_NS;
		while (!__atomic_load_n(&cc->started, __ATOMIC_ACQUIRE)) {
			ASSERT_LT(mcr_now_ns(), deadline);
			pause_us(20);
		}
		delay_us = (__u64)random() % 5001;
		deadline = mcr_now_ns() + delay_us * 1000;
		while (mcr_now_ns() < deadline)
			drain_max(self->ab.rd, &self->ab.seen, 64);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		self->child = -1;
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("child status %#x", status);

		C = __atomic_load_n(&cc->committed, __ATOMIC_ACQUIRE);
		Dr = __atomic_load_n(&cc->dropped, __ATOMIC_ACQUIRE);
		slow = __atomic_load_n(&cc->slow, __ATOMIC_ACQUIRE);

		/*
		 * Drain until every reserved sequence is accounted for, and
		 * until any pin it left is reclaimed: the ring is clean for
		 * the next child.
		 */
		deadline = mcr_now_ns() + DEADLINE_NS;
		for (;;) {
			drain(self->ab.rd, &self->ab.seen);
			st = stats_of(self->ab.rd, 0);
			if (all_accounted(self->ab.rd, r, 0) &&
			    st.reclaimed == st.abandoned)
				break;
			ASSERT_LT(mcr_now_ns(), deadline)
				TH_LOG("kill %u: ring never settled", k);
			pause_us(200);
		}
		ASSERT_EQ(0, self->ab.seen.errors) TH_LOG("%s", self->ab.seen.err);

		D = self->ab.seen.count[id];
		a = st.abandoned - st0.abandoned;
		dd = st.dropped_full - st0.dropped_full;
		/*
		 * Killed after commit n: C == n, or C == n - 1 when the
		 * counter was not stored yet; killed mid-record: one
		 * abandoned. Nothing else may go missing.
		 */
		if (!slow) {
			EXPECT_TRUE((D == C && a <= 1) ||
				    (D == C + 1 && a == 0))
				TH_LOG("kill %u after %llu us: child committed %llu (or one more), delivered %llu, abandoned %llu",
				       k, (unsigned long long)delay_us,
				       (unsigned long long)C,
				       (unsigned long long)D,
				       (unsigned long long)a);
			/* Delivered: exactly its counters 0 .. D-1. */
			EXPECT_EQ((__s64)D - 1, self->ab.seen.last_n[id]);
		} else {
			/*
			 * The child was preempted mid-record for longer than
			 * half the abandon bound: that record may have been
			 * skipped as well, then committed late.
			 */
			TH_LOG("kill %u: child held %llu record(s) past ABANDON_NS / 2",
			       k, (unsigned long long)slow);
			EXPECT_TRUE(D + a == C || D + a == C + 1);
			EXPECT_LE(a, 1 + slow);
		}
		EXPECT_TRUE(dd == Dr || dd == Dr + 1);
		EXPECT_EQ(0, st.invalid - st0.invalid);
		EXPECT_EQ(0, st.discarded - st0.discarded);
		if (getenv("MCR_DEBUG"))
			ksft_print_msg("kill %u after %llu us: C %llu D %llu a %llu Dr %llu dd %llu\n",
				       k, (unsigned long long)delay_us,
				       (unsigned long long)C, (unsigned long long)D,
				       (unsigned long long)a, (unsigned long long)Dr,
				       (unsigned long long)dd);
		kills++;
		total_committed += D;
		total_abandoned += a;
		total_dropped += dd;
	}
	st = stats_of(self->ab.rd, 0);
	ksft_print_msg("fork: %u kills: %llu records delivered, %llu abandoned (killed mid-record), %llu dropped on a full ring, %llu pins reclaimed\n",
		       kills, (unsigned long long)total_committed,
		       (unsigned long long)total_abandoned,
		       (unsigned long long)total_dropped,
		       (unsigned long long)st.reclaimed);
	fflush(stdout);
	EXPECT_EQ(total_committed, st.drained);
	EXPECT_EQ(total_committed, self->ab.seen.total);
	EXPECT_EQ(total_abandoned, st.abandoned);
	EXPECT_EQ(total_abandoned, st.reclaimed);
	EXPECT_LE(total_abandoned, kills);
	munmap(cc, 4096);
}

TEST_HARNESS_MAIN
