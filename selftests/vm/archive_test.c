// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mcrlog read semantics, one test per behaviour: the text format,
 * escaping, the "records lost" marker, O_NONBLOCK, blocking read, poll
 * and epoll, lseek, short buffers, several readers, the largest record.
 *
 * Every wait is for a condition, bounded by a deadline that fails the
 * test; nothing sleeps and hopes.
 */
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"

#define PRI		MCR_PRI(1, 6)
/* Longest wait for one record (ms), stretched on the slow kernels. */
#define WAIT_MS		(10000 * (int)mcr_time_scale())
#define LOST_PREFIX	"# mcrring: "

/* --- helpers ---------------------------------------------------------- */

static unsigned long long archived(void)
{
	unsigned long long v = ULLONG_MAX;

	sysfs_u64("archived", &v);
	return v;
}

/* Escape @n bytes as the module documents it: \xNN for \, <0x20, >=0x7f. */
static size_t escape(char *out, const void *in, size_t n)
{
	const unsigned char *s = in;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			o += sprintf(out + o, "\\x%02x", s[i]);
		else
			out[o++] = (char)s[i];
	}
	out[o] = '\0';
	return o;
}

/* A tag no other test or run writes: pid and a counter. */
static void make_tag(char *tag, size_t size, const char *what)
{
	static unsigned int n;

	snprintf(tag, size, "%s-%d-%u", what, getpid(), n++);
}

/*
 * Make @r's position a clean starting point: whatever earlier writers
 * left in the MPSC ring is archived before a fresh sync record (one ring
 * drains in order), and SPSC claims drain when they end. So once the
 * sync record is read, lseek(SEEK_END) leaves nothing old behind.
 */
static int start_clean(struct rd *r, struct mcr_writer *w)
{
	char tag[64], *line;
	ssize_t n;

	if (lseek(r->fd, 0, SEEK_END))
		return -errno;
	rd_reset(r);
	make_tag(tag, sizeof(tag), "sync");
	if (mcr_log(w, PRI, tag, strlen(tag)))
		return -EIO;
	do {
		n = rd_line(r, &line, WAIT_MS);
		if (n < 0)
			return (int)n;
	} while (!strstr(line, tag));
	if (lseek(r->fd, 0, SEEK_END))
		return -errno;
	rd_reset(r);
	return 0;
}

/* The one-letter state of thread @tid of this process, or '?'. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait (5 s, stretched) until thread @tid sleeps; false if it never did. */
static bool wait_sleeping(pid_t tid, const _Atomic int *entered)
{
	uint64_t deadline = mcr_now_ns() + 5000000000ULL * mcr_time_scale();

	while (mcr_now_ns() < deadline) {
		if (*entered && thread_state(tid) == 'S')
			return true;
		sleep_us(1000);
	}
	return false;
}

#define REQUIRE_DEVICE() do {						\
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
} while (0)

/* Everything a test opens, so a failed ASSERT leaks nothing. */
struct env {
	struct mcr_set *set;
	struct mcr_writer w;
	struct rd *r;
};

static int env_open(struct env *e, int rd_flags)
{
	int ret = mcr_open(NULL, &e->set);

	if (ret)
		return ret;
	ret = mcr_writer_mpsc(e->set, &e->w);
	if (ret)
		return ret;
	e->r = rd_open(O_NONBLOCK | rd_flags);
	if (!e->r)
		return -errno;
	return start_clean(e->r, &e->w);
}

static void env_close(struct env *e)
{
	rd_close(e->r);
	mcr_set_close(e->set);
	memset(e, 0, sizeof(*e));
}

/* --- format ----------------------------------------------------------- */

/*
 * One record through the MPSC ring and one through a claimed SPSC ring,
 * both from a process pinned to one CPU: every field of both lines is
 * something this test knows.
 */
