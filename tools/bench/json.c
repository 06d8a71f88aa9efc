// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's results as JSON (results.json): the machine, the targets,
 * the write path alone, memory density, the log calls, and every
 * scenario and ring with its rounds and, for mcrring, its ratios to
 * every peer in each placement.
 */
#include <inttypes.h>
#include <math.h>

#include "bench.h"

void json_num(FILE *f, const char *key, double v, bool comma)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
	else
		fprintf(f, "\"%s\": %.6g%s", key, v, comma ? ", " : "");
}

static void json_hist(FILE *f, const char *key, const struct hist *h)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1 };
	static const char *const qn[] = { "p50", "p90", "p99", "p99_9", "max" };

	fprintf(f, "\"%s\": {\"samples\": %" PRIu64 ", ", key, h->n);
	for (int i = 0; i < 5; i++)
		json_num(f, qn[i], lat_ns(h, qs[i]), i < 4);
	fprintf(f, "}");
}

/* One ratio within rounds: {"rounds": n, "median": .., "min", "max"}. */
void json_ratio(FILE *f, const char *key, const struct rratio *q,
		       bool comma)
{
	fprintf(f, "\"%s\": {\"rounds\": %d, \"lower_bound\": %s, ", key,
		q->n, q->lower ? "true" : "false");
	json_num(f, "median", q->med, true);
	json_num(f, "min", q->lo, true);
	json_num(f, "max", q->hi, false);
	fprintf(f, "}%s", comma ? ", " : "");
}

/*
 * mcrring against every peer in scenario @i, within rounds, in each
 * placement: "vs": {"ck": {"compares": .., "close": {..}, "apart": {..}}}.
 */
static void json_ratios(FILE *f, size_t i)
{
	int how = ratio_kind(&scenarios[i]);

	fprintf(f, "\"vs\": {");
	for (int p = R_CK; p < NR_KINDS; p++) {
		struct rratio close = round_ratio(&cells[i][R_MCR],
						  &cells[i][p], how, false);
		struct rratio apart = round_ratio(&cells[i][R_MCR],
						  &cells[i][p], how, true);

		fprintf(f, "\"%s\": {\"compares\": \"%s\", ", rings[p]->name,
			ratio_what[how]);
		json_ratio(f, "close", &close, true);
		json_ratio(f, "apart", &apart, false);
		fprintf(f, "}%s", p + 1 < NR_KINDS ? ", " : "");
	}
	fprintf(f, "}, ");
}

