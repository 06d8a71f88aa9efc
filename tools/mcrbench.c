// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench: latency and throughput of mcrring's write path, side by side
 * with Concurrency Kit's typed ring, DPDK's rte_ring (element API in its
 * default, RTS and HTS multi-producer modes; a ring of pointers to pooled
 * records) and the proof of concept's own design (512-byte slots,
 * EMPTY/WRITING/READY), in one run, on the host; then the log calls a
 * user would pick instead (tools/bench/logcalls.c).
 *
 * Every ring gets the same bytes and kind of memory and carries the same
 * payload by value; writers are pinned (all on one core, each on its own,
 * or round robin: see the placements), a consumer drains concurrently on
 * another core. Per-write latency comes from sampled writes timed with
 * lfence;rdtsc ... rdtscp (tools/bench/tsc.h; the timer's own cost is
 * measured and reported), end-to-end latency from the same samples' TSC
 * carried in the payload, read back by the consumer. The consumer checks
 * every record of every ring for loss, duplicates, order and torn text.
 * A round whose threads lost CPU time to anybody else is flagged; a cell
 * prints numbers only from enough undisturbed rounds, and ratios between
 * rings are taken within rounds. The targets the report judges come from
 * a data file (--targets, tools/bench/targets.txt).
 *
 * This file is the driver (options, the rounds, the outputs); the parts
 * live in tools/bench/, one concern a file, declared in bench.h: the
 * clock, statistics, scenarios, one run, a file per ring, the machine,
 * the write path alone, density, results, targets, the report (markdown,
 * JSON, plots' data), the log calls, the smoke.
 *
 *   mcrbench [--rounds N] [--out DIR]   full run: results.md/.json, plots
 *   mcrbench --smoke [--out DIR]        tiny run; prints TAP lines
 *
 * x86-64 only (rdtsc). See tools/bench.mk for `make bench`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"

#define RUN_TIMEOUT_S	4		/* a run still going after this is stopped */
/* A smoke run: mcrring's take milliseconds; a peer that convoys is stopped */
#define SMOKE_TIMEOUT_S	10
#define TARGETS_FILE	"tools/bench/targets.txt"

struct bench_cfg cfg;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcrbench [--smoke] [--rounds N] [--out DIR] [--only ID]\n"
		"                [--writer-cpu N] [--consumer-cpu N] [--rev TEXT]\n"
		"                [--drain-pause-us N] [--min-rounds N]\n"
		"                [--targets FILE] [--quiet] [--list]\n"
		"  full run: writes DIR/results.md, results.json and the plots'\n"
		"  data (DIR defaults to build/bench) and prints the table.\n"
		"  A cell resting on fewer than --min-rounds (3) undisturbed\n"
		"  rounds in the tables' placement prints no number.\n"
		"  --targets: the targets the report judges (default\n"
		"  " TARGETS_FILE ", from the source tree's top).\n"
		"  --smoke: tiny run of every scenario and ring plus self-tests\n"
		"  of the checks; prints one TAP line, asserts no timing.\n");
}

/* One run's line on stderr: its figures, its checks, its disturbance. */
static void print_run(const struct scenario *sc, int k, int r,
		      const struct run_result *res, const struct hist *hl)
{
	char rt[32], p50[32], p99[32], ck[160];
	struct cell one = { .sc = sc, .nr = 1, .acct_ok = res->acct_ok };

	one.lost = res->lost;
	one.reordered = res->reordered;
	one.dups = res->dups;
	one.torn = res->torn;
	one.stranded = res->stranded;
	one.skipped = res->skipped;
	one.errors = res->errors;
	one.timeouts = res->timeout;
	check_text(&one, ck, sizeof(ck));
	if (ratio_kind(sc) == RT_COMPLETE) {
		/* a time and a stall, not a rate */
		fmt_secs(res->complete_s, rt, sizeof(rt));
		fmt_dur(res->stall_ns, p99, sizeof(p99));
		fprintf(stderr, "[%d/%d] %-16s %-8s completes in %s, "
			"longest stall %s", r + 1, cfg.rounds, sc->id,
			rings[k]->name, rt, p99);
	}
	fmt_rate(res->rate, rt, sizeof(rt));
	fmt_ns(lat_ns(hl, 0.5), p50, sizeof(p50));
	fmt_ns(lat_ns(hl, 0.99), p99, sizeof(p99));
	if (ratio_kind(sc) != RT_COMPLETE)
		fprintf(stderr, "[%d/%d] %-16s %-8s %9s/s p50 %6s p99 %8s "
			"drops %" PRIu64, r + 1, cfg.rounds, sc->id,
			rings[k]->name, rt, p50, p99,
			sc->mode == M_FLAT ? 0 : res->refused);
	fprintf(stderr, " %s", ck);
	fprintf(stderr, " [rtt %.0f ns, %.2f ms lost, %ld preempted, %" PRIu64
		" steal]%s", res->rtt_ns, res->stolen_ms, res->nivcsw,
		res->steal_ticks, res->disturbed ? " DISTURBED" : "");
	fprintf(stderr, "\n");
}

