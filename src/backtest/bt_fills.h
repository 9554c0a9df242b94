/*
 * bt_fills.h - a pair's fills from the run's database, for what the positions alone cannot tell: where
 * the buys and sells happened (the price chart's markers, fills close in time merged so that thousands
 * stay readable) and how far the pair's result fell from a high (its drawdown).
 *
 * The pair's result at a moment is what its fills paid and received in quote (commissions in quote or
 * base included; a commission in a third asset, BNB, is left out) plus the base they left held, at the
 * price of the moment. It is followed along the pair's price series (bt_series.h), one bucket at a time:
 * the fills before the bucket's end, the base held valued at the bucket's last price for a new high and
 * at its lowest price for a trough. So the drawdown has the price chart's resolution.
 */
#ifndef BACKTEST_BT_FILLS_H
#define BACKTEST_BT_FILLS_H

#include "backtest/bt_report.h"
#include "backtest/bt_track.h"
#include "spotbot/store.h"

#define SB_BT_MARK_COLUMNS 600 /* a pair's time range is cut into this many columns a side for markers */

/* One fill as the pair's result sees it. */
struct sb_bt_fill {
	int64_t time_ms;    /* trade time */
	int64_t trade_id;   /* the exchange's trade id (orders fills of one time) */
	bool buy;           /* a buy, else a sell */
	sb_dec qty;         /* base quantity */
	sb_dec quote_qty;   /* quote amount */
	sb_dec base_delta;  /* the base it brought (a buy) or took (a sell, negative), commission included */
	sb_dec quote_delta; /* the quote it took (a buy, negative) or brought, commission included */
};

/*
 * The fills of symbol's positions in st in time order into *out (the caller's to free) and *n; base and
 * quote are the pair's assets (for its commissions). Errors are the store's.
 */
sb_err sb_bt_fills_load(struct sb_store *st, const char *symbol, const char *base, const char *quote,
                        struct sb_bt_fill **out, size_t *n);

/* The largest drawdown of the result of fills f[0..n) (time order) along prices. */
struct sb_bt_drawdown sb_bt_fills_drawdown(const struct sb_bt_fill *f, size_t n,
                                           const struct sb_bt_series *prices);

/*
 * Markers for fills f[0..n) (time order) over [from_ms, to_ms]: the fills of one side in one of
 * SB_BT_MARK_COLUMNS columns become one marker. Returns the markers (the caller's to free), *nm of them.
 */
struct sb_bt_mark *sb_bt_fills_marks(const struct sb_bt_fill *f, size_t n, int64_t from_ms, int64_t to_ms,
                                     size_t *nm);

/*
 * All of the above for pair p (its symbol set) of the report: its markers and its drawdown, as a
 * percentage of p->committed, along the price series of tracker t. Errors are the store's.
 */
sb_err sb_bt_report_fills(struct sb_store *st, const struct sb_bt_track *t, struct sb_bt_pair_report *p);

#endif