void write_json(FILE *f)
{
	fprintf(f, "{\n  \"machine\": {\"cpu\": \"%s\", \"cpus_online\": %d, "
		"\"writer_cpu\": %d, \"consumer_cpu\": %d, \"kernel\": \"%s\", "
		"\"clocksource\": \"%s\", \"tsc_flags\": \"%s\", ",
		mach.model, mach.ncpu_online, cfg.wcpu, cfg.ccpu, mach.kernel,
		mach.clocksource, mach.tsc_flags);
	json_num(f, "tsc_ghz", tsc_ghz, true);
	json_num(f, "load_start", mach.load_start, true);
	json_num(f, "load_end", mach.load_end, false);
	fprintf(f, "},\n  \"date\": \"%s\", \"rev\": \"%s\", \"rounds\": %d, "
		"\"smoke\": %s, \"drain_pause_us\": %g,\n  \"timer_ns\": {",
		mach.date, mach.rev ? mach.rev : "", cfg.rounds,
		cfg.smoke ? "true" : "false", cfg.backoff_ns / 1000);
	json_num(f, "sample_bracket_p50", mach.timer_p50_ns, true);
	json_num(f, "sample_bracket_min", mach.timer_min_ns, true);
	json_num(f, "rdtsc", mach.rdtsc_ns, true);
	json_num(f, "clock_gettime", mach.clock_ns, true);
	json_num(f, "sched_getcpu", mach.getcpu_ns, true);
	json_num(f, "tsc_map", mach.map_ns, true);
	json_num(f, "rseq_cpu", mach.rseq_ns, true);
	json_num(f, "tsc_step", mach.tsc_step_ns, true);
	json_num(f, "cross_core_rtt_best", rtt_best_ns, true);
	json_num(f, "placement_split_rtt", rtt_split_ns, true);
	fprintf(f, "\"tables_use\": \"%s\", \"runs_close\": %d, "
		"\"runs_apart\": %d", primary_far ? "apart" : "close",
		nplace[0], nplace[1]);
	fprintf(f, "},\n  \"targets\": [\n");
	for (int i = 0; i < ntargets; i++)
		fprintf(f, "    {\"target\": \"%s\", \"goal\": \"%s\", "
			"\"measured\": \"%s\", \"met\": %s}%s\n",
			targets[i].what, targets[i].goal, targets[i].got,
			targets[i].met < 0 ? "null" : targets[i].met ? "true" :
			"false", i + 1 < ntargets ? "," : "");
	fprintf(f, "  ],\n  \"write_path_alone_ns\": [\n");
	for (int z = 0; z < SOLO_SIZES; z++)
		for (int g = 0; g < 2; g++) {
			fprintf(f, "    {\"bytes\": %u, \"clock\": \"%s\", ",
				solo_size[z], g ? "clock_gettime" : "tsc_map");
			for (int k = 0; k < NR_KINDS; k++)
				json_num(f, rings[k]->name, solo_ns[z][g][k],
					 k + 1 < NR_KINDS);
			fprintf(f, "}%s\n", z + 1 < SOLO_SIZES || !g ? "," : "");
		}
	fprintf(f, "  ],\n  ");
	json_num(f, "muted_call_ns", solo_muted_ns, true);
	fprintf(f, "\n  \"density_100B\": [\n");
	for (int i = 0; i < ndensities; i++) {
		fprintf(f, "    {\"layout\": \"%s\", ", densities[i].layout);
		json_num(f, "bytes_per_record", densities[i].bytes_per_rec, true);
		json_num(f, "records_per_mib", densities[i].per_mib, false);
		fprintf(f, "}%s\n", i + 1 < ndensities ? "," : "");
	}
	fprintf(f, "  ],\n");
	json_logcalls(f);
	fprintf(f, "  \"results\": [\n");
	bool first = true;

	for (size_t i = 0; i < NR_SCEN; i++) {
		const struct scenario *sc = &scenarios[i];

		for (int k = 0; k < NR_KINDS; k++) {
			struct cell *ce = &cells[i][k];

			if (!ce->nr && !ce->na)
				continue;
			fprintf(f, "%s    {\"scenario\": \"%s\", \"ring\": \"%s\", "
				"\"mode\": \"%s\", \"mpsc\": %s, \"writers\": %u, "
				"\"oversubscribed\": %s, \"size\": %u, "
				"\"capacity\": %u, \"bytes\": %" PRIu64 ", ",
				first ? "" : ",\n", sc->id,
				rings[k]->name, mode_name[sc->mode],
				sc->mpsc ? "true" : "false", sc->nw,
				oversubscribed(sc) ? "true" : "false", sc->size,
				ring_records(k, sc->size),
				ring_bytes(k, ring_capacity(k, sc->size),
					   sc->size));
			first = false;
			json_num(f, "offered_per_s", sc->mode == M_PACED ?
				 sc->rate : NAN, true);
			if (ce->na) {
				fprintf(f, "\"na\": \"%s\"}", ce->na_why);
				continue;
			}
			fprintf(f, "\"rounds_used\": %d, \"enough_rounds\": %s, ",
				rounds_of(ce), ce->enough ? "true" : "false");
			if (ratio_kind(sc) == RT_COMPLETE) {
				json_num(f, "complete_s_median", ce->cmed, true);
				json_num(f, "complete_s_min", ce->clo, true);
				json_num(f, "complete_s_max", ce->chi, true);
				json_num(f, "longest_stall_ns_median", ce->smed,
					 true);
				json_num(f, "longest_stall_ns_max", ce->smax,
					 true);
			}
			json_num(f, "rate_median", ce->med, true);
			json_num(f, "rate_min", ce->lo, true);
			json_num(f, "rate_max", ce->hi, true);
			json_num(f, "write_calls_per_s", ce->wmed, true);
			json_num(f, "consumed_per_s", ce->dmed, true);
			json_num(f, "rate_median_other_placement", ce->omed, true);
			json_hist(f, "write_ns", ce->lat);
			fprintf(f, ", ");
			json_hist(f, "e2e_ns", ce->e2e);
			fprintf(f, ", \"attempts\": %" PRIu64 ", \"accepted\": %"
				PRIu64 ", \"refused\": %" PRIu64 ", ",
				ce->attempts, ce->accepted, ce->refused);
			json_num(f, "drop_pct", sc->mode == M_FLAT ? 0 :
				 drop_pct(ce), true);
			fprintf(f, "\"checks\": {\"received\": %" PRIu64
				", \"lost\": %" PRIu64 ", \"stranded\": %" PRIu64
				", \"reordered\": %" PRIu64 ", \"duplicated\": %"
				PRIu64 ", \"torn\": %" PRIu64 ", \"skipped\": %"
				PRIu64 ", \"errors\": %" PRIu64
				", \"counters_agree\": %s, \"timeouts\": %d, "
				"\"clean\": %s}, ", ce->received, ce->lost,
				ce->stranded, ce->reordered, ce->dups, ce->torn,
				ce->skipped, ce->errors,
				ce->acct_ok ? "true" : "false", ce->timeouts,
				cell_clean(ce) ? "true" : "false");
			if (k == R_MCR)
				json_ratios(f, i);
			fprintf(f, "\"rounds\": [");
			for (int r = 0; r < ce->nr; r++) {
				const struct run_result *rr = &ce->rr[r];

				fprintf(f, "%s{", r ? ", " : "");
				fprintf(f, "\"round\": %d, \"bursts\": %" PRIu64
					", ", rr->round + 1, rr->bursts);
				json_num(f, "rate", rr->rate, true);
				json_num(f, "complete_s", isinf(rr->complete_s) ?
					 NAN : rr->complete_s, true);
				json_num(f, "longest_stall_ns", rr->stall_ns, true);
				json_num(f, "stolen_ms", rr->stolen_ms, true);
				json_num(f, "rtt_ns", rr->rtt_ns, true);
				fprintf(f, "\"placement\": \"%s\", ",
					placement(rr) ? "apart" : "close");
				fprintf(f, "\"preempted\": %ld, \"steal_ticks\": %"
					PRIu64 ", \"disturbed\": %s, "
					"\"timeout\": %s}", rr->nivcsw,
					rr->steal_ticks,
					rr->disturbed ? "true" : "false",
					rr->timeout ? "true" : "false");
			}
			fprintf(f, "]}");
		}
	}
	fprintf(f, "\n  ]\n}\n");
}
