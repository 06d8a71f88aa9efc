/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrring.ko internals shared by its files:
 *   main.c     module life cycle, /dev/mcrlog file operations
 *   ring.c     ring memory, mmap, claims, the kernel-side writer
 *   drain.c    the drain kthread and per-ring accounting
 *   archive.c  the archive and its text format
 *   sysfs.c    counters under /sys/kernel/mcrring
 *   clock.c    the writers' TSC clock in the consumer pages
 */
#ifndef MCR_KMOD_H
#define MCR_KMOD_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <linux/mcr_printk.h>
#include <mcrring/merge.h>
#include <mcrring/ring.h>
#include <mcrring/text.h>

/*
 * Descriptors per ring the module allocates at most: 32 MiB of them for
 * each CPU. The protocol allows more (MCR_NDESC_MAX), for rings userspace
 * lays out itself.
 */
#define MCR_MOD_NDESC_MAX	BIT(20)

/* One ring as the module owns it. */
struct mcr_kring {
	struct mcr_ring ring;		/* kernel mapping of the ring */
	struct page **pages;
	unsigned int nr_pages;
	void *vaddr;
	u32 id;				/* 0: MPSC, 1 + cpu: SPSC */

	/* Drainer state, under mcr_drain_lock. */
	struct mcr_source src;		/* cursor, pending record, budgets */
	char *pending_text;		/* src.text: MCR_TEXT_MAX bytes */
	bool writer_gone;		/* claim released: abandon in flight */
	u64 pass_oldest_ts;		/* smallest timestamp moved in a pass */
	u64 dropped_full;		/* refusals believed, in all */
	u64 dropped_seen;		/* prod->dropped_full at the last look */
	u64 dropped_at;			/* when that was, ns */

	/*
	 * SPSC claim: written under mcr_drain_lock and mcr_claim_lock both,
	 * so either lock reads it; owner and owner_pid are also read with
	 * neither (a snapshot, READ_ONCE), hence written with WRITE_ONCE.
	 */
	struct file *owner;
	struct pid *owner_tgid;		/* the claiming process, referenced */
	pid_t owner_pid;		/* attested: its tgid's number */
	kuid_t owner_uid;
};

/* A record on its way into the archive. */
struct mcr_entry {
	struct mcr_record rec;
	pid_t owner_pid;		/* 0 when not attested */
	uid_t owner_uid;
};

/* Per open file of /dev/mcrlog. */
struct mcr_file {
	struct mutex lock;		/* serialises read() on this file */
	u64 seq;			/* archive cursor: next sequence ... */
	u64 pos;			/* ... and where it starts */
	char *rec;			/* copy of one archived record */
	char *line;			/* that record as text, MCR_LINE_MAX */
};

/*
 * mcr_rings[0 .. mcr_nr_rings - 1]: the rings writers map, by ring id;
 * mcr_rings[mcr_nr_rings]: mcr_kernel_ring, which none can map.
 * mcr_drained[0 .. mcr_nr_drained - 1]: what the drain thread reads: all
 * of them, or with user_drain=1 the kernel's ring alone.
 */
extern struct mcr_kring **mcr_rings;
extern unsigned int mcr_nr_rings;
extern struct mcr_kring *mcr_kernel_ring;
extern struct mcr_kring **mcr_drained;
extern unsigned int mcr_nr_drained;
extern struct mutex mcr_drain_lock;
extern u32 mcr_ndesc, mcr_data_size;
extern unsigned int mcr_abandon_ms, mcr_reclaim_ms;
extern bool mcr_user_drain;

/* ring.c */
u8 mcr_level_mute(unsigned int fac);
void mcr_level_set(int fac, u8 mute);
int mcr_rings_alloc(void);
void mcr_rings_free(void);
u64 mcr_ring_bytes(void);
int mcr_dev_mmap(struct file *file, struct vm_area_struct *vma);
int mcr_claim_ring(struct file *file, u32 ring);
void mcr_release_claims(struct file *file);

/* clock.c */
int mcr_clock_start(void);
void mcr_clock_stop(void);
bool mcr_clock_kept(void);
u64 mcr_clock_steps(void);

/* drain.c */
int mcr_drain_start(void);
void mcr_drain_stop(void);
void mcr_drain_wake(void);
void mcr_drain_wake_any(void);
u64 mcr_drain_passes_done(void);
u64 mcr_drain_wakeups_asked(void);
u32 mcr_ring_fill(struct mcr_kring *kr);
void mcr_drain_ring(struct mcr_kring *kr);
void mcr_account_claimed(struct mcr_kring *kr);
void mcr_ring_counters(struct mcr_kring *kr, struct mcr_counters *c);

/* archive.c */
#define MCR_AR_ENTRY_MAX	(64 + MCR_TEXT_MAX)
int mcr_archive_init(unsigned long bytes);
void mcr_archive_free(void);
void mcr_archive_add(const struct mcr_entry *e, const char *text);
extern wait_queue_head_t mcr_archive_wait;
void mcr_archive_seek(struct mcr_file *mf, bool end);
bool mcr_archive_ready(const struct mcr_file *mf);
ssize_t mcr_archive_read(struct mcr_file *mf, char __user *buf, size_t len);
u64 mcr_archive_next_seq(void);
u64 mcr_archive_first_seq(void);
bool mcr_archive_times(u64 *first, u64 *last);
u64 mcr_archive_lost(void);

/* sysfs.c */
int mcr_sysfs_init(void);
void mcr_sysfs_exit(void);

#endif /* MCR_KMOD_H */
