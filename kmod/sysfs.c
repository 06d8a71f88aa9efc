// SPDX-License-Identifier: GPL-2.0
/*
 * Counters in sysfs, one value per file:
 *   /sys/kernel/mcrring/{archived,archive_first_seq,lost_by_readers,
 *                        drain_passes,drain_wakeups,tsc_clock,clock_steps}
 *   /sys/kernel/mcrring/levels (root writes FACILITY=SEVERITY to it)
 *   /sys/kernel/mcrring/<ring>/{fill,written,drained,dropped_full,
 *                               abandoned,invalid,discarded,owner}
 * where <ring> is "mpsc", "cpuN", or "kernel" (mcr_printk()'s ring).
 */

#include <linux/bitops.h>
#include <linux/kobject.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mcr.h"

struct mcr_ring_kobj {
	struct kobject kobj;
	struct mcr_kring *kr;
};

static struct kobject *mcr_kobj;
static struct mcr_ring_kobj **mcr_ring_kobjs;

static struct mcr_kring *mcr_kobj_ring(struct kobject *kobj)
{
	return container_of(kobj, struct mcr_ring_kobj, kobj)->kr;
}

/* Each counter file shows one field of struct mcr_counters. */
struct mcr_counter_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t mcr_counter_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	size_t off = container_of(attr, struct mcr_counter_attr, attr)->offset;
	struct mcr_counters c;

	mcr_ring_counters(mcr_kobj_ring(kobj), &c);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&c + off));
}

static struct mcr_counter_attr mcr_counter_attrs[] = {
	{ __ATTR(written, 0444, mcr_counter_show, NULL),
	  offsetof(struct mcr_counters, written) },
	{ __ATTR(drained, 0444, mcr_counter_show, NULL),
	  offsetof(struct mcr_counters, drained) },
	{ __ATTR(dropped_full, 0444, mcr_counter_show, NULL),
	  offsetof(struct mcr_counters, dropped_full) },
	{ __ATTR(abandoned, 0444, mcr_counter_show, NULL),
	  offsetof(struct mcr_counters, abandoned) },
	{ __ATTR(invalid, 0444, mcr_counter_show, NULL),
	  offsetof(struct mcr_counters, invalid) },
	{ __ATTR(discarded, 0444, mcr_counter_show, NULL),
	  offsetof(struct mcr_counters, discarded) },
};

/* The claiming process's pid, or -1. */
static ssize_t owner_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	pid_t pid = READ_ONCE(mcr_kobj_ring(kobj)->owner_pid);

	return sysfs_emit(buf, "%d\n", pid ? pid : -1);
}

static struct kobj_attribute owner_attr = __ATTR_RO(owner);

/* Records in the ring not drained yet. */
static ssize_t fill_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", mcr_ring_fill(mcr_kobj_ring(kobj)));
}

static struct kobj_attribute fill_attr = __ATTR_RO(fill);

static struct attribute *mcr_ring_attrs[] = {
	&fill_attr.attr,
	&mcr_counter_attrs[0].attr.attr,
	&mcr_counter_attrs[1].attr.attr,
	&mcr_counter_attrs[2].attr.attr,
	&mcr_counter_attrs[3].attr.attr,
	&mcr_counter_attrs[4].attr.attr,
	&mcr_counter_attrs[5].attr.attr,
	&owner_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mcr_ring);

static void mcr_ring_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct mcr_ring_kobj, kobj));
}

static struct kobj_type mcr_ring_ktype = {
	.release	= mcr_ring_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= mcr_ring_groups,
};

static ssize_t archived_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", mcr_archive_next_seq());
}

static struct kobj_attribute archived_attr = __ATTR_RO(archived);

/*
 * Which load of the module this is: a random number drawn at load, so
 * that a reader keeping archive sequences across its restarts (mcrfwd)
 * can tell that they restarted from 0.
 */
static u64 mcr_instance;

static ssize_t instance_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%016llx\n", mcr_instance);
}

static struct kobj_attribute instance_attr = __ATTR_RO(instance);

static ssize_t archive_first_seq_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", mcr_archive_first_seq());
}

static struct kobj_attribute archive_first_seq_attr =
	__ATTR_RO(archive_first_seq);

/* The oldest and newest records' timestamps (CLOCK_MONOTONIC ns); 0 0. */
static ssize_t archive_times_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	u64 first, last;

	mcr_archive_times(&first, &last);
	return sysfs_emit(buf, "%llu %llu\n", first, last);
}

static struct kobj_attribute archive_times_attr = __ATTR_RO(archive_times);

static ssize_t lost_by_readers_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", mcr_archive_lost());
}

static struct kobj_attribute lost_by_readers_attr =
	__ATTR_RO(lost_by_readers);

static ssize_t drain_passes_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", mcr_drain_passes_done());
}

static struct kobj_attribute drain_passes_attr = __ATTR_RO(drain_passes);

static ssize_t drain_wakeups_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", mcr_drain_wakeups_asked());
}

static struct kobj_attribute drain_wakeups_attr = __ATTR_RO(drain_wakeups);

/* 1 while writers have a TSC map to use, 0 when they call clock_gettime */
static ssize_t tsc_clock_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", mcr_clock_kept());
}

