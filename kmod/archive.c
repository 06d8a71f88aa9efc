// SPDX-License-Identifier: GPL-2.0
/*
 * The archive: drained records in kernel memory, oldest overwritten
 * first, numbered by one global 64-bit sequence; and its text form, what
 * read(2) on /dev/mcrlog returns.
 *
 * Its text form is defined in proto/mcrring/text.h, shared with userspace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "mcr.h"
#include <mcrring/text.h>

/*
 * One archived record as the archive buffer holds it; text follows, the
 * whole padded to 8 bytes. A record's other forms: in a ring, a struct
 * mcr_desc and its text (uapi); as the consumer takes it, struct
 * mcr_record (mcrring/ring.h); as its line of /dev/mcrlog is printed,
 * struct mcr_text_rec (mcrring/text.h); parsed back from that line by
 * libmcrring, struct mcr_arecord.
 */
struct mcr_ar_entry {
	u32 size;		/* 0: no record here, go to the next lap */
	u16 len;
	u8 pri;
	u8 flags;
	u64 seq;
	u64 ts_ns;
	u32 pid;
	u32 tid;
	u32 cpu;
	u32 ring;
	s32 owner_pid;
	u32 owner_uid;
	char text[];
};

static DEFINE_SPINLOCK(mcr_ar_lock);
static char *mcr_ar_buf;
static u64 mcr_ar_size;
static u64 mcr_ar_head;		/* where the next record goes */
static u64 mcr_ar_first_pos;	/* the oldest record */
static u64 mcr_ar_first_seq;
static u64 mcr_ar_next_seq;
static u64 mcr_ar_last_ts;	/* the newest record's timestamp */
static atomic64_t mcr_ar_lost;	/* records readers were told they lost */
DECLARE_WAIT_QUEUE_HEAD(mcr_archive_wait);

static u32 mcr_arec_size(u32 len)
{
	return ALIGN(sizeof(struct mcr_ar_entry) + len, 8);
}

int mcr_archive_init(unsigned long bytes)
{
	BUILD_BUG_ON(sizeof(struct mcr_ar_entry) + MCR_TEXT_MAX > MCR_AR_ENTRY_MAX);
	if (!is_power_of_2(bytes) || bytes < 4 * mcr_arec_size(MCR_TEXT_MAX))
		return -EINVAL;
	mcr_ar_buf = vzalloc(bytes);
	if (!mcr_ar_buf)
		return -ENOMEM;
	mcr_ar_size = bytes;
	return 0;
}

void mcr_archive_free(void)
{
	vfree(mcr_ar_buf);
	mcr_ar_buf = NULL;
}

static struct mcr_ar_entry *mcr_ar_at(u64 pos)
{
	return (struct mcr_ar_entry *)(mcr_ar_buf + (pos & (mcr_ar_size - 1)));
}

/* Step over a "next lap" marker at @pos, if any. */
static u64 mcr_ar_skip_marker(u64 pos)
{
	if (!mcr_ar_at(pos)->size)
		pos += mcr_ar_size - (pos & (mcr_ar_size - 1));
	return pos;
}

/**
 * mcr_archive_add() - append a record, overwriting the oldest if needed
 * @e: the record and what the kernel attests about it
 * @text: its text, e->rec.len bytes, already in kernel memory
 *
 * Context: the drainer; takes the archive spinlock.
 */
void mcr_archive_add(const struct mcr_entry *e, const char *text)
{
	u32 need = mcr_arec_size(e->rec.len);
	u64 off, pad, end;
	struct mcr_ar_entry *a;

	spin_lock(&mcr_ar_lock);
	off = mcr_ar_head & (mcr_ar_size - 1);
	/* A record never wraps: it starts the next lap instead. */
	pad = off + need > mcr_ar_size ? mcr_ar_size - off : 0;
	end = mcr_ar_head + pad + need;
	/*
	 * Evict first: when the archive is exactly full the lap marker
	 * lands on the oldest record, which must be counted out before its
	 * size is overwritten with the marker's 0.
	 */
	while (end - mcr_ar_first_pos > mcr_ar_size) {
		mcr_ar_first_pos = mcr_ar_skip_marker(mcr_ar_first_pos);
		if (end - mcr_ar_first_pos <= mcr_ar_size)
			break;
		mcr_ar_first_pos += mcr_ar_at(mcr_ar_first_pos)->size;
		WRITE_ONCE(mcr_ar_first_seq, mcr_ar_first_seq + 1);
	}
	if (pad) {
		mcr_ar_at(mcr_ar_head)->size = 0;	/* marker: next lap */
		mcr_ar_head += pad;
	}
	a = mcr_ar_at(mcr_ar_head);
	*a = (struct mcr_ar_entry){
		.size = need, .len = e->rec.len, .pri = e->rec.pri,
		.flags = e->rec.flags, .seq = mcr_ar_next_seq,
		.ts_ns = e->rec.ts_ns, .pid = e->rec.pid, .tid = e->rec.tid,
		.cpu = e->rec.cpu, .ring = e->rec.ring,
		.owner_pid = e->owner_pid, .owner_uid = e->owner_uid,
	};
	memcpy(a->text, text, e->rec.len);
	mcr_ar_head += need;
	WRITE_ONCE(mcr_ar_next_seq, mcr_ar_next_seq + 1);
	mcr_ar_last_ts = e->rec.ts_ns;
	spin_unlock(&mcr_ar_lock);
	wake_up_interruptible(&mcr_archive_wait);
}

