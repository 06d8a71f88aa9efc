// SPDX-License-Identifier: GPL-2.0
/*
 * The ring protocol and libmcrring, one thread at a time: write/read,
 * empty, full, wrap-around, every length, fields, formatting, discard.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"

#define PRI_INFO MCR_PRI(1, 6)

FIXTURE(ring) {
	struct mcr_set *set;
	struct mcr_reader *rd;
	struct mcr_writer w;
	struct mcr_record rec;
	char text[MCR_TEXT_MAX];
};

FIXTURE_VARIANT(ring) {
	int kind;
	__u32 ndesc;
	__u32 data_size;
};

FIXTURE_VARIANT_ADD(ring, spsc) {
	.kind = MCR_WRITER_SPSC, .ndesc = 64, .data_size = 16384,
};

FIXTURE_VARIANT_ADD(ring, mpsc) {
	.kind = MCR_WRITER_MPSC, .ndesc = 64, .data_size = 16384,
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, mcr_shm_create(2, variant->ndesc, variant->data_size,
				    &self->set));
	ASSERT_EQ(0, mcr_reader_open(self->set, &self->rd));
	if (variant->kind == MCR_WRITER_SPSC) {
		ASSERT_EQ(0, mcr_writer_spsc(self->set, 0, &self->w));
	} else {
		ASSERT_EQ(0, mcr_writer_mpsc(self->set, &self->w));
	}
}

FIXTURE_TEARDOWN(ring)
{
	mcr_reader_close(self->rd);
	mcr_set_close(self->set);
}

/* Deterministic text for record @i of length @len. */
static void fill(char *buf, __u32 i, size_t len)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = (char)('a' + (i * 7 + k) % 26);
}

static int read_one(FIXTURE_DATA(ring) *self)
{
	return mcr_read(self->rd, &self->rec, self->text);
}

TEST_F(ring, empty_ring_reads_nothing)
{
	EXPECT_EQ(0, read_one(self));
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, write_then_read_one)
{
	ASSERT_EQ(0, mcr_log(&self->w, PRI_INFO, "hello", 5));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(5, self->rec.len);
	EXPECT_EQ(0, memcmp(self->text, "hello", 5));
	EXPECT_EQ(PRI_INFO, self->rec.pri);
	EXPECT_EQ((__u32)getpid(), self->rec.pid);
	EXPECT_EQ((__u32)gettid(), self->rec.tid);
	EXPECT_EQ(self->w.ring_id, self->rec.ring);
	EXPECT_EQ(0, self->rec.seq);
	EXPECT_NE(0, self->rec.ts_ns);
	EXPECT_LE(self->rec.ts_ns, mcr_now_ns());
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, every_length_0_to_max)
{
	static char buf[MCR_TEXT_MAX];

	for (__u32 len = 0; len <= MCR_TEXT_MAX; len++) {
		fill(buf, len, len);
		ASSERT_EQ(0, mcr_log(&self->w, PRI_INFO, buf, len));
		ASSERT_EQ(1, read_one(self)) TH_LOG("len %u", len);
		ASSERT_EQ(len, self->rec.len);
		ASSERT_EQ(0, memcmp(buf, self->text, len)) TH_LOG("len %u", len);
	}
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, too_long_is_refused_not_truncated)
{
	static char buf[MCR_TEXT_MAX + 1];
	struct mcr_resv resv;

	EXPECT_EQ(-EMSGSIZE, mcr_log(&self->w, PRI_INFO, buf, sizeof(buf)));
	EXPECT_EQ(-EMSGSIZE, mcr_reserve(&self->w, MCR_TEXT_MAX + 1, &resv));
	EXPECT_EQ(0, read_one(self));
	EXPECT_EQ(0, self->w.dropped);
}

TEST_F(ring, full_ring_drops_newest_and_counts)
{
	struct mcr_ring_stats st;
	char buf[100];
	__u32 ok = 0, dropped = 0;

	/* 64 descriptors: exactly 64 fit, whatever the text size allows. */
	for (__u32 i = 0; i < 100; i++) {
		int ret;

		fill(buf, i, sizeof(buf));
		ret = mcr_log(&self->w, PRI_INFO, buf, sizeof(buf));
		if (ret == 0) {
			ok++;
		} else {
			ASSERT_EQ(-ENOBUFS, ret);
			dropped++;
		}
	}
	EXPECT_EQ(64, ok);
	EXPECT_EQ(36, dropped);
	EXPECT_EQ(36, self->w.dropped);
	/* The oldest records survive, in order, intact. */
	for (__u32 i = 0; i < ok; i++) {
		ASSERT_EQ(1, read_one(self));
		EXPECT_EQ(i, self->rec.seq);
		fill(buf, i, sizeof(buf));
		EXPECT_EQ(0, memcmp(buf, self->text, sizeof(buf)));
	}
	EXPECT_EQ(0, read_one(self));
	ASSERT_EQ(0, mcr_reader_stats(self->rd, self->w.ring_id, &st));
	EXPECT_EQ(64, st.drained);
	EXPECT_EQ(36, st.dropped_full);
	/* Space came back. */
	EXPECT_EQ(0, mcr_log(&self->w, PRI_INFO, "again", 5));
	EXPECT_EQ(1, read_one(self));
}

