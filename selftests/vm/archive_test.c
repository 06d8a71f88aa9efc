// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mcrlog read semantics, one test per behaviour: the text format,
 * escaping, the "records lost" marker, the largest record. O_NONBLOCK,
 * blocking read, poll and epoll, lseek, short buffers and several
 * readers: archive_read_test.c.
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
#define LOST_PREFIX	"# mcrring: "

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
