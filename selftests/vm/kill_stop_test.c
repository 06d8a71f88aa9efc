// SPDX-License-Identifier: GPL-2.0
/*
 * Writers that die or stop in the middle of a record (invariant 6, as
 * kill_test.c): each death in flight is counted as exactly one abandoned
 * record, within the bound, and what is written after it gets through;
 * MPSC writers stopped (not killed) holding a reservation never have
 * their memory handed to another record, and a stopped SPSC writer
 * leaves the drainer idle.
 */
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
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

enum { K_MPSC, K_SPSC0, K_SPSC1 };

#ifndef NSTOP
#define NSTOP		5
#endif

/* kill_test.c's fixture, as much of it as these tests use. */
FIXTURE(kill) {
	pid_t pids[NSTOP];
	struct arc arc;
	bool loaded;
};

FIXTURE_SETUP(kill)
{
	self->arc.fd = -1;
}

FIXTURE_TEARDOWN(kill)
{
	for (int i = 0; i < NSTOP; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	arc_close(&self->arc);
	if (self->loaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

/* --- deaths in flight, exactly --------------------------------------- */

#define NFLIGHT		16
#define FLIGHT_DONE	3	/* records each victim commits first */

/*
 * In a child that dies with the test: the set and a writer of @kind (the
 * MPSC ring, or CPU 0's SPSC ring); exits 1 or 2 when they fail.
 */
static struct mcr_set *child_writer(int kind, struct mcr_writer *w)
{
	struct mcr_set *set;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mcr_open(NULL, &set))
		_exit(1);
	if (kind == K_MPSC ? mcr_writer_mpsc(set, w) :
			     mcr_writer_spsc(set, 0, w))
		_exit(2);
	return set;
}

/* Commit FLIGHT_DONE records, reserve one more and die holding it. */
static void flight_main(unsigned int id, int kind, bool fill)
{
	struct mcr_writer w;
	struct mcr_resv resv;
	char buf[256];
	size_t len;

	child_writer(kind, &w);
	for (unsigned int n = 0; n < FLIGHT_DONE; n++) {
		len = make_msg(buf, "fl", id, n);
		if (mcr_log(&w, PRI, buf, len))
			_exit(3);
	}
	len = make_msg(buf, "fl", id, FLIGHT_DONE);
	if (mcr_reserve(&w, len, &resv))
		_exit(4);
	if (fill)
		memcpy(resv.text, buf, len);
	raise(SIGKILL);
	_exit(5);
}

struct fl {
	uint64_t got[NFLIGHT];
	uint64_t bad, mine;
};

static void on_flight(void *ctx, const struct mline *l)
{
	struct fl *f = ctx;
	unsigned int id;
	uint64_t n;
	int r = check_msg(l->msg, "fl", &id, &n);

	if (r == 1 && id < NFLIGHT && n == f->got[id])
		f->got[id]++;
	else if (r == 1 && id == NFLIGHT)
		f->mine++;
	else
		f->bad++;
}

TEST_F_TIMEOUT(kill, deaths_in_flight_are_abandoned_exactly, 60)
{
	struct mcr_counters c0, c1, c;
	struct mcr_writer me;
	struct mcr_set *set;
	struct fl f = { 0 };
	uint64_t worst = 0;
	char buf[256];
	int bad_before = mcr_klog_bad_lines();

	REQUIRE_MODULE();
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(0, mcr_reload(KILL_PARAMS));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &me));
	ASSERT_EQ(0, ring_counters(self->arc.fd, 0, &c0));
	ASSERT_EQ(0, ring_counters(self->arc.fd, 1, &c1));

	for (unsigned int i = 0; i < NFLIGHT; i++) {
		int kind = i % 2 ? K_MPSC : K_SPSC0, status;
		unsigned int ring = kind == K_MPSC ? 0 : 1;
		uint64_t t0, want = (kind == K_MPSC ? c0.abandoned :
				     c1.abandoned) + i / 2 + 1;
		size_t len;
		pid_t pid = fork();

		if (pid == 0)
			flight_main(i, kind, i % 4 < 2);
		ASSERT_LT(0, pid);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("victim %u exited with %d", i, WEXITSTATUS(status));
		t0 = mcr_now_ns();
		/* Its in-flight record is abandoned within the bound ... */
		do {
			ASSERT_EQ(0, ring_counters(self->arc.fd, ring, &c));
			if (c.abandoned >= want)
				break;
			ASSERT_GT(t0 + STALL_BOUND_MS * MS, mcr_now_ns())
				TH_LOG("victim %u: ring %u abandoned %llu, want %" PRIu64,
				       i, ring, c.abandoned, want);
			sleep_us(1000);
		} while (1);
		EXPECT_EQ(want, c.abandoned);
		if (mcr_now_ns() - t0 > worst)
			worst = mcr_now_ns() - t0;
		/* ... and a record written after the death gets through. */
		len = make_msg(buf, "fl", NFLIGHT, i);
		ASSERT_EQ(0, mcr_log(&me, PRI, buf, len));
		for (t0 = mcr_now_ns(); f.mine < i + 1;) {
			ASSERT_LE(0, arc_pump(&self->arc, 10, on_flight, &f));
			ASSERT_GT(t0 + STALL_BOUND_MS * MS, mcr_now_ns());
		}
	}
	while (arc_pump(&self->arc, 50, on_flight, &f) > 0)
		;
	ASSERT_EQ(0, ring_counters(self->arc.fd, 0, &c));
	EXPECT_EQ(c0.abandoned + NFLIGHT / 2, c.abandoned);
	EXPECT_EQ(0, c.invalid);
	ASSERT_EQ(0, ring_counters(self->arc.fd, 1, &c));
	EXPECT_EQ(c1.abandoned + NFLIGHT / 2, c.abandoned);
	EXPECT_EQ(0, c.invalid);
	for (unsigned int i = 0; i < NFLIGHT; i++) {
		EXPECT_EQ(FLIGHT_DONE, f.got[i]) TH_LOG("victim %u", i);
	}
	EXPECT_EQ(0, f.bad);
	TH_LOG("%u deaths in flight, %u abandoned per ring, slowest abandon %" PRIu64 " ms",
	       NFLIGHT, NFLIGHT / 2, worst / MS);
	mcr_set_close(set);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
}

