// SPDX-License-Identifier: GPL-2.0
/*
 * What the abandon tests share: see mcr_abandon.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest.h"
#include "mcr_abandon.h"

int write_rec(struct mcr_writer *w, __u32 id, __u32 n)
{
	__u32 len = len_of(id, n);
	struct mcr_resv r;
	int ret = mcr_reserve(w, len, &r);

	if (ret)
		return ret;
	payload_fill(r.text, id, n, len);
	return mcr_commit(w, &r, len, pri_of(id, n), 0);
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < MAX_IDS; i++)
		s->last_n[i] = -1;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < MAX_IDS; i++)
		free(s->bm[i]);
}

void seen_forget(struct seen *s, __u32 w)
{
	s->last_n[w] = -1;
	s->count[w] = 0;
	if (s->bm[w])
		memset(s->bm[w], 0, MAX_N / 8);
}

static void seen_fail(struct seen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void seen_fail(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->errors++) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
}

bool delivered(const struct seen *s, __u32 w, __u32 n)
{
	return s->bm[w] && n < MAX_N && bm_test(s->bm[w], n);
}

static void seen_record(struct seen *s, const struct mcr_record *rec,
			const char *text)
{
	unsigned int ring = rec->ring;
	char why[160];
	pid_t pid;
	__u32 w, n;

	if (ring_order_next(&s->order, rec, why, sizeof(why))) {
		seen_fail(s, "%s", why);
		return;
	}
	if (s->watch_on && rec->seq == s->watch_seq)
		s->watch_hit = true;
	if (payload_check(text, rec->len, &w, &n, NULL, 0) || w >= MAX_IDS ||
	    n >= MAX_N) {
		seen_fail(s, "ring %u seq %llu: torn or foreign record (len %u)",
			  ring, (unsigned long long)rec->seq, rec->len);
		return;
	}
	pid = s->pid[w] ? s->pid[w] : getpid();
	if (rec->pri != pri_of(w, n) || rec->pid != (__u32)pid) {
		seen_fail(s, "writer %u counter %u: pri %u pid %u", w, n,
			  rec->pri, rec->pid);
		return;
	}
	if ((__s64)n <= s->last_n[w]) {
		seen_fail(s, "writer %u: counter %u after %lld", w, n,
			  (long long)s->last_n[w]);
		return;
	}
	if (!s->bm[w]) {
		s->bm[w] = calloc(MAX_N / 8, 1);
		if (!s->bm[w]) {
			seen_fail(s, "out of memory");
			return;
		}
	}
	if (!s->count[w])
		s->first_seq[w] = (__u32)rec->seq;
	bm_set(s->bm[w], n);
	s->last_n[w] = n;
	s->count[w]++;
	s->total++;
}

__u64 drain_max(struct mcr_reader *rd, struct seen *s, __u64 max)
{
	static char text[MCR_TEXT_MAX];
	struct mcr_record rec;
	__u64 n = 0;

	while (n < max && mcr_read(rd, &rec, text) == 1) {
		seen_record(s, &rec, text);
		n++;
	}
	return n;
}

__u64 drain(struct mcr_reader *rd, struct seen *s)
{
	return drain_max(rd, s, (__u64)-1);
}

struct mcr_ring_stats stats_of(struct mcr_reader *rd, unsigned int ring)
{
	struct mcr_ring_stats st = { 0 };

	mcr_reader_stats(rd, ring, &st);
	return st;
}

bool all_accounted(struct mcr_reader *rd, const struct mcr_ring *r,
		   unsigned int ring)
{
	struct mcr_ring_stats st = stats_of(rd, ring);
	__u32 head = mcr_packed_seq(READ_ONCE(r->prod->head));

	return head == (__u32)(st.drained + st.abandoned + st.invalid +
			       st.discarded);
}

void pause_us(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	nanosleep(&ts, NULL);
}

static void *live_main(void *arg)
{
	struct live *l = arg;
	struct mcr_writer w;
	int ret;

	ret = l->spsc ? mcr_writer_spsc(l->set, 0, &w) :
			mcr_writer_mpsc(l->set, &w);
	if (ret) {
		l->err = ret;
		return NULL;
	}
	for (__u32 n = 0; n < l->records;) {
		__u64 t0 = mcr_now_ns(), t1;

		if (__atomic_load_n(l->stop, __ATOMIC_RELAXED))
			return NULL;
		if (__atomic_load_n(l->hold, __ATOMIC_RELAXED) ||
		    (n == l->gate &&
		     !__atomic_load_n(l->gate_open, __ATOMIC_RELAXED))) {
			pause_us(50);
			continue;
		}
		ret = write_rec(&w, l->id, n);
		t1 = mcr_now_ns();
		if (ret == -ENOBUFS) {
			/* Lossless: wait for room and retry this counter. */
			__atomic_fetch_add(&l->enobufs, 1, __ATOMIC_RELAXED);
			pause_us(50);
			continue;
		}
		if (ret) {
			l->err = ret;
			return NULL;
		}
		if (t1 - t0 > ABANDON_NS / 2 && l->nslow < 64)
			l->slow[l->nslow++] = n;
		n++;
		__atomic_store_n(&l->commits, n, __ATOMIC_RELEASE);
		/* Paced, so the writers never crowd the 2 CPUs. */
		if (n % 32 == 0)
			pause_us(100);
	}
	return NULL;
}

static bool live_slow(const struct live *l, __u32 n)
{
	for (__u32 i = 0; i < l->nslow; i++)
		if (l->slow[i] == n)
			return true;
	return false;
}