TEST_F(ring, full_by_text_bytes)
{
	static char buf[MCR_TEXT_MAX];
	__u32 ok = 0;

	/* 16 KiB of text holds four 4 KiB records. */
	while (mcr_log(&self->w, PRI_INFO, buf, sizeof(buf)) == 0)
		ok++;
	EXPECT_EQ(4, ok);
	EXPECT_EQ(-ENOBUFS, mcr_log(&self->w, PRI_INFO, buf, sizeof(buf)));
	/* A small one still fits nowhere: the data ring is exactly full. */
	EXPECT_EQ(-ENOBUFS, mcr_log(&self->w, PRI_INFO, "x", 1));
	for (__u32 i = 0; i < ok; i++)
		ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, mcr_log(&self->w, PRI_INFO, buf, sizeof(buf)));
}

TEST_F(ring, wraps_around_many_times)
{
	char buf[1000];

	/* Odd sizes, so text crosses the end of the data ring at every
	 * offset; 1998 records lap 16 KiB of text ~60 times. */
	for (__u32 i = 0; i < 1998; i++) {
		size_t len = 1 + (i * 37) % sizeof(buf);

		fill(buf, i, len);
		ASSERT_EQ(0, mcr_log(&self->w, PRI_INFO, buf, len));
		if (i % 3 == 2) {
			for (int k = 0; k < 3; k++) {
				__u32 j = i - 2 + k;
				size_t l = 1 + (j * 37) % sizeof(buf);

				ASSERT_EQ(1, read_one(self));
				ASSERT_EQ(j, self->rec.seq);
				ASSERT_EQ(l, self->rec.len);
				fill(buf, j, l);
				ASSERT_EQ(0, memcmp(buf, self->text, l));
			}
		}
	}
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, key_value_fields)
{
	const char *fields[] = { "REQ_ID=42", "PEER=10.0.0.1:443" };
	const char want[] = "accepted\0REQ_ID=42\0PEER=10.0.0.1:443";
	const char *bad[] = { "=novalue" };
	const char *bad2[] = { "NO EQUALS" };

	ASSERT_EQ(0, mcr_log_fields(&self->w, PRI_INFO, "accepted", fields, 2));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(sizeof(want) - 1, self->rec.len);
	EXPECT_EQ(0, memcmp(want, self->text, sizeof(want) - 1));
	EXPECT_EQ(MCR_FLAG_FIELDS, self->rec.flags);
	EXPECT_EQ(-EINVAL, mcr_log_fields(&self->w, PRI_INFO, "m", bad, 1));
	EXPECT_EQ(-EINVAL, mcr_log_fields(&self->w, PRI_INFO, "m", bad2, 1));
	ASSERT_EQ(0, mcr_log_fields(&self->w, PRI_INFO, "plain", NULL, 0));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, self->rec.flags);
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, logf_formats_in_place)
{
	static char big[MCR_TEXT_MAX + 2];

	EXPECT_EQ(10, mcr_logf(&self->w, PRI_INFO, "x=%d y=%s", 42, "abc"));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(10, self->rec.len);
	EXPECT_EQ(0, memcmp("x=42 y=abc", self->text, 10));

	/* Longer than the first guess, up to exactly the limit. */
	for (size_t len = 250; len <= MCR_TEXT_MAX; len += 923) {
		memset(big, 'q', len);
		big[len] = '\0';
		EXPECT_EQ((int)len, mcr_logf(&self->w, PRI_INFO, "%s", big));
		ASSERT_EQ(1, read_one(self));
		EXPECT_EQ(len, self->rec.len);
		EXPECT_EQ(0, memcmp(big, self->text, len));
	}
	memset(big, 'q', MCR_TEXT_MAX);
	big[MCR_TEXT_MAX] = '\0';
	EXPECT_EQ(MCR_TEXT_MAX, mcr_logf(&self->w, PRI_INFO, "%s", big));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(MCR_TEXT_MAX, self->rec.len);
	big[MCR_TEXT_MAX] = 'q';
	big[MCR_TEXT_MAX + 1] = '\0';
	EXPECT_EQ(-EMSGSIZE, mcr_logf(&self->w, PRI_INFO, "%s", big));
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, reserve_commit_shorter_returns_space)
{
	struct mcr_resv resv;
	__u32 n = 0;

	/* Reserving 4 KiB and using 8 bytes must not cost 4 KiB each. */
	for (int i = 0; i < 60; i++) {
		ASSERT_EQ(0, mcr_reserve(&self->w, MCR_TEXT_MAX, &resv));
		memcpy(resv.text, "shortmsg", 8);
		ASSERT_EQ(0, mcr_commit(&self->w, &resv, 8, PRI_INFO, 0));
	}
	while (read_one(self) == 1) {
		EXPECT_EQ(8, self->rec.len);
		n++;
	}
	EXPECT_EQ(60, n);
}

