/*
 * bt_report.h - the results of a backtest, computed from the run's own database (its positions) and the
 * exchange's ledger (the account's balances), never from floating point: per pair and in total, the
 * finished cycles, wins and losses, realised profit, commissions, holding times and the positions still
 * open at the end with their value at the last price. Printed as a table or as one JSON object.
 */
#ifndef BACKTEST_BT_REPORT_H
#define BACKTEST_BT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/pairs.h"
#include "spotbot/store.h"

#define SB_BT_ASSETS_MAX 16 /* assets a fee or balance list holds */

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
};

/* What a run took through the daemon and the exchange, for benchmarks (neither printed nor in the JSON). */
struct sb_bt_work {
	uint64_t market_events; /* market events delivered to the daemon (trades and book tickers) */
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
	struct sb_bt_work work;                          /* what the run took */
};

/* Adds to r the figures of symbol's positions in st, last the pair's last price. */
sb_err sb_bt_report_pair(struct sb_store *st, const char *symbol, sb_dec last, struct sb_bt_pair_report *r);

/* Sums the pairs into out->total. */
void sb_bt_report_total(struct sb_bt_report *r);

/* Writes the report as one JSON object (amounts as decimal strings) and a newline. */
void sb_bt_report_json(const struct sb_bt_report *r, FILE *f);

/* Writes the report as a table per pair, the total and the balances. */
void sb_bt_report_table(const struct sb_bt_report *r, FILE *f);

/* Frees what the report owns; harmless on a zeroed report. */
void sb_bt_report_fini(struct sb_bt_report *r);

#endif
