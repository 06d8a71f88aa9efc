// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's smoke (--smoke, `make bench-smoke`): that every scenario ran
 * on every ring that can run it and delivered what it accepted, and that
 * the checks bite: the consumer's checks against streams with known
 * faults, the seed's MPSC writers around a slow one, a full mcrring ring.
 * Prints the TAP lines; asserts no timing.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "lcmsg.h"
#include "loops.h"
#include "seed.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */

static void feed(struct cctx *c, unsigned int wi, uint64_t s, uint32_t len,
		 bool tear)
{
	unsigned char msg[64];
	uint64_t id = (uint64_t)wi << SEQ_BITS | s, zero = 0;

	memset(msg, 'x', sizeof(msg));
	memcpy(msg, &id, 8);
	memcpy(msg + 8, &zero, 8);
	memcpy(msg + 32 - 8, &id, 8);
	if (tear)
		msg[30] ^= 0xff;
	check_record(c, msg, len, 32, 2);
}

static struct cctx *checker(void)
{
	struct cctx *c = calloc(1, sizeof(*c));

	c->maxseq = 64;
	c->seen[0] = calloc(1, 8);
	c->seen[1] = calloc(1, 8);
	return c;
}

static void checker_free(struct cctx *c)
{
	free(c->seen[0]);
	free(c->seen[1]);
	free(c);
}

/* The validator against streams with known faults. */
static bool selftest_checks(char *why, size_t n)
{
	struct cctx *c;
	bool ok = true;

#define EXPECT(cond, what)						\
	do {								\
		if (!(cond)) {						\
			ok = false;					\
			snprintf(why, n, "check did not catch %s", what); \
		}							\
	} while (0)
	c = checker();		/* clean, interleaved writers */
	for (uint64_t s = 0; s < 8; s++) {
		feed(c, 0, s, 32, false);
		feed(c, 1, s, 32, false);
	}
	EXPECT(c->received == 16 && !c->reordered && !c->dups && !c->torn,
	       "a clean stream (false alarm)");
	checker_free(c);

	c = checker();		/* one record accepted, never delivered */
	for (uint64_t s = 0; s < 8; s++)
		if (s != 5)
			feed(c, 0, s, 32, false);
	EXPECT(8 - (c->received - c->dups) == 1, "a lost record");
	checker_free(c);

	c = checker();		/* 0 2 1 3 */
	feed(c, 1, 0, 32, false);
	feed(c, 1, 2, 32, false);
	feed(c, 1, 1, 32, false);
	feed(c, 1, 3, 32, false);
	EXPECT(c->reordered == 1, "a reordered record");
	checker_free(c);

	c = checker();		/* 0 1 1 2 */
	feed(c, 0, 0, 32, false);
	feed(c, 0, 1, 32, false);
	feed(c, 0, 1, 32, false);
	feed(c, 0, 2, 32, false);
	EXPECT(c->dups == 1 && !c->reordered, "a duplicated record");
	checker_free(c);

	c = checker();		/* torn tail, short record */
	feed(c, 0, 0, 32, true);
	feed(c, 0, 1, 24, false);
	EXPECT(c->torn == 2, "a torn record");
	checker_free(c);

	/* The log calls' consumer check: a whole message, or nothing. */
	{
		char m[LC_LEN + 1];

		lc_msg(m, 42);
		EXPECT(lc_msg_seq(m, LC_LEN) == 42,
		       "a whole log-call message (false alarm)");
		EXPECT(lc_msg_seq(m, LC_LEN - 1) < 0,
		       "a short log-call message");
		m[LC_LEN - 1] = 'y';
		EXPECT(lc_msg_seq(m, LC_LEN) < 0,
		       "a log-call message with its tail torn");
		lc_msg(m, 42);
		m[20] = ':';
		EXPECT(lc_msg_seq(m, LC_LEN) < 0,
		       "a log-call message with its number torn");
	}
#undef EXPECT
	return ok;
}

static void seed_msg(unsigned char *msg, uint64_t id)
{
	uint64_t zero = 0;

	memset(msg, 'x', 32);
	memcpy(msg, &id, 8);
	memcpy(msg + 8, &zero, 8);
	memcpy(msg + 24, &id, 8);
}

static void seed_drain(struct seed_ring *r, struct cctx *c)
{
	unsigned char out[ELEM_MAX];

	while (seed_read(r, out))
		check_record(c, out + sizeof(struct elem_hdr),
			     ((struct elem_hdr *)out)->len, 32, 2);
}

/*
 * The seed's MPSC design, driven by hand on a 4-slot ring. Writer A takes
 * sequences 0-3, a fifth write overruns (refused, no sequence spent); the
 * reader drains. A reserves sequence 4 and is "preempted" before filling
 * it; writer B, with its own cache of read_seq, writes 5-7 and is refused
 * the fourth (the slot A owns is not B's to take), and the reader waits
 * at 4. A fills 4: 0-7 arrive in order, nothing lost, one overrun each.
 */
