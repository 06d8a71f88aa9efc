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
#define LC_PRI		14	/* user.info: MCR_PRI(1, 6), LOG_USER|LOG_INFO */

/* @buf holds LC_LEN + 1 bytes. */
static inline void lc_msg(char *buf, uint64_t seq)
{
	int o = snprintf(buf, LC_LEN + 1, "mcrbench seq=%010" PRIu64 " ", seq);

	memset(buf + o, 'x', LC_LEN - (size_t)o);
	buf[LC_LEN] = '\0';
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
