// SPDX-License-Identifier: GPL-2.0
/*
 * mcrfwd end to end in the guest (issue 14): mcrlog writing through the
 * module's MPSC ring and a claimed SPSC ring, mcrfwd following
 * /dev/mcrlog, and rsyslogd (copied into the amd64 guest by
 * scripts/vm.sh, with its libraries and modules) taking the records over
 * RELP and TCP on 127.0.0.1. Every record is compared on arrival, counts
 * exact; a restarted mcrfwd resumes from its state file, which names the
 * module's instance.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_run.h"

#define RSYSLOGD	"/usr/sbin/rsyslogd"
#define DIR		"/tmp/fwd"
#define TCP_PORT	10514
#define RELP_PORT	10515
#define N		1500	/* records a writer */

static char out[1 << 20];
static char text[4 << 20];

#define REQUIRE_FWD() do {						\
	if (access("/bin/mcrfwd", X_OK) || access("/bin/mcrlog", X_OK))	\
		SKIP(return, "mcrfwd/mcrlog not in /bin");		\
	if (access(RSYSLOGD, X_OK))					\
		SKIP(return, "no rsyslogd in this guest (scripts/vm.sh copies the host's into amd64 guests only)"); \
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
	if (!has_inet())						\
		SKIP(return, "this kernel has no IPv4 (the debug kernels are built without networking)"); \
} while (0)

static bool has_inet(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static const char conf[] =
	"global(workDirectory=\"" DIR "\")\n"
	"main_queue(queue.type=\"Direct\")\n"
	"module(load=\"imtcp\")\n"
	"module(load=\"imrelp\")\n"
	"template(name=\"f\" type=\"string\" string=\"%app-name%|%procid%|%syslogfacility%|%syslogseverity%|%structured-data%|%msg%\\n\")\n"
	"ruleset(name=\"tcp\") { action(type=\"omfile\" file=\"" DIR "/tcp.out\" template=\"f\") }\n"
	"ruleset(name=\"relp\") { action(type=\"omfile\" file=\"" DIR "/relp.out\" template=\"f\") }\n"
	"input(type=\"imtcp\" port=\"10514\" address=\"127.0.0.1\" ruleset=\"tcp\")\n"
	"input(type=\"imrelp\" port=\"10515\" address=\"127.0.0.1\" ruleset=\"relp\")\n";

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (fd >= 0)
		close(fd);
	return ok;
}

static pid_t start(const char *path, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(DIR "/daemons.log", O_WRONLY | O_CREAT | O_APPEND,
			      0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

static int stop(pid_t pid, int sig)
{
	int status = 0;

	kill(pid, sig);
	waitpid(pid, &status, 0);
	return status;
}

/* Lines of @file, waiting while their number grows, until @want. */
static long wait_lines(const char *file, long want)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "cat %s 2>/dev/null | wc -l", file);
	return mcr_wait_count(cmd, want, 10000);
}

