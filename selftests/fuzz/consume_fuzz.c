// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the validating consumer, mcr_consume().
 *
 * One ring is formatted in zeroed, page-aligned heap memory (so ASan
 * puts a redzone right after it). The input is a header and then a
 * stream of operations, interleaved at will:
 *
 *   - honest writes: SPSC or MPSC reserve, commit (possibly shorter),
 *     discard, with several reservations outstanding at once;
 *   - consume bursts with varying now_ns, abandon_ns and reclaim_ns;
 *   - hostile writes over everything a writer may write: raw bytes over
 *     the prod page, the descriptors and the data ring, and forged
 *     descriptors and heads aimed at the consumer's next sequences.
 *
 * The cons page is the consumer's and read-only to writers in the
 * product, so the geometry is never touched; optionally its tail starts
 * as garbage (a cursor must survive any starting point), and the ring
 * may start at any 32-bit sequence/position so that the wrap of the
 * on-the-wire counters is covered.
 *
 * Checked after every mcr_consume() call (__builtin_trap on failure):
 *   - a delivered record is well formed: len <= MCR_TEXT_MAX, its seq is
 *     the cursor's, a valid pri and flags;
 *   - every call that returns MCR_RECORD or MCR_SKIPPED advances the
 *     cursor by exactly one sequence and moves exactly one counter;
 *     MCR_EMPTY and MCR_INFLIGHT move nothing;
 *   - accounting: drained + abandoned + invalid + discarded equals the
 *     number of sequences the cursor advanced;
 *   - with the shared memory left alone, the consumer comes to rest
 *     (MCR_EMPTY or MCR_INFLIGHT) within 2 * ndesc calls: it can meet
 *     each slot's sequence once and abandon at most ndesc reservations;
 *   - memory safety (ASan, UBSan).
 *
 * While nothing hostile has been written ("untainted"), the honest
 * records are checked end to end as well: each delivered record is one
 * the writer committed with that sequence, delivered once, with its
 * exact length, pri, flags and text; nothing is counted invalid; and
 * after a final drain every committed record was delivered, except those
 * the consumer abandoned while they were still reserved (what abandoning
 * means). The damage a writer stopped past @reclaim_ns may do is
 * documented, so a reclaim of a still-reserved record ends these checks.
 *
 * Per input the work is bounded: at most MAX_OPS operations, MAX_CALLS
 * mcr_consume() calls, and each copies at most MCR_TEXT_MAX bytes.
 *
 * The input format is written down in selftests/fuzz/gen_seeds.py, which
 * makes the seed corpus. Build with -DCONSUME_FUZZ_TRACE to have each
 * operation and mcr_consume() result printed when replaying an input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mcrring/ring.h>

#define MAX_OPS		1024
#define MAX_CALLS	8192
#define MAX_INC		512	/* honest reservations per input */
#define MAX_OUT		8	/* honest reservations outstanding at once */
#define ID_MAGIC	0x6d637246U	/* tid = ID_MAGIC ^ id */

#define check(cond)							\
	do {								\
		if (!(cond))						\
			__builtin_trap();				\
	} while (0)

#ifdef CONSUME_FUZZ_TRACE
#define trace(...)	fprintf(stderr, __VA_ARGS__)
#else
#define trace(...)	do { } while (0)
#endif

