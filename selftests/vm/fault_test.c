// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on every path that allocates: module load (the
 * archive, the rings, the drain thread, sysfs, the device), open, mmap,
 * the SPSC claim and the first read. Each failure must reach userspace
 * as a clean -ENOMEM and leave nothing behind: no module half loaded, no
 * mapping, no module reference, no claim, no cursor moved. Afterwards
 * the module loads and works, and kmemleak finds nothing.
 *
 * Two ways to fail allocations, both limited to this test's own task:
 *   - /proc/thread-self/fail-nth fails exactly the Nth allocation of the
 *     next system call: N = 1, 2, ... walks every allocation an operation
 *     makes, until the operation no longer reaches an Nth one (a load:
 *     every allocation from mcr_init()'s first on, see walk_load());
 *   - failslab and fail_page_alloc in debugfs with task-filter and
 *     /proc/self/make-it-fail, random probability, interval and times,
 *     over whole load-open-map-claim-read-unload sequences.
 *
 * Needs a kernel with CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the debug tier's kasan kernel);
 * elsewhere every test skips.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"

#define DEBUGFS		"/sys/kernel/debug/"
#define KMEMLEAK	DEBUGFS "kmemleak"
/* The smallest rings and archive: a load allocates a few dozen pages. */
#define SMALL_AR_KB	"32"
#define SMALL		"ring_ndesc=64 ring_data_kb=8 archive_kb=" SMALL_AR_KB
/* No operation allocates this often: a walk that gets here never ends. */
#define MAX_NTH		20000
#define SPSC0		MCR_RING_SPSC(0)

static const char *const attrs[] = { "failslab", "fail_page_alloc" };

/* Set @key of fault attribute @attr ("failslab", "fail_page_alloc"). */
static int attr_set(const char *attr, const char *key, long long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), DEBUGFS "%s/%s", attr, key);
	snprintf(buf, sizeof(buf), "%lld", val);
	return write_str(path, buf);
}

static bool have_fault_injection(void)
{
	return access(DEBUGFS "failslab/task-filter", W_OK) == 0 &&
	       access(DEBUGFS "fail_page_alloc/task-filter", W_OK) == 0 &&
	       access("/proc/thread-self/fail-nth", W_OK) == 0;
}

#define REQUIRE_FAULT() do {						\
	REQUIRE_MODULE();						\
	if (!have_fault_injection())					\
		SKIP(return, "kernel has no failslab/fail_page_alloc in debugfs");\
} while (0)

/*
 * Both attributes off for everyone, then armed for GFP_KERNEL (which the
 * module uses) but never for user pages (__GFP_HIGHMEM), only for tasks
 * that ask, and with one line of log per failure rather than a stack.
 * @on false just switches them off.
 */
static int attrs_setup(bool on)
{
	int ret = 0;

	for (int i = 0; i < 2; i++) {
		const char *a = attrs[i];

		ret |= attr_set(a, "probability", 0);
		ret |= attr_set(a, "times", on ? -1 : 0);
		ret |= attr_set(a, "interval", 1);
		ret |= attr_set(a, "space", 0);
		ret |= attr_set(a, "verbose", on ? 1 : 2);
		ret |= attr_set(a, "task-filter", on);
		ret |= write_str(DEBUGFS "failslab/ignore-gfp-wait", on ? "N" : "Y");
		ret |= write_str(DEBUGFS "fail_page_alloc/ignore-gfp-wait",
			       on ? "N" : "Y");
	}
	return ret;
}

FIXTURE(fault) {
	int nth_fd;		/* /proc/thread-self/fail-nth */
	int fail_fd;		/* /proc/self/make-it-fail */
	int mod_fd;		/* mcrring.ko, for finit_module */
	int kmsg_fd;		/* /dev/kmsg, to see what init said */
};