static int slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* The value of SD-PARAM @name in @sd (no escapes in ours), or -1. */
static long long sd_num(const char *sd, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(sd, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/*
 * Check each line of @path: tag @tag, each line i of each ring once, in
 * order, its message and fields as mcrlog wrote them; how many records
 * per ring arrived into @mpsc and @spsc. Sequences rise, but for
 * @reloads restarts from 0.
 */
static void check_sink(struct __test_metadata *_metadata, const char *path,
		       const char *tag, int reloads, long *mpsc, long *spsc)
{
	char *line, *save = NULL, want[256];
	long next[2] = { 1, 1 };
	long long last_seq = -1;

	ASSERT_LT(0, slurp(path, text, sizeof(text)));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *p = line;
		long long ring, seq;
		long i;
		int k;

		for (k = 0; k < 5; k++) {
			f[k] = p;
			p = strchr(p, '|');
			ASSERT_NE(NULL, p) TH_LOG("%s", line);
			*p++ = '\0';
		}
		f[5] = p;
		ASSERT_STREQ(tag, f[0]);
		ASSERT_STREQ("16", f[2]);	/* local0 */
		ASSERT_STREQ("4", f[3]);	/* warning */
		ring = sd_num(f[4], "ring");
		seq = sd_num(f[4], "seq");
		ASSERT_TRUE(ring == 0 || ring == 1) TH_LOG("%s", f[4]);
		/* Archive order is sequence order, each load of the module. */
		if (seq <= last_seq)
			reloads--;
		ASSERT_LE(0, reloads) TH_LOG("%lld after %lld", seq, last_seq);
		last_seq = seq;
		/* SPSC records: the owner the kernel attests; MPSC: none. */
		ASSERT_EQ(ring == 1, strstr(f[4], "[owner@32473 pid=\"") != NULL)
			TH_LOG("%s", f[4]);
		ASSERT_NE(NULL, strstr(f[4], "[fields@32473 SYSLOG_IDENTIFIER=\""))
			TH_LOG("%s", f[4]);
		ASSERT_NE(NULL, strstr(f[4], " K=\"v \\\"q\\\" \\]\"]"))
			TH_LOG("%s", f[4]);
		/* mcrlog -f: line i is "rec i \"q\" ]x[ \ →", \ sent as \x5c */
		ASSERT_EQ(1, sscanf(f[5], "rec %ld ", &i)) TH_LOG("%s", f[5]);
		snprintf(want, sizeof(want),
			 "rec %ld \"q\" ]x[ \\x5c \xe2\x86\x92", i);
		ASSERT_STREQ(want, f[5]);
		ASSERT_EQ(next[ring], i) TH_LOG("ring %lld", ring);
		next[ring]++;
	}
	EXPECT_EQ(0, reloads);
	*mpsc = next[0] - 1;
	*spsc = next[1] - 1;
}

static int write_records(const char *tag, long from, long to)
{
	char cmd[512];
	FILE *f = fopen(DIR "/in.txt", "w");

	if (!f)
		return -1;
	for (long i = from; i <= to; i++)
		fprintf(f, "rec %ld \"q\" ]x[ \\ \xe2\x86\x92\n", i);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "mcrlog -p local0.warning -t %s -k 'K=v \"q\" ]' -f " DIR "/in.txt && "
		 "mcrlog -c 0 -p local0.warning -t %s -k 'K=v \"q\" ]' -f " DIR "/in.txt",
		 tag, tag);
	return sh(cmd, out, sizeof(out));
}

FIXTURE(fwd) {
	pid_t rs;
	char tag[32], relp[64], tcp[64];
};

FIXTURE_SETUP(fwd)
{
	char *argv[] = { RSYSLOGD, "-n", "-f", DIR "/rs.conf", "-i",
			 DIR "/rs.pid", NULL };
	unsigned long long until;
	FILE *f;

	self->rs = -1;
	REQUIRE_FWD();
	snprintf(self->tag, sizeof(self->tag), "fwd%d", getpid());
	snprintf(self->relp, sizeof(self->relp), "relp://127.0.0.1:%d",
		 RELP_PORT);
	snprintf(self->tcp, sizeof(self->tcp), "tcp://127.0.0.1:%d", TCP_PORT);
	ASSERT_EQ(0, sh("rm -rf " DIR " && mkdir -p " DIR
			" && ifconfig lo 127.0.0.1 up", out, sizeof(out)))
		TH_LOG("%s", out);
	f = fopen(DIR "/rs.conf", "w");
	ASSERT_NE(NULL, f);
	fputs(conf, f);
	fclose(f);
	self->rs = start(RSYSLOGD, argv);
	until = mcr_now_ms() + 10000ULL * mcr_time_scale();
	while (!(port_open(TCP_PORT) && port_open(RELP_PORT)) &&
	       mcr_now_ms() < until)
		usleep(50000);
	ASSERT_TRUE(port_open(TCP_PORT) && port_open(RELP_PORT)) {
		sh("cat " DIR "/daemons.log", out, sizeof(out));
		TH_LOG("rsyslogd did not listen: %s", out);
	}
}

FIXTURE_TEARDOWN(fwd)
{
	if (self->rs > 0)
		stop(self->rs, SIGTERM);	/* its exit status is not ours */
}

