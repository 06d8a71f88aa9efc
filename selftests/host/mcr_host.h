/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the host selftests.
 *
 * Self-checking payloads: a record's text is a function of (writer id,
 * per-writer counter) alone. The first 8 bytes hold the counter, the
 * writer id and a 16-bit check of both; every further byte comes from a
 * sequence seeded by the pair; the length and the priority are derived
 * from the pair too. So a torn, shifted, truncated, duplicated or
 * misdelivered record cannot pass payload_check().
 *
 * A test may give one writer id a fixed record length by defining
 * PAYLOAD_FIXED_ID and PAYLOAD_FIXED_LEN before including this header.
 */
#ifndef MCR_HOST_H
#define MCR_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mcrring.h"

/* --- self-checking payloads ---------------------------------------------- */

#define GOLDEN		0x9e3779b97f4a7c15ULL
/* Counter, writer id and check: the shortest record. */
#define HDR_LEN		8

static inline __u64 mix64(__u64 x)
{
	x += GOLDEN;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline __u64 key_of(__u32 w, __u32 n)
{
	return (__u64)w << 32 | n;
}

/* 8..308 bytes, and one record in 64 anywhere in 8..MCR_TEXT_MAX. */
static inline __u32 len_of(__u32 w, __u32 n)
{
	__u64 r = mix64(key_of(w, n) ^ 0x5bd1e995ULL);

#ifdef PAYLOAD_FIXED_ID
	if (w == PAYLOAD_FIXED_ID)
		return PAYLOAD_FIXED_LEN;
#endif
	if ((r & 63) == 0)
		return HDR_LEN +
		       (__u32)((r >> 8) % (MCR_TEXT_MAX - HDR_LEN + 1));
	return HDR_LEN + (__u32)((r >> 8) % 301);
}

static inline unsigned int pri_of(__u32 w, __u32 n)
{
	return MCR_PRI(w % (MCR_FAC_MAX + 1), n & MCR_SEV_MAX);
}

static inline __u64 word0_of(__u32 w, __u32 n)
{
	return (__u64)n | (__u64)(w & 0xffff) << 32 |
	       (mix64(key_of(w, n)) >> 48) << 48;
}

static inline __u64 word_of(__u64 base, __u32 j)
{
	return base + (__u64)j * GOLDEN;
}

/* Writes MCR_ALIGN_UP(len) bytes: only into a reservation of len. */
static inline void payload_fill(char *dst, __u32 w, __u32 n, __u32 len)
{
	__u64 base = mix64(key_of(w, n) ^ 0x1234567ULL);
	__u64 v = word0_of(w, n);

	memcpy(dst, &v, 8);
	for (__u32 j = 1; j * 8 < len; j++) {
		v = word_of(base, j);
		memcpy(dst + 8 * j, &v, 8);
	}
}

/*
 * Decode and verify a record's text. Returns 0 and sets *w, *n, or -1
 * with a reason in @why (@why may be NULL when @whylen is 0).
 */
static inline int payload_check(const char *t, __u32 len, __u32 *w, __u32 *n,
				char *why, size_t whylen)
{
	__u64 v, base;

	if (len < HDR_LEN) {
		snprintf(why, whylen, "record of %u bytes, shorter than header",
			 len);
		return -1;
	}
	memcpy(&v, t, 8);
	*n = (__u32)v;
	*w = (__u32)(v >> 32) & 0xffff;
	if (v != word0_of(*w, *n)) {
		snprintf(why, whylen, "header %016llx fails its check",
			 (unsigned long long)v);
		return -1;
	}
	if (len != len_of(*w, *n)) {
		snprintf(why, whylen, "writer %u counter %u: len %u, want %u",
			 *w, *n, len, len_of(*w, *n));
		return -1;
	}
	base = mix64(key_of(*w, *n) ^ 0x1234567ULL);
	for (__u32 j = 1; j * 8 < len; j++) {
		__u32 k = len - j * 8 < 8 ? len - j * 8 : 8;

		v = word_of(base, j);
		if (memcmp(t + 8 * j, &v, k)) {
			snprintf(why, whylen,
				 "writer %u counter %u: byte run %u..%u of %u corrupt",
				 *w, *n, 8 * j, 8 * j + k - 1, len);
			return -1;
		}
	}
	return 0;
}

/* --- what a consumer of rings 0 and 1 reads, in order ------------------ */

struct ring_order {
	__u64 last_seq[2];
	bool have_seq[2];
};

/*
 * Take @rec as the next record read: 0, or -1 with a reason in @why when
 * it comes from a ring other than 0 and 1, or its ring's sequence does
 * not go up.
 */
static inline int ring_order_next(struct ring_order *o,
				  const struct mcr_record *rec, char *why,
				  size_t whylen)
{
	unsigned int ring = rec->ring;

	if (ring > 1) {
		snprintf(why, whylen, "record from ring %u", ring);
		return -1;
	}
	if (o->have_seq[ring] && rec->seq <= o->last_seq[ring]) {
		snprintf(why, whylen, "ring %u: seq %llu after %llu", ring,
			 (unsigned long long)rec->seq,
			 (unsigned long long)o->last_seq[ring]);
		return -1;
	}
	o->have_seq[ring] = true;
	o->last_seq[ring] = rec->seq;
	return 0;
}

/* --- bitmaps ------------------------------------------------------------- */

static inline bool bm_test(const unsigned char *bm, __u64 i)
{
	return bm[i / 8] & (1u << (i % 8));
}

static inline void bm_set(unsigned char *bm, __u64 i)
{
	bm[i / 8] |= (unsigned char)(1u << (i % 8));
}

#endif /* MCR_HOST_H */
