// SPDX-License-Identifier: GPL-2.0
/*
 * Writers that die, or stall, between reserve and commit (invariant 6: a
 * writer killed at any instruction costs at most its own in-flight record,
 * counted as abandoned, and stalls nothing for longer than a bounded time).
 *
 * Bounds used here (mcr_reader_set_bounds()):
 *   ABANDON_NS  20 ms: an MPSC record in flight this long is skipped and
 *               counted abandoned; its memory stays pinned.
 *   RECLAIM_NS 200 ms: a pin older than this is freed even though its
 *               writer never finished (counted reclaimed).
 * The late-writer test uses a 5 s reclaim bound instead, so that the pin
 * can only be released by the late commit itself; the fork test uses
 * 50 ms, so that each killed child's pin is gone before the next child
 * starts (see there).
 *
 * Nothing here sleeps and hopes: every wait is a poll loop on a condition
 * with a deadline (DEADLINE_NS, far above anything a healthy run needs)
 * that fails the test when it passes. The only fixed-length wait is the
 * check that an SPSC record is NOT skipped while its writer may live,
 * which by nature has to watch for a while.
 *
 * Live writer threads record every reservation that took them longer than
 * half the abandon bound (preemption on a loaded 2-core machine): only
 * such a record may ever be skipped besides the one the test kills, and
 * the test then says so. Normally there are none and the counts are exact.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"

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

#include "mcr_host.h"

/* The late writer's records all have its length, from before main(). */
static void __attribute__((constructor)) fix_late_len(void)
{
	payload_fix_len(LATE_ID, LATE_LEN);
}

/* reserve, fill, commit counter @n of writer @id */
static int write_rec(struct mcr_writer *w, __u32 id, __u32 n)
{
	__u32 len = len_of(id, n);
	struct mcr_resv r;
	int ret = mcr_reserve(w, len, &r);

	if (ret)
		return ret;
	payload_fill(r.text, id, n, len);
	return mcr_commit(w, &r, len, pri_of(id, n), 0);
}

/* --- the consumer's bookkeeping (main thread only) ---------------------- */

#define MAX_N		(1u << 20)

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
	char err[200];
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < MAX_IDS; i++)
		s->last_n[i] = -1;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < MAX_IDS; i++)
		free(s->bm[i]);
}

/* Writer id @w starts afresh (a new process reusing the id). */
static void seen_forget(struct seen *s, __u32 w)
{
	s->last_n[w] = -1;
	s->count[w] = 0;
	if (s->bm[w])
		memset(s->bm[w], 0, MAX_N / 8);
}

static void seen_fail(struct seen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void seen_fail(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->errors++) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
}

static bool delivered(const struct seen *s, __u32 w, __u32 n)
{
	return s->bm[w] && n < MAX_N && bm_test(s->bm[w], n);
}

static void seen_record(struct seen *s, const struct mcr_record *rec,
			const char *text)
{
	unsigned int ring = rec->ring;
	char why[160];
	pid_t pid;
	__u32 w, n;

	if (ring_order_next(&s->order, rec, why, sizeof(why))) {
		seen_fail(s, "%s", why);
		return;
	}
	if (s->watch_on && rec->seq == s->watch_seq)
		s->watch_hit = true;
	if (payload_check(text, rec->len, &w, &n, NULL, 0) || w >= MAX_IDS ||
	    n >= MAX_N) {
		seen_fail(s, "ring %u seq %llu: torn or foreign record (len %u)",
			  ring, (unsigned long long)rec->seq, rec->len);
		return;
	}
	pid = s->pid[w] ? s->pid[w] : getpid();
	if (rec->pri != pri_of(w, n) || rec->pid != (__u32)pid) {
		seen_fail(s, "writer %u counter %u: pri %u pid %u", w, n,
			  rec->pri, rec->pid);
		return;
	}
	if ((__s64)n <= s->last_n[w]) {
		seen_fail(s, "writer %u: counter %u after %lld", w, n,
			  (long long)s->last_n[w]);
		return;
	}
	if (!s->bm[w]) {
		s->bm[w] = calloc(MAX_N / 8, 1);
		if (!s->bm[w]) {
			seen_fail(s, "out of memory");
			return;
		}
	}
	if (!s->count[w])
		s->first_seq[w] = (__u32)rec->seq;
	bm_set(s->bm[w], n);
	s->last_n[w] = n;
	s->count[w]++;
	s->total++;
}

