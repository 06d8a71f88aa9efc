// SPDX-License-Identifier: GPL-2.0
/*
 * Exact accounting, end to end (DESIGN.md invariant 2): writer processes
 * (one per CPU on that CPU's claimed SPSC ring, and a few on the MPSC
 * ring) write self-checking records with unique ids; the test reads
 * /dev/mcrlog until every record is in, and checks that each appears
 * exactly once, intact and in its writer's order, and that the module's
 * counters (ioctl and sysfs) add up to exactly what the writers did and
 * what the reader saw. A second reader then sees the same records.
 *
 * Two variants: the default rings at a modest rate (drops are unlikely
 * but would be handled), and tiny rings written flat out, so that writers
 * do get -ENOBUFS and the drop counts must add up too.
 */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"

#define PRI		MCR_PRI(16, 6)
#define RECS		3000	/* records per writer */
#define NMPSC		3	/* writers on the MPSC ring */
#define MAXCPUS		64
#define MAXW		(MAXCPUS + NMPSC)
#define PACE_EVERY	64	/* a short pause every this many records */
#define PACE_NS		200000
#define DEADLINE_S	40

/* --- helpers -------------------------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/*
 * Record @i of writer @w: its ids, a filler whose length and letters
 * depend on both, and a checksum of all that. Any damage shows.
 */
static size_t payload(char *buf, unsigned int w, unsigned int i)
{
	int n = sprintf(buf, "acct w=%02u i=%05u ", w, i);
	unsigned int fill = (i * 7 + w * 13) % 120;

	for (unsigned int k = 0; k < fill; k++)
		buf[n++] = 'a' + (w * 31 + i + k) % 26;
	n += sprintf(buf + n, " ck=%08x", fnv1a(buf, n));
	return n;
}

/* --- writers -------------------------------------------------------------- */

/* What a writer reports when it is done. */
struct wres {
	unsigned int ok;		/* mcr_log() returned 0 */
	unsigned int dropped;		/* ... -ENOBUFS */
	unsigned int lib_dropped;	/* the handle's own count */
	unsigned int other;		/* any other error */
	unsigned char okmap[(RECS + 7) / 8];
};

struct writer {
	unsigned int ring;	/* 0: MPSC, 1 + cpu: SPSC */
	int cpu;		/* SPSC: the CPU it is pinned to */
	pid_t pid;
	int res_fd;
	bool reaped;
	int status;
	struct wres res;
	/* What the reader saw. */
	unsigned char seen[RECS];
	int last;
};

/* The child: claim, say ready, wait for go, write RECS records, report. */
static void __attribute__((noreturn))
writer_main(unsigned int idx, struct writer *me, int ready_fd, int go_fd,
	    bool pace)
{
	struct wres res = { 0 };
	struct mcr_set *set;
	struct mcr_writer w;
	char buf[256], c;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (me->ring != MCR_RING_MPSC && pin_to(me->cpu))
		_exit(10);
	if (mcr_open(NULL, &set))
		_exit(11);
	ret = me->ring == MCR_RING_MPSC ? mcr_writer_mpsc(set, &w) :
					  mcr_writer_spsc(set, me->cpu, &w);
	if (ret)
		_exit(12);
	if (write(ready_fd, "r", 1) != 1)
		_exit(13);
	if (read(go_fd, &c, 1) != 0)	/* EOF: go */
		_exit(14);
	for (unsigned int i = 0; i < RECS; i++) {
		size_t n = payload(buf, idx, i);

		ret = mcr_log(&w, PRI, buf, n);
		if (!ret) {
			res.ok++;
			res.okmap[i / 8] |= 1 << (i % 8);
		} else if (ret == -ENOBUFS) {
			res.dropped++;
		} else {
			res.other++;
		}
		if (pace && i % PACE_EVERY == PACE_EVERY - 1)
			sleep_us(PACE_NS / 1000);
	}
	res.lib_dropped = (unsigned int)w.dropped;
	if (write(me->res_fd, &res, sizeof(res)) != sizeof(res))
		_exit(15);
	mcr_set_close(set);	/* ends the claim: the rest drains now */
	_exit(0);
}

