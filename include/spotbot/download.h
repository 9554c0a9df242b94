/*
 * download.h - kline files fetched from data.binance.vision (or a mirror laid out the same way), each
 * verified against the SHA-256 checksum published beside it before it is kept.
 *
 * Layout: BASE/data/spot/monthly/klines/SYMBOL/INTERVAL/SYMBOL-INTERVAL-YYYY-MM.zip for months and
 * BASE/data/spot/daily/klines/SYMBOL/INTERVAL/SYMBOL-INTERVAL-YYYY-MM-DD.zip for days, each with a
 * ".CHECKSUM" file ("<sha256 hex>  <file name>"). A file is written as DIR/.NAME.part while it arrives
 * and renamed to DIR/NAME only once its checksum matches, next to a copy of the checksum file
 * (DIR/NAME.CHECKSUM): a file with its checksum beside it that still matches is complete and is not
 * fetched again, so an interrupted download resumes where it stopped. One file at a time, each over
 * sb_http_fetch (libwebsockets' HTTP client on a private loop), streamed to disk as it arrives.
 */
#ifndef SPOTBOT_DOWNLOAD_H
#define SPOTBOT_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "spotbot/error.h"

#define SB_DL_DEFAULT_BASE "https://data.binance.vision"
#define SB_DL_MAX_FILES    10000 /* one request never plans more files (27 years of days) */
#define SB_DL_NAME_MAX     64    /* "SYMBOL-INTERVAL-YYYY-MM-DD.zip" and then some */
#define SB_DL_URL_MAX      2048  /* longest URL built */
#define SB_DL_ERR_MAX      2600  /* room for a message naming a URL or a path */

/* What to fetch. Every string is the caller's and must outlive the calls that use it. */
struct sb_dl_request {
	const char *symbol;   /* "BTCUSDT" (upper case) */
	const char *interval; /* "1m", as data.binance.vision spells it ("1mo" for months) */
	const char *from;     /* "YYYY-MM" (monthly files) or "YYYY-MM-DD" (daily files) */
	const char *to;       /* the same form as from, not before it; inclusive */
	const char *dir;      /* where files go; created when missing */
	const char *base_url; /* "https://data.binance.vision" or a mirror, http or https */
};

/* One file of a plan and what became of it. */
struct sb_dl_file {
	char name[SB_DL_NAME_MAX]; /* "BTCUSDT-1m-2024-01.zip" */
	char url[SB_DL_URL_MAX];   /* where it is published */
	long long bytes;           /* its size once downloaded or found complete */
};

/*
 * Checks rq and lists the files it covers, in date order, into *files (n entries, the caller's to free).
 * SB_ERR_INVALID with the reason in err (no prefix) for a bad symbol, interval, date or range.
 */
sb_err sb_dl_plan(const struct sb_dl_request *rq, struct sb_dl_file **files, size_t *n, char *err,
                  size_t err_cap);

/* Called as bytes of a file arrive: got of total (total 0 while unknown). */
typedef void (*sb_dl_progress_fn)(void *ctx, const struct sb_dl_file *f, long long got, long long total);

/*
 * Makes f present and verified in rq->dir. SB_OK when it was downloaded (*skipped false) or already
 * complete (*skipped true); otherwise the file is not kept and err says why, naming the URL or path:
 * SB_ERR_NOT_FOUND when it is not published (HTTP 404: a month or day not out yet, or a symbol or
 * interval that does not exist), SB_ERR_BAD_SIGNATURE when its SHA-256 differs from the published one,
 * SB_ERR_NETWORK when the server could not be reached or answered with another error, SB_ERR_IO when a
 * local file could not be written. progress may be NULL.
 */
sb_err sb_dl_fetch(const struct sb_dl_request *rq, struct sb_dl_file *f, sb_dl_progress_fn progress,
                   void *ctx, bool *skipped, char *err, size_t err_cap);

#endif