/* Read up to @max records; returns how many were read. */
static __u64 drain_max(struct mcr_reader *rd, struct seen *s, __u64 max)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_record rec;
	__u64 n = 0;

	while (n < max && mcr_read(rd, &rec, text) == 1) {
		seen_record(s, &rec, text);
		n++;
	}
	return n;
}

/*
 * Records one poll reads while writers run. A test that waits for
 * something must poll in bounded steps: an unbounded drain that keeps pace
 * with paced writers does not return until they are done, and the race the
 * test set up is over.
 */
#define POLL_MAX	256

/* Read until the reader has nothing; returns records read. */
static __u64 drain(struct mcr_reader *rd, struct seen *s)
{
	return drain_max(rd, s, (__u64)-1);
}

static struct mcr_ring_stats stats_of(struct mcr_reader *rd, unsigned int ring)
{
	struct mcr_ring_stats st = { 0 };

	mcr_reader_stats(rd, ring, &st);
	return st;
}

/* Every sequence the writers reserved has been accounted for. */
static bool all_accounted(struct mcr_reader *rd, const struct mcr_ring *r,
			  unsigned int ring)
{
	struct mcr_ring_stats st = stats_of(rd, ring);
	__u32 head = mcr_packed_seq(READ_ONCE(r->prod->head));

	return head == (__u32)(st.drained + st.abandoned + st.invalid +
			       st.discarded);
}

static void pause_us(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	nanosleep(&ts, NULL);
}

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

static void *live_main(void *arg)
{
	struct live *l = arg;
	struct mcr_writer w;
	int ret;

	ret = l->spsc ? mcr_writer_spsc(l->set, 0, &w) :
			mcr_writer_mpsc(l->set, &w);
	if (ret) {
		l->err = ret;
		return NULL;
	}
	for (__u32 n = 0; n < l->records;) {
		__u64 t0 = mcr_now_ns(), t1;

		if (__atomic_load_n(l->stop, __ATOMIC_RELAXED))
			return NULL;
		if (__atomic_load_n(l->hold, __ATOMIC_RELAXED) ||
		    (n == l->gate &&
		     !__atomic_load_n(l->gate_open, __ATOMIC_RELAXED))) {
			pause_us(50);
			continue;
		}
		ret = write_rec(&w, l->id, n);
		t1 = mcr_now_ns();
		if (ret == -ENOBUFS) {
			/* Lossless: wait for room and retry this counter. */
			__atomic_fetch_add(&l->enobufs, 1, __ATOMIC_RELAXED);
			pause_us(50);
			continue;
		}
		if (ret) {
			l->err = ret;
			return NULL;
		}
		if (t1 - t0 > ABANDON_NS / 2 && l->nslow < 64)
			l->slow[l->nslow++] = n;
		n++;
		__atomic_store_n(&l->commits, n, __ATOMIC_RELEASE);
		/* Paced, so the writers never crowd the 2 CPUs. */
		if (n % 32 == 0)
			pause_us(100);
	}
	return NULL;
}

static bool live_slow(const struct live *l, __u32 n)
{
	for (__u32 i = 0; i < l->nslow; i++)
		if (l->slow[i] == n)
			return true;
	return false;
}

static __u32 live_commits(const struct live *l)
{
	return __atomic_load_n(&l->commits, __ATOMIC_ACQUIRE);
}

/* --- fixture ------------------------------------------------------------ */

FIXTURE(abandon) {
	struct mcr_set *set;
	struct mcr_reader *rd;
	struct seen seen;
	struct live live[MAX_LIVE];
	unsigned int nlive;
	pthread_t late;
	bool late_started;
	int stop;
	int hold;
	__u32 gate_at;		/* live writers start with this gate; 0: none */
	int gate_open;
	pid_t child;
};

FIXTURE_SETUP(abandon)
{
	seen_init(&self->seen);
	self->child = -1;
}

FIXTURE_TEARDOWN(abandon)
{
	/* Also after a failed ASSERT: no thread outlives the rings. */
	__atomic_store_n(&self->stop, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < self->nlive; i++)
		if (self->live[i].started)
			pthread_join(self->live[i].thread, NULL);
	if (self->late_started)
		pthread_join(self->late, NULL);
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->rd)
		mcr_reader_close(self->rd);
	if (self->set)
		mcr_set_close(self->set);
	seen_free(&self->seen);
}

