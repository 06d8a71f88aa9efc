/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrring.ko's interface to the rest of the kernel: what another module
 * includes to log into the kernel's own ring. Build against the module's
 * sources (DKMS installs them under /usr/src/mcrring-VERSION) with
 * -I.../include -I.../uapi, and load after mcrring.ko.
 */
#ifndef _LINUX_MCR_PRINTK_H
#define _LINUX_MCR_PRINTK_H

#include <linux/compiler_attributes.h>
#include <linux/mcrring.h>	/* MCR_PRI(), the facilities and severities */

/* Documented where it is defined, kmod/ring.c. */
int mcr_printk(unsigned int pri, const char *fmt, ...) __printf(2, 3);

#endif /* _LINUX_MCR_PRINTK_H */
