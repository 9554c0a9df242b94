/*
 * bt_track.h - what a backtest watches while it runs, in memory that does not grow with its length:
 * each pair's price (a bounded series, bt_series.h), the account's equity valued in one asset at every
 * step of market time with its largest drawdown, and the value the same start balance would have had if
 * it had simply been split over the pairs and held.
 *
 * Equity is the account's balances (free and locked, from the exchange's ledger) valued in the value
 * asset at the pairs' last closes. The value asset is the quote of the first pair whose quote is no
 * pair's base (USDT for PAIRS=ETHBTC;BTCUSDT), else the first pair's quote. An asset is valued through a
 * pair that trades it against the value asset or against an asset valued so already (ETH through ETHBTC
 * and BTCUSDT); an asset no pair values (BNB paid as commission, without a BNB pair) is left out and
 * named in unvalued.
 *
 * A step is one candle open time: every pair's candle of that time has traded when the step is valued,
 * so the drawdown is measured at the data's resolution, between candle closes (not at the extremes
 * inside a candle).
 *
 * Holding: the start balance of the value asset is split evenly over the pairs quoted in it, each share
 * bought at its pair's first open (no fee) and held; other start balances are held as they are.
 */
#ifndef BACKTEST_BT_TRACK_H
#define BACKTEST_BT_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtest/bt_report.h"
#include "backtest/bt_series.h"
#include "spotbot/kline.h"

#define SB_BT_UNVALUED_MAX 8 /* assets named as not valued */

/* A pair as the tracker sees it. */
struct sb_bt_track_pair {
	char symbol[SB_SYMBOL_MAX]; /* "ETHBTC" */
	char base[SB_ASSET_MAX];    /* "ETH" */
	char quote[SB_ASSET_MAX];   /* "BTC" */
};

/*
 * The account's balances now: up to cap assets into assets[] (names that stay valid until the account
 * changes) and amounts[] (free + locked); returns how many.
 */
typedef size_t (*sb_bt_balances_fn)(void *user, const char **assets, sb_dec *amounts, size_t cap);

struct sb_bt_track;

/*
 * A tracker of pairs (copied) for an account funded with start (copied), whose balances fn reports.
 * Released with sb_bt_track_free.
 */
struct sb_bt_track *sb_bt_track_new(const struct sb_bt_track_pair *pairs, size_t npairs,
                                    const struct sb_bt_balance *start, size_t nstart, sb_bt_balances_fn fn,
                                    void *user);

void sb_bt_track_free(struct sb_bt_track *t);

/*
 * Pair k's candle c is about to trade. A candle of a later open time than the step before it ends that
 * step: the account is valued first, at the closes of the step's candles.
 */
void sb_bt_track_candle(struct sb_bt_track *t, size_t k, const struct sb_kline *c);

/* The data has ended: values the last step. */
void sb_bt_track_end(struct sb_bt_track *t);

/* ---- what it saw ---- */

/* The value asset ("USDT"). */
const char *sb_bt_track_value_asset(const struct sb_bt_track *t);

/* Pairs tracked, and the index of symbol among them (SIZE_MAX when none). */
size_t sb_bt_track_npairs(const struct sb_bt_track *t);
size_t sb_bt_track_find(const struct sb_bt_track *t, const char *symbol);

/* Pair k: its symbol and assets, its price series, its first open and last close (0 before any). */
const struct sb_bt_track_pair *sb_bt_track_pair(const struct sb_bt_track *t, size_t k);
const struct sb_bt_series *sb_bt_track_prices(const struct sb_bt_track *t, size_t k);
sb_dec sb_bt_track_first_open(const struct sb_bt_track *t, size_t k);
sb_dec sb_bt_track_last_close(const struct sb_bt_track *t, size_t k);

/* The equity and the holding's value, one point per step (bounded). */
const struct sb_bt_series *sb_bt_track_equity(const struct sb_bt_track *t);
const struct sb_bt_series *sb_bt_track_holding(const struct sb_bt_track *t);

/* Equity at the start (the start balances at the first opens) and at the last step; the holding's end. */
sb_dec sb_bt_track_equity_start(const struct sb_bt_track *t);
sb_dec sb_bt_track_equity_end(const struct sb_bt_track *t);
sb_dec sb_bt_track_holding_end(const struct sb_bt_track *t);

/* The largest drawdown of equity. */
struct sb_bt_drawdown sb_bt_track_drawdown(const struct sb_bt_track *t);

/* Assets held but not valued (at most SB_BT_UNVALUED_MAX), "" after the last. */
const char *sb_bt_track_unvalued(const struct sb_bt_track *t, size_t i);

#endif
