// SPDX-License-Identifier: GPL-2.0
/*
 * One run of mcrbench: a ring of one kind made for a scenario in memory
 * like every ring's, its writers and consumer started together on their
 * CPUs (the loops are loops.h's, compiled into each ring's file), a
 * watchdog for runs that overstay, the cross-core round trip measured
 * before it, and what it delivered, lost and took tallied.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void *shm_alloc(struct shm *m, size_t n)
{
	int fd = memfd_create("mcrbench", MFD_CLOEXEC);
	void *p;

	m->p = NULL;
	m->n = (n + 4095) & ~(size_t)4095;
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)m->n)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, m->n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, m->n);	/* prefaulted, like every ring */
	m->p = p;
	return p;
}

static void shm_free(struct shm *m)
{
	if (m->p)
		munmap(m->p, m->n);
	m->p = NULL;
}

void *zalloc_aligned(size_t n)
{
	void *p = aligned_alloc(4096, (n + 4095) & ~(size_t)4095);

	if (p)
		memset(p, 0, n);	/* prefaulted, like every ring */
	return p;
}

int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * Cross-core round trip, measured by the first writer and the consumer on
 * their own CPUs just before the run: this VM's vCPUs do not always sit
 * as close to each other, and that moves every number.
 */
#define PINGPONG_N	500

void pingpong_writer(struct run *run)
{
	uint64_t t0 = __rdtsc();

	for (uint64_t i = 0; i < PINGPONG_N; i++) {
		__atomic_store_n(&run->pingpong, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&run->pingpong, __ATOMIC_ACQUIRE) !=
		       2 * i + 2)
			_mm_pause();
	}
	run->rtt = (__rdtsc() - t0) / PINGPONG_N;
}

void pingpong_consumer(struct run *run)
{
	for (uint64_t i = 0; i < PINGPONG_N; i++) {
		while (__atomic_load_n(&run->pingpong, __ATOMIC_ACQUIRE) !=
		       2 * i + 1)
			_mm_pause();
		__atomic_store_n(&run->pingpong, 2 * i + 2, __ATOMIC_RELEASE);
	}
}

/*
 * Bursts: after the first, wait for the consumer to have drained the last
 * one; then every writer waits for the others on a spinning rendezvous,
 * so that they start within a cache-line round trip of each other.
 */
void burst_start(struct run *run, struct wctx *w, uint64_t b)
{
	unsigned int want = (unsigned int)(b + 1) * run->nw;

	if (b)
		pthread_barrier_wait(&run->bar);
	__atomic_fetch_add(&run->arrive, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&run->arrive, __ATOMIC_ACQUIRE) < want)
		_mm_pause();
	w->bt0 = __rdtsc();
}

/*
 * Run from the consumer's idle loop, so that nobody else wakes up on the
 * benchmark's CPUs: stop a run that is past its deadline or, after a
 * quarter of a second, one whose writers' pace says it would be. Writers
 * on an oversubscribed core can convoy behind one another in a ring whose
 * writers publish in ticket order; such a run is stopped and reported at
 * the rate it managed.
 */
void watchdog(struct run *run, uint64_t t0)
{
	uint64_t el = __rdtsc() - t0, done = 0, want = run->n * run->nw;

	if (el > run->deadline)
		goto stop;
	/* The smoke wants every run to finish, however loaded the machine:
	 * only its deadline stops one.
	 */
	if (cfg.smoke || el < (uint64_t)(tsc_ghz * 250e6))
		return;
	for (unsigned int i = 0; i < run->nw; i++)
		done += __atomic_load_n(&run->w[i]->progress, __ATOMIC_RELAXED);
	if ((double)el * (double)want / (double)(done + 1) <
	    (double)run->deadline)
		return;
stop:
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
}

/* Run's ring, of run->kind, for its size and capacity. */
int ring_setup(struct run *run)
{
	run->ops = rings[run->kind];
	run->keep = clock_set;
	return run->ops->setup(run);
}

void ring_teardown(struct run *run)
{
	if (run->set)
		mcr_set_close(run->set);
	for (int i = 0; i < 3; i++)
		shm_free(&run->mem[i]);
}

