// SPDX-License-Identifier: GPL-2.0
/*
 * The proof-of-concept demos, run against the module: records go through
 * libmcrring into the module's rings and come back from /dev/mcrlog.
 *
 *   SPSC: a writer process claims the SPSC ring of its CPU and sends ten
 *         messages; the reader checks their order and content.
 *   MPSC: four writer threads send five messages each through the MPSC
 *         ring; the reader gets all twenty, each exactly once.
 *
 * The lines read are printed with ksft_print_msg(), so the TAP shows the
 * demo.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"

#define PRI		MCR_PRI(1, 6)
#define WAIT_MS		(10000 * (int)mcr_time_scale())	/* ms, stretched */
#define SPSC_MSGS	10
#define MPSC_THREADS	4
#define MPSC_MSGS	5

/*
 * ksft_print_msg() writes to stdout, which is a buffered file here; the
 * harness ends each test's process with _exit(), which would drop it.
 */
#define demo_msg(...) do {						\
	ksft_print_msg(__VA_ARGS__);					\
	fflush(stdout);							\
} while (0)

/* A reader of /dev/mcrlog from its end on, or NULL. */
static struct rd *rd_open_at_end(void)
{
	struct rd *r = rd_open(O_NONBLOCK);

	if (r && lseek(r->fd, 0, SEEK_END)) {
		rd_close(r);
		return NULL;
	}
	return r;
}

/* Lines still unread that carry @prefix: none once a demo is complete. */
static int leftovers(struct rd *r, const char *prefix)
{
	struct mline m;
	char *line;
	int n = 0;

	while (rd_line(r, &line, 0) >= 0)
		n += !parse_line(line, &m) &&
		     !strncmp(m.msg, prefix, strlen(prefix));
	return n;
}

/* --- SPSC ------------------------------------------------------------------ */

static void spsc_text(char *buf, size_t size, int run, int i)
{
	snprintf(buf, size, "seed-spsc run=%d msg %d/%d: hello through a claimed SPSC ring",
		 run, i + 1, SPSC_MSGS);
}

TEST(spsc_demo)
{
	int go[2], cpu, status, got = 0, run = getpid();
	char want[128], wowner[32], *line, c;
	struct rd *r;
	pid_t pid;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	r = rd_open_at_end();
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mcr_set *set;
		struct mcr_writer w;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (pin_to(cpu) || mcr_open(NULL, &set) ||
		    mcr_writer_spsc(set, cpu, &w))
			_exit(2);
		if (read(go[0], &c, 1) != 0)
			_exit(3);
		for (int i = 0; i < SPSC_MSGS; i++) {
			spsc_text(want, sizeof(want), run, i);
			if (mcr_log(&w, PRI, want, strlen(want)))
				_exit(4);
		}
		mcr_set_close(set);
		_exit(0);
	}
	close(go[0]);
	close(go[1]);		/* go */
	demo_msg("SPSC demo: writer pid %d on cpu %d (ring %d), %d messages\n",
		       pid, cpu, MCR_RING_SPSC(cpu), SPSC_MSGS);
	snprintf(wowner, sizeof(wowner), "%d/%u", pid, getuid());

	while (got < SPSC_MSGS) {
		struct mline m;

		ASSERT_LT(0, rd_line(r, &line, WAIT_MS))
			TH_LOG("got %d of %d", got, SPSC_MSGS);
		ASSERT_EQ(0, parse_line(line, &m))
			TH_LOG("bad line '%s'", line);
		if (strncmp(m.msg, "seed-spsc", 9))
			continue;	/* not ours */
		demo_msg("  %s\n", line);
		spsc_text(want, sizeof(want), run, got);
		EXPECT_STREQ(want, m.msg);
		EXPECT_EQ(MCR_RING_SPSC(cpu), m.ring);
		EXPECT_STREQ(wowner, m.owner);
		got++;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("writer status %#x", status);
	EXPECT_EQ(0, leftovers(r, "seed-spsc"));
	rd_close(r);
}

/* --- MPSC ------------------------------------------------------------------ */

