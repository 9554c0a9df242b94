/*
 * bt_figures.c - the derived figures' arithmetic (bt_figures.h): percentages, covered time and the peak
 * commitment of a set of positions' intervals, and the result of holding.
 */
#include "backtest/bt_figures.h"

#include <stdlib.h>

#include "spotbot/alloc.h"

#define CENT SB_DEC_C(0, 1000000) /* a percentage's last place */

sb_dec sb_bt_percent(sb_dec part, sb_dec whole)
{
	sb_dec pct = 0;
	if (whole <= 0 || sb_dec_muldiv(part, SB_DEC_C(100, 0), whole, SB_ROUND_HALF_EVEN, &pct) != SB_OK)
		return 0;
	(void)sb_dec_round_to(pct, CENT, SB_ROUND_HALF_EVEN, &pct);
	return pct;
}

sb_dec sb_bt_percent_ms(int64_t part, int64_t whole)
{
	/* Durations as raw decimals: the quotient is the same whatever their scale. */
	return sb_bt_percent((sb_dec)part, (sb_dec)whole);
}

static int by_start(const void *a, const void *b)
{
	const struct sb_bt_span *x = a, *y = b;
	return (x->from_ms > y->from_ms) - (x->from_ms < y->from_ms);
}

int64_t sb_bt_spans_covered(struct sb_bt_span *s, size_t n, int64_t from_ms, int64_t to_ms)
{
	if (n == 0 || to_ms <= from_ms)
		return 0;
	qsort(s, n, sizeof *s, by_start);
	int64_t covered = 0, end = from_ms; /* the union so far reaches end */
	for (size_t i = 0; i < n; i++) {
		int64_t a = s[i].from_ms > end ? s[i].from_ms : end;
		int64_t b = s[i].to_ms < to_ms ? s[i].to_ms : to_ms;
		if (b > a) {
			covered += b - a;
			end = b;
		}
	}
	return covered;
}

/* A position entering (+cost) or leaving (-cost) the market at t. */
struct edge {
	int64_t t;   /* when */
	sb_dec cost; /* signed */
};

/* In time order; at one time a leaving position before an entering one (a span is half-open). */
static int by_time(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->cost > y->cost) - (x->cost < y->cost);
}

sb_dec sb_bt_spans_peak_cost(const struct sb_bt_span *s, size_t n)
{
	if (n == 0)
		return 0;
	struct edge *e = sb_xmalloc(2 * n * sizeof *e);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i].to_ms <= s[i].from_ms)
			continue;
		e[m++] = (struct edge){s[i].from_ms, s[i].cost};
		e[m++] = (struct edge){s[i].to_ms, -s[i].cost};
	}
	qsort(e, m, sizeof *e, by_time);
	sb_dec open = 0, peak = 0;
	for (size_t i = 0; i < m; i++) {
		(void)sb_dec_add(open, e[i].cost, &open);
		if (open > peak)
			peak = open;
	}
	free(e);
	return peak;
}

sb_dec sb_bt_hold_profit(sb_dec amount, sb_dec first, sb_dec last)
{
	sb_dec change = 0, out = 0;
	if (first <= 0 || sb_dec_sub(last, first, &change) != SB_OK ||
	    sb_dec_muldiv(amount, change, first, SB_ROUND_DOWN, &out) != SB_OK)
		return 0;
	return out;
}
