// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime levels (issue 13): root sets a threshold per facility through
 * /sys/kernel/mcrring/levels while writers run; from the moment a writer
 * can know of it, records below it are refused with -ENOMSG and never
 * reach the archive, on the MPSC ring, a claimed SPSC ring and the
 * kernel's ring alike.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "mcrring.h"
#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_run.h"

#define LEVELS		MCR_SYSFS "levels"
#define SELFTEST_KO	"/lib/modules/mcrring_selftest.ko"
#define ROUNDS		200

static char buf[1024];

static const char *levels(void)
{
	int fd = open(LEVELS, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

FIXTURE(levels) {
	bool touched;
};

FIXTURE_SETUP(levels)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to write %s", LEVELS);
	if (access(LEVELS, W_OK))
		SKIP(return, "%s: %s (is mcrring.ko loaded?)", LEVELS,
		     strerror(errno));
}

FIXTURE_TEARDOWN(levels)
{
	if (self->touched) {
		EXPECT_EQ(0, write_str(LEVELS, "debug"));
	}
}

TEST_F(levels, read_and_written_by_name_and_number)
{
	self->touched = true;
	EXPECT_EQ(0, write_str(LEVELS, "debug"));
	EXPECT_STREQ("kern=debug user=debug mail=debug daemon=debug auth=debug syslog=debug lpr=debug news=debug uucp=debug cron=debug authpriv=debug ftp=debug ntp=debug security=debug console=debug solaris-cron=debug local0=debug local1=debug local2=debug local3=debug local4=debug local5=debug local6=debug local7=debug\n",
		     levels());
	EXPECT_EQ(0, write_str(LEVELS, "user=warning\n"));
	EXPECT_NE(NULL, strstr(levels(), "kern=debug user=warning mail=debug"));
	EXPECT_EQ(0, write_str(LEVELS, "16=3"));
	EXPECT_NE(NULL, strstr(levels(), " local0=err "));
	EXPECT_EQ(0, write_str(LEVELS, "DAEMON=none"));
	EXPECT_NE(NULL, strstr(levels(), " daemon=none "));
	EXPECT_EQ(0, write_str(LEVELS, "crit"));
	EXPECT_EQ(NULL, strstr(levels(), "=debug"));
	EXPECT_NE(NULL, strstr(levels(), "local7=crit\n"));
	/* Refused, and nothing changed. */
	EXPECT_EQ(-EINVAL, write_str(LEVELS, "user=bogus"));
	EXPECT_EQ(-EINVAL, write_str(LEVELS, "nosuch=err"));
	EXPECT_EQ(-EINVAL, write_str(LEVELS, "none=err"));
	EXPECT_EQ(-EINVAL, write_str(LEVELS, "8"));
	EXPECT_EQ(-EINVAL, write_str(LEVELS, "user="));
	EXPECT_NE(NULL, strstr(levels(), "kern=crit user=crit"));
}

/* What the writer process tells the test, in shared memory. */
struct lvshared {
	int go;			/* the test has set user=warning */
	int done;
	int err;
	unsigned long long refused[2];	/* -ENOMSG after it saw go */
};

enum { MPSC, SPSC };

/* Two rings, info and err records, until ROUNDS after the level moved. */
static void writer(struct lvshared *sh)
{
	struct mcr_writer w[2];
	struct mcr_set *set;
	int after = -1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mcr_open(NULL, &set) || mcr_writer_mpsc(set, &w[MPSC]) ||
	    mcr_writer_spsc(set, 1, &w[SPSC])) {
		STORE(sh->err, 1);
		_exit(1);
	}
	for (unsigned int n = 0; after < ROUNDS; n++) {
		if (after < 0 && LOAD(sh->go)) {
			for (int k = 0; k < 2; k++)
				mcr_logf(&w[k], MCR_PRI(1, 3), "lv saw %d", k);
			after = 0;
		}
		for (int k = 0; k < 2; k++) {
			int ret = mcr_logf(&w[k], MCR_PRI(1, 6), "lv info %d %u",
					   k, n);

			if (ret == -ENOMSG && after >= 0)
				sh->refused[k]++;
			while (mcr_logf(&w[k], MCR_PRI(1, 3), "lv err %d %u",
					k, n) == -ENOBUFS)
				usleep(1000);
		}
		if (after >= 0)
			after++;
		usleep(200);
	}
	STORE(sh->done, 1);
	_exit(0);
}

struct lvseen {
	bool saw[2];
	unsigned long long info_after[2], err_after[2], info_before;
};