struct mpsc_demo {
	struct mcr_writer *w;	/* one handle, shared by every thread */
	pthread_barrier_t start;
	int run;
	int err[MPSC_THREADS];
};

struct mpsc_thread {
	struct mpsc_demo *d;
	int t;
};

static void *mpsc_writer(void *arg)
{
	struct mpsc_thread *th = arg;
	struct mpsc_demo *d = th->d;

	pthread_barrier_wait(&d->start);
	for (int m = 0; m < MPSC_MSGS; m++) {
		int ret = mcr_logf(d->w, PRI,
				   "seed-mpsc run=%d thread %d msg %d/%d (tid %d)",
				   d->run, th->t, m + 1, MPSC_MSGS, gettid());

		if (ret < 0 && !d->err[th->t])
			d->err[th->t] = ret;
	}
	return NULL;
}

TEST(mpsc_demo)
{
	struct mpsc_thread args[MPSC_THREADS];
	int seen[MPSC_THREADS][MPSC_MSGS] = { { 0 } };
	int next[MPSC_THREADS] = { 0 };
	pthread_t th[MPSC_THREADS];
	struct mpsc_demo d = { 0 };
	struct mcr_set *set;
	struct mcr_writer w;
	char *line;
	int got = 0;
	struct rd *r;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	r = rd_open_at_end();
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, mcr_open(NULL, &set));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &w));
	d.w = &w;
	d.run = getpid();
	ASSERT_EQ(0, pthread_barrier_init(&d.start, NULL, MPSC_THREADS));
	for (int t = 0; t < MPSC_THREADS; t++) {
		args[t] = (struct mpsc_thread){ .d = &d, .t = t };
		ASSERT_EQ(0, pthread_create(&th[t], NULL, mpsc_writer, &args[t]));
	}
	for (int t = 0; t < MPSC_THREADS; t++) {
		ASSERT_EQ(0, pthread_join(th[t], NULL));
		EXPECT_EQ(0, d.err[t]) TH_LOG("thread %d", t);
	}
	demo_msg("MPSC demo: %d threads x %d messages through one shared handle\n",
		       MPSC_THREADS, MPSC_MSGS);

	while (got < MPSC_THREADS * MPSC_MSGS) {
		int run, t, m, total;
		struct mline l;

		ASSERT_LT(0, rd_line(r, &line, WAIT_MS))
			TH_LOG("got %d of %d", got, MPSC_THREADS * MPSC_MSGS);
		ASSERT_EQ(0, parse_line(line, &l))
			TH_LOG("bad line '%s'", line);
		if (strncmp(l.msg, "seed-mpsc", 9))
			continue;	/* not ours */
		demo_msg("  %s\n", line);
		ASSERT_EQ(4, sscanf(l.msg, "seed-mpsc run=%d thread %d msg %d/%d",
				    &run, &t, &m, &total));
		EXPECT_EQ(d.run, run);
		EXPECT_EQ(MPSC_MSGS, total);
		ASSERT_TRUE(t >= 0 && t < MPSC_THREADS && m >= 1 &&
			    m <= MPSC_MSGS) TH_LOG("'%s'", l.msg);
		EXPECT_EQ(MCR_RING_MPSC, l.ring);
		EXPECT_STREQ("-", l.owner);
		EXPECT_EQ(0, seen[t][m - 1]++) TH_LOG("duplicate: '%s'", l.msg);
		EXPECT_EQ(next[t] + 1, m) TH_LOG("thread %d out of order", t);
		next[t] = m;
		got++;
	}
	for (int t = 0; t < MPSC_THREADS; t++) {
		for (int m = 0; m < MPSC_MSGS; m++) {
			EXPECT_EQ(1, seen[t][m])
				TH_LOG("thread %d msg %d", t, m + 1);
		}
	}
	EXPECT_EQ(0, leftovers(r, "seed-mpsc"));
	pthread_barrier_destroy(&d.start);
	mcr_set_close(set);
	rd_close(r);
}

TEST_HARNESS_MAIN
