/*
 * bt_report.h - the results of a backtest, computed from the run's own database (its positions and
 * fills), the exchange's ledger (the account's balances) and what the run watched as it went (bt_track.h),
 * never from floating point: per pair and in total, the finished cycles, wins and losses, realised
 * profit, commissions, holding times, the positions still open at the end with their value at the last
 * price, the time in the market, the result against simply holding and the largest drawdown. Printed as
 * a table, as one JSON object, or as an HTML page (bt_html.h).
 */
#ifndef BACKTEST_BT_REPORT_H
#define BACKTEST_BT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/pairs.h"
#include "spotbot/store.h"

#define SB_BT_ASSETS_MAX 16 /* assets a fee or balance list holds */
#define SB_BT_HOLD_BINS  10 /* the holding-time distribution's bins (sb_bt_hold_bin_label) */

struct sb_bt_track;
struct sb_bt_span;

/* An amount of one asset. */
struct sb_bt_amount {
	char asset[SB_ASSET_MAX]; /* "USDT"; "" marks an unused slot */
	sb_dec amount;            /* how much */
};

/* One account balance at the start and the end of the run. */
struct sb_bt_balance {
	char asset[SB_ASSET_MAX]; /* "USDT" */
	sb_dec start;             /* funded */
	sb_dec end;               /* free + locked at the end */
};

/* The largest fall of a value from a peak. */
struct sb_bt_drawdown {
	sb_dec amount;     /* peak - trough; 0 when the value never fell */
	sb_dec peak;       /* the peak it fell from */
	int64_t peak_ms;   /* when the peak was */
	int64_t trough_ms; /* when the trough was */
};

/* Buy or sell fills of one pair close together in time, drawn as one marker. */
struct sb_bt_mark {
	int64_t time_ms; /* the first fill's time */
	sb_dec price;    /* their average price (quote / qty), rounded half-even */
	sb_dec qty;      /* their base quantity */
	int64_t fills;   /* how many fills */
	bool buy;        /* buys, else sells */
};

/* The figures of one pair, or of every pair together. */
struct sb_bt_pair_report {
	char symbol[SB_SYMBOL_MAX];                 /* "BTCUSDT"; "" for the total */
	int64_t cycles;                             /* closed positions that bought and sold */
	int64_t wins;                               /* of them, realised profit > 0 */
	int64_t losses;                             /* of them, realised profit < 0 */
	sb_dec realized_profit;                     /* sum over the closed positions, in quote */
	struct sb_bt_amount fees[SB_BT_ASSETS_MAX]; /* commissions over every position, per asset */
	int64_t hold_total_ms;                      /* sum of the cycles' holds (first buy fill to close) */
	int64_t hold_max_ms;                        /* the longest hold */
	int64_t open;                               /* positions still open at the end */
	sb_dec open_qty;                            /* base they hold */
	sb_dec open_value;                          /* open_qty at the last price, in quote */
	sb_dec last_price;                          /* the pair's last traded price (0 in the total) */
	sb_dec open_cost;                           /* open positions' cost less sells' proceeds */
	sb_dec dust_value;                          /* base closed positions left, at the last price */
	sb_dec profit;                              /* realized + open_value - open_cost + dust_value */
	int64_t holds[SB_BT_HOLD_BINS];             /* the cycles by hold (sb_bt_hold_bin_label) */
	int64_t market_ms;                          /* time with base held, overlaps once */
	sb_dec market_pct;                          /* market_ms as a percentage of the window */
	sb_dec committed;                           /* the most its positions had cost at one moment */
	sb_dec first_price;                         /* the pair's first open (0 in the total) */
	sb_dec hold_profit;                         /* committed bought at first_price, held */
	sb_dec vs_hold;                             /* profit - hold_profit */
	struct sb_bt_drawdown drawdown;             /* of its result; the total's: of equity */
	sb_dec drawdown_pct;                        /* of committed (per pair), of the peak (total), in % */
	struct sb_bt_span *spans;                   /* the positions' intervals (owned) */
	size_t nspans;                              /* entries of spans */
	struct sb_bt_mark *marks;                   /* its fills as markers, by time (owned) */
	size_t nmarks;                              /* entries of marks */
};

