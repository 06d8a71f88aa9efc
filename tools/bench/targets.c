// SPDX-License-Identifier: GPL-2.0
/*
 * mcrbench's targets: read from a data file (tools/bench/targets.txt,
 * whose head comment gives the format), each judged on one of mcrring's
 * figures in one scenario once the rounds are summarised. A file that
 * cannot be read, or a line that does not parse, stops mcrbench before
 * it runs anything.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* What a target measures; vs-RING: mcrring's advantage over RING. */
enum { T_P50, T_P99, T_RATE, T_DROPS, T_REORDERED, T_VS };

static const struct {
	const char *name;
	const char *fmt;	/* the figure as the report writes it */
} measures[] = {
	[T_P50] = { "p50", "%.0f ns" },
	[T_P99] = { "p99", "%.0f ns" },
	[T_RATE] = { "rate", "%.2f M/s" },
	[T_DROPS] = { "drops", "%.4f %%" },
	[T_REORDERED] = { "reordered", "%.0f" },
};

struct target *targets;
int ntargets;

/* @s without the blanks at either end, in place. */
static char *trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

static int measure_of(const char *s, struct target *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(measures); i++)
		if (!strcmp(s, measures[i].name))
			return (int)i;
	if (strncmp(s, "vs-", 3))
		return -1;
	for (int k = R_CK; k < NR_KINDS; k++)
		if (!strcmp(s + 3, rings[k]->name)) {
			t->peer = &cells[t->sc - scenarios][k];
			return T_VS;
		}
	return -1;
}

/* "< N" or ">= N". */
static bool test_of(const char *s, struct target *t)
{
	char *end;

	t->below = s[0] == '<';
	if (!strncmp(s, "<", 1))
		s += 1;
	else if (!strncmp(s, ">=", 2))
		s += 2;
	else
		return false;
	t->limit = strtod(s, &end);
	return end != s && !*trim(end) && isfinite(t->limit);
}

/*
 * One line: scenario | measure | test | goal | what. 0, or what is wrong
 * with it.
 */
static const char *parse(char *line, struct target *t)
{
	char *f[5];
	int n = 0;

	for (char *p = line; n < 5; n++) {
		f[n] = p;
		p = strchr(p, '|');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n != 4)
		return "not five fields: scenario | measure | test | goal | what";
	for (int i = 0; i < 5; i++) {
		f[i] = trim(f[i]);
		if (!*f[i])
			return "an empty field";
	}
	t->sc = scenario_by_id(f[0]);
	if (!t->sc)
		return "no such scenario (mcrbench --list)";
	t->cell = &cells[t->sc - scenarios][R_MCR];
	t->measure = measure_of(f[1], t);
	if (t->measure < 0)
		return "no such measure (p50, p99, rate, drops, reordered, "
		       "vs-RING)";
	if (!test_of(f[2], t))
		return "a test is \"< N\" or \">= N\"";
	t->goal = strdup(f[3]);
	t->what = strdup(f[4]);
	if (!t->goal || !t->what)
		return strerror(ENOMEM);
	return NULL;
}

int load_targets(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, ret = 0;

	if (!f) {
		ret = -errno;
		fprintf(stderr, "mcrbench: targets: %s: %s (give the file "
			"with --targets FILE)\n", path, strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) > 0) {
		char *s = trim(line);
		struct target t = { .met = -1 }, *more;
		const char *bad;

		lineno++;
		if (!*s || *s == '#')
			continue;
		bad = parse(s, &t);
		if (bad) {
			fprintf(stderr, "mcrbench: %s:%d: %s\n", path, lineno,
				bad);
			ret = -EINVAL;
			break;
		}
		more = realloc(targets, (ntargets + 1) * sizeof(*targets));
		if (!more) {
			ret = -ENOMEM;
			break;
		}
		targets = more;
		targets[ntargets++] = t;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	if (!ret && !ntargets) {
		fprintf(stderr, "mcrbench: %s: no target in it\n", path);
		ret = -EINVAL;
	}
	free(line);
	fclose(f);
	return ret;
}

/* Target @t, its figure @v measured over @n rounds; too few: no verdict. */
static void judge(struct target *t, double v, int n)
{
	int o;

	t->met = -1;
	if (isnan(v)) {
		snprintf(t->got, sizeof(t->got), "not measured");
		return;
	}
	if (n < cfg.min_rounds) {
		snprintf(t->got, sizeof(t->got), "too few rounds (%d)", n);
		return;
	}
	o = snprintf(t->got, sizeof(t->got), measures[t->measure].fmt, v);
	snprintf(t->got + o, sizeof(t->got) - (size_t)o, " (%d rounds)", n);
	t->met = t->below ? v < t->limit : v >= t->limit;
}

/* A ratio within rounds: judged on its median, its spread shown. */
static void judge_ratio(struct target *t, const struct rratio *q)
{
	fmt_ratio(q, t->got, sizeof(t->got));
	t->met = q->n < cfg.min_rounds ? -1 : t->below ? q->med < t->limit :
		 q->med >= t->limit;
}

void eval_targets(void)
{
	for (int i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		const struct cell *ce = t->cell;
		struct rratio q;

		switch (t->measure) {
		case T_P50:
			judge(t, lat_ns(ce->lat, 0.5), rounds_of(ce));
			break;
		case T_P99:
			judge(t, lat_ns(ce->lat, 0.99), rounds_of(ce));
			break;
		case T_RATE:
			judge(t, ce->med / 1e6, rounds_of(ce));
			break;
		case T_DROPS:
			judge(t, drop_pct(ce), rounds_of(ce));
			break;
		case T_REORDERED:
			judge(t, ce->nr ? (double)ce->reordered : NAN, ce->nr);
			break;
		default:
			q = round_ratio(ce, t->peer, ratio_kind(t->sc),
					primary_far);
			judge_ratio(t, &q);
		}
	}
}
