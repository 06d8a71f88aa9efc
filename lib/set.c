// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmcrring: ring sets (a shared memory file or /dev/mcrlog, its rings
 * mapped as writers ask) and the writers' clock a userspace consumer keeps.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* --- the writers' clock (proto/mcrring/clock.h) ------------------------- */

#ifdef MCR_HAVE_CYCLES
/* The counter, CLOCK_MONOTONIC, the counter: for mcr_clock_sample(). */
static void mcr_clock_bracket(__u64 t[3])
{
	t[0] = mcr_cycles_ordered();
	t[1] = mcr_now_ns();
	t[2] = mcr_cycles_ordered();
}
#endif

/*
 * Sample the two clocks into @kp when a sample is due: the first at once,
 * the second MCR_CLOCK_FIRST_NS later, then once a period.
 * Return: true when the map changed and the rings need storing.
 */
bool __mcr_keep_due(struct mcr_keeper *kp)
{
#ifdef MCR_HAVE_CYCLES
	__u64 tsc = 0, ns = 0;

	if (mcr_now_ns() < kp->next_ns)
		return false;
	mcr_clock_sample(mcr_clock_bracket, &tsc, &ns);
	kp->next_ns = ns + (kp->k.map.tsc_limit ? MCR_CLOCK_PERIOD_NS :
						  MCR_CLOCK_FIRST_NS);
	return mcr_clock_update(&kp->k, tsc, ns);
#else
	(void)kp;
	return false;
#endif
}

static struct mcr_clock *mcr_set_clock(void *set, unsigned int i)
{
	return &((struct mcr_set *)set)->rings[i].cons->clock;
}

MCR_EXPORT int mcr_set_keep_clock(struct mcr_set *set)
{
	if (!set->base)
		return -EOPNOTSUPP;
#ifndef MCR_HAVE_CYCLES
	return -EOPNOTSUPP;
#endif
	if (__mcr_keep_due(&set->keeper))
		mcr_clock_publish(&set->keeper.k, mcr_set_clock, set,
				  set->nr_rings);
	return 0;
}

/* --- ring sets ------------------------------------------------------ */

