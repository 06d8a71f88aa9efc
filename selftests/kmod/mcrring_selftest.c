// SPDX-License-Identifier: GPL-2.0
/*
 * Test module for mcr_printk(): on load it writes @count records of
 * "mcrring selftest <i>/<count>: <text>" (then @pad spaces) into the
 * kernel's ring and fails the load with the first error mcr_printk()
 * returns, so a test can check both the records and the errors through
 * finit_module().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "mcr.h"

static unsigned int count = 1;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "Records to write on load (default 1)");

static char *text = "hello";
module_param(text, charp, 0444);
MODULE_PARM_DESC(text, "Text of each record");

static unsigned int pad;
module_param(pad, uint, 0444);
MODULE_PARM_DESC(pad, "Spaces appended to each record's text");

static unsigned int pri = MCR_PRI(0, 5);
module_param(pri, uint, 0444);
MODULE_PARM_DESC(pri, "MCR_PRI(facility, severity) of each record");

static int __init mcr_selftest_init(void)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		int ret = mcr_printk(pri, "mcrring selftest %u/%u: %s%*s", i,
				     count, text, pad, "");

		if (ret < 0)
			return ret;
	}
	return 0;
}

static void __exit mcr_selftest_exit(void)
{
}

module_init(mcr_selftest_init);
module_exit(mcr_selftest_exit);

MODULE_DESCRIPTION("Test module for mcrring's kernel-side writer");
MODULE_LICENSE("GPL");