/* --- writers stopped in the middle of a record ------------------------ */

#define STOP_LEN	1000

struct stopped {
	uint32_t ready;
	uint32_t off;			/* data offset of its text */
	uint64_t seq;
};

/* Reserve, stop, and on SIGCONT fill the reservation and commit it. */
static void stopper_main(struct stopped *st, int kind)
{
	struct mcr_writer w;
	struct mcr_set *set;
	struct mcr_resv resv;
	const struct mcr_ring *r;

	set = child_writer(kind, &w);
	if (mcr_reserve(&w, STOP_LEN, &resv))
		_exit(3);
	r = mcr_set_ring(set, kind == K_MPSC ? 0 : 1);
	st->off = resv.text - (char *)r->data;
	st->seq = resv.seq;
	STORE(st->ready, 1);
	raise(SIGSTOP);
	memset(resv.text, 'X', STOP_LEN);
	mcr_commit(&w, &resv, STOP_LEN, PRI, 0);
	mcr_set_close(set);
	_exit(0);
}

/* Start a stopper and wait until it is stopped holding its reservation. */
static pid_t start_stopper(struct stopped *st, int kind)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		stopper_main(st, kind);
	if (pid < 0)
		return -1;
	if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status) ||
	    !LOAD(st->ready)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Honest records of STOP_LEN bytes: "hs N " then 'h' to the end. */
static size_t honest_msg(char *buf, uint64_t n)
{
	int o = sprintf(buf, "hs %" PRIu64 " ", n);

	memset(buf + o, 'h', STOP_LEN - o);
	buf[STOP_LEN] = '\0';
	return STOP_LEN;
}

struct hs {
	unsigned int me;		/* the honest writer's pid */
	uint64_t ok, damaged, theirs;
};

