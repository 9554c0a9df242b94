/*
 * kline_name.c - what a data.binance.vision kline file name says: symbol, interval and the month or day
 * it covers (see spotbot/kline_set.h).
 */
#include <limits.h>
#include <string.h>

#include "common/parse.h"
#include "spotbot/kline_set.h"

static const char *const extensions[] = {".zip", ".csv", ".csv.gz"};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p into *v and advances *p. */
static bool digits(const char **p, int n, int *v)
{
	int64_t x;
	if (strnlen(*p, (size_t)n) < (size_t)n || !sb_parse_i64(*p, (size_t)n, 0, INT_MAX, &x))
		return false;
	*p += n;
	*v = (int)x;
	return true;
}

/* Copies the field up to the next '-' into out (cap bytes with the NUL); false when empty or too long. */
static bool field(const char **p, char *out, size_t cap)
{
	const char *dash = strchr(*p, '-');
	size_t len = dash ? (size_t)(dash - *p) : 0;
	if (len == 0 || len >= cap)
		return false;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p = dash + 1;
	return true;
}

static bool symbol_ok(const char *s)
{
	if (strlen(s) < 2)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool extension_ok(const char *p)
{
	for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++)
		if (strcmp(p, extensions[i]) == 0)
			return true;
	return false;
}

/* The date part, "YYYY-MM" or "YYYY-MM-DD", then the extension; fills the period. */
static bool parse_date(const char *p, struct sb_kline_name *n)
{
	if (!digits(&p, 4, &n->year) || *p++ != '-' || !digits(&p, 2, &n->month))
		return false;
	n->day = 0;
	if (*p == '-') {
		p++;
		if (!digits(&p, 2, &n->day))
			return false;
	}
	if (n->year < 1970 || n->month < 1 || n->month > 12 || !extension_ok(p))
		return false;
	if (n->day != 0 && (n->day < 1 || n->day > days_in_month(n->year, n->month)))
		return false;
	int64_t day_ms = INT64_C(86400000);
	if (n->day) {
		n->start_ms = days_from_civil(n->year, n->month, n->day) * day_ms;
		n->end_ms = n->start_ms + day_ms;
	} else {
		n->start_ms = days_from_civil(n->year, n->month, 1) * day_ms;
		n->end_ms = n->start_ms + days_in_month(n->year, n->month) * day_ms;
	}
	return true;
}

sb_err sb_kline_name_parse(const char *base, struct sb_kline_name *out)
{
	if (!base || !out)
		return SB_ERR_INVALID;
	struct sb_kline_name n = {0};
	const char *p = base;
	if (!field(&p, n.symbol, sizeof n.symbol) || !symbol_ok(n.symbol))
		return SB_ERR_PARSE;
	if (!field(&p, n.interval, sizeof n.interval) ||
	    !sb_kline_interval_valid(n.interval, strlen(n.interval)))
		return SB_ERR_PARSE;
	if (!parse_date(p, &n))
		return SB_ERR_PARSE;
	*out = n;
	return SB_OK;
}
