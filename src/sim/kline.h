/*
 * kline.h - a Binance kline file loaded whole, the input of spotsim's replay mode.
 *
 * Files are read by the shared kline reader (spotbot/kline_reader.h): data.binance.vision's layout with or
 * without its header, plain, gzip or the .zip archives it publishes, ms or us timestamps, every row
 * validated and the first problem reported as "FILE:LINE: what is wrong". A replay keeps its candles in
 * memory because it loops over them and derives rules from them; the backtest streams instead.
 */
#ifndef SIM_KLINE_H
#define SIM_KLINE_H

#include <stddef.h>

#include "spotbot/error.h"
#include "spotbot/kline.h"

#define SIM_KLINE_MAX_ROWS ((size_t)4 << 20) /* hard cap on rows per file: 4M (~8 years of 1m) */

/* A loaded file: rows in file order with strictly increasing open_time. */
struct sim_kline_series {
	struct sb_kline *rows; /* owned; count entries */
	size_t count;          /* number of rows */
	size_t cap;            /* allocated entries */
};

/*
 * Parses a whole file image of len bytes (name is used only in messages) and appends its rows to *out,
 * which must be initialised (zeroed or by an earlier load); the first row must come after the rows
 * already there. On failure err receives "NAME:LINE: reason" and rows already appended stay in *out for
 * the caller to discard with _fini.
 */
sb_err sim_kline_load_buffer(const char *name, const char *data, size_t len, struct sim_kline_series *out,
                             char *err, size_t err_cap);

/*
 * Reads path (plain, .gz or .zip) as sim_kline_load_buffer does, streaming it so memory stays
 * proportional to the rows kept. SB_ERR_IO when the file cannot be opened or read (err names the file).
 */
sb_err sim_kline_load_file(const char *path, struct sim_kline_series *out, char *err, size_t err_cap);

/* Releases the rows and zeroes *s; harmless on a zeroed series. */
void sim_kline_series_fini(struct sim_kline_series *s);

#endif
