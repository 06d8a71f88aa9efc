/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The message every log call carries: "mcrbench seq=0000000042 xxx...",
 * LC_LEN bytes of text that begin with the call's sequence number, so a
 * reader can tell loss, order and garbling from the text alone.
 */
#ifndef MCRBENCH_LCMSG_H
#define MCRBENCH_LCMSG_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tsc.h"

#define LC_LEN		128
#define LC_PREFIX	"mcrbench seq="	/* what every message begins with */
#define LC_PRI		14	/* user.info: MCR_PRI(1, 6), LOG_USER|LOG_INFO */

/* @buf holds LC_LEN + 1 bytes. */
static inline void lc_msg(char *buf, uint64_t seq)
{
	int o = snprintf(buf, LC_LEN + 1, LC_PREFIX "%010" PRIu64 " ", seq);

	memset(buf + o, 'x', LC_LEN - (size_t)o);
	buf[LC_LEN] = '\0';
}

/*
 * The sequence number of @text if it is exactly what lc_msg() makes of
 * it, else -1: cheap enough for a consumer to check every record as it
 * drains, where keeping the texts to check later would cost it a cold
 * 128-byte store a record.
 */
static inline int64_t lc_msg_seq(const char *text, size_t len)
{
	const size_t np = sizeof(LC_PREFIX) - 1, nd = 10;
	uint64_t seq = 0;

	if (len != LC_LEN || memcmp(text, LC_PREFIX, np) || text[np + nd] != ' ')
		return -1;
	for (size_t i = np; i < np + nd; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		seq = seq * 10 + (uint64_t)(text[i] - '0');
	}
	for (size_t i = np + nd + 1; i < LC_LEN; i++)
		if (text[i] != 'x')
			return -1;
	return (int64_t)seq;
}

/* Paced calls: wait for call @s's turn, @period TSC ticks apart from
 * @t0; a call behind its schedule goes at once. 0: flat out. */
static inline void lc_pace(uint64_t t0, uint64_t period, uint64_t s)
{
	if (period)
		while ((int64_t)(__rdtsc() - (t0 + s * period)) < 0)
			_mm_pause();
}

#endif /* MCRBENCH_LCMSG_H */