__u32 live_commits(const struct live *l)
{
	return __atomic_load_n(&l->commits, __ATOMIC_ACQUIRE);
}

/* --- one test's rings, reader, bookkeeping and live writers ----------- */

void ab_init(struct ab *ab)
{
	memset(ab, 0, sizeof(*ab));
	seen_init(&ab->seen);
}

void ab_fini(struct ab *ab)
{
	__atomic_store_n(&ab->stop, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < ab->nlive; i++)
		if (ab->live[i].started)
			pthread_join(ab->live[i].thread, NULL);
	if (ab->rd)
		mcr_reader_close(ab->rd);
	if (ab->set)
		mcr_set_close(ab->set);
	seen_free(&ab->seen);
}

int ab_open_rings(struct ab *ab, unsigned int nr, __u32 ndesc,
		  __u32 data_size, __u64 reclaim_ns)
{
	int ret = mcr_shm_create(nr, ndesc, data_size, &ab->set);

	if (ret)
		return ret;
	ret = mcr_reader_open(ab->set, &ab->rd);
	if (ret)
		return ret;
	mcr_reader_set_bounds(ab->rd, ABANDON_NS, reclaim_ns);
	return 0;
}

int ab_start_live(struct ab *ab, __u32 id, __u32 records, int spsc)
{
	struct live *l;

	if (ab->nlive == MAX_LIVE)
		return -ENOSPC;
	l = &ab->live[ab->nlive++];
	l->set = ab->set;
	l->stop = &ab->stop;
	l->hold = &ab->hold;
	l->gate = ab->gate_at ? ab->gate_at : (__u32)-1;
	l->gate_open = &ab->gate_open;
	l->id = id;
	l->records = records;
	l->spsc = spsc;
	if (pthread_create(&l->thread, NULL, live_main, l))
		return -EAGAIN;
	l->started = true;
	return 0;
}

bool ab_live_all_done(struct ab *ab)
{
	for (unsigned int i = 0; i < ab->nlive; i++)
		if (live_commits(&ab->live[i]) < ab->live[i].records &&
		    !ab->live[i].err)
			return false;
	return true;
}

__u64 ab_live_enobufs(struct ab *ab)
{
	__u64 sum = 0;

	for (unsigned int i = 0; i < ab->nlive; i++)
		sum += __atomic_load_n(&ab->live[i].enobufs, __ATOMIC_RELAXED);
	return sum;
}

bool ab_drain_until_live_done(struct ab *ab, const struct mcr_ring *r,
			      unsigned int ring, bool spin)
{
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;

	while (!ab_live_all_done(ab) || !all_accounted(ab->rd, r, ring) ||
	       drain(ab->rd, &ab->seen)) {
		if (mcr_now_ns() > deadline)
			return false;
		if (!drain(ab->rd, &ab->seen) && !spin)
			pause_us(50);
	}
	for (unsigned int i = 0; i < ab->nlive; i++) {
		if (ab->live[i].started)
			pthread_join(ab->live[i].thread, NULL);
		ab->live[i].started = false;
	}
	return true;
}

__u64 ab_live_missing(struct ab *ab, unsigned int nlive, __u64 *unexplained)
{
	__u64 missing = 0;

	*unexplained = 0;
	for (unsigned int i = 0; i < nlive; i++) {
		const struct live *l = &ab->live[i];

		for (__u32 n = 0; n < l->records; n++) {
			bool slow = live_slow(l, n);

			if (delivered(&ab->seen, l->id, n))
				continue;
			missing++;
			*unexplained += !slow;
			if (missing <= 10)
				ksft_print_msg("writer %u counter %u not delivered%s\n",
					       l->id, n, slow ?
					       " (its writer held it past ABANDON_NS / 2)" :
					       "");
		}
		if (l->nslow)
			ksft_print_msg("writer %u: %u reservation(s) held past ABANDON_NS / 2 (preempted)\n",
				       l->id, l->nslow);
	}
	return missing;
}

__u64 ab_wait_abandoned(struct ab *ab, unsigned int ring, __u64 seq,
			__u64 base, __u64 *after)
{
	const struct ring_order *o = &ab->seen.order;
	__u64 deadline = mcr_now_ns() + DEADLINE_NS, first = 0;

	for (;;) {
		__u64 before = mcr_now_ns(), now;

		drain_max(ab->rd, &ab->seen, POLL_MAX);
		now = mcr_now_ns();
		if (!first && stats_of(ab->rd, ring).abandoned > base) {
			first = before;
			*after = now;
		}
		if (first && o->have_seq[ring] && o->last_seq[ring] > seq)
			return first;
		if (now > deadline)
			return 0;
		pause_us(50);
	}
}

__u64 ab_wait_reclaimed(struct ab *ab, unsigned int ring, __u64 want)
{
	__u64 deadline = mcr_now_ns() + DEADLINE_NS;

	for (;;) {
		__u64 now;

		drain_max(ab->rd, &ab->seen, POLL_MAX);
		now = mcr_now_ns();
		if (stats_of(ab->rd, ring).reclaimed >= want)
			return now;
		if (now > deadline)
			return 0;
		pause_us(1000);
	}
}

/* --- an MPSC writer thread that reserves and exits ------------------- */

void *dead_main(void *arg)
{
	struct dead *d = arg;
	struct mcr_writer w;
	struct mcr_resv r;

	mcr_writer_mpsc(d->set, &w);
	d->t_reserve = mcr_now_ns();
	d->ret = mcr_reserve(&w, 100, &r);
	d->seq = r.seq;
	memset(r.text, 0xee, 100);	/* half-written, never committed */
	return NULL;			/* dies holding the reservation */
}