static int open_rings(FIXTURE_DATA(abandon) *self, unsigned int nr,
		      __u32 ndesc, __u32 data_size, __u64 reclaim_ns)
{
	int ret = mcr_shm_create(nr, ndesc, data_size, &self->set);

	if (ret)
		return ret;
	ret = mcr_reader_open(self->set, &self->rd);
	if (ret)
		return ret;
	mcr_reader_set_bounds(self->rd, ABANDON_NS, reclaim_ns);
	return 0;
}

static int start_live(FIXTURE_DATA(abandon) *self, __u32 id, __u32 records,
		      int spsc)
{
	struct live *l = &self->live[self->nlive++];

	l->set = self->set;
	l->stop = &self->stop;
	l->hold = &self->hold;
	l->gate = self->gate_at ? self->gate_at : (__u32)-1;
	l->gate_open = &self->gate_open;
	l->id = id;
	l->records = records;
	l->spsc = spsc;
	if (pthread_create(&l->thread, NULL, live_main, l))
		return -1;
	l->started = true;
	return 0;
}

static bool live_all_done(FIXTURE_DATA(abandon) *self)
{
	for (unsigned int i = 0; i < self->nlive; i++)
		if (live_commits(&self->live[i]) < self->live[i].records &&
		    !self->live[i].err)
			return false;
	return true;
}

static __u64 live_enobufs(FIXTURE_DATA(abandon) *self)
{
	__u64 sum = 0;

	for (unsigned int i = 0; i < self->nlive; i++)
		sum += __atomic_load_n(&self->live[i].enobufs,
				       __ATOMIC_RELAXED);
	return sum;
}

/* Drain while the live writers finish, then until nothing is left. */
static bool drain_until_live_done(FIXTURE_DATA(abandon) *self,
				  const struct mcr_ring *r, unsigned int ring,
				  bool spin)
{
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;

	while (!live_all_done(self) || !all_accounted(self->rd, r, ring) ||
	       drain(self->rd, &self->seen)) {
		if (mcr_now_ns() > deadline)
			return false;
		if (!drain(self->rd, &self->seen) && !spin)
			pause_us(50);
	}
	for (unsigned int i = 0; i < self->nlive; i++) {
		if (self->live[i].started)
			pthread_join(self->live[i].thread, NULL);
		self->live[i].started = false;
	}
	return true;
}

/*
 * Every live record was delivered, except possibly one that its writer
 * held longer than half the abandon bound. Returns how many are missing.
 */
static __u64 live_missing(FIXTURE_DATA(abandon) *self,
			  struct __test_metadata *_metadata,
			  const struct live *ls, unsigned int nlive)
{
	__u64 missing = 0, unexplained = 0;

	for (unsigned int i = 0; i < nlive; i++) {
		const struct live *l = &ls[i];

		for (__u32 n = 0; n < l->records; n++) {
			bool slow = live_slow(l, n);

			if (delivered(&self->seen, l->id, n))
				continue;
			missing++;
			unexplained += !slow;
			if (missing <= 10)
				TH_LOG("writer %u counter %u not delivered%s",
				       l->id, n, slow ?
				       " (its writer held it past ABANDON_NS / 2)" :
				       "");
		}
		if (l->nslow)
			TH_LOG("writer %u: %u reservation(s) held past ABANDON_NS / 2 (preempted)",
			       l->id, l->nslow);
	}
	/* Lost although its writer committed it promptly. */
	EXPECT_EQ(0, unexplained) TH_LOG("%llu of %llu missing records unexplained",
				       (unsigned long long)unexplained,
				       (unsigned long long)missing);
	return missing;
}

/* --- MPSC: a writer thread reserves and exits --------------------------- */

struct dead {
	struct mcr_set *set;
	__u32 seq;
	__u64 t_reserve;
	int ret;
};

static void *dead_main(void *arg)
{
	struct dead *d = arg;
	struct mcr_writer w;
	struct mcr_resv r;

	mcr_writer_mpsc(d->set, &w);
	d->t_reserve = mcr_now_ns();
	d->ret = mcr_reserve(&w, 100, &r);
	d->seq = r.seq;
	memset(r.text, 0xee, 100);	/* half-written, never committed */
	return NULL;			/* dies holding the reservation */
}

/*
 * Poll the reader until it has moved past @seq of @ring by abandoning it:
 * the abandoned count above @base (taken before the record's writer
 * reserved, since a preempted writer may have had one abandoned earlier),
 * and a later sequence delivered. Returns the time just before the
 * mcr_read() in which the count first rose (a lower bound of the pin's
 * start; this thread is the only consumer), or 0 on deadline; *after is
 * the time after that read.
 */