/* What run delivered, lost and took, and whether anybody disturbed it. */
static void tally(struct run *run, struct run_result *res)
{
	const struct scenario *sc = run->sc;
	struct cctx *c = run->c;
	uint64_t maxend = 0, minstart = UINT64_MAX, wcpu = 0;

	res->ran = true;
	res->nivcsw = c->nivcsw;
	for (unsigned int i = 0; i < sc->nw; i++) {
		struct wctx *w = run->w[i];

		res->attempts += w->attempts;
		res->accepted += w->accepted;
		res->refused += w->refused;
		res->errors += w->errors;
		if (w->t1 > maxend)
			maxend = w->t1;
		if (w->t0 < minstart)
			minstart = w->t0;
		wcpu += w->cpu_ns;
		if (!oversubscribed(sc))
			res->nivcsw += w->nivcsw;
		for (size_t k = 0; k < w->nlat; k++)
			hist_add(res->lat, w->lat[k]);
	}
	for (size_t k = 0; k < c->ne2e; k++)
		hist_add(res->e2e, c->e2e[k]);
	res->received = c->received;
	res->reordered = c->reordered;
	res->dups = c->dups;
	res->torn = c->torn;
	res->skipped = c->skipped;
	res->ring_drops = res->refused;
	res->acct_ok = true;
	if (run->ops->tally)
		run->ops->tally(run, res);
	{
		uint64_t got = c->received - c->dups;
		/* What the ring counted as skipped is not lost silently. */
		uint64_t owed = res->accepted - res->skipped;

		res->lost = owed > got ? owed - got : 0;
	}

	/* Rates and disturbance. */
	{
		double wall_w = cyc2ns((double)(maxend - minstart));
		double wall_c = cyc2ns((double)(c->t1 - c->t0));
		double lost_w = wall_w - (double)wcpu;
		double lost_c = wall_c - (double)c->cpu_ns;

		if (run->burst) {	/* only the bursts count */
			double bt = cyc2ns((double)run->burst_ticks);

			wall_w = bt;
			lost_w = (bt * sc->nw - (double)wcpu) / sc->nw;
			lost_c = 0;	/* it waits for the bursts */
		}
		res->secs_write = wall_w / 1e9;
		res->secs_total = cyc2ns((double)(c->t_last - minstart)) / 1e9;
		res->wrate = (double)res->attempts / res->secs_write;
		res->drate = (double)res->received / res->secs_total;
		res->rate = sc->mode == M_FLAT_DROP ? res->wrate : res->drate;
		if (run->burst)
			res->rate = res->drate = res->wrate;
		res->bursts = run->burst ?
			      (run->n + run->burst - 1) / run->burst : 0;
		res->complete_s = res->timeout ? INFINITY : res->secs_total;
		res->done_frac = (double)res->received /
				 (double)(run->n * sc->nw);
		res->stall_ns = res->lat->n ? cyc2ns((double)res->lat->max) :
					      NAN;
		if (lost_w < 0)
			lost_w = 0;
		if (lost_c < 0)
			lost_c = 0;
		res->stolen_ms = (lost_w > lost_c ? lost_w : lost_c) / 1e6;
		/* Housekeeping preempts now and then; a round is disturbed
		 * when it lost more than 2 % of its time, or saw steal.
		 */
		res->disturbed = res->steal_ticks > 0 ||
				 res->stolen_ms > 0.25 + 0.02 * wall_c / 1e6;
		res->rtt_ns = run->rtt ? cyc2ns((double)run->rtt) : NAN;
	}
}

int run_once(const struct scenario *sc, int kind, struct run_result *res,
	     struct hist *lat, struct hist *e2e)
{
	struct run *run = aligned_alloc(64, (sizeof(struct run) + 63) & ~63ul);
	struct cctx *c = NULL;
	uint64_t st0;
	struct timespec dl;
	int ret;

	memset(res, 0, sizeof(*res));
	res->lat = lat;
	res->e2e = e2e;
	if (!run)
		return -ENOMEM;
	memset(run, 0, sizeof(*run));
	run->sc = sc;
	run->kind = kind;
	run->mpsc = sc->mpsc;
	run->nw = sc->nw;
	run->size = sc->size;
	run->cap = ring_capacity(kind, sc->size);
	run->mode = sc->mode;
	run->n = cfg.smoke ? sc->n_smoke : sc->n;
	run->stride = sc->stride;
	run->yield = cfg.wcpu == cfg.ccpu;
	/* An oversubscribed run is given twice as long to complete. */
	run->deadline = (uint64_t)(tsc_ghz * 1e9 * cfg.timeout_s *
				   (sc->place == PL_SHARE ? 2 : 1));
	run->backoff = sc->spin ? 0 : (uint64_t)(tsc_ghz *
		(sc->pause_us ? sc->pause_us * 1000 : cfg.backoff_ns));
	if (sc->mode == M_PACED)
		run->period = (uint64_t)(tsc_ghz * 1e9 * sc->nw / sc->rate);
	ret = ring_setup(run);
	if (ret)
		goto out;

