/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the text and archive fuzz targets share: a record's fields, the
 * line the module prints for them, and reading the fuzzer's input.
 *
 * fl_format() is kmod/archive.c's mcr_format() with snprintf for
 * scnprintf (the same thing here: the prefix never fills MCR_LINE_MAX):
 * the macros and mcr_text_escape() it uses are lib/mcr_text.h's, the
 * code the kernel compiles.
 */
#ifndef FUZZ_LINE_H
#define FUZZ_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mcr_text.h"

#define check(cond)							\
	do {								\
		if (!(cond))						\
			__builtin_trap();				\
	} while (0)

/* A record as the archive holds it (kmod/archive.c, struct mcr_arec). */
struct fl_rec {
	uint64_t seq, ts_ns;
	uint32_t ring, cpu, pid, tid;
	uint8_t pri, flags;
	int32_t owner_pid;	/* 0: no owner, printed "-" */
	uint32_t owner_uid;
	uint32_t len;
	const unsigned char *text;
};

/* The line, '\n' included, into @out (MCR_LINE_MAX bytes); its length. */
static inline size_t fl_format(char *out, const struct fl_rec *a)
{
	size_t o;

	o = snprintf(out, MCR_LINE_MAX, MCR_TEXT_PREFIX,
		     (unsigned long long)a->seq, (unsigned long long)a->ts_ns,
		     a->ring, a->cpu, a->pid, a->tid,
		     MCR_PRI_FAC(a->pri), MCR_PRI_SEV(a->pri));
	if (a->owner_pid)
		o += snprintf(out + o, MCR_LINE_MAX - o, MCR_TEXT_OWNER,
			      a->owner_pid, a->owner_uid);
	else
		o += snprintf(out + o, MCR_LINE_MAX - o, MCR_TEXT_NOOWNER);
	o = mcr_text_escape(out, o, a->text, a->len,
			    a->flags & MCR_FLAG_FIELDS);
	out[o++] = '\n';
	return o;
}

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
