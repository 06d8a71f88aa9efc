// SPDX-License-Identifier: GPL-2.0
/*
 * Ring memory: one SPSC ring per possible CPU (on that CPU's node) and one
 * MPSC ring, mapped into writers; SPSC claims; the kernel-side writer and
 * its ring, which no writer maps.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "mcr.h"
#include "mcrring_trace.h"

struct mcr_kring **mcr_rings;
unsigned int mcr_nr_rings;
struct mcr_kring *mcr_kernel_ring;
struct mcr_kring **mcr_drained;
unsigned int mcr_nr_drained;

/*
 * Runtime levels: bit s of mcr_mute[f] mutes severity s of facility f.
 * The kernel's copy rules mcr_printk(); every ring's read-only page holds
 * one for its writers (mcr_cons.mute).
 */
static u8 mcr_mute[MCR_FAC_MAX + 1];
static DEFINE_MUTEX(mcr_level_lock);

u8 mcr_level_mute(unsigned int fac)
{
	return READ_ONCE(mcr_mute[fac]);
}

/**
 * mcr_level_set() - mute severities of a facility, or of all of them
 * @fac: the facility, or -1 for every one
 * @mute: bit s set mutes severity s
 *
 * Writers see the change at their next call: a record that passed the
 * check before it may still be written.
 *
 * Context: process (sysfs); takes mcr_level_lock.
 */
void mcr_level_set(int fac, u8 mute)
{
	unsigned int f, i;

	mutex_lock(&mcr_level_lock);
	for (f = 0; f <= MCR_FAC_MAX; f++) {
		if (fac >= 0 && f != fac)
			continue;
		WRITE_ONCE(mcr_mute[f], mute);
		for (i = 0; i <= mcr_nr_rings; i++)
			WRITE_ONCE(mcr_rings[i]->ring.cons->mute[f], mute);
	}
	mutex_unlock(&mcr_level_lock);
}

static DEFINE_SPINLOCK(mcr_claim_lock);

u64 mcr_ring_bytes(void)
{
	return mcr_ring_size(mcr_ndesc, mcr_data_size);
}

static void mcr_kring_free(struct mcr_kring *kr)
{
	unsigned int i;

	if (!kr)
		return;
	if (kr->vaddr)
		vunmap(kr->vaddr);
	/* Unwinding a failed mcr_kring_alloc(): pages may not be there. */
	for (i = 0; kr->pages && i < kr->nr_pages && kr->pages[i]; i++)
		__free_page(kr->pages[i]);
	kvfree(kr->pages);
	kfree(kr->pending_text);
	kfree(kr);
}

/* Pages come from @node, so a CPU's ring is local to the CPU. */
static struct mcr_kring *mcr_kring_alloc(u32 id, int node)
{
	u64 bytes = mcr_ring_bytes();
	struct mcr_kring *kr;
	unsigned int i;

	kr = kzalloc_node(sizeof(*kr), GFP_KERNEL, node);
	if (!kr)
		return NULL;
	kr->id = id;
	kr->dropped_at = ktime_get_ns();	/* the first look's bound */
	kr->nr_pages = bytes >> PAGE_SHIFT;
	kr->pages = kvcalloc(kr->nr_pages, sizeof(*kr->pages), GFP_KERNEL);
	kr->pending_text = kmalloc(MCR_TEXT_MAX, GFP_KERNEL);
	if (!kr->pages || !kr->pending_text)
		goto out_free;
	for (i = 0; i < kr->nr_pages; i++) {
		kr->pages[i] = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO,
						0);
		if (!kr->pages[i])
			goto out_free;
	}
	kr->vaddr = vmap(kr->pages, kr->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!kr->vaddr)
		goto out_free;
	if (mcr_ring_format(&kr->ring, kr->vaddr, mcr_ndesc, mcr_data_size,
			    id))
		goto out_free;
	if (mcr_user_drain && id != MCR_RING_KERNEL)
		kr->ring.cons->flags = MCR_CONS_USER_DRAIN;
	memcpy(kr->ring.cons->mute, mcr_mute, sizeof(mcr_mute));
	mcr_source_init(&kr->src, &kr->ring, kr->pending_text, id);
	return kr;

