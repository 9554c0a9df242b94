/*
 * derive.h - trading rules for a replayed symbol that neither the built-in catalogue nor an
 * --exchange-info file lists, derived from its kline file, so `--replay NEWCOIN=file.csv` works without
 * a hand-written exchangeInfo.
 *
 * The rules are an approximation, documented in docs/spotsim.md: the tickSize is one unit of the most
 * decimal places any open, high, low or close of the file uses (trailing zeros ignored), the stepSize one
 * unit of the most any volume uses; the quote asset is the longest known quote currency the name ends
 * with (USDT, USDC, FDUSD, BTC, ETH, BNB, ...) and the base asset the rest; minNotional is 5 for dollar
 * and euro quotes and a small amount of the quote currency otherwise; maxPrice leaves room for ten times
 * the file's highest price (or as much as an sb_dec holds, never less than the highest price).
 */
#ifndef SIM_DERIVE_H
#define SIM_DERIVE_H

#include <stddef.h>

#include "sim/kline.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"

struct cJSON;

/* What rules are derived from, gathered one kline at a time, so data too large to hold (a backtest's
 * months of candles) can be read as a stream; zero-initialised it has seen nothing. */
struct sim_derive {
	unsigned
	    price_places;    /* most decimal places of an open, high, low or close (trailing zeros ignored) */
	unsigned qty_places; /* most decimal places of a volume or taker-buy volume */
	sb_dec high;         /* highest high */
	size_t count;        /* klines seen */
};

/* Takes one kline into d. */
void sim_derive_add(struct sim_derive *d, const struct sb_kline *k);

/* The tickSize and stepSize of what d has seen (see above); 0.01 each when it has seen nothing. */
void sim_derive_sizes(const struct sim_derive *d, sb_dec *tick, sb_dec *step);

/* The tickSize and stepSize the klines suggest (see above); rows may be empty (then both are 0.01). */
void sim_derive_grid(const struct sb_kline *rows, size_t count, sb_dec *tick, sb_dec *step);

/*
 * The exchangeInfo object of symbol (owned by the caller) with rules derived from what d has seen. On
 * failure (nothing seen, a name with no known quote asset) writes the reason into why and returns the
 * error.
 */
sb_err sim_derive_info(const char *symbol, const struct sim_derive *d, struct cJSON **info, char *why,
                       size_t why_cap);

/* Splits a symbol into base and quote assets (buffers of SB_SYMBOL_MAX bytes); SB_ERR_NOT_FOUND when it
 * ends with no known quote asset or nothing is left for the base, SB_ERR_TOO_LONG when the base asset
 * would not fit an asset name (SB_ASSET_MAX). */
sb_err sim_derive_assets(const char *symbol, char *base, char *quote);

/*
 * The exchangeInfo object of symbol (owned by the caller) with rules derived from the klines. On failure
 * (no klines, a name with no known quote asset or too long a base asset) writes the reason into why and
 * returns the error.
 */
sb_err sim_derive_symbol(const char *symbol, const struct sb_kline *rows, size_t count, struct cJSON **info,
                         char *why, size_t why_cap);

#endif
