// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmcrring: everything that is not on the inline write path: ring sets,
 * writer setup, formatted logging, the merging reader.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mcrring.h"
#include "mcr_compat.h"	/* the kernel's names: READ_ONCE() and the like */
#include "mcr_text.h"

#define MCR_EXPORT __attribute__((visibility("default")))

/* Keeps the writers' clock of rings a userspace consumer drains. */
struct mcr_keeper {
	struct mcr_clock_keeper k;
	__u64 next_ns;		/* CLOCK_MONOTONIC of the next sample */
};

/*
 * A set is either a shared memory file holding every ring back to back
 * (base != NULL), or /dev/mcrlog, whose rings are mapped one by one as
 * writers ask for them (mapped[i]).
 */
struct mcr_set {
	void *base;		/* shm: one mapping holding every ring */
	size_t map_len;
	__u64 stride;		/* bytes per ring */
	int fd;
	unsigned int nr_rings;
	__u64 features;		/* device: MCR_FEAT_* */
	pthread_mutex_t map_lock;	/* device: serialises mapping rings */
	void **mapped;		/* device: ring i's mapping, or NULL */
	struct mcr_keeper keeper;	/* shm: see mcr_set_keep_clock() */
	struct mcr_ring rings[];
};

/* --- process and thread identity ------------------------------------ */

MCR_EXPORT __thread pid_t mcr_tls_tid;
static pid_t mcr_pid;
static pthread_once_t mcr_atfork_once = PTHREAD_ONCE_INIT;

/* After fork the child's copy of the caches names the parent: forget. */
static void mcr_atfork_child(void)
{
	mcr_tls_tid = 0;
	mcr_pid = 0;
}

static void mcr_atfork_register(void)
{
	pthread_atfork(NULL, NULL, mcr_atfork_child);
}

MCR_EXPORT pid_t mcr_gettid(void)
{
	if (__builtin_expect(!mcr_tls_tid, 0)) {
		pthread_once(&mcr_atfork_once, mcr_atfork_register);
		mcr_tls_tid = gettid();
	}
	return mcr_tls_tid;
}

