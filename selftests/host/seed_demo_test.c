// SPDX-License-Identifier: GPL-2.0
/*
 * The proof of concept's two demos, as tests. Run the binary to watch
 * them: every message the reader receives is printed.
 *
 *   SPSC: one writer thread sends 10 messages; one reader thread receives
 *         them in order, each with its text, sequence and writer intact.
 *   MPSC: 4 writer threads send 5 messages each; one reader thread
 *         receives all 20, each exactly once, each writer's in order.
 *
 * The reader thread waits for its messages with a deadline, never for a
 * fixed time; everything it finds is checked by the test thread after
 * joining it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcrring.h"
#include "kselftest_harness.h"

#define PRI_INFO	MCR_PRI(1, 6)
#define DEADLINE_NS	(10ULL * 1000 * 1000 * 1000)
#define MAX_MSGS	32

struct demo;

struct demo_writer {
	struct demo *demo;
	pthread_t thread;
	unsigned int id;
	pid_t tid;
	int err;		/* first failing return value */
};

struct got {
	struct mcr_record rec;
	char text[128];
};

struct demo {
	struct mcr_set *set;
	struct mcr_reader *rd;
	int kind;
	unsigned int nwriters;
	unsigned int per_writer;
	struct demo_writer w[4];
	/* The reader thread's findings. */
	pthread_t reader;
	unsigned int ngot;
	struct got got[MAX_MSGS];
	bool timed_out;
};

static int msg_text(char *buf, size_t size, int kind, unsigned int w,
		    unsigned int i)
{
	return snprintf(buf, size, "%s writer %u: message %u of the demo",
			kind == MCR_WRITER_SPSC ? "spsc" : "mpsc", w, i);
}

static void *writer_main(void *arg)
{
	struct demo_writer *dw = arg;
	struct demo *d = dw->demo;
	struct mcr_writer w;
	char buf[128];
	int ret;

	/* An SPSC handle binds to the thread that makes it. */
	ret = d->kind == MCR_WRITER_SPSC ? mcr_writer_spsc(d->set, 0, &w) :
					   mcr_writer_mpsc(d->set, &w);
	dw->tid = mcr_gettid();
	for (unsigned int i = 0; i < d->per_writer && !ret; i++) {
		int len = msg_text(buf, sizeof(buf), d->kind, dw->id, i);

		ret = mcr_log(&w, PRI_INFO, buf, (size_t)len);
	}
	dw->err = ret;
	return NULL;
}

static void *reader_main(void *arg)
{
	static char text[MCR_TEXT_MAX];
	struct demo *d = arg;
	unsigned int want = d->nwriters * d->per_writer;
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;
	struct mcr_record rec;

	while (d->ngot < want) {
		if (mcr_read(d->rd, &rec, text) != 1) {
			if (mcr_now_ns() > deadline) {
				d->timed_out = true;
				return NULL;
			}
			sched_yield();
			continue;
		}
		d->got[d->ngot].rec = rec;
		memcpy(d->got[d->ngot].text, text,
		       rec.len < sizeof(d->got[0].text) - 1 ?
		       rec.len : sizeof(d->got[0].text) - 1);
		d->ngot++;
	}
	return NULL;
}

FIXTURE(demo) {
	struct demo d;
};

FIXTURE_SETUP(demo)
{
	ASSERT_EQ(0, mcr_shm_create(2, 64, 16384, &self->d.set));
	ASSERT_EQ(0, mcr_reader_open(self->d.set, &self->d.rd));
}

FIXTURE_TEARDOWN(demo)
{
	mcr_reader_close(self->d.rd);
	mcr_set_close(self->d.set);
}

