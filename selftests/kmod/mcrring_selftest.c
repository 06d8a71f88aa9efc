// SPDX-License-Identifier: GPL-2.0
/*
 * Test module for mcr_printk(): on load it writes @count records of
 * "mcrring selftest <i>/<count>: <text>" (then @pad spaces) into the
 * kernel's ring and fails the load with the first error mcr_printk()
 * returns, so a test can check both the records and the errors through
 * finit_module(). With @irq=1 the records are written from a hard
 * interrupt (an hrtimer in hard interrupt mode, on PREEMPT_RT too).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <linux/mcr_printk.h>

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

static bool irq;
module_param(irq, bool, 0444);
MODULE_PARM_DESC(irq, "Write from a hard interrupt (default 0)");

static int mcr_selftest_write(void)
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

static struct hrtimer mcr_selftest_timer;
static DECLARE_COMPLETION(mcr_selftest_done);
static int mcr_selftest_ret;

static enum hrtimer_restart mcr_selftest_fire(struct hrtimer *t)
{
	mcr_selftest_ret = in_hardirq() ? mcr_selftest_write() : -EPERM;
	complete(&mcr_selftest_done);
	return HRTIMER_NORESTART;
}

static int __init mcr_selftest_init(void)
{
	if (!irq)
		return mcr_selftest_write();
	hrtimer_init(&mcr_selftest_timer, CLOCK_MONOTONIC,
		     HRTIMER_MODE_REL_HARD);
	mcr_selftest_timer.function = mcr_selftest_fire;
	hrtimer_start(&mcr_selftest_timer, ns_to_ktime(1000),
		      HRTIMER_MODE_REL_HARD);
	wait_for_completion(&mcr_selftest_done);
	hrtimer_cancel(&mcr_selftest_timer);
	return mcr_selftest_ret;
}

static void __exit mcr_selftest_exit(void)
{
}

module_init(mcr_selftest_init);
module_exit(mcr_selftest_exit);

MODULE_DESCRIPTION("Test module for mcrring's kernel-side writer");
MODULE_LICENSE("GPL");
