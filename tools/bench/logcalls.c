// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's log calls: mcr_log(), fprintf(3) to a file, syslog(3) to an
 * rsyslogd started here and an LTTng-UST tracepoint in a session of
 * lttng-sessiond, each called n times by one thread pinned to the
 * writers' CPU, flat out or paced at a rate every call is offered alike,
 * every call timed with the benchmark's bracket, every message read back
 * where a reader would read it (the ring's consumer, the file, rsyslogd's
 * output, the trace) and checked for loss, order and garbling. The
 * readers (mcrring's consumer thread, rsyslogd, LTTng's consumer daemon)
 * go where the scheduler puts them. The message is the same text for
 * every call: 128 bytes that begin with its sequence number.
 *
 * syslog(3) writes to /dev/log. So that nothing outside the benchmark is
 * touched, its writer runs in a child process with a mount namespace of
 * its own, where /dev is a small tmpfs whose `log` leads to this rsyslogd.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mcrring.h"
#include "tsc.h"
#include "lcmsg.h"
#include "logcalls.h"

_Static_assert(LC_PRI == MCR_PRI(1, 6), "user.info everywhere");

const char *const lc_name[NR_LC] = {
	"mcrring", "fprintf", "syslog", "lttng-ust",
};
const char *const lc_title[NR_LC] = {
	"mcr_log() into an SPSC ring, a consumer draining it",
	"fprintf(3) to a file (stdio's full buffering), timestamp and tid",
	"syslog(3) to a local rsyslogd (imuxsock -> omfile)",
	"LTTng-UST tracepoint, per-uid buffers in discard mode (defaults)",
};

/* Message @s delivered: counted once, its order against the others. */
static void lc_got_seq(struct lc_check *c, uint64_t s)
{
	if (s >= c->n) {
		c->garbled++;
		return;
	}
	if (c->seen[s]) {
		c->dups++;
		return;
	}
	c->seen[s] = 1;
	c->delivered++;
	if (s < c->next)
		c->reordered++;
	else
		c->next = s + 1;
}

