// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's report in markdown (results.md, printed after a full run):
 * the machine and the method, the targets, mcrring against its peers,
 * every ring's figures, the oversubscribed runs, the log calls, the other
 * placement, the write path alone, memory, loss and order; and where the
 * report, its JSON and the plots' data are written.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "bench.h"

static void scen_title(const struct scenario *sc, char *buf, size_t n)
{
	if (oversubscribed(sc) && sc->nw > 1)
		snprintf(buf, n, "%s (oversubscribed: %u writers share %s)",
			 sc->title, sc->nw,
			 mach.ncpu_allowed <= 2 ? "one core" : "the cores");
	else
		snprintf(buf, n, "%s", sc->title);
}

static void rounds_text(const struct cell *ce, char *buf, size_t n)
{
	int dist = 0, other = 0;

	for (int i = 0; i < ce->nr; i++) {
		if (placement(&ce->rr[i]) != primary_far)
			other++;
		else
			dist += ce->rr[i].disturbed;
	}
	if (ce->sel == 2)
		snprintf(buf, n, "%d, other placement only", ce->nr);
	else if (ce->sel == 1)
		snprintf(buf, n, "%d of %d, all disturbed", ce->nused, ce->nr);
	else if (dist || other)
		snprintf(buf, n, "%d of %d (%d disturbed, %d other placement)",
			 ce->nused, ce->nr, dist, other);
	else
		snprintf(buf, n, "%d", ce->nr);
}

static void drops_text(const struct cell *ce, char *buf, size_t n)
{
	if (ce->sc->mode == M_FLAT) {
		char p[32];

		fmt_pct(ce->urefused, ce->uattempts, p, sizeof(p));
		snprintf(buf, n, "0 (retried %s)", p);
	} else {
		fmt_pct(ce->urefused, ce->uattempts, buf, n);
	}
}

/* The rest of a table's head: a column a ring, after a first one. */
static void ring_columns(FILE *f)
{
	for (int k = 0; k < NR_KINDS; k++)
		fprintf(f, " %s |", rings[k]->name);
	fprintf(f, "\n| --- |");
	for (int k = 0; k < NR_KINDS; k++)
		fprintf(f, " --- |");
	fprintf(f, "\n");
}

/* A cell's headline with its spread and rounds, or why there is none. */
static void cell_value(const struct cell *ce, char *buf, size_t n)
{
	char a[64], b[64], c[64];

	if (!ce->enough) {
		snprintf(buf, n, "too few rounds (%d)", rounds_of(ce));
		return;
	}
	switch (ratio_kind(ce->sc)) {
	case RT_P50:
		fmt_ns(lat_ns(ce->lat, 0.5), a, sizeof(a));
		fmt_ns(lat_ns(ce->lat, 0.99), b, sizeof(b));
		snprintf(buf, n, "write p50 %s, p99 %s ns (%d)", a, b,
			 ce->nused);
		break;
	case RT_COMPLETE:
		fmt_secs(ce->cmed, a, sizeof(a));
		fmt_secs(ce->clo, b, sizeof(b));
		fmt_secs(ce->chi, c, sizeof(c));
		snprintf(buf, n, "completes in %s [%s-%s] (%d)", a, b, c,
			 ce->nused);
		break;
	default:
		fmt_rate(ce->med, a, sizeof(a));
		fmt_rate(ce->lo, b, sizeof(b));
		fmt_rate(ce->hi, c, sizeof(c));
		snprintf(buf, n, "%s/s [%s-%s] (%d)", a, b, c, ce->nused);
	}
}

/*
 * More writers than cores: every ring's time to complete and longest
 * stall, with the time ratio to mcrring taken within rounds.
 */