/*
 * Between these two lines of kernel log the kernel's own WARN_ON()s on a
 * failed allocation are expected (scripts/klog-check.sh); reports of
 * memory errors, lock misuse or warnings in mcrring still fail the run.
 */
#define KLOG_BEGIN	"mcrring fault_test: injecting allocation failures\n"
#define KLOG_END	"mcrring fault_test: injection off\n"

FIXTURE_SETUP(fault)
{
	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	self->fail_fd = open("/proc/self/make-it-fail", O_RDWR);
	self->mod_fd = mcr_module_path() ?
		open(mcr_module_path(), O_RDONLY | O_CLOEXEC) : -1;
	self->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (have_fault_injection()) {
		ASSERT_EQ(0, write_str("/dev/kmsg", KLOG_BEGIN));
		ASSERT_EQ(0, attrs_setup(true));
	}
}

FIXTURE_TEARDOWN(fault)
{
	if (have_fault_injection()) {
		EXPECT_EQ(0, attrs_setup(false));
		EXPECT_EQ(0, write_str("/dev/kmsg", KLOG_END));
	}
	if (self->nth_fd >= 0)
		close(self->nth_fd);
	if (self->fail_fd >= 0)
		close(self->fail_fd);
	if (self->mod_fd >= 0)
		close(self->mod_fd);
	if (self->kmsg_fd >= 0)
		close(self->kmsg_fd);
}

/* --- the operations, each a single system call ---------------------- */

/* What an operation works on; set up before it, checked after. */
struct opctx {
	int mod_fd;
	int fd;			/* an open /dev/mcrlog */
	int newfd;		/* what open() returned */
	void *map;		/* what mmap() returned */
	size_t len;
	off_t off;
	int prot;
	unsigned int ring;
	char *buf;		/* read() buffer, already faulted in */
	size_t buflen;
	ssize_t got;
};

static int op_load(struct opctx *c)
{
	return syscall(SYS_finit_module, c->mod_fd, SMALL, 0) ? -errno : 0;
}

static int op_open(struct opctx *c)
{
	c->newfd = open(MCR_DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return c->newfd < 0 ? -errno : 0;
}

static int op_mmap(struct opctx *c)
{
	c->map = mmap(NULL, c->len, c->prot, MAP_SHARED, c->fd, c->off);
	return c->map == MAP_FAILED ? -errno : 0;
}

static int op_claim(struct opctx *c)
{
	struct mcr_claim claim = { .ring = c->ring };

	return ioctl(c->fd, MCR_IOC_CLAIM, &claim) ? -errno : 0;
}

static int op_read(struct opctx *c)
{
	c->got = read(c->fd, c->buf, c->buflen);
	return c->got < 0 ? -errno : 0;
}

/* --- injecting -------------------------------------------------------- */

/* These /proc files cannot seek; pread/pwrite at 0 need no allocation. */
static int put_fd(int fd, unsigned int v)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u", v);

	return pwrite(fd, buf, n, 0) == n ? 0 : -errno;
}

static long long get_fd(int fd)
{
	char buf[32];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoll(buf);
}

/*
 * Run @op with its @nth fault-injection point failing. Returns what @op
 * returned; *left is how many points it fell short of the @nth (0: the
 * failure happened), -1 if unknown.
 */
static int run_counted(int nth_fd, unsigned int nth,
		       int (*op)(struct opctx *), struct opctx *c,
		       long long *left)
{
	int ret;

	*left = -1;
	if (put_fd(nth_fd, nth))
		return -EBADF;
	ret = op(c);
	*left = get_fd(nth_fd);
	put_fd(nth_fd, 0);
	return ret;
}

/* The same; *hit says whether @op got that far (the failure happened). */
static int run_nth(int nth_fd, unsigned int nth, int (*op)(struct opctx *),
		   struct opctx *c, bool *hit)
{
	long long left;
	int ret = run_counted(nth_fd, nth, op, c, &left);

	*hit = left == 0;
	return ret;
}