static void on_honest(void *ctx, const struct mline *l)
{
	struct hs *h = ctx;
	char want[STOP_LEN + 1];
	const char *p = l->msg + 3;
	uint64_t n;

	if (l->pid != h->me) {
		h->theirs++;	/* a stopped writer's own record, committed */
		return;
	}
	if (!strncmp(l->msg, "hs ", 3) && take_u64(&p, ' ', &n)) {
		honest_msg(want, n);
		if (!strcmp(want, l->msg)) {
			h->ok++;
			return;
		}
	}
	/* An honest record written over ("XXX...": by a stopped writer). */
	h->damaged++;
}

/* Write honest record @n, retrying while the ring is full. */
static int honest_log(struct mcr_writer *w, struct arc *a, struct hs *h,
		      uint64_t n)
{
	char buf[STOP_LEN + 1];
	uint64_t deadline = mcr_now_ns() + 3000 * MS;
	int ret;

	honest_msg(buf, n);
	while ((ret = mcr_log(w, PRI, buf, STOP_LEN)) == -ENOBUFS &&
	       mcr_now_ns() < deadline)
		arc_pump(a, 10, on_honest, h);
	return ret;
}

/*
 * DOC (proto/mcrring/ring.h): an abandoned record's "descriptor and text stay
 * pinned, not freed, until its writer commits or discards late or
 * @reclaim_ns passes, so a writer that was only slow cannot write into
 * memory handed to another record". Stop NSTOP MPSC writers in the middle
 * of a record, each after the previous one was abandoned and honest
 * records were drained behind it, for far less than reclaim_ms; then
 * write honest records until the ring refuses (memory pinned: right) or
 * one is handed the first stopped writer's text (wrong). The stopped
 * writer then finishes its record, and the honest record must still
 * arrive intact.
 */
TEST_F_TIMEOUT(kill, stopped_writers_never_write_over_others, 60)
{
	struct stopped *st = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mcr_counters c;
	struct mcr_writer me;
	struct mcr_set *set;
	const struct mcr_ring *r;
	struct hs h = { 0 };
	uint64_t honest = 0, t0;
	bool overlap = false;
	char buf[STOP_LEN + 1];
	int bad_before = mcr_klog_bad_lines();

	REQUIRE_MODULE();
	ASSERT_NE(MAP_FAILED, st);
	ASSERT_LE(0, bad_before);
	/* Small rings wrap quickly; reclaim_ms far beyond the test. */
	ASSERT_EQ(0, mcr_reload("abandon_ms=300 reclaim_ms=60000 ring_ndesc=256 ring_data_kb=64"));
	self->loaded = true;
	ASSERT_EQ(0, arc_open(&self->arc));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &me));
	r = mcr_set_ring(set, 0);
	ASSERT_NE(NULL, r);
	h.me = getpid();

	for (unsigned int i = 0; i < NSTOP; i++) {
		bool abandoned = false;

		self->pids[i] = start_stopper(&st[i], K_MPSC);
		ASSERT_LT(0, self->pids[i]);
		/*
		 * The drainer gives up on it (or, a valid choice, keeps
		 * waiting because it cannot pin one more record) ...
		 */
		for (t0 = mcr_now_ns();
		     mcr_now_ns() < t0 + 1500 * MS * mcr_time_scale();) {
			ASSERT_EQ(0, ring_counters(self->arc.fd, 0, &c));
			abandoned = c.abandoned == i + 1;
			if (abandoned)
				break;
			sleep_us(1000);
		}
		if (!abandoned) {
			TH_LOG("stopped writer %u is not abandoned: the ring waits", i);
			break;
		}
		/* ... and drains honest records past it. */
		for (int k = 0; k < 3; k++) {
			ASSERT_EQ(0, honest_log(&me, &self->arc, &h, honest++));
		}
		for (t0 = mcr_now_ns(); h.ok < honest;) {
			ASSERT_LE(0, arc_pump(&self->arc, 10, on_honest, &h));
			ASSERT_GT(t0 + STALL_BOUND_MS * MS, mcr_now_ns());
		}
	}
	/*
	 * Honest records until one is handed the first stopper's text, or
	 * the ring has refused them for a second (memory pinned: right).
	 */
	for (uint64_t refused = 0; !overlap && refused < 50;) {
		struct mcr_resv resv;
		uint32_t off;
		int ret;

		honest_msg(buf, honest);
		ret = mcr_reserve(&me, STOP_LEN, &resv);
		if (ret == -ENOBUFS) {
			refused++;
			arc_pump(&self->arc, 20, on_honest, &h);
			continue;
		}
		ASSERT_EQ(0, ret);
		refused = 0;
		memcpy(resv.text, buf, STOP_LEN);
		off = resv.text - (char *)r->data;
		if (off < st[0].off + STOP_LEN && st[0].off < off + STOP_LEN) {
			int status;

			/* Hold it while the stopped writer finishes. */
			overlap = true;
			ASSERT_EQ(0, kill(self->pids[0], SIGCONT));
			ASSERT_EQ(self->pids[0],
				  waitpid(self->pids[0], &status, 0));
			self->pids[0] = 0;
		}
		ASSERT_EQ(0, mcr_commit(&me, &resv, STOP_LEN, PRI, 0));
		honest++;
		arc_pump(&self->arc, 0, on_honest, &h);
	}
	for (unsigned int i = 0; i < NSTOP; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGCONT);
			waitpid(self->pids[i], NULL, 0);
			self->pids[i] = 0;
		}
	for (t0 = mcr_now_ns(); h.ok + h.damaged < honest &&
	     mcr_now_ns() < t0 + 3000 * MS * mcr_time_scale();)
		ASSERT_LE(0, arc_pump(&self->arc, 20, on_honest, &h));
	ASSERT_EQ(0, ring_counters(self->arc.fd, 0, &c));
	TH_LOG("%u writers stopped mid-record, %llu abandoned; honest records: %" PRIu64 " written, %" PRIu64 " intact, %" PRIu64 " damaged; an honest record was handed a stopped writer's text: %s",
	       NSTOP, c.abandoned, honest, h.ok, h.damaged,
	       overlap ? "yes" : "no");
	EXPECT_FALSE(overlap) TH_LOG("memory of a writer stopped for far less than reclaim_ms was handed to another record");
	EXPECT_EQ(0, h.damaged);
	EXPECT_EQ(honest, h.ok + h.damaged);
	mcr_set_close(set);
	munmap(st, 4096);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
}

