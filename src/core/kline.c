/*
 * kline.c - one Binance kline CSV row, parsed and validated (see spotbot/kline.h).
 *
 * Every field is checked and the first problem is described with its column number and name, quoting
 * the offending bytes (made printable), so a reader can prefix the file and line and the user can find
 * it in an editor.
 */
#include "spotbot/kline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"

#define NCOLS     12
#define QUOTE_MAX 24                         /* bytes of an offending field quoted in a message */
#define TS_MAX    INT64_C(99999999999999999) /* 17 digits: beyond any us timestamp we expect */

static const char *const column_names[NCOLS] = {
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_asset_volume",
    "number_of_trades",
    "taker_buy_base_volume",
    "taker_buy_quote_volume",
    "ignore",
};

struct field {
	const char *p; /* first byte of the field */
	size_t len;    /* bytes, separators excluded */
};

__attribute__((format(printf, 3, 4))) static void set_why(char *why, size_t cap, const char *fmt, ...)
{
	if (!why || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* Copies up to QUOTE_MAX bytes of a field for a message, replacing what would garble a log line. */
static void quote_field(struct field f, char *buf, size_t cap)
{
	size_t n = f.len < QUOTE_MAX ? f.len : QUOTE_MAX;
	if (n + 4 > cap)
		n = cap > 4 ? cap - 4 : 0;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f.p[i];
		buf[j++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
	}
	if (n < f.len && j + 3 < cap) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
}

/* Parses an unsigned decimal integer of at most 18 digits, digits only. */
static bool parse_uint(struct field f, int64_t *out)
{
	return f.len <= 18 && sb_parse_i64(f.p, f.len, 0, INT64_MAX, out);
}

static sb_err parse_time(struct field f, int col, int64_t *ms, char *why, size_t cap)
{
	char q[QUOTE_MAX + 8];
	int64_t v;
	if (!parse_uint(f, &v)) {
		quote_field(f, q, sizeof q);
		set_why(why, cap, "column %d (%s): not a timestamp: \"%s\"", col + 1, column_names[col], q);
		return SB_ERR_PARSE;
	}
	if (v <= 0 || v > TS_MAX) {
		set_why(why, cap, "column %d (%s): timestamp %" PRId64 " out of range", col + 1,
		        column_names[col], v);
		return SB_ERR_RANGE;
	}
	/* Milliseconds reach 1e14 only in the year 5138, microseconds pass it in 1973. */
	*ms = v >= SB_KLINE_US_MIN ? v / 1000 : v;
	return SB_OK;
}

static sb_err parse_decimal(struct field f, int col, sb_dec *out, char *why, size_t cap)
{
	char q[QUOTE_MAX + 8];
	sb_err e = sb_dec_parse_nonneg(f.p, f.len, out);
	if (e == SB_OK)
		return SB_OK;
	quote_field(f, q, sizeof q);
	const char *what = e == SB_ERR_RANGE       ? "must not be negative"
	                   : e == SB_ERR_PRECISION ? "more than 8 decimal places"
	                   : e == SB_ERR_OVERFLOW  ? "too large"
	                                           : "not a decimal";
	set_why(why, cap, "column %d (%s): %s: \"%s\"", col + 1, column_names[col], what, q);
	return e == SB_ERR_OVERFLOW ? SB_ERR_RANGE : e;
}

/* Splits line into fields; returns the number of fields found (at most NCOLS are stored). */
static size_t split(const char *line, size_t len, struct field *fields)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (n < NCOLS)
			fields[n] = (struct field){line + start, i - start};
		n++;
		start = i + 1;
	}
	return n;
}

/* The relations between the fields of one row: an OHLC bar must be a consistent range. */
static sb_err check_row(const struct sb_kline *k, char *why, size_t cap)
{
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	if (k->low > k->high) {
		sb_dec_format_trim(k->low, a, sizeof a);
		sb_dec_format_trim(k->high, b, sizeof b);
		set_why(why, cap, "low %s is above high %s", a, b);
		return SB_ERR_RANGE;
	}
	const sb_dec ends[2] = {k->open, k->close};
	for (int i = 0; i < 2; i++) {
		if (ends[i] >= k->low && ends[i] <= k->high)
			continue;
		sb_dec_format_trim(ends[i], a, sizeof a);
		set_why(why, cap, "%s %s is outside low..high", i == 0 ? "open" : "close", a);
		return SB_ERR_RANGE;
	}
	if (k->close_time < k->open_time) {
		set_why(why, cap, "close_time %" PRId64 " is before open_time %" PRId64, k->close_time,
		        k->open_time);
		return SB_ERR_RANGE;
	}
	return SB_OK;
}

sb_err sb_kline_parse_row(const char *line, size_t len, struct sb_kline *out, char *why, size_t why_cap)
{
	if (!line || !out)
		return SB_ERR_INVALID;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	struct field f[NCOLS];
	size_t n = split(line, len, f);
	if (n != NCOLS) {
		set_why(why, why_cap, "expected %d columns, found %zu", NCOLS, n);
		return SB_ERR_PARSE;
	}
	sb_dec *const decs[] = {&out->open,
	                        &out->high,
	                        &out->low,
	                        &out->close,
	                        &out->volume,
	                        &out->quote_volume,
	                        &out->taker_buy_volume,
	                        &out->taker_buy_quote_volume};
	static const int dec_cols[] = {1, 2, 3, 4, 5, 7, 9, 10};
	sb_err e = parse_time(f[0], 0, &out->open_time, why, why_cap);
	for (size_t i = 0; e == SB_OK && i < sizeof dec_cols / sizeof dec_cols[0]; i++)
		e = parse_decimal(f[dec_cols[i]], dec_cols[i], decs[i], why, why_cap);
	if (e == SB_OK)
		e = parse_time(f[6], 6, &out->close_time, why, why_cap);
	if (e != SB_OK)
		return e;
	if (!parse_uint(f[8], &out->trades)) {
		char q[QUOTE_MAX + 8];
		quote_field(f[8], q, sizeof q);
		set_why(why, why_cap, "column 9 (number_of_trades): not a count: \"%s\"", q);
		return SB_ERR_PARSE;
	}
	/* Column 12 is documented as "ignore"; its content is not checked. */
	return check_row(out, why, why_cap);
}

bool sb_kline_is_header(const char *line, size_t len)
{
	if (!line || len == 0)
		return false;
	char c = line[0];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool sb_kline_interval_valid(const char *s, size_t len)
{
	static const char *const names[] = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
	                                    "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1mo"};
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return true;
	return false;
}