static struct kobj_attribute tsc_clock_attr = __ATTR_RO(tsc_clock);

static ssize_t clock_steps_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", mcr_clock_steps());
}

static struct kobj_attribute clock_steps_attr = __ATTR_RO(clock_steps);

/* "kern=debug user=warning ...": the least severe level each logs. */
static ssize_t levels_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	unsigned int f;
	int n = 0;

	for (f = 0; f <= MCR_FAC_MAX; f++) {
		u8 mute = mcr_level_mute(f);
		unsigned int sev = mute ? __ffs(mute) : MCR_SEV_MAX + 1;

		n += sysfs_emit_at(buf, n, "%s%s=%s", f ? " " : "",
				   mcr_facility_name(f),
				   sev ? mcr_severity_name(sev - 1) : "none");
	}
	return n + sysfs_emit_at(buf, n, "\n");
}

/*
 * A facility or severity by name or number, or for a severity "none"
 * (MCR_SEV_MAX + 1); -1 when not one.
 */
static int mcr_level_word(const char *s, size_t len,
			  const char *(*name)(unsigned int), unsigned int max,
			  bool none_ok)
{
	unsigned int i;
	char word[16];

	if (!len || len >= sizeof(word))
		return -1;
	memcpy(word, s, len);
	word[len] = '\0';
	if (!kstrtouint(word, 10, &i))
		return i <= max ? i : -1;
	for (i = 0; i <= max; i++)
		if (!strcasecmp(word, name(i)))
			return i;
	return none_ok && !strcmp(word, "none") ? MCR_SEV_MAX + 1 : -1;
}

/*
 * "FACILITY=SEVERITY": log SEVERITY and what is more severe, mute the
 * rest; "SEVERITY" alone for every facility; "none" mutes everything.
 */
static ssize_t levels_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	size_t len = strcspn(buf, "\n");
	const char *eq = strnchr(buf, len, '=');
	int fac = -1, sev;

	if (eq) {
		fac = mcr_level_word(buf, eq - buf, mcr_facility_name,
				     MCR_FAC_MAX, false);
		if (fac < 0)
			return -EINVAL;
		len -= eq + 1 - buf;
		buf = eq + 1;
	}
	sev = mcr_level_word(buf, len, mcr_severity_name, MCR_SEV_MAX, true);
	if (sev < 0)
		return -EINVAL;
	/* Severity sev is logged: mute those above it ("none": all). */
	mcr_level_set(fac, sev > MCR_SEV_MAX ? 0xff :
			   (u8)(0xff << (sev + 1)));
	return count;
}

static struct kobj_attribute levels_attr = __ATTR_RW(levels);

static struct attribute *mcr_top_attrs[] = {
	&levels_attr.attr,
	&tsc_clock_attr.attr,
	&clock_steps_attr.attr,
	&drain_passes_attr.attr,
	&drain_wakeups_attr.attr,
	&archived_attr.attr,
	&archive_first_seq_attr.attr,
	&archive_times_attr.attr,
	&lost_by_readers_attr.attr,
	&instance_attr.attr,
	NULL,
};

static const struct attribute_group mcr_top_group = {
	.attrs = mcr_top_attrs,
};

int mcr_sysfs_init(void)
{
	unsigned int i;
	int ret;

	mcr_instance = get_random_u64();
	mcr_kobj = kobject_create_and_add("mcrring", kernel_kobj);
	if (!mcr_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(mcr_kobj, &mcr_top_group);
	if (ret)
		goto out_put;
	mcr_ring_kobjs = kcalloc(mcr_nr_rings + 1, sizeof(*mcr_ring_kobjs),
				 GFP_KERNEL);
	if (!mcr_ring_kobjs) {
		ret = -ENOMEM;
		goto out_put;
	}
	for (i = 0; i <= mcr_nr_rings; i++) {
		struct mcr_ring_kobj *rk = kzalloc(sizeof(*rk), GFP_KERNEL);

		if (!rk) {
			ret = -ENOMEM;
			goto out_rings;
		}
		rk->kr = mcr_rings[i];
		if (i == MCR_RING_MPSC || i == mcr_nr_rings)
			ret = kobject_init_and_add(&rk->kobj, &mcr_ring_ktype,
						   mcr_kobj, i ? "kernel" : "mpsc");
		else
			ret = kobject_init_and_add(&rk->kobj, &mcr_ring_ktype,
						   mcr_kobj, "cpu%u", i - 1);
		if (ret) {
			kobject_put(&rk->kobj);
			goto out_rings;
		}
		mcr_ring_kobjs[i] = rk;
	}
	return 0;

out_rings:
	mcr_sysfs_exit();
	return ret;
out_put:
	kobject_put(mcr_kobj);
	mcr_kobj = NULL;
	return ret;
}

void mcr_sysfs_exit(void)
{
	unsigned int i;

	if (mcr_ring_kobjs) {
		for (i = 0; i <= mcr_nr_rings; i++)
			if (mcr_ring_kobjs[i])
				kobject_put(&mcr_ring_kobjs[i]->kobj);
		kfree(mcr_ring_kobjs);
		mcr_ring_kobjs = NULL;
	}
	kobject_put(mcr_kobj);
	mcr_kobj = NULL;
}
