// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload, close and munmap in any order with live writers and
 * readers (invariant 7): rmmod is refused while any file or mapping of
 * /dev/mcrlog is alive, succeeds once the last one goes, and nothing
 * oopses or warns on the way; a reader blocked in read() or poll() keeps
 * the module busy until it is killed; and open/mmap/claim/close racing
 * with rmmod/insmod leaves the kernel clean.
 */
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include <mcrring/ring.h>
#include "kselftest_harness.h"
#include "mcr_vm.h"

#define PRI	MCR_PRI(1, 6)
#define MS	1000000ULL

#define REFCNT		"/sys/module/mcrring/refcnt"
#define CPU0_DRAINED	"/sys/kernel/mcrring/cpu0/drained"

static bool refused(int ret)
{
	return ret == -EWOULDBLOCK || ret == -EAGAIN || ret == -EBUSY;
}

/* Claim SPSC ring @ring from a fresh file: 0 or -errno. */
static int try_claim(unsigned int ring)
{
	struct mcr_claim c = { .ring = ring };
	int fd = open(MCR_DEV_PATH, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, MCR_IOC_CLAIM, &c) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Map ring @ring as a writer does: the cons page read-only, the rest
 * read-write, side by side. Returns the base or NULL.
 */
static char *map_writer(int fd, unsigned int ring, size_t total)
{
	off_t off = (off_t)MCR_MMAP_RING(ring);
	char *base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	if (mmap(base, MCR_PROD_OFF, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
		 off) == MAP_FAILED ||
	    mmap(base + MCR_PROD_OFF, total - MCR_PROD_OFF,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 off + MCR_PROD_OFF) == MAP_FAILED) {
		munmap(base, total);
		return NULL;
	}
	return base;
}

/* --- a process with files and mappings, driven over a pipe ------------ */

/*
 * Opens a writer file (claims cpu0's ring, maps it and the MPSC ring
 * read-write, cpu1's ring read-only) and a reader file; then writes and
 * reads continuously with whatever it still has, and on command closes
 * both files ('c'), unmaps everything ('u') or exits ('q').
 */
static void holder_main(int cmd, int ack)
{
	struct mcr_claim claim = { .ring = MCR_RING_SPSC(0) };
	struct mcr_ring spsc_r, mpsc_r;
	struct mcr_spsc sp;
	struct mcr_info info;
	char *m_spsc, *m_mpsc, *m_ro = NULL, buf[4096], c;
	bool open_ = true, mapped = true;
	int w, r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	w = open(MCR_DEV_PATH, O_RDWR);
	r = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK);
	if (w < 0 || r < 0 || ioctl(w, MCR_IOC_INFO, &info) ||
	    ioctl(w, MCR_IOC_CLAIM, &claim))
		_exit(10);
	m_spsc = map_writer(w, MCR_RING_SPSC(0), info.ring_size);
	m_mpsc = map_writer(w, MCR_RING_MPSC, info.ring_size);
	if (info.nr_rings > 2)
		m_ro = mmap(NULL, info.ring_size, PROT_READ, MAP_SHARED, r,
			    (off_t)MCR_MMAP_RING(MCR_RING_SPSC(1)));
	if (!m_spsc || !m_mpsc || m_ro == MAP_FAILED ||
	    mcr_ring_attach(&spsc_r, m_spsc, info.ring_size) ||
	    mcr_ring_attach(&mpsc_r, m_mpsc, info.ring_size))
		_exit(11);
	mcr_spsc_init(&sp, &spsc_r);
	if (write(ack, "r", 1) != 1)
		_exit(12);
	for (unsigned int n = 0;; n++) {
		struct pollfd p = { .fd = cmd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0) {
			if (read(cmd, &c, 1) != 1 || c == 'q')
				_exit(0);
			if (c == 'c') {
				close(w);
				close(r);
				open_ = false;
			} else if (c == 'u') {
				munmap(m_spsc, info.ring_size);
				munmap(m_mpsc, info.ring_size);
				if (m_ro)
					munmap(m_ro, info.ring_size);
				mapped = false;
			}
			if (write(ack, &c, 1) != 1)
				_exit(13);
		}
		if (mapped) {
			struct mcr_resv resv;
			int len = snprintf(buf, sizeof(buf), "holder %u", n);

			if (!mcr_spsc_reserve(&sp, len, &resv)) {
				memcpy(resv.text, buf, len);
				mcr_spsc_commit(&sp, &resv, len, mcr_now_ns(),
						getpid(), getpid(), 0, PRI, 0);
			}
			if (!mcr_mpsc_reserve(&mpsc_r, len, &resv)) {
				memcpy(resv.text, buf, len);
				mcr_mpsc_commit(&mpsc_r, &resv, len,
						mcr_now_ns(), getpid(),
						getpid(), 0, PRI, 0);
			}
			if (m_ro && ((struct mcr_cons *)m_ro)->magic !=
				    MCR_RING_MAGIC)
				_exit(14);
		}
		if (open_)
			(void)!read(r, buf, sizeof(buf));
		sleep_us(500);
	}
}

