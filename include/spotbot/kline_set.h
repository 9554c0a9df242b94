/*
 * kline_set.h - the kline files of a backtest, named as data.binance.vision names them, read as one
 * stream of candles in time order across every symbol.
 *
 * A file's name says what it holds: SYMBOL-INTERVAL-YYYY-MM (a month) or SYMBOL-INTERVAL-YYYY-MM-DD (a
 * day), then .zip, .csv or .csv.gz. A directory stands for every file in it with such a name (other
 * files are ignored); a file named on its own must have such a name. A symbol's files are read one after
 * the other in date order, each must continue in time where the one before ended, and the symbols are
 * merged by open time (ties go to the symbol first in alphabetical order), so the same files always give
 * the same stream. Only one file per symbol is open at a time, each with one small buffer.
 */
#ifndef SPOTBOT_KLINE_SET_H
#define SPOTBOT_KLINE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"
#include "spotbot/kline.h"
#include "spotbot/kline_reader.h"

#define SB_KLINE_SYMBOL_MAX   20 /* longest symbol accepted in a file name */
#define SB_KLINE_INTERVAL_MAX 4  /* longest interval ("12h", "1mo") */

/* What a data.binance.vision file name says. */
struct sb_kline_name {
	char symbol[SB_KLINE_SYMBOL_MAX + 1];     /* "BTCUSDT": upper-case letters and digits */
	char interval[SB_KLINE_INTERVAL_MAX + 1]; /* "1m" */
	int year;                                 /* 4 digits */
	int month;                                /* 1..12 */
	int day;                                  /* 1..31 for a daily file, 0 for a monthly one */
	int64_t start_ms;                         /* the period's first ms (UTC) */
	int64_t end_ms;                           /* the first ms after the period */
};

/*
 * Parses a file's base name (no directory) as SYMBOL-INTERVAL-YYYY-MM[-DD] followed by .zip, .csv or
 * .csv.gz. SB_ERR_PARSE when it does not have that shape, or names an impossible date or an interval
 * Binance does not publish.
 */
sb_err sb_kline_name_parse(const char *base, struct sb_kline_name *out);

struct sb_kline_set;

/*
 * Opens the files and directories of paths (n entries) and plans the stream; only candles with
 * from_ms <= open_time < to_ms are given (0 and INT64_MAX for everything), and files wholly outside are
 * never opened. Fails, with err naming the path, when a path is missing, a file's name does not say
 * what it holds, a directory holds no kline file, a symbol comes in two intervals, or two files of a
 * symbol cover the same period. The set is the caller's (sb_kline_set_free).
 */
sb_err sb_kline_set_open(const char *const *paths, size_t n, int64_t from_ms, int64_t to_ms,
                         struct sb_kline_set **out, char *err, size_t err_cap);

/* Symbols in the set, their names ("BTCUSDT") and intervals, in alphabetical order of symbol. */
size_t sb_kline_set_symbols(const struct sb_kline_set *s);
const char *sb_kline_set_symbol(const struct sb_kline_set *s, size_t i);
const char *sb_kline_set_interval(const struct sb_kline_set *s, size_t i);

/*
 * The next candle of any symbol in time order: *sym its symbol's index, *row the candle, *done false; or
 * *done true when every file is read. On an error (a file missing, truncated or malformed) the message,
 * "FILE:LINE: reason", is sb_kline_set_error's and the set stays in error.
 */
sb_err sb_kline_set_next(struct sb_kline_set *s, size_t *sym, struct sb_kline *row, bool *done);

/*
 * From now on the files are read on a thread of the set's own, a few thousand candles ahead of
 * sb_kline_set_next, which takes them in the same order (the end and errors included): opening,
 * decompressing and parsing then use a second core. Before the first sb_kline_set_next (SB_ERR_STATE
 * after it); SB_ERR_NOMEM when no thread can be made, the set reading on as before.
 */
sb_err sb_kline_set_read_ahead(struct sb_kline_set *s);

/* The message of the last error ("" when none); owned by the set. */
const char *sb_kline_set_error(const struct sb_kline_set *s);

/* Closes every file and frees the set; harmless on NULL. */
void sb_kline_set_free(struct sb_kline_set *s);

#endif