TEST(format_fields_have_documented_values)
{
	struct env e = { 0 };
	struct mcr_writer sw;
	unsigned long long seq0, seq1;
	char mtag[64], stag[64], owner[32], *line;
	int cpu, got = 0;
	uint64_t t0, t1;

	REQUIRE_DEVICE();
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, pin_to(cpu));
	ASSERT_EQ(0, env_open(&e, 0));
	ASSERT_EQ(0, mcr_writer_spsc(e.set, cpu, &sw));
	make_tag(mtag, sizeof(mtag), "fmt-mpsc");
	make_tag(stag, sizeof(stag), "fmt-spsc");

	seq0 = archived();
	t0 = mcr_now_ns();
	ASSERT_EQ(0, mcr_log(&e.w, MCR_PRI(3, 4), mtag, strlen(mtag)));
	ASSERT_EQ(0, mcr_log(&sw, MCR_PRI(MCR_FAC_MAX, MCR_SEV_MAX), stag,
			     strlen(stag)));
	t1 = mcr_now_ns();
	snprintf(owner, sizeof(owner), "%d/%u", getpid(), getuid());

	while (got < 2) {
		struct mline m;
		bool spsc;

		ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
		TH_LOG("%s", line);
		ASSERT_EQ(0, parse_line(line, &m)) TH_LOG("bad line '%s'", line);
		spsc = !strcmp(m.msg, stag);
		ASSERT_TRUE(spsc || !strcmp(m.msg, mtag))
			TH_LOG("unexpected line '%s'", line);
		got++;
		seq1 = archived();
		EXPECT_LE(seq0, m.seq);
		EXPECT_GT(seq1, m.seq);
		EXPECT_LE(t0, m.ts);
		EXPECT_GE(t1, m.ts);
		EXPECT_EQ((unsigned int)cpu, m.cpu);
		EXPECT_EQ((unsigned int)getpid(), m.pid);
		EXPECT_EQ((unsigned int)gettid(), m.tid);
		if (spsc) {
			EXPECT_EQ(MCR_RING_SPSC(cpu), m.ring);
			EXPECT_EQ(MCR_FAC_MAX, m.fac);
			EXPECT_EQ(MCR_SEV_MAX, m.sev);
			EXPECT_STREQ(owner, m.owner);
		} else {
			EXPECT_EQ(MCR_RING_MPSC, m.ring);
			EXPECT_EQ(3, m.fac);
			EXPECT_EQ(4, m.sev);
			EXPECT_STREQ("-", m.owner);
		}
	}
	env_close(&e);
}

/* --- escaping ----------------------------------------------------------- */

TEST(escaping_keeps_one_record_per_line)
{
	/* Split literals: "\x01e" would be one (overlong) hex escape. */
	static const char tricky[] =
		" a\nb\\c\td\x01" "e\xff" "f\n123,0,0,0,0,0,0,0,-;forged";
	struct env e = { 0 };
	char tag[64], msg[256], want[1024], end[64], *line;
	int lines = 0;
	size_t len;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	make_tag(tag, sizeof(tag), "esc");
	make_tag(end, sizeof(end), "esc-end");
	len = snprintf(msg, sizeof(msg), "%s%s", tag, tricky);
	escape(want, msg, len);
	ASSERT_EQ(0, mcr_log(&e.w, PRI, msg, len));
	ASSERT_EQ(0, mcr_log(&e.w, PRI, end, strlen(end)));

	/* Everything up to the end record: the tricky record, one line. */
	for (;;) {
		struct mline m;

		ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
		TH_LOG("%s", line);
		EXPECT_EQ(0, parse_line(line, &m)) TH_LOG("bad line '%s'", line);
		EXPECT_EQ(NULL, strstr(line, "forged\n"));
		if (!strcmp(m.msg, end))
			break;
		lines++;
		EXPECT_STREQ(want, m.msg);
		EXPECT_EQ(NULL, strpbrk(m.msg, "\t\x01\xff"));
	}
	EXPECT_EQ(1, lines);
	env_close(&e);
}