out_free:
	mcr_kring_free(kr);
	return NULL;
}

/**
 * mcr_rings_alloc() - allocate the MPSC ring, one SPSC ring per CPU id and
 * the kernel's ring
 *
 * Every id below nr_cpu_ids gets a ring, also where cpu_possible_mask has
 * a hole (such a ring is never written by its CPU, but mcr_rings[] has no
 * NULL for a ring index to meet). Rings of CPUs that are offline, or go
 * offline later, exist and are drained like the others; nothing is freed
 * before module unload.
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int mcr_rings_alloc(void)
{
	unsigned int cpu;

	mcr_nr_rings = 1 + nr_cpu_ids;
	mcr_rings = kcalloc(mcr_nr_rings + 1, sizeof(*mcr_rings), GFP_KERNEL);
	if (!mcr_rings)
		return -ENOMEM;
	mcr_rings[MCR_RING_MPSC] = mcr_kring_alloc(MCR_RING_MPSC, NUMA_NO_NODE);
	mcr_kernel_ring = mcr_kring_alloc(MCR_RING_KERNEL, NUMA_NO_NODE);
	mcr_rings[mcr_nr_rings] = mcr_kernel_ring;
	if (!mcr_rings[MCR_RING_MPSC] || !mcr_kernel_ring)
		goto out_free;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		u32 id = MCR_RING_SPSC(cpu);
		int node = cpu_possible(cpu) ? cpu_to_node(cpu) : NUMA_NO_NODE;

		mcr_rings[id] = mcr_kring_alloc(id, node);
		if (!mcr_rings[id])
			goto out_free;
	}
	mcr_drained = mcr_user_drain ? &mcr_rings[mcr_nr_rings] : mcr_rings;
	mcr_nr_drained = mcr_user_drain ? 1 : mcr_nr_rings + 1;
	return 0;

out_free:
	mcr_rings_free();
	return -ENOMEM;
}

void mcr_rings_free(void)
{
	unsigned int i;

	if (!mcr_rings)
		return;
	for (i = 0; i <= mcr_nr_rings; i++)
		mcr_kring_free(mcr_rings[i]);
	kfree(mcr_rings);
	mcr_rings = NULL;
	mcr_kernel_ring = NULL;
	mcr_drained = NULL;
	mcr_nr_drained = 0;
}

/* --- mmap ------------------------------------------------------------ */

/* A ring mapping is all or nothing: never split, never moved. */
static int mcr_vma_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int mcr_vma_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct mcr_vm_ops = {
	.may_split	= mcr_vma_may_split,
	.mremap		= mcr_vma_mremap,
};

/*
 * The claim is the file's and the claiming process's: a child that
 * inherited the file, or a process it was passed to, is not the owner
 * the archive attests.
 */
static bool mcr_owns(struct mcr_kring *kr, struct file *file)
{
	bool owns;

	spin_lock(&mcr_claim_lock);
	owns = kr->owner == file && kr->owner_tgid == task_tgid(current);
	spin_unlock(&mcr_claim_lock);
	return owns;
}

