/*
 * kline_reader.h - streams the rows of one kline file: plain CSV, gzip (.csv.gz) or a data.binance.vision
 * zip archive with the CSV inside, recognised by content, not by name.
 *
 * Memory stays at one read buffer per open file whatever the file's size: rows are handed out one at a
 * time, never collected. A header is accepted on the first non-blank line only, blank lines are skipped,
 * "\r\n" endings and a UTF-8 BOM are accepted, and open times must increase strictly. The first problem
 * stops the file, with a message "NAME:LINE: reason" (NAME is the path given; LINE counts from 1 within
 * the CSV, inside the archive for a zip), because a backtest or a replay built on a half-read file would
 * silently trade on a different market than the user asked for.
 */
#ifndef SPOTBOT_KLINE_READER_H
#define SPOTBOT_KLINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"
#include "spotbot/kline.h"

#define SB_KLINE_LINE_MAX 1024 /* longest accepted line, newline excluded */
#define SB_KLINE_ERR_MAX  1400 /* room for any message: a path of PATH_MAX and a reason */

struct sb_kline_reader;

/*
 * Opens path for reading. SB_ERR_IO when it cannot be opened, or is a zip archive that libzip cannot
 * read or that holds no single .csv member (err, err_cap bytes, names the file). The reader is the
 * caller's (sb_kline_reader_free).
 */
sb_err sb_kline_reader_open(const char *path, struct sb_kline_reader **out, char *err, size_t err_cap);

/* A reader over len bytes of data in memory (not copied: they must outlive the reader); name is used in
 * messages only. Never fails except on bad arguments. */
sb_err sb_kline_reader_open_buffer(const char *name, const char *data, size_t len,
                                   struct sb_kline_reader **out);

/*
 * Rows must start after open_time ms (strictly later): the first row is checked against it as every row
 * is against the one before. A reader of the next file of a series calls this with the previous file's
 * last open time, so files that overlap or run backwards are refused with the line that does.
 */
void sb_kline_reader_after(struct sb_kline_reader *r, int64_t open_time);

/*
 * The next row into *row: SB_OK with *done false, or SB_OK with *done true at the end of the file (a
 * file with no row at all is an error, SB_ERR_PARSE "no kline rows"). Any other code is an error whose
 * message sb_kline_reader_error gives; the reader then stays in error.
 */
sb_err sb_kline_reader_next(struct sb_kline_reader *r, struct sb_kline *row, bool *done);

/* The message of the last error, "NAME:LINE: reason" ("" when none); owned by the reader. */
const char *sb_kline_reader_error(const struct sb_kline_reader *r);

/* Lines of the CSV consumed so far (the line of the last row returned). */
uint64_t sb_kline_reader_line(const struct sb_kline_reader *r);

/* The name given at open. */
const char *sb_kline_reader_name(const struct sb_kline_reader *r);

/* Closes the file and frees the reader; harmless on NULL. */
void sb_kline_reader_free(struct sb_kline_reader *r);

#endif