struct holder {
	pid_t pid;
	int cmd, ack;
};

static int holder_start(struct holder *h)
{
	int cmd[2], ack[2];
	char c;

	if (pipe(cmd) || pipe(ack))
		return -errno;
	h->pid = fork();
	if (h->pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		holder_main(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	h->cmd = cmd[1];
	h->ack = ack[0];
	if (h->pid < 0)
		return -errno;
	return read(h->ack, &c, 1) == 1 && c == 'r' ? 0 : -EIO;
}

static int holder_do(struct holder *h, char c)
{
	char got;

	if (write(h->cmd, &c, 1) != 1 || read(h->ack, &got, 1) != 1)
		return -EIO;
	return got == c ? 0 : -EIO;
}

static void holder_stop(struct holder *h)
{
	if (h->pid <= 0)
		return;
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	close(h->cmd);
	close(h->ack);
	h->pid = 0;
}

/* Wait until cpu0's ring has drained more than @than records. */
static bool drained_beyond(long long than)
{
	uint64_t deadline = mcr_now_ns() + 3000 * MS * mcr_time_scale();

	while (mcr_now_ns() < deadline) {
		if (sysfs_num(CPU0_DRAINED) > than)
			return true;
		sleep_us(5000);
	}
	return false;
}

FIXTURE(life) {
	struct holder h[2];
	pid_t kids[4];
};

FIXTURE_SETUP(life)
{
}

FIXTURE_TEARDOWN(life)
{
	for (int i = 0; i < 2; i++)
		holder_stop(&self->h[i]);
	for (int i = 0; i < 4; i++)
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	if (mcr_module_path()) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

enum { CLOSE, MUNMAP, RMMOD };

TEST_F_TIMEOUT(life, close_munmap_rmmod_in_every_order, 60)
{
	static const int orders[6][3] = {
		{ CLOSE, MUNMAP, RMMOD }, { CLOSE, RMMOD, MUNMAP },
		{ MUNMAP, CLOSE, RMMOD }, { MUNMAP, RMMOD, CLOSE },
		{ RMMOD, CLOSE, MUNMAP }, { RMMOD, MUNMAP, CLOSE },
	};
	static const char *const name[] = { "close", "munmap", "rmmod" };
	int bad_before = mcr_klog_bad_lines();
	unsigned int refusals = 0;

	REQUIRE_MODULE();
	ASSERT_LE(0, bad_before);
	for (int o = 0; o < 6; o++) {
		struct holder *h = &self->h[0];
		bool fd_alive = true, map_alive = true, gone = false;
		long long drained;

		ASSERT_EQ(0, mcr_reload(NULL));
		ASSERT_EQ(0, holder_start(h)) TH_LOG("order %d", o);
		ASSERT_TRUE(drained_beyond(0)) TH_LOG("order %d: nothing drained", o);

		for (int s = 0; s < 3; s++) {
			int step = orders[o][s], ret;

			switch (step) {
			case CLOSE:
				ASSERT_EQ(0, holder_do(h, 'c'));
				fd_alive = false;
				break;
			case MUNMAP:
				ASSERT_EQ(0, holder_do(h, 'u'));
				map_alive = false;
				break;
			case RMMOD:
				ret = mcr_unload();
				if (fd_alive || map_alive) {
					EXPECT_TRUE(refused(ret))
						TH_LOG("order %s,%s,%s: rmmod with a live file or mapping returned %d",
						       name[orders[o][0]], name[orders[o][1]],
						       name[orders[o][2]], ret);
					EXPECT_TRUE(mcr_loaded());
					refusals++;
				} else {
					EXPECT_EQ(0, ret);
					gone = true;
				}
				break;
			}
			if (gone)
				continue;
			if (fd_alive || map_alive) {
				/* Busy; the claim lives as long as either. */
				EXPECT_LT(0, sysfs_num(REFCNT));
				EXPECT_EQ(-EBUSY, try_claim(MCR_RING_SPSC(0)));
			}
			if (!fd_alive && map_alive) {
				/* Writes through the mapping still drain. */
				drained = sysfs_num(CPU0_DRAINED);
				EXPECT_TRUE(drained_beyond(drained))
					TH_LOG("order %d: mapping alone, nothing drained", o);
			}
		}
		if (!gone) {
			EXPECT_EQ(0, sysfs_num(REFCNT));
			EXPECT_EQ(0, mcr_unload());
		}
		EXPECT_FALSE(mcr_loaded());
		EXPECT_NE(0, access(MCR_DEV_PATH, F_OK));
		holder_stop(h);
		EXPECT_EQ(bad_before, mcr_klog_bad_lines()) TH_LOG("order %d", o);
	}
	ASSERT_EQ(0, mcr_load(NULL));
	TH_LOG("6 orders, %u rmmods refused while something was alive, all unloaded once nothing was",
	       refusals);
}

/* --- blocked readers --------------------------------------------------- */

/* Block in read() (or poll() first); report each line over @ack. */
static void blocked_reader(int ack, bool use_poll)
{
	char buf[8192];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(MCR_DEV_PATH, O_RDONLY);
	if (fd < 0 || lseek(fd, 0, SEEK_END))
		_exit(10);
	if (write(ack, "r", 1) != 1)
		_exit(11);
	for (;;) {
		ssize_t n;

		if (use_poll) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, -1) != 1)
				_exit(12);
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 || write(ack, buf, n) != n)
			_exit(13);
	}
}

