// SPDX-License-Identifier: GPL-2.0
/*
 * mcrtrace against the module's tracepoints: the layouts tools/mcrtrace.h
 * declares match the kernel's format files; a child provokes drops, an
 * invalid and an abandoned record on a tiny SPSC ring and drops on the
 * MPSC ring, and mcrtrace reports each with its ring and pid, the drain
 * counts and a latency histogram; -r, -j, -H, -d and -c; clear errors
 * without the module or privilege.
 */
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"
#include "mcr_vmlines.h"
#include "mcr_run.h"
#include "mcrtrace.h"

#define EVENTS		"/sys/kernel/tracing/events/mcrring/"
#define MCRTRACE	"/bin/mcrtrace"
#define TINY		"ring_ndesc=16 ring_data_kb=8"

#define REQUIRE_MCRTRACE() do {						\
	if (access(MCRTRACE, X_OK))					\
		SKIP(return, MCRTRACE " is not in the guest");		\
	if (!mcr_loaded())						\
		SKIP(return, "mcrring.ko is not loaded");		\
	if (access(EVENTS, F_OK))					\
		SKIP(return, "no " EVENTS " (tracefs not mounted?)");	\
} while (0)

/* libbpf probes for global data with a socket filter program. */
#define REQUIRE_BPF_LOADS() do {					\
	if (access("/proc/net", F_OK))					\
		SKIP(return, "kernel without CONFIG_NET: libbpf's "	\
		     "feature probes fail, so no global data maps");	\
} while (0)

/* --- the layouts ------------------------------------------------------ */

struct field {
	const char *event;	/* NULL: the common header of every event */
	const char *name;
	size_t offset, size;
};