u64 mcr_archive_next_seq(void)
{
	return READ_ONCE(mcr_ar_next_seq);
}

u64 mcr_archive_first_seq(void)
{
	return READ_ONCE(mcr_ar_first_seq);
}

/**
 * mcr_archive_times() - the writers' timestamps of the oldest and newest
 * records archived
 * @first: the oldest's
 * @last: the newest's
 *
 * Context: process; takes the archive spinlock.
 * Return: false, and both 0, when the archive is empty.
 */
bool mcr_archive_times(u64 *first, u64 *last)
{
	bool any;

	spin_lock(&mcr_ar_lock);
	any = mcr_ar_first_seq != mcr_ar_next_seq;
	*first = any ? mcr_ar_at(mcr_ar_skip_marker(mcr_ar_first_pos))->ts_ns :
		 0;
	*last = any ? mcr_ar_last_ts : 0;
	spin_unlock(&mcr_ar_lock);
	return any;
}

/* Records all readers together were told they lost to overwriting. */
u64 mcr_archive_lost(void)
{
	return atomic64_read(&mcr_ar_lost);
}

/* Where a reader's cursor points: its sequence and byte position. */
void mcr_archive_seek(struct mcr_file *mf, bool end)
{
	spin_lock(&mcr_ar_lock);
	WRITE_ONCE(mf->seq, end ? mcr_ar_next_seq : mcr_ar_first_seq);
	mf->pos = end ? mcr_ar_head : mcr_ar_first_pos;
	spin_unlock(&mcr_ar_lock);
}

bool mcr_archive_ready(const struct mcr_file *mf)
{
	return READ_ONCE(mf->seq) != READ_ONCE(mcr_ar_next_seq);
}

/* Format @a as one line into @out (MCR_LINE_MAX bytes); returns its length. */
static size_t mcr_format(char *out, const struct mcr_ar_entry *a)
{
	const struct mcr_text_rec r = {
		.seq = a->seq, .ts_ns = a->ts_ns, .ring = a->ring,
		.cpu = a->cpu, .pid = a->pid, .tid = a->tid, .pri = a->pri,
		.flags = a->flags, .owner_pid = a->owner_pid,
		.owner_uid = a->owner_uid, .len = a->len,
		.text = (const unsigned char *)a->text,
	};

	return mcr_text_line(out, &r);
}

/*
 * Format the reader's next line into mf->line. Returns its length, 0 when
 * the reader is at the end. Advances nothing: see mcr_archive_read().
 */
static size_t mcr_next_line(struct mcr_file *mf, u64 *next_seq,
			    u64 *next_pos, u64 *lost_out)
{
	struct mcr_ar_entry *a = (struct mcr_ar_entry *)mf->rec;
	size_t len;
	u64 pos;

	*lost_out = 0;
	spin_lock(&mcr_ar_lock);
	if (mf->seq == mcr_ar_next_seq) {
		spin_unlock(&mcr_ar_lock);
		return 0;
	}
	if (mf->seq < mcr_ar_first_seq) {
		u64 lost = mcr_ar_first_seq - mf->seq;

		*lost_out = lost;
		*next_seq = mcr_ar_first_seq;
		*next_pos = mcr_ar_first_pos;
		spin_unlock(&mcr_ar_lock);
		return scnprintf(mf->line, MCR_LINE_MAX, MCR_TEXT_LOST, lost);
	}
	pos = mcr_ar_skip_marker(mf->pos);
	/*
	 * Cursors only ever point at records: anything else is our bug.
	 * Say so, and skip to the end rather than read garbage.
	 */
	if (WARN_ON_ONCE(mcr_ar_at(pos)->len > MCR_TEXT_MAX ||
			 mcr_ar_at(pos)->seq != mf->seq)) {
		u64 lost = mcr_ar_next_seq - mf->seq;

		*lost_out = lost;
		*next_seq = mcr_ar_next_seq;
		*next_pos = mcr_ar_head;
		spin_unlock(&mcr_ar_lock);
		return scnprintf(mf->line, MCR_LINE_MAX, MCR_TEXT_LOST, lost);
	}
	memcpy(a, mcr_ar_at(pos), mcr_arec_size(mcr_ar_at(pos)->len));
	*next_seq = mf->seq + 1;
	*next_pos = pos + a->size;
	spin_unlock(&mcr_ar_lock);
	len = mcr_format(mf->line, a);
	return len;
}

/**
 * mcr_archive_read() - read whole lines from the archive
 * @mf: the reader
 * @buf: user buffer
 * @len: its size
 *
 * Returns as many whole lines as fit, at least one.
 *
 * Context: process; mf->lock held. Does not sleep waiting for records.
 * Return: bytes read, -EAGAIN when there is nothing new, -EINVAL when
 * @buf cannot hold the next line, -EFAULT.
 */
ssize_t mcr_archive_read(struct mcr_file *mf, char __user *buf, size_t len)
{
	size_t done = 0;

	for (;;) {
		u64 next_seq, next_pos, lost;
		size_t n = mcr_next_line(mf, &next_seq, &next_pos, &lost);

		if (!n)
			return done ? done : -EAGAIN;
		if (n > len - done)
			return done ? done : -EINVAL;
		if (copy_to_user(buf + done, mf->line, n))
			return done ? done : -EFAULT;
		done += n;
		WRITE_ONCE(mf->seq, next_seq);
		mf->pos = next_pos;
		if (lost)
			atomic64_add(lost, &mcr_ar_lost);
	}
}