/* Run @op as a task that failslab/fail_page_alloc may fail. */
static int run_failing(int fail_fd, int (*op)(struct opctx *),
		       struct opctx *c)
{
	int ret;

	if (put_fd(fail_fd, 1))
		return -EIO;
	ret = op(c);
	put_fd(fail_fd, 0);
	return ret;
}

/* --- what must hold after each operation ------------------------------ */

/* Mappings of /dev/mcrlog in this process. */
static int dev_mappings(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, MCR_DEV_PATH))
			n++;
	fclose(f);
	return n;
}

static long long refcnt(void)
{
	return sysfs_num("/sys/module/mcrring/refcnt");
}

static long long spsc0_owner(void)
{
	char path[64], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), MCR_SYSFS "cpu0/owner");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -2;
	buf[n] = '\0';
	return atoll(buf);
}

/* One record in the archive, from an MPSC writer; 0 or -errno. */
static int log_one(const char *text)
{
	unsigned long long archived, want;
	struct mcr_writer w;
	struct mcr_set *set;
	uint64_t end;
	int ret;

	if (sysfs_u64("archived", &archived))
		return -EIO;
	want = archived + 1;
	ret = mcr_open(NULL, &set);
	if (ret)
		return ret;
	ret = mcr_writer_mpsc(set, &w);
	if (!ret) {
		ret = mcr_logf(&w, MCR_PRI(1, 6), "%s", text);
		ret = ret < 0 ? ret : 0;
		mcr_wake(&w);
	}
	mcr_set_close(set);
	if (ret)
		return ret;
	/* The drainer archives it within poll_max_ms; wait for that. */
	for (end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	     mcr_now_ms() < end;) {
		if (sysfs_u64("archived", &archived))
			return -EIO;
		if (archived >= want)
			return 0;
		sleep_us(1000);
	}
	return -ETIMEDOUT;
}

/* Unloaded, no device left: what a failed load must leave. */
#define EXPECT_UNLOADED(fmt, ...) do {					\
	EXPECT_FALSE(mcr_loaded()) TH_LOG(fmt, ##__VA_ARGS__);		\
	EXPECT_NE(0, access(MCR_DEV_PATH, F_OK)) TH_LOG(fmt, ##__VA_ARGS__);\
} while (0)

/*
 * A walk stops at its first failed check (a broken unwind tends to fail
 * every later allocation too) but never keeps the next walk from running.
 */
#define WALK_BEGIN()	int __passed_before = _metadata->passed;	\
			_metadata->passed = 1
#define WALK_END()	(_metadata->passed &= __passed_before)

/* A failing operation must say -ENOMEM, nothing else. */
#define EXPECT_CLEAN_ERROR(ret, fmt, ...) do {				\
	if ((ret) != 0)							\
		EXPECT_EQ(-ENOMEM, (ret)) TH_LOG(fmt, ##__VA_ARGS__);	\
} while (0)

/* --- every allocation, one at a time ---------------------------------- */

/*
 * A load passes some 900 fault-injection points on the kasan kernel, and
 * most are the module loader's, before mcr_init() runs: the copy of the
 * file, sections, symbols, sysfs, kmemleak's scan areas. Failing those
 * tests the kernel's loader, not mcrring, at 0.15 s a load in the VM. So
 * this walk goes backwards: from the last point of a load that nothing
 * fails, through those after mcr_init() returns and all of mcr_init()'s,
 * to its first (the archive's: its failure says ARCHIVE_NOMEM). Below
 * that everything is the loader's; the walk stops at the first point
 * that fails the load without saying it, or after PAST_INIT that it
 * coped with. Loads do not all pass the same points (the stack depot
 * and kmemleak allocate now and then), so where mcr_init() starts moves
 * by a few; a run of 243 points the loader copes with comes before it,
 * and one run ended only there, 245 points late.
 */
#define ARCHIVE_NOMEM	"archive_kb=" SMALL_AR_KB ": no memory"
/* More than the points vzalloc() copes with in a row (kmemleak's). */
#define PAST_INIT	8

/* How many fault-injection points a load passes when none fails. */
static unsigned int load_points(FIXTURE_DATA(fault) *self)
{
	struct opctx c = { .mod_fd = self->mod_fd };
	long long left;
	int ret = run_counted(self->nth_fd, MAX_NTH, op_load, &c, &left);

	if (ret || mcr_unload() || left <= 0)
		return 0;
	return MAX_NTH - left;
}

/*
 * Whether the kernel logged @text since @fd (/dev/kmsg) was last moved
 * to the log's end (lseek(SEEK_END)).
 */
static bool kmsg_says(int fd, const char *text)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	/* One record a read; EPIPE: some were overwritten, read on. */
	for (;;) {
		errno = 0;
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = '\0';
			found |= strstr(rec, text) != NULL;
		} else if (n < 0 && errno == EPIPE) {
			continue;
		} else {
			return found;
		}
	}
}