static __u64 wait_abandoned(FIXTURE_DATA(abandon) *self, unsigned int ring,
			    __u64 seq, __u64 base, __u64 *after)
{
	const struct ring_order *o = &self->seen.order;
	__u64 deadline = mcr_now_ns() + DEADLINE_NS, first = 0;

	for (;;) {
		__u64 before = mcr_now_ns(), now;

		drain_max(self->rd, &self->seen, POLL_MAX);
		now = mcr_now_ns();
		if (!first && stats_of(self->rd, ring).abandoned > base) {
			first = before;
			*after = now;
		}
		if (first && o->have_seq[ring] && o->last_seq[ring] > seq)
			return first;
		if (now > deadline)
			return 0;
		pause_us(50);
	}
}

/* Poll the reader until @ring reports @want reclaimed pins. */
static __u64 wait_reclaimed(FIXTURE_DATA(abandon) *self, unsigned int ring,
			    __u64 want)
{
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;

	for (;;) {
		__u64 now;

		drain_max(self->rd, &self->seen, POLL_MAX);
		now = mcr_now_ns();
		if (stats_of(self->rd, ring).reclaimed >= want)
			return now;
		if (now > deadline)
			return 0;
		pause_us(1000);
	}
}

TEST_F_TIMEOUT(abandon, mpsc_dead_writer_skipped_within_bound, 60)
{
	const __u32 per = 20000;
	const struct mcr_ring *r;
	struct mcr_ring_stats st;
	struct dead d = { 0 };
	__u64 t_ab0, t_ab1, t_rec, missing, deadline, base;
	pthread_t t;

	ASSERT_EQ(0, open_rings(self, 1, 4096, 1 << 20, RECLAIM_NS));
	r = mcr_set_ring(self->set, 0);
	/* Both writers stop half way until the third has died. */
	self->gate_at = per / 2;
	ASSERT_EQ(0, start_live(self, 0, per, 0));
	ASSERT_EQ(0, start_live(self, 1, per, 0));
	deadline = mcr_now_ns() + DEADLINE_NS;
	while (live_commits(&self->live[0]) < per / 2 ||
	       live_commits(&self->live[1]) < per / 2) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain(self->rd, &self->seen);
		pause_us(50);
	}
	/* One more writer dies mid-record; the others then go on. */
	base = stats_of(self->rd, 0).abandoned;
	d.set = self->set;
	ASSERT_EQ(0, pthread_create(&t, NULL, dead_main, &d));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, d.ret);
	EXPECT_EQ(per, d.seq);
	__atomic_store_n(&self->gate_open, 1, __ATOMIC_RELAXED);
	self->seen.watch_seq = d.seq;	/* the ring's only MPSC lap so far */
	self->seen.watch_on = true;

	/* Skipped once ABANDON_NS has passed, not before, and not much after. */
	t_ab0 = wait_abandoned(self, 0, d.seq, base, &t_ab1);
	ASSERT_NE(0, t_ab0) TH_LOG("in-flight record never skipped");
	EXPECT_LE(d.t_reserve + ABANDON_NS, t_ab1);
	EXPECT_GE(d.t_reserve + ABANDON_NS + 2000 * MS, t_ab1);
	ksft_print_msg("dead writer's seq %u skipped %.1f ms after its reserve (bound %llu ms)\n",
		       d.seq, (t_ab1 - d.t_reserve) / 1e6,
		       (unsigned long long)(ABANDON_NS / MS));
	fflush(stdout);

	ASSERT_TRUE(drain_until_live_done(self, r, 0, false));
	ASSERT_EQ(0, self->seen.errors) TH_LOG("%s", self->seen.err);
	EXPECT_EQ(0, self->live[0].err);
	EXPECT_EQ(0, self->live[1].err);

	/* The pin outlives the skip by RECLAIM_NS, then is freed. */
	t_rec = wait_reclaimed(self, 0, 1);
	ASSERT_NE(0, t_rec) TH_LOG("pin never reclaimed");
	EXPECT_LE(t_ab0 + RECLAIM_NS, t_rec);

	missing = live_missing(self, _metadata, self->live, 2);
	st = stats_of(self->rd, 0);
	EXPECT_EQ(1 + missing, st.abandoned);
	EXPECT_EQ(1, st.reclaimed);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(0, st.discarded);
	EXPECT_EQ(2 * per - missing, st.drained);
	EXPECT_EQ(2 * per - missing, self->seen.total);
	/* The dead writer's sequence is the one that never came. */
	EXPECT_FALSE(self->seen.watch_hit);
	EXPECT_EQ(2 * per + 1, mcr_packed_seq(READ_ONCE(r->prod->head)));
}