/*
 * Every round: each selected scenario on every ring that can run it, the
 * rings in an order that turns with the round. 0, or 1 out of memory.
 */
static int run_rounds(const char *only, bool quiet)
{
	for (int r = 0; r < cfg.rounds; r++) {
		for (size_t i = 0; i < NR_SCEN; i++) {
			const struct scenario *sc = &scenarios[i];

			if (!selected(only, sc->id))
				continue;
			for (int j = 0; j < NR_KINDS; j++) {
				int k = (j + r) % NR_KINDS;
				struct cell *ce = &cells[i][k];
				struct run_result *res;
				struct hist *hl, *he;
				int ret;

				ce->sc = sc;
				ce->kind = k;
				if (!kind_supports(k, sc, &ce->na_why)) {
					ce->na = true;
					continue;
				}
				res = &ce->rr[ce->nr];
				hl = calloc(1, sizeof(*hl));
				he = calloc(1, sizeof(*he));
				if (!hl || !he)
					return 1;
				ret = run_once(sc, k, res, hl, he);
				res->round = r;
				if (ret) {
					fprintf(stderr, "mcrbench: %s %s: %s\n",
						sc->id, rings[k]->name,
						strerror(-ret));
					free(hl);
					free(he);
					continue;
				}
				ce->nr++;	/* its hists stay with it */
				if (!quiet)
					print_run(sc, k, r, res, hl);
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "writer-cpu", required_argument, NULL, 'w' },
		{ "consumer-cpu", required_argument, NULL, 'c' },
		{ "rev", required_argument, NULL, 'R' },
		{ "drain-pause-us", required_argument, NULL, 'P' },
		{ "min-rounds", required_argument, NULL, 'm' },
		{ "targets", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL, *only = NULL, *targets_file = TARGETS_FILE;
	bool quiet = false, rounds_set = false;
	int opt, ncells = 0, nna = 0;

	cfg.wcpu = cfg.ccpu = -1;
	cfg.backoff_ns = 20000;
	cfg.min_rounds = 3;
	cfg.rounds = 5;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.smoke = true;
			break;
		case 'r':
			cfg.rounds = atoi(optarg);
			rounds_set = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'O':
			only = optarg;
			break;
		case 'w':
			cfg.wcpu = atoi(optarg);
			break;
		case 'c':
			cfg.ccpu = atoi(optarg);
			break;
		case 'R':
			mach.rev = optarg;
			break;
		case 'P':
			cfg.backoff_ns = atof(optarg) * 1000;
			break;
		case 'm':
			cfg.min_rounds = atoi(optarg);
			break;
		case 't':
			targets_file = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'l':
			for (size_t i = 0; i < NR_SCEN; i++)
				printf("%-18s %s\n", scenarios[i].id,
				       scenarios[i].title);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || cfg.rounds < 1 || cfg.rounds > MAXROUNDS) {
		usage(stderr);
		return 2;
	}
	if (load_targets(targets_file))
		return 2;
	if (cfg.smoke && !rounds_set)
		cfg.rounds = 1;
	if (!out)
		out = cfg.smoke ? "build/bench-smoke" : "build/bench";
	mkdir(out, 0755);
	cfg.timeout_s = cfg.smoke ? SMOKE_TIMEOUT_S : RUN_TIMEOUT_S;

	machine_info();
	if (cfg.wcpu < 0)
		cfg.wcpu = mach.cpus[0];
	if (cfg.ccpu < 0)
		cfg.ccpu = mach.ncpu_allowed > 1 ? mach.cpus[1] : mach.cpus[0];
	mach.load_start = loadavg1();
	calibrate_tsc(cfg.smoke ? 30 : 300);
	if (clock_start()) {
		fprintf(stderr, "mcrbench: cannot keep a TSC clock\n");
		return 1;
	}
	timer_cost(cfg.smoke ? 20000 : 200000);
	measure_rtt();
	measure_density();
	measure_solo();
	if (!quiet)
		fprintf(stderr, "mcrbench: TSC %.3f GHz, timer bracket %.1f ns, "
			"clock_gettime %.1f ns; writers on CPU %d, consumer on "
			"CPU %d; cross-core round trip %.0f ns; load %.2f\n",
			tsc_ghz, mach.timer_p50_ns, mach.clock_ns, cfg.wcpu,
			cfg.ccpu, rtt_best_ns, mach.load_start);

	if (run_rounds(only, quiet))
		return 1;
	if (selected(only, "logcalls"))
		logcall_rounds(out, quiet);
	mach.load_end = loadavg1();
	summarise_all(&ncells, &nna);
	eval_targets();
	if (write_outputs(out, !cfg.smoke && !quiet))
		fprintf(stderr, "mcrbench: cannot write to %s\n", out);
	if (cfg.smoke)
		return smoke_report(only, ncells, nna);
	return 0;
}