/* Is @pid asleep (state S)? Waits up to 2 s (stretched) for it. */
static bool asleep(pid_t pid)
{
	char path[64], buf[512], *p;
	uint64_t deadline = mcr_now_ns() + 2000 * MS * mcr_time_scale();

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	while (mcr_now_ns() < deadline) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return true;
		}
		sleep_us(5000);
	}
	return false;
}

/* Log @text into the MPSC ring through a file opened and closed here. */
static int log_once(const char *text)
{
	struct mcr_info info;
	struct mcr_ring r;
	struct mcr_resv resv;
	size_t len = strlen(text);
	char *base;
	int fd = open(MCR_DEV_PATH, O_RDWR), ret = -EIO;

	if (fd < 0)
		return -errno;
	if (!ioctl(fd, MCR_IOC_INFO, &info) &&
	    (base = map_writer(fd, MCR_RING_MPSC, info.ring_size))) {
		if (!mcr_ring_attach(&r, base, info.ring_size) &&
		    !mcr_mpsc_reserve(&r, len, &resv)) {
			memcpy(resv.text, text, len);
			mcr_mpsc_commit(&r, &resv, len, mcr_now_ns(), getpid(),
					getpid(), 0, PRI, 0);
			ioctl(fd, MCR_IOC_WAKE);
			ret = 0;
		}
		munmap(base, info.ring_size);
	}
	close(fd);
	return ret;
}

/* Wait up to 3 s (stretched) for @needle to arrive over @fd. */
static bool got_line(int fd, const char *needle)
{
	static char buf[16384];
	size_t have = 0;
	uint64_t deadline = mcr_now_ns() + 3000 * MS * mcr_time_scale();

	while (mcr_now_ns() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) != 1)
			continue;
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return false;
		have += n;
		buf[have] = '\0';
		if (strstr(buf, needle))
			return true;
	}
	return false;
}

