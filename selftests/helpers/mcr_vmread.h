/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests of /dev/mcrlog's read semantics share (archive_test.c,
 * archive_read_test.c): a writer and a reader started clean, unique tags,
 * the module's escaping, and a wait for a thread to sleep in read().
 */
#ifndef MCR_VMREAD_H
#define MCR_VMREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mcrring.h"
#include "mcr_vmlines.h"

/* Longest wait for one record (ms), stretched on the slow kernels. */
#define WAIT_MS		(10000 * (int)mcr_time_scale())

/* The module's count of archived records, or ULLONG_MAX. */
unsigned long long archived(void);

/* Escape @n bytes as the module documents it: \xNN for \, <0x20, >=0x7f. */
size_t escape(char *out, const void *in, size_t n);

/* A tag no other test or run writes: pid and a counter. */
void make_tag(char *tag, size_t size, const char *what);

/*
 * Make @r's position a clean starting point: whatever earlier writers
 * left in the MPSC ring is archived before a fresh sync record (one ring
 * drains in order), and SPSC claims drain when they end. So once the
 * sync record is read, lseek(SEEK_END) leaves nothing old behind.
 */
int start_clean(struct rd *r, struct mcr_writer *w);

/* The one-letter state of thread @tid of this process, or '?'. */
char thread_state(pid_t tid);

/* Wait (5 s, stretched) until thread @tid sleeps; false if it never did. */
bool wait_sleeping(pid_t tid, const _Atomic int *entered);

#define REQUIRE_DEVICE() do {						\
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
} while (0)

/* Everything a test opens, so a failed ASSERT leaks nothing. */
struct env {
	struct mcr_set *set;
	struct mcr_writer w;
	struct rd *r;
};

/*
 * Open the device, an MPSC writer and a non-blocking reader (with
 * @rd_flags), the reader at a clean start (start_clean()): 0 or -errno.
 */
int env_open(struct env *e, int rd_flags);

/* Close what env_open() opened; @e is zeroed. */
void env_close(struct env *e);

#endif /* MCR_VMREAD_H */
