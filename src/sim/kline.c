/*
 * kline.c - Binance kline CSV parsing and validation (see kline.h).
 *
 * One loader serves both the in-memory buffer and the gzip file: bytes are pushed in chunks, split into
 * lines (a line may straddle chunks, up to SIM_KLINE_LINE_MAX), and each line is checked against the
 * previous row. Errors stop the load at the first bad line, because a replay built on a half-read file
 * would silently trade on a different market than the user asked for.
 */
#include "sim/kline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "spotbot/alloc.h"

#define NCOLS     12
#define QUOTE_MAX 24                         /* bytes of an offending field quoted in a message */
#define CHUNK     (64 * 1024)                /* gzread size */
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
	if (f.len == 0 || f.len > 18)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < f.len; i++) {
		if (f.p[i] < '0' || f.p[i] > '9')
			return false;
		v = v * 10 + (f.p[i] - '0');
	}
	*out = v;
	return true;
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
	*ms = v >= SIM_KLINE_US_MIN ? v / 1000 : v;
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
static sb_err check_row(const struct sim_kline *k, char *why, size_t cap)
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

sb_err sim_kline_parse_row(const char *line, size_t len, struct sim_kline *out, char *why, size_t why_cap)
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

bool sim_kline_is_header(const char *line, size_t len)
{
	if (!line || len == 0)
		return false;
	char c = line[0];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Streaming state shared by the buffer and file loaders. */
struct loader {
	const char *name;                  /* file name for messages */
	struct sim_kline_series *out;      /* where rows go */
	size_t first_row;                  /* out->count when this load began */
	uint64_t line_no;                  /* lines completed so far */
	bool seen_content;                 /* a non-blank line was seen: no header any more */
	char line[SIM_KLINE_LINE_MAX + 1]; /* a line split across chunks */
	size_t line_len;                   /* bytes in line */
	char *err;                         /* caller's message buffer */
	size_t err_cap;                    /* its size */
};

__attribute__((format(printf, 3, 4))) static void loader_error(struct loader *ld, uint64_t line,
                                                               const char *fmt, ...)
{
	if (!ld->err || ld->err_cap == 0)
		return;
	int n = snprintf(ld->err, ld->err_cap, "%s:%" PRIu64 ": ", ld->name, line);
	if (n < 0 || (size_t)n >= ld->err_cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->err_cap - (size_t)n, fmt, ap);
	va_end(ap);
}

static void series_push(struct sim_kline_series *s, const struct sim_kline *k)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		if (cap > SIM_KLINE_MAX_ROWS)
			cap = SIM_KLINE_MAX_ROWS;
		s->rows = sb_xrealloc(s->rows, cap * sizeof *s->rows);
		s->cap = cap;
	}
	s->rows[s->count++] = *k;
}

static sb_err loader_line(struct loader *ld, const char *p, size_t len)
{
	uint64_t no = ++ld->line_no;
	if (no == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		len -= 3;
	}
	while (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0)
		return SB_OK;
	if (!ld->seen_content && sim_kline_is_header(p, len)) {
		ld->seen_content = true;
		return SB_OK;
	}
	ld->seen_content = true;
	struct sim_kline k;
	char why[160];
	sb_err e = sim_kline_parse_row(p, len, &k, why, sizeof why);
	if (e != SB_OK) {
		loader_error(ld, no, "%s", why);
		return e;
	}
	struct sim_kline_series *s = ld->out;
	if (s->count > 0 && k.open_time <= s->rows[s->count - 1].open_time) {
		loader_error(ld, no, "open_time %" PRId64 " is not after the previous row's %" PRId64,
		             k.open_time, s->rows[s->count - 1].open_time);
		return SB_ERR_RANGE;
	}
	if (s->count >= SIM_KLINE_MAX_ROWS) {
		loader_error(ld, no, "more than %zu rows", SIM_KLINE_MAX_ROWS);
		return SB_ERR_TOO_LONG;
	}
	series_push(s, &k);
	return SB_OK;
}