static void write_oversub(FILE *f)
{
	bool head = false;

	for (size_t i = 0; i < NR_SCEN; i++) {
		const struct scenario *sc = &scenarios[i];

		if (ratio_kind(sc) != RT_COMPLETE || !cells[i][R_MCR].nr)
			continue;
		if (!head)
			fprintf(f, "\n### More writers than cores\n\n"
				"Every writer pinned to one core, the consumer "
				"on another: a writer preempted while it holds "
				"a slot stalls every ring whose writers publish "
				"in turn. Every write is timed. *Time to "
				"complete*: first write to last record consumed, "
				"median [min-max] of the rounds (*stopped*: the "
				"watchdog ended a round after %d s). *Longest "
				"stall*: the longest write call (a refused "
				"write's retries included) of any writer, "
				"median of the rounds' [longest of all]. *Time "
				"vs mcrring*: the peer's time / mcrring's, "
				"within rounds.\n\n| scenario | ring | time to "
				"complete | longest stall | write p99 | p99.9 | "
				"time vs mcrring | checks | rounds |\n| --- | "
				"--- | --- | --- | --- | --- | --- | --- | --- |"
				"\n", 2 * cfg.timeout_s);
		head = true;
		for (int k = 0; k < NR_KINDS; k++) {
			const struct cell *ce = &cells[i][k];
			char a[96], b[32], c[32], d[32], e[32], r[64], t[160];
			char rn[96];
			struct rratio q;

			if (ce->na || !ce->nr)
				continue;
			check_text(ce, t, sizeof(t));
			cell_value(ce, a, sizeof(a));
			rounds_text(ce, rn, sizeof(rn));
			if (!ce->enough) {
				fprintf(f, "| %s | %s | %s | | | | | %s | %s |\n",
					sc->id, rings[k]->name, a, t, rn);
				continue;
			}
			fmt_dur(ce->smed, b, sizeof(b));
			fmt_dur(ce->smax, c, sizeof(c));
			fmt_ns(lat_ns(ce->lat, 0.99), d, sizeof(d));
			fmt_ns(lat_ns(ce->lat, 0.999), e, sizeof(e));
			if (k == R_MCR) {
				snprintf(r, sizeof(r), "-");
			} else {
				q = round_ratio(&cells[i][R_MCR], ce,
						RT_COMPLETE, primary_far);
				fmt_ratio(&q, r, sizeof(r));
			}
			fprintf(f, "| %s | %s | %s | %s [%s] | %s | %s | %s | "
				"%s | %s |\n", sc->id, rings[k]->name, a, b, c, d,
				e, r, t, rn);
		}
	}
}

