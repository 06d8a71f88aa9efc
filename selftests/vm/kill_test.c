// SPDX-License-Identifier: GPL-2.0
/*
 * Writers killed at any instruction (invariant 6): SIGKILL writers of a
 * claimed SPSC ring and of the MPSC ring at random moments, and check
 * that each death costs at most its own in-flight record, counted as
 * abandoned; that the claim comes back; that nothing committed is lost,
 * duplicated or torn; and that survivors are stalled no longer than the
 * abandon bound. Deaths in flight counted exactly, and writers stopped
 * (not killed) in the middle of a record: kill_stop_test.c.
 */
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_vmrec.h"

#define PRI		MCR_PRI(1, 6)
#define MS		1000000ULL
#define ABANDON_MS	20
#define RECLAIM_MS	200
#define KILL_PARAMS	"abandon_ms=20 reclaim_ms=200 archive_kb=131072"
/*
 * A survivor's record must reach the archive this long after a kill
 * (stretched on the slower debug kernels).
 */
#define STALL_BOUND_MS	((ABANDON_MS + 1500) * mcr_time_scale())

/* --- writers killed at random ---------------------------------------- */

#define NKILL		200	/* at most; MCR_KILLS asks for fewer */
#define SURV_MPSC	0		/* writer ids 0, 1: never killed */
#define SURV_SPSC	1
#define FIRST_KILLED	2
#define NWRITERS	(FIRST_KILLED + NKILL)
#define MAX_SLOW	14

enum { K_MPSC, K_SPSC0, K_SPSC1 };
enum { PH_IDLE, PH_RESERVING, PH_RESERVED };
enum { ST_INIT, ST_RUNNING, ST_FAILED, ST_DONE };

/*
 * How many writers the main test kills: NKILL, or the fewer MCR_KILLS
 * asks for (mcrkills= on the guest's command line): the kcsan kernel,
 * CI's last tier, asks for fewer.
 */
static unsigned int nkills(void)
{
	const char *s = getenv("MCR_KILLS");
	char *end;
	unsigned long n;

	if (!s)
		return NKILL;
	n = strtoul(s, &end, 10);
	if (*s && !*end && n >= 1 && n <= NKILL)
		return n;
	fprintf(stderr, "# MCR_KILLS=%s: not 1 to %u, killing %u\n", s, NKILL,
		NKILL);
	return NKILL;
}

/* What a writer tells the test, in memory shared across fork. */
struct slot {
	/*
	 * Records committed << 2 | PH_*, in one word so that a kill sees
	 * both from the same moment.
	 */
	uint64_t prog;
	uint32_t state;			/* ST_* */
	uint32_t pad;
	int32_t err;
	uint32_t claim_tries;
	uint64_t dropped;		/* -ENOBUFS seen */
	uint64_t done_seq;		/* ring sequence after its last commit */
	uint32_t nslow;			/* MPSC records slower than abandon */
	uint32_t slow[MAX_SLOW];
};

struct shared {
	uint32_t stop;
	uint32_t pad;
	uint64_t reader_lines;
	struct slot slot[NWRITERS];
};

static void writer_fail(struct slot *s, int err)
{
	STORE(s->err, err);
	STORE(s->state, ST_FAILED);
	_exit(1);
}

/*
 * A writer: numbered, self-checking records in a loop (paced for the
 * survivors, flat out for the ones to be killed). The phase in @s->prog
 * says where a kill found it: IDLE, no reservation outstanding;
 * RESERVING, maybe one; RESERVED, one (record number committed),
 * committed or not. The count moves in the same store as IDLE.
 */