static void run_demo(struct demo *d, struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, pthread_create(&d->reader, NULL, reader_main, d));
	for (unsigned int i = 0; i < d->nwriters; i++) {
		d->w[i].demo = d;
		d->w[i].id = i;
		ASSERT_EQ(0, pthread_create(&d->w[i].thread, NULL, writer_main,
					    &d->w[i]));
	}
	for (unsigned int i = 0; i < d->nwriters; i++)
		ASSERT_EQ(0, pthread_join(d->w[i].thread, NULL));
	ASSERT_EQ(0, pthread_join(d->reader, NULL));
	for (unsigned int i = 0; i < d->nwriters; i++)
		ASSERT_EQ(0, d->w[i].err);
	ASSERT_FALSE(d->timed_out) TH_LOG("reader got %u messages", d->ngot);
	ASSERT_EQ(d->nwriters * d->per_writer, d->ngot);
	for (unsigned int i = 0; i < d->ngot; i++)
		ksft_print_msg("  read seq %llu tid %u: %.*s\n",
			       (unsigned long long)d->got[i].rec.seq,
			       d->got[i].rec.tid, (int)d->got[i].rec.len,
			       d->got[i].text);
	fflush(stdout);
}

/* Which writer sent this text, and which message is it? */
static bool parse(const struct demo *d, const struct got *g, unsigned int *w,
		  unsigned int *i)
{
	char want[128];
	int len;

	if (sscanf(g->text, "%*s writer %u: message %u", w, i) != 2 ||
	    *w >= d->nwriters || *i >= d->per_writer)
		return false;
	len = msg_text(want, sizeof(want), d->kind, *w, *i);
	return g->rec.len == (__u32)len && !memcmp(want, g->text, (size_t)len);
}

TEST_F(demo, spsc_one_writer_ten_messages)
{
	struct demo *d = &self->d;
	unsigned int w, i;

	d->kind = MCR_WRITER_SPSC;
	d->nwriters = 1;
	d->per_writer = 10;
	run_demo(d, _metadata);

	for (unsigned int k = 0; k < d->ngot; k++) {
		const struct got *g = &d->got[k];

		ASSERT_TRUE(parse(d, g, &w, &i)) TH_LOG("bad text '%s'", g->text);
		EXPECT_EQ(k, i);		/* in order, none missing */
		EXPECT_EQ(k, g->rec.seq);	/* the ring's sequence */
		EXPECT_EQ(MCR_RING_SPSC(0), g->rec.ring);
		EXPECT_EQ((__u32)d->w[0].tid, g->rec.tid);
		EXPECT_EQ((__u32)getpid(), g->rec.pid);
		EXPECT_EQ(PRI_INFO, g->rec.pri);
	}
	EXPECT_EQ(0, mcr_read(d->rd, &d->got[0].rec, (char[MCR_TEXT_MAX]){ 0 }));
}

TEST_F(demo, mpsc_four_writers_five_messages_each)
{
	struct demo *d = &self->d;
	unsigned int count[4][5] = { { 0 } };
	int last[4] = { -1, -1, -1, -1 };
	struct mcr_ring_stats st;
	unsigned int w, i;

	d->kind = MCR_WRITER_MPSC;
	d->nwriters = 4;
	d->per_writer = 5;
	run_demo(d, _metadata);

	for (unsigned int k = 0; k < d->ngot; k++) {
		const struct got *g = &d->got[k];

		ASSERT_TRUE(parse(d, g, &w, &i)) TH_LOG("bad text '%s'", g->text);
		count[w][i]++;
		EXPECT_LT(last[w], (int)i);	/* each writer's order kept */
		last[w] = (int)i;
		EXPECT_EQ(k, g->rec.seq);
		EXPECT_EQ(MCR_RING_MPSC, g->rec.ring);
		EXPECT_EQ((__u32)d->w[w].tid, g->rec.tid);
	}
	for (w = 0; w < 4; w++)
		for (i = 0; i < 5; i++)
			EXPECT_EQ(1, count[w][i]) TH_LOG("writer %u message %u", w, i);
	EXPECT_EQ(0, mcr_read(d->rd, &d->got[0].rec, (char[MCR_TEXT_MAX]){ 0 }));
	ASSERT_EQ(0, mcr_reader_stats(d->rd, MCR_RING_MPSC, &st));
	EXPECT_EQ(20, st.drained);
	EXPECT_EQ(0, st.abandoned + st.invalid + st.discarded + st.dropped_full);
}

TEST_HARNESS_MAIN