static void on_lv(void *ctx, const struct mline *l)
{
	struct lvseen *s = ctx;
	unsigned int k, n;

	if (sscanf(l->msg, "lv saw %u", &k) == 1 && k < 2)
		s->saw[k] = true;
	else if (sscanf(l->msg, "lv info %u %u", &k, &n) == 2 && k < 2 &&
		 s->saw[k])
		s->info_after[k]++;
	else if (sscanf(l->msg, "lv info %u %u", &k, &n) == 2 && k < 2)
		s->info_before++;
	else if (sscanf(l->msg, "lv err %u %u", &k, &n) == 2 && k < 2 &&
		 s->saw[k])
		s->err_after[k]++;
}

TEST_F(levels, muted_while_writers_run)
{
	struct lvshared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct lvseen seen = { 0 };
	struct arc arc;
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, sh);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: no CPU 1 ring");
	self->touched = true;
	ASSERT_EQ(0, write_str(LEVELS, "debug"));
	ASSERT_EQ(0, arc_open(&arc));
	ASSERT_EQ(0, lseek(arc.fd, 0, SEEK_END));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		writer(sh);
	/* Let it run unmuted a while, then mute user.info under it. */
	for (int i = 0; i < 20 && !LOAD(sh->err); i++)
		arc_pump(&arc, 10, on_lv, &seen);
	ASSERT_EQ(0, write_str(LEVELS, "user=warning"));
	STORE(sh->go, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* Everything it wrote, up to its last err record of each ring. */
	for (unsigned long long quiet = 5000 * mcr_time_scale(),
	     until = mcr_now_ms() + quiet;
	     (seen.err_after[MPSC] < ROUNDS || seen.err_after[SPSC] < ROUNDS) &&
	     mcr_now_ms() < until;)
		if (arc_pump(&arc, 20, on_lv, &seen) > 0)
			until = mcr_now_ms() + quiet;
	TH_LOG("before the change %llu info records; after it, per ring: info %llu/%llu, err %llu/%llu, refused %llu/%llu",
	       seen.info_before, seen.info_after[MPSC], seen.info_after[SPSC],
	       seen.err_after[MPSC], seen.err_after[SPSC],
	       sh->refused[MPSC], sh->refused[SPSC]);
	EXPECT_LT(0, seen.info_before);
	for (int k = 0; k < 2; k++) {
		EXPECT_TRUE(seen.saw[k]);
		EXPECT_EQ(0, seen.info_after[k]);
		EXPECT_EQ(ROUNDS, seen.err_after[k]);
		EXPECT_EQ(ROUNDS, sh->refused[k]);
	}
	arc_close(&arc);
	munmap(sh, sizeof(*sh));
}

TEST_F(levels, kernel_writers_too)
{
	char params[64];

	if (access(SELFTEST_KO, R_OK))
		SKIP(return, SELFTEST_KO " is missing");
	self->touched = true;
	ASSERT_EQ(0, write_str(LEVELS, "kern=warning"));
	/* kern.notice: refused; the module passes mcr_printk()'s error on. */
	snprintf(params, sizeof(params), "count=5 pri=%d", MCR_PRI(0, 5));
	EXPECT_EQ(-ENOMSG, mcr_load_file(SELFTEST_KO, params));
	snprintf(params, sizeof(params), "count=5 pri=%d", MCR_PRI(0, 4));
	EXPECT_EQ(0, mcr_load_file(SELFTEST_KO, params));
	EXPECT_EQ(0, mcr_unload_name("mcrring_selftest"));
}

/* The operator's command: mcrctl level, read and set, refusals. */
TEST_F(levels, set_and_shown_by_mcrctl)
{
	char out[2048];

	if (access("/bin/mcrctl", X_OK))
		SKIP(return, "mcrctl not in /bin");
	self->touched = true;
	ASSERT_EQ(0, sh("mcrctl level debug user=err local3=none 2>&1", out,
			sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(levels(), "kern=debug user=err "))
		TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, " local3=none ")) TH_LOG("%s", buf);
	ASSERT_EQ(0, sh("mcrctl level", out, sizeof(out)));
	EXPECT_EQ(0, strncmp("kern=debug\nuser=err\nmail=debug\n", out, 31))
		TH_LOG("%s", out);
	/* Checked before the kernel sees it: nothing changes. */
	EXPECT_EQ(2, sh("mcrctl level user=debug usr=debug 2>/dev/null", out,
			sizeof(out)));
	EXPECT_NE(NULL, strstr(levels(), " user=err ")) TH_LOG("%s", buf);
}

TEST_HARNESS_MAIN
