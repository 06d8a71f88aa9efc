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
 * A test may give one writer id a fixed record length with
 * payload_fix_len(), before any record is made.
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

__u64 mix64(__u64 x);

__u64 key_of(__u32 w, __u32 n);

/*
 * 8..308 bytes, and one record in 64 anywhere in 8..MCR_TEXT_MAX; for
 * the writer given to payload_fix_len(), its length always.
 */
__u32 len_of(__u32 w, __u32 n);

/* Every record of writer @w is @len bytes long from now on. */
void payload_fix_len(__u32 w, __u32 len);

unsigned int pri_of(__u32 w, __u32 n);

__u64 word0_of(__u32 w, __u32 n);

__u64 word_of(__u64 base, __u32 j);

/* Writes MCR_ALIGN_UP(len) bytes: only into a reservation of len. */
void payload_fill(char *dst, __u32 w, __u32 n, __u32 len);

/*
 * Decode and verify a record's text. Returns 0 and sets *w, *n, or -1
 * with a reason in @why (@why may be NULL when @whylen is 0).
 */
int payload_check(const char *t, __u32 len, __u32 *w, __u32 *n,
		  char *why, size_t whylen);

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
int ring_order_next(struct ring_order *o,
		    const struct mcr_record *rec, char *why,
		    size_t whylen);

/* --- bitmaps ------------------------------------------------------------- */

bool bm_test(const unsigned char *bm, __u64 i);

void bm_set(unsigned char *bm, __u64 i);

#endif /* MCR_HOST_H */