static bool selftest_seed_lap(char *why, size_t n)
{
	struct seed_ring *r = zalloc_aligned(sizeof(*r));
	struct cctx *c = checker();
	unsigned char msg[32];
	uint64_t accepted = 0, rs_a = 0, rs_b = 0, seq = 0, got_early;
	bool ok;

	r->slots = zalloc_aligned(4 * sizeof(struct seed_slot));
	r->mask = 3;
	for (uint64_t s = 0; s < 5; s++) {
		seed_msg(msg, s);
		accepted += !seed_write(r, true, &rs_a, msg, 32);
	}
	seed_drain(r, c);
	ok = seed_reserve_mp(r, &rs_a, &seq) && seq == 4;
	for (uint64_t s = 5; s < 9; s++) {
		seed_msg(msg, s);
		accepted += !seed_write(r, true, &rs_b, msg, 32);
	}
	seed_drain(r, c);
	got_early = c->received;
	seed_msg(msg, 4);
	ok &= !seed_fill(r, seq, msg, 32);
	accepted++;
	seed_drain(r, c);
	ok &= accepted == 8 && got_early == 4 && c->received == 8 &&
	      !c->reordered && !c->dups && !c->torn && r->overruns == 2;
	if (!ok)
		snprintf(why, n, "seed MPSC: accepted %" PRIu64 ", received %"
			 PRIu64 " (%" PRIu64 " before the slow writer), "
			 "reordered %" PRIu64 ", overruns %" PRIu64
			 " (want 8, 8 (4), 0, 2)", accepted, c->received,
			 got_early, c->reordered, r->overruns);
	checker_free(c);
	free(r->slots);
	free(r);
	return ok;
}

/* mcrring's own counters against the bench's: a full ring refuses. */
static bool selftest_mcr_full(char *why, size_t n)
{
	struct mcr_set *set;
	struct mcr_writer w;
	struct mcr_cursor cur;
	struct mcr_record rec;
	const struct mcr_ring *r;
	char msg[128], text[MCR_TEXT_MAX];
	uint64_t acc = 0, ref = 0, got = 0, inorder = 1;
	bool ok;

	if (mcr_shm_create(2, 8, 2 * MCR_TEXT_MAX, &set) ||
	    mcr_writer_spsc(set, 0, &w)) {
		snprintf(why, n, "mcr_shm_create failed");
		return false;
	}
	r = mcr_set_ring(set, MCR_RING_SPSC(0));
	mcr_cursor_init(&cur, r, MCR_RING_SPSC(0));
	for (uint64_t s = 0; s < 20; s++) {
		memcpy(msg, &s, 8);
		if (mcr_log(&w, BENCH_PRI, msg, sizeof(msg)))
			ref++;
		else
			acc++;
	}
	while (mcr_consume(r, &cur, &rec, text, 1, (__u64)-1, 1) ==
	       MCR_RECORD) {
		uint64_t s;

		memcpy(&s, text, 8);
		inorder &= s == got++;
	}
	ok = acc == 8 && ref == 12 && got == 8 && inorder &&
	     READ_ONCE(r->prod->dropped_full) == 12;
	if (!ok)
		snprintf(why, n, "mcrring full ring: accepted %" PRIu64
			 " refused %" PRIu64 " consumed %" PRIu64, acc, ref, got);
	mcr_set_close(set);
	return ok;
}

/*
 * The verdict on a smoke run of the scenarios --only selected (all when
 * NULL): @ncells cells ran, @nna could not. Exit status: 0 or 1.
 */
int smoke_report(const char *only, int ncells, int nna)
{
	char why[256] = "";
	bool ok = true;

	for (size_t i = 0; i < NR_SCEN; i++) {
		if (!selected(only, scenarios[i].id))
			continue;
		for (int k = 0; k < NR_KINDS; k++) {
			struct cell *ce = &cells[i][k];
			char t[160];

			if (ce->na)
				continue;
			if (!ce->nr) {
				ok = false;
				snprintf(why, sizeof(why), "%s %s did "
					 "not run", scenarios[i].id,
					 rings[k]->name);
				continue;
			}
			check_text(ce, t, sizeof(t));
			if (!cell_clean(ce))
				printf("# %s %s: %s\n", scenarios[i].id,
				       rings[k]->name, t);
			/* Every ring must deliver what it accepted
			 * (the harness is under test too); mcrring
			 * must also finish, where a peer's writers
			 * may convoy until the watchdog stops them.
			 */
			if (!cell_sound(ce) ||
			    (k == R_MCR && ce->timeouts)) {
				ok = false;
				snprintf(why, sizeof(why), "%s %s: %s",
					 scenarios[i].id, rings[k]->name,
					 t);
			}
		}
	}
	if (ok)
		ok = selftest_checks(why, sizeof(why));
	if (ok)
		ok = selftest_seed_lap(why, sizeof(why));
	if (ok)
		ok = selftest_mcr_full(why, sizeof(why));
	if (selected(only, "logcalls"))
		lc_smoke_tap();
	if (ok)
		printf("ok - bench: smoke: %d runs of %zu scenarios x %d "
		       "rings (%d n/a), every record checked; the "
		       "checks catch injected loss, reordering, "
		       "duplicates and torn records; the seed design's "
		       "writers leave no hole behind a slow one; a full "
		       "mcrring ring refuses\n",
		       ncells, only ? (size_t)0 : NR_SCEN, NR_KINDS,
		       nna);
	else
		printf("not ok - bench: smoke: %s\n", why);
	return ok ? 0 : 1;
}
