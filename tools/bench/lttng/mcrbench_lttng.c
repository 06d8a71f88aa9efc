// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench-lttng: the LTTng-UST log call, in a process of its own so that
 * it registers with the session daemon mcrbench started, in the session
 * mcrbench set up, before its first call.
 *
 *   mcrbench-lttng N CPU TSC_GHZ OUT [PERIOD]
 *
 * Makes N calls of the tracepoint mcrbench:log on CPU (PERIOD TSC ticks
 * apart, as mcrbench paces every log call; flat out without), each timed with
 * mcrbench's bracket; writes to OUT the calls per second (a double) then
 * each call's TSC ticks (uint32_t).
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tsc.h"
#include "../lcmsg.h"
#include "lttng_tp.h"

int main(int argc, char **argv)
{
	uint64_t n, t0, period;
	double ghz, rate;
	char msg[LC_LEN + 1];
	cpu_set_t set;
	uint32_t *t;
	FILE *f;

	if (argc != 5 && argc != 6) {
		fprintf(stderr,
			"usage: mcrbench-lttng N CPU TSC_GHZ OUT [PERIOD]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 0);
	period = argc == 6 ? strtoull(argv[5], NULL, 0) : 0;
	ghz = atof(argv[3]);
	t = calloc(n ? n : 1, sizeof(*t));
	if (!t || ghz <= 0)
		return 1;
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[2]), &set);
	sched_setaffinity(0, sizeof(set), &set);
	t0 = __rdtsc();
	for (uint64_t s = 0; s < n; s++) {
		uint64_t a;

		lc_pace(t0, period, s);
		lc_msg(msg, s);
		a = t_start();
		lttng_ust_tracepoint(mcrbench, log, LC_PRI, msg, LC_LEN);
		a = t_end() - a;
		t[s] = a > UINT32_MAX ? UINT32_MAX : (uint32_t)a;
	}
	rate = (double)n / ((double)(__rdtsc() - t0) / ghz / 1e9);
	f = fopen(argv[4], "w");
	if (!f || fwrite(&rate, sizeof(rate), 1, f) != 1 ||
	    fwrite(t, sizeof(*t), n, f) != n || fclose(f)) {
		fprintf(stderr, "mcrbench-lttng: %s: %s\n", argv[4],
			strerror(errno));
		return 1;
	}
	free(t);
	return 0;
}
