// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmcrring: what is not on the inline write path: the writer's
 * identity, its setup, wake-ups, formatted logging and fields.
 */
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/* --- process and thread identity ------------------------------------ */

MCR_EXPORT __thread pid_t __mcr_tls_tid;
/*
 * The cache's name in libmcrring 1.0.0, which the inline mcr_gettid_fast()
 * of programs built against it reads: the same variable, still exported
 * (MCRRING_1.0 in libmcrring.map), declared in no header.
 */
extern __thread pid_t mcr_tls_tid
	__attribute__((alias("__mcr_tls_tid"), visibility("default")));
static pid_t mcr_pid;
static pthread_once_t mcr_atfork_once = PTHREAD_ONCE_INIT;

/* After fork the child's copy of the caches names the parent: forget. */
static void mcr_atfork_child(void)
{
	__mcr_tls_tid = 0;
	mcr_pid = 0;
}

static void mcr_atfork_register(void)
{
	pthread_atfork(NULL, NULL, mcr_atfork_child);
}

MCR_EXPORT pid_t mcr_gettid(void)
{
	if (__builtin_expect(!__mcr_tls_tid, 0)) {
		pthread_once(&mcr_atfork_once, mcr_atfork_register);
		__mcr_tls_tid = gettid();
	}
	return __mcr_tls_tid;
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
		ret = __mcr_map_ring(set, ring);
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
	int ret = __mcr_map_ring(set, MCR_RING_MPSC);

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