FIXTURE(acct) {
	bool reloaded;
	struct writer *w;
	unsigned int nw;
	struct rd *r1, *r2;
	struct mcr_set *set;
	char **lines;		/* reader 1's lines, by archive sequence */
	unsigned long long nlines;
};

FIXTURE_VARIANT(acct) {
	const char *params;	/* module parameters for this run */
	bool pace;		/* a short pause every PACE_EVERY records */
	bool must_drop;		/* the rings are too small not to drop */
};

FIXTURE_VARIANT_ADD(acct, default_rings) {
	.params = NULL,
	.pace = true,
	.must_drop = false,
};

FIXTURE_VARIANT_ADD(acct, tiny_rings_flat_out) {
	.params = "ring_ndesc=64 ring_data_kb=8",
	.pace = false,
	.must_drop = true,
};

FIXTURE_SETUP(acct)
{
	self->w = calloc(MAXW, sizeof(*self->w));
	ASSERT_NE(NULL, self->w);
}

FIXTURE_TEARDOWN(acct)
{
	for (unsigned int k = 0; k < self->nw; k++) {
		if (self->w[k].pid > 0 && !self->w[k].reaped) {
			kill(self->w[k].pid, SIGKILL);
			waitpid(self->w[k].pid, NULL, 0);
		}
		if (self->w[k].res_fd > 0)
			close(self->w[k].res_fd);
	}
	for (unsigned long long s = 0; self->lines && s < self->nlines; s++)
		free(self->lines[s]);
	free(self->lines);
	rd_close(self->r1);
	rd_close(self->r2);
	mcr_set_close(self->set);
	free(self->w);
	if (self->reloaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

static const char *ring_name(unsigned int ring, char *buf)
{
	if (ring == MCR_RING_MPSC)
		return strcpy(buf, "mpsc");
	sprintf(buf, "cpu%u", ring - 1);
	return buf;
}

/* Per-ring counters from sysfs, in struct mcr_counters' order. */
static int sysfs_counters(unsigned int ring, struct mcr_counters *c)
{
	static const char *const f[] = {
		"written", "drained", "dropped_full", "abandoned", "invalid",
		"discarded",
	};
	unsigned long long *v[] = {
		&c->written, &c->drained, &c->dropped_full, &c->abandoned,
		&c->invalid, &c->discarded,
	};
	char name[64], rn[16];

	for (int i = 0; i < 6; i++) {
		int ret;

		snprintf(name, sizeof(name), "%s/%s", ring_name(ring, rn), f[i]);
		ret = sysfs_u64(name, (unsigned long long *)v[i]);
		if (ret)
			return ret;
	}
	return 0;
}

struct tally {
	unsigned long long per_ring[1 + MAXCPUS];
	unsigned long long foreign, lost, bad_seq, bad_line, bad_payload;
	unsigned long long bad_meta, dups, order;
};

/* Check one line from reader 1 and remember it by its sequence. */
static void take_line(FIXTURE_DATA(acct) *self, struct tally *t, char *line,
		      unsigned long long cap)
{
	char want[256], owner[32];
	unsigned int wi, i;
	struct writer *w;
	struct mline m;
	char *copy = strdup(line);

	if (!strncmp(line, "# mcrring:", 10)) {
		t->lost++;
		free(copy);
		return;
	}
	if (parse_line(line, &m)) {
		t->bad_line++;
		free(copy);
		return;
	}
	if (m.seq != self->nlines || m.seq >= cap) {
		t->bad_seq++;
		free(copy);
		return;
	}
	self->lines[self->nlines++] = copy;
	if (m.ring <= MAXCPUS)
		t->per_ring[m.ring]++;
	if (sscanf(m.msg, "acct w=%u i=%u ", &wi, &i) != 2) {
		t->foreign++;
		return;
	}
	if (wi >= self->nw || i >= RECS) {
		t->bad_payload++;
		return;
	}
	w = &self->w[wi];
	payload(want, wi, i);
	if (strcmp(want, m.msg))
		t->bad_payload++;
	if (w->ring == MCR_RING_MPSC)
		strcpy(owner, "-");
	else
		snprintf(owner, sizeof(owner), "%d/%u", w->pid, getuid());
	if (m.ring != w->ring || m.pid != (unsigned int)w->pid ||
	    m.tid != (unsigned int)w->pid || m.fac != 16 || m.sev != 6 ||
	    strcmp(m.owner, owner) ||
	    (w->ring != MCR_RING_MPSC && m.cpu != (unsigned int)w->cpu))
		t->bad_meta++;
	if (w->seen[i]++)
		t->dups++;
	if ((int)i <= w->last)
		t->order++;
	w->last = i;
}

/*
 * Has the drainer accounted for every attempt on every ring? 1 yes (and
 * *drained is how many records it moved to the archive), 0 not yet, or
 * -errno.
 */
static int all_drained(FIXTURE_DATA(acct) *self, int nr_rings,
		       const unsigned long long *attempts,
		       unsigned long long *drained)
{
	*drained = 0;
	for (int ring = 0; ring < nr_rings; ring++) {
		struct mcr_counters c;
		int ret = mcr_ring_counters(self->set, ring, &c);

		if (ret)
			return ret;
		if (c.written != attempts[ring])
			return 0;
		*drained += c.drained;
	}
	return 1;
}

TEST_F_TIMEOUT(acct, every_record_once_and_counters_add_up, 90)
{
	unsigned long long attempts[1 + MAXCPUS] = { 0 };
	unsigned long long drops[1 + MAXCPUS] = { 0 };
	unsigned long long oks[1 + MAXCPUS] = { 0 };
	unsigned long long missing[1 + MAXCPUS] = { 0 };
	unsigned long long total_ok = 0, total_drop = 0, arch, first, cap;
	unsigned long long extra = 0;
	int ready[2], go[2], ncpu = 0, nr_rings;
	struct tally t = { 0 };
	uint64_t t0, deadline, settled = 0;
	cpu_set_t cs;
	char *line;

	REQUIRE_MODULE();
	/* Fresh counters and an empty archive: everything below is exact. */
	self->reloaded = variant->params != NULL;
	ASSERT_EQ(0, mcr_reload(variant->params));
	ASSERT_EQ(0, mcr_open(NULL, &self->set));
	nr_rings = mcr_set_nr_rings(self->set);
	ASSERT_LE(2, nr_rings);
	ASSERT_GE(1 + MAXCPUS, nr_rings);
	self->r1 = rd_open(O_NONBLOCK);
	ASSERT_NE(NULL, self->r1);

	/* One SPSC writer per CPU we may run on, then the MPSC writers. */
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cs), &cs));
	for (int cpu = 0; cpu < nr_rings - 1; cpu++) {
		if (!CPU_ISSET(cpu, &cs))
			continue;
		self->w[self->nw].cpu = cpu;
		self->w[self->nw++].ring = MCR_RING_SPSC(cpu);
		ncpu++;
	}
	ASSERT_LT(0, ncpu);
	for (int k = 0; k < NMPSC; k++) {
		self->w[self->nw].cpu = -1;
		self->w[self->nw++].ring = MCR_RING_MPSC;
	}
	for (unsigned int k = 0; k < self->nw; k++)
		attempts[self->w[k].ring] += RECS;
	cap = (unsigned long long)self->nw * RECS + 16;
	self->lines = calloc(cap, sizeof(*self->lines));
	ASSERT_NE(NULL, self->lines);

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	for (unsigned int k = 0; k < self->nw; k++) {
		struct writer *w = &self->w[k];
		int res[2];

		ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
		w->res_fd = res[1];
		w->last = -1;
		w->pid = fork();
		ASSERT_LE(0, w->pid);
		if (!w->pid) {
			close(ready[0]);
			close(go[1]);
			close(res[0]);
			writer_main(k, w, ready[1], go[0], variant->pace);
		}
		close(res[1]);
		w->res_fd = res[0];
	}
	close(ready[1]);
	close(go[0]);
	/* Every writer holds its claim before any of them writes. */
	for (unsigned int k = 0; k < self->nw; k++) {
		struct pollfd p = { .fd = ready[0], .events = POLLIN };
		char c;

		ASSERT_EQ(1, poll(&p, 1, 20000 * mcr_time_scale()))
			TH_LOG("writer %u not ready", k);
		ASSERT_EQ(1, read(ready[0], &c, 1))
			TH_LOG("a writer failed to set up");
	}
	close(ready[0]);
	t0 = mcr_now_ns();
	close(go[1]);

	/*
	 * Read until every writer has reported, the drainer has accounted
	 * for every attempt, and every record it drained has been read. A
	 * drained record reaches the archive in the same drain pass or the
	 * next, so once the counters settle the lines follow at once: the
	 * reader gets 5 s grace, not the whole deadline. Both are stretched
	 * on the slow kernels (MCR_TIME_SCALE).
	 */
	deadline = t0 + DEADLINE_S * mcr_time_scale() * 1000000000ULL;
	for (;;) {
		ssize_t n = rd_line(self->r1, &line, 50);
		unsigned long long drained = 0;
		bool all_reaped = true;
		int in;

		if (n >= 0) {
			take_line(self, &t, line, cap);
			continue;
		}
		ASSERT_EQ(-ETIMEDOUT, n);
		for (unsigned int k = 0; k < self->nw; k++) {
			struct writer *w = &self->w[k];

			if (w->reaped)
				continue;
			if (waitpid(w->pid, &w->status, WNOHANG) != w->pid) {
				all_reaped = false;
				continue;
			}
			w->reaped = true;
			ASSERT_TRUE(WIFEXITED(w->status) &&
				    !WEXITSTATUS(w->status))
				TH_LOG("writer %u: status %#x", k, w->status);
			ASSERT_EQ(sizeof(w->res),
				  read(w->res_fd, &w->res, sizeof(w->res)));
			total_ok += w->res.ok;
			total_drop += w->res.dropped;
			oks[w->ring] += w->res.ok;
			drops[w->ring] += w->res.dropped;
		}
		in = all_reaped ? all_drained(self, nr_rings, attempts,
					      &drained) : 0;
		ASSERT_LE(0, in);
		if (in && self->nlines >= drained)
			break;
		if (in && !settled)
			settled = mcr_now_ns();
		ASSERT_TRUE(!settled || mcr_now_ns() - settled <
			    mcr_time_scale() * 5000000000ULL)
			TH_LOG("the module drained %llu records, but only %llu lines arrived",
			       drained, self->nlines);
		ASSERT_GT(deadline, mcr_now_ns())
			TH_LOG("after %u s: %llu records read, %llu written",
			       DEADLINE_S * mcr_time_scale(), self->nlines,
			       total_ok);
	}
	TH_LOG("%u writers (%d SPSC, %d MPSC) x %d records: %llu written, %llu dropped (ENOBUFS), %llu lines read in %.1f s",
	       self->nw, ncpu, NMPSC, RECS, total_ok, total_drop,
	       self->nlines, (mcr_now_ns() - t0) / 1e9);

	/* Every record at most once, intact, in its writer's order. */
	EXPECT_EQ(0, t.lost);
	EXPECT_EQ(0, t.bad_line);
	EXPECT_EQ(0, t.bad_seq);
	EXPECT_EQ(0, t.foreign);
	EXPECT_EQ(0, t.bad_payload);
	EXPECT_EQ(0, t.bad_meta);
	EXPECT_EQ(0, t.dups);
	EXPECT_EQ(0, t.order);
	for (unsigned int k = 0; k < self->nw; k++) {
		struct writer *w = &self->w[k];

		EXPECT_EQ(RECS, w->res.ok + w->res.dropped) TH_LOG("writer %u", k);
		EXPECT_EQ(0, w->res.other) TH_LOG("writer %u", k);
		EXPECT_EQ(w->res.dropped, w->res.lib_dropped) TH_LOG("writer %u", k);
		for (unsigned int i = 0; i < RECS; i++) {
			bool ok = w->res.okmap[i / 8] & (1 << (i % 8));

			missing[w->ring] += ok && !w->seen[i];
			extra += !ok && w->seen[i];
		}
	}
	/* Nothing read that a writer did not successfully write. */
	EXPECT_EQ(0, extra);
	if (variant->must_drop) {
		EXPECT_LT(0, total_drop)
			TH_LOG("tiny rings written flat out never filled up");
	}

	/*
	 * The counters: every attempt on a ring is written, and written =
	 * drained + dropped_full + abandoned + invalid + discarded, where
	 * dropped_full is what the writers were refused, drained what the
	 * reader saw, and abandoned exactly the successful writes it did not
	 * see (an MPSC writer stalled mid-record past abandon_ms: legal, but
	 * it must be counted). Honest writers make nothing invalid, discard
	 * nothing, and SPSC writers abandon nothing.
	 */
	for (int ring = 0; ring < nr_rings; ring++) {
		struct mcr_counters c = { 0 }, s = { 0 };
		char rn[16];

		ASSERT_EQ(0, mcr_ring_counters(self->set, ring, &c));
		ASSERT_EQ(0, sysfs_counters(ring, &s));
		TH_LOG("%-5s written %llu = drained %llu + dropped_full %llu + abandoned %llu + invalid %llu + discarded %llu; read %llu",
		       ring_name(ring, rn), c.written, c.drained,
		       c.dropped_full, c.abandoned, c.invalid, c.discarded,
		       t.per_ring[ring]);
		EXPECT_EQ(attempts[ring], c.written);
		EXPECT_EQ(c.written, c.drained + c.dropped_full + c.abandoned +
				     c.invalid + c.discarded);
		EXPECT_EQ(drops[ring], c.dropped_full);
		EXPECT_EQ(t.per_ring[ring], c.drained);
		EXPECT_EQ(oks[ring], c.drained + c.abandoned);
		EXPECT_EQ(missing[ring], c.abandoned);
		EXPECT_EQ(0, c.invalid);
		EXPECT_EQ(0, c.discarded);
		if (ring != MCR_RING_MPSC) {
			EXPECT_EQ(0, c.abandoned);
		}
		EXPECT_EQ(c.written, s.written);
		EXPECT_EQ(c.drained, s.drained);
		EXPECT_EQ(c.dropped_full, s.dropped_full);
		EXPECT_EQ(c.abandoned, s.abandoned);
		EXPECT_EQ(c.invalid, s.invalid);
		EXPECT_EQ(c.discarded, s.discarded);
	}
	ASSERT_EQ(0, sysfs_u64("archived", &arch));
	ASSERT_EQ(0, sysfs_u64("archive_first_seq", &first));
	EXPECT_EQ(self->nlines, arch);
	EXPECT_EQ(0, first);

	/* A second reader, opened now, sees the very same lines. */
	self->r2 = rd_open(O_NONBLOCK);
	ASSERT_NE(NULL, self->r2);
	{
		unsigned long long same = 0, count = 0;

		while (count < self->nlines) {
			ssize_t n = rd_line(self->r2, &line,
					    5000 * mcr_time_scale());

			ASSERT_LE(0, n) TH_LOG("second reader: %llu of %llu",
					       count, self->nlines);
			same += !strcmp(line, self->lines[count]);
			count++;
		}
		EXPECT_EQ(-ETIMEDOUT, rd_line(self->r2, &line, 0));
		EXPECT_EQ(self->nlines, same);
		TH_LOG("second reader: %llu lines, %llu identical to the first reader's",
		       count, same);
	}
}

TEST_HARNESS_MAIN