MCR_EXPORT int mcr_shm_create(unsigned int nr_rings, __u32 ndesc,
			      __u32 data_size, struct mcr_set **out)
{
	__u64 size = mcr_ring_size(ndesc, data_size);
	struct mcr_set *set;
	int ret;

	if (!size || !nr_rings || nr_rings > 1024)
		return -EINVAL;
	set = calloc(1, sizeof(*set) + nr_rings * sizeof(set->rings[0]));
	if (!set)
		return -ENOMEM;
	set->nr_rings = nr_rings;
	set->stride = size;
	set->map_len = size * nr_rings;
	set->fd = memfd_create("mcrring", MFD_CLOEXEC);
	if (set->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (ftruncate(set->fd, (off_t)set->map_len)) {
		ret = -errno;
		goto out_close;
	}
	set->base = mmap(NULL, set->map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, set->fd, 0);
	if (set->base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	for (unsigned int i = 0; i < nr_rings; i++)
		mcr_ring_format(&set->rings[i],
				(char *)set->base + i * set->stride, ndesc,
				data_size, i);
	*out = set;
	return 0;

out_close:
	close(set->fd);
out_free:
	free(set);
	return ret;
}

MCR_EXPORT int mcr_open(const char *path, struct mcr_set **out)
{
	struct mcr_info info = { 0 };
	struct mcr_set *set;
	int fd, ret;

	fd = open(path ? path : "/dev/" MCR_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, MCR_IOC_INFO, &info)) {
		ret = errno == ENOTTY ? -ENODEV : -errno;
		goto out_close;
	}
	if (info.abi_version != MCR_ABI_VERSION) {
		ret = -EPROTO;
		goto out_close;
	}
	if (!info.nr_rings || info.nr_rings > 65536 ||
	    mcr_ring_size(info.ndesc, info.data_size) != info.ring_size) {
		ret = -EPROTO;
		goto out_close;
	}
	set = calloc(1, sizeof(*set) + info.nr_rings * sizeof(set->rings[0]));
	if (!set) {
		ret = -ENOMEM;
		goto out_close;
	}
	set->mapped = calloc(info.nr_rings, sizeof(*set->mapped));
	if (!set->mapped) {
		free(set);
		ret = -ENOMEM;
		goto out_close;
	}
	pthread_mutex_init(&set->map_lock, NULL);
	set->fd = fd;
	set->features = info.features;
	set->nr_rings = info.nr_rings;
	set->stride = info.ring_size;
	*out = set;
	return 0;

out_close:
	close(fd);
	return ret;
}

/*
 * Map device ring @i for writing: the cons page read-only, the rest
 * read-write, side by side in one reserved range (the module refuses to
 * split its mappings, so they are made separately).
 */
static int mcr_map_ring_locked(struct mcr_set *set, unsigned int i)
{
	off_t off = (off_t)MCR_MMAP_RING(i);
	char *base;
	int ret;

	if (set->mapped[i])
		return 0;
	base = mmap(NULL, set->stride, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (mmap(base, MCR_PROD_OFF, PROT_READ, MAP_SHARED | MAP_FIXED,
		 set->fd, off + MCR_CONS_OFF) == MAP_FAILED ||
	    mmap(base + MCR_PROD_OFF, set->stride - MCR_PROD_OFF,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, set->fd,
		 off + MCR_PROD_OFF) == MAP_FAILED) {
		ret = -errno;
		munmap(base, set->stride);
		return ret;
	}
	ret = mcr_ring_attach(&set->rings[i], base, set->stride);
	if (ret) {
		munmap(base, set->stride);
		return ret;
	}
	set->mapped[i] = base;
	return 0;
}

/* Threads may make their first writers at once: map each ring once. */
int __mcr_map_ring(struct mcr_set *set, unsigned int i)
{
	int ret;

	if (set->base)
		return 0;
	pthread_mutex_lock(&set->map_lock);
	ret = mcr_map_ring_locked(set, i);
	pthread_mutex_unlock(&set->map_lock);
	return ret;
}

MCR_EXPORT void mcr_set_close(struct mcr_set *set)
{
	if (!set)
		return;
	if (set->base)
		munmap(set->base, set->map_len);
	for (unsigned int i = 0; set->mapped && i < set->nr_rings; i++)
		if (set->mapped[i])
			munmap(set->mapped[i], set->stride);
	free(set->mapped);
	close(set->fd);
	free(set);
}

MCR_EXPORT int mcr_set_fd(const struct mcr_set *set)
{
	return set->base ? -1 : set->fd;
}

MCR_EXPORT int mcr_ring_counters(const struct mcr_set *set, unsigned int ring,
				 struct mcr_counters *c)
{
	if (set->base)
		return -EOPNOTSUPP;
	memset(c, 0, sizeof(*c));
	c->ring = ring;
	return ioctl(set->fd, MCR_IOC_COUNTERS, c) ? -errno : 0;
}

/*
 * mcr_ring_counters()'s name in libmcrring 1.0.0, the struct's: still
 * exported for programs linked against it (MCRRING_1.0), declared in no
 * header.
 */
MCR_EXPORT int mcr_counters(const struct mcr_set *set, unsigned int ring,
			    struct mcr_counters *c)
	__attribute__((alias("mcr_ring_counters")));

MCR_EXPORT unsigned int mcr_set_nr_rings(const struct mcr_set *set)
{
	return set->nr_rings;
}

MCR_EXPORT const struct mcr_ring *mcr_set_ring(const struct mcr_set *set,
					       unsigned int idx)
{
	if (idx >= set->nr_rings || (!set->base && !set->mapped[idx]))
		return NULL;
	return &set->rings[idx];
}
