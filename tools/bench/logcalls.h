/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrbench's log calls: what a person choosing a logging path compares,
 * one call against another, each with the same message on the same
 * machine in the same run: mcr_log() into a ring a consumer drains,
 * fprintf(3) to a file, syslog(3) to an rsyslogd the benchmark starts,
 * an LTTng-UST tracepoint recorded by a session of a real lttng-sessiond.
 */
#ifndef MCRBENCH_LOGCALLS_H
#define MCRBENCH_LOGCALLS_H

#include <stdbool.h>
#include <stdint.h>

enum { LC_MCR, LC_FPRINTF, LC_SYSLOG, LC_LTTNG, NR_LC };

extern const char *const lc_name[NR_LC];
extern const char *const lc_title[NR_LC];

struct mcr_set;

struct lc_cfg {
	double tsc_ghz;		/* TSC ticks per ns */
	int wcpu;		/* the writer's CPU; readers go anywhere */
	uint64_t n;		/* calls per run */
	uint64_t period;	/* TSC ticks between calls; 0: flat out */
	double backoff_ns;	/* mcrring's consumer, finding the ring empty */
	const char *dir;	/* scratch: the file, the servers' files */
	const char *lttng_helper;	/* mcrbench-lttng, where built */
	/* Keep @set's TSC clock until writers can read it: 0 or -errno. */
	int (*calibrate)(struct mcr_set *set);
};

struct lc_result {
	const char *na;		/* why the call could not be measured */
	uint64_t calls;		/* made */
	uint64_t refused;	/* the call said so (mcrring: ring full) */
	uint64_t discarded;	/* the tracer said so afterwards (LTTng) */
	uint64_t delivered;	/* arrived where the reader reads */
	uint64_t reordered, dups, garbled;
	double p50_ns, p99_ns, max_ns;	/* per call, timer included */
	double rate;		/* calls per second of the writer */
};

/*
 * Start the servers the calls need: rsyslogd, and lttng-sessiond unless
 * one is running. Whatever cannot start leaves its call n/a, said in
 * lc_unavailable(): NULL when every call can run.
 */
void lc_setup(const struct lc_cfg *cfg);
void lc_teardown(void);
const char *lc_unavailable(int kind);

/* One run of @n calls of @kind; 0, or -errno with res->na set. */
int lc_run(int kind, const struct lc_cfg *cfg, struct lc_result *res);

/* What a reader got: a message, checked against the order it expects. */
struct lc_check {
	uint64_t next, delivered, reordered, dups, garbled;
	uint8_t *seen;		/* n flags: delivered already */
	uint64_t n;
};

/*
 * One line or record a reader read: @text holds an lc_msg() somewhere
 * (a line without one is garbled).
 */
void lc_got(struct lc_check *c, const char *text, size_t len);

/* p50, p99 and max of @n call times in TSC ticks, in ns; sorts @t. */
void lc_quantiles(const struct lc_cfg *cfg, uint32_t *t, uint64_t n,
		  struct lc_result *res);

/* Every call delivered but those the call itself refused, in order. */
static inline bool lc_sound(const struct lc_result *r)
{
	return !r->na &&
	       r->delivered + r->refused + r->discarded == r->calls &&
	       !r->reordered && !r->dups && !r->garbled;
}

#endif /* MCRBENCH_LOGCALLS_H */