static void write_markdown(FILE *f)
{
	char a[256], b[64], c[64], d[64], e[64], g[64], h[64], t[160];

	fprintf(f, "## mcrbench results\n\n");
	if (cfg.smoke)
		fprintf(f, "**Smoke run**: a few thousand records per run, one "
			"round. It proves that every scenario and ring runs and "
			"that the checks work; its numbers mean nothing.\n\n");
	fprintf(f, "- **Machine**: %s, %d CPUs online; writers pinned to CPU %d, "
		"consumer to CPU %d; %s; TSC %.3f GHz (%s), clocksource %s.\n",
		mach.model, mach.ncpu_online, cfg.wcpu, cfg.ccpu, mach.kernel,
		tsc_ghz, mach.tsc_flags, mach.clocksource);
	fprintf(f, "- **When**: %s, mcrring %s; 1-minute load average %.2f "
		"at start, %.2f at end.\n", mach.date,
		mach.rev ? mach.rev : "(rev unknown)", mach.load_start,
		mach.load_end);
	fprintf(f, "- **Timer**: a sampled write is bracketed by "
		"`lfence; rdtsc` ... `rdtscp; lfence`; the bracket alone costs "
		"%.1f ns (median; min %.1f ns) and is included in every write "
		"latency below. The TSC moves in steps of %.1f ns here, so "
		"latencies are quantised to that. For scale: `rdtsc` %.1f ns, "
		"`clock_gettime(CLOCK_MONOTONIC)` %.1f ns, `sched_getcpu` "
		"%.1f ns (back-to-back loops). Every ring's records are "
		"stamped with CLOCK_MONOTONIC from the TSC map libmcrring keeps "
		"(%.1f ns) and writers read their CPU from the rseq area "
		"(%.1f ns).\n", mach.timer_p50_ns,
		mach.timer_min_ns, mach.tsc_step_ns, mach.rdtsc_ns,
		mach.clock_ns, mach.getcpu_ns, mach.map_ns, mach.rseq_ns);
	{
		double v[4096], lo = NAN, hi = NAN, med = NAN;
		int n = 0;

		for (size_t i = 0; i < NR_SCEN; i++)
			for (int k = 0; k < NR_KINDS; k++)
				for (int r = 0; r < cells[i][k].nr && n < 4096; r++)
					if (!isnan(cells[i][k].rr[r].rtt_ns))
						v[n++] = cells[i][k].rr[r].rtt_ns;
		if (n) {
			qsort(v, n, sizeof(v[0]), cmp_dbl);
			lo = v[0];
			med = v[n / 2];
			hi = v[n - 1];
		}
		fprintf(f, "- **Placement**: the cross-core round trip (one "
			"cache line, CPU %d to %d and back, measured just before "
			"each run) was %.0f ns median, %.0f-%.0f ns. The host "
			"moves the vCPUs: %d runs found them close (round trip "
			"<= %.0f ns), %d apart. The tables use the runs %s "
			"(%d of them undisturbed); the other placement's "
			"flat-out rates are in their own table below.\n",
			cfg.wcpu, cfg.ccpu, med, lo, hi, nplace[0],
			rtt_split_ns, nplace[1],
			primary_far ? "apart" : "close",
			nplace_clean[primary_far]);
	}
	fprintf(f, "- **Method**: %d rounds, scenarios and rings interleaved. "
		"Every ring gets the same bytes and kind of memory (see *Memory "
		"every ring gets*). Same payload by value, "
		"same placement; the consumer drains concurrently and checks "
		"every record for loss, duplicates, order and torn text. Like "
		"mcrring's drain thread (which sleeps 1 ms after a pass that "
		"moved fewer than 512 records), the consumer drains what is "
		"there and, finding a ring empty, waits %.0f µs before looking "
		"again, for every ring alike (`--drain-pause-us`); "
		"*spsc-flat-128-spin* shows a consumer spinning on the empty "
		"ring instead, *spsc-flat-128-drain* one pausing 1 ms, as the "
		"drain thread does each time it has caught up. Rates are the "
		"median [min-max] of undisturbed rounds; latencies pool the "
		"sampled writes (1 in 15 flat out, 1 in 3 paced) of those "
		"rounds. A round is *disturbed* when one of its threads lost "
		"more than 2 %% of the run to someone else (its CPU time "
		"against the wall clock) or the hypervisor reported steal; "
		"disturbed rounds are left out when any other round is "
		"left.\n", cfg.rounds,
		cfg.backoff_ns / 1000);
	fprintf(f, "- **Rates**: *flat* = records consumed per second, writers "
		"retry a full ring; *flat-drop* = write calls per second (the "
		"seed's ops/s), a full ring drops; *paced* = offered on a fixed "
		"schedule, a full ring drops. *e2e* = write call to consumer "
		"seeing the record.\n\n");

	fprintf(f, "### Targets\n\n| target | goal | mcrring | met |\n"
		"| --- | --- | --- | --- |\n");
	for (int i = 0; i < ntargets; i++)
		fprintf(f, "| %s | %s | %s | %s |\n", targets[i].what,
			targets[i].goal, targets[i].got,
			targets[i].met < 0 ? "-" : targets[i].met ? "yes" :
			"**no**");

	fprintf(f, "\n### mcrring against its peers\n\n"
		"mcrring's figure: median [min-max] (rounds). A ratio is "
		"mcrring's advantage (> 1: mcrring is better), taken within "
		"each round from the two runs of that round (same placement, "
		"both undisturbed), then median [min-max] (rounds); flat "
		"scenarios compare rates, paced ones p50 write latency, the "
		"oversubscribed one the time to complete. Fewer than %d "
		"rounds: no number.\n\n| scenario | mcrring |",
		cfg.min_rounds);
	for (int k = R_CK; k < NR_KINDS; k++)
		fprintf(f, " vs %s |", rings[k]->name);
	fprintf(f, " mcrring checks |\n| --- | --- |");
	for (int k = R_CK; k < NR_KINDS; k++)
		fprintf(f, " --- |");
	fprintf(f, " --- |\n");
	for (size_t i = 0; i < NR_SCEN; i++) {
		struct cell *m = &cells[i][R_MCR];

		if (m->na) {
			fprintf(f, "| %s | n/a: %s |", scenarios[i].id,
				m->na_why);
			for (int k = R_CK; k <= NR_KINDS; k++)
				fprintf(f, " |");
			fprintf(f, "\n");
			continue;
		}
		if (!m->nr)
			continue;
		cell_value(m, a, sizeof(a));
		check_text(m, t, sizeof(t));
		fprintf(f, "| %s | %s |", scenarios[i].id, a);
		for (int k = R_CK; k < NR_KINDS; k++) {
			struct rratio q;

			if (cells[i][k].na) {
				fprintf(f, " n/a |");
				continue;
			}
			q = round_ratio(m, &cells[i][k],
					ratio_kind(&scenarios[i]), primary_far);
			fmt_ratio(&q, b, sizeof(b));
			fprintf(f, " %s |", b);
		}
		fprintf(f, " %s |\n", t);
	}

	fprintf(f, "\n### All rings\n\n"
		"Rates: median [min-max] of the rounds used; latencies pool "
		"their sampled writes. Oversubscribed MPSC: the time to "
		"complete instead of a rate, *max* is the longest stall.\n\n"
		"| scenario | ring | rate [min-max] | write p50 | p90 | p99 | "
		"p99.9 | max | e2e p50 | e2e p99 | drops | checks | rounds |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | "
		"--- | --- | --- |\n");
	for (size_t i = 0; i < NR_SCEN; i++) {
		char title[200];

		if (!cells[i][R_MCR].nr && !cells[i][R_MCR].na)
			continue;
		scen_title(&scenarios[i], title, sizeof(title));
		fprintf(f, "| **%s** — %s | | | | | | | | | | | | |\n",
			scenarios[i].id, title);
		for (int k = 0; k < NR_KINDS; k++) {
			struct cell *ce = &cells[i][k];
			char lo[64], hi[64], dr[64], rn[96];

			if (ce->na) {
				fprintf(f, "| | %s | n/a: %s | | | | | | | | | "
					"| |\n", rings[k]->name, ce->na_why);
				continue;
			}
			if (!ce->nr)
				continue;
			check_text(ce, t, sizeof(t));
			rounds_text(ce, rn, sizeof(rn));
			if (!ce->enough) {
				fprintf(f, "| | %s | too few rounds (%d) | | | | "
					"| | | | | %s | %s |\n", rings[k]->name,
					rounds_of(ce), t, rn);
				continue;
			}
			if (ratio_kind(ce->sc) == RT_COMPLETE) {
				fmt_secs(ce->cmed, lo, sizeof(lo));
				fmt_secs(ce->clo, hi, sizeof(hi));
				fmt_secs(ce->chi, dr, sizeof(dr));
				snprintf(a, sizeof(a), "completes in %s [%s-%s]",
					 lo, hi, dr);
			} else {
				fmt_rate(ce->med, b, sizeof(b));
				fmt_rate(ce->lo, lo, sizeof(lo));
				fmt_rate(ce->hi, hi, sizeof(hi));
				snprintf(a, sizeof(a), "%s/s [%s-%s]", b, lo, hi);
			}
			fmt_ns(lat_ns(ce->lat, 0.5), b, sizeof(b));
			fmt_ns(lat_ns(ce->lat, 0.9), c, sizeof(c));
			fmt_ns(lat_ns(ce->lat, 0.99), d, sizeof(d));
			fmt_ns(lat_ns(ce->lat, 0.999), e, sizeof(e));
			fmt_ns(lat_ns(ce->lat, 1), g, sizeof(g));
			fmt_ns(lat_ns(ce->e2e, 0.5), h, sizeof(h));
			fmt_ns(lat_ns(ce->e2e, 0.99), lo, sizeof(lo));
			drops_text(ce, dr, sizeof(dr));
			fprintf(f, "| | %s | %s | %s | %s | %s | %s | %s | %s | "
				"%s | %s | %s | %s |\n", rings[k]->name, a, b, c,
				d, e, g, h, lo, dr, t, rn);
		}
	}

	write_oversub(f);
	write_logcalls(f);

	if (nplace_clean[!primary_far]) {
		fprintf(f, "\n### Other placement: vCPUs %s\n\n"
			"Median records/s of the undisturbed rounds that ran with "
			"the vCPUs %s.\n\n| scenario |", primary_far ? "close" :
			"apart", primary_far ? "close" : "apart");
		ring_columns(f);
		for (size_t i = 0; i < NR_SCEN; i++) {
			if (scenarios[i].mode == M_PACED ||
			    ratio_kind(&scenarios[i]) == RT_COMPLETE ||
			    !cells[i][R_MCR].nr)
				continue;
			fprintf(f, "| %s |", scenarios[i].id);
			for (int k = 0; k < NR_KINDS; k++) {
				struct cell *ce = &cells[i][k];

				if (ce->na) {
					fprintf(f, " n/a |");
					continue;
				}
				if (ce->nother < cfg.min_rounds) {
					fprintf(f, " too few rounds (%d) |",
						ce->nother);
					continue;
				}
				fmt_rate(ce->omed, a, sizeof(a));
				fprintf(f, " %s/s (%d) |", a, ce->nother);
			}
			fprintf(f, "\n");
		}
	}

	fprintf(f, "\n### The write path alone\n\n"
		"One thread on CPU %d writes batches of %d records into an "
		"empty ring, each batch timed whole, and drains them untimed "
		"before the next; ns per write, median of batches. No second "
		"core takes part, so the vCPUs' placement does not move these. "
		"*TSC map*: every ring stamps CLOCK_MONOTONIC from libmcrring's "
		"map; *clock_gettime*: every ring calls it, as mcrring's "
		"writers do where nobody keeps a map.\n\n| bytes | clock |",
		cfg.wcpu, SOLO_BATCH);
	/* A column per ring, then each peer's time over mcrring's. */
	for (int k = 0; k < NR_KINDS; k++)
		fprintf(f, " %s |", rings[k]->name);
	for (int k = R_CK; k < NR_KINDS; k++)
		fprintf(f, " vs %s |", rings[k]->name);
	fprintf(f, "\n| --- | --- |");
	for (int k = 0; k < 2 * NR_KINDS - 1; k++)
		fprintf(f, " --- |");
	fprintf(f, "\n");
	for (int z = 0; z < SOLO_SIZES; z++)
		for (int g = 0; g < 2; g++) {
			const double *ns = solo_ns[z][g];

			fprintf(f, "| %u | %s |", solo_size[z],
				g ? "clock_gettime" : "TSC map");
			for (int k = 0; k < NR_KINDS; k++)
				fprintf(f, isnan(ns[k]) ? " n/a |" : " %.1f |",
					ns[k]);
			for (int k = R_CK; k < NR_KINDS; k++)
				fprintf(f, isnan(ns[k]) ? " n/a |" : " %.2fx |",
					ns[k] / ns[R_MCR]);
			fprintf(f, "\n");
		}
	fprintf(f, "\nA call whose priority the runtime levels mute "
		"(`mcr_log()` of 128 bytes, returns -ENOMSG, writes nothing): "
		"%.1f ns, against %.1f ns for the write it replaces (TSC map); "
		"goal <= 2 ns.\n", solo_muted_ns, solo_ns[1][0][R_MCR]);

	fprintf(f, "\n### Memory density, 100-byte messages\n\n"
		"| layout | bytes per record | records per MiB | how |\n"
		"| --- | --- | --- | --- |\n");
	for (int i = 0; i < ndensities; i++)
		fprintf(f, "| %s | %.0f | %.0f | %s |\n",
			densities[i].layout, densities[i].bytes_per_rec,
			densities[i].per_mib, densities[i].how);

	fprintf(f, "\n### Memory every ring gets\n\n"
		"Every ring gets the bytes mcrring's default ring takes "
		"(%.2f MiB: 16384 descriptors, 2 MiB of text), of the same kind "
		"(a memfd mapped shared, prefaulted): a peer gets the most "
		"slots, a power of two, that fit, with its element sized for "
		"the scenario's message (the best case for a fixed-size ring). "
		"Records each ring holds, by message size:\n\n| bytes |",
		(double)ring_bytes(R_MCR, 0, 128) / 1048576.0);
	ring_columns(f);
	for (int z = 0; z < 4; z++) {
		static const uint32_t sz[] = { 16, 128, 1024, 4096 };

		fprintf(f, "| %u |", sz[z]);
		for (int k = 0; k < NR_KINDS; k++) {
			if (rings[k]->cannot && rings[k]->cannot(true, sz[z]))
				fprintf(f, " n/a |");
			else
				fprintf(f, " %u (%.2f MiB) |",
					ring_records(k, sz[z]),
					(double)ring_bytes(k,
						ring_capacity(k, sz[z]),
						sz[z]) / 1048576.0);
		}
		fprintf(f, "\n");
	}

	fprintf(f, "\n### Loss and order, every ring\n\n");
	for (int k = 0; k < NR_KINDS; k++) {
		uint64_t lost = 0, reo = 0, dup = 0, torn = 0, str = 0, ab = 0;
		char bad[512] = "", stopped[512] = "";
		size_t bo = 0, so = 0;

		for (size_t i = 0; i < NR_SCEN; i++) {
			struct cell *ce = &cells[i][k];

			if (!ce->nr)
				continue;
			lost += ce->lost;
			reo += ce->reordered;
			dup += ce->dups;
			torn += ce->torn;
			str += ce->stranded;
			ab += ce->skipped;
			if (!cell_sound(ce) && bo < sizeof(bad))
				bo += (size_t)snprintf(bad + bo, sizeof(bad) - bo,
						       "%s%s", bo ? ", " : "",
						       scenarios[i].id);
			if (ce->timeouts && so < sizeof(stopped))
				so += (size_t)snprintf(stopped + so,
						       sizeof(stopped) - so,
						       "%s%s", so ? ", " : "",
						       scenarios[i].id);
		}
		fprintf(f, "- **%s**: ", rings[k]->title);
		if (!bo)
			fprintf(f, "no record lost, duplicated, reordered or "
				"torn in any run");
		else
			fprintf(f, "%" PRIu64 " records lost (%" PRIu64
				" stranded behind a hole), %" PRIu64
				" reordered, %" PRIu64 " duplicated, %" PRIu64
				" torn, in %s", lost, str, reo, dup, torn, bad);
		if (ab)
			fprintf(f, "; %" PRIu64 " abandoned by the consumer "
				"after a writer stalled (counted)", ab);
		if (so)
			fprintf(f, ". Stopped by the watchdog (not done by "
				"its deadline at the pace it went: writers "
				"convoyed, or the machine starved the run) in "
				"%s", stopped);
		fprintf(f, ".\n");
	}
	fprintf(f, "\nck: `CK_RING_PROTOTYPE` typed ring, "
		"`ck_ring_enqueue_spsc/mpsc_<type>`, "
		"`ck_ring_dequeue_spsc_<type>`. dpdk: `rte_ring_init` on plain "
		"memory (no EAL), `rte_ring_sp/mp_enqueue_elem`, "
		"`rte_ring_sc_dequeue_elem`; dpdk-rts and dpdk-hts: the same "
		"ring made with `RING_F_MP_RTS_ENQ` / `RING_F_MP_HTS_ENQ`, "
		"`rte_ring_mp_rts/hts_enqueue_bulk_elem` of one element. These "
		"copy a fixed element (16-byte header with timestamp, thread, "
		"length, priority + the message). dpdk-ptr: a writer takes a "
		"preallocated, cache-aligned record from a free ring "
		"(`rte_ring_mc_dequeue`), fills it and enqueues its pointer "
		"(`rte_ring_mp_enqueue`); the consumer copies it out and "
		"returns it (`rte_ring_sp_enqueue`): rte_mempool's ring handler "
		"without EAL's per-lcore caches. Every peer write, the seed's "
		"included, takes its timestamp from the TSC map libmcrring "
		"keeps, through the inline function mcrring's writers use. "
		"seed: rebuilt from the proof of concept's description "
		"(512-byte slots, EMPTY/WRITING/READY; MPSC writers CAS "
		"write_seq, so a full ring refuses a record without spending "
		"a sequence). A refused write is retried (flat) or dropped "
		"(paced, flat-drop); a retrying writer pauses %d times, then "
		"yields the CPU on each further refusal, every ring alike.\n",
		REFUSED_SPINS);
}

/* @dir/@name, written by @fill: 0 or -errno. */
static int write_file(const char *dir, const char *name,
		      void (*fill)(FILE *f))
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fill(f);
	fclose(f);
	return 0;
}

int write_outputs(const char *dir, bool print)
{
	int ret = write_file(dir, "results.md", write_markdown);

	if (ret)
		return ret;
	if (print)
		write_markdown(stdout);
	ret = write_file(dir, "results.json", write_json);
	if (ret)
		return ret;
	return write_plot_data(dir);
}