static void writer_main(struct shared *sh, unsigned int id, int kind,
			bool paced)
{
	struct slot *s = &sh->slot[id];
	struct mcr_writer w;
	struct mcr_set *set;
	char buf[256];
	uint64_t deadline;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ret = mcr_open(NULL, &set);
	if (ret)
		writer_fail(s, ret);
	if (kind == K_MPSC) {
		ret = mcr_writer_mpsc(set, &w);
	} else {
		/* The previous owner's release may still be in progress. */
		deadline = mcr_now_ns() + 2000 * MS;
		while ((ret = mcr_writer_spsc(set, kind == K_SPSC0 ? 0 : 1,
					      &w)) == -EBUSY &&
		       mcr_now_ns() < deadline) {
			s->claim_tries++;
			sleep_us(1000);
		}
	}
	if (ret)
		writer_fail(s, ret);
	STORE(s->state, ST_RUNNING);
	for (uint64_t n = 0; !(paced && LOAD(sh->stop)); n++) {
		size_t len = make_msg(buf, "kt", id, n);
		struct mcr_resv resv;
		uint64_t t0;

		for (;;) {
			STORE(s->prog, n << 2 | PH_RESERVING);
			t0 = mcr_now_ns();
			ret = mcr_reserve(&w, len, &resv);
			if (!ret)
				break;
			if (ret != -ENOBUFS)
				writer_fail(s, ret);
			STORE(s->dropped, s->dropped + 1);
			STORE(s->prog, n << 2 | PH_IDLE);
			sleep_us(200);
		}
		STORE(s->prog, n << 2 | PH_RESERVED);
		memcpy(resv.text, buf, len);
		ret = mcr_commit(&w, &resv, len, PRI, 0);
		if (ret)
			writer_fail(s, ret);
		STORE(s->done_seq, (uint64_t)resv.seq + 1);
		/* The drainer may have skipped an MPSC record this slow. */
		if (kind == K_MPSC &&
		    mcr_now_ns() - t0 >= (ABANDON_MS - 1) * MS) {
			if (s->nslow < MAX_SLOW)
				s->slow[s->nslow] = n;
			STORE(s->nslow, s->nslow + 1);
		}
		STORE(s->prog, (n + 1) << 2 | PH_IDLE);
		if (paced && n % 4 == 3)
			sleep_us(1000);
	}
	mcr_set_close(set);
	STORE(s->state, ST_DONE);
	_exit(0);
}

/*
 * How far the drain thread has consumed ring @ring: every sequence it
 * took, delivered or skipped (written counts refusals too); 0 on error.
 */
static uint64_t ring_cursor(int fd, unsigned int ring)
{
	struct mcr_counters c;

	if (ring_counters(fd, ring, &c))
		return 0;
	return c.written - c.dropped_full;
}

/* A `cat`: blocking reads, counting lines, until killed. */
static void cat_main(struct shared *sh)
{
	static char buf[1 << 16];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(MCR_DEV_PATH, O_RDONLY);
	if (fd < 0)
		_exit(1);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			_exit(2);
		for (char *p = buf; (p = memchr(p, '\n', buf + n - p)); p++)
			__atomic_fetch_add(&sh->reader_lines, 1,
					   __ATOMIC_SEQ_CST);
	}
}

/* The test's view of each writer, from the archive. */
struct seen {
	pid_t pid;
	int kind;
	uint64_t next;			/* next record number expected */
	uint64_t delivered;
	uint64_t missing_slow;		/* skipped, and known to be slow */
	uint64_t lost, dup, torn_owner;
	/* at the kill */
	bool killed, early;
	uint32_t phase;
	uint64_t committed;
};

struct ktest {
	struct seen w[NWRITERS];
	struct shared *sh;
	uint64_t per_ring[8];
	uint64_t torn, foreign;
};

static bool is_slow(const struct slot *s, uint64_t n)
{
	uint32_t k = LOAD(s->nslow);

	if (k > MAX_SLOW)
		return true;	/* list overflowed: cannot tell */
	for (uint32_t i = 0; i < k; i++)
		if (s->slow[i] == n)
			return true;
	return false;
}

