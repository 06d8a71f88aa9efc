// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mcrlog read semantics, one test per behaviour (as
 * archive_test.c): O_NONBLOCK, blocking read, poll and epoll, lseek,
 * short buffers, several readers.
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
#include "mcr_vmread.h"

#define PRI		MCR_PRI(1, 6)

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

TEST_HARNESS_MAIN
