// SPDX-License-Identifier: GPL-2.0
/*
 * The writers' clock: keep a cycle counter to CLOCK_MONOTONIC map in every
 * ring's consumer page, so that a write costs a read of the counter (x86's
 * TSC, arm64's CNTVCT_EL0) instead of a clock_gettime(). The map's
 * arithmetic is proto/mcrring/clock.h's; this file samples the two clocks once
 * a period and stores the map.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "mcr.h"
#include <mcrring/clock.h>

#if defined(CONFIG_X86_TSC)
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#elif defined(CONFIG_ARM64)
#include <clocksource/arm_arch_timer.h>
#endif

/*
 * auto: keep the map where the counter is one count every CPU reads
 * alike: on x86 where the CPU says its TSC is invariant (constant rate,
 * runs in deep C-states) and the kernel has not found it unstable; on
 * arm64 always (the architecture requires it of the generic timer).
 * on: also where an x86 CPU does not say so, as many hypervisors don't:
 * the administrator vouches that the TSC is synchronised across CPUs.
 * off: writers always call clock_gettime().
 */
static char *tsc_clock = "auto";
module_param(tsc_clock, charp, 0444);
MODULE_PARM_DESC(tsc_clock, "writers' cycle-counter clock: auto, on or off (default auto)");

static struct mcr_clock_keeper mcr_keeper;	/* only the work touches it */
static bool mcr_clock_on;
static void mcr_clock_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mcr_clock_work, mcr_clock_fn);

#if defined(CONFIG_X86_TSC)
static u64 mcr_cycles_ordered(void)
{
	return rdtsc_ordered();
}

static bool mcr_cycles_usable(bool vouched)
{
	if (!boot_cpu_has(X86_FEATURE_TSC) || check_tsc_unstable())
		return false;
	return vouched || (boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
			   boot_cpu_has(X86_FEATURE_NONSTOP_TSC));
}
#elif defined(CONFIG_ARM64)
/*
 * The counter the kernel's clocksource reads, with its erratum
 * workaround if it needs one, ordered (isb) as every arch timer read is.
 * It is the count EL0 reads in CNTVCT_EL0: where the kernel reads the
 * physical counter (at EL2, with VHE), the virtual offset is zero for the
 * host's EL0; where a workaround is needed, EL0's reads trap and the
 * kernel answers them with this same stable read.
 */
static u64 mcr_cycles_ordered(void)
{
	return arch_timer_read_counter();
}

static bool mcr_cycles_usable(bool vouched)
{
	return true;
}
#else
static u64 mcr_cycles_ordered(void)
{
	return 0;
}

static bool mcr_cycles_usable(bool vouched)
{
	return false;
}
#endif

/* The counter, CLOCK_MONOTONIC, the counter: no interrupt in between. */
static void mcr_clock_bracket(u64 t[3])
{
	unsigned long flags;

	local_irq_save(flags);
	t[0] = mcr_cycles_ordered();
	t[1] = ktime_get_ns();
	t[2] = mcr_cycles_ordered();
	local_irq_restore(flags);
}

/* The map in ring @i's consumer page, for mcr_clock_publish(). */
static struct mcr_clock *mcr_clock_of(void *rings, unsigned int i)
{
	struct mcr_kring *kr = ((struct mcr_kring **)rings)[i];

	return kr ? &kr->ring.cons->clock : NULL;
}

static void mcr_clock_store_all(void)
{
	mcr_clock_publish(&mcr_keeper, mcr_clock_of, mcr_rings, mcr_nr_rings);
}

static void mcr_clock_fn(struct work_struct *work)
{
	u64 tsc, ns;

	if (!mcr_cycles_usable(!strcmp(tsc_clock, "on"))) {
		/* The kernel gave up on the TSC: take the map away. */
		pr_warn("TSC no longer usable: writers use clock_gettime()\n");
		memset(&mcr_keeper.map, 0, sizeof(mcr_keeper.map));
		mcr_clock_store_all();
		WRITE_ONCE(mcr_clock_on, false);
		return;
	}
	mcr_clock_sample(mcr_clock_bracket, &tsc, &ns);
	if (mcr_clock_update(&mcr_keeper, tsc, ns))
		mcr_clock_store_all();
	schedule_delayed_work(&mcr_clock_work,
			      nsecs_to_jiffies(MCR_CLOCK_PERIOD_NS));
}

/**
 * mcr_clock_start() - start keeping the writers' clock, as tsc_clock says
 *
 * Return: 0, or -EINVAL for a tsc_clock that is not auto, on or off.
 */
int mcr_clock_start(void)
{
	u64 tsc, ns;

	if (strcmp(tsc_clock, "auto") && strcmp(tsc_clock, "on") &&
	    strcmp(tsc_clock, "off")) {
		pr_err("tsc_clock=%s: must be auto, on or off\n", tsc_clock);
		return -EINVAL;
	}
	/* A userspace consumer owns the consumer pages, and keeps the map. */
	if (mcr_user_drain || !strcmp(tsc_clock, "off") ||
	    !mcr_cycles_usable(!strcmp(tsc_clock, "on")))
		return 0;
	mcr_clock_sample(mcr_clock_bracket, &tsc, &ns);
	mcr_clock_update(&mcr_keeper, tsc, ns);
	WRITE_ONCE(mcr_clock_on, true);
	schedule_delayed_work(&mcr_clock_work,
			      nsecs_to_jiffies(MCR_CLOCK_FIRST_NS));
	return 0;
}

/* Before the rings go: nothing stores into them after this returns. */
void mcr_clock_stop(void)
{
	cancel_delayed_work_sync(&mcr_clock_work);
	WRITE_ONCE(mcr_clock_on, false);
}

/* Whether writers get a map (MCR_FEAT_TSC_CLOCK). */
bool mcr_clock_kept(void)
{
	return READ_ONCE(mcr_clock_on);
}

/* How often the map stepped or restarted: sysfs clock_steps. */
u64 mcr_clock_steps(void)
{
	return READ_ONCE(mcr_keeper.steps);
}
