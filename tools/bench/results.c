// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's results: a cell for each scenario and ring holding its
 * rounds; the vCPUs' placement each round ran in; a cell's summary over
 * the rounds it may use; its checks; and how two rings compare, within
 * rounds.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "bench.h"

struct cell cells[NR_SCEN][NR_KINDS];

/*
 * The host places the two vCPUs either close (a round trip of ~60 ns:
 * one core's threads, or one L3) or apart (~300 ns), and moves them while
 * we run. Every number depends on it, so rounds are classed by the round
 * trip measured just before them, and the tables use one placement: the
 * one with more undisturbed rounds; the other one's flat-out rates get a
 * table of their own.
 */
double rtt_split_ns;	/* near: round trip at most this */
bool primary_far;
int nplace[2], nplace_clean[2];

int placement(const struct run_result *r)
{
	return !isnan(r->rtt_ns) && r->rtt_ns > rtt_split_ns;
}

static void classify_runs(void)
{
	double best = INFINITY;

	for (size_t i = 0; i < NR_SCEN; i++)
		for (int k = 0; k < NR_KINDS; k++)
			for (int r = 0; r < cells[i][k].nr; r++)
				if (cells[i][k].rr[r].rtt_ns < best)
					best = cells[i][k].rr[r].rtt_ns;
	rtt_split_ns = isinf(best) ? INFINITY : 2 * best;
	for (size_t i = 0; i < NR_SCEN; i++)
		for (int k = 0; k < NR_KINDS; k++)
			for (int r = 0; r < cells[i][k].nr; r++) {
				const struct run_result *rr = &cells[i][k].rr[r];

				nplace[placement(rr)]++;
				nplace_clean[placement(rr)] += !rr->disturbed;
			}
	primary_far = nplace_clean[1] >= nplace_clean[0] && nplace[1];
}

/* Whether @ce's summary uses round @r (see struct cell's sel). */
static bool used(const struct cell *ce, const struct run_result *r)
{
	bool mine = placement(r) == primary_far;

	return !((ce->sel == 0 && (!mine || r->disturbed)) ||
		 (ce->sel == 1 && !mine));
}

static void summarise(struct cell *ce)
{
	double v[MAXROUNDS], wv[MAXROUNDS], dv[MAXROUNDS], ov[MAXROUNDS];
	int n = 0, no = 0;

	ce->acct_ok = true;
	ce->nclean = 0;
	ce->sel = 0;
	for (int i = 0; i < ce->nr; i++) {
		const struct run_result *r = &ce->rr[i];
		bool mine = placement(r) == primary_far;

		ce->attempts += r->attempts;
		ce->accepted += r->accepted;
		ce->refused += r->refused;
		ce->received += r->received;
		ce->reordered += r->reordered;
		ce->dups += r->dups;
		ce->torn += r->torn;
		ce->lost += r->lost;
		ce->stranded += r->stranded;
		ce->skipped += r->skipped;
		ce->errors += r->errors;
		ce->timeouts += r->timeout;
		ce->acct_ok &= r->acct_ok;
		ce->nclean += mine && !r->disturbed;
		if (!mine && !r->disturbed)
			ov[no++] = r->rate;
	}
	/* The primary placement's undisturbed rounds, else its disturbed
	 * ones, else whatever there is.
	 */
	if (!ce->nclean) {
		bool any = false;

		for (int i = 0; i < ce->nr; i++)
			any |= placement(&ce->rr[i]) == primary_far;
		ce->sel = any ? 1 : 2;
	}
	memset(&ce->lat_clean, 0, sizeof(ce->lat_clean));
	memset(&ce->e2e_clean, 0, sizeof(ce->e2e_clean));
	ce->nused = 0;
	for (int i = 0; i < ce->nr; i++) {
		const struct run_result *r = &ce->rr[i];

		if (!used(ce, r))
			continue;
		v[n] = r->rate;
		wv[n] = r->wrate;
		dv[n] = r->drate;
		n++;
		ce->uattempts += r->attempts;
		ce->urefused += r->refused;
		if (r->lat)
			hist_merge(&ce->lat_clean, r->lat);
		if (r->e2e)
			hist_merge(&ce->e2e_clean, r->e2e);
	}
	ce->nused = n;
	ce->enough = ce->sel == 0 && n >= cfg.min_rounds;
	{
		double cv[MAXROUNDS], sv[MAXROUNDS];
		int m = 0;

		ce->cstopped = false;
		for (int i = 0; i < ce->nr; i++) {
			const struct run_result *r = &ce->rr[i];

			if (!used(ce, r))
				continue;
			cv[m] = r->complete_s;
			sv[m++] = r->stall_ns;
			ce->cstopped |= isinf(r->complete_s);
		}
		ce->cmed = median(cv, m);
		ce->clo = m ? cv[0] : NAN;
		ce->chi = m ? cv[m - 1] : NAN;
		ce->smed = median(sv, m);
		ce->smax = m ? sv[m - 1] : NAN;
	}
	ce->med = median(v, n);
	ce->wmed = median(wv, n);
	ce->dmed = median(dv, n);
	ce->lo = n ? v[0] : NAN;
	ce->hi = n ? v[n - 1] : NAN;
	ce->omed = median(ov, no);
	ce->nother = no;
	ce->used_all = ce->sel != 0;
	ce->lat = &ce->lat_clean;
	ce->e2e = &ce->e2e_clean;
}