TEST_F_TIMEOUT(life, blocked_readers_keep_the_module_until_killed, 30)
{
	int ack[2][2], status, bad_before = mcr_klog_bad_lines();
	char c, text[64];

	REQUIRE_MODULE();
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(0, mcr_reload(NULL));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe(ack[i]));
		self->kids[i] = fork();
		if (self->kids[i] == 0)
			blocked_reader(ack[i][1], i == 1);
		ASSERT_LT(0, self->kids[i]);
		close(ack[i][1]);
		ASSERT_EQ(1, read(ack[i][0], &c, 1));
		ASSERT_TRUE(asleep(self->kids[i]));
	}
	/* Blocked in read() and poll(): the module stays. */
	EXPECT_TRUE(refused(mcr_unload()));
	EXPECT_TRUE(mcr_loaded());
	/* Both wake for a new record, and block again. */
	snprintf(text, sizeof(text), "wake the readers %d", getpid());
	ASSERT_EQ(0, log_once(text));
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(got_line(ack[i][0], text)) TH_LOG("reader %d", i);
		EXPECT_TRUE(asleep(self->kids[i]));
	}
	EXPECT_TRUE(refused(mcr_unload()));
	/* Killing one is not enough; killing both is. */
	ASSERT_EQ(0, kill(self->kids[0], SIGKILL));
	ASSERT_EQ(self->kids[0], waitpid(self->kids[0], &status, 0));
	self->kids[0] = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_TRUE(refused(mcr_unload()));
	ASSERT_EQ(0, kill(self->kids[1], SIGKILL));
	ASSERT_EQ(self->kids[1], waitpid(self->kids[1], &status, 0));
	self->kids[1] = 0;
	EXPECT_EQ(0, mcr_unload());
	EXPECT_FALSE(mcr_loaded());
	close(ack[0][0]);
	close(ack[1][0]);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
	ASSERT_EQ(0, mcr_load(NULL));
}

/* --- sysfs across unload; a writer killed with its mappings ----------- */

TEST_F_TIMEOUT(life, sysfs_and_dead_writers_do_not_hold_the_module, 30)
{
	int bad_before = mcr_klog_bad_lines(), fd, status;
	char buf[64];

	REQUIRE_MODULE();
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(0, mcr_reload(NULL));

	/* A writer dies by SIGKILL holding a claim and its mappings. */
	ASSERT_EQ(0, holder_start(&self->h[0]));
	ASSERT_TRUE(drained_beyond(0));
	EXPECT_TRUE(refused(mcr_unload()));
	ASSERT_EQ(0, kill(self->h[0].pid, SIGKILL));
	ASSERT_EQ(self->h[0].pid, waitpid(self->h[0].pid, &status, 0));
	self->h[0].pid = 0;
	close(self->h[0].cmd);
	close(self->h[0].ack);
	EXPECT_EQ(0, sysfs_num(REFCNT));

	/* A sysfs counter held open does not pin the module ... */
	fd = open(CPU0_DRAINED, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf)));
	EXPECT_LT(0, atoll(buf));
	EXPECT_EQ(0, mcr_unload());
	EXPECT_FALSE(mcr_loaded());
	/* ... and reads after the unload fail cleanly. */
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	close(fd);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
	ASSERT_EQ(0, mcr_load(NULL));
}

/* --- open, map, claim, close racing rmmod and insmod ----------------- */

struct churn {
	uint64_t opened[2], mapped[2], claimed[2], written[2], stop;
	uint64_t odd_errors;
	int32_t last_odd;
};

static void churner(struct churn *ch, unsigned int cpu)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!__atomic_load_n(&ch->stop, __ATOMIC_SEQ_CST)) {
		struct mcr_claim claim = { .ring = MCR_RING_SPSC(cpu) };
		struct mcr_info info;
		struct mcr_ring r;
		struct mcr_resv resv;
		int fd = open(MCR_DEV_PATH, O_RDWR);
		char *base;

		if (fd < 0) {
			if (errno != ENOENT && errno != ENODEV && errno != ENXIO) {
				ch->odd_errors++;
				ch->last_odd = errno;
			}
			sleep_us(200);
			continue;
		}
		__atomic_fetch_add(&ch->opened[cpu], 1, __ATOMIC_SEQ_CST);
		if (ioctl(fd, MCR_IOC_INFO, &info)) {
			ch->odd_errors++;
			ch->last_odd = errno;
			close(fd);
			continue;
		}
		/* Each churner has its own ring: the claim must succeed. */
		if (!ioctl(fd, MCR_IOC_CLAIM, &claim)) {
			__atomic_fetch_add(&ch->claimed[cpu], 1, __ATOMIC_SEQ_CST);
		} else if (!(errno == EINVAL && info.nr_rings <= 1 + cpu)) {
			ch->odd_errors++;
			ch->last_odd = errno;
		}
		base = map_writer(fd, cpu % 2 ? MCR_RING_MPSC :
				  MCR_RING_SPSC(cpu), info.ring_size);
		if (base) {
			__atomic_fetch_add(&ch->mapped[cpu], 1, __ATOMIC_SEQ_CST);
			if (!mcr_ring_attach(&r, base, info.ring_size)) {
				struct mcr_spsc sp;
				int ret;

				if (cpu % 2) {
					ret = mcr_mpsc_reserve(&r, 5, &resv);
				} else {
					mcr_spsc_init(&sp, &r);
					ret = mcr_spsc_reserve(&sp, 5, &resv);
				}
				if (!ret) {
					memcpy(resv.text, "churn", 5);
					if (cpu % 2)
						mcr_mpsc_commit(&r, &resv, 5,
								mcr_now_ns(),
								getpid(), getpid(), 0,
								PRI, 0);
					else
						mcr_spsc_commit(&sp, &resv, 5,
								mcr_now_ns(),
								getpid(), getpid(), 0,
								PRI, 0);
					__atomic_fetch_add(&ch->written[cpu], 1,
							   __ATOMIC_SEQ_CST);
				}
			}
			/* Unmap before or after the close, alternately. */
			if (ch->opened[cpu] % 2)
				munmap(base, info.ring_size);
			close(fd);
			if (!(ch->opened[cpu] % 2))
				munmap(base, info.ring_size);
		} else {
			close(fd);
		}
		/* Leave gaps for rmmod to find the module unused. */
		sleep_us(getpid() % 7 * 100 + ch->opened[cpu] % 5 * 100);
	}
	_exit(0);
}

