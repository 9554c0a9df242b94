/*
 * kline.h - one row of a Binance kline (candlestick) CSV file, parsed and validated. Pure logic, no I/O:
 * spotsim's replay and the backtest's data reader (kline_reader.h) both read rows through it.
 *
 * The layout is the one data.binance.vision publishes:
 *   open_time,open,high,low,close,volume,close_time,quote_asset_volume,number_of_trades,
 *   taker_buy_base_volume,taker_buy_quote_volume,ignore
 * Spot files switched from millisecond to microsecond timestamps in 2025; the unit is detected per
 * timestamp by its magnitude and everything is normalised to milliseconds, so a file spanning the switch
 * also reads. A row is checked on its own (12 columns, decimals, low <= open,close <= high, close_time not
 * before open_time); the order of rows is the reader's business.
 */
#ifndef SPOTBOT_KLINE_H
#define SPOTBOT_KLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SB_KLINE_US_MIN  INT64_C(100000000000000) /* 1e14: timestamps at or above are microseconds */
#define SB_KLINE_WHY_MAX 160                      /* room for any reason sb_kline_parse_row writes */

struct sb_kline {
	int64_t open_time;             /* ms since the epoch, normalised from us when needed */
	int64_t close_time;            /* ms since the epoch (Binance: open_time + interval - 1) */
	sb_dec open;                   /* first trade price */
	sb_dec high;                   /* highest trade price */
	sb_dec low;                    /* lowest trade price */
	sb_dec close;                  /* last trade price */
	sb_dec volume;                 /* base asset volume */
	sb_dec quote_volume;           /* quote asset volume */
	int64_t trades;                /* number of trades */
	sb_dec taker_buy_volume;       /* base volume bought by takers */
	sb_dec taker_buy_quote_volume; /* quote volume bought by takers */
};

/*
 * Parses one data row of exactly len bytes (no NUL needed; a trailing "\r" or "\n" is ignored) into *out.
 * On failure returns SB_ERR_PARSE (shape, number syntax), SB_ERR_PRECISION, SB_ERR_RANGE (negative value,
 * low/high inconsistency, close before open) and writes a one-line reason without file or line into why
 * (why_cap bytes; why may be NULL when why_cap is 0). *out is unspecified on failure.
 */
sb_err sb_kline_parse_row(const char *line, size_t len, struct sb_kline *out, char *why, size_t why_cap);

/* True when line looks like a header row (its first field starts with a letter). */
bool sb_kline_is_header(const char *line, size_t len);

/*
 * True when the len bytes at s name a kline interval as data.binance.vision spells it in its file names:
 * 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1mo.
 */
bool sb_kline_interval_valid(const char *s, size_t len);

#endif