static void on_line(void *ctx, const struct mline *l)
{
	struct ktest *t = ctx;
	unsigned int id;
	uint64_t n;
	struct seen *w;
	int r = check_msg(l->msg, "kt", &id, &n);

	if (l->ring < 8)
		t->per_ring[l->ring]++;
	if (r == 0) {
		t->foreign++;
		return;
	}
	if (r < 0 || id >= NWRITERS) {
		t->torn++;
		return;
	}
	w = &t->w[id];
	/* The kernel attests the SPSC owner: it must be the writer itself. */
	if ((unsigned int)w->pid != l->pid ||
	    (w->kind == K_MPSC ? l->ring != 0 || l->owner_pid :
	     l->owner_pid != w->pid))
		w->torn_owner++;
	if (n < w->next) {
		w->dup++;
		return;
	}
	for (uint64_t m = w->next; m < n; m++) {
		if (w->kind == K_MPSC && is_slow(&t->sh->slot[id], m))
			w->missing_slow++;
		else
			w->lost++;
	}
	w->next = n + 1;
	w->delivered++;
}

FIXTURE(kill) {
	struct shared *sh;
	pid_t pids[NWRITERS];
	pid_t cat;
	struct arc arc;
	bool loaded;
};

FIXTURE_SETUP(kill)
{
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->arc.fd = -1;
	self->cat = -1;
}

