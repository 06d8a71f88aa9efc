// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile writers (invariant 5, as hostile_test.c) against the mappings:
 * every way of getting write access to the consumer's page, or of
 * reshaping a ring mapping, is refused; and a claim's attestation cannot
 * be inherited or outlived.
 */
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/io_uring.h>

#include "mcrring.h"
#include <mcrring/compat.h>	/* the kernel's names: READ_ONCE() and the like */
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_vmrec.h"

#define PRI		MCR_PRI(1, 6)
#define MS		1000000ULL

/* --- the consumer's page and the mapping shapes ---------------------- */

/* Write the cons page of ring @arg through libmcrring's mapping. */
static void write_cons(void *arg)
{
	unsigned int ring = (uintptr_t)arg;
	const struct mcr_ring *r;
	struct mcr_writer w;

	r = child_ring(ring, &w);
	if (!r)
		_exit(12);
	((volatile struct mcr_cons *)r->cons)->tail = 0x1234;	/* SIGSEGV */
	_exit(13);
}

TEST(writing_the_cons_page_segfaults)
{
	int status;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	status = in_child(write_cons, (void *)(uintptr_t)MCR_RING_MPSC);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("mpsc: status %#x", status);
	status = in_child(write_cons, (void *)(uintptr_t)MCR_RING_SPSC(0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("spsc: status %#x", status);
}

/* Map ring @ring's part at @in of @size bytes; MAP_FAILED sets errno. */
static void *map_ring(int fd, unsigned int ring, __u64 in, size_t size,
		      int prot, int flags)
{
	return mmap(NULL, size, prot, flags, fd, (off_t)(MCR_MMAP_RING(ring) + in));
}

/* errno of a mapping that must fail; 0 if it did not fail (unmapped). */
static int map_err(int fd, unsigned int ring, __u64 in, size_t size, int prot,
		   int flags)
{
	void *p = map_ring(fd, ring, in, size, prot, flags);

	if (p != MAP_FAILED) {
		munmap(p, size);
		return 0;
	}
	return errno;
}

/*
 * The MPSC ring as a writer maps it, and the size of a ring's mapping;
 * ASSERTs on the test's behalf.
 */
static void map_mpsc(struct __test_metadata *_metadata, struct mcr_set **set,
		     struct mcr_writer *w, const struct mcr_ring **r,
		     size_t *total)
{
	struct mcr_info info;

	ASSERT_EQ(0, mcr_open(NULL, set));
	ASSERT_EQ(0, mcr_writer_mpsc(*set, w));
	*r = mcr_set_ring(*set, MCR_RING_MPSC);
	ASSERT_NE(NULL, *r);
	ASSERT_EQ(0, ioctl(mcr_set_fd(*set), MCR_IOC_INFO, &info));
	*total = info.ring_size;
}

TEST(no_way_to_write_the_cons_page)
{
	const struct mcr_ring *r;
	struct mcr_writer w;
	struct mcr_set *set;
	__u32 magic;
	size_t total;
	char *whole, *priv, zero[8] = { 0 };
	int fd, mem;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	map_mpsc(_metadata, &set, &w, &r, &total);
	fd = mcr_set_fd(set);
	magic = r->cons->magic;
	ASSERT_EQ(MCR_RING_MAGIC, magic);

	/* mprotect() cannot add write permission: VM_MAYWRITE is gone. */
	EXPECT_EQ(-1, mprotect((void *)r->cons, MCR_PAGE_SIZE,
			       PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	whole = map_ring(fd, MCR_RING_MPSC, MCR_CONS_OFF, total, PROT_READ,
			 MAP_SHARED);
	ASSERT_NE(MAP_FAILED, whole);
	EXPECT_EQ(-1, mprotect(whole, total, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	priv = map_ring(fd, MCR_RING_MPSC, MCR_CONS_OFF, MCR_PAGE_SIZE,
			PROT_READ, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(-1, mprotect(priv, MCR_PAGE_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);

	/* Nor can a forced write through /proc/self/mem or another mm. */
	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, pwrite(mem, zero, sizeof(zero),
			     (off_t)(uintptr_t)&r->cons->tail));
	EXPECT_EQ(-1, pwrite(mem, zero, sizeof(zero),
			     (off_t)(uintptr_t)(whole + 64)));
	close(mem);
	{
		struct iovec local = { zero, sizeof(zero) };
		struct iovec remote = { (void *)&r->cons->magic, sizeof(zero) };

		EXPECT_EQ(-1, process_vm_writev(getpid(), &local, 1, &remote,
						1, 0));
		EXPECT_EQ(EFAULT, errno);
	}
	EXPECT_EQ(MCR_RING_MAGIC, r->cons->magic);
	EXPECT_EQ(MCR_RING_MAGIC, ((struct mcr_cons *)whole)->magic);

	munmap(priv, MCR_PAGE_SIZE);
	munmap(whole, total);
	mcr_set_close(set);
}

TEST(ring_mappings_cannot_be_moved_or_split)
{
	const struct mcr_ring *r;
	struct mcr_writer w;
	struct mcr_set *set;
	size_t total, rw;
	char *cons, *prod, *spare;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	map_mpsc(_metadata, &set, &w, &r, &total);
	rw = total - MCR_PROD_OFF;
	cons = (char *)r->cons;
	prod = (char *)r->prod;
	ASSERT_EQ(cons + MCR_PROD_OFF, prod);
	spare = mmap(NULL, 2 * total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, spare);

	/* mremap: neither moved, nor grown, nor shrunk. */
	EXPECT_EQ(MAP_FAILED, mremap(prod, rw, rw, MREMAP_MAYMOVE | MREMAP_FIXED,
				     spare));
	EXPECT_EQ(MAP_FAILED, mremap(prod, rw, rw + 4096, MREMAP_MAYMOVE));
	EXPECT_EQ(MAP_FAILED, mremap(prod, rw, rw - 4096, 0));
	EXPECT_EQ(MAP_FAILED, mremap(cons, MCR_PAGE_SIZE, MCR_PAGE_SIZE,
				     MREMAP_MAYMOVE | MREMAP_FIXED, spare));
	EXPECT_EQ(MAP_FAILED, mremap(cons, MCR_PAGE_SIZE, 2 * MCR_PAGE_SIZE,
				     MREMAP_MAYMOVE));

	/* munmap or mprotect of a part: EINVAL. */
	EXPECT_EQ(-1, munmap(prod + rw - 4096, 4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, munmap(prod, 4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, munmap(prod + 8192, 4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, munmap(cons, 2 * MCR_PAGE_SIZE));	/* cons + part */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mprotect(prod, 4096, PROT_READ));
	EXPECT_EQ(EINVAL, errno);

	/* Still whole and working. */
	EXPECT_EQ(MCR_RING_MAGIC, r->cons->magic);
	EXPECT_EQ(0, mcr_log(&w, PRI, "still mapped", 12));
	munmap(spare, 2 * total);
	mcr_set_close(set);
}

TEST(only_the_documented_shapes_map)
{
	struct mcr_info info;
	struct mcr_claim claim = { .ring = MCR_RING_SPSC(0) };
	size_t total;
	int fd, other;

	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	fd = open(MCR_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MCR_IOC_INFO, &info));
	total = info.ring_size;

	/* The three shapes (positive controls). */
	EXPECT_EQ(0, map_err(fd, 0, MCR_CONS_OFF, total, PROT_READ, MAP_SHARED));
	EXPECT_EQ(0, map_err(fd, 0, MCR_CONS_OFF, 4096, PROT_READ, MAP_SHARED));
	EXPECT_EQ(0, map_err(fd, 0, MCR_PROD_OFF, total - MCR_PROD_OFF,
			     PROT_READ | PROT_WRITE, MAP_SHARED));

	/* Wrong offset within the ring. */
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_DESC_OFF, total - MCR_DESC_OFF,
				  PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_DESC_OFF, 4096, PROT_READ,
				  MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, total, 4096, PROT_READ, MAP_SHARED));
	/* Wrong size. */
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_CONS_OFF, 2 * 4096, PROT_READ,
				  MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_CONS_OFF, total + 4096, PROT_READ,
				  MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_CONS_OFF, total - 4096, PROT_READ,
				  MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_PROD_OFF, total - 2 * 4096,
				  PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_PROD_OFF, total,
				  PROT_READ | PROT_WRITE, MAP_SHARED));
	/* Writable cons page, alone or with the rest. */
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_CONS_OFF, 4096,
				  PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_CONS_OFF, total,
				  PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0, MCR_CONS_OFF, 4096,
				  PROT_READ | PROT_WRITE, MAP_PRIVATE));
	/* No such ring. */
	EXPECT_EQ(EINVAL, map_err(fd, info.nr_rings, MCR_CONS_OFF, total,
				  PROT_READ, MAP_SHARED));
	EXPECT_EQ(EINVAL, map_err(fd, 0xffff, MCR_PROD_OFF, total - MCR_PROD_OFF,
				  PROT_READ | PROT_WRITE, MAP_SHARED));

	/* An SPSC ring is writable only through the file that claimed it. */
	EXPECT_EQ(0, map_err(fd, MCR_RING_SPSC(0), MCR_CONS_OFF, total,
			     PROT_READ, MAP_SHARED));
	EXPECT_EQ(EACCES, map_err(fd, MCR_RING_SPSC(0), MCR_PROD_OFF,
				  total - MCR_PROD_OFF, PROT_READ | PROT_WRITE,
				  MAP_SHARED));
	EXPECT_EQ(EACCES, map_err(fd, MCR_RING_SPSC(0), MCR_PROD_OFF,
				  total - MCR_PROD_OFF, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE));
	other = open(MCR_DEV_PATH, O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioctl(other, MCR_IOC_CLAIM, &claim));
	EXPECT_EQ(EACCES, map_err(fd, MCR_RING_SPSC(0), MCR_PROD_OFF,
				  total - MCR_PROD_OFF, PROT_READ | PROT_WRITE,
				  MAP_SHARED));
	EXPECT_EQ(0, map_err(other, MCR_RING_SPSC(0), MCR_PROD_OFF,
			     total - MCR_PROD_OFF, PROT_READ | PROT_WRITE,
			     MAP_SHARED));
	close(other);
	ASSERT_EQ(0, ioctl(fd, MCR_IOC_CLAIM, &claim));
	EXPECT_EQ(0, map_err(fd, MCR_RING_SPSC(0), MCR_PROD_OFF,
			     total - MCR_PROD_OFF, PROT_READ | PROT_WRITE,
			     MAP_SHARED));
	close(fd);
}

/* --- attestation cannot be inherited or outlived --------------------- */

/*
 * Claim SPSC ring 0 through a new file and map its writable part: the
 * file, and the mapping's address and size through @p and @size.
 */
static int claim_and_map(void **p, size_t *size)
{
	struct mcr_claim claim = { .ring = MCR_RING_SPSC(0) };
	struct mcr_info info = { 0 };
	int fd = open(MCR_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, MCR_IOC_INFO, &info) || ioctl(fd, MCR_IOC_CLAIM, &claim)) {
		close(fd);
		return -errno;
	}
	*size = info.ring_size - MCR_PROD_OFF;
	*p = map_ring(fd, MCR_RING_SPSC(0), MCR_PROD_OFF, *size,
		      PROT_READ | PROT_WRITE, MAP_SHARED);
	if (*p == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* A claimed SPSC ring 0, mapped writable by this process. */
FIXTURE(claimed) {
	void *p;
	size_t size;
	int fd;
};

FIXTURE_SETUP(claimed)
{
	self->fd = -1;
	if (!mcr_loaded())
		SKIP(return, "mcrring.ko is not loaded");
	self->fd = claim_and_map(&self->p, &self->size);
	ASSERT_LE(0, self->fd) TH_LOG("claim and map: %s",
				      strerror(-self->fd));
}

FIXTURE_TEARDOWN(claimed)
{
	if (self->fd < 0)
		return;
	munmap(self->p, self->size);
	close(self->fd);
}

/* In a child: exit 0 when nothing is mapped at the ring's address. */
static void child_lacks_pages(void *arg)
{
	const FIXTURE_DATA(claimed) *c = arg;

	_exit(madvise(c->p, c->size, MADV_NORMAL) == -1 && errno == ENOMEM ?
	      0 : 1);
}

/* In a child: exit with the errno of mapping the claimed ring writable. */
static void child_maps_claim(void *arg)
{
	const FIXTURE_DATA(claimed) *c = arg;

	_exit(map_err(c->fd, MCR_RING_SPSC(0), MCR_PROD_OFF, c->size,
		      PROT_READ | PROT_WRITE, MAP_SHARED));
}

/*
 * madvise(MADV_DOFORK) would undo VM_DONTCOPY, and a child that kept the
 * claimant's pages after it died would write in its name: refused, and a
 * child never has the pages.
 */
TEST_F(claimed, madv_dofork_is_refused_and_a_child_gets_no_ring_pages)
{
	int status;

	EXPECT_EQ(-1, madvise(self->p, self->size, MADV_DOFORK));
	EXPECT_EQ(EINVAL, errno);
	status = in_child(child_lacks_pages, self);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child has the claimant's ring pages: %#x", status);
}

/*
 * The claim is the claiming process's: a child that inherited the file
 * (or a process it was passed to) cannot map the ring writable, and so
 * cannot write in the claimant's name after it exits.
 */
TEST_F(claimed, an_inherited_file_does_not_carry_the_claim)
{
	int status = in_child(child_maps_claim, self);

	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child: %#x", status);
	EXPECT_EQ(EACCES, WEXITSTATUS(status))
		TH_LOG("the child mapped the claimed ring: errno %d",
		       WEXITSTATUS(status));
	/* The claimant itself still can. */
	EXPECT_EQ(0, map_err(self->fd, MCR_RING_SPSC(0), MCR_PROD_OFF,
			     self->size, PROT_READ | PROT_WRITE, MAP_SHARED));
}

/*
 * A page pinned through the writable mapping (vmsplice, process_vm_writev,
 * io_uring fixed buffers, O_DIRECT: all get_user_pages()) would outlive
 * the claim. PFN mappings cannot be pinned.
 */
TEST_F(claimed, claimed_pages_cannot_be_pinned)
{
	struct iovec remote = { (char *)self->p + self->size - 4096, 4096 };
	struct io_uring_params params = { 0 };
	char buf[64] = "pinned";
	struct iovec local = { buf, sizeof(buf) };
	int pipefd[2], ring;

	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-1, vmsplice(pipefd[1], &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(pipefd[0]);
	close(pipefd[1]);

	remote.iov_len = sizeof(buf);
	EXPECT_EQ(-1, process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);

	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		TH_LOG("io_uring_setup: %s: fixed buffers not tried",
		       strerror(errno));
		return;
	}
	/*
	 * EOPNOTSUPP: io_uring itself also refuses file-backed pages that
	 * are not shmem, before it pins (6.1 does).
	 */
	remote.iov_len = 4096;
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, ring,
			      IORING_REGISTER_BUFFERS, &remote, 1));
	EXPECT_TRUE(errno == EFAULT || errno == EOPNOTSUPP)
		TH_LOG("io_uring fixed buffer: %s", strerror(errno));
	close(ring);
}

TEST_HARNESS_MAIN