TEST_F(ring, discard_leaves_no_record)
{
	struct mcr_resv a, b;
	struct mcr_ring_stats st;

	/* Newest reservation: its text goes back, its sequence does not. */
	ASSERT_EQ(0, mcr_reserve(&self->w, 10, &a));
	mcr_discard(&self->w, &a);
	/* Older reservation: published DISCARDED, skipped, counted. */
	ASSERT_EQ(0, mcr_reserve(&self->w, 10, &a));
	ASSERT_EQ(0, mcr_reserve(&self->w, 10, &b));
	memcpy(b.text, "kept", 4);
	mcr_discard(&self->w, &a);
	ASSERT_EQ(0, mcr_commit(&self->w, &b, 4, PRI_INFO, 0));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, memcmp("kept", self->text, 4));
	EXPECT_EQ(2, self->rec.seq);
	EXPECT_EQ(0, read_one(self));
	ASSERT_EQ(0, mcr_reader_stats(self->rd, self->w.ring_id, &st));
	EXPECT_EQ(1, st.drained);
	EXPECT_EQ(2, st.discarded);
}

/*
 * A reservation the consumer already skipped as abandoned, then
 * discarded by its late writer: the next record must still arrive (the
 * sequence must not be handed out twice). Found by consume_fuzz.
 */
TEST_F(ring, discard_after_abandon_loses_nothing)
{
	struct mcr_ring_stats st;
	struct mcr_resv a;

	mcr_reader_writer_gone(self->rd, self->w.ring_id);
	mcr_reader_set_bounds(self->rd, 0, 0);	/* abandon MPSC at once */
	ASSERT_EQ(0, mcr_reserve(&self->w, 10, &a));
	mcr_reader_writer_gone(self->rd, self->w.ring_id);
	EXPECT_EQ(0, read_one(self));		/* skips it as abandoned */
	mcr_discard(&self->w, &a);
	ASSERT_EQ(0, mcr_log(&self->w, PRI_INFO, "next", 4));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, memcmp("next", self->text, 4));
	ASSERT_EQ(0, mcr_reader_stats(self->rd, self->w.ring_id, &st));
	EXPECT_EQ(1, st.abandoned);
	EXPECT_EQ(1, st.drained);
}

TEST_F(ring, grow_keeps_text_in_place)
{
	struct mcr_resv a, b;
	char *text;

	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &a));
	text = a.text;
	memcpy(a.text, "12345678", 8);
	ASSERT_EQ(0, mcr_grow(&self->w, &a, 1000));
	EXPECT_EQ(text, a.text);
	EXPECT_LE(1000, a.cap);
	memset(a.text + 8, 'g', 992);
	EXPECT_EQ(-EMSGSIZE, mcr_grow(&self->w, &a, MCR_TEXT_MAX + 1));
	ASSERT_EQ(0, mcr_commit(&self->w, &a, 1000, PRI_INFO, 0));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(1000, self->rec.len);
	EXPECT_EQ(0, memcmp("12345678ggg", self->text, 11));
	/* Only the newest reservation can grow. */
	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &a));
	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &b));
	EXPECT_EQ(-ENOBUFS, mcr_grow(&self->w, &a, 100));
	ASSERT_EQ(0, mcr_commit(&self->w, &a, 8, PRI_INFO, 0));
	ASSERT_EQ(0, mcr_commit(&self->w, &b, 8, PRI_INFO, 0));
	EXPECT_EQ(1, read_one(self));
	EXPECT_EQ(1, read_one(self));
	EXPECT_EQ(0, read_one(self));
}