/* Input bytes, read front to back; zeros once exhausted. */
struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Little endian; each byte read in its own statement, in order. */
static uint64_t in_le(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

static uint16_t in_u16(struct input *in)
{
	return (uint16_t)in_le(in, 2);
}

static uint32_t in_u32(struct input *in)
{
	return (uint32_t)in_le(in, 4);
}

static uint64_t in_u64(struct input *in)
{
	return in_le(in, 8);
}

enum inc_state { INC_RESERVED, INC_COMMITTED, INC_DISCARDED };

/* One honest reservation ("incarnation" of a sequence). */
struct inc {
	struct mcr_resv resv;
	uint32_t req;		/* length asked for */
	uint32_t len;		/* length committed */
	uint8_t pri;
	uint8_t flags;
	uint8_t state;		/* enum inc_state */
	bool abandoned;		/* the consumer skipped it while reserved */
	bool delivered;
};

struct fuzz {
	struct mcr_ring r;
	struct mcr_cursor c;
	struct mcr_spsc spsc;
	bool mpsc;
	bool tainted;		/* hostile bytes written: end-to-end checks off */
	uint64_t seq0;		/* the cursor's starting sequence */
	uint64_t now;
	unsigned int calls;
	struct inc inc[MAX_INC];
	unsigned int ninc;
	unsigned int out[MAX_OUT];	/* indices into inc[] */
	unsigned int nout;
	char *text;		/* MCR_TEXT_MAX bytes, heap: ASan bounds */
};

static char pattern(unsigned int id, uint32_t k)
{
	return (char)(' ' + (id * 31 + k * 7) % 95);
}

static uint64_t sum(const struct mcr_cursor *c)
{
	return c->drained + c->abandoned + c->invalid + c->discarded;
}

/* --- honest writer ----------------------------------------------------- */

static void op_reserve(struct fuzz *f, struct input *in)
{
	uint8_t b = in_u8(in);
	uint32_t req = b < 192 ? b : in_u16(in) % (MCR_TEXT_MAX + 1);
	struct inc *x;
	int ret;

	if (f->nout == MAX_OUT || f->ninc == MAX_INC)
		return;
	x = &f->inc[f->ninc];
	memset(x, 0, sizeof(*x));
	if (f->mpsc)
		ret = mcr_mpsc_reserve(&f->r, req, &x->resv);
	else
		ret = mcr_spsc_reserve(&f->spsc, req, &x->resv);
	if (ret) {
		check(ret == -ENOBUFS);
		return;
	}
	trace("reserve #%u seq %u begin %u cap %u\n", f->ninc, x->resv.seq,
	      x->resv.begin, x->resv.cap);
	check(x->resv.cap == MCR_ALIGN_UP(req));
	check((unsigned char *)x->resv.text >= f->r.data &&
	      (unsigned char *)x->resv.text + x->resv.cap <=
	      f->r.data + f->r.data_size);
	x->req = req;
	x->state = INC_RESERVED;
	f->out[f->nout++] = f->ninc++;
}

static unsigned int take_out(struct fuzz *f, struct input *in)
{
	unsigned int k = in_u8(in) % f->nout;
	unsigned int id = f->out[k];

	f->out[k] = f->out[--f->nout];
	return id;
}

static void commit_one(struct fuzz *f, unsigned int id, uint32_t len,
		       uint8_t pri, uint8_t flags)
{
	struct inc *x = &f->inc[id];

	trace("commit #%u len %u\n", id, len);
	/* The text is written between reserve and commit, as a writer
	 * formatting in place would. */
	for (uint32_t k = 0; k < len; k++)
		x->resv.text[k] = pattern(id, k);
	x->len = len;
	x->pri = pri;
	x->flags = flags;
	x->state = INC_COMMITTED;
	if (f->mpsc)
		mcr_mpsc_commit(&f->r, &x->resv, len, id, id, ID_MAGIC ^ id,
				id & 0xffff, pri, flags);
	else
		mcr_spsc_commit(&f->spsc, &x->resv, len, id, id, ID_MAGIC ^ id,
				id & 0xffff, pri, flags);
}

static void op_commit(struct fuzz *f, struct input *in)
{
	unsigned int id;
	uint32_t len;
	uint8_t b, pri, flags;

	if (!f->nout)
		return;
	id = take_out(f, in);
	b = in_u8(in);
	len = f->inc[id].req;
	if (b & 1)	/* shorter than reserved, down to nothing */
		len = f->inc[id].resv.cap ? in_u16(in) % (f->inc[id].resv.cap + 1)
					  : 0;
	pri = in_u8(in) % MCR_PRI(MCR_FAC_MAX + 1, 0);
	flags = (b >> 1) & MCR_FLAG_ALL;
	commit_one(f, id, len, pri, flags);
}

static void discard_one(struct fuzz *f, unsigned int id)
{
	struct inc *x = &f->inc[id];

	trace("discard #%u\n", id);
	x->state = INC_DISCARDED;
	if (f->mpsc)
		mcr_mpsc_discard(&f->r, &x->resv);
	else
		mcr_spsc_discard(&f->spsc, &x->resv);
}

static void op_discard(struct fuzz *f, struct input *in)
{
	if (f->nout)
		discard_one(f, take_out(f, in));
}

/* --- consumer -------------------------------------------------------- */

static struct inc *outstanding_with_seq(struct fuzz *f, uint32_t seq)
{
	for (unsigned int k = 0; k < f->nout; k++)
		if (f->inc[f->out[k]].resv.seq == seq)
			return &f->inc[f->out[k]];
	return NULL;
}

static void check_record(struct fuzz *f, const struct mcr_record *rec)
{
	unsigned int id = rec->pid;
	struct inc *x;

	check(rec->len <= MCR_TEXT_MAX);
	check(MCR_PRI_FAC(rec->pri) <= MCR_FAC_MAX);
	check(!(rec->flags & ~MCR_FLAG_ALL));
	check(rec->ring == f->c.ring_id);
	if (f->tainted)
		return;
	/* An honest ring: it must be exactly what was committed. */
	check(id < f->ninc && rec->tid == (ID_MAGIC ^ id));
	x = &f->inc[id];
	check(x->state == INC_COMMITTED && !x->delivered);
	check((uint32_t)rec->seq == x->resv.seq);
	check(rec->len == x->len && rec->pri == x->pri &&
	      rec->flags == x->flags && rec->ts_ns == id &&
	      rec->cpu == (id & 0xffff));
	for (uint32_t k = 0; k < rec->len; k++)
		check(f->text[k] == pattern(id, k));
	x->delivered = true;
}

/*
 * Up to @max calls, stopping when the consumer comes to rest. Nothing
 * writes to the ring in between, so it must come to rest within
 * 2 * ndesc calls.
 */
static int consume_burst(struct fuzz *f, unsigned int max, uint64_t abandon_ns,
			 uint64_t reclaim_ns)
{
	unsigned int busy = 0;
	int res = MCR_EMPTY;

	while (max-- && f->calls < MAX_CALLS) {
		struct mcr_cursor before = f->c;
		struct mcr_record rec;

		f->calls++;
		memset(&rec, 0xa5, sizeof(rec));
		res = mcr_consume(&f->r, &f->c, &rec, f->text, f->now,
				  abandon_ns, reclaim_ns);
		trace("consume seq %llu now %llu abandon %llu reclaim %llu head %llx -> %d\n",
		      (unsigned long long)before.seq, (unsigned long long)f->now,
		      (unsigned long long)abandon_ns,
		      (unsigned long long)reclaim_ns,
		      (unsigned long long)f->r.prod->head, res);
		check(f->c.npins <= MCR_PINS);
		check(sum(&f->c) == f->c.seq - f->seq0);
		check(f->c.reclaimed >= before.reclaimed);
		switch (res) {
		case MCR_RECORD:
			check(f->c.seq == before.seq + 1);
			check(f->c.drained == before.drained + 1);
			check(rec.seq == before.seq);
			check_record(f, &rec);
			break;
		case MCR_SKIPPED:
			check(f->c.seq == before.seq + 1);
			check(f->c.drained == before.drained);
			check(sum(&f->c) == sum(&before) + 1);
			if (f->c.abandoned != before.abandoned) {
				struct inc *x = outstanding_with_seq(
					f, (uint32_t)before.seq);

				if (x)
					x->abandoned = true;
			}
			if (f->c.invalid != before.invalid)
				check(f->tainted);	/* honest never invalid */
			break;
		case MCR_EMPTY:
		case MCR_INFLIGHT:
			check(f->c.seq == before.seq);
			check(sum(&f->c) == sum(&before));
			break;
		default:
			check(0);
		}
		/*
		 * A reclaimed pin whose writer still holds its reservation:
		 * that writer may now write over memory the ring reused,
		 * the documented cost of @reclaim_ns. Honest checks end.
		 */
		if (f->c.reclaimed != before.reclaimed)
			for (unsigned int k = 0; k < f->nout; k++)
				if (f->inc[f->out[k]].abandoned)
					f->tainted = true;
		if (res == MCR_EMPTY || res == MCR_INFLIGHT)
			return res;
		check(++busy <= 2 * f->r.ndesc);
	}
	return res;
}

static uint64_t pick_ns(struct input *in, uint8_t sel)
{
	switch (sel & 3) {
	case 0:
		return 0;
	case 1:
		return in_u8(in) * 1000ULL;
	case 2:
		return (uint64_t)-1;
	default:
		return in_u64(in);
	}
}

static void op_consume(struct fuzz *f, struct input *in)
{
	uint8_t sel = in_u8(in);
	uint64_t abandon_ns = pick_ns(in, sel);
	uint64_t reclaim_ns = pick_ns(in, sel >> 2);
	unsigned int max = sel & 0x80 ? in_u8(in) % 8 + 1 : 4 * f->r.ndesc;

	if (sel & 0x40)
		f->now += in_u16(in) * 100ULL;
	consume_burst(f, max, abandon_ns, reclaim_ns);
}

static void op_time(struct fuzz *f, struct input *in)
{
	uint8_t b = in_u8(in);

	if (b == 0xff)
		f->now = in_u64(in);	/* the clock is the caller's word */
	else
		f->now += (uint64_t)b << (b & 31);
}

/* --- hostile writer ---------------------------------------------------- */

static void scribble(struct input *in, unsigned char *base, size_t size,
		     size_t off)
{
	size_t len = in_u8(in);

	off %= size;
	if (len > size - off)
		len = size - off;
	if (len > in->n)
		len = in->n;
	memcpy(base + off, in->p, len);
	in->p += len;
	in->n -= len;
}

static void op_raw_prod(struct fuzz *f, struct input *in)
{
	uint8_t b = in_u8(in);
	size_t off = b & 0x80 ? in_u16(in) : b % 24;	/* mostly head & co */

	scribble(in, (unsigned char *)f->r.prod, MCR_PAGE_SIZE, off);
	f->tainted = true;
}

static void op_raw_desc(struct fuzz *f, struct input *in)
{
	scribble(in, (unsigned char *)f->r.desc,
		 (size_t)f->r.ndesc * sizeof(struct mcr_desc), in_u16(in));
	f->tainted = true;
}

static void op_raw_data(struct fuzz *f, struct input *in)
{
	scribble(in, f->r.data, f->r.data_size, in_u32(in));
	f->tainted = true;
}

/* A descriptor made to look like the one the consumer waits for, or soon. */
static void op_forge_desc(struct fuzz *f, struct input *in)
{
	uint8_t b = in_u8(in);
	uint64_t seq = f->c.seq + in_u8(in) % (2 * f->r.ndesc);
	struct mcr_desc *d = &f->r.desc[seq & (f->r.ndesc - 1)];
	uint32_t sseq = (uint32_t)seq + (b & 1 ? (int8_t)in_u8(in) : 0);
	uint32_t state = b & 2 ? in_u8(in) : MCR_DESC_COMMITTED + (b >> 2 & 1);
	uint64_t sv = MCR_SV(sseq, in_u16(in), state & 0xff);
	uint32_t pos;
	uint16_t len;

	if (b & 8)
		sv |= (uint64_t)in_u8(in) << 8;	/* reserved bits */
	if (b & 16)
		pos = in_u32(in);
	else	/* near the consumer's position, either side */
		pos = (uint32_t)f->c.pos + (int16_t)in_u16(in);
	len = b & 32 ? in_u16(in) : in_u16(in) % (MCR_TEXT_MAX + 1);
	WRITE_ONCE(d->ts_ns, in_u64(in));
	WRITE_ONCE(d->pos, pos);
	WRITE_ONCE(d->pid, in_u32(in));
	WRITE_ONCE(d->tid, in_u32(in));
	WRITE_ONCE(d->len, len);
	WRITE_ONCE(d->pri, b & 64 ? in_u8(in) : in_u8(in) % 192);
	WRITE_ONCE(d->flags, b & 128 ? in_u8(in) : in_u8(in) & MCR_FLAG_ALL);
	smp_store_release(&d->state_var, sv);
	f->tainted = true;
}

/* A head anywhere near the cursor, or anywhere at all. */
static void op_forge_head(struct fuzz *f, struct input *in)
{
	uint8_t b = in_u8(in);
	uint32_t seq = (uint32_t)f->c.seq + (int8_t)in_u8(in);
	uint32_t pos = b & 1 ? in_u32(in) : (uint32_t)f->c.pos + in_u16(in);

	if (b & 2)
		seq = in_u32(in);
	WRITE_ONCE(f->r.prod->head, mcr_pack(seq, pos));
	if (b & 4)
		WRITE_ONCE(f->r.prod->cached_tail, in_u64(in));
	f->tainted = true;
}

/* --- the run ------------------------------------------------------------ */

static void final_drain(struct fuzz *f)
{
	int res;

	/* Writers finish: everything reserved is committed. */
	while (f->nout) {
		unsigned int id = f->out[--f->nout];

		commit_one(f, id, f->inc[id].req, MCR_PRI(1, 6), 0);
	}
	res = consume_burst(f, 4 * f->r.ndesc, (uint64_t)-1, (uint64_t)-1);
	if (f->tainted || f->calls >= MAX_CALLS)
		return;
	/* Nothing is in flight any more: the consumer must see the end. */
	check(res == MCR_EMPTY);
	check(f->c.invalid == 0);
	for (unsigned int id = 0; id < f->ninc; id++) {
		const struct inc *x = &f->inc[id];

		if (x->state != INC_COMMITTED || x->abandoned)
			continue;
		check(x->delivered);	/* a committed record was lost */
	}
}

static const uint32_t ndesc_sel[8] = { 16, 16, 16, 2, 4, 8, 32, 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz f;
	struct input in = { data, size };
	uint8_t hdr = in_u8(&in);
	bool hostile = hdr & 2;
	uint32_t ndesc = ndesc_sel[hdr >> 2 & 7];
	uint32_t data_size = hdr & 0x20 ? 16384 : 8192;
	uint64_t ring_size = mcr_ring_size(ndesc, data_size);
	uint32_t base_seq = in_u32(&in), base_pos = in_u32(&in) & ~7U;
	void *mem;

	memset(&f, 0, sizeof(f));
	mem = aligned_alloc(MCR_PAGE_SIZE, ring_size);
	f.text = malloc(MCR_TEXT_MAX);
	check(mem && f.text);
	memset(mem, 0, ring_size);
	check(mcr_ring_format(&f.r, mem, ndesc, data_size, 1) == 0);
	f.mpsc = hdr & 1;

	/* A ring that has already run for a while: head == tail == base. */
	f.r.prod->head = mcr_pack(base_seq, base_pos);
	f.r.prod->cached_tail = f.r.prod->head;
	f.r.cons->tail = f.r.prod->head;
	if (hostile && (hdr & 0x40)) {
		/* Garbage where the cursor starts: it must cope. */
		f.r.cons->tail = in_u64(&in);
		f.tainted = true;
	}
	mcr_cursor_init(&f.c, &f.r, 1);
	mcr_spsc_init(&f.spsc, &f.r);
	f.seq0 = f.c.seq;
	f.now = in_u8(&in) * 1000ULL;

	for (unsigned int ops = 0; ops < MAX_OPS && in.n; ops++) {
		uint8_t op = in_u8(&in) % 13;

		if (!hostile && op >= 8)
			op = 5 + op % 3;	/* consume or time instead */
		switch (op) {
		case 0:
		case 1:
			op_reserve(&f, &in);
			break;
		case 2:
		case 3:
			op_commit(&f, &in);
			break;
		case 4:
			op_discard(&f, &in);
			break;
		case 5:
		case 6:
			op_consume(&f, &in);
			break;
		case 7:
			op_time(&f, &in);
			break;
		case 8:
			op_raw_prod(&f, &in);
			break;
		case 9:
			op_raw_desc(&f, &in);
			break;
		case 10:
			op_raw_data(&f, &in);
			break;
		case 11:
			op_forge_desc(&f, &in);
			break;
		default:
			op_forge_head(&f, &in);
			break;
		}
	}
	final_drain(&f);
#ifdef CONSUME_FUZZ_TRACE
	fprintf(stderr,
		"ndesc %u %s%s: %u calls, %u reservations, seq +%llu: drained %llu abandoned %llu invalid %llu discarded %llu reclaimed %llu\n",
		ndesc, f.mpsc ? "mpsc" : "spsc", f.tainted ? " tainted" : "",
		f.calls, f.ninc, (unsigned long long)(f.c.seq - f.seq0),
		(unsigned long long)f.c.drained,
		(unsigned long long)f.c.abandoned,
		(unsigned long long)f.c.invalid,
		(unsigned long long)f.c.discarded,
		(unsigned long long)f.c.reclaimed);
#endif
	free(f.text);
	free(mem);
	return 0;
}