/* Returns the number of points walked, 0 if mcr_init()'s first was not. */
static int walk_load(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fault) *self)
{
	struct opctx c = { .mod_fd = self->mod_fd };
	unsigned int nth, last, first = 0, enomem = 0, other = 0, past = 0;
	bool hit;
	int ret;
	WALK_BEGIN();

	last = load_points(self);
	ASSERT_LT(0, last) TH_LOG("a load with no failure injected failed");
	for (nth = last; nth > 0 && _metadata->passed; nth--) {
		lseek(self->kmsg_fd, 0, SEEK_END);
		ret = run_nth(self->nth_fd, nth, op_load, &c, &hit);
		if (!ret) {
			/* Coped, or this load passed fewer points. */
			EXPECT_EQ(0, mcr_unload()) TH_LOG("allocation %u", nth);
			if (first && ++past == PAST_INIT)
				break;
			continue;
		}
		/*
		 * The module loader has its own errors: reading the file
		 * short is -EIO. Whatever the error, the module must be gone.
		 */
		if (ret == -ENOMEM)
			enomem++;
		else if (!other++)
			TH_LOG("allocation %u: load failed with %s",
			       nth, strerror(-ret));
		EXPECT_UNLOADED("load, allocation %u", nth);
		if (kmsg_says(self->kmsg_fd, ARCHIVE_NOMEM)) {
			first = nth;
			past = 0;
		} else if (first) {
			break;		/* the loader's, before mcr_init() */
		}
	}
	EXPECT_NE(0, first)
		TH_LOG("no failed load said \"" ARCHIVE_NOMEM "\"");
	TH_LOG("load: allocation points %u..%u failed in turn, mcr_init()'s from %u: %u loads failed with ENOMEM, %u with another error, the rest coped",
	       nth, last, first, enomem, other);
	WALK_END();
	return first ? last - nth + 1 : 0;
}

static int walk_open(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fault) *self)
{
	struct opctx c = { 0 };
	long long ref = refcnt();
	unsigned int nth;
	bool hit = true;
	int ret;
	WALK_BEGIN();

	for (nth = 1; hit && nth < MAX_NTH && _metadata->passed; nth++) {
		ret = run_nth(self->nth_fd, nth, op_open, &c, &hit);
		EXPECT_CLEAN_ERROR(ret, "open, allocation %u", nth);
		if (!ret)
			close(c.newfd);
		/* A failed open gives the module reference back. */
		EXPECT_EQ(ref, refcnt()) TH_LOG("open, allocation %u", nth);
	}
	EXPECT_LT(nth, MAX_NTH);
	WALK_END();
	return nth - 1;
}

