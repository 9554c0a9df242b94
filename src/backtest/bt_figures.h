/*
 * bt_figures.h - the arithmetic behind a backtest's derived figures, on plain values so that each can be
 * checked by hand: a share as a percentage, the time a set of positions' intervals covers (time in the
 * market), the most that overlapping positions had committed at once, and the result of simply holding.
 * Amounts are sb_dec throughout; durations are integer milliseconds.
 */
#ifndef BACKTEST_BT_FIGURES_H
#define BACKTEST_BT_FIGURES_H

#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"

/* One position's time in the market: base held from its first buy fill to its close. */
struct sb_bt_span {
	int64_t from_ms; /* the first buy fill */
	int64_t to_ms;   /* the close; for a position still open at the end, the window's end */
	sb_dec cost;     /* what its buys cost, in quote, fees included */
};

/* part / whole as a percentage rounded half-even to 2 places ("12.34"); 0 when whole <= 0. */
sb_dec sb_bt_percent(sb_dec part, sb_dec whole);

/* The same for two durations. */
sb_dec sb_bt_percent_ms(int64_t part, int64_t whole);

/*
 * Milliseconds of [from_ms, to_ms) that at least one span covers (overlapping spans count once, a span
 * is clipped to the window). Sorts s in place.
 */
int64_t sb_bt_spans_covered(struct sb_bt_span *s, size_t n, int64_t from_ms, int64_t to_ms);

/* The largest sum of the costs of spans open at one moment (a span is open over [from_ms, to_ms)). */
sb_dec sb_bt_spans_peak_cost(const struct sb_bt_span *s, size_t n);

/*
 * What amount of quote bought at price first and valued at price last gained: amount * (last - first) /
 * first, rounded toward negative infinity (no fee). 0 when first <= 0 or the result overflows.
 */
sb_dec sb_bt_hold_profit(sb_dec amount, sb_dec first, sb_dec last);

#endif
