// SPDX-License-Identifier: GPL-2.0
/*
 * mcrring: lock-free log rings shared with userspace writers.
 *
 * This file owns the module's life cycle, its parameters and the
 * /dev/mcrlog misc device's file operations.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stat.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>

#include <linux/mcrring.h>

#include "mcr.h"

/*
 * The ABI lays a ring out in 4 KiB pages, each part mapped with its own
 * protection: a kernel with larger pages cannot map it so.
 */
static_assert(PAGE_SIZE == MCR_PAGE_SIZE,
	      "mcrring needs 4 KiB pages (CONFIG_ARM64_4K_PAGES on arm64)");

static ushort mode = 0600;

/* Permission bits read and shown in octal, as chmod users write them. */
static int mcr_param_get_mode(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%#o\n", *(ushort *)kp->arg);
}

static const struct kernel_param_ops mcr_mode_ops = {
	.set = param_set_ushort,
	.get = mcr_param_get_mode,
};

module_param_cb(mode, &mcr_mode_ops, &mode, 0444);
MODULE_PARM_DESC(mode, "Permission bits of /dev/mcrlog (default 0600)");

static int group = -1;
module_param(group, int, 0444);
MODULE_PARM_DESC(group,
		 "Only members of this gid (or CAP_SYS_ADMIN) may open /dev/mcrlog; -1 = no check (default)");

u32 mcr_ndesc = 16384;
module_param_named(ring_ndesc, mcr_ndesc, uint, 0444);
MODULE_PARM_DESC(ring_ndesc,
		 "Descriptors per ring, power of two, at most 2^20 (default 16384)");

static unsigned int ring_data_kb = 2048;
module_param(ring_data_kb, uint, 0444);
MODULE_PARM_DESC(ring_data_kb,
		 "Text bytes per ring in KiB, power of two (default 2048)");
u32 mcr_data_size;

static unsigned long archive_kb = 8192;
module_param(archive_kb, ulong, 0444);
MODULE_PARM_DESC(archive_kb, "Archive size in KiB, power of two (default 8192)");

unsigned int mcr_abandon_ms = 100;
module_param_named(abandon_ms, mcr_abandon_ms, uint, 0644);
MODULE_PARM_DESC(abandon_ms,
		 "An MPSC record in flight this long is skipped as abandoned (default 100)");

unsigned int mcr_reclaim_ms = 10000;
module_param_named(reclaim_ms, mcr_reclaim_ms, uint, 0644);
MODULE_PARM_DESC(reclaim_ms,
		 "An abandoned MPSC record's memory is reused after this long (default 10000)");

bool mcr_user_drain;
module_param_named(user_drain, mcr_user_drain, bool, 0444);
MODULE_PARM_DESC(user_drain,
		 "A userspace consumer drains the rings; the kernel never reads them (default 0)");

static kgid_t mcr_group;

/*
 * devtmpfs creates misc nodes owned by root:root and a misc device cannot
 * ask for another group, so the group is enforced here, at open, whatever
 * the node's ownership. A udev rule may give the node its group as well.
 */
static int mcr_dev_open(struct inode *inode, struct file *file)
{
	struct mcr_file *mf;

	if (gid_valid(mcr_group) && !in_group_p(mcr_group) &&
	    !capable(CAP_SYS_ADMIN))
		return -EACCES;
	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mutex_init(&mf->lock);
	mcr_archive_seek(mf, false);
	file->private_data = mf;
	return 0;
}

static int mcr_dev_release(struct inode *inode, struct file *file)
{
	struct mcr_file *mf = file->private_data;

	mcr_release_claims(file);
	kvfree(mf->line);
	kfree(mf->rec);
	kfree(mf);
	return 0;
}

/* The read buffers, allocated at the first read: writers never need them. */
static int mcr_file_buffers(struct mcr_file *mf)
{
	if (mf->line)
		return 0;
	mf->line = kvmalloc(MCR_LINE_MAX, GFP_KERNEL);
	mf->rec = kmalloc(MCR_AR_ENTRY_MAX, GFP_KERNEL);
	if (mf->line && mf->rec)
		return 0;
	kvfree(mf->line);
	kfree(mf->rec);
	mf->line = NULL;
	mf->rec = NULL;
	return -ENOMEM;
}

static ssize_t mcr_dev_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct mcr_file *mf = file->private_data;
	ssize_t ret;

	for (;;) {
		if (mutex_lock_interruptible(&mf->lock))
			return -ERESTARTSYS;
		ret = mcr_file_buffers(mf);
		if (!ret)
			ret = mcr_archive_read(mf, buf, len);
		mutex_unlock(&mf->lock);
		/* Sleep without mf->lock, so lseek() never waits for a record. */
		if (ret != -EAGAIN || (file->f_flags & O_NONBLOCK))
			return ret;
		ret = wait_event_interruptible(mcr_archive_wait,
					       mcr_archive_ready(mf));
		if (ret)
			return ret;
	}
}