/* Map ring @ring at @off (@len bytes, @prot); the SPSC ring claimed. */
static int walk_mmap(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fault) *self, unsigned int ring, off_t in,
		     size_t len, int prot)
{
	struct opctx c = {
		.len = len, .prot = prot, .ring = ring,
		.off = MCR_MMAP_RING(ring) + in,
	};
	unsigned int nth;
	bool hit = true;
	int ret, maps;
	WALK_BEGIN();

	c.fd = open(MCR_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (c.fd < 0 || (ring != MCR_RING_MPSC && op_claim(&c))) {
		EXPECT_LE(0, c.fd) TH_LOG("open: %s", strerror(errno));
		if (c.fd >= 0)
			close(c.fd);
		return 0;
	}
	maps = dev_mappings();
	for (nth = 1; hit && nth < MAX_NTH && _metadata->passed; nth++) {
		ret = run_nth(self->nth_fd, nth, op_mmap, &c, &hit);
		EXPECT_CLEAN_ERROR(ret, "mmap ring %u+%#lx, allocation %u",
				   ring, (long)in, nth);
		if (!ret)
			munmap(c.map, c.len);
		EXPECT_EQ(maps, dev_mappings())
			TH_LOG("mmap ring %u, allocation %u", ring, nth);
	}
	close(c.fd);
	EXPECT_LT(nth, MAX_NTH);
	WALK_END();
	return nth - 1;
}

static int walk_claim(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self)
{
	struct opctx c = { .ring = SPSC0 };
	unsigned int nth;
	bool hit = true;
	int ret;
	WALK_BEGIN();

	for (nth = 1; hit && nth < MAX_NTH && _metadata->passed; nth++) {
		c.fd = open(MCR_DEV_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, c.fd);
		ret = run_nth(self->nth_fd, nth, op_claim, &c, &hit);
		EXPECT_CLEAN_ERROR(ret, "claim, allocation %u", nth);
		EXPECT_EQ(ret ? -1 : getpid(), spsc0_owner())
			TH_LOG("claim, allocation %u", nth);
		close(c.fd);
		EXPECT_EQ(-1, spsc0_owner()) TH_LOG("allocation %u", nth);
	}
	EXPECT_LT(nth, MAX_NTH);
	WALK_END();
	return nth - 1;
}

/* The first read allocates the file's buffers; a failed one moves nothing. */
static int walk_read(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fault) *self)
{
	static char want[8192], buf[8192];
	struct opctx c = { .buf = buf, .buflen = sizeof(buf) };
	ssize_t want_len;
	unsigned int nth;
	bool hit = true;
	int ret;
	WALK_BEGIN();

	c.fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, c.fd);
	want_len = read(c.fd, want, sizeof(want));
	close(c.fd);
	ASSERT_LT(0, want_len);
	for (nth = 1; hit && nth < MAX_NTH && _metadata->passed; nth++) {
		c.fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, c.fd);
		memset(buf, 0, sizeof(buf));
		ret = run_nth(self->nth_fd, nth, op_read, &c, &hit);
		EXPECT_CLEAN_ERROR(ret, "read, allocation %u", nth);
		if (ret) {
			/* Nothing was consumed: the retry reads it all. */
			ret = op_read(&c);
			EXPECT_EQ(0, ret) TH_LOG("retry: %s", strerror(-ret));
		}
		EXPECT_EQ(want_len, c.got) TH_LOG("read, allocation %u", nth);
		EXPECT_EQ(0, memcmp(want, buf, want_len))
			TH_LOG("read, allocation %u", nth);
		close(c.fd);
	}
	EXPECT_LT(nth, MAX_NTH);
	WALK_END();
	return nth - 1;
}

/* Loaded with @params and working: a record goes in and comes out. */
static void check_works(struct __test_metadata *_metadata, const char *params)
{
	static char buf[65536];
	char text[64];
	ssize_t n;
	int fd;

	ASSERT_EQ(0, mcr_reload(params));
	snprintf(text, sizeof(text), "fault-test works %d", getpid());
	ASSERT_EQ(0, log_one(text));
	fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, strstr(buf, text));
}