/*
 * A writer stopped in the middle of a record on its own SPSC ring holds up
 * only that ring (the kernel waits for a live owner), and the drain thread
 * "sleeps when idle" meanwhile: it must not spin on the one record that
 * cannot move.
 */
TEST_F_TIMEOUT(kill, stopped_spsc_writer_leaves_drainer_idle, 40)
{
	struct stopped *st = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mcr_writer me;
	struct mcr_set *set;
	struct fl f = { 0 };
	int idle, busy;
	char buf[256];
	uint64_t t0;
	pid_t drainer;

	REQUIRE_MODULE();
	ASSERT_NE(MAP_FAILED, st);
	ASSERT_EQ(0, mcr_reload(NULL));
	self->loaded = true;
	drainer = drain_pid();
	ASSERT_LT(0, drainer);
	ASSERT_EQ(0, arc_open(&self->arc));
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &me));
	sleep_us(300000);		/* let the drainer settle */
	idle = cpu_percent(drainer, 1000);
	ASSERT_LE(0, idle);

	self->pids[0] = start_stopper(&st[0], K_SPSC0);
	ASSERT_LT(0, self->pids[0]);
	sleep_us(300000);
	busy = cpu_percent(drainer, 1000);
	/* Other rings still flow meanwhile. */
	ASSERT_LT(0, make_msg(buf, "fl", NFLIGHT, 0));
	ASSERT_EQ(0, mcr_log(&me, PRI, buf, strlen(buf)));
	for (t0 = mcr_now_ns(); f.mine < 1;) {
		ASSERT_LE(0, arc_pump(&self->arc, 10, on_flight, &f));
		ASSERT_GT(t0 + 2000 * MS, mcr_now_ns());
	}
	TH_LOG("drain thread CPU: %d%% idle, %d%% while an SPSC writer is stopped mid-record",
	       idle, busy);
	EXPECT_GT(50, busy) TH_LOG("the drain thread spins while a record is in flight");
	kill(self->pids[0], SIGCONT);
	waitpid(self->pids[0], NULL, 0);
	self->pids[0] = 0;
	mcr_set_close(set);
	munmap(st, 4096);
}

TEST_HARNESS_MAIN