TEST(fields_are_tab_separated_and_escaped)
{
	struct env e = { 0 };
	char tag[64], v2[64], want[1024], *line, *tab;
	const char *fields[2];
	size_t o;
	struct mline m;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	make_tag(tag, sizeof(tag), "fld\tmsg");
	snprintf(v2, sizeof(v2), "K2=a\tb\nc\\d\x01\xff");
	fields[0] = "KEY=v1";
	fields[1] = v2;
	ASSERT_EQ(0, mcr_log_fields(&e.w, PRI, tag, fields, 2));

	o = escape(want, tag, strlen(tag));
	o += sprintf(want + o, "\tKEY=v1\t");
	escape(want + o, v2, strlen(v2));

	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	TH_LOG("%s", line);
	ASSERT_EQ(0, parse_line(line, &m));
	EXPECT_STREQ(want, m.msg);
	/* Exactly two real tabs: message, field, field. */
	tab = strchr(m.msg, '\t');
	ASSERT_NE(NULL, tab);
	tab = strchr(tab + 1, '\t');
	ASSERT_NE(NULL, tab);
	EXPECT_EQ(0, strncmp(tab + 1, "K2=", 3));
	EXPECT_EQ(NULL, strchr(tab + 1, '\t'));
	/* A malformed key is refused before anything is written. */
	fields[0] = "bad key=1";
	EXPECT_EQ(-EINVAL, mcr_log_fields(&e.w, PRI, tag, fields, 1));
	env_close(&e);
}

/* --- the lost marker ---------------------------------------------------- */

/*
 * The archive, reloaded at its smallest size, overwritten many times
 * while a reader that opened before the writes reads nothing; then the
 * reader reads. Teardown restores the default module.
 */
FIXTURE(small_archive) {
	struct mcr_set *set;
	int fd;
	bool reloaded;
};

FIXTURE_SETUP(small_archive)
{
	self->fd = -1;
}

