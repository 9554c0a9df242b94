/*
 * download_plan.c - the files a download covers (see spotbot/download.h): the request is checked and
 * every month or day from FROM to TO becomes a file name and its URL. Dates are checked by the kline
 * file name parser itself, so a name planned here is a name the data set will accept.
 */
#include <stdio.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/download.h"
#include "spotbot/kline.h"
#include "spotbot/kline_set.h"

struct day {
	int year;  /* 4 digits */
	int month; /* 1..12 */
	int day;   /* 1..31, or 0 for a month */
};

/* Parses "YYYY-MM" or "YYYY-MM-DD" as a date of the kind of file it asks for. */
static bool parse_date(const char *s, struct day *d)
{
	char name[SB_DL_NAME_MAX];
	struct sb_kline_name n;
	if (strlen(s) != 7 && strlen(s) != 10)
		return false;
	snprintf(name, sizeof name, "XX-1m-%s.zip", s);
	if (sb_kline_name_parse(name, &n) != SB_OK)
		return false;
	*d = (struct day){n.year, n.month, n.day};
	return true;
}

static int compare(const struct day *a, const struct day *b)
{
	long x = (long)a->year * 10000 + a->month * 100 + a->day;
	long y = (long)b->year * 10000 + b->month * 100 + b->day;
	return x < y ? -1 : x > y;
}

/* Steps d to the next month or day; a day past the month's end is found by the name parser refusing it. */
static void next(struct day *d)
{
	if (d->day) {
		char name[SB_DL_NAME_MAX];
		struct sb_kline_name n;
		snprintf(name, sizeof name, "XX-1m-%04d-%02d-%02d.zip", d->year, d->month, d->day + 1);
		if (sb_kline_name_parse(name, &n) == SB_OK) {
			d->day++;
			return;
		}
		d->day = 1;
	}
	if (++d->month > 12) {
		d->month = 1;
		d->year++;
	}
}

static bool symbol_ok(const char *s)
{
	size_t len = strlen(s);
	if (len < 2 || len > SB_KLINE_SYMBOL_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static sb_err check(const struct sb_dl_request *rq, struct day *from, struct day *to, char *err, size_t cap)
{
	if (!symbol_ok(rq->symbol)) {
		snprintf(err, cap, "'%s' is not a symbol (2 to %d letters and digits, like BTCUSDT)",
		         rq->symbol, SB_KLINE_SYMBOL_MAX);
		return SB_ERR_INVALID;
	}
	if (!sb_kline_interval_valid(rq->interval, strlen(rq->interval))) {
		snprintf(err, cap,
		         "'%s' is not an interval data.binance.vision publishes "
		         "(1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1mo)",
		         rq->interval);
		return SB_ERR_INVALID;
	}
	const char *bad = !parse_date(rq->from, from) ? rq->from : !parse_date(rq->to, to) ? rq->to : NULL;
	if (bad) {
		snprintf(err, cap,
		         "'%s' is not a date: give YYYY-MM for monthly files or YYYY-MM-DD for daily ones",
		         bad);
		return SB_ERR_INVALID;
	}
	if ((from->day == 0) != (to->day == 0)) {
		snprintf(err, cap, "FROM and TO must both be months (YYYY-MM) or both be days (YYYY-MM-DD)");
		return SB_ERR_INVALID;
	}
	if (compare(from, to) > 0) {
		snprintf(err, cap, "FROM %s is after TO %s", rq->from, rq->to);
		return SB_ERR_INVALID;
	}
	if (strncmp(rq->base_url, "http://", 7) != 0 && strncmp(rq->base_url, "https://", 8) != 0) {
		snprintf(err, cap, "the base URL '%s' must start with http:// or https://", rq->base_url);
		return SB_ERR_INVALID;
	}
	return SB_OK;
}

static void fill(const struct sb_dl_request *rq, const struct day *d, struct sb_dl_file *f)
{
	size_t blen = strlen(rq->base_url);
	while (blen > 0 && rq->base_url[blen - 1] == '/')
		blen--;
	if (d->day)
		snprintf(f->name, sizeof f->name, "%s-%s-%04d-%02d-%02d.zip", rq->symbol, rq->interval,
		         d->year, d->month, d->day);
	else
		snprintf(f->name, sizeof f->name, "%s-%s-%04d-%02d.zip", rq->symbol, rq->interval, d->year,
		         d->month);
	snprintf(f->url, sizeof f->url, "%.*s/data/spot/%s/klines/%s/%s/%s", (int)blen, rq->base_url,
	         d->day ? "daily" : "monthly", rq->symbol, rq->interval, f->name);
	f->bytes = 0;
}

sb_err sb_dl_plan(const struct sb_dl_request *rq, struct sb_dl_file **files, size_t *n, char *err,
                  size_t err_cap)
{
	if (!rq || !rq->symbol || !rq->interval || !rq->from || !rq->to || !rq->base_url || !files || !n)
		return SB_ERR_INVALID;
	struct day from, to;
	SB_TRY(check(rq, &from, &to, err, err_cap));
	size_t count = 0;
	for (struct day d = from; compare(&d, &to) <= 0; next(&d))
		if (++count > SB_DL_MAX_FILES) {
			snprintf(err, err_cap, "%s to %s is more than %d files; split the range", rq->from,
			         rq->to, SB_DL_MAX_FILES);
			return SB_ERR_INVALID;
		}
	struct sb_dl_file *out = sb_xcalloc(count, sizeof *out);
	size_t i = 0;
	for (struct day d = from; compare(&d, &to) <= 0; next(&d))
		fill(rq, &d, &out[i++]);
	*files = out;
	*n = count;
	return SB_OK;
}