/*
 * Leaks, attributed to this test: kmemleak reports an object once two
 * scans found no reference to it and it is older than 5 s.
 */
static void check_no_leak(struct __test_metadata *_metadata)
{
	static char buf[16384];
	ssize_t n;
	int fd;

	if (access(KMEMLEAK, W_OK))
		return;
	ASSERT_EQ(0, mcr_unload());
	sleep_us(5100000);
	ASSERT_EQ(0, write_str(KMEMLEAK, "scan"));
	ASSERT_EQ(0, write_str(KMEMLEAK, "scan"));
	fd = open(KMEMLEAK, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	EXPECT_EQ(0, n) TH_LOG("kmemleak:\n%s", buf);
	/* Reported here; the guest's final scan is for what follows. */
	write_str(KMEMLEAK, "clear");
	ASSERT_EQ(0, mcr_load(NULL));
}

TEST_F_TIMEOUT(fault, every_allocation_fails_cleanly, 900)
{
	int n;

	REQUIRE_FAULT();
	ASSERT_LE(0, self->nth_fd);
	ASSERT_LE(0, self->mod_fd);
	ASSERT_LE(0, self->kmsg_fd);
	ASSERT_EQ(0, mcr_unload());

	n = walk_load(_metadata, self);
	/* The archive, three rings, their pages: dozens at least. */
	EXPECT_LT(20, n);

	ASSERT_EQ(0, mcr_load(SMALL));
	ASSERT_EQ(0, log_one("fault-test record for read"));
	n = walk_open(_metadata, self);
	TH_LOG("open: %d allocation points", n);
	EXPECT_LT(0, n);
	n = walk_mmap(_metadata, self, MCR_RING_MPSC, MCR_PROD_OFF,
		      mcr_ring_size(64, 8192) - MCR_PROD_OFF,
		      PROT_READ | PROT_WRITE);
	n += walk_mmap(_metadata, self, MCR_RING_MPSC, MCR_CONS_OFF,
		       mcr_ring_size(64, 8192), PROT_READ);
	n += walk_mmap(_metadata, self, SPSC0, MCR_PROD_OFF,
		       mcr_ring_size(64, 8192) - MCR_PROD_OFF,
		       PROT_READ | PROT_WRITE);
	TH_LOG("mmap, three shapes: %d allocation points", n);
	EXPECT_LT(0, n);
	n = walk_claim(_metadata, self);
	TH_LOG("claim: %d allocation points", n);
	n = walk_read(_metadata, self);
	TH_LOG("first read: %d allocation points", n);
	EXPECT_LT(0, n);

	ASSERT_EQ(0, attrs_setup(false));
	check_works(_metadata, NULL);
	check_no_leak(_metadata);
}

/* --- random failures over whole sequences ------------------------------ */

struct tally {
	unsigned int ok, failed;
};

/* Random settings for one or both attributes; the other one off. */
static int attrs_random(void)
{
	unsigned int which = rnd() % 3;		/* slab, pages, both */
	int ret = 0;

	for (int i = 0; i < 2; i++) {
		bool on = which == 2 || which == (unsigned int)i;

		ret |= attr_set(attrs[i], "probability", on ? 1 + rnd() % 100 : 0);
		ret |= attr_set(attrs[i], "interval", 1 + rnd() % 8);
		ret |= attr_set(attrs[i], "times",
				rnd() % 4 ? (long long)(1 + rnd() % 8) : -1);
	}
	return ret;
}

#define FAILING(op, c, t) ({						\
	int __r = run_failing(self->fail_fd, (op), (c));		\
	if (__r == -ENOMEM)						\
		(t)->failed++;						\
	else if (!__r)							\
		(t)->ok++;						\
	__r;								\
})