static __poll_t mcr_dev_poll(struct file *file, poll_table *wait)
{
	struct mcr_file *mf = file->private_data;

	poll_wait(file, &mcr_archive_wait, wait);
	return mcr_archive_ready(mf) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* SEEK_SET 0: back to the oldest record; SEEK_END 0: only new ones. */
static loff_t mcr_dev_llseek(struct file *file, loff_t off, int whence)
{
	struct mcr_file *mf = file->private_data;

	if (off || (whence != SEEK_SET && whence != SEEK_END))
		return -EINVAL;
	mutex_lock(&mf->lock);
	mcr_archive_seek(mf, whence == SEEK_END);
	mutex_unlock(&mf->lock);
	return 0;
}

static bool mcr_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static long mcr_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MCR_IOC_INFO: {
		struct mcr_info info = {
			.abi_version = MCR_ABI_VERSION,
			.nr_rings = mcr_nr_rings,
			.features = MCR_FEAT_SPSC | MCR_FEAT_MPSC |
				    MCR_FEAT_LEVELS |
				    (mcr_user_drain ? MCR_FEAT_USER_DRAIN : 0) |
				    (mcr_clock_kept() ? MCR_FEAT_TSC_CLOCK : 0),
			.ndesc = mcr_ndesc,
			.data_size = mcr_data_size,
			.ring_size = mcr_ring_bytes(),
		};

		return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
	}
	case MCR_IOC_CLAIM: {
		struct mcr_claim claim;

		if (copy_from_user(&claim, uarg, sizeof(claim)))
			return -EFAULT;
		if (claim.flags || !mcr_zero(claim.resv, sizeof(claim.resv)))
			return -EINVAL;
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return mcr_claim_ring(file, claim.ring);
	}
	case MCR_IOC_WAKE:
		mcr_drain_wake();
		return 0;
	case MCR_IOC_COUNTERS: {
		struct mcr_counters c;

		if (copy_from_user(&c, uarg, sizeof(c)))
			return -EFAULT;
		if (c.flags || !mcr_zero(c.resv, sizeof(c.resv)) ||
		    (c.ring >= mcr_nr_rings && c.ring != MCR_RING_KERNEL))
			return -EINVAL;
		mcr_ring_counters(c.ring == MCR_RING_KERNEL ? mcr_kernel_ring :
				  mcr_rings[array_index_nospec(c.ring,
							       mcr_nr_rings)],
				  &c);
		return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
	}
	}
	return -ENOTTY;
}

static const struct file_operations mcr_fops = {
	.owner		= THIS_MODULE,
	.open		= mcr_dev_open,
	.release	= mcr_dev_release,
	.read		= mcr_dev_read,
	.poll		= mcr_dev_poll,
	.llseek		= mcr_dev_llseek,
	.mmap		= mcr_dev_mmap,
	.unlocked_ioctl	= mcr_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice mcr_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MCR_DEVICE_NAME,
	.fops	= &mcr_fops,
};

static int mcr_check_params(void)
{
	if (mode & ~0777) {
		pr_err("mode=%#o: only permission bits (0..0777) are allowed\n",
		       mode);
		return -EINVAL;
	}
	mcr_group = INVALID_GID;
	if (group != -1) {
		mcr_group = make_kgid(current_user_ns(), group);
		if (group < 0 || !gid_valid(mcr_group)) {
			pr_err("group=%d is not a valid gid\n", group);
			return -EINVAL;
		}
	}
	mcr_data_size = ring_data_kb * 1024;
	if (ring_data_kb > MCR_DATA_MAX / 1024 || mcr_ndesc > MCR_MOD_NDESC_MAX ||
	    !mcr_ring_size(mcr_ndesc, mcr_data_size)) {
		pr_err("ring_ndesc=%u ring_data_kb=%u: both must be powers of two, %u..%u descriptors, %u..%u KiB\n",
		       mcr_ndesc, ring_data_kb, MCR_NDESC_MIN, (u32)MCR_MOD_NDESC_MAX,
		       MCR_DATA_MIN / 1024, MCR_DATA_MAX / 1024);
		return -EINVAL;
	}
	return 0;
}

static int __init mcr_init(void)
{
	int ret;

	ret = mcr_check_params();
	if (ret)
		return ret;
	if (archive_kb > SZ_4G / 1024) {
		pr_err("archive_kb=%lu: at most 4 GiB\n", archive_kb);
		return -EINVAL;
	}
	ret = mcr_archive_init(archive_kb * 1024);
	if (ret) {
		pr_err("archive_kb=%lu: %s\n", archive_kb, ret == -EINVAL ?
		       "must be a power of two, at least 32" : "no memory");
		return ret;
	}
	ret = mcr_rings_alloc();
	if (ret)
		goto out_archive;
	ret = mcr_clock_start();
	if (ret)
		goto out_rings;
	/* With user_drain=1 too: the kernel's ring is the kernel's to drain. */
	ret = mcr_drain_start();
	if (ret)
		goto out_rings;
	ret = mcr_sysfs_init();
	if (ret)
		goto out_drain;
	mcr_miscdev.mode = mode;
	ret = misc_register(&mcr_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", MCR_DEVICE_NAME, ret);
		goto out_sysfs;
	}
	pr_info("/dev/%s ready: %u rings of %llu KiB, archive %lu KiB (abi %u)\n",
		MCR_DEVICE_NAME, mcr_nr_rings, mcr_ring_bytes() / 1024,
		archive_kb, MCR_ABI_VERSION);
	return 0;

out_sysfs:
	mcr_sysfs_exit();
out_drain:
	mcr_drain_stop();
out_rings:
	mcr_clock_stop();
	mcr_rings_free();
out_archive:
	mcr_archive_free();
	return ret;
}

/* No file is open (they hold the module), so no mapping exists either. */
static void __exit mcr_exit(void)
{
	misc_deregister(&mcr_miscdev);
	mcr_sysfs_exit();
	mcr_drain_stop();
	mcr_clock_stop();
	mcr_rings_free();
	mcr_archive_free();
}

module_init(mcr_init);
module_exit(mcr_exit);

MODULE_DESCRIPTION("Lock-free log rings shared with userspace writers");
MODULE_AUTHOR("mcrring developers");
MODULE_LICENSE("GPL");
