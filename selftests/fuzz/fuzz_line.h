/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the text and archive fuzz targets share: a check that traps, and
 * reading the fuzzer's input. The line a record prints as is
 * proto/mcrring/text.h's mcr_text_line(), the code the kernel compiles.
 */
#ifndef FUZZ_LINE_H
#define FUZZ_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mcrring/text.h>

#define check(cond)							\
	do {								\
		if (!(cond))						\
			__builtin_trap();				\
	} while (0)

/* Input bytes, read front to back; zeros once exhausted. */
struct fl_input {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fl_take(struct fl_input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		if (in->n) {
			v |= (uint64_t)*in->p++ << (8 * i);
			in->n--;
		}
	}
	return v;
}

#endif /* FUZZ_LINE_H */