/* load, open, map MPSC and SPSC, claim, read, then undo it all. */
static void one_sequence(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self, unsigned int iter,
			 struct tally *t)
{
	static char buf[8192];
	size_t total = mcr_ring_size(64, 8192);
	struct opctx c = {
		.mod_fd = self->mod_fd, .buf = buf, .buflen = sizeof(buf),
	};
	void *maps[2] = { MAP_FAILED, MAP_FAILED };
	int ret, nmaps = dev_mappings();

	ret = FAILING(op_load, &c, t);
	EXPECT_CLEAN_ERROR(ret, "iteration %u: load", iter);
	if (ret) {
		EXPECT_UNLOADED("iteration %u", iter);
		return;
	}
	ret = FAILING(op_open, &c, t);
	EXPECT_CLEAN_ERROR(ret, "iteration %u: open", iter);
	if (!ret) {
		c.fd = c.newfd;
		c.len = total - MCR_PROD_OFF;
		c.prot = PROT_READ | PROT_WRITE;
		c.off = MCR_MMAP_RING(MCR_RING_MPSC) + MCR_PROD_OFF;
		ret = FAILING(op_mmap, &c, t);
		EXPECT_CLEAN_ERROR(ret, "iteration %u: mmap mpsc", iter);
		maps[0] = ret ? MAP_FAILED : c.map;

		c.ring = SPSC0;
		ret = FAILING(op_claim, &c, t);
		EXPECT_CLEAN_ERROR(ret, "iteration %u: claim", iter);
		if (!ret) {
			c.off = MCR_MMAP_RING(SPSC0) + MCR_PROD_OFF;
			ret = FAILING(op_mmap, &c, t);
			EXPECT_CLEAN_ERROR(ret, "iteration %u: mmap spsc",
					   iter);
			maps[1] = ret ? MAP_FAILED : c.map;
		}
		ret = FAILING(op_read, &c, t);
		if (ret != -EAGAIN)	/* EAGAIN: nothing archived yet */
			EXPECT_CLEAN_ERROR(ret, "iteration %u: read", iter);

		EXPECT_EQ(nmaps + (maps[0] != MAP_FAILED) +
			  (maps[1] != MAP_FAILED), dev_mappings())
			TH_LOG("iteration %u", iter);
		for (int i = 0; i < 2; i++)
			if (maps[i] != MAP_FAILED)
				munmap(maps[i], total - MCR_PROD_OFF);
		close(c.fd);
	}
	EXPECT_EQ(nmaps, dev_mappings()) TH_LOG("iteration %u", iter);
	EXPECT_EQ(-1, spsc0_owner()) TH_LOG("iteration %u", iter);
	EXPECT_EQ(0, mcr_unload()) TH_LOG("iteration %u", iter);
}

TEST_F_TIMEOUT(fault, random_failures_fail_cleanly, 900)
{
	const char *s = getenv("MCR_FAULT_SEED");
	unsigned int iters = 200;
	struct tally t = { 0 };

	REQUIRE_FAULT();
	ASSERT_LE(0, self->fail_fd);
	ASSERT_LE(0, self->mod_fd);
	rnd_state = s ? strtoull(s, NULL, 0) : mcr_now_ns();
	rnd_state |= 1;
	TH_LOG("seed %#llx (MCR_FAULT_SEED repeats a run)",
	       (unsigned long long)rnd_state);
	ASSERT_EQ(0, mcr_unload());
	for (unsigned int i = 0; i < iters && _metadata->passed; i++) {
		ASSERT_EQ(0, attrs_random());
		one_sequence(_metadata, self, i, &t);
	}
	TH_LOG("%u iterations: %u operations failed, %u succeeded",
	       iters, t.failed, t.ok);
	/* Both outcomes were exercised, or the test proved nothing. */
	EXPECT_LT(0, t.failed);
	EXPECT_LT(0, t.ok);

	ASSERT_EQ(0, attrs_setup(false));
	check_works(_metadata, NULL);
	check_no_leak(_metadata);
}

TEST_HARNESS_MAIN
