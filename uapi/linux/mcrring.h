/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * mcrring userspace ABI: everything the kernel module and userspace agree
 * on. Fixed-width types only, natural alignment, explicit padding.
 */
#ifndef _UAPI_LINUX_MCRRING_H
#define _UAPI_LINUX_MCRRING_H

#include <linux/types.h>

/* Name of the misc device: /dev/mcrlog. */
#define MCR_DEVICE_NAME		"mcrlog"

/* Bumped on any incompatible change of this header. */
#define MCR_ABI_VERSION		1

#endif /* _UAPI_LINUX_MCRRING_H */