static sb_err line_too_long(struct loader *ld)
{
	loader_error(ld, ld->line_no + 1, "line longer than %d bytes", SIM_KLINE_LINE_MAX);
	return SB_ERR_TOO_LONG;
}

/* Feeds a chunk: complete lines are processed, a trailing partial line is kept for the next chunk. */
static sb_err loader_push(struct loader *ld, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t piece = nl ? (size_t)(nl - data) : len;
		if (ld->line_len + piece > SIM_KLINE_LINE_MAX)
			return line_too_long(ld);
		if (!nl) {
			memcpy(ld->line + ld->line_len, data, piece);
			ld->line_len += piece;
			return SB_OK;
		}
		sb_err e;
		if (ld->line_len == 0) {
			e = loader_line(ld, data, piece);
		} else {
			memcpy(ld->line + ld->line_len, data, piece);
			e = loader_line(ld, ld->line, ld->line_len + piece);
			ld->line_len = 0;
		}
		if (e != SB_OK)
			return e;
		data += piece + 1;
		len -= piece + 1;
	}
	return SB_OK;
}

static sb_err loader_finish(struct loader *ld)
{
	if (ld->line_len > 0) {
		sb_err e = loader_line(ld, ld->line, ld->line_len);
		ld->line_len = 0;
		if (e != SB_OK)
			return e;
	}
	if (ld->out->count == ld->first_row) {
		loader_error(ld, ld->line_no ? ld->line_no : 1, "no kline rows");
		return SB_ERR_PARSE;
	}
	return SB_OK;
}

static struct loader *loader_new(const char *name, struct sim_kline_series *out, char *err, size_t err_cap)
{
	struct loader *ld = sb_xcalloc(1, sizeof *ld);
	ld->name = name;
	ld->out = out;
	ld->first_row = out->count;
	ld->err = err;
	ld->err_cap = err_cap;
	if (err && err_cap > 0)
		err[0] = '\0';
	return ld;
}

sb_err sim_kline_load_buffer(const char *name, const char *data, size_t len, struct sim_kline_series *out,
                             char *err, size_t err_cap)
{
	if (!name || (!data && len > 0) || !out)
		return SB_ERR_INVALID;
	struct loader *ld = loader_new(name, out, err, err_cap);
	sb_err e = loader_push(ld, data ? data : "", len);
	if (e == SB_OK)
		e = loader_finish(ld);
	free(ld);
	return e;
}

sb_err sim_kline_load_file(const char *path, struct sim_kline_series *out, char *err, size_t err_cap)
{
	if (!path || !out)
		return SB_ERR_INVALID;
	if (err && err_cap > 0)
		err[0] = '\0';
	errno = 0;
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		set_why(err, err_cap, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
		return SB_ERR_IO;
	}
	gzbuffer(gz, 128 * 1024);
	struct loader *ld = loader_new(path, out, err, err_cap);
	char *chunk = sb_xmalloc(CHUNK);
	sb_err e = SB_OK;
	for (;;) {
		int n = gzread(gz, chunk, CHUNK);
		if (n > 0) {
			e = loader_push(ld, chunk, (size_t)n);
			if (e != SB_OK)
				goto out;
		}
		int zerr = Z_OK;
		const char *msg = gzerror(gz, &zerr);
		if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
			/* A truncated or corrupt .gz lands here, after the lines that did decompress. */
			/* zlib prefixes its message with the path, which the FILE:LINE prefix already gives.
			 */
			size_t plen = strlen(path);
			if (msg && strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
				msg += plen + 2;
			loader_error(ld, ld->line_no + 1, "read error: %s", msg ? msg : "unknown");
			e = SB_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
	}
	e = loader_finish(ld);
out:
	free(chunk);
	free(ld);
	gzclose(gz);
	return e;
}

void sim_kline_series_fini(struct sim_kline_series *s)
{
	if (!s)
		return;
	free(s->rows);
	*s = (struct sim_kline_series){0};
}
