/*
 * kline.h - reader for Binance kline (candlestick) CSV files, the input of spotsim's replay mode.
 *
 * The layout is the one data.binance.vision publishes:
 *   open_time,open,high,low,close,volume,close_time,quote_asset_volume,number_of_trades,
 *   taker_buy_base_volume,taker_buy_quote_volume,ignore
 * with or without that header row, plain or gzip-compressed (zlib reads both transparently). Spot files
 * switched from millisecond to microsecond timestamps in 2025; the unit is detected per timestamp by its
 * magnitude and everything is normalised to milliseconds, so a file spanning the switch also loads.
 * Every row is validated (12 columns, decimals, low <= open,close <= high, increasing open times) and
 * the first problem is reported as "FILE:LINE: what is wrong".
 */
#ifndef SIM_KLINE_H
#define SIM_KLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SIM_KLINE_LINE_MAX 1024                     /* longest accepted line, newline excluded */
#define SIM_KLINE_MAX_ROWS ((size_t)4 << 20)        /* hard cap on rows per file: 4M (~8 years of 1m) */
#define SIM_KLINE_US_MIN   INT64_C(100000000000000) /* 1e14: timestamps at or above are microseconds */

struct sim_kline {
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

/* A loaded file: rows in file order with strictly increasing open_time. */
struct sim_kline_series {
	struct sim_kline *rows; /* owned; count entries */
	size_t count;           /* number of rows */
	size_t cap;             /* allocated entries */
};

/*
 * Parses one data row of exactly len bytes (no NUL needed; a trailing "\r" or "\n" is ignored) into *out.
 * On failure returns SB_ERR_PARSE (shape, number syntax), SB_ERR_PRECISION, SB_ERR_RANGE (negative value,
 * low/high inconsistency, close before open) and writes a one-line reason without file or line into why
 * (why_cap bytes; why may be NULL when why_cap is 0). *out is unspecified on failure.
 */
sb_err sim_kline_parse_row(const char *line, size_t len, struct sim_kline *out, char *why, size_t why_cap);

/* True when line looks like a header row (its first field starts with a letter). */
bool sim_kline_is_header(const char *line, size_t len);

/*
 * Parses a whole file image of len bytes (name is used only in messages) and appends its rows to *out,
 * which must be initialised (zeroed or by an earlier load). A header is accepted on the first non-blank
 * line only, blank lines are skipped, "\r\n" endings and a UTF-8 BOM are accepted. On failure err receives
 * "NAME:LINE: reason" and rows already appended stay in *out for the caller to discard with _fini.
 */
sb_err sim_kline_load_buffer(const char *name, const char *data, size_t len, struct sim_kline_series *out,
                             char *err, size_t err_cap);

/*
 * Reads path (plain or .gz) as sim_kline_load_buffer does, streaming it so memory stays proportional to
 * the rows kept. SB_ERR_IO when the file cannot be opened or read (err names the file).
 */
sb_err sim_kline_load_file(const char *path, struct sim_kline_series *out, char *err, size_t err_cap);

/* Releases the rows and zeroes *s; harmless on a zeroed series. */
void sim_kline_series_fini(struct sim_kline_series *s);

#endif