TEST_F(ring, commit_rejects_bad_arguments)
{
	struct mcr_resv resv;

	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &resv));
	EXPECT_EQ(-EINVAL, mcr_commit(&self->w, &resv, 9, PRI_INFO, 0));
	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &resv));
	EXPECT_EQ(-EINVAL, mcr_commit(&self->w, &resv, 8, MCR_PRI(24, 0), 0));
	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &resv));
	EXPECT_EQ(-EINVAL, mcr_commit(&self->w, &resv, 8, PRI_INFO, 0x80));
	EXPECT_EQ(0, read_one(self));
}

static void *use_from_other_thread(void *arg)
{
	struct mcr_writer *w = arg;

	return (void *)(long)mcr_log(w, PRI_INFO, "x", 1);
}

/*
 * Runtime levels: a muted priority writes nothing. mcr_log(), mcr_logf()
 * and mcr_log_fields() return -ENOMSG before touching the ring; a
 * reservation committed with a muted priority is discarded.
 */
TEST_F(ring, muted_priorities_write_nothing)
{
	const struct mcr_ring *r = mcr_set_ring(self->set, self->w.ring_id);
	unsigned char *mute = ((struct mcr_cons *)r->cons)->mute;
	const char *const fields[] = { "K=v" };
	struct mcr_ring_stats st;
	struct mcr_resv resv;
	__u64 head;

	mute[1] = 1 << 6 | 1 << 7;		/* user.info, user.debug */
	EXPECT_FALSE(mcr_enabled(&self->w, PRI_INFO));
	EXPECT_TRUE(mcr_enabled(&self->w, MCR_PRI(1, 3)));
	EXPECT_TRUE(mcr_enabled(&self->w, MCR_PRI(2, 6)));
	head = READ_ONCE(r->prod->head);
	EXPECT_EQ(-ENOMSG, mcr_log(&self->w, PRI_INFO, "no", 2));
	EXPECT_EQ(-ENOMSG, mcr_logf(&self->w, MCR_PRI(1, 7), "no %d", 1));
	EXPECT_EQ(-ENOMSG, mcr_log_fields(&self->w, PRI_INFO, "no", fields, 1));
	EXPECT_EQ(head, READ_ONCE(r->prod->head));	/* nothing written */
	ASSERT_EQ(0, mcr_reserve(&self->w, 8, &resv));
	memcpy(resv.text, "discard!", 8);
	EXPECT_EQ(-ENOMSG, mcr_commit(&self->w, &resv, 8, PRI_INFO, 0));
	ASSERT_EQ(0, mcr_log(&self->w, MCR_PRI(1, 3), "err", 3));
	ASSERT_EQ(0, mcr_log(&self->w, MCR_PRI(2, 6), "mail", 4));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, memcmp(self->text, "err", 3));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, memcmp(self->text, "mail", 4));
	EXPECT_EQ(0, read_one(self));
	ASSERT_EQ(0, mcr_reader_stats(self->rd, self->w.ring_id, &st));
	EXPECT_EQ(1, st.discarded);
	EXPECT_EQ(2, st.drained);

	mute[1] = 0;
	ASSERT_EQ(0, mcr_log(&self->w, PRI_INFO, "yes", 3));
	ASSERT_EQ(1, read_one(self));
	EXPECT_EQ(0, memcmp(self->text, "yes", 3));
}

TEST_F(ring, spsc_handle_is_bound_to_its_thread)
{
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, pthread_create(&t, NULL, use_from_other_thread, &self->w));
	ASSERT_EQ(0, pthread_join(t, &ret));
	if (variant->kind == MCR_WRITER_SPSC) {
		EXPECT_EQ(-EPERM, (long)ret);
	} else {
		EXPECT_EQ(0, (long)ret);
	}
}

TEST(geometry_is_validated)
{
	struct mcr_set *set;

	EXPECT_EQ(-EINVAL, mcr_shm_create(1, 63, 16384, &set));
	EXPECT_EQ(-EINVAL, mcr_shm_create(1, 64, 12288, &set));
	EXPECT_EQ(-EINVAL, mcr_shm_create(1, 64, 4096, &set));
	EXPECT_EQ(-EINVAL, mcr_shm_create(0, 64, 16384, &set));
	EXPECT_EQ(-EINVAL, mcr_shm_create(1, 1, 16384, &set));
	ASSERT_EQ(0, mcr_shm_create(1, 2, 8192, &set));
	mcr_set_close(set);
}