double lat_ns(const struct hist *h, double q)
{
	return cyc2ns(hist_q(h, q));
}

/* Nothing lost silently, reordered, duplicated or torn; counters agree. */
bool cell_sound(const struct cell *ce)
{
	return !ce->lost && !ce->reordered && !ce->dups && !ce->torn &&
	       !ce->errors && ce->acct_ok;
}

/* ... and nothing abandoned, no run stopped. */
bool cell_clean(const struct cell *ce)
{
	return cell_sound(ce) && !ce->skipped && !ce->timeouts;
}

/* "ok", or what the checks found. */
void check_text(const struct cell *ce, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
#define ADD(...) o += (size_t)snprintf(buf + o, o < n ? n - o : 0, __VA_ARGS__)
	if (ce->lost)
		ADD("%sLOST %" PRIu64, o ? ", " : "", ce->lost);
	if (ce->stranded)
		ADD(" (%" PRIu64 " stranded)", ce->stranded);
	if (ce->reordered)
		ADD("%sREORDERED %" PRIu64, o ? ", " : "", ce->reordered);
	if (ce->dups)
		ADD("%sDUPLICATED %" PRIu64, o ? ", " : "", ce->dups);
	if (ce->torn)
		ADD("%sTORN %" PRIu64, o ? ", " : "", ce->torn);
	if (ce->skipped)
		ADD("%sABANDONED %" PRIu64 " (counted)", o ? ", " : "",
		    ce->skipped);
	if (ce->errors)
		ADD("%sERRORS %" PRIu64, o ? ", " : "", ce->errors);
	if (!ce->acct_ok)
		ADD("%scounters disagree", o ? ", " : "");
	if (ce->timeouts)
		ADD("%sSTOPPED by the watchdog %dx", o ? ", " : "",
		    ce->timeouts);
	if (!o)
		ADD("ok");
#undef ADD
}

int ratio_kind(const struct scenario *sc)
{
	if (sc->mode == M_PACED)
		return RT_P50;
	return sc->place == PL_SHARE && sc->nw > 1 ? RT_COMPLETE : RT_RATE;
}

const char *const ratio_what[] = {
	"rate, mcrring / peer", "p50 write latency, peer / mcrring",
	"time to complete, peer / mcrring",
};

/*
 * mcrring's advantage over @p, never across rounds: in every round where
 * both ran undisturbed with the vCPUs in placement @far, the ratio of the
 * two runs (> 1: mcrring is better); then the median, min and max of those
 * ratios. The rings of one scenario run back to back in a round, so a
 * ratio compares them under the same conditions, where the rates move
 * several times over between rounds. A peer's round stopped by the
 * watchdog counts with the time it had taken: a lower bound.
 */
struct rratio round_ratio(const struct cell *m, const struct cell *p,
			  int how, bool far)
{
	struct rratio q = { .med = NAN, .lo = NAN, .hi = NAN };
	double v[MAXROUNDS];

	if (!m || !p || m->na || p->na)
		return q;
	for (int i = 0; i < m->nr; i++) {
		const struct run_result *a = &m->rr[i], *b = NULL;
		double x;

		for (int j = 0; j < p->nr; j++)
			if (p->rr[j].round == a->round)
				b = &p->rr[j];
		if (!b || a->disturbed || b->disturbed ||
		    placement(a) != far || placement(b) != far)
			continue;
		if (how == RT_RATE) {
			x = a->rate / b->rate;
		} else if (how == RT_P50) {
			x = hist_q(b->lat, 0.5) / hist_q(a->lat, 0.5);
		} else {
			if (isinf(a->complete_s))
				continue;
			q.lower |= isinf(b->complete_s);
			x = (isinf(b->complete_s) ? b->secs_total :
				b->complete_s) / a->complete_s;
		}
		if (!isnan(x) && !isinf(x))
			v[q.n++] = x;
	}
	q.med = median(v, q.n);
	q.lo = q.n ? v[0] : NAN;
	q.hi = q.n ? v[q.n - 1] : NAN;
	return q;
}

/* Rounds a cell's numbers rest on: undisturbed, the tables' placement. */
int rounds_of(const struct cell *ce)
{
	return ce && ce->nr && ce->sel == 0 ? ce->nused : 0;
}

/* Drops in the rounds the tables use. */
double drop_pct(const struct cell *c)
{
	if (!c || c->na || !c->nr || !c->uattempts)
		return NAN;
	return 100.0 * (double)c->urefused / (double)c->uattempts;
}

/*
 * Every cell's summary, once every round has run: the placements first,
 * then each cell over the rounds it may use. @ncells: cells that ran;
 * @nna: cells whose ring cannot run their scenario.
 */
void summarise_all(int *ncells, int *nna)
{
	classify_runs();
	for (size_t i = 0; i < NR_SCEN; i++)
		for (int k = 0; k < NR_KINDS; k++) {
			if (cells[i][k].nr) {
				summarise(&cells[i][k]);
				(*ncells)++;
			} else {
				cells[i][k].med = cells[i][k].lo = NAN;
				cells[i][k].hi = cells[i][k].wmed = NAN;
				cells[i][k].dmed = NAN;
			}
			*nna += cells[i][k].na;
		}
}
