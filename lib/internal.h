/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libmcrring's own declarations, shared by its files and by nobody else:
 * a ring set, the clock keeper a userspace consumer runs, and the few
 * functions one file lends another (hidden: -fvisibility=hidden).
 */
#ifndef MCR_LIB_INTERNAL_H
#define MCR_LIB_INTERNAL_H

#include <pthread.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */

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

bool __mcr_keep_due(struct mcr_keeper *kp);
int __mcr_map_ring(struct mcr_set *set, unsigned int i);

#endif /* MCR_LIB_INTERNAL_H */