/* What a run took through the daemon and the exchange, for benchmarks (neither printed nor in the JSON). */
struct sb_bt_work {
	uint64_t market_events; /* market events delivered to the daemon (book tickers) */
	uint64_t exec_reports;  /* execution reports of the account's orders delivered to it */
	uint64_t requests;      /* requests the daemon made of the exchange (orders, queries, prices) */
	uint64_t commits;       /* write transactions it committed to its database */
};

/* Everything a backtest reports. */
struct sb_bt_report {
	int64_t from_ms;                                 /* first candle's open time */
	int64_t to_ms;                                   /* last candle's close time */
	int64_t candles;                                 /* candles fed */
	struct sb_bt_pair_report *pairs;                 /* one per pair, in PAIRS order (owned) */
	size_t npairs;                                   /* entries of pairs */
	struct sb_bt_pair_report total;                  /* every pair together */
	struct sb_bt_balance balances[SB_BT_ASSETS_MAX]; /* the account, by asset name */
	size_t nbalances;                                /* entries of balances */
	char value_asset[SB_ASSET_MAX];                  /* the asset equity is valued in (bt_track.h) */
	sb_dec equity_start;                             /* the start balances at the first opens */
	sb_dec equity_end;                               /* the end balances at the last closes */
	sb_dec holding_end;                              /* the start held in the pairs (bt_track.h) */
	char unvalued[SB_BT_ASSETS_MAX][SB_ASSET_MAX];   /* held, valued by no pair; "" ends */
	char *pairs_text;                                /* the configuration's PAIRS (owned; NULL: none) */
	char balance[256];                               /* the funding, "ASSET=AMOUNT,..." */
	const char *path;                                /* the price path: "coarse" or "fine" */
	struct sb_bt_track *track;                       /* what the run watched (owned; NULL: none) */
	struct sb_bt_work work;                          /* what the run took */
};

/* The lower bound of hold bin i in ms (0 for the first), and its label ("< 1m", "1m-5m", ..., ">= 7d"). */
int64_t sb_bt_hold_bin_floor(size_t i);
const char *sb_bt_hold_bin_label(size_t i);

/* Adds to r the figures of symbol's positions in st, last the pair's last price. */
sb_err sb_bt_report_pair(struct sb_store *st, const char *symbol, sb_dec last, struct sb_bt_pair_report *r);

/* Every position of symbol in st, newest first, however many (one listing holds SB_STORE_LIST_MAX: the
 * rest are read page by page); *rows owned by the caller (free()). */
sb_err sb_bt_positions(struct sb_store *st, const char *symbol, struct sb_store_position **rows, size_t *n);

/*
 * Completes what needs the window (from_ms, to_ms) and the pairs' first and last prices: each pair's
 * time in the market, commitment and result against holding; then sums the pairs into r->total.
 */
void sb_bt_report_total(struct sb_bt_report *r);

/*
 * Takes over what the tracker t saw (t is owned by the report from then on): the pairs' first prices,
 * the value asset, equity at the start and the end, the holding, the account's drawdown, the assets
 * not valued. Call between the pairs' sb_bt_report_pair and sb_bt_report_total.
 */
void sb_bt_report_track(struct sb_bt_report *r, struct sb_bt_track *t);

/* Writes the report as one JSON object (amounts as decimal strings) and a newline. */
void sb_bt_report_json(const struct sb_bt_report *r, FILE *f);

/* Writes the report as a table per pair, the total and the balances. */
void sb_bt_report_table(const struct sb_bt_report *r, FILE *f);

/* Frees what the report owns; harmless on a zeroed report. */
void sb_bt_report_fini(struct sb_bt_report *r);

#endif
