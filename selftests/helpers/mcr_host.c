// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the host selftests: mcr_host.h. */
#include "mcr_host.h"

__u64 mix64(__u64 x)
{
	x += GOLDEN;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

__u64 key_of(__u32 w, __u32 n)
{
	return (__u64)w << 32 | n;
}

/* payload_fix_len()'s writer and length, set before any thread starts */
static bool payload_fixed;
static __u32 payload_fixed_id, payload_fixed_len;

void payload_fix_len(__u32 w, __u32 len)
{
	payload_fixed = true;
	payload_fixed_id = w;
	payload_fixed_len = len;
}

__u32 len_of(__u32 w, __u32 n)
{
	__u64 r = mix64(key_of(w, n) ^ 0x5bd1e995ULL);

	if (payload_fixed && w == payload_fixed_id)
		return payload_fixed_len;
	if ((r & 63) == 0)
		return HDR_LEN +
		       (__u32)((r >> 8) % (MCR_TEXT_MAX - HDR_LEN + 1));
	return HDR_LEN + (__u32)((r >> 8) % 301);
}

unsigned int pri_of(__u32 w, __u32 n)
{
	return MCR_PRI(w % (MCR_FAC_MAX + 1), n & MCR_SEV_MAX);
}

__u64 word0_of(__u32 w, __u32 n)
{
	return (__u64)n | (__u64)(w & 0xffff) << 32 |
	       (mix64(key_of(w, n)) >> 48) << 48;
}

__u64 word_of(__u64 base, __u32 j)
{
	return base + (__u64)j * GOLDEN;
}

void payload_fill(char *dst, __u32 w, __u32 n, __u32 len)
{
	__u64 base = mix64(key_of(w, n) ^ 0x1234567ULL);
	__u64 v = word0_of(w, n);

	memcpy(dst, &v, 8);
	for (__u32 j = 1; j * 8 < len; j++) {
		v = word_of(base, j);
		memcpy(dst + 8 * j, &v, 8);
	}
}

int payload_check(const char *t, __u32 len, __u32 *w, __u32 *n,
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

int ring_order_next(struct ring_order *o,
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

bool bm_test(const unsigned char *bm, __u64 i)
{
	return bm[i / 8] & (1u << (i % 8));
}

void bm_set(unsigned char *bm, __u64 i)
{
	bm[i / 8] |= (unsigned char)(1u << (i % 8));
}