	c = aligned_alloc(64, (sizeof(*c) + 63) & ~63ul);
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	memset(c, 0, sizeof(*c));
	c->run = run;
	c->cpu = cfg.ccpu;
	c->maxseq = run->n;
	c->maxe2e = (run->n * sc->nw) / sc->stride + sc->nw + 1;
	c->e2e = malloc(c->maxe2e * sizeof(*c->e2e));
	if (run->ops->consumer_init)
		run->ops->consumer_init(c);
	run->c = c;
	for (unsigned int i = 0; i < sc->nw; i++) {
		struct wctx *w = aligned_alloc(64, (sizeof(*w) + 63) & ~63ul);

		if (!w) {
			ret = -ENOMEM;
			goto out;
		}
		memset(w, 0, sizeof(*w));
		w->run = run;
		w->idx = i;
		w->cpu = writer_cpu(sc, i);
		w->id_base = (uint64_t)i << SEQ_BITS;
		w->maxlat = run->n / sc->stride + 2;
		w->lat = malloc(w->maxlat * sizeof(*w->lat));
		c->seen[i] = calloc(run->n / 64 + 1, sizeof(uint64_t));
		run->w[i] = w;
		if (!w->lat || !c->seen[i] || !c->e2e) {
			ret = -ENOMEM;
			goto out;
		}
	}

	for (unsigned int i = 0; i < sc->nw; i++) {
		run->w[i]->share = run->w[i]->cpu == c->cpu;
		for (unsigned int j = 0; j < sc->nw; j++)
			run->w[i]->share |= j != i &&
					    run->w[j]->cpu == run->w[i]->cpu;
	}
	if (spread_bursts(sc)) {
		run->burst = burst_records(sc) / sc->nw;
		c->maxe2e = 0;		/* drained afterwards: no e2e */
		pthread_barrier_init(&run->bar, NULL, sc->nw + 1);
	}

	st0 = steal_ticks();
	if (pthread_create(&c->th, NULL, run->ops->consumer, c)) {
		ret = -EAGAIN;
		goto out;
	}
	for (unsigned int i = 0; i < sc->nw; i++)
		pthread_create(&run->w[i]->th, NULL, run->ops->writer,
			       run->w[i]);
	while (__atomic_load_n(&run->ready, __ATOMIC_ACQUIRE) < (int)sc->nw + 1)
		usleep(200);	/* every thread at the start line */
	__atomic_store_n(&run->go, 1, __ATOMIC_RELEASE);

	/* The consumer's watchdog stops a run that overstays; a last
	 * resort here, in case the consumer itself cannot run.
	 */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 4 * cfg.timeout_s;
	for (unsigned int i = 0; i < sc->nw; i++)
		if (pthread_timedjoin_np(run->w[i]->th, NULL, &dl) == ETIMEDOUT) {
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
			pthread_join(run->w[i]->th, NULL);
		}
	pthread_join(c->th, NULL);
	res->timeout = __atomic_load_n(&run->stop, __ATOMIC_RELAXED);
	res->steal_ticks = steal_ticks() - st0;
	tally(run, res);
	ret = 0;
out:
	for (unsigned int i = 0; i < MAXW; i++) {
		if (run->w[i]) {
			free(run->w[i]->lat);
			free(run->w[i]);
		}
		if (c)
			free(c->seen[i]);
	}
	if (c)
		free(c->e2e);
	free(c);
	if (run->burst)
		pthread_barrier_destroy(&run->bar);
	ring_teardown(run);
	free(run);
	return ret;
}

double rtt_best_ns;	/* best cross-core round trip at start-up */

static void *rtt_peer(void *a)
{
	struct run *run = a;

	pin_to(cfg.ccpu);
	for (int i = 0; i < 20; i++)
		pingpong_consumer(run);
	return NULL;
}

/* The reference round trip: the best of 20 bursts, before any run. */
void measure_rtt(void)
{
	struct run *run = aligned_alloc(64, (sizeof(*run) + 63) & ~63ul);
	cpu_set_t all;
	pthread_t th;
	uint64_t best = UINT64_MAX;

	if (!run || cfg.wcpu == cfg.ccpu) {
		free(run);
		return;
	}
	memset(run, 0, sizeof(*run));
	sched_getaffinity(0, sizeof(all), &all);
	pin_to(cfg.wcpu);
	pthread_create(&th, NULL, rtt_peer, run);
	for (int i = 0; i < 20; i++) {
		pingpong_writer(run);
		__atomic_store_n(&run->pingpong, 0, __ATOMIC_RELEASE);
		if (run->rtt < best)
			best = run->rtt;
	}
	pthread_join(th, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	rtt_best_ns = cyc2ns((double)best);
	free(run);
}