void lc_got(struct lc_check *c, const char *text, size_t len)
{
	const char *p = memmem(text, len, LC_PREFIX, sizeof(LC_PREFIX) - 1);
	int64_t s = -1;

	if (p && (size_t)(text + len - p) >= LC_LEN)
		s = lc_msg_seq(p, LC_LEN);
	if (s < 0)
		c->garbled++;
	else
		lc_got_seq(c, (uint64_t)s);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void lc_quantiles(const struct lc_cfg *cfg, uint32_t *t, uint64_t n,
		  struct lc_result *res)
{
	if (!n)
		return;
	qsort(t, n, sizeof(*t), cmp_u32);
	res->p50_ns = t[(n - 1) / 2] / cfg->tsc_ghz;
	res->p99_ns = t[(n * 99 - 1) / 100] / cfg->tsc_ghz;
	res->max_ns = t[n - 1] / cfg->tsc_ghz;
}

static int lc_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static uint32_t lc_ticks(uint64_t d)
{
	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* ------------------------------------------------------------------ */
/* mcr_log() with a consumer draining                                  */
/* ------------------------------------------------------------------ */

static cpu_set_t lc_all;	/* the CPUs this process may use */

/*
 * The consumer drains, checks each record's text is a whole message and
 * keeps its sequence number; the order and duplicate checks read those
 * once the writer is done, as LTTng's trace and rsyslogd's file are read
 * afterwards.
 */
struct lc_drain {
	struct mcr_set *set;
	const struct mcr_ring *ring;
	const struct lc_cfg *cfg;
	uint32_t *kept;		/* sequence numbers, n of them */
	uint64_t nkept, extra;	/* records kept; beyond n, or garbled */
	int done;
};

static void *lc_consumer(void *a)
{
	struct lc_drain *d = a;
	struct mcr_cursor cur;
	struct mcr_record rec;
	char text[MCR_TEXT_MAX];
	uint64_t idle = 0, now = mcr_now_ns();
	bool last = false;

	mcr_cursor_init(&cur, d->ring, MCR_RING_SPSC(0));
	for (;;) {
		/* The clock, as the drain thread reads it: once a pass, not a
		 * record (nothing is abandoned here: SPSC, no bound). */
		int r = mcr_consume(d->ring, &cur, &rec, text, now,
				    (__u64)-1, MCR_RECLAIM_NS_DEFAULT);

		if (r == MCR_RECORD) {
			int64_t seq = lc_msg_seq(text, rec.len);

			if (seq >= 0 && d->nkept < d->cfg->n)
				d->kept[d->nkept++] = (uint32_t)seq;
			else
				d->extra++;
			continue;
		}
		if (r == MCR_SKIPPED)
			continue;
		now = mcr_now_ns();
		if (last)
			break;
		last = __atomic_load_n(&d->done, __ATOMIC_ACQUIRE);
		if (!last) {
			/*
			 * The drain pause, asleep, as the module's drain thread
			 * sleeps between passes: a thread that only spins is
			 * never woken, so the scheduler never places it, and
			 * it may stay queued behind the writer on the writer's
			 * CPU (whose affinity it was created with).
			 */
			struct timespec ts = {
				.tv_nsec = (long)d->cfg->backoff_ns,
			};

			nanosleep(&ts, NULL);
		}
		if (!(++idle & 63))
			mcr_set_keep_clock(d->set);
	}
	return NULL;
}

static int lc_run_mcr(const struct lc_cfg *cfg, uint32_t *t,
		      struct lc_check *chk, struct lc_result *res)
{
	struct lc_drain d = { .cfg = cfg };
	pthread_attr_t attr;
	struct mcr_writer w;
	char msg[LC_LEN + 1];
	pthread_t th;
	uint64_t t0;
	int ret;

	d.kept = malloc(cfg->n * sizeof(*d.kept));
	if (!d.kept)
		return -ENOMEM;
	memset(d.kept, 0, cfg->n * sizeof(*d.kept));	/* no fault later */
	ret = mcr_shm_create(2, 16384, 2048u * 1024, &d.set);
	if (ret) {
		free(d.kept);
		return ret;
	}
	d.ring = mcr_set_ring(d.set, MCR_RING_SPSC(0));
	ret = mcr_writer_spsc(d.set, 0, &w);
	if (!ret)	/* as every ring's writers in the benchmark */
		ret = cfg->calibrate(d.set);
	if (ret)
		goto out;
	/*
	 * Placed by the scheduler, as LTTng's consumer daemon and rsyslogd
	 * are: any CPU this process may use, from its creation on. Created
	 * with the writer's affinity (this thread's, one CPU) it would start
	 * queued behind the writer, and its timer wake-ups would keep it
	 * there.
	 */
	ret = pthread_attr_init(&attr);
	if (!ret)
		ret = pthread_attr_setaffinity_np(&attr, sizeof(lc_all),
						  &lc_all);
	if (!ret)
		ret = pthread_create(&th, &attr, lc_consumer, &d);
	pthread_attr_destroy(&attr);
	if (ret) {
		ret = -ret;
		goto out;
	}
	t0 = __rdtsc();
	for (uint64_t s = 0; s < cfg->n; s++) {
		uint64_t a;
		int rc;

		lc_pace(t0, cfg->period, s);
		lc_msg(msg, s);
		a = t_start();
		rc = mcr_log(&w, LC_PRI, msg, LC_LEN);
		t[s] = lc_ticks(t_end() - a);
		if (rc == -ENOBUFS)
			res->refused++;
		else if (rc)
			ret = rc;
	}
	res->rate = cfg->n / ((double)(__rdtsc() - t0) / cfg->tsc_ghz / 1e9);
	__atomic_store_n(&d.done, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	for (uint64_t i = 0; i < d.nkept; i++)	/* whole: checked as drained */
		lc_got_seq(chk, d.kept[i]);
	chk->garbled += d.extra;
out:
	mcr_set_close(d.set);
	free(d.kept);
	return ret;
}

/* ------------------------------------------------------------------ */
/* fprintf(3) to a file                                                */
/* ------------------------------------------------------------------ */

/* Every line of @path from byte @off on, to the checker. */
static int lc_read_lines(const char *path, off_t off, struct lc_check *chk)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		return -errno;
	if (fseeko(f, off, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	while ((len = getline(&line, &cap, f)) > 0)
		lc_got(chk, line, (size_t)len);
	free(line);
	fclose(f);
	return 0;
}

static int lc_run_fprintf(const struct lc_cfg *cfg, uint32_t *t,
			  struct lc_check *chk, struct lc_result *res)
{
	char path[4096], msg[LC_LEN + 1];
	pid_t tid = mcr_gettid();
	uint64_t t0;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/fprintf.log", cfg->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	t0 = __rdtsc();
	for (uint64_t s = 0; s < cfg->n; s++) {
		struct timespec ts;
		uint64_t a;

		lc_pace(t0, cfg->period, s);
		lc_msg(msg, s);
		a = t_start();
		clock_gettime(CLOCK_REALTIME, &ts);
		if (fprintf(f, "%lld.%09ld %d <%d> %s\n", (long long)ts.tv_sec,
			    ts.tv_nsec, tid, LC_PRI, msg) < 0)
			ret = -EIO;
		t[s] = lc_ticks(t_end() - a);
	}
	res->rate = cfg->n / ((double)(__rdtsc() - t0) / cfg->tsc_ghz / 1e9);
	if (fclose(f))
		ret = -errno;
	return ret ? ret : lc_read_lines(path, 0, chk);
}

/* ------------------------------------------------------------------ */
/* syslog(3) to rsyslogd                                               */
/* ------------------------------------------------------------------ */

static pid_t rsyslogd_pid;
static char rs_dir[4096];
static const char *lc_na[NR_LC];

static const char rs_conf[] =
	"global(workDirectory=\"%s\" maxMessageSize=\"64k\")\n"
	"main_queue(queue.type=\"Direct\")\n"
	"module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
	"template(name=\"m\" type=\"string\" string=\"%%msg%%\\n\")\n"
	"ruleset(name=\"unix\") { action(type=\"omfile\" "
	"file=\"%s/syslog.out\" template=\"m\") }\n"
	"input(type=\"imuxsock\" Socket=\"%s/log.sock\" ruleset=\"unix\" "
	"RateLimit.Interval=\"0\" CreatePath=\"on\")\n";

static int rsyslogd_start(const struct lc_cfg *cfg)
{
	char conf[4200], pidf[4200], sock[4200];
	struct stat st;
	FILE *f;

	snprintf(rs_dir, sizeof(rs_dir), "%s/rsyslog", cfg->dir);
	mkdir(rs_dir, 0755);
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", rs_dir);
	snprintf(pidf, sizeof(pidf), "%s/rsyslogd.pid", rs_dir);
	snprintf(sock, sizeof(sock), "%s/log.sock", rs_dir);
	unlink(sock);
	unlink(pidf);
	f = fopen(conf, "w");
	if (!f)
		return -errno;
	fprintf(f, rs_conf, rs_dir, rs_dir, rs_dir);
	fclose(f);
	rsyslogd_pid = fork();
	if (rsyslogd_pid < 0)
		return -errno;
	if (!rsyslogd_pid) {
		char logf[4200];
		int fd;

		snprintf(logf, sizeof(logf), "%s/rsyslogd.log", rs_dir);
		fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pidf,
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {	/* 10 s */
		if (!stat(sock, &st))
			return 0;
		if (waitpid(rsyslogd_pid, NULL, WNOHANG) == rsyslogd_pid) {
			rsyslogd_pid = 0;
			return -ENOENT;
		}
		usleep(50000);
	}
	kill(rsyslogd_pid, SIGTERM);
	waitpid(rsyslogd_pid, NULL, 0);
	rsyslogd_pid = 0;
	return -ETIMEDOUT;
}

/* The child's /dev: a tmpfs of its own whose `log` is rsyslogd's socket. */
static int lc_private_devlog(const char *sock)
{
	if (unshare(CLONE_NEWNS)) {
		/* Not root: a user namespace lets us mount. */
		uid_t uid = getuid();
		gid_t gid = getgid();
		char map[64];
		int fd;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			return -errno;
		fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "deny", 4) < 0)
				return -errno;
			close(fd);
		}
		snprintf(map, sizeof(map), "0 %u 1", uid);
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			return -EPERM;
		close(fd);
		snprintf(map, sizeof(map), "0 %u 1", gid);
		fd = open("/proc/self/gid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			return -EPERM;
		close(fd);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755,size=64k") ||
	    symlink(sock, "/dev/log"))
		return -errno;
	return 0;
}

/* Count the lines of @path past @off, until there are @want or they stop
 * coming for a second. */
static void lc_wait_lines(const char *path, off_t off, uint64_t want)
{
	uint64_t last = UINT64_MAX;

	for (int still = 0; still < 20;) {
		FILE *f = fopen(path, "r");
		uint64_t n = 0;
		int ch;

		if (f) {
			if (!fseeko(f, off, SEEK_SET))
				while ((ch = getc_unlocked(f)) != EOF)
					n += ch == '\n';
			fclose(f);
		}
		if (n >= want)
			return;
		still = n == last ? still + 1 : 0;
		last = n;
		usleep(50000);
	}
}

static int lc_run_syslog(const struct lc_cfg *cfg, uint32_t *t,
			 struct lc_check *chk, struct lc_result *res)
{
	char out[4200], sock[4200];
	size_t sz = cfg->n * sizeof(*t) + 64;
	struct stat st;
	uint32_t *sh;
	double *rate;
	int *err, status;
	off_t off;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/syslog.out", rs_dir);
	snprintf(sock, sizeof(sock), "%s/log.sock", rs_dir);
	off = stat(out, &st) ? 0 : st.st_size;
	sh = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (sh == MAP_FAILED)
		return -ENOMEM;
	rate = (double *)(sh + cfg->n + (cfg->n & 1));
	err = (int *)(rate + 1);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		munmap(sh, sz);
		return -errno;
	}
	if (!pid) {
		char msg[LC_LEN + 1];
		uint64_t t0;

		*err = lc_private_devlog(sock);
		if (*err)
			_exit(1);
		lc_pin(cfg->wcpu);
		openlog("mcrbench", LOG_NDELAY | LOG_PID, LOG_USER);
		t0 = __rdtsc();
		for (uint64_t s = 0; s < cfg->n; s++) {
			uint64_t a;

			lc_pace(t0, cfg->period, s);
			lc_msg(msg, s);
			a = t_start();
			syslog(LOG_INFO, "%s", msg);
			sh[s] = lc_ticks(t_end() - a);
		}
		*rate = cfg->n / ((double)(__rdtsc() - t0) / cfg->tsc_ghz /
				  1e9);
		closelog();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		int e = *err ? *err : -ECHILD;

		munmap(sh, sz);
		return e;
	}
	memcpy(t, sh, cfg->n * sizeof(*t));
	res->rate = *rate;
	munmap(sh, sz);
	lc_wait_lines(out, off, cfg->n);
	return lc_read_lines(out, off, chk);
}

/* ------------------------------------------------------------------ */
/* An LTTng-UST tracepoint in a session of lttng-sessiond              */
/* ------------------------------------------------------------------ */

static pid_t sessiond_pid;
static char lt_dir[4096];
static unsigned int lt_runs;

/* Run @cmd (sh -c), its output into @out; its exit status, or -1. */
static int lc_sh(char *out, size_t n, const char *fmt, ...)
{
	char cmd[8192];
	size_t o = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && n)
		out[0] = '\0';
	for (;;) {
		char buf[512];
		size_t got = fread(buf, 1, sizeof(buf), p);

		if (!got)
			break;
		if (out && o + 1 < n) {
			size_t k = got < n - 1 - o ? got : n - 1 - o;

			memcpy(out + o, buf, k);
			o += k;
			out[o] = '\0';
		}
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A session daemon: the one running, else one of ours, in the
 * foreground so that we can stop it. LTTNG_HOME keeps a non-root user's
 * daemon and its files in the benchmark's directory.
 */
static int sessiond_start(const struct lc_cfg *cfg)
{
	char home[4200];

	if (!cfg->lttng_helper || access(cfg->lttng_helper, X_OK))
		return -ENOSYS;
	snprintf(lt_dir, sizeof(lt_dir), "%s/lttng", cfg->dir);
	mkdir(lt_dir, 0755);
	snprintf(home, sizeof(home), "%s/home", lt_dir);
	mkdir(home, 0755);
	setenv("LTTNG_HOME", home, 1);
	if (!lc_sh(NULL, 0, "lttng list >/dev/null 2>&1"))
		return 0;
	sessiond_pid = fork();
	if (sessiond_pid < 0)
		return -errno;
	if (!sessiond_pid) {
		char logf[4300];
		int fd;

		snprintf(logf, sizeof(logf), "%s/sessiond.log", lt_dir);
		fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("lttng-sessiond", "lttng-sessiond", "--no-kernel",
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {	/* 10 s */
		if (!lc_sh(NULL, 0, "lttng list >/dev/null 2>&1"))
			return 0;
		if (waitpid(sessiond_pid, NULL, WNOHANG) == sessiond_pid) {
			sessiond_pid = 0;
			return -ENOENT;
		}
		usleep(100000);
	}
	return -ETIMEDOUT;
}

/*
 * One run: a session recording mcrbench:log with the thread and process
 * ids, started before the writer process registers; stopped after it
 * exits, which flushes the buffers and reports the events discarded; the
 * trace read back with babeltrace2.
 */
static int lc_run_lttng(const struct lc_cfg *cfg, uint32_t *t,
			struct lc_check *chk, struct lc_result *res)
{
	char name[64], trace[4300], bin[4300], out[8192], *w;
	unsigned long long disc = 0;
	int ret = -EIO, status;
	FILE *f;
	pid_t pid;

	snprintf(name, sizeof(name), "mcrbench-%d-%u", (int)getpid(), lt_runs++);
	snprintf(trace, sizeof(trace), "%s/%s", lt_dir, name);
	snprintf(bin, sizeof(bin), "%s/%s.bin", lt_dir, name);
	if (lc_sh(NULL, 0, "lttng create %s --output=%s >/dev/null 2>&1",
		  name, trace))
		return -EIO;
	if (lc_sh(NULL, 0, "lttng enable-event -u -s %s mcrbench:log "
		  ">/dev/null 2>&1 && lttng add-context -u -s %s -t vtid "
		  "-t vpid >/dev/null 2>&1 && lttng start %s >/dev/null 2>&1",
		  name, name, name))
		goto out_destroy;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto out_destroy;
	if (!pid) {
		char n[32], cpu[16], ghz[32], per[32];

		snprintf(n, sizeof(n), "%" PRIu64, cfg->n);
		snprintf(cpu, sizeof(cpu), "%d", cfg->wcpu);
		snprintf(ghz, sizeof(ghz), "%.9f", cfg->tsc_ghz);
		snprintf(per, sizeof(per), "%" PRIu64, cfg->period);
		execl(cfg->lttng_helper, cfg->lttng_helper, n, cpu, ghz, bin,
		      per, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	lc_sh(out, sizeof(out), "lttng stop %s 2>&1", name);
	w = strstr(out, "Warning: ");
	if (w)
		sscanf(w, "Warning: %llu events were discarded", &disc);
	res->discarded = disc;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		goto out_destroy;
	f = fopen(bin, "r");
	if (!f)
		goto out_destroy;
	if (fread(&res->rate, sizeof(res->rate), 1, f) == 1 &&
	    fread(t, sizeof(*t), cfg->n, f) == cfg->n)
		ret = 0;
	fclose(f);
	unlink(bin);
out_destroy:
	lc_sh(NULL, 0, "lttng destroy %s >/dev/null 2>&1", name);
	if (!ret) {
		FILE *p;
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;

		snprintf(out, sizeof(out), "babeltrace2 %s 2>/dev/null", trace);
		p = popen(out, "r");
		if (!p)
			return -EIO;
		while ((len = getline(&line, &cap, p)) > 0)
			lc_got(chk, line, (size_t)len);
		free(line);
		if (pclose(p))
			ret = -EIO;
	}
	lc_sh(NULL, 0, "rm -rf %s", trace);
	return ret;
}

/* ------------------------------------------------------------------ */

void lc_setup(const struct lc_cfg *cfg)
{
	int ret;

	sched_getaffinity(0, sizeof(lc_all), &lc_all);
	ret = rsyslogd_start(cfg);

	if (ret)
		lc_na[LC_SYSLOG] = ret == -ENOENT ? "rsyslogd did not start "
				   "(is rsyslog installed?)" :
				   "rsyslogd did not start";
	ret = sessiond_start(cfg);
	if (ret)
		lc_na[LC_LTTNG] = ret == -ENOSYS ? "mcrbench-lttng not built "
				  "(liblttng-ust-dev missing)" :
				  "lttng-sessiond did not start (is "
				  "lttng-tools installed?)";
}

void lc_teardown(void)
{
	if (rsyslogd_pid > 0) {
		kill(rsyslogd_pid, SIGTERM);
		waitpid(rsyslogd_pid, NULL, 0);
	}
	rsyslogd_pid = 0;
	if (sessiond_pid > 0) {
		kill(sessiond_pid, SIGTERM);
		waitpid(sessiond_pid, NULL, 0);
	}
	sessiond_pid = 0;
}

const char *lc_unavailable(int kind)
{
	return lc_na[kind];
}

int lc_run(int kind, const struct lc_cfg *cfg, struct lc_result *res)
{
	struct lc_check chk = { .n = cfg->n };
	uint32_t *t = calloc(cfg->n, sizeof(*t));
	cpu_set_t all;
	int ret;

	memset(res, 0, sizeof(*res));
	if (lc_na[kind]) {
		free(t);
		res->na = lc_na[kind];
		return -ENOENT;
	}
	chk.seen = calloc(cfg->n, 1);
	if (!t || !chk.seen) {
		free(t);
		free(chk.seen);
		res->na = "out of memory";
		return -ENOMEM;
	}
	sched_getaffinity(0, sizeof(all), &all);
	lc_pin(cfg->wcpu);
	switch (kind) {
	case LC_MCR:
		ret = lc_run_mcr(cfg, t, &chk, res);
		break;
	case LC_FPRINTF:
		ret = lc_run_fprintf(cfg, t, &chk, res);
		break;
	case LC_SYSLOG:
		ret = lc_run_syslog(cfg, t, &chk, res);
		break;
	default:
		ret = lc_run_lttng(cfg, t, &chk, res);
		break;
	}
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	if (ret) {
		res->na = kind == LC_SYSLOG && ret == -EPERM ?
			  "no mount namespace for a private /dev/log" :
			  "the run failed";
	} else {
		res->calls = cfg->n;
		res->delivered = chk.delivered;
		res->reordered = chk.reordered;
		res->dups = chk.dups;
		res->garbled = chk.garbled;
		lc_quantiles(cfg, t, cfg->n, res);
	}
	free(t);
	free(chk.seen);
	return ret;
}