TEST(attach_checks_the_mapping)
{
	struct mcr_set *set;
	struct mcr_ring r = { 0 };
	const struct mcr_ring *src;
	void *mem;

	ASSERT_EQ(0, mcr_shm_create(1, 64, 16384, &set));
	src = mcr_set_ring(set, 0);
	mem = src->cons;	/* the ring starts with its cons page */
	EXPECT_EQ(0, mcr_ring_attach(&r, mem, mcr_ring_size(64, 16384)));
	EXPECT_EQ(64, r.ndesc);
	EXPECT_EQ((void *)src->data, (void *)r.data);
	EXPECT_EQ(-EINVAL, mcr_ring_attach(&r, mem, mcr_ring_size(64, 16384) - 1));
	src->cons->magic ^= 1;
	EXPECT_EQ(-EPROTO, mcr_ring_attach(&r, mem, mcr_ring_size(64, 16384)));
	src->cons->magic ^= 1;
	/* A ring of ABI 1 (32-byte descriptors) is not taken for this one. */
	src->cons->abi_version = 1;
	EXPECT_EQ(-EPROTO, mcr_ring_attach(&r, mem, mcr_ring_size(64, 16384)));
	src->cons->abi_version = MCR_ABI_VERSION;
	EXPECT_EQ(0, mcr_ring_attach(&r, mem, mcr_ring_size(64, 16384)));
	mcr_set_close(set);
}

/*
 * Past half full, an SPSC writer looks at the consumer's line (tail, and
 * whether the drainer sleeps) once every MCR_TAIL_EVERY records, and
 * whenever its cached tail says a record does not fit: a consumer that
 * keeps the ring over half full does not pull that line across once per
 * record. Seen through the wake hint, which only that look sets.
 */
TEST(spsc_writer_looks_at_tail_every_16th_record_past_half)
{
	const __u32 ndesc = 64;
	struct mcr_set *set;
	const struct mcr_ring *r;
	struct mcr_spsc w;
	struct mcr_resv resv;
	__u32 wakes = 0, first = 0;

	ASSERT_EQ(0, mcr_shm_create(2, ndesc, 8192, &set));
	r = mcr_set_ring(set, MCR_RING_SPSC(0));
	r->cons->flags |= MCR_CONS_NEED_WAKEUP;
	mcr_spsc_init(&w, r);
	for (__u32 i = 0; i < ndesc; i++) {
		ASSERT_EQ(0, mcr_spsc_reserve(&w, 8, &resv));
		if (resv.hint & MCR_RESV_WAKE) {
			if (!wakes++)
				first = i;
			/* Only from half full, only on the 16th records. */
			EXPECT_LE(ndesc / 2, i);
			EXPECT_EQ(0, i % MCR_TAIL_EVERY);
		}
		mcr_spsc_commit(&w, &resv, 8, 1, 1, 1, 0, PRI_INFO, 0);
	}
	EXPECT_EQ(ndesc / 2, first);
	EXPECT_EQ(ndesc / 2 / MCR_TAIL_EVERY, wakes);
	/* Full by its cache: it looks, and the record is refused. */
	EXPECT_EQ(-ENOBUFS, mcr_spsc_reserve(&w, 8, &resv));
	EXPECT_TRUE(resv.hint & MCR_RESV_WAKE);
	mcr_set_close(set);
}

/* The reader merges rings by timestamp. */
TEST(reader_merges_by_timestamp)
{
	struct mcr_set *set;
	struct mcr_reader *rd;
	struct mcr_writer s0, s1, m;
	struct mcr_record rec;
	char text[MCR_TEXT_MAX];
	__u64 last = 0;
	int n = 0;

	ASSERT_EQ(0, mcr_shm_create(3, 64, 16384, &set));
	ASSERT_EQ(0, mcr_writer_spsc(set, 0, &s0));
	ASSERT_EQ(0, mcr_writer_spsc(set, 1, &s1));
	ASSERT_EQ(0, mcr_writer_mpsc(set, &m));
	for (int i = 0; i < 30; i++) {
		struct mcr_writer *w = i % 3 == 0 ? &s0 : i % 3 == 1 ? &s1 : &m;

		ASSERT_LT(0, mcr_logf(w, PRI_INFO, "%d", i));
	}
	ASSERT_EQ(0, mcr_reader_open(set, &rd));
	while (mcr_read(rd, &rec, text) == 1) {
		char want[16];

		EXPECT_LE(last, rec.ts_ns);
		last = rec.ts_ns;
		snprintf(want, sizeof(want), "%d", n);
		EXPECT_EQ(strlen(want), rec.len);
		EXPECT_EQ(0, memcmp(want, text, rec.len));
		n++;
	}
	EXPECT_EQ(30, n);
	mcr_reader_close(rd);
	mcr_set_close(set);
}

TEST_HARNESS_MAIN
