// SPDX-License-Identifier: GPL-2.0
/* Self-checking records for the VM selftests: mcr_vmrec.h. */
#define MCR_HELPERS_C
#include "mcr_vmrec.h"

uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t make_msg(char *buf, const char *tag, unsigned int id, uint64_t n)
{
	uint64_t h = mix(id, n), x = h | 1;
	unsigned int plen = h % 97;
	char *p = buf;

	while (*tag)
		*p++ = *tag++;
	*p++ = ' ';
	p = put_u64(p, id);
	*p++ = ' ';
	p = put_u64(p, n);
	*p++ = ' ';
	for (unsigned int i = 0; i < plen; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*p++ = 'a' + x % 26;
	}
	*p++ = ' ';
	for (int i = 60; i >= 0; i -= 4)
		*p++ = "0123456789abcdef"[(h >> i) & 15];
	*p = '\0';
	return p - buf;
}

int check_msg(const char *msg, const char *tag, unsigned int *id, uint64_t *n)
{
	char want[256];
	size_t tl = strlen(tag);
	const char *p = msg + tl + 1;
	uint64_t v;

	if (strncmp(msg, tag, tl) || msg[tl] != ' ')
		return 0;
	if (!take_u64(&p, ' ', &v) || v > 1000000 || !take_u64(&p, ' ', n))
		return -1;
	*id = v;
	make_msg(want, tag, *id, *n);
	return strcmp(want, msg) ? -1 : 1;
}
