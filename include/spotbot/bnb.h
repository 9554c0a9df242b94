/*
 * bnb.h - the price of BNB in each quote asset the bot trades against, to value commission paid in BNB
 * (the profit calculator's bnb_price: quote per BNB).
 *
 * A pair's BNB commission must be valued in that pair's quote asset: BNB on ETHBTC in BTC (BNBBTC), on
 * BTCUSDT in USDT (BNBUSDT). The table holds one entry per distinct quote asset of the pairs, each
 * refreshed from the BNB<QUOTE> book ticker (the mid of bid and ask). It is pure bookkeeping: the daemon
 * asks it which request is due, sends it and reports the answer; the clock is the caller's.
 *
 *  - Quote asset BNB needs no market: the price is 1, and no entry is kept.
 *  - A price is refreshed every SB_BNB_REFRESH_MS; while none is known yet a failed request is tried
 *    again after SB_BNB_RETRY_MS.
 *  - The exchange saying there is no such market (-1121 invalid symbol) is remembered: the next attempt
 *    waits SB_BNB_MISSING_MS, and only the first such answer of a run of them is reported as news.
 *  - A market with an empty book (no trade yet, as a backtest's before its first candle) has no price
 *    yet: it is asked again as after a failure, and a missing price is still only awaited.
 *  - A failure never erases a known price: the last one stays in use (commission is a small share of a
 *    cycle, a slightly old BNB price moves its value very little).
 */
#ifndef SPOTBOT_BNB_H
#define SPOTBOT_BNB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/pairs.h"
#include "spotbot/rules.h"

#define SB_BNB_QUOTES_MAX  SB_PAIRS_MAX /* entries: at most one per pair */
#define SB_BNB_REFRESH_MS  30000        /* a known price is refreshed this often */
#define SB_BNB_RETRY_MS    5000         /* pause after a failure while no price is known */
#define SB_BNB_MISSING_MS  600000       /* pause after the exchange said there is no BNB<QUOTE> market */
#define SB_BNB_SYMBOL_SIZE (3 + SB_ASSET_MAX) /* bytes for "BNB" + a quote asset with its NUL */

/* One quote asset's BNB price. */
struct sb_bnb_quote {
	char asset[SB_ASSET_MAX]; /* the quote asset: "USDT", "BTC" */
	sb_dec price;             /* quote per BNB; 0 unknown */
	int64_t at_ms;            /* when price was fetched; 0 never */
	int64_t next_ms;          /* no request before this; 0 due at once */
	bool inflight;            /* a request is out */
	bool answered;            /* an answer (price or error) has arrived */
	bool missing;             /* the exchange said there is no BNB<asset> market; no price since */
};

/* The table; caller storage. */
struct sb_bnb_table {
	struct sb_bnb_quote q[SB_BNB_QUOTES_MAX]; /* entries in use first */
	size_t n;                                 /* entries in use */
};

void sb_bnb_init(struct sb_bnb_table *t);

/*
 * Makes the table follow the quote assets in assets[n] (duplicates and "BNB" allowed, NULL and "" entries
 * skipped): the entries of assets still listed keep their price and schedule, those of assets no longer
 * listed are dropped, new ones are added due at once. SB_ERR_INVALID for a NULL table or an asset name
 * that does not fit; SB_ERR_TOO_LONG when more than SB_BNB_QUOTES_MAX distinct assets are listed (the
 * first ones are kept).
 */
sb_err sb_bnb_track(struct sb_bnb_table *t, const char *const *assets, size_t n);

/* Quote per BNB for quote_asset: 1 for "BNB", the table's price, 0 when unknown (or not tracked). */
sb_dec sb_bnb_price(const struct sb_bnb_table *t, const char *quote_asset);

/* True while quote_asset is tracked and no answer about it has arrived yet (the first request is still
 * to be sent or out): a missing price is then only not known yet, rather than unavailable. */
bool sb_bnb_awaited(const struct sb_bnb_table *t, const char *quote_asset);

/*
 * The entry whose request is due at now_ms (none in flight, next_ms reached), marked in flight; NULL
 * when none. The caller sends the request for sb_bnb_symbol(entry->asset) and reports its answer with
 * sb_bnb_answer or sb_bnb_failed (even when the request could not be sent). The pointer is valid until
 * the next sb_bnb_track.
 */
const struct sb_bnb_quote *sb_bnb_next_due(struct sb_bnb_table *t, int64_t now_ms);

/* When sb_bnb_next_due will next return an entry: the earliest next_ms of those not in flight (0: at
 * once); INT64_MAX when every entry is in flight or none is tracked. */
int64_t sb_bnb_due_at(const struct sb_bnb_table *t);

/* Writes "BNB<quote_asset>" into buf (cap bytes). SB_ERR_TOO_LONG when it does not fit. */
sb_err sb_bnb_symbol(const char *quote_asset, char *buf, size_t cap);

/*
 * A book ticker answer for quote_asset at now_ms: the price becomes the mid (bid/2 + ask/2), the next
 * refresh is due SB_BNB_REFRESH_MS later. SB_ERR_INVALID for a non-positive or crossed quote (the entry
 * is then handled as failed); SB_ERR_NOT_FOUND when the asset is no longer tracked (nothing changes).
 * *recovered (may be NULL) is set when the asset had been reported missing.
 */
sb_err sb_bnb_answer(struct sb_bnb_table *t, const char *quote_asset, sb_dec bid, sb_dec ask, int64_t now_ms,
                     bool *recovered);

/*
 * The market answered with an empty book at now_ms (bid and ask 0: it exists and has not traded yet). A
 * known price is kept and refreshed SB_BNB_REFRESH_MS later; without one the market is asked again after
 * SB_BNB_RETRY_MS and stays awaited (sb_bnb_awaited), as a price that is not known yet. Nothing is news.
 */
void sb_bnb_unpriced(struct sb_bnb_table *t, const char *quote_asset, int64_t now_ms);

/*
 * A failed request for quote_asset at now_ms; missing when the exchange said the market does not exist.
 * The next attempt waits SB_BNB_MISSING_MS when missing, else SB_BNB_RETRY_MS while no price is known
 * and SB_BNB_REFRESH_MS when one is. Returns true when this is news to report: the first "missing"
 * answer after a price or since tracking began. False for an untracked asset.
 */
bool sb_bnb_failed(struct sb_bnb_table *t, const char *quote_asset, bool missing, int64_t now_ms);

#endif