FIXTURE_TEARDOWN(kill)
{
	for (int i = 0; i < NWRITERS; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	if (self->cat > 0) {
		kill(self->cat, SIGKILL);
		waitpid(self->cat, NULL, 0);
	}
	arc_close(&self->arc);
	munmap(self->sh, sizeof(*self->sh));
	if (self->loaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

static pid_t spawn_writer(struct shared *sh, unsigned int id, int kind,
			  bool paced)
{
	pid_t pid = fork();

	if (pid == 0)
		writer_main(sh, id, kind, paced);
	return pid;
}

/* Wait for writer @id to start; false when it failed or took too long. */
static bool wait_running(struct shared *sh, unsigned int id)
{
	uint64_t deadline = mcr_now_ns() + 5000 * MS;

	while (LOAD(sh->slot[id].state) == ST_INIT && mcr_now_ns() < deadline)
		sleep_us(200);
	return LOAD(sh->slot[id].state) == ST_RUNNING;
}

/* Claim SPSC ring @ring with a fresh file, retrying for a bounded time. */
static int claim_once(unsigned int ring, unsigned int *tries)
{
	struct mcr_claim c = { .ring = ring };
	uint64_t deadline = mcr_now_ns() + 2000 * MS;
	int fd = open(MCR_DEV_PATH, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	*tries = 0;
	while ((ret = ioctl(fd, MCR_IOC_CLAIM, &c) ? -errno : 0) == -EBUSY &&
	       mcr_now_ns() < deadline) {
		(*tries)++;
		sleep_us(1000);
	}
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(kill, sigkill_writers_in_turn, 150)
{
	struct ktest *t = calloc(1, sizeof(*t));
	struct shared *sh = self->sh;
	struct mcr_counters c[3];
	uint64_t committed = 0, delivered = 0, kills_of[3] = { 0 };
	uint64_t ab_lo[3] = { 0 }, ab_hi[3] = { 0 }, dropped[3] = { 0 };
	uint64_t max_stall = 0, early = 0, extra = 0, slow = 0, t_start;
	uint64_t unborn = 0;
	char path[64];
	int afd;
	unsigned int nrings, max_tries = 0, tries;
	int bad_before, nspsc_surv;
	struct mcr_info info;
	uint64_t seed;
	unsigned int nkill = nkills();

	REQUIRE_MODULE();
	ASSERT_NE(NULL, t);
	t->sh = sh;
	seed = getenv("MCR_SEED") ? strtoull(getenv("MCR_SEED"), NULL, 0) :
				    mcr_now_ns() ^ getpid();
	rnd_state = seed | 1;
	TH_LOG("seed %#" PRIx64 " (MCR_SEED to repeat)", seed);
	bad_before = mcr_klog_bad_lines();
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(0, mcr_reload(KILL_PARAMS));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));
	ASSERT_EQ(0, ioctl(self->arc.fd, MCR_IOC_INFO, &info));
	nrings = info.nr_rings;
	ASSERT_LE(2, nrings);
	nspsc_surv = nrings >= 3;	/* cpu1's ring for a survivor */

	self->cat = fork();
	if (self->cat == 0)
		cat_main(sh);
	ASSERT_LT(0, self->cat);

	t->w[SURV_MPSC].kind = K_MPSC;
	self->pids[SURV_MPSC] = spawn_writer(sh, SURV_MPSC, K_MPSC, true);
	ASSERT_LT(0, self->pids[SURV_MPSC]);
	t->w[SURV_MPSC].pid = self->pids[SURV_MPSC];
	ASSERT_TRUE(wait_running(sh, SURV_MPSC));
	if (nspsc_surv) {
		t->w[SURV_SPSC].kind = K_SPSC1;
		self->pids[SURV_SPSC] = spawn_writer(sh, SURV_SPSC, K_SPSC1,
						     true);
		ASSERT_LT(0, self->pids[SURV_SPSC]);
		t->w[SURV_SPSC].pid = self->pids[SURV_SPSC];
		ASSERT_TRUE(wait_running(sh, SURV_SPSC));
	}

	t_start = mcr_now_ns();
	for (unsigned int k = 0; k < nkill; k++) {
		unsigned int id = FIRST_KILLED + k;
		struct seen *w = &t->w[id];
		struct slot *s = &sh->slot[id];
		int kind = rnd() % 2 ? K_MPSC : K_SPSC0;
		uint64_t t_kill, want_m, want_s;
		pid_t pid;

		w->kind = kind;
		w->early = rnd() % 10 == 0;
		pid = spawn_writer(sh, id, kind, false);
		ASSERT_LT(0, pid);
		self->pids[id] = w->pid = pid;
		if (w->early) {
			early++;
			sleep_us(rnd() % 3000);
		} else {
			ASSERT_TRUE(wait_running(sh, id)) {
				TH_LOG("writer %u (kind %d): state %u err %d after %u claim tries",
				       id, kind, s->state, s->err,
				       s->claim_tries);
			}
			sleep_us(rnd() % 20001);
		}
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
		self->pids[id] = 0;
		w->killed = true;
		w->phase = LOAD(s->prog) & 3;
		w->committed = s->prog >> 2;
		if (!w->committed)
			unborn++;
		if (LOAD(s->state) == ST_FAILED) {
			ASSERT_TRUE(w->early) TH_LOG("writer %u failed: %d",
						     id, s->err);
		}
		if (s->claim_tries > max_tries)
			max_tries = s->claim_tries;
		kills_of[kind]++;

		/*
		 * No stall beyond the bound: the drain thread is past every
		 * record the survivors had committed at the kill within it.
		 * The module is timed, not this test's reader, which reads
		 * only between kills and may be far behind the archive on a
		 * slow kernel; that everything reaches it is checked below.
		 * The clock is read right after the cursors: a failure means
		 * a cursor was seen behind after the bound, never that this
		 * reader's pump (up to 1 MiB of lines) took long.
		 */
		t_kill = mcr_now_ns();
		want_m = LOAD(sh->slot[SURV_MPSC].done_seq);
		want_s = nspsc_surv ? LOAD(sh->slot[SURV_SPSC].done_seq) : 0;
		for (;;) {
			int fd = self->arc.fd;
			uint64_t cur_m = ring_cursor(fd, MCR_RING_MPSC);
			uint64_t cur_s = ring_cursor(fd, MCR_RING_SPSC(1));
			uint64_t now = mcr_now_ns();

			if (cur_m >= want_m && cur_s >= want_s)
				break;
			ASSERT_GT(t_kill + STALL_BOUND_MS * MS, now) {
				TH_LOG("kill %u: drained up to %" PRIu64 "/%" PRIu64 " (mpsc) and %" PRIu64 "/%" PRIu64 " (cpu1) after %u ms",
				       k, cur_m, want_m, cur_s, want_s,
				       STALL_BOUND_MS);
			}
			ASSERT_LE(0, arc_pump(&self->arc, 5, on_line, t));
		}
		if (mcr_now_ns() - t_kill > max_stall)
			max_stall = mcr_now_ns() - t_kill;
		while (arc_pump(&self->arc, 0, on_line, t) > 0)
			;
	}
	TH_LOG("%u kills in %" PRIu64 " ms", nkill,
	       (uint64_t)(mcr_now_ns() - t_start) / MS);

	/* The last SPSC owner's claim was released too. */
	EXPECT_EQ(0, claim_once(MCR_RING_SPSC(0), &tries));
	if (tries > max_tries)
		max_tries = tries;

	/* Survivors finish cleanly: nothing of theirs is in flight. */
	STORE(sh->stop, 1);
	for (int i = SURV_MPSC; i <= SURV_SPSC; i++) {
		int status;

		if (self->pids[i] <= 0)
			continue;
		ASSERT_EQ(self->pids[i], waitpid(self->pids[i], &status, 0));
		self->pids[i] = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}

	/*
	 * Everything committed arrives: this reader gives up after 10 s
	 * (stretched) without a line.
	 */
	for (uint64_t quiet = 10000 * MS * mcr_time_scale(),
		      deadline = mcr_now_ns() + quiet;;) {
		bool all = true;
		int got;

		for (unsigned int i = 0; i < NWRITERS; i++)
			if (t->w[i].next < LOAD(sh->slot[i].prog) >> 2)
				all = false;
		if (all)
			break;
		ASSERT_GT(deadline, mcr_now_ns())
			TH_LOG("records missing, and no line for 10 s");
		got = arc_pump(&self->arc, 20, on_line, t);
		ASSERT_LE(0, got);
		if (got > 0)
			deadline = mcr_now_ns() + quiet;
	}
	/* Let anything late (a duplicate, a stray) show up. */
	for (uint64_t until = mcr_now_ns() + 2 * (ABANDON_MS + RECLAIM_MS) * MS;
	     mcr_now_ns() < until;)
		ASSERT_LE(0, arc_pump(&self->arc, 20, on_line, t));

	for (unsigned int i = 0; i < nrings && i < 3; i++) {
		ASSERT_EQ(0, ring_counters(self->arc.fd, i, &c[i]));
	}

	for (unsigned int i = 0; i < NWRITERS; i++) {
		struct seen *w = &t->w[i];
		struct slot *s = &sh->slot[i];
		uint64_t com = w->killed ? w->committed : LOAD(s->prog) >> 2;
		int ring = w->kind == K_MPSC ? 0 : w->kind == K_SPSC0 ? 1 : 2;

		if (!w->pid)
			continue;
		committed += com;
		delivered += w->delivered;
		dropped[ring] += LOAD(s->dropped);
		slow += w->missing_slow;
		EXPECT_EQ(0, w->lost) TH_LOG("writer %u lost records", i);
		EXPECT_EQ(0, w->dup) TH_LOG("writer %u: duplicates", i);
		EXPECT_EQ(0, w->torn_owner)
			TH_LOG("writer %u: wrong pid/ring/owner", i);
		/* Committed records missing at the end: only slow ones. */
		for (uint64_t m = w->next; m < com; m++) {
			EXPECT_TRUE(w->kind == K_MPSC && is_slow(s, m))
				TH_LOG("writer %u record %" PRIu64 " lost", i, m);
		}
		if (w->next < com)
			slow += com - w->next;
		ab_lo[ring] += w->missing_slow + (w->next < com ? com - w->next : 0);
		ab_hi[ring] += w->missing_slow + (w->next < com ? com - w->next : 0);
		if (!w->killed) {
			EXPECT_EQ(com, w->next) TH_LOG("survivor %u", i);
			continue;
		}
		/* The one record in flight at the kill, if any. */
		if (w->next == com + 1) {
			EXPECT_EQ(PH_RESERVED, w->phase)
				TH_LOG("writer %u: record %" PRIu64 " appeared though never reserved",
				       i, com);
			extra++;
		} else {
			EXPECT_GE(com, w->next) TH_LOG("writer %u: %" PRIu64 " records, %" PRIu64 " committed",
						       i, w->next, com);
			if (w->phase == PH_RESERVED)
				ab_lo[ring]++, ab_hi[ring]++;
			else if (w->phase == PH_RESERVING)
				ab_hi[ring]++;
		}
	}

	EXPECT_EQ(0, t->torn);
	EXPECT_EQ(0, t->foreign);
	EXPECT_EQ(0, self->arc.lost_markers);
	EXPECT_EQ(0, self->arc.malformed);
	EXPECT_EQ(0, self->arc.seq_breaks);
	for (unsigned int i = 0; i < nrings && i < 3; i++) {
		TH_LOG("ring %u: drained %llu abandoned %llu (expected %" PRIu64 "..%" PRIu64 ") invalid %llu discarded %llu dropped_full %llu",
		       i, c[i].drained, c[i].abandoned, ab_lo[i], ab_hi[i],
		       c[i].invalid, c[i].discarded, c[i].dropped_full);
		EXPECT_EQ(t->per_ring[i], c[i].drained);
		EXPECT_LE(ab_lo[i], c[i].abandoned);
		EXPECT_GE(ab_hi[i], c[i].abandoned);
		EXPECT_EQ(0, c[i].invalid);
		EXPECT_EQ(0, c[i].discarded);
		EXPECT_LE(dropped[i], c[i].dropped_full);
		EXPECT_GE(dropped[i] + kills_of[i], c[i].dropped_full);
	}
	/* No abandoned record on the survivor's SPSC ring. */
	if (nrings >= 3) {
		EXPECT_EQ(0, c[2].abandoned);
	}

	/* The blocking reader saw every line and did not hang. */
	for (uint64_t deadline = mcr_now_ns() + 5000 * MS * mcr_time_scale();
	     LOAD(sh->reader_lines) < self->arc.lines;) {
		ASSERT_GT(deadline, mcr_now_ns())
			TH_LOG("cat read %" PRIu64 " of %" PRIu64 " lines",
			       LOAD(sh->reader_lines), self->arc.lines);
		sleep_us(10000);
	}
	EXPECT_EQ(self->arc.lines, LOAD(sh->reader_lines));
	ASSERT_EQ(0, kill(self->cat, SIGKILL));
	ASSERT_EQ(self->cat, waitpid(self->cat, NULL, 0));
	self->cat = -1;

	TH_LOG("kills %u (spsc %" PRIu64 ", mpsc %" PRIu64 "; %" PRIu64 " within 3 ms of fork, %" PRIu64 " before any commit), committed %" PRIu64 ", delivered %" PRIu64 " (%" PRIu64 " committed as they died), abandoned %llu (mpsc %llu, spsc %llu), slow-and-skipped %" PRIu64,
	       nkill, kills_of[K_SPSC0], kills_of[K_MPSC], early, unborn,
	       committed,
	       delivered, extra,
	       c[0].abandoned + c[1].abandoned + (nrings >= 3 ? c[2].abandoned : 0),
	       c[0].abandoned, c[1].abandoned, slow);
	/*
	 * Whether the archive wrapped (archive_first_seq > 0) does not
	 * matter: both readers kept up, and a lost marker fails above.
	 */
	afd = open("/sys/kernel/mcrring/archive_first_seq", O_RDONLY);
	ASSERT_LE(0, afd);
	memset(path, 0, sizeof(path));
	ASSERT_LT(0, read(afd, path, sizeof(path) - 1));
	close(afd);
	TH_LOG("longest survivor stall %" PRIu64 " ms (bound %u ms), most claim retries %u, dropped_full %" PRIu64 ", archive lines %" PRIu64 ", first archived seq %lld",
	       max_stall / MS, STALL_BOUND_MS, max_tries,
	       dropped[0] + dropped[1] + dropped[2], self->arc.lines,
	       atoll(path));
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
	free(t);
}

TEST_HARNESS_MAIN