/*
 * The abandoned record pins its memory: a ring that fills behind it stays
 * full, drained or not, until RECLAIM_NS has passed, then works again.
 */
TEST_F_TIMEOUT(abandon, mpsc_pin_holds_ring_until_reclaim_bound, 60)
{
	const __u32 ndesc = 64;
	struct mcr_writer w;
	struct mcr_ring_stats st;
	struct dead d = { 0 };
	__u64 t_ab0, t_ab1, t_ok, deadline, base, enobufs = 0;
	__u32 n = 0, fit = 0;
	pthread_t t;
	int ret;

	ASSERT_EQ(0, open_rings(self, 1, ndesc, 65536, RECLAIM_NS));
	ASSERT_EQ(0, mcr_writer_mpsc(self->set, &w));
	base = stats_of(self->rd, 0).abandoned;
	d.set = self->set;
	ASSERT_EQ(0, pthread_create(&t, NULL, dead_main, &d));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, d.ret);

	/* Fill the ring behind the dead reservation: ndesc - 1 more fit. */
	while ((ret = write_rec(&w, 0, n)) == 0)
		n++;
	ASSERT_EQ(-ENOBUFS, ret);
	enobufs++;
	ASSERT_EQ(ndesc - 1, n);
	fit = n;

	t_ab0 = wait_abandoned(self, 0, d.seq, base, &t_ab1);
	ASSERT_NE(0, t_ab0);
	EXPECT_LE(d.t_reserve + ABANDON_NS, t_ab1);
	EXPECT_EQ(fit, self->seen.count[0]);

	/* Drained, yet still full: the pin holds the tail. */
	if (mcr_now_ns() - t_ab0 < RECLAIM_NS / 2) {
		EXPECT_EQ(-ENOBUFS, write_rec(&w, 0, n));
		enobufs++;
	}
	/* Until the reclaim bound passes. */
	deadline = mcr_now_ns() + DEADLINE_NS;
	for (;;) {
		drain(self->rd, &self->seen);
		ret = write_rec(&w, 0, n);
		if (ret == 0)
			break;
		ASSERT_EQ(-ENOBUFS, ret);
		enobufs++;
		ASSERT_LT(mcr_now_ns(), deadline) TH_LOG("ring stays full");
		pause_us(1000);
	}
	t_ok = mcr_now_ns();
	n++;
	EXPECT_LE(t_ab0 + RECLAIM_NS, t_ok);
	ksft_print_msg("ring full behind the pin for %.1f ms after the skip (reclaim bound %llu ms)\n",
		       (t_ok - t_ab1) / 1e6,
		       (unsigned long long)(RECLAIM_NS / MS));
	fflush(stdout);

	/* And keeps working: lap the ring a few times. */
	for (int i = 0; i < 20 * (int)ndesc; i++) {
		ASSERT_EQ(0, write_rec(&w, 0, n));
		n++;
		if (i % 8 == 7)
			drain(self->rd, &self->seen);
	}
	drain(self->rd, &self->seen);
	ASSERT_EQ(0, self->seen.errors) TH_LOG("%s", self->seen.err);
	st = stats_of(self->rd, 0);
	EXPECT_EQ(n, self->seen.count[0]);
	EXPECT_EQ(n, st.drained);
	EXPECT_EQ(1, st.abandoned);
	EXPECT_EQ(1, st.reclaimed);
	EXPECT_EQ(enobufs, st.dropped_full);
	EXPECT_EQ(0, st.invalid);
	EXPECT_TRUE(all_accounted(self->rd, mcr_set_ring(self->set, 0), 0));
}

/* --- MPSC: a late writer ------------------------------------------------ */

struct late {
	struct mcr_set *set;
	int *stop;
	int reserved;		/* atomic */
	int go;			/* atomic */
	int done;		/* atomic */
	__u32 seq;
	__u64 t_reserve;
	__u64 t_commit;
	__u64 enobufs;		/* atomic: full ring before it reserved */
	int ret;
};