/* Map @n pages one by one: a ring's pages are not contiguous. */
static int mcr_remap(struct vm_area_struct *vma, struct page **pages,
		     unsigned long n)
{
	unsigned long i;
	int ret;

	for (i = 0; i < n; i++) {
		if (i % 256 == 255)
			cond_resched();		/* up to 2^18 pages */
		ret = remap_pfn_range(vma, vma->vm_start + i * PAGE_SIZE,
				      page_to_pfn(pages[i]), PAGE_SIZE,
				      vma->vm_page_prot);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * mcr_dev_mmap() - map one ring, or its read-only part
 * @file: the open /dev/mcrlog
 * @vma: offset MCR_MMAP_RING(r) + MCR_CONS_OFF or + MCR_PROD_OFF
 *
 * Mappings of these shapes are accepted (writable ones MAP_SHARED),
 * nothing else:
 *   - the whole ring, read-only (readers, stats);
 *   - the cons page alone, read-only;
 *   - everything from the prod page to the end, read-write: for the MPSC
 *     ring any writer, for an SPSC ring only the process that claimed it,
 *     through the file it claimed it with;
 *   - with user_drain=1 only, the whole ring read-write: the userspace
 *     consumer.
 * Read-only mappings lose VM_MAYWRITE so mprotect() cannot add write
 * permission later. The pages are mapped as PFNs (remap_pfn_range()):
 * the mapping is VM_PFNMAP | VM_IO and its PTEs are special, so no page
 * can be pinned through it (get_user_pages(), fast or not, refuses them:
 * O_DIRECT, vmsplice, io_uring fixed buffers, process_vm_writev), and
 * madvise(MADV_DOFORK) cannot undo VM_DONTCOPY. Only the claimant's own
 * mapping ever writes a claimed ring, and it goes when the claim does
 * (except with user_drain=1, where the consumer maps every ring whole).
 *
 * Return: 0, -EINVAL for any other shape or offset, -EACCES when writing
 * an SPSC ring this file has not claimed, or a remap_pfn_range() error.
 */
int mcr_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 in = off & (MCR_MMAP_RING(1) - 1);
	u64 ring = off >> MCR_MMAP_SHIFT;
	u64 size = vma->vm_end - vma->vm_start;
	u64 total = mcr_ring_bytes();
	bool ro = !(vma->vm_flags & VM_WRITE);
	struct mcr_kring *kr;

	if (ring >= mcr_nr_rings)
		return -EINVAL;
	kr = mcr_rings[array_index_nospec(ring, mcr_nr_rings)];
	if (in == MCR_CONS_OFF && ro &&
	    (size == total || size == MCR_PAGE_SIZE)) {
		vm_flags_clear(vma, VM_MAYWRITE);
	} else if (in == MCR_PROD_OFF && size == total - MCR_PROD_OFF) {
		if (ring != MCR_RING_MPSC && !mcr_owns(kr, file))
			return -EACCES;
	} else if (!(in == MCR_CONS_OFF && size == total && mcr_user_drain)) {
		return -EINVAL;
	}
	/*
	 * Writes to a private copy would never reach the consumer, and the
	 * pages are not copied on write: a private mapping stays read-only.
	 */
	if (!(vma->vm_flags & VM_SHARED)) {
		if (!ro)
			return -EINVAL;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &mcr_vm_ops;
	return mcr_remap(vma, kr->pages + (in >> PAGE_SHIFT), size >> PAGE_SHIFT);
}

/* --- claims ---------------------------------------------------------- */

/**
 * mcr_claim_ring() - make @file the only writer of SPSC ring @ring
 * @file: the open /dev/mcrlog
 * @ring: MCR_RING_SPSC(cpu)
 *
 * The claim lasts until the file is released: closed and unmapped, which
 * includes the death of the process.
 *
 * Return: 0, -EINVAL when @ring is not an SPSC ring, -EBUSY when another
 * file (or this one) holds it.
 */
int mcr_claim_ring(struct file *file, u32 ring)
{
	struct mcr_kring *kr;
	int ret = 0;

	if (ring == MCR_RING_MPSC || ring >= mcr_nr_rings)
		return -EINVAL;
	kr = mcr_rings[array_index_nospec(ring, mcr_nr_rings)];
	/* Leftovers of the previous owner are drained in its name first. */
	mutex_lock(&mcr_drain_lock);
	spin_lock(&mcr_claim_lock);
	if (kr->owner || kr->writer_gone) {
		ret = -EBUSY;
	} else {
		if (!mcr_user_drain)
			mcr_account_claimed(kr);
		WRITE_ONCE(kr->owner, file);
		kr->owner_tgid = get_pid(task_tgid(current));
		WRITE_ONCE(kr->owner_pid, task_tgid_nr(current));
		kr->owner_uid = current_uid();
	}
	spin_unlock(&mcr_claim_lock);
	mutex_unlock(&mcr_drain_lock);
	if (!ret)
		trace_mcrring_claim(ring, kr->owner_pid, true);
	return ret;
}

/**
 * mcr_release_claims() - end every claim @file holds
 * @file: the file being released
 *
 * What the owner committed is drained now, in its name; a record it left
 * half written is abandoned at once.
 *
 * Context: file release; sleeps.
 */
void mcr_release_claims(struct file *file)
{
	unsigned int i;

	for (i = 1; i < mcr_nr_rings; i++) {
		struct mcr_kring *kr = mcr_rings[i];

		if (READ_ONCE(kr->owner) != file)
			continue;
		/* Still owned, so nobody claims it while it drains. */
		if (!mcr_user_drain) {
			mutex_lock(&mcr_drain_lock);
			kr->writer_gone = true;
			mutex_unlock(&mcr_drain_lock);
			mcr_drain_ring(kr);
		}
		trace_mcrring_claim(i, kr->owner_pid, false);
		/* The drain thread attests records under mcr_drain_lock. */
		mutex_lock(&mcr_drain_lock);
		spin_lock(&mcr_claim_lock);
		put_pid(kr->owner_tgid);
		kr->owner_tgid = NULL;
		WRITE_ONCE(kr->owner, NULL);
		WRITE_ONCE(kr->owner_pid, 0);
		spin_unlock(&mcr_claim_lock);
		mutex_unlock(&mcr_drain_lock);
	}
}

/* --- the kernel-side writer ------------------------------------------ */

/**
 * mcr_printk() - log a formatted message into the kernel's ring
 * @pri: MCR_PRI(facility, severity)
 * @fmt: printf-style format
 *
 * Lock-free and non-blocking like the userspace writers. The ring is the
 * kernel's alone (MCR_RING_KERNEL): nothing a process writes can fill or
 * stall it, and its records are told apart by their ring. The formatted
 * text is at most MCR_TEXT_MAX - 1 bytes (vsnprintf needs its NUL in the
 * reservation).
 *
 * Context: any, hard interrupt and NMI included: the time comes from
 * ktime_get_mono_fast_ns() and the drain thread is woken through
 * irq_work. A record interrupted between reserve and commit by a second
 * one on the same CPU is simply the older of two in flight.
 *
 * Return: the text length, -EINVAL for a bad @pri, -ENOMSG when @pri is
 * muted at run time (nothing written), -EMSGSIZE when the text is too
 * long, -ENOBUFS when the ring is full (counted as dropped).
 */
int mcr_printk(unsigned int pri, const char *fmt, ...)
{
	struct mcr_kring *kr = mcr_kernel_ring;
	struct mcr_resv resv;
	va_list ap;
	int n, ret;

	if (MCR_PRI_FAC(pri) > MCR_FAC_MAX)
		return -EINVAL;
	if ((READ_ONCE(mcr_mute[MCR_PRI_FAC(pri)]) >> MCR_PRI_SEV(pri)) & 1)
		return -ENOMSG;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= MCR_TEXT_MAX)
		return -EMSGSIZE;
	ret = mcr_mpsc_reserve(&kr->ring, n + 1, &resv);
	if (ret)
		return ret;
	va_start(ap, fmt);
	vsnprintf(resv.text, n + 1, fmt, ap);
	va_end(ap);
	mcr_mpsc_commit(&kr->ring, &resv, n, ktime_get_mono_fast_ns(),
			task_tgid_nr(current), task_pid_nr(current),
			raw_smp_processor_id(), pri, 0);
	if (resv.hint & MCR_RESV_WAKE)
		mcr_drain_wake_any();
	return n;
}
EXPORT_SYMBOL_GPL(mcr_printk);