MCR_EXPORT pid_t mcr_getpid(void)
{
	pid_t pid = __atomic_load_n(&mcr_pid, __ATOMIC_RELAXED);

	if (__builtin_expect(!pid, 0)) {
		pthread_once(&mcr_atfork_once, mcr_atfork_register);
		pid = getpid();
		__atomic_store_n(&mcr_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

MCR_EXPORT unsigned int mcr_cpu(void)
{
	int cpu = sched_getcpu();	/* rseq-backed in glibc >= 2.35 */

	return cpu < 0 ? 0 : (unsigned int)cpu;
}

/* --- the writers' clock (lib/mcr_clock.h) ------------------------- */

/*
 * Sample the two clocks into @kp when a sample is due: the first at once,
 * the second MCR_CLOCK_FIRST_NS later, then once a period.
 * Return: true when the map changed and the rings need storing.
 */
static bool mcr_keep_due(struct mcr_keeper *kp)
{
#ifdef MCR_HAVE_CYCLES
	__u64 now = mcr_now_ns(), best = ~0ULL, tsc = 0, ns = 0;

	if (now < kp->next_ns)
		return false;
	for (int i = 0; i < 3; i++) {
		__u64 t0, t1, n;

		t0 = mcr_cycles_ordered();
		n = mcr_now_ns();
		t1 = mcr_cycles_ordered();
		if (t1 - t0 < best) {
			best = t1 - t0;
			tsc = t0 + (t1 - t0) / 2;
			ns = n;
		}
	}
	kp->next_ns = ns + (kp->k.map.tsc_limit ? MCR_CLOCK_PERIOD_NS :
						  MCR_CLOCK_FIRST_NS);
	return mcr_clock_update(&kp->k, tsc, ns);
#else
	(void)kp;
	return false;
#endif
}

MCR_EXPORT int mcr_set_keep_clock(struct mcr_set *set)
{
	if (!set->base)
		return -EOPNOTSUPP;
#ifndef MCR_HAVE_CYCLES
	return -EOPNOTSUPP;
#endif
	if (mcr_keep_due(&set->keeper)) {
		for (unsigned int i = 0; i < set->nr_rings; i++)
			mcr_clock_store(&set->rings[i].cons->clock,
					&set->keeper.k);
		mcr_clock_stored(&set->keeper.k);
	}
	return 0;
}

/* --- ring sets ------------------------------------------------------ */

MCR_EXPORT int mcr_shm_create(unsigned int nr_rings, __u32 ndesc,
			      __u32 data_size, struct mcr_set **out)
{
	__u64 size = mcr_ring_size(ndesc, data_size);
	struct mcr_set *set;
	int ret;

	if (!size || !nr_rings || nr_rings > 1024)
		return -EINVAL;
	set = calloc(1, sizeof(*set) + nr_rings * sizeof(set->rings[0]));
	if (!set)
		return -ENOMEM;
	set->nr_rings = nr_rings;
	set->stride = size;
	set->map_len = size * nr_rings;
	set->fd = memfd_create("mcrring", MFD_CLOEXEC);
	if (set->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (ftruncate(set->fd, (off_t)set->map_len)) {
		ret = -errno;
		goto out_close;
	}
	set->base = mmap(NULL, set->map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, set->fd, 0);
	if (set->base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	for (unsigned int i = 0; i < nr_rings; i++)
		mcr_ring_format(&set->rings[i],
				(char *)set->base + i * set->stride, ndesc,
				data_size, i);
	*out = set;
	return 0;

out_close:
	close(set->fd);
out_free:
	free(set);
	return ret;
}

MCR_EXPORT int mcr_open(const char *path, struct mcr_set **out)
{
	struct mcr_info info = { 0 };
	struct mcr_set *set;
	int fd, ret;

	fd = open(path ? path : "/dev/" MCR_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, MCR_IOC_INFO, &info)) {
		ret = errno == ENOTTY ? -ENODEV : -errno;
		goto out_close;
	}
	if (info.abi_version != MCR_ABI_VERSION) {
		ret = -EPROTO;
		goto out_close;
	}
	if (!info.nr_rings || info.nr_rings > 65536 ||
	    mcr_ring_size(info.ndesc, info.data_size) != info.ring_size) {
		ret = -EPROTO;
		goto out_close;
	}
	set = calloc(1, sizeof(*set) + info.nr_rings * sizeof(set->rings[0]));
	if (!set) {
		ret = -ENOMEM;
		goto out_close;
	}
	set->mapped = calloc(info.nr_rings, sizeof(*set->mapped));
	if (!set->mapped) {
		free(set);
		ret = -ENOMEM;
		goto out_close;
	}
	pthread_mutex_init(&set->map_lock, NULL);
	set->fd = fd;
	set->features = info.features;
	set->nr_rings = info.nr_rings;
	set->stride = info.ring_size;
	*out = set;
	return 0;

out_close:
	close(fd);
	return ret;
}

/*
 * Map device ring @i for writing: the cons page read-only, the rest
 * read-write, side by side in one reserved range (the module refuses to
 * split its mappings, so they are made separately).
 */
static int __mcr_map_ring(struct mcr_set *set, unsigned int i)
{
	off_t off = (off_t)MCR_MMAP_RING(i);
	char *base;
	int ret;

	if (set->mapped[i])
		return 0;
	base = mmap(NULL, set->stride, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (mmap(base, MCR_PROD_OFF, PROT_READ, MAP_SHARED | MAP_FIXED,
		 set->fd, off + MCR_CONS_OFF) == MAP_FAILED ||
	    mmap(base + MCR_PROD_OFF, set->stride - MCR_PROD_OFF,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, set->fd,
		 off + MCR_PROD_OFF) == MAP_FAILED) {
		ret = -errno;
		munmap(base, set->stride);
		return ret;
	}
	ret = mcr_ring_attach(&set->rings[i], base, set->stride);
	if (ret) {
		munmap(base, set->stride);
		return ret;
	}
	set->mapped[i] = base;
	return 0;
}

/* Threads may make their first writers at once: map each ring once. */
static int mcr_map_ring(struct mcr_set *set, unsigned int i)
{
	int ret;

	if (set->base)
		return 0;
	pthread_mutex_lock(&set->map_lock);
	ret = __mcr_map_ring(set, i);
	pthread_mutex_unlock(&set->map_lock);
	return ret;
}

MCR_EXPORT void mcr_set_close(struct mcr_set *set)
{
	if (!set)
		return;
	if (set->base)
		munmap(set->base, set->map_len);
	for (unsigned int i = 0; set->mapped && i < set->nr_rings; i++)
		if (set->mapped[i])
			munmap(set->mapped[i], set->stride);
	free(set->mapped);
	close(set->fd);
	free(set);
}

MCR_EXPORT int mcr_set_fd(const struct mcr_set *set)
{
	return set->base ? -1 : set->fd;
}

MCR_EXPORT int mcr_counters(const struct mcr_set *set, unsigned int ring,
			    struct mcr_counters *c)
{
	if (set->base)
		return -EOPNOTSUPP;
	memset(c, 0, sizeof(*c));
	c->ring = ring;
	return ioctl(set->fd, MCR_IOC_COUNTERS, c) ? -errno : 0;
}

MCR_EXPORT unsigned int mcr_set_nr_rings(const struct mcr_set *set)
{
	return set->nr_rings;
}

MCR_EXPORT const struct mcr_ring *mcr_set_ring(const struct mcr_set *set,
					       unsigned int idx)
{
	if (idx >= set->nr_rings || (!set->base && !set->mapped[idx]))
		return NULL;
	return &set->rings[idx];
}

/* --- writers -------------------------------------------------------- */

MCR_EXPORT int mcr_writer_spsc(struct mcr_set *set, unsigned int cpu,
			       struct mcr_writer *w)
{
	unsigned int ring = MCR_RING_SPSC(cpu);
	int ret;

	if (ring >= set->nr_rings)
		return -EINVAL;
	if (!set->base) {
		struct mcr_claim claim = { .ring = ring };

		if (ioctl(set->fd, MCR_IOC_CLAIM, &claim))
			return -errno;
		ret = mcr_map_ring(set, ring);
		if (ret)
			return ret;
	}
	memset(w, 0, sizeof(*w));
	mcr_spsc_init(&w->spsc, &set->rings[ring]);
	w->kind = MCR_WRITER_SPSC;
	w->wake_fd = mcr_set_fd(set);
	w->owner_tid = mcr_gettid();
	w->pid = (__u32)mcr_getpid();
	w->ring_id = ring;
	w->clock = &set->rings[ring].cons->clock;
	return 0;
}

MCR_EXPORT int mcr_writer_mpsc(struct mcr_set *set, struct mcr_writer *w)
{
	int ret = mcr_map_ring(set, MCR_RING_MPSC);

	if (ret)
		return ret;
	memset(w, 0, sizeof(*w));
	w->ring = set->rings[MCR_RING_MPSC];
	w->kind = MCR_WRITER_MPSC;
	w->wake_fd = mcr_set_fd(set);
	w->ring_id = MCR_RING_MPSC;
	w->clock = &set->rings[MCR_RING_MPSC].cons->clock;
	return 0;
}

/*
 * One wake-up per view of tail: while the drainer has not moved tail
 * since our last call, another would only cost a system call.
 */
MCR_EXPORT void mcr_wake(struct mcr_writer *w)
{
	const struct mcr_ring *r = w->kind == MCR_WRITER_SPSC ? &w->spsc.ring :
								 &w->ring;
	__u64 tail = READ_ONCE(r->cons->tail);

	if (w->wake_fd < 0 ||
	    __atomic_exchange_n(&w->woke_at_tail, tail + 1,
				__ATOMIC_RELAXED) == tail + 1)
		return;
	__atomic_fetch_add(&w->wakeups, 1, __ATOMIC_RELAXED);
	ioctl(w->wake_fd, MCR_IOC_WAKE);
}

/*
 * vsnprintf() needs a byte for its NUL: output of exactly MCR_TEXT_MAX
 * bytes cannot be formatted in place, and only that output goes through
 * a buffer on the stack.
 */
static int mcr_vlogf_max(struct mcr_writer *w, unsigned int pri,
			 const char *fmt, va_list ap)
{
	char buf[MCR_TEXT_MAX + 1];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n != MCR_TEXT_MAX)
		return n < 0 ? -EINVAL : -EMSGSIZE;
	n = mcr_log(w, pri, buf, MCR_TEXT_MAX);
	return n ? n : MCR_TEXT_MAX;
}

MCR_EXPORT int mcr_vlogf(struct mcr_writer *w, unsigned int pri,
			 const char *fmt, va_list ap)
{
	struct mcr_resv resv;
	va_list again;
	int n, ret;

	if (!mcr_enabled(w, pri))
		return -ENOMSG;
	/* Most messages are short: try a small reservation first. */
	ret = mcr_reserve(w, 256, &resv);
	if (ret)
		return ret;
	va_copy(again, ap);
	n = vsnprintf(resv.text, resv.cap, fmt, again);
	va_end(again);
	if (n >= 0 && (size_t)n >= resv.cap && n < MCR_TEXT_MAX) {
		/* Longer: grow in place if nobody reserved after us, else
		 * start over with the right size. */
		if (mcr_grow(w, &resv, (size_t)n + 1)) {
			mcr_discard(w, &resv);
			ret = mcr_reserve(w, (size_t)n + 1, &resv);
			if (ret)
				return ret;
		}
		va_copy(again, ap);
		n = vsnprintf(resv.text, resv.cap, fmt, again);
		va_end(again);
	}
	if (n >= 0 && (size_t)n < resv.cap) {
		ret = __mcr_commit(w, &resv, (size_t)n, pri, 0, false);
		return ret ? ret : n;
	}
	mcr_discard(w, &resv);
	if (n < 0)
		return -EINVAL;
	if (n > MCR_TEXT_MAX)
		return -EMSGSIZE;
	if (n == MCR_TEXT_MAX) {
		va_copy(again, ap);
		ret = mcr_vlogf_max(w, pri, fmt, again);
		va_end(again);
		return ret;
	}
	return -EMSGSIZE;	/* the output grew between two passes */
}

MCR_EXPORT int mcr_logf(struct mcr_writer *w, unsigned int pri,
			const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = mcr_vlogf(w, pri, fmt, ap);
	va_end(ap);
	return ret;
}

static bool mcr_field_ok(const char *f)
{
	const char *p = f;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	return p != f && *p == '=';
}

MCR_EXPORT int mcr_log_fields(struct mcr_writer *w, unsigned int pri,
			      const char *msg, const char *const *fields,
			      unsigned int nfields)
{
	size_t len = strlen(msg), off;
	struct mcr_resv resv;
	int ret;

	if (!mcr_enabled(w, pri))
		return -ENOMSG;
	for (unsigned int i = 0; i < nfields; i++) {
		if (!mcr_field_ok(fields[i]))
			return -EINVAL;
		len += 1 + strlen(fields[i]);
	}
	ret = mcr_reserve(w, len, &resv);
	if (ret)
		return ret;
	off = strlen(msg);
	memcpy(resv.text, msg, off);
	for (unsigned int i = 0; i < nfields; i++) {
		size_t n = strlen(fields[i]);

		resv.text[off++] = '\0';
		memcpy(resv.text + off, fields[i], n);
		off += n;
	}
	return __mcr_commit(w, &resv, len, pri,
			    nfields ? MCR_FLAG_FIELDS : 0, false);
}

/* --- the merging reader --------------------------------------------- */

struct mcr_reader_ring {
	struct mcr_ring ring;
	void *map;		/* device: the consumer's own whole mapping */
	struct mcr_cursor cur;
	struct mcr_record rec;	/* pending record, when have */
	bool have;
	bool writer_gone;	/* abandon in-flight sequences ... */
	__u32 gone_until;	/* ... below this one, at once */
	char text[MCR_TEXT_MAX];
};

struct mcr_reader {
	struct mcr_set *set;
	__u64 abandon_ns;
	__u64 reclaim_ns;
	struct mcr_keeper keeper;	/* device: the set's is for shm */
	struct mcr_reader_ring rings[];
};

/* User drain mode: map device ring @i whole and writable, to consume it. */
static int mcr_map_consumer(struct mcr_set *set, unsigned int i,
			    struct mcr_reader_ring *rr)
{
	void *base;
	int ret;

	base = mmap(NULL, set->stride, PROT_READ | PROT_WRITE, MAP_SHARED,
		    set->fd, (off_t)MCR_MMAP_RING(i));
	if (base == MAP_FAILED)
		return -errno;
	ret = mcr_ring_attach(&rr->ring, base, set->stride);
	if (ret) {
		munmap(base, set->stride);
		return ret;
	}
	rr->map = base;
	return 0;
}

MCR_EXPORT void mcr_reader_close(struct mcr_reader *rd)
{
	if (!rd)
		return;
	for (unsigned int i = 0; i < rd->set->nr_rings; i++)
		if (rd->rings[i].map)
			munmap(rd->rings[i].map, rd->set->stride);
	free(rd);
}

MCR_EXPORT int mcr_reader_open(struct mcr_set *set, struct mcr_reader **out)
{
	struct mcr_reader *rd;
	int ret;

	if (!set->base && !(set->features & MCR_FEAT_USER_DRAIN))
		return -EOPNOTSUPP;	/* the module drains its rings itself */
	rd = calloc(1, sizeof(*rd) + set->nr_rings * sizeof(rd->rings[0]));
	if (!rd)
		return -ENOMEM;
	rd->set = set;
	rd->abandon_ns = MCR_ABANDON_NS_DEFAULT;
	rd->reclaim_ns = MCR_RECLAIM_NS_DEFAULT;
	for (unsigned int i = 0; i < set->nr_rings; i++) {
		struct mcr_reader_ring *rr = &rd->rings[i];

		if (set->base) {
			rr->ring = set->rings[i];
		} else {
			ret = mcr_map_consumer(set, i, rr);
			if (ret) {
				mcr_reader_close(rd);
				return ret;
			}
		}
		mcr_cursor_init(&rr->cur, &rr->ring, i);
	}
	*out = rd;
	return 0;
}

MCR_EXPORT void mcr_reader_set_bounds(struct mcr_reader *rd, __u64 abandon_ns,
				      __u64 reclaim_ns)
{
	rd->abandon_ns = abandon_ns;
	rd->reclaim_ns = reclaim_ns;
}

MCR_EXPORT void mcr_reader_writer_gone(struct mcr_reader *rd,
				       unsigned int ring)
{
	struct mcr_reader_ring *rr;

	if (ring >= rd->set->nr_rings)
		return;
	rr = &rd->rings[ring];
	/* Only what the dead writer reserved: a new writer's records wait. */
	rr->gone_until = mcr_packed_seq(READ_ONCE(rr->ring.prod->head));
	rr->writer_gone = true;
}

/* SPSC rings wait for their writer unless it is known to be gone. */
static __u64 mcr_abandon_bound(struct mcr_reader *rd, unsigned int i)
{
	struct mcr_reader_ring *rr = &rd->rings[i];

	if (i == MCR_RING_MPSC)
		return rd->abandon_ns;
	if (rr->writer_gone &&
	    (__s32)(rr->gone_until - (__u32)rr->cur.seq) <= 0)
		rr->writer_gone = false;
	return rr->writer_gone ? 0 : (__u64)-1;
}

/*
 * Fill ring @i's pending slot; bounded: at most one ring's worth of skips.
 * The clock is read for each look, as mcr_consume() asks.
 */
static void mcr_reader_fill(struct mcr_reader *rd, unsigned int i)
{
	struct mcr_reader_ring *rr = &rd->rings[i];
	const struct mcr_ring *r = &rr->ring;

	for (__u32 budget = r->ndesc; !rr->have && budget; budget--) {
		int res = mcr_consume(r, &rr->cur, &rr->rec, rr->text,
				      mcr_now_ns(),
				      mcr_abandon_bound(rd, i),
				      rd->reclaim_ns);

		if (res == MCR_RECORD)
			rr->have = true;
		else if (res != MCR_SKIPPED)
			break;
	}
	mcr_cursor_publish_counters(r, &rr->cur);
}

MCR_EXPORT int mcr_read(struct mcr_reader *rd, struct mcr_record *rec,
			char *text)
{
	struct mcr_reader_ring *best = NULL;

	/* Whoever drains keeps the writers' clock. */
	if (rd->set->base) {
		mcr_set_keep_clock(rd->set);
	} else if (mcr_keep_due(&rd->keeper)) {
		for (unsigned int i = 0; i < rd->set->nr_rings; i++)
			mcr_clock_store(&rd->rings[i].ring.cons->clock,
					&rd->keeper.k);
		mcr_clock_stored(&rd->keeper.k);
	}

	for (unsigned int i = 0; i < rd->set->nr_rings; i++) {
		struct mcr_reader_ring *rr = &rd->rings[i];

		mcr_reader_fill(rd, i);
		if (rr->have && (!best || rr->rec.ts_ns < best->rec.ts_ns))
			best = rr;
	}
	if (!best)
		return 0;
	*rec = best->rec;
	memcpy(text, best->text, best->rec.len);
	best->have = false;
	return 1;
}

MCR_EXPORT int mcr_reader_stats(const struct mcr_reader *rd, unsigned int ring,
				struct mcr_ring_stats *st)
{
	const struct mcr_cursor *c;

	if (ring >= rd->set->nr_rings)
		return -EINVAL;
	c = &rd->rings[ring].cur;
	st->drained = c->drained;
	st->abandoned = c->abandoned;
	st->invalid = c->invalid;
	st->discarded = c->discarded;
	st->reclaimed = c->reclaimed;
	st->dropped_full = READ_ONCE(rd->rings[ring].ring.prod->dropped_full);
	return 0;
}

/* --- the archive, read back ------------------------------------------ */

struct mcr_archive {
	int fd;
	size_t off, have;	/* unread bytes: buf[off, have) */
	__u64 lost;		/* a marker seen, not yet given out */
	char buf[1 << 16];	/* holds at least one whole line */
};

MCR_EXPORT int mcr_archive_open(const char *path, bool nonblock,
				struct mcr_archive **out)
{
	struct mcr_archive *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->fd = open(path ? path : "/dev/" MCR_DEVICE_NAME,
		     O_RDONLY | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (a->fd < 0) {
		int ret = -errno;

		free(a);
		return ret;
	}
	*out = a;
	return 0;
}

MCR_EXPORT void mcr_archive_close(struct mcr_archive *a)
{
	if (!a)
		return;
	close(a->fd);
	free(a);
}

MCR_EXPORT int mcr_archive_fd(const struct mcr_archive *a)
{
	return a->fd;
}

static int mcr_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * A number as the module prints it: decimal digits, no sign, no space,
 * no leading zero, at most @max; then @sep. Advances *p past @sep.
 */
static bool mcr_take_num(const char **p, const char *end, __u64 max,
			 char sep, __u64 *v)
{
	const char *s = *p;
	__u64 x = 0;

	if (s == end || *s < '0' || *s > '9' ||
	    (*s == '0' && end - s > 1 && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned int d = *s - '0';

		if (d > max || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (s == end || *s != sep)
		return false;
	*p = s + 1;
	*v = x;
	return true;
}

/*
 * Parse one line (no newline) as the module writes it, lib/mcr_text.h,
 * and nothing else: what the module would write differently (a number
 * out of its field's range or not as printf prints it, a byte it
 * escapes, an escape it does not write) is refused.
 */
static int mcr_parse_line(const char *line, size_t n, struct mcr_arecord *rec,
			  char *text)
{
	static const __u64 max[8] = {
		UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT32_MAX,
		UINT32_MAX, UINT32_MAX, MCR_FAC_MAX, MCR_SEV_MAX,
	};
	const char *p = line, *end = line + n;
	__u64 f[8], owner = 0, uid = 0;
	bool nul_escaped = false;
	size_t len = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (!mcr_take_num(&p, end, max[i], ',', &f[i]))
			return -EBADMSG;
	if (end - p >= 2 && p[0] == '-' && p[1] == ';')
		p += 2;
	else if (!mcr_take_num(&p, end, INT32_MAX, '/', &owner) || !owner ||
		 !mcr_take_num(&p, end, UINT32_MAX, ';', &uid))
		return -EBADMSG;
	memset(rec, 0, sizeof(*rec));
	for (; p < end; p++) {
		unsigned char b = *p;
		int hi, lo;

		if (len == MCR_TEXT_MAX)
			return -EBADMSG;
		if (b == '\t') {
			text[len++] = '\0';
			rec->flags |= MCR_FLAG_FIELDS;
			continue;
		}
		if (b == '\\' && end - p >= 4 && p[1] == 'x' &&
		    (hi = mcr_hex(p[2])) >= 0 && (lo = mcr_hex(p[3])) >= 0) {
			b = hi << 4 | lo;
			p += 3;
			if (!mcr_text_escaped(b))
				return -EBADMSG;
			nul_escaped |= !b;
		} else if (mcr_text_escaped(b)) {
			return -EBADMSG;
		}
		text[len++] = b;
	}
	/* With fields, the module writes a \0 as a tab, never as \x00. */
	if (nul_escaped && (rec->flags & MCR_FLAG_FIELDS))
		return -EBADMSG;
	rec->seq = f[0];
	rec->ts_ns = f[1];
	rec->ring = f[2];
	rec->cpu = f[3];
	rec->pid = f[4];
	rec->tid = f[5];
	rec->facility = f[6];
	rec->severity = f[7];
	rec->owner_pid = owner ? (__s32)owner : -1;
	rec->owner_uid = uid;
	rec->len = len;
	return 0;
}

/* A lost marker exactly as the module writes it; 0 or -EBADMSG. */
static int mcr_parse_lost(const char *line, size_t n, __u64 *lost)
{
	static const char tail[] = "records lost";
	const char *p = line + strlen(MCR_TEXT_LOST_HEAD);
	const char *end = line + n;

	if (!mcr_take_num(&p, end, UINT64_MAX, ' ', lost) ||
	    (size_t)(end - p) != strlen(tail) || memcmp(p, tail, end - p))
		return -EBADMSG;
	return 0;
}

MCR_EXPORT int mcr_archive_next(struct mcr_archive *a, struct mcr_arecord *rec,
				char *text)
{
	for (;;) {
		char *line = a->buf + a->off;
		char *nl = memchr(line, '\n', a->have - a->off);
		ssize_t n;

		if (nl) {
			size_t len = nl - line;
			int ret;
			__u64 lost;

			a->off += len + 1;
			if (len >= strlen(MCR_TEXT_LOST_HEAD) &&
			    !memcmp(line, MCR_TEXT_LOST_HEAD,
				    strlen(MCR_TEXT_LOST_HEAD))) {
				ret = mcr_parse_lost(line, len, &lost);
				if (ret)
					return ret;
				a->lost += lost;
				continue;
			}
			ret = mcr_parse_line(line, len, rec, text);
			if (ret)
				return ret;
			rec->lost = a->lost;
			a->lost = 0;
			return 1;
		}
		/* Only the unfinished line is kept: one move per read. */
		a->have -= a->off;
		memmove(a->buf, line, a->have);
		a->off = 0;
		if (a->have == sizeof(a->buf)) {
			a->have = 0;	/* longer than any line: drop it */
			return -EBADMSG;
		}
		n = read(a->fd, a->buf + a->have, sizeof(a->buf) - a->have);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return 0;
		a->have += (size_t)n;
	}
}
