// SPDX-License-Identifier: GPL-2.0
/*
 * The machine mcrbench runs on, as its report describes it: CPUs, model,
 * kernel, clocksource and TSC flags, load, steal, and what the timer and
 * the clocks cost here.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct machine mach;

double loadavg1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

uint64_t steal_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		v[7] = 0;
	fclose(f);
	return v[7];
}

static void read_line(const char *path, const char *key, char *out,
		      size_t n)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	snprintf(out, n, "unknown");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		char *p = buf;

		if (key) {
			if (strncmp(buf, key, strlen(key)))
				continue;
			p = strchr(buf, ':');
			if (!p)
				continue;
			p += 2;
		}
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, n, "%s", p);
		break;
	}
	fclose(f);
}

void machine_info(void)
{
	cpu_set_t set;
	struct utsname u;
	char flags[4096];
	time_t now = time(NULL);
	static const char *const want[] = {
		"constant_tsc", "nonstop_tsc", "tsc_known_freq", "hypervisor",
	};

	sched_getaffinity(0, sizeof(set), &set);
	for (int i = 0; i < CPU_SETSIZE && mach.ncpu_allowed < 256; i++)
		if (CPU_ISSET(i, &set))
			mach.cpus[mach.ncpu_allowed++] = i;
	mach.ncpu_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	read_line("/proc/cpuinfo", "model name", mach.model,
		  sizeof(mach.model));
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  NULL, mach.clocksource, sizeof(mach.clocksource));
	read_line("/proc/cpuinfo", "flags", flags, sizeof(flags));
	mach.tsc_flags[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char pat[40];

		snprintf(pat, sizeof(pat), " %s ", want[i]);
		strcat(flags, " ");
		if (strstr(flags, pat)) {
			if (mach.tsc_flags[0])
				strcat(mach.tsc_flags, ", ");
			strcat(mach.tsc_flags, want[i]);
		}
	}
	uname(&u);
	snprintf(mach.kernel, sizeof(mach.kernel), "%s %s", u.sysname,
		 u.release);
	strftime(mach.date, sizeof(mach.date), "%Y-%m-%d %H:%M UTC",
		 gmtime(&now));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ns per @expr, the mean of @n back to back, each added to @sink. */
#define BACK_TO_BACK_NS(n, sink, expr)					\
	({								\
		uint64_t t0_ = __rdtsc();				\
									\
		for (unsigned int i_ = 0; i_ < (n); i_++)		\
			(sink) += (expr);				\
		cyc2ns((double)(__rdtsc() - t0_) / (n));		\
	})

/* What the timer costs: empty sampled regions; and its neighbours. */
void timer_cost(unsigned int n)
{
	uint64_t *d = malloc(n * sizeof(*d)), t0, t1;
	volatile uint64_t sink = 0;

	for (unsigned int i = 0; i < n; i++) {
		t0 = t_start();
		t1 = t_end();
		d[i] = t1 - t0;
	}
	qsort(d, n, sizeof(*d), cmp_u64);
	mach.timer_min_ns = cyc2ns((double)d[0]);
	mach.timer_p50_ns = cyc2ns((double)d[n / 2]);

	/* Granularity: the commonest step between distinct readings. Some
	 * CPUs advance the TSC in steps (AMD: by the multiplier, at 100 MHz).
	 */
	for (unsigned int i = 0; i < n; i++) {
		uint64_t a = __rdtsc(), b;

		while ((b = __rdtsc()) == a)
			;
		d[i] = b - a;
	}
	qsort(d, n, sizeof(*d), cmp_u64);
	mach.tsc_step_ns = cyc2ns((double)d[n / 2]);
	free(d);

	mach.rdtsc_ns = BACK_TO_BACK_NS(n, sink, __rdtsc());
	mach.clock_ns = BACK_TO_BACK_NS(n, sink, mcr_now_ns());
	mach.getcpu_ns = BACK_TO_BACK_NS(n, sink, mcr_cpu());
	mach.map_ns = BACK_TO_BACK_NS(n, sink, peer_now());
	mach.rseq_ns = BACK_TO_BACK_NS(n, sink, mcr_cpu_fast());
	(void)sink;
}