static void *late_main(void *arg)
{
	struct late *l = arg;
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;
	struct mcr_writer w;
	struct mcr_resv r;

	mcr_writer_mpsc(l->set, &w);
	/* The others may have filled the ring: wait for room. */
	do {
		l->t_reserve = mcr_now_ns();
		l->ret = mcr_reserve(&w, LATE_LEN, &r);
		if (l->ret == -ENOBUFS)
			__atomic_fetch_add(&l->enobufs, 1, __ATOMIC_RELAXED);
	} while (l->ret == -ENOBUFS && mcr_now_ns() < deadline &&
		 !__atomic_load_n(l->stop, __ATOMIC_RELAXED) &&
		 (pause_us(50), true));
	if (l->ret)
		goto out;
	l->seq = r.seq;
	__atomic_store_n(&l->reserved, 1, __ATOMIC_RELEASE);
	/* Stalled: told to go on once skipped and the ring is full. */
	while (!__atomic_load_n(&l->go, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(l->stop, __ATOMIC_RELAXED))
			goto out;	/* the test failed: just leave */
		if (mcr_now_ns() > deadline)
			break;
		pause_us(100);
	}
	/*
	 * Writes its whole reservation only now. Had its memory been handed
	 * to other records, this would tear them.
	 */
	payload_fill(r.text, LATE_ID, 0, LATE_LEN);
	l->ret = mcr_commit(&w, &r, LATE_LEN, pri_of(LATE_ID, 0), 0);
	l->t_commit = mcr_now_ns();
out:
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F_TIMEOUT(abandon, mpsc_late_writer_counted_once_nothing_torn, 60)
{
	const __u32 per = 50000;	/* enough that they cannot finish before the ring fills */
	const struct mcr_ring *r;
	struct mcr_ring_stats st;
	struct late l = { 0 };
	__u64 t_ab0, t_ab1, deadline, full0, missing, base;
	pthread_t t;

	/* Small: the other writers fill it while the late one stalls. */
	ASSERT_EQ(0, open_rings(self, 1, 256, 32768, LATE_RECLAIM_NS));
	r = mcr_set_ring(self->set, 0);
	ASSERT_EQ(0, start_live(self, 0, per, 0));
	ASSERT_EQ(0, start_live(self, 1, per, 0));
	deadline = mcr_now_ns() + DEADLINE_NS;
	while (live_commits(&self->live[0]) < 200 ||
	       live_commits(&self->live[1]) < 200) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain_max(self->rd, &self->seen, POLL_MAX);
		pause_us(50);
	}

	/* Hold the others back until the late writer has its reservation. */
	base = stats_of(self->rd, 0).abandoned;
	__atomic_store_n(&self->hold, 1, __ATOMIC_RELAXED);
	l.set = self->set;
	l.stop = &self->stop;
	ASSERT_EQ(0, pthread_create(&t, NULL, late_main, &l));
	self->late = t;
	self->late_started = true;
	while (!__atomic_load_n(&l.reserved, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&l.done, __ATOMIC_ACQUIRE)) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain_max(self->rd, &self->seen, POLL_MAX);	/* room for it */
		pause_us(50);
	}
	ASSERT_EQ(0, l.ret);
	ASSERT_LT(l.seq, 2 * per)
		TH_LOG("the writers finished before the late one reserved");
	__atomic_store_n(&self->hold, 0, __ATOMIC_RELAXED);

	/* The reader skips the stalled record after ABANDON_NS. */
	t_ab0 = wait_abandoned(self, 0, l.seq, base, &t_ab1);
	ASSERT_NE(0, t_ab0);
	EXPECT_LE(l.t_reserve + ABANDON_NS, t_ab1);

	/*
	 * Stop reading until the writers find the ring full: every byte not
	 * pinned now holds a record nobody has read yet.
	 */
	full0 = live_enobufs(self);
	while (live_enobufs(self) == full0 && !live_all_done(self) &&
	       mcr_now_ns() < deadline)
		pause_us(100);
	EXPECT_NE(full0, live_enobufs(self));

	/* The late writer fills its text and commits. */
	__atomic_store_n(&l.go, 1, __ATOMIC_RELEASE);
	self->late_started = false;
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, l.ret);
	/* It finished well inside the reclaim bound: its commit frees it. */
	ASSERT_GT(t_ab0 + LATE_RECLAIM_NS, l.t_commit);

	ASSERT_TRUE(drain_until_live_done(self, r, 0, false));
	ASSERT_EQ(0, self->seen.errors) TH_LOG("%s", self->seen.err);
	ksft_print_msg("late writer: reserved seq %u, skipped after %.1f ms, committed %.1f ms later; ring full meanwhile (%llu -ENOBUFS)\n",
		       l.seq, (t_ab1 - l.t_reserve) / 1e6,
		       (l.t_commit - t_ab1) / 1e6,
		       (unsigned long long)live_enobufs(self));
	fflush(stdout);

	missing = live_missing(self, _metadata, self->live, 2);
	st = stats_of(self->rd, 0);
	EXPECT_EQ(0, self->seen.count[LATE_ID]);
	EXPECT_EQ(1 + missing, st.abandoned);
	EXPECT_EQ(0, st.reclaimed);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(2 * per - missing, st.drained);
	EXPECT_EQ(2 * per - missing, self->seen.total);
	EXPECT_EQ(live_enobufs(self) + l.enobufs, st.dropped_full);
}