FIXTURE_TEARDOWN(small_archive)
{
	if (self->fd >= 0)
		close(self->fd);
	mcr_set_close(self->set);
	if (self->reloaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

/*
 * The reader's buffer holds any one record line of this test (a header
 * of at most ~45 bytes, text of 100..199) but never two, so each read
 * returns at most one record (and perhaps the short marker line before
 * it), and the module has formatted at most one record beyond the last
 * one this test checked.
 */
#define LOST_RBUF	250
#define LOST_PRI	MCR_PRI(1, 6)

static size_t lost_payload(char *buf, unsigned int i, unsigned int len)
{
	int n = snprintf(buf, len + 1, "lost %05u ", i);

	for (unsigned int k = n; k < len; k++)
		buf[k] = 'a' + (i + k) % 26;
	buf[len] = '\0';
	return len;
}

static void lost_marker_run(struct __test_metadata *_metadata,
			    FIXTURE_DATA(small_archive) *self,
			    unsigned int (*len_of)(unsigned int),
			    unsigned int nrec)
{
	unsigned long long start, base, first, end, lost = 0, delivered = 0;
	unsigned long long told_before, told_after;
	unsigned long long next_seq = 0;
	char buf[LOST_RBUF + 1], want[256], kb[32] = "";
	struct mcr_writer w;
	bool marker = false;
	uint64_t deadline;
	int fd;

	REQUIRE_MODULE();
	/* 32 KiB is the smallest archive: four records of 4 KiB text. */
	ASSERT_EQ(0, mcr_unload());
	self->reloaded = true;
	EXPECT_EQ(-EINVAL, mcr_load("archive_kb=16"));
	ASSERT_EQ(0, mcr_load("archive_kb=32"));
	fd = open("/sys/module/mcrring/parameters/archive_kb", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, read(fd, kb, sizeof(kb) - 1));
	close(fd);
	EXPECT_STREQ("32\n", kb);

	self->fd = open(MCR_DEV_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sysfs_u64("archive_first_seq", &start));
	ASSERT_EQ(0, sysfs_u64("lost_by_readers", &told_before));
	base = archived();
	ASSERT_EQ(0, mcr_open(NULL, &self->set));
	ASSERT_EQ(0, mcr_writer_mpsc(self->set, &w));
	for (unsigned int i = 0; i < nrec; i++) {
		size_t n = lost_payload(want, i, len_of(i));

		ASSERT_EQ(0, mcr_log(&w, LOST_PRI, want, n)) TH_LOG("rec %u", i);
	}
	deadline = mcr_now_ns() + 20000000000ULL * mcr_time_scale();
	while (archived() != base + nrec) {
		ASSERT_GT(deadline, mcr_now_ns())
			TH_LOG("archived %llu of %u", archived() - base, nrec);
		sleep_us(5000);
	}
	end = archived();
	ASSERT_EQ(0, sysfs_u64("archive_first_seq", &first));
	ASSERT_LT(start, first) TH_LOG("the archive was not overwritten");

	for (;;) {
		ssize_t n = read(self->fd, buf, LOST_RBUF);
		int records = 0;
		char *line, *nl;

		if (n < 0) {
			EXPECT_EQ(EAGAIN, errno);
			break;
		}
		buf[n] = '\0';
		ASSERT_EQ('\n', buf[n - 1]) TH_LOG("partial line '%s'", buf);
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			unsigned long long nlost;
			struct mline m;
			int end_ch = -1;

			*nl = '\0';
			if (!strncmp(line, LOST_PREFIX, strlen(LOST_PREFIX))) {
				TH_LOG("%s", line);
				ASSERT_EQ(1, sscanf(line,
						    LOST_PREFIX "%llu records lost%n",
						    &nlost, &end_ch));
				ASSERT_EQ(nl - line, end_ch)
					TH_LOG("bad marker '%s'", line);
				EXPECT_FALSE(marker) TH_LOG("second marker");
				EXPECT_EQ(0, delivered)
					TH_LOG("marker after records");
				marker = true;
				lost += nlost;
				next_seq = start + lost;
				continue;
			}
			/* See LOST_RBUF: the module looked one record ahead. */
			ASSERT_EQ(0, records++) TH_LOG("two records in one read");
			ASSERT_EQ(0, parse_line(line, &m))
				TH_LOG("bad line '%s'", line);
			ASSERT_TRUE(marker)
				TH_LOG("record before the marker: %s", line);
			if (m.seq != next_seq) {
				/*
				 * Stop reading: this reader's count is off, and
				 * at the end of the real records it would be led
				 * past the archive's head into stale memory.
				 */
				TH_LOG("the marker said %llu lost, so the next record must be seq %llu, but it is seq %llu: %lld record(s) vanished without being counted",
				       lost, next_seq, m.seq,
				       (long long)(m.seq - next_seq));
				EXPECT_EQ(next_seq, m.seq);
				return;
			}
			lost_payload(want, m.seq - base, len_of(m.seq - base));
			EXPECT_STREQ(want, m.msg) TH_LOG("seq %llu", m.seq);
			delivered++;
			next_seq++;
		}
	}
	TH_LOG("%u written, archive %llu..%llu: %llu lost + %llu delivered",
	       nrec, first, end, lost, delivered);
	EXPECT_TRUE(marker);
	EXPECT_EQ(first - start, lost);
	/* The module's own count of what its readers were told. */
	ASSERT_EQ(0, sysfs_u64("lost_by_readers", &told_after));
	EXPECT_EQ(lost, told_after - told_before);
	EXPECT_EQ(end - first, delivered);
	EXPECT_EQ(end - start, delivered + lost);
	/* The newest record is the last one delivered. */
	EXPECT_EQ(end, next_seq);
}

static unsigned int len_uniform(unsigned int i)
{
	(void)i;
	return 100;
}

/* Deterministic sizes from 100 to 199 bytes. */
static unsigned int len_varied(unsigned int i)
{
	return 100 + (i * 54) % 100;
}

TEST_F(small_archive, lost_marker_counts_exactly)
{
	lost_marker_run(_metadata, self, len_uniform, 1000);
}

/*
 * Same with records of varied sizes. Record 327 of this sequence finds
 * the archive exactly full (the oldest record and the head at the same
 * offset) and does not fit before the end of the buffer: the lap marker
 * then lands on the oldest record. It must be counted out first; if it
 * is not, the records from it to the end of its lap vanish uncounted and
 * the marker under-reports.
 */
TEST_F(small_archive, lost_marker_counts_exactly_varied_sizes)
{
	lost_marker_run(_metadata, self, len_varied, 600);
}

/* --- O_NONBLOCK, blocking read, poll, epoll ------------------------------ */

TEST(nonblocking_read_at_end_is_eagain)
{
	struct env e = { 0 };
	char buf[8192], tag[64];
	ssize_t n;
	struct pollfd p;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	EXPECT_EQ(-1, read(e.r->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	make_tag(tag, sizeof(tag), "nb");
	ASSERT_EQ(0, mcr_log(&e.w, PRI, tag, strlen(tag)));
	p = (struct pollfd){ .fd = e.r->fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	n = read(e.r->fd, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, strstr(buf, tag));
	EXPECT_EQ(-1, read(e.r->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	env_close(&e);
}

struct late {
	struct mcr_writer *w;
	pid_t reader_tid;
	_Atomic int entered;	/* the reader is about to call read() */
	_Atomic int returned;	/* ... and read() returned */
	int saw_sleep;		/* the reader slept before we wrote */
	int returned_early;	/* read() returned before we wrote */
	char tag[64];
};

static void *late_writer(void *arg)
{
	struct late *l = arg;

	l->saw_sleep = wait_sleeping(l->reader_tid, &l->entered);
	l->returned_early = l->returned;
	mcr_log(l->w, PRI, l->tag, strlen(l->tag));
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(blocking_read_waits_for_a_record)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct env e = { 0 };
	struct late l = { 0 };
	char buf[8192];
	pthread_t th;
	ssize_t n;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	ASSERT_EQ(0, fcntl(e.r->fd, F_SETFL, 0));	/* now blocking */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	l.w = &e.w;
	l.reader_tid = gettid();
	make_tag(l.tag, sizeof(l.tag), "blk");
	ASSERT_EQ(0, pthread_create(&th, NULL, late_writer, &l));

	alarm(15);	/* a read that never returns fails with EINTR */
	l.entered = 1;
	n = read(e.r->fd, buf, sizeof(buf) - 1);
	l.returned = 1;
	alarm(0);
	ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
	buf[n] = '\0';
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_TRUE(l.saw_sleep);
	EXPECT_FALSE(l.returned_early);
	EXPECT_NE(NULL, strstr(buf, l.tag)) TH_LOG("got '%s'", buf);
	env_close(&e);
}

TEST(poll_and_epoll_report_pollin_only_when_readable)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct env e = { 0 };
	char tag[64], buf[8192], *line;
	struct pollfd p;
	int ep;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, e.r->fd, &ev));

	/* Nothing to read: neither reports anything, even after a wait. */
	p = (struct pollfd){ .fd = e.r->fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents);
	EXPECT_EQ(0, poll(&p, 1, 200));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	/* A record: poll wakes up with POLLIN, epoll too. */
	make_tag(tag, sizeof(tag), "poll");
	ASSERT_EQ(0, mcr_log(&e.w, PRI, tag, strlen(tag)));
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	EXPECT_EQ(POLLIN, p.revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	EXPECT_TRUE(out.events & EPOLLIN);

	/* Read to the end: quiet again. */
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	EXPECT_NE(NULL, strstr(line, tag));
	EXPECT_EQ(-1, read(e.r->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	/* A blocked epoll_wait() is woken by the next record. */
	make_tag(tag, sizeof(tag), "epoll");
	ASSERT_EQ(0, mcr_log(&e.w, PRI, tag, strlen(tag)));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, WAIT_MS));
	EXPECT_TRUE(out.events & EPOLLIN);
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	EXPECT_NE(NULL, strstr(line, tag));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
	env_close(&e);
}

/* --- lseek --------------------------------------------------------------- */

TEST(lseek_end_then_set)
{
	struct env e = { 0 };
	char old[64], new[64], *line;
	unsigned long long first, last;
	bool saw_old = false, saw_new = false;
	struct mline m;
	long lines = 0;
	bool fresh = false;

	REQUIRE_DEVICE();
	/*
	 * A freshly loaded module (the default one) has a short, known
	 * history: the sync record, the old one and the new one.
	 */
	if (!geteuid() && mcr_module_path()) {
		ASSERT_EQ(0, mcr_reload(NULL));
		fresh = true;
	}
	ASSERT_EQ(0, env_open(&e, 0));
	make_tag(old, sizeof(old), "seek-old");
	make_tag(new, sizeof(new), "seek-new");
	ASSERT_EQ(0, mcr_log(&e.w, PRI, old, strlen(old)));
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	ASSERT_NE(NULL, strstr(line, old));

	/* SEEK_END: the old record is behind us, only the new one comes. */
	ASSERT_EQ(0, lseek(e.r->fd, 0, SEEK_END));
	rd_reset(e.r);
	ASSERT_EQ(0, mcr_log(&e.w, PRI, new, strlen(new)));
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	ASSERT_EQ(0, parse_line(line, &m));
	EXPECT_STREQ(new, m.msg);
	EXPECT_EQ(-ETIMEDOUT, rd_line(e.r, &line, 0));
	last = m.seq;

	/* SEEK_SET: from the oldest record to the newest, all of them. */
	ASSERT_EQ(0, sysfs_u64("archive_first_seq", &first));
	ASSERT_EQ(0, lseek(e.r->fd, 0, SEEK_SET));
	rd_reset(e.r);
	for (;;) {
		ssize_t n = rd_line(e.r, &line, 0);

		if (n == -ETIMEDOUT)
			break;
		ASSERT_LE(0, n);
		ASSERT_EQ(0, parse_line(line, &m)) TH_LOG("'%s'", line);
		EXPECT_EQ(first + lines, m.seq);
		saw_old |= !strcmp(m.msg, old);
		saw_new |= !strcmp(m.msg, new);
		lines++;
	}
	EXPECT_TRUE(saw_old);
	EXPECT_TRUE(saw_new);
	EXPECT_EQ(last + 1 - first, (unsigned long long)lines);
	if (fresh) {
		EXPECT_EQ(0, first);
		EXPECT_EQ(3, lines);
	}

	/* Anything else is refused and moves nothing. */
	ASSERT_EQ(0, lseek(e.r->fd, 0, SEEK_END));
	rd_reset(e.r);
	EXPECT_EQ(-1, lseek(e.r->fd, 0, SEEK_CUR));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(e.r->fd, 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(e.r->fd, -1, SEEK_END));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(e.r->fd, 0, SEEK_DATA));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(e.r->fd, 0, SEEK_HOLE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ETIMEDOUT, rd_line(e.r, &line, 0));
	env_close(&e);
}

struct seeker {
	int fd;
	_Atomic pid_t tid;
	_Atomic int done;
	off_t ret;
};

static void *do_seek(void *arg)
{
	struct seeker *s = arg;

	s->tid = gettid();
	s->ret = lseek(s->fd, 0, SEEK_END);
	s->done = 1;
	return NULL;
}

struct blocked_reader {
	int fd;
	_Atomic pid_t tid;
	_Atomic int entered;
	ssize_t ret;
};

static void *do_blocking_read(void *arg)
{
	struct blocked_reader *b = arg;
	static char buf[8192];

	b->tid = gettid();
	b->entered = 1;
	b->ret = read(b->fd, buf, sizeof(buf));
	return NULL;
}

/*
 * lseek() on a file another thread is blocked reading from: it must not
 * wait for the next record (an unbounded, uninterruptible wait).
 */
TEST(lseek_does_not_wait_for_a_blocked_reader)
{
	struct env e = { 0 };
	struct blocked_reader b = { 0 };
	struct seeker s = { 0 };
	pthread_t rt, st;
	char tag[64];

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	ASSERT_EQ(0, fcntl(e.r->fd, F_SETFL, 0));
	b.fd = s.fd = e.r->fd;
	ASSERT_EQ(0, pthread_create(&rt, NULL, do_blocking_read, &b));
	for (int i = 0; i < 5000 && !b.tid; i++)
		sleep_us(1000);
	ASSERT_TRUE(wait_sleeping(b.tid, &b.entered));
	ASSERT_EQ(0, pthread_create(&st, NULL, do_seek, &s));
	for (int i = 0; i < 2000 && !s.done; i++)
		sleep_us(1000);
	if (!s.done)
		TH_LOG("lseek(SEEK_END) still waiting after 2 s, in state %c, while another thread sleeps in read()",
		       s.tid ? thread_state(s.tid) : '?');
	EXPECT_TRUE(s.done);

	/* Release the reader (and the seeker with it), bounded by a record. */
	make_tag(tag, sizeof(tag), "unblock");
	ASSERT_EQ(0, mcr_log(&e.w, PRI, tag, strlen(tag)));
	ASSERT_EQ(0, pthread_join(rt, NULL));
	ASSERT_EQ(0, pthread_join(st, NULL));
	EXPECT_LT(0, b.ret);
	EXPECT_EQ(0, s.ret);
	env_close(&e);
}

/* --- buffers and readers --------------------------------------------------- */

/*
 * A buffer one byte too small for the next line gets EINVAL and consumes
 * nothing; the smallest buffer that works is exactly the line's length.
 */
TEST(short_buffer_is_einval)
{
	struct env e = { 0 };
	char tag[64], msg[128], buf[1024];
	size_t len;
	ssize_t n = -1;
	struct pollfd p;
	unsigned int size;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	make_tag(tag, sizeof(tag), "short");
	len = snprintf(msg, sizeof(msg), "%s %080d", tag, 0);
	ASSERT_EQ(0, mcr_log(&e.w, PRI, msg, len));
	p = (struct pollfd){ .fd = e.r->fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));

	for (size = 1; size < sizeof(buf); size++) {
		n = read(e.r->fd, buf, size);
		if (n >= 0)
			break;
		ASSERT_EQ(EINVAL, errno) TH_LOG("size %u", size);
	}
	ASSERT_EQ((ssize_t)size, n) TH_LOG("the line needs %u bytes", size);
	ASSERT_EQ('\n', buf[n - 1]);
	buf[n - 1] = '\0';
	TH_LOG("smallest buffer: %u bytes for '%s'", size, buf);
	EXPECT_EQ(NULL, strchr(buf, '\n'));
	EXPECT_NE(NULL, strstr(buf, msg));
	EXPECT_GT(size, len + 16);
	EXPECT_EQ(-1, read(e.r->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	env_close(&e);
}

#define NREADERS	3
#define NSHARED		200

struct reader_arg {
	struct rd *r;
	const char *tag;
	int got;		/* records of this test, in order */
	int bad;		/* out of order, duplicate, malformed */
	int err;
	unsigned long long seqs[NSHARED];
};

static void *reader_thread(void *arg)
{
	struct reader_arg *a = arg;
	size_t tl = strlen(a->tag);
	char *line;

	while (a->got < NSHARED) {
		struct mline m;
		ssize_t n = rd_line(a->r, &line, WAIT_MS);
		int i;

		if (n < 0) {
			a->err = (int)n;
			break;
		}
		if (parse_line(line, &m) || strncmp(m.msg, a->tag, tl) ||
		    sscanf(m.msg + tl, " %d", &i) != 1 || i != a->got) {
			a->bad++;
			continue;
		}
		a->seqs[a->got++] = m.seq;
	}
	return NULL;
}

TEST(several_readers_each_see_every_record)
{
	struct reader_arg args[NREADERS] = { 0 };
	pthread_t th[NREADERS];
	struct env e = { 0 };
	char tag[64];

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	make_tag(tag, sizeof(tag), "many");
	for (int k = 0; k < NREADERS; k++) {
		args[k].r = rd_open(O_NONBLOCK);
		ASSERT_NE(NULL, args[k].r);
		ASSERT_EQ(0, lseek(args[k].r->fd, 0, SEEK_END));
		args[k].tag = tag;
		ASSERT_EQ(0, pthread_create(&th[k], NULL, reader_thread,
					    &args[k]));
	}
	for (int i = 0; i < NSHARED; i++) {
		ASSERT_LE(0, mcr_logf(&e.w, PRI, "%s %d", tag, i));
	}
	for (int k = 0; k < NREADERS; k++) {
		ASSERT_EQ(0, pthread_join(th[k], NULL));
		EXPECT_EQ(NSHARED, args[k].got) TH_LOG("reader %d", k);
		EXPECT_EQ(0, args[k].bad) TH_LOG("reader %d", k);
		EXPECT_EQ(0, args[k].err) TH_LOG("reader %d", k);
		for (int i = 1; i < args[k].got; i++) {
			EXPECT_EQ(args[k].seqs[i - 1] + 1, args[k].seqs[i]);
		}
		EXPECT_EQ(0, memcmp(args[0].seqs, args[k].seqs,
				    sizeof(args[k].seqs)));
		rd_close(args[k].r);
	}
	env_close(&e);
}

/* --- the largest record ------------------------------------------------------ */

TEST(record_of_4096_bytes_comes_back_whole)
{
	static char msg[MCR_TEXT_MAX + 1], want[4 * MCR_TEXT_MAX + 1];
	struct env e = { 0 };
	char tag[64], *line;
	struct mline m;
	int n;

	REQUIRE_DEVICE();
	ASSERT_EQ(0, env_open(&e, 0));
	make_tag(tag, sizeof(tag), "big");

	/* Printable: 4096 bytes on the line, as written. */
	n = snprintf(msg, sizeof(msg), "%s ", tag);
	for (int i = n; i < MCR_TEXT_MAX; i++)
		msg[i] = 'A' + i % 26;
	ASSERT_EQ(0, mcr_log(&e.w, PRI, msg, MCR_TEXT_MAX));
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	ASSERT_EQ(0, parse_line(line, &m));
	EXPECT_EQ(MCR_TEXT_MAX, strlen(m.msg));
	EXPECT_EQ(0, memcmp(msg, m.msg, MCR_TEXT_MAX));

	/* Every byte escaped: the longest line there is, still whole. */
	memset(msg + n, 0xff, MCR_TEXT_MAX - n);
	escape(want, msg, MCR_TEXT_MAX);
	ASSERT_EQ(0, mcr_log(&e.w, PRI, msg, MCR_TEXT_MAX));
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	ASSERT_EQ(0, parse_line(line, &m));
	EXPECT_EQ(strlen(want), strlen(m.msg));
	EXPECT_STREQ(want, m.msg);

	/* Through mcr_logf, whose 4096-byte output takes its own path. */
	msg[MCR_TEXT_MAX] = '\0';
	memset(msg + n, 'z', MCR_TEXT_MAX - n);
	ASSERT_EQ(MCR_TEXT_MAX, mcr_logf(&e.w, PRI, "%s", msg));
	ASSERT_LT(0, rd_line(e.r, &line, WAIT_MS));
	ASSERT_EQ(0, parse_line(line, &m));
	EXPECT_STREQ(msg, m.msg);

	/* One byte more is refused, never truncated. */
	EXPECT_EQ(-EMSGSIZE, mcr_log(&e.w, PRI, msg, MCR_TEXT_MAX + 1));
	env_close(&e);
}

TEST_HARNESS_MAIN