/* mcrfwd until both files hold @want lines; then SIGTERM: status 0. */
static void forward(struct __test_metadata *_metadata,
		    FIXTURE_DATA(fwd) *self, long want)
{
	char *argv[] = { "/bin/mcrfwd", "-t", self->tag, "-s", DIR "/state",
			 self->relp, self->tcp, NULL };
	pid_t fwd = start("/bin/mcrfwd", argv);

	EXPECT_EQ(want, wait_lines(DIR "/relp.out", want));
	EXPECT_EQ(want, wait_lines(DIR "/tcp.out", want));
	/* SIGTERM: the batch in hand is finished and the state saved. */
	EXPECT_EQ(0, stop(fwd, SIGTERM));
}

/* Both sinks hold lines 1..@n of each ring, once, in order. */
static void check_both(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fwd) *self, int reloads, long n)
{
	long m = -1, s = -1;

	check_sink(_metadata, DIR "/relp.out", self->tag, reloads, &m, &s);
	EXPECT_EQ(n, m);
	EXPECT_EQ(n, s);
	m = s = -1;
	check_sink(_metadata, DIR "/tcp.out", self->tag, reloads, &m, &s);
	EXPECT_EQ(n, m);
	EXPECT_EQ(n, s);
}

/* The state file names this load of the module; no sink lost a record. */
static void check_state(struct __test_metadata *_metadata)
{
	char inst[64], state[512], want[96];
	char *line, *save = NULL;
	int sinks = 0;

	ASSERT_LT(0, slurp(MCR_SYSFS "instance", inst, sizeof(inst)));
	ASSERT_LT(0, slurp(DIR "/state", state, sizeof(state)));
	snprintf(want, sizeof(want), "instance %s", inst);
	EXPECT_NE(NULL, strstr(state, want)) TH_LOG("%s / %s", state, inst);
	EXPECT_EQ(NULL, strstr(state, "running")) TH_LOG("%s", state);
	for (line = strtok_r(state, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long next, lost, refused;

		if (strncmp(line, "sink ", 5))
			continue;
		sinks++;
		ASSERT_EQ(3, sscanf(strchr(line + 5, ' '), " %llu %llu %llu",
				    &next, &lost, &refused)) TH_LOG("%s", line);
		EXPECT_EQ(0, lost) TH_LOG("%s", line);
		EXPECT_EQ(0, refused) TH_LOG("%s", line);
	}
	EXPECT_EQ(2, sinks);
}

TEST_F_TIMEOUT(fwd, records_reach_rsyslogd_and_a_restart_resumes, 180)
{
	REQUIRE_FWD();	/* a SKIP in the setup does not stop the test here */
	ASSERT_EQ(0, write_records(self->tag, 1, N)) TH_LOG("%s", out);
	forward(_metadata, self, 2 * N);
	/* More while mcrfwd is down; the restart sends those only. */
	ASSERT_EQ(0, write_records(self->tag, N + 1, 2 * N))
		TH_LOG("%s", out);
	forward(_metadata, self, 4 * N);
	check_both(_metadata, self, 0, 2 * N);
	check_state(_metadata);
}

/*
 * Sequences start at 0 again with each load of the module: a cursor
 * kept from the load before would skip the new records, but the state
 * names the instance, and mcrfwd starts over.
 */
TEST_F_TIMEOUT(fwd, a_module_reload_starts_the_cursors_over, 180)
{
	REQUIRE_FWD();
	if (geteuid() != 0 || !mcr_module_path())
		SKIP(return, "needs root and MCR_MODULE to reload the module");
	ASSERT_EQ(0, write_records(self->tag, 1, N)) TH_LOG("%s", out);
	forward(_metadata, self, 2 * N);
	ASSERT_EQ(0, mcr_reload(NULL));
	ASSERT_EQ(0, write_records(self->tag, N + 1, 2 * N))
		TH_LOG("%s", out);
	forward(_metadata, self, 4 * N);
	check_both(_metadata, self, 1, 2 * N);
	check_state(_metadata);
}

TEST_HARNESS_MAIN