#define FLD(ev, st, m) \
	{ ev, #m, offsetof(struct st, m), sizeof(((struct st *)0)->m) }

/* Every field of the five records of layout @v, after header @hdr. */
#define RECORD_FIELDS(v, hdr)						\
	FLD(NULL, hdr, common_type),					\
	FLD(NULL, hdr, common_flags),					\
	FLD(NULL, hdr, common_preempt_count),				\
	FLD(NULL, hdr, common_pid),					\
	FLD("mcrring_drain", mcrt_tp_drain_##v, ring),			\
	FLD("mcrring_drain", mcrt_tp_drain_##v, records),		\
	FLD("mcrring_drain", mcrt_tp_drain_##v, now),			\
	FLD("mcrring_drain", mcrt_tp_drain_##v, oldest_ts),		\
	FLD("mcrring_drop", mcrt_tp_drop_##v, ring),			\
	FLD("mcrring_drop", mcrt_tp_drop_##v, owner),			\
	FLD("mcrring_drop", mcrt_tp_drop_##v, dropped),			\
	FLD("mcrring_drop", mcrt_tp_drop_##v, total),			\
	FLD("mcrring_invalid", mcrt_tp_skip_##v, ring),			\
	FLD("mcrring_invalid", mcrt_tp_skip_##v, seq),			\
	FLD("mcrring_invalid", mcrt_tp_skip_##v, owner),		\
	FLD("mcrring_abandoned", mcrt_tp_skip_##v, ring),		\
	FLD("mcrring_abandoned", mcrt_tp_skip_##v, seq),		\
	FLD("mcrring_abandoned", mcrt_tp_skip_##v, owner),		\
	FLD("mcrring_claim", mcrt_tp_claim_##v, ring),			\
	FLD("mcrring_claim", mcrt_tp_claim_##v, pid),			\
	FLD("mcrring_claim", mcrt_tp_claim_##v, claimed)

static const struct field std_fields[] = {
	RECORD_FIELDS(std, mcrt_tp_common),
	{ NULL, NULL, 0, 0 }
};

static const struct field rt_fields[] = {
	RECORD_FIELDS(rt, mcrt_tp_common_rt),
	FLD(NULL, mcrt_tp_common_rt, common_preempt_lazy_count),
	{ NULL, NULL, 0, 0 }
};

static const char *const events[] = {
	"mcrring_drain", "mcrring_drop", "mcrring_invalid",
	"mcrring_abandoned", "mcrring_claim",
};

static const struct field *find_field(const struct field *fields,
				     const char *event, const char *name)
{
	for (; fields->name; fields++)
		if ((!fields->event || !strcmp(fields->event, event)) &&
		    !strcmp(fields->name, name))
			return fields;
	return NULL;
}

/*
 * How far the format files are from one layout of mcrtrace.h: fields
 * missing from either side or at another offset or size. @verbose says
 * which.
 */
static int layout_mismatches(struct __test_metadata *_metadata,
			     const struct field *fields, bool verbose)
{
	int bad = 0;

	for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
		char path[128], line[256];
		size_t seen = 0, declared = 0;
		FILE *f;

		snprintf(path, sizeof(path), EVENTS "%s/format", events[e]);
		f = fopen(path, "r");
		if (!f) {
			TH_LOG("%s: %s", path, strerror(errno));
			return -1;
		}
		while (fgets(line, sizeof(line), f)) {
			const struct field *fd;
			char decl[128], *name;
			size_t off, size;

			/* \tfield:u32 ring;\toffset:8;\tsize:4;\tsigned:0; */
			if (sscanf(line, " field:%127[^;]; offset:%zu; size:%zu;",
				   decl, &off, &size) != 3)
				continue;
			name = strrchr(decl, ' ');
			name = name ? name + 1 : decl;
			fd = find_field(fields, events[e], name);
			if (!fd) {
				bad++;
				if (verbose)
					TH_LOG("%s: field '%s' not in mcrtrace.h",
					       events[e], decl);
				continue;
			}
			seen++;
			if (fd->offset != off || fd->size != size) {
				bad++;
				if (verbose)
					TH_LOG("%s.%s: offset %zu size %zu, mcrtrace.h %zu %zu",
					       events[e], name, off, size,
					       fd->offset, fd->size);
			}
		}
		fclose(f);
		for (const struct field *fl = fields; fl->name; fl++)
			if (!fl->event || !strcmp(fl->event, events[e]))
				declared++;
		if (declared != seen) {
			bad += declared - seen;
			if (verbose)
				TH_LOG("%s: %zu fields of mcrtrace.h missing from %s",
				       events[e], declared - seen, path);
		}
	}
	return bad;
}

/*
 * Every field of every format file is declared at its offset and size in
 * exactly one of mcrtrace.h's layouts, and every field of that layout is
 * in the files: a field added, moved, resized or renamed in
 * kmod/mcrring_trace.h, or a kernel with a third common header, fails
 * here. The header with the lazy preemption count comes only from the
 * out-of-tree PREEMPT_RT patch (before 6.12); mainline PREEMPT_RT (6.12
 * on) has the standard one, so uname alone cannot say which to expect.
 */
TEST(tracepoint_layouts_match_mcrtrace_h)
{
	struct utsname u;
	int std, rt;

	REQUIRE_MCRTRACE();
	ASSERT_EQ(0, uname(&u));
	std = layout_mismatches(_metadata, std_fields, false);
	rt = layout_mismatches(_metadata, rt_fields, false);
	ASSERT_LE(0, std);
	ASSERT_LE(0, rt);
	TH_LOG("%s %s: %d fields off the standard layout, %d off the rt one",
	       u.release, u.version, std, rt);
	if (std && rt) {
		layout_mismatches(_metadata, std < rt ? std_fields : rt_fields,
				  true);
		ASSERT_TRUE(false) TH_LOG("neither layout of mcrtrace.h fits");
	}
	EXPECT_TRUE(!!std != !!rt);
	/* The lazy count is the RT patch's: never on a kernel without it. */
	if (!rt)
		EXPECT_NE(NULL, strstr(u.version, "PREEMPT_RT"));
}

/* --- what mcrtrace prints --------------------------------------------- */

/* A running mcrtrace: its output, line by line, and what it said. */
struct tracer {
	pid_t pid;
	struct rd *rd;
	char out[1 << 16];
	size_t len;
	bool ready, ended;
};

/* Start mcrtrace with @args; wait until it has attached (its header). */
static int tracer_start(struct tracer *t, char *const argv[],
			const char *ready)
{
	char *line;
	int fd;

	memset(t, 0, sizeof(*t));
	t->pid = spawn_piped(MCRTRACE, argv, &fd);
	if (t->pid < 0)
		return -errno;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	t->rd = calloc(1, sizeof(*t->rd));
	if (!t->rd)
		return -ENOMEM;
	t->rd->fd = fd;
	/* Loading and verifying under TCG takes a while. */
	if (rd_line(t->rd, &line, 20000 * mcr_time_scale()) < 0)
		return -ETIMEDOUT;
	t->ready = strstr(line, ready) != NULL;
	return t->ready ? 0 : -EPROTO;
}

/* Keep what mcrtrace printed within @ms; false once it has ended. */
static bool tracer_pump(struct tracer *t, int ms)
{
	ssize_t n;
	char *line;

	while (!t->ended && (n = rd_line(t->rd, &line, ms)) != -ETIMEDOUT) {
		if (n < 0) {
			t->ended = true;	/* EOF or error */
			break;
		}
		if (t->len + n + 2 < sizeof(t->out)) {
			memcpy(t->out + t->len, line, n);
			t->len += n;
			t->out[t->len++] = '\n';
			t->out[t->len] = '\0';
		}
		ms = 0;
	}
	return !t->ended;
}

/* Stop it with @sig; its exit status, or -1. Everything it said is kept. */
static int tracer_stop(struct tracer *t, int sig)
{
	uint64_t end = mcr_now_ms() + 10000ULL * mcr_time_scale();
	int status;

	if (t->pid <= 0)
		return -1;
	kill(t->pid, sig);
	while (tracer_pump(t, 100) && mcr_now_ms() < end)
		;
	if (!t->ended)
		kill(t->pid, SIGKILL);	/* it did not stop: fail, not hang */
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	t->pid = 0;
	rd_close(t->rd);
	t->rd = NULL;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The sum of @key=N over text lines of @event on @ring from @pid. */
struct tally {
	unsigned long long sum, lines, last_total;
};

static struct tally tally(const char *out, const char *event,
			  const char *ring, const char *pid, const char *key)
{
	struct tally t = { 0 };
	const char *l;

	for (l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char ev[16], rg[16], pd[16], detail[128], want[32];
		unsigned long long v, total;
		const char *k;
		double time;

		if (sscanf(l, "%lf %15s %15s %15s %127[^\n]", &time, ev, rg,
			   pd, detail) < 4 || strcmp(ev, event) ||
		    strcmp(rg, ring) || strcmp(pd, pid))
			continue;
		t.lines++;
		snprintf(want, sizeof(want), "%s=", key);
		k = strstr(detail, want);
		if (k && sscanf(k + strlen(want), "%llu", &v) == 1)
			t.sum += v;
		k = strstr(detail, "total=");
		if (k && sscanf(k, "total=%llu", &total) == 1)
			t.last_total = total;
	}
	return t;
}

/* What the child did, in shared memory. */
struct provoked {
	pid_t pid;
	uint64_t spsc_ok, spsc_dropped, mpsc_ok, mpsc_dropped;
	uint32_t invalid_seq, abandoned_seq;	/* the ring's sequences */
	int err;
};

/* Everything mcrtrace -i 0.2 said about the child's rings. */
struct seen {
	struct tally drops, mdrops, inval, aband, claim, release;
	struct tally drained, mdrained;
};

static void look(const char *out, const char *pid, struct seen *s)
{
	s->drops = tally(out, "drop", "cpu0", pid, "dropped");
	s->mdrops = tally(out, "drop", "mpsc", "-", "dropped");
	s->inval = tally(out, "invalid", "cpu0", pid, "seq");
	s->aband = tally(out, "abandoned", "cpu0", pid, "seq");
	s->claim = tally(out, "claim", "cpu0", pid, "");
	s->release = tally(out, "release", "cpu0", pid, "");
	s->drained = tally(out, "drain", "cpu0", "-", "records");
	s->mdrained = tally(out, "drain", "mpsc", "-", "records");
}

/* Write until the ring has refused 20 records (the handle counts them). */
static void flood(struct mcr_writer *w, uint64_t *ok)
{
	for (int i = 0; i < 100000 && w->dropped < 20; i++)
		if (mcr_logf(w, MCR_PRI(1, 6), "flood %d", i) >= 0)
			(*ok)++;
}

/* A reservation on @w, waiting out a full ring (bounded). */
static int reserve(struct mcr_writer *w, struct mcr_resv *r)
{
	int ret = -ENOBUFS;

	for (int i = 0; i < 500 && ret == -ENOBUFS; i++) {
		ret = mcr_reserve(w, 8, r);
		if (ret == -ENOBUFS)
			sleep_us(10000);
	}
	return ret;
}

/*
 * The child: on cpu0's ring (claimed, so attested with its pid) some
 * drops, one record committed with flags no writer may set (invalid) and
 * one left reserved when it exits (abandoned); drops on the MPSC ring.
 */
static void provoke(struct provoked *p)
{
	struct mcr_writer spsc, mpsc;
	struct mcr_set *set;
	struct mcr_resv r;

	p->pid = getpid();
	p->err = mcr_open(NULL, &set);
	if (!p->err)
		p->err = mcr_writer_spsc(set, 0, &spsc);
	if (!p->err)
		p->err = mcr_writer_mpsc(set, &mpsc);
	if (p->err)
		_exit(1);
	flood(&spsc, &p->spsc_ok);
	flood(&mpsc, &p->mpsc_ok);
	p->mpsc_dropped = mpsc.dropped;
	/* Waiting for room counts as drops too: the handle's count is exact. */
	p->err = reserve(&spsc, &r);
	p->spsc_dropped = spsc.dropped;
	if (p->err)
		_exit(1);
	p->invalid_seq = r.seq;
	memcpy(r.text, "invalid", 7);
	mcr_spsc_commit(&spsc.spsc, &r, 7, mcr_now_ns(), p->pid, p->pid, 0,
			MCR_PRI(1, 6), 0x80);
	p->err = reserve(&spsc, &r);
	p->spsc_dropped = spsc.dropped;
	if (p->err)
		_exit(1);
	p->abandoned_seq = r.seq;
	_exit(0);		/* the claim ends with the reservation open */
}

FIXTURE(trace) {
	struct tracer all, mpsc;
	struct provoked *p;
	pid_t child;
	bool reloaded;
};

FIXTURE_SETUP(trace)
{
	self->p = mmap(NULL, sizeof(*self->p), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->p);
}

FIXTURE_TEARDOWN(trace)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	/* Attached tracers hold the module: they go first. */
	tracer_stop(&self->all, SIGKILL);
	tracer_stop(&self->mpsc, SIGKILL);
	rd_close(self->all.rd);
	rd_close(self->mpsc.rd);
	munmap(self->p, sizeof(*self->p));
	if (self->reloaded) {
		EXPECT_EQ(0, mcr_reload(NULL));
	}
}

TEST_F_TIMEOUT(trace, reports_what_a_writer_provokes, 120)
{
	char *const all_argv[] = { "mcrtrace", "-i", "0.2", NULL };
	char *const mpsc_argv[] = { "mcrtrace", "-r", "mpsc", "-j", "-H", NULL };
	struct provoked *p = self->p;
	struct seen n;
	char pid[16], want[96];
	int status;

	REQUIRE_MCRTRACE();
	REQUIRE_BPF_LOADS();
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload(TINY));
	self->reloaded = true;
	ASSERT_EQ(0, tracer_start(&self->all, all_argv, "TIME(s)"))
		TH_LOG("%s", self->all.out);
	ASSERT_EQ(0, tracer_start(&self->mpsc, mpsc_argv, "\"start\""));

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child)
		provoke(p);
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child: %s", strerror(-p->err));
	TH_LOG("child %d: cpu0 %" PRIu64 " written, %" PRIu64 " dropped; mpsc %" PRIu64 " written, %" PRIu64 " dropped",
	       p->pid, p->spsc_ok, p->spsc_dropped, p->mpsc_ok,
	       p->mpsc_dropped);
	ASSERT_LT(0, p->spsc_dropped);
	ASSERT_LT(0, p->mpsc_dropped);

	/* Everything shows within a few drain passes and summaries. */
	snprintf(pid, sizeof(pid), "%d", p->pid);
	for (uint64_t end = mcr_now_ms() + 20000ULL * mcr_time_scale();
	     mcr_now_ms() < end;) {
		ASSERT_TRUE(tracer_pump(&self->all, 100));
		look(self->all.out, pid, &n);
		if (n.drops.sum >= p->spsc_dropped &&
		    n.mdrops.sum >= p->mpsc_dropped && n.inval.lines &&
		    n.aband.lines && n.release.lines &&
		    n.drained.sum >= p->spsc_ok && n.mdrained.sum >= p->mpsc_ok)
			break;
	}
	/* SIGINT: a clean exit, with the histogram of the passes seen. */
	EXPECT_EQ(0, tracer_stop(&self->all, SIGINT));
	TH_LOG("mcrtrace -i 0.2:\n%s", self->all.out);
	look(self->all.out, pid, &n);
	EXPECT_EQ(p->spsc_dropped, n.drops.sum);
	EXPECT_EQ(p->spsc_dropped, n.drops.last_total);
	EXPECT_EQ(p->mpsc_dropped, n.mdrops.sum);
	EXPECT_EQ(1, n.inval.lines);
	EXPECT_EQ(p->invalid_seq, n.inval.sum);
	EXPECT_EQ(1, n.aband.lines);
	EXPECT_EQ(p->abandoned_seq, n.aband.sum);
	EXPECT_EQ(1, n.claim.lines);
	EXPECT_EQ(1, n.release.lines);
	/* Drained: every record it wrote, and not the invalid one. */
	EXPECT_EQ(p->spsc_ok, n.drained.sum);
	EXPECT_LT(0, n.drained.lines);
	EXPECT_EQ(p->mpsc_ok, n.mdrained.sum);
	EXPECT_NE(NULL, strstr(self->all.out, "write->drain latency"));
	EXPECT_EQ(NULL, strstr(self->all.out, "(0 passes)"));
	EXPECT_NE(NULL, strstr(self->all.out, "usecs"));

	/* -r mpsc -j -H: the MPSC ring's drops only, JSON, no histogram. */
	EXPECT_EQ(0, tracer_stop(&self->mpsc, SIGTERM));
	TH_LOG("mcrtrace -r mpsc -j -H:\n%s", self->mpsc.out);
	EXPECT_EQ(NULL, strstr(self->mpsc.out, "\"ring\":\"cpu"));
	snprintf(want, sizeof(want),
		 "\"event\":\"drop\",\"ring\":\"mpsc\",\"pid\":null,\"dropped\":");
	EXPECT_NE(NULL, strstr(self->mpsc.out, want));
	snprintf(want, sizeof(want), "\"total\":%" PRIu64 "}", p->mpsc_dropped);
	EXPECT_NE(NULL, strstr(self->mpsc.out, want));
	EXPECT_NE(NULL, strstr(self->mpsc.out, "\"event\":\"drain\",\"ring\":\"mpsc\""));
	EXPECT_EQ(NULL, strstr(self->mpsc.out, "latency"));
}

/* --- options and errors ----------------------------------------------- */

TEST_F_TIMEOUT(trace, stops_by_itself_and_says_what_is_wrong, 120)
{
	char out[8192];
	uint64_t t0;

	REQUIRE_MCRTRACE();
	REQUIRE_BPF_LOADS();
	REQUIRE_MODULE();
	self->reloaded = true;

	/* -d and -c end it; -c 3 -i 0.2 prints three summaries' worth. */
	t0 = mcr_now_ms();
	EXPECT_EQ(0, sh("mcrtrace --duration 0.5 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp("TIME(s)", out, 7)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "write->drain latency"));
	EXPECT_EQ(0, sh("mcrtrace -n 3 -i 0.2 -j 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp("{\"event\":\"start\",\"interval\":0.200}", out, 33))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "{\"event\":\"latency\",\"unit\":\"us\""));
	TH_LOG("--duration 0.5 and -n 3 -i 0.2 took %" PRIu64 " ms", mcr_now_ms() - t0);

	EXPECT_EQ(2, sh("mcrtrace -r cpu 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrtrace: bad value 'cpu' for -r\n", out);
	EXPECT_EQ(2, sh("mcrtrace -i 0 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrtrace: bad value '0' for -i\n", out);

	EXPECT_EQ(1, sh("su -s /bin/sh nobody -c 'mcrtrace --duration 1' 2>&1", out,
			sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "(run as root: tracing needs CAP_BPF and CAP_PERFMON)"))
		TH_LOG("%s", out);

	ASSERT_EQ(0, mcr_unload());
	EXPECT_EQ(1, sh("mcrtrace --duration 1 2>&1", out, sizeof(out)));
	EXPECT_STREQ("mcrtrace: mcrring's tracepoints are not there (is mcrring.ko loaded?)\n",
		     out);
}

TEST_HARNESS_MAIN