TEST_F_TIMEOUT(life, open_map_close_race_rmmod_insmod, 40)
{
	struct churn *ch = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned int unloads = 0, refusals = 0, odd = 0;
	int bad_before = mcr_klog_bad_lines(), last_odd = 0;
	uint64_t t0, until, give_up;

	REQUIRE_MODULE();
	ASSERT_NE(MAP_FAILED, ch);
	ASSERT_LE(0, bad_before);
	ASSERT_EQ(0, mcr_reload(NULL));
	for (int i = 0; i < 2; i++) {
		self->kids[i] = fork();
		if (self->kids[i] == 0)
			churner(ch, i);
		ASSERT_LT(0, self->kids[i]);
	}
	/*
	 * 3 s of racing at least, and on until the race has happened: an
	 * unload between the churners' opens and a mapping by each. That
	 * took 4 unloads in 3 s on the kasan kernel, so a fixed 3 s could
	 * see none by chance. A module that never unloads still fails.
	 */
	t0 = mcr_now_ns();
	until = t0 + 3000 * MS;
	give_up = t0 + 20000 * MS * mcr_time_scale();
	for (uint64_t now = t0; now < give_up; now = mcr_now_ns()) {
		int ret;

		if (now >= until && unloads &&
		    __atomic_load_n(&ch->mapped[0], __ATOMIC_SEQ_CST) &&
		    __atomic_load_n(&ch->mapped[1], __ATOMIC_SEQ_CST))
			break;
		ret = mcr_unload();

		if (!ret) {
			unloads++;
			ret = mcr_load(NULL);
			if (ret) {
				odd++;
				last_odd = ret;
			}
		} else if (refused(ret)) {
			refusals++;
		} else {
			odd++;
			last_odd = ret;
		}
		sleep_us(100);
	}
	__atomic_store_n(&ch->stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2; i++) {
		int status;

		ASSERT_EQ(self->kids[i], waitpid(self->kids[i], &status, 0));
		self->kids[i] = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	for (int i = 0; i < 2; i++)
		TH_LOG("writer %d: %" PRIu64 " opens, %" PRIu64 " claims, %" PRIu64 " mappings, %" PRIu64 " records",
		       i, ch->opened[i], ch->claimed[i], ch->mapped[i],
		       ch->written[i]);
	TH_LOG("%.1f s: %u unloads, %u refused", (mcr_now_ns() - t0) / 1e9,
	       unloads, refusals);
	EXPECT_EQ(0, odd) TH_LOG("rmmod/insmod returned %d", last_odd);
	EXPECT_EQ(0, ch->odd_errors) TH_LOG("open/ioctl failed with errno %d", ch->last_odd);
	EXPECT_LT(0, unloads);
	EXPECT_LT(0, ch->mapped[0]);
	EXPECT_LT(0, ch->mapped[1]);
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
	EXPECT_EQ(0, mcr_reload(NULL));
	munmap(ch, 4096);
}

TEST_HARNESS_MAIN
