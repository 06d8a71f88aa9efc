// SPDX-License-Identifier: GPL-2.0
/*
 * mcrring: lock-free log rings shared with userspace writers.
 *
 * This file owns the module's life cycle and the /dev/mcrlog misc device.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/stat.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>

#include <linux/mcrring.h>

#include "mcr_ring.h"

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

static kgid_t mcr_group;

/*
 * devtmpfs creates misc nodes owned by root:root and a misc device cannot
 * ask for another group, so the group is enforced here, at open, whatever
 * the node's ownership. A udev rule may give the node its group as well.
 */
static int mcr_open(struct inode *inode, struct file *file)
{
	if (gid_valid(mcr_group) && !in_group_p(mcr_group) &&
	    !capable(CAP_SYS_ADMIN))
		return -EACCES;
	return 0;
}

static int mcr_release(struct inode *inode, struct file *file)
{
	return 0;
}

static const struct file_operations mcr_fops = {
	.owner		= THIS_MODULE,
	.open		= mcr_open,
	.release	= mcr_release,
	.llseek		= noop_llseek,
};

static struct miscdevice mcr_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MCR_DEVICE_NAME,
	.fops	= &mcr_fops,
};

static int __init mcr_init(void)
{
	int ret;

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

	mcr_miscdev.mode = mode;
	ret = misc_register(&mcr_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", MCR_DEVICE_NAME, ret);
		return ret;
	}
	pr_info("/dev/%s ready (abi %u)\n", MCR_DEVICE_NAME, MCR_ABI_VERSION);
	return 0;
}

static void __exit mcr_exit(void)
{
	misc_deregister(&mcr_miscdev);
}

module_init(mcr_init);
module_exit(mcr_exit);

MODULE_DESCRIPTION("Lock-free log rings shared with userspace writers");
MODULE_AUTHOR("mcrring developers");
MODULE_LICENSE("GPL");