/* --- SPSC: the writer thread exits mid-record --------------------------- */

struct spsc_dead {
	struct mcr_set *set;
	__u32 before;		/* records committed before dying */
	__u32 seq;
	int ret;
};

static void *spsc_dead_main(void *arg)
{
	struct spsc_dead *d = arg;
	struct mcr_writer w;
	struct mcr_resv r;

	d->ret = mcr_writer_spsc(d->set, 0, &w);
	for (__u32 n = 0; n < d->before && !d->ret; n++)
		d->ret = write_rec(&w, DEAD_ID, n);
	if (d->ret)
		return NULL;
	d->ret = mcr_reserve(&w, len_of(DEAD_ID, d->before), &r);
	d->seq = r.seq;
	return NULL;		/* exits holding the reservation */
}

/* Kill the first SPSC writer of ring 1 mid-record; returns its seq. */
static int spsc_writer_dies(FIXTURE_DATA(abandon) *self,
			    struct __test_metadata *_metadata, __u32 before)
{
	struct spsc_dead d = { .set = self->set, .before = before };
	__u64 t0, deadline;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, spsc_dead_main, &d));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, d.ret);
	deadline = mcr_now_ns() + DEADLINE_NS;
	while (self->seen.count[DEAD_ID] < before) {
		ASSERT_LT(mcr_now_ns(), deadline);
		drain(self->rd, &self->seen);
	}
	/*
	 * An SPSC ring waits for its writer: the reader may not know it is
	 * gone. Watch for several abandon bounds that nothing is skipped.
	 */
	t0 = mcr_now_ns();
	while (mcr_now_ns() - t0 < 3 * ABANDON_NS) {
		EXPECT_EQ(0, drain(self->rd, &self->seen));
		EXPECT_EQ(0, stats_of(self->rd, 1).abandoned);
		pause_us(1000);
	}
	/* Told, it skips the record at once: one call. */
	mcr_reader_writer_gone(self->rd, 1);
	EXPECT_EQ(0, drain(self->rd, &self->seen));
	EXPECT_EQ(1, stats_of(self->rd, 1).abandoned);
	EXPECT_EQ(before, self->seen.count[DEAD_ID]);
	return (int)d.seq;
}

TEST_F_TIMEOUT(abandon, spsc_writer_gone_then_new_writer, 60)
{
	const __u32 per = 20000;
	const struct mcr_ring *r;
	struct mcr_ring_stats st;
	__u64 t_rec, missing;
	int dead_seq;

	ASSERT_EQ(0, open_rings(self, 2, 1024, 65536, RECLAIM_NS));
	r = mcr_set_ring(self->set, 1);
	dead_seq = spsc_writer_dies(self, _metadata, 100);

	/*
	 * A new writer claims the ring from a new thread and goes on, the
	 * reader polling all the while: it sees many of the new writer's
	 * records in flight, and must wait for them.
	 */
	ASSERT_EQ(0, start_live(self, 0, per, 1));
	ASSERT_TRUE(drain_until_live_done(self, r, 1, true));
	ASSERT_EQ(0, self->seen.errors) TH_LOG("%s", self->seen.err);
	EXPECT_EQ(0, self->live[0].err);

	/* Its first record directly follows the dead one. */
	EXPECT_EQ((__u32)dead_seq + 1, self->seen.first_seq[0]);
	t_rec = wait_reclaimed(self, 1, 1);
	EXPECT_NE(0, t_rec);
	missing = live_missing(self, _metadata, self->live, 1);
	st = stats_of(self->rd, 1);
	ksft_print_msg("spsc: new writer delivered %llu of %u, ring abandoned %llu (want 1), reclaimed %llu\n",
		       (unsigned long long)self->seen.count[0], per,
		       (unsigned long long)st.abandoned,
		       (unsigned long long)st.reclaimed);
	fflush(stdout);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(1, st.abandoned);
	EXPECT_EQ(1, st.reclaimed);
	EXPECT_EQ(0, st.invalid);
	EXPECT_EQ(100 + per, st.drained);
}

