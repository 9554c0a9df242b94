/*
 * data_int.h - helpers shared inside src/data but not public: the byte sources a kline reader reads
 * from (memory, a plain or gzip file, the CSV member of a zip archive), and a kline set's read-ahead.
 */
#ifndef SB_DATA_INT_H
#define SB_DATA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spotbot/error.h"

struct sb__source {
	/* Reads up to cap bytes into buf: the count, 0 at the end, or -1 with a reason (no file name) in
	 * why. */
	ssize_t (*read)(struct sb__source *s, char *buf, size_t cap, char *why, size_t why_cap);
	void (*close)(struct sb__source *s); /* releases everything, s included */
};

/* Opens path: a zip archive (by its signature) reads its one .csv member, anything else goes through
 * zlib, which reads gzip and plain files alike. SB_ERR_IO with "PATH: reason" in err on failure. */
sb_err sb__source_open(const char *path, struct sb__source **out, char *err, size_t err_cap);

/* A source over len bytes of memory, not copied. */
struct sb__source *sb__source_memory(const char *data, size_t len);

/* ---- checksum files (download.c) ------------------------------------------------------------------ */

#define SB__SHA_HEX 65 /* 64 hex digits and the NUL */

/* Reads a data.binance.vision .CHECKSUM file's text (NUL-terminated), "<64 hex>  <name>", the name
 * optional and, when present, name's, into sha (lower case). False when the text is not that. */
bool sb__checksum_parse(const char *text, const char *name, char sha[SB__SHA_HEX]);

/* ---- a kline stream's read-ahead (kline_ahead.c, used by kline_set.c) --------------------------- */
struct sb_kline;
struct sb__kline_ahead;

/* The stream a read-ahead takes its candles from, in order: the next candle and its symbol's index, or
 * *done at the end. */
typedef sb_err (*sb__kline_next_fn)(void *ctx, size_t *sym, struct sb_kline *row, bool *done);

/* Starts the thread that reads next(ctx) ahead (ctx is the thread's from now on). SB_ERR_NOMEM when no
 * thread can be made. Freed with sb__kline_ahead_free. */
sb_err sb__kline_ahead_start(sb__kline_next_fn next, void *ctx, struct sb__kline_ahead **out);
/* The next candle as next(ctx) gives it; waits for the thread when it has none ready. */
sb_err sb__kline_ahead_next(struct sb__kline_ahead *a, size_t *sym, struct sb_kline *row, bool *done);
/* Stops and joins the thread; harmless on NULL. ctx is the caller's again. */
void sb__kline_ahead_free(struct sb__kline_ahead *a);

#endif