/*
 * Minimal, deterministic form of the above: after writer_gone, a new
 * writer's record that is merely in flight must not be abandoned.
 */
TEST_F_TIMEOUT(abandon, spsc_writer_gone_applies_to_dead_writer_only, 30)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_writer w;
	struct mcr_resv resv;
	struct mcr_record rec;
	__u32 len = len_of(0, 0);

	ASSERT_EQ(0, open_rings(self, 2, 64, 16384, RECLAIM_NS));
	spsc_writer_dies(self, _metadata, 3);

	/* This thread is the ring's new writer. */
	ASSERT_EQ(0, mcr_writer_spsc(self->set, 0, &w));
	ASSERT_EQ(0, mcr_reserve(&w, len, &resv));
	/* The reader looks while the record is being written ... */
	EXPECT_EQ(0, mcr_read(self->rd, &rec, text));
	EXPECT_EQ(1, stats_of(self->rd, 1).abandoned);
	/* ... and must deliver it once committed. */
	payload_fill(resv.text, 0, 0, len);
	ASSERT_EQ(0, mcr_commit(&w, &resv, len, pri_of(0, 0), 0));
	drain(self->rd, &self->seen);
	ASSERT_EQ(0, self->seen.errors) TH_LOG("%s", self->seen.err);
	EXPECT_EQ(1, self->seen.count[0]);
	EXPECT_EQ(1, stats_of(self->rd, 1).abandoned);
}

/* --- a child process killed at random moments --------------------------- */

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
	ASSERT_EQ(0, open_rings(self, 1, 1024, 65536, FORK_RECLAIM_NS));
	r = mcr_set_ring(self->set, 0);
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
		seen_forget(&self->seen, id);
		st0 = stats_of(self->rd, 0);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			child_main(self->set, cc, id, getppid());
		self->child = pid;
		self->seen.pid[id] = pid;

		/* Once it writes, let it run 0..5 ms, draining meanwhile. */
		deadline = mcr_now_ns() + DEADLINE_NS;
		while (!__atomic_load_n(&cc->started, __ATOMIC_ACQUIRE)) {
			ASSERT_LT(mcr_now_ns(), deadline);
			pause_us(20);
		}
		delay_us = (__u64)random() % 5001;
		deadline = mcr_now_ns() + delay_us * 1000;
		while (mcr_now_ns() < deadline)
			drain_max(self->rd, &self->seen, 64);
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
			drain(self->rd, &self->seen);
			st = stats_of(self->rd, 0);
			if (all_accounted(self->rd, r, 0) &&
			    st.reclaimed == st.abandoned)
				break;
			ASSERT_LT(mcr_now_ns(), deadline)
				TH_LOG("kill %u: ring never settled", k);
			pause_us(200);
		}
		ASSERT_EQ(0, self->seen.errors) TH_LOG("%s", self->seen.err);

		D = self->seen.count[id];
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
			EXPECT_EQ((__s64)D - 1, self->seen.last_n[id]);
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
	st = stats_of(self->rd, 0);
	ksft_print_msg("fork: %u kills: %llu records delivered, %llu abandoned (killed mid-record), %llu dropped on a full ring, %llu pins reclaimed\n",
		       kills, (unsigned long long)total_committed,
		       (unsigned long long)total_abandoned,
		       (unsigned long long)total_dropped,
		       (unsigned long long)st.reclaimed);
	fflush(stdout);
	EXPECT_EQ(total_committed, st.drained);
	EXPECT_EQ(total_committed, self->seen.total);
	EXPECT_EQ(total_abandoned, st.abandoned);
	EXPECT_EQ(total_abandoned, st.reclaimed);
	EXPECT_LE(total_abandoned, kills);
	munmap(cc, 4096);
}

TEST_HARNESS_MAIN
